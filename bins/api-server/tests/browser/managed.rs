//! The Connections page's "Manage" (issue 12): the demo's Elections database switched to managed
//! from the page, and a new election's page appearing there by itself.

use notion_emulator::demo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::Env;

/// The pages (not trashed) of the demo Elections database whose key is `id`.
fn pages_with_key(env: &Env, id: &str) -> usize {
    let state = env.emulator.state();
    let mut found = 0;
    for database in state["databases"].as_array().into_iter().flatten() {
        for source in database["data_sources"].as_array().into_iter().flatten() {
            for page in source["pages"].as_array().into_iter().flatten() {
                let key = page["properties"]["Election ID"]["rich_text"][0]["plain_text"].as_str();
                if key == Some(id) && !page["in_trash"].as_bool().unwrap_or(false) {
                    found += 1;
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_elections_database_is_switched_to_managed_and_a_new_election_gets_its_page() {
    let env = Env::start("managed").await;
    // The key property, added in Notion as a person would.
    env.emulator
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Election ID": {"rich_text": {}}}}),
        )
        .unwrap();
    env.sign_in().await;
    env.click(".site-nav a[href='/ui/connections']").await;
    env.wait_for_path("/ui/connections").await;
    let db = demo::ELECTIONS_DB.to_string();
    let panel = format!("details.managed-database[data-database-id='{db}']");
    env.wait_text("#connections-list", "Elections").await;
    env.click(&format!("{panel} summary")).await;
    env.wait_text(&panel, "0 elections linked").await;
    env.screenshot("managed-linked").await;

    // Managed, trash on delete; saved through PATCH.
    let set = env
        .js(
            "const form = document.querySelector(arguments[0] + ' form');
             if (!form) return false;
             form.querySelector('select[name=mode]').value = 'managed';
             form.querySelector('select[name=on_election_deleted]').value = 'trash';
             form.querySelector('input[name=written_description]').checked = false;
             form.querySelector('button[data-action=save-managed]').click();
             return true;",
            vec![Value::String(panel.clone())],
        )
        .await;
    assert_eq!(set, Value::Bool(true));
    env.wait_text(&panel, "is managed: every new election gets its page")
        .await;
    env.wait_text(&panel, "Managed since").await;
    let state = env
        .api(Method::GET, &format!("/admin/notion/databases/{db}"), None)
        .await;
    assert_eq!(state["database"]["mode"], "managed", "{state}");
    assert_eq!(state["database"]["on_election_deleted"], "trash");
    assert_eq!(
        state["database"]["written_at_creation"],
        serde_json::json!({"title": true, "description": false, "voting_window": true, "status": true}),
        "{state}"
    );

    // A new election gets its page at once, and the counts show it.
    let id = env
        .create_election(
            "Managed seat",
            "2020-01-01T00:00:00Z",
            "2099-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(pages_with_key(&env, &id), 1);
    env.open("/ui/connections").await;
    env.wait_text("#connections-list", "Elections").await;
    env.click(&format!("{panel} summary")).await;
    env.wait_text(&panel, "1 election linked").await;
    env.wait_text(&panel, "Last delta: 1 created").await;
    env.screenshot("managed-counts").await;
    env.finish().await;
}
