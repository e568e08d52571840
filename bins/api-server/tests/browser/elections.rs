//! Signing in and out, the elections list, creating and editing elections.

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{Env, TOKEN};

/// Sets a datetime-local input as a person picking a date would (typing into its segments depends
/// on the locale), and tells the page.
async fn set_local_time(env: &Env, id: &str, value: &str) {
    env.js(
        "const input = document.getElementById(arguments[0]); input.value = arguments[1]; \
         input.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(id), json!(value)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_keeps_the_token_in_the_tab_only_and_signing_out_forgets_it() {
    let env = Env::start("sign-in").await;

    // The pages themselves need no token; the API does.
    let page = env.http.get(env.url("/ui/")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.expect("html");
    let css = html
        .split("href=\"")
        .find_map(|rest| rest.split('"').next().filter(|u| u.ends_with("/admin.css")))
        .expect("a versioned stylesheet link")
        .to_owned();
    let asset = env.http.get(env.url(&css)).send().await.expect("css");
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(
        asset.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "{:?}",
        asset.headers()
    );
    assert!(
        asset.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let api = env
        .http
        .get(env.url("/admin/elections"))
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    // `/admin` in the address bar leads to the page, which asks for the token first.
    env.open("/admin").await;
    env.wait_for_path("/ui/sign-in").await;
    env.find("#admin-token").await;
    env.screenshot("sign-in").await;

    env.type_into("#admin-token", "not-the-token").await;
    env.click("#sign-in-submit").await;
    env.wait_text("#admin-token-error", "did not accept this token")
        .await;
    let invalid = env
        .find("#admin-token")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));

    env.type_into("#admin-token", TOKEN).await;
    env.click("#sign-in-submit").await;
    env.wait_for_path("/ui/").await;
    env.wait_text("#list-status", "No elections yet").await;

    let storage = env
        .js(
            "return {session: sessionStorage.getItem('election-admin-token'), local: localStorage.length, cookie: document.cookie, url: location.href};",
            vec![],
        )
        .await;
    assert_eq!(storage["session"], TOKEN, "{storage}");
    assert_eq!(storage["local"], 0, "{storage}");
    assert_eq!(storage["cookie"], "", "{storage}");
    assert!(
        !storage["url"].as_str().unwrap().contains(TOKEN),
        "{storage}"
    );

    env.click("#sign-out").await;
    env.wait_for_path("/ui/sign-in").await;
    env.wait_text("#sign-in-notice", "signed out").await;
    let token = env
        .js(
            "return sessionStorage.getItem('election-admin-token');",
            vec![],
        )
        .await;
    assert_eq!(token, Value::Null);
    env.open("/ui/").await;
    env.wait_for_path("/ui/sign-in").await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elections_are_created_and_edited_with_field_errors_and_listed_in_local_time() {
    let env = Env::start("elections").await;
    env.sign_in().await;

    env.click("a.button.primary[href='/ui/elections/new']")
        .await;
    env.wait_for_path("/ui/elections/new").await;
    env.find("#title").await;
    let zone = env.text("#open_at-hint").await;
    assert!(zone.contains("America/New_York"), "{zone}");

    // Nothing filled in: the API names the field, the page puts the message next to it.
    env.click("#save-election").await;
    env.wait_text("#open_at-error", "open_at").await;
    let focused = env.js("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, "open_at");

    env.type_into("#title", "Board of Trustees 2030").await;
    env.type_into("#description", "Three seats.").await;
    set_local_time(&env, "open_at", "2030-01-08T10:00").await;
    set_local_time(&env, "close_at", "2030-01-01T10:00").await;
    env.click("#save-election").await;
    env.wait_text("#close_at-error", "close_at").await;
    assert_eq!(env.text("#title-error").await, "");
    env.screenshot("form-field-error").await;

    set_local_time(&env, "open_at", "2030-01-01T10:00").await;
    set_local_time(&env, "close_at", "2030-01-08T18:30").await;
    env.click("#save-election").await;
    env.wait_text("#election-title", "Board of Trustees 2030")
        .await;
    let path = env.browser.current_url().await.unwrap().path().to_owned();
    let id = path
        .strip_prefix("/ui/elections/")
        .expect("the new election's page")
        .to_owned();

    // 10:00 in New York is 15:00 UTC; the page shows the viewer's time again.
    let stored = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    assert_eq!(
        stored["election"]["open_at"], "2030-01-01T15:00:00.000Z",
        "{stored}"
    );
    assert_eq!(
        stored["election"]["close_at"], "2030-01-08T23:30:00.000Z",
        "{stored}"
    );
    env.wait_text("#election-open", "10:00").await;
    env.wait_text("#election-close", "6:30").await;
    env.wait_text("#election-phase", "Upcoming").await;

    env.click("#edit-election").await;
    env.wait_for_path(&format!("/ui/elections/{id}/edit")).await;
    env.wait_js(
        "the form is filled in",
        "return document.getElementById('open_at').value === '2030-01-01T10:00';",
    )
    .await;
    env.type_into("#title", "Board of Trustees 2030 (revised)")
        .await;
    env.click("#save-election").await;
    env.wait_text("#election-title", "(revised)").await;

    // The list, with an open election, a closed one and one whose last sync failed.
    env.create_election(
        "Budget Referendum",
        "2020-03-01T09:00:00Z",
        "2099-03-08T17:00:00Z",
    )
    .await;
    env.create_election(
        "Treasurer 2025",
        "2025-01-10T09:00:00Z",
        "2025-01-17T17:00:00Z",
    )
    .await;
    env.open("/ui/").await;
    env.wait_text("#list-status", "3 elections").await;
    let list = env.text("#elections-table").await;
    for expected in [
        "Board of Trustees 2030 (revised)",
        "Upcoming",
        "Open",
        "Closed",
        "Not linked",
        "Jan 1, 2030",
    ] {
        assert!(list.contains(expected), "{expected:?} missing from {list}");
    }
    env.screenshot("list").await;

    // Phone width: rows become cards, nothing scrolls sideways.
    env.assert_fits_width(390).await;
    env.screenshot("list-phone").await;
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", "(revised)").await;
    env.assert_fits_width(390).await;
    env.screenshot("manage-phone").await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_users_reach_every_control_with_a_visible_focus() {
    let env = Env::start("keyboard").await;
    let id = env
        .create_election(
            "Keyboard vote",
            "2020-01-01T00:00:00Z",
            "2099-01-01T00:00:00Z",
        )
        .await;
    env.sign_in().await;
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", "Keyboard vote").await;

    // Every form control has a label (for=) or is labelled by its own text.
    let unlabelled = env
        .js(
            "return [...document.querySelectorAll('input, select, textarea')]
                .filter(c => c.type !== 'hidden' && !document.querySelector(`label[for='${c.id}']`))
                .map(c => c.outerHTML);",
            vec![],
        )
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a label");

    // Tab from the top: the skip link first, and a focused control is outlined.
    env.js("document.activeElement.blur(); window.focus();", vec![])
        .await;
    let body = env.find("body").await;
    body.send_keys("\u{E004}").await.expect("tab");
    let first = env
        .js("return document.activeElement.className;", vec![])
        .await;
    assert_eq!(first, "skip-link");
    let mut seen = Vec::new();
    for _ in 0..12 {
        env.browser
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let focus = env
            .js(
                "const a = document.activeElement; const s = getComputedStyle(a);
                 return {id: a.id, text: a.textContent.trim(), outline: s.outlineStyle, width: parseFloat(s.outlineWidth)};",
                vec![],
            )
            .await;
        assert_eq!(focus["outline"], "solid", "no visible focus on {focus}");
        assert!(focus["width"].as_f64().unwrap() >= 2.0, "{focus}");
        seen.push(focus["id"].as_str().unwrap_or_default().to_owned());
        if focus["id"] == "open-link-form" {
            break;
        }
    }
    assert!(
        seen.contains(&"open-link-form".to_owned()),
        "tab order: {seen:?}"
    );

    // Enter on "Link to Notion Page" opens the form; Escape closes it and focus returns.
    env.browser
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    env.wait_js(
        "the link form opens",
        "return !document.getElementById('link-form').hidden;",
    )
    .await;
    env.wait_text("#database", "Legacy Elections").await;
    let focused = env.js("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, "database");
    env.browser
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E00C}")
        .await
        .unwrap();
    env.wait_js(
        "the link form closes",
        "return document.getElementById('link-form').hidden;",
    )
    .await;
    let focused = env.js("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, "open-link-form");
    env.finish().await;
}
