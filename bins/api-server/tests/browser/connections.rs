//! The Connections page: a second workspace connected through the emulator's real consent page,
//! one of its databases allowed, an election linked to a page there from the election page and
//! synced through that connection, while the internal connection keeps syncing its own.

use notion_emulator::demo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::Env;

const OPEN: (&str, &str) = ("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z");

fn voting_status(env: &Env, page: uuid::Uuid) -> Value {
    env.emulator
        .page_property(page, "Voting Status")
        .expect("the page has a Voting Status")["status"]["name"]
        .clone()
}

/// Runs a script that returns `true` when it did what it says.
async fn act(env: &Env, what: &str, script: &str, args: Vec<Value>) {
    if env.js(script, args).await != Value::Bool(true) {
        env.fail(&format!("could not {what}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_workspace_is_connected_allowed_linked_and_synced_beside_the_internal_one() {
    let env = Env::start_with_oauth("connections").await;
    env.sign_in().await;

    env.click(".site-nav a[href='/ui/connections']").await;
    env.wait_for_path("/ui/connections").await;
    env.wait_text("#connections-status", "0 connected workspaces")
        .await;
    env.wait_text("#connections-list", "Internal integration")
        .await;
    env.wait_text("#connections-list", "Legacy Elections").await;
    env.screenshot("connections-internal-only").await;

    // "Connect a Notion workspace" → the emulator's consent page: the second workspace, its
    // "Board Elections" ticked, Allow.
    env.click("#connect-workspace").await;
    env.wait_js(
        "the consent page shows",
        "return location.pathname === '/v1/oauth/authorize' && !!document.getElementById('allow');",
    )
    .await;
    act(
        &env,
        "choose the second workspace and tick Board Elections",
        "const fieldset = [...document.querySelectorAll('fieldset')]
             .find(f => f.querySelector('legend').textContent.includes(arguments[0]));
         if (!fieldset) return false;
         fieldset.querySelector('legend input[type=radio]').click();
         const label = [...fieldset.querySelectorAll('label')]
             .find(l => l.textContent.includes('Board Elections') && l.querySelector('input[type=checkbox]'));
         if (!label) return false;
         label.querySelector('input').click();
         return true;",
        vec![json!(demo::SECOND_WORKSPACE_NAME)],
    )
    .await;
    env.screenshot("consent-page").await;
    env.click("#allow").await;

    // Back at this server: the connection is shown, with a link to the Connections page.
    env.wait_for_path("/oauth/notion/callback").await;
    env.wait_text("#oauth-result", demo::SECOND_WORKSPACE_NAME)
        .await;
    env.screenshot("connected").await;
    env.click("#to-connections").await;
    env.wait_for_path("/ui/connections").await;
    env.wait_text("#connections-status", "1 connected workspace")
        .await;
    let card = "section.connection[data-connection-id^='conn_']";
    env.wait_text(card, demo::SECOND_WORKSPACE_NAME).await;
    env.wait_text(card, "Active").await;
    env.wait_text(card, "Board Elections").await;
    let board = demo::BOARD_ELECTIONS_DB.to_string();
    env.click(&format!(
        "{card} button[data-action='allow'][data-database-id='{board}']"
    ))
    .await;
    env.find(&format!(
        "{card} button[data-action='disallow'][data-database-id='{board}']"
    ))
    .await;
    env.wait_text(card, "allowed by admin").await;
    env.screenshot("connections-allowed").await;

    // Its own budget: 2.5 requests a second, saved and shown again after a reload.
    env.type_into(&format!("{card} form.connection-budget input"), "2.5")
        .await;
    env.click(&format!("{card} button[data-action='save-budget']"))
        .await;
    env.wait_text("#connections-status", "may send 2.5 requests per second")
        .await;
    let listed = env
        .api(Method::GET, "/admin/notion/connections", None)
        .await;
    let oauth = listed["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["kind"] == "oauth")
        .expect("the connection")
        .clone();
    assert_eq!(oauth["max_requests_per_second"], 2.5, "{listed}");
    env.open("/ui/connections").await;
    env.wait_js(
        "the saved budget in its field",
        "return document.querySelector(\"section.connection[data-connection-id^='conn_'] form.connection-budget input\")?.value === '2.5';",
    )
    .await;
    env.screenshot("connections-budget").await;

    // Link an election to a page there from the election page, and sync it.
    let id = env.create_election("Board chair", OPEN.0, OPEN.1).await;
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", "Board chair").await;
    env.click("#open-link-form").await;
    let label = format!("Board Elections ({})", demo::SECOND_WORKSPACE_NAME);
    env.wait_text("#database", &label).await;
    env.find("#database")
        .await
        .select_by_label(&label)
        .await
        .expect("select");
    env.wait_text("#page-results", "Chair 2026").await;
    act(
        &env,
        "choose the page Chair 2026",
        "const label = [...document.querySelectorAll('#page-results label')]
             .find(l => l.textContent === 'Chair 2026');
         if (!label) return false;
         label.click();
         return true;",
        vec![],
    )
    .await;
    env.wait_text("#validation", "can be linked").await;
    env.click("#link-submit").await;
    env.wait_text("#notion-status", "Linked to \"Chair 2026\"")
        .await;
    env.click("#sync-button").await;
    env.wait_text("#notion-status", "Synced with Notion").await;
    env.wait_text("#written-status", "In Voting").await;
    assert_eq!(voting_status(&env, demo::BOARD_CHAIR), "In Voting");
    let page = env.emulator.page(demo::BOARD_CHAIR).expect("the page");
    assert_ne!(
        page["last_edited_by"]["id"],
        demo::INTEGRATION_ID.to_string(),
        "written by the connected workspace's bot, not the internal integration: {page}"
    );
    env.screenshot("linked-through-connection").await;

    // The internal connection keeps syncing its own.
    let other = env.create_election("Budget", OPEN.0, OPEN.1).await;
    env.api(
        Method::POST,
        &format!("/admin/elections/{other}/notion/link"),
        Some(json!({
            "database_id": demo::ELECTIONS_DB.to_string(),
            "page_id": demo::BUDGET_REFERENDUM.to_string(),
        })),
    )
    .await;
    env.emulator
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Voting Status": {"status": {"name": "Not started"}}}),
        )
        .expect("edited");
    env.api(
        Method::POST,
        &format!("/admin/elections/{other}/notion/sync"),
        None,
    )
    .await;
    assert_eq!(voting_status(&env, demo::BUDGET_REFERENDUM), "In Voting");

    // The page counts the link.
    env.open("/ui/connections").await;
    env.wait_text(card, "1 link.").await;
    env.finish().await;
}
