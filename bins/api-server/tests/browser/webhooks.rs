//! The Connections page's "Notion webhooks" card (issue 17): a verification token Notion sent is
//! shown as pending with when and from where, confirmed with one click, then shown as active (the
//! token itself no longer), with the inbox's health line.

use crate::harness::Env;

#[tokio::test]
async fn a_pending_verification_token_is_shown_confirmed_and_then_active() {
    let env = Env::start("webhooks").await;
    // Notion's first POST to a new subscription: unsigned, the token to verify it with.
    let token = "secret_browser_verification_token";
    let response = env
        .http
        .post(env.url("/webhooks/notion"))
        .json(&serde_json::json!({"verification_token": token}))
        .send()
        .await
        .expect("verification POST");
    assert!(response.status().is_success(), "{}", response.status());

    env.sign_in().await;
    env.open("/ui/connections").await;
    env.wait_text("#webhooks", "Notion webhooks").await;
    env.wait_text("#webhooks [data-role='pending-token']", token)
        .await;
    env.wait_text("#webhooks", "0 events stored").await;
    env.screenshot("webhooks-pending").await;

    env.click("#webhooks button[data-action='confirm-webhook']")
        .await;
    env.wait_text(
        "#webhooks li[data-connection-id='internal']",
        "Active since",
    )
    .await;
    let page = env.text("#webhooks").await;
    assert!(
        !page.contains(token),
        "an active token is never shown: {page}"
    );
    let state = env
        .api(reqwest::Method::GET, "/admin/notion/webhooks", None)
        .await;
    let internal = state["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["connection_id"] == "internal")
        .expect("the internal connection")
        .clone();
    assert!(internal["active"].is_object(), "{state}");
    assert!(internal["pending"].is_null(), "{state}");
    env.screenshot("webhooks-active").await;
    env.finish().await;
}
