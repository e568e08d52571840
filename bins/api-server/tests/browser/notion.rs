//! The Notion Integration section: link through the dropdown and the search, validation before
//! linking, sync, unlink behind a confirmation, and Notion failures.

use notion_emulator::{Fault, FaultRule, demo};
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

/// Clicks the search result whose label is `title`.
async fn choose_result(env: &Env, title: &str) {
    let chosen = env
        .js(
            "const label = [...document.querySelectorAll('#page-results label')]
                 .find(l => l.textContent === arguments[0]);
             if (!label) return false;
             label.click();
             return true;",
            vec![json!(title)],
        )
        .await;
    if chosen != Value::Bool(true) {
        env.fail(&format!("no search result {title:?}")).await;
    }
    env.wait_text("#chosen-page", title).await;
}

async fn open_manage_page(env: &Env, id: &str, title: &str) {
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", title).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_election_is_linked_through_dropdown_and_search_then_synced_and_unlinked() {
    let env = Env::start("notion-link").await;
    let id = env.create_election("Board President", OPEN.0, OPEN.1).await;
    env.sign_in().await;
    open_manage_page(&env, &id, "Board President").await;
    env.wait_text("#notion-page", "Not linked").await;
    assert_eq!(
        env.find("#sync-button")
            .await
            .prop("disabled")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );

    env.click("#open-link-form").await;
    env.wait_text("#database", "Legacy Elections").await;
    assert_eq!(
        env.find("#status-property")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Voting Status")
    );
    assert_eq!(
        env.find("#results-property")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Results Link")
    );
    assert_eq!(
        env.find("#value-in-voting")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("In Voting")
    );

    // The legacy database's status property has no "In Voting": the page is refused, with why.
    env.find("#database")
        .await
        .select_by_label("Legacy Elections")
        .await
        .expect("select");
    env.wait_text("#page-results", "Treasurer 2025").await;
    choose_result(&env, "Treasurer 2025").await;
    let reason = env.wait_text("#validation", "cannot be linked").await;
    assert!(reason.contains("In Voting"), "{reason}");
    env.scroll_to("#link-form").await;
    env.screenshot("link-validation-error").await;
    // Linking anyway is refused by the server with the same reason.
    env.click("#link-submit").await;
    let refused = env.wait_text("#validation", "Not linked").await;
    assert!(refused.contains("In Voting"), "{refused}");

    // The real database: search as you type narrows the list.
    env.find("#database")
        .await
        .select_by_label("Elections")
        .await
        .expect("select");
    env.wait_text("#page-results", "Budget Referendum").await;
    env.type_into("#page-search", "board").await;
    env.wait_js(
        "the search shows only matching pages",
        "const t = document.getElementById('page-results').innerText;
         return t.includes('Board President 2026') && !t.includes('Budget Referendum');",
    )
    .await;
    choose_result(&env, "Board President 2026").await;
    env.wait_text("#validation", "can be linked").await;
    env.scroll_to("#link-form").await;
    env.screenshot("link-form-valid").await;

    env.click("#link-submit").await;
    env.wait_text("#notion-status", "Linked to \"Board President 2026\"")
        .await;
    let page_link = env.find("#notion-page a").await;
    assert!(
        page_link
            .attr("href")
            .await
            .unwrap()
            .unwrap()
            .starts_with("http")
    );
    assert!(
        page_link
            .text()
            .await
            .unwrap()
            .contains("Board President 2026")
    );
    env.wait_text("#notion-database", "Elections").await;
    // Linking read the page: Notion shows "Not started"; the open election wants "In Voting".
    let current = env.wait_text("#notion-status-current", "Not started").await;
    assert!(current.contains("as of"), "{current}");
    let desired = env.wait_text("#notion-status-now", "In Voting").await;
    assert!(desired.contains("written at the next sync"), "{desired}");
    assert_eq!(env.text("#notion-results-current").await, "Empty");
    env.wait_text("#notion-last-sync", "Never").await;
    assert_eq!(env.text("#notion-next-attempt").await, "");
    assert_eq!(voting_status(&env, demo::BOARD_PRESIDENT), "Not started");
    env.scroll_to("#notion").await;
    env.screenshot("manage-linked").await;

    // The list says what Notion shows, and what the next sync changes it to.
    env.open("/ui/").await;
    let cell = format!("tr[data-election-id='{id}'] td[data-label='Notion status']");
    let pending = env
        .wait_text(&cell, "Not started → In Voting (next sync)")
        .await;
    assert!(!pending.contains("Status:"), "{pending}");
    env.screenshot("list-pending").await;
    env.assert_fits_width(390).await;
    env.screenshot("list-pending-phone").await;
    env.browser
        .set_window_size(1280, 900)
        .await
        .expect("resize");
    open_manage_page(&env, &id, "Board President").await;
    env.wait_text("#notion-page", "Board President 2026").await;

    // Sync: the open election's status reaches Notion, and the page says what was written.
    env.click("#sync-button").await;
    env.wait_text("#notion-status", "Synced with Notion").await;
    env.wait_text("#written-status", "In Voting").await;
    let results_link = env.text("#written-results-link").await;
    assert!(
        results_link.contains(&format!("/e/{id}/results")),
        "{results_link}"
    );
    assert_eq!(voting_status(&env, demo::BOARD_PRESIDENT), "In Voting");
    let url = env
        .emulator
        .page_property(demo::BOARD_PRESIDENT, "Results Link")
        .unwrap();
    assert!(
        url["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/e/{id}/results")),
        "{url}"
    );
    env.wait_js(
        "the last sync time is shown",
        "return !['Never', '–'].includes(document.getElementById('notion-last-sync').innerText);",
    )
    .await;
    assert_eq!(env.text("#notion-last-error").await, "None");
    // Notion now shows what the sync wants, and the results link as written.
    env.wait_text("#notion-status-current", "In Voting").await;
    let desired = env.text("#notion-status-now").await;
    assert_eq!(desired, "In Voting");
    let observed_link = env.text("#notion-results-current").await;
    assert!(
        observed_link.ends_with(&format!("/e/{id}/results")),
        "{observed_link}"
    );
    env.scroll_to("#notion").await;
    env.screenshot("after-sync").await;
    env.open("/ui/").await;
    let matched = env.wait_text(&cell, "In Voting").await;
    assert!(!matched.contains('→'), "{matched}");
    open_manage_page(&env, &id, "Board President").await;
    env.wait_text("#notion-page", "Board President 2026").await;

    // Unlink asks first; keeping the link changes nothing.
    env.click("#unlink-button").await;
    env.wait_js(
        "the dialog is open",
        "return document.getElementById('unlink-dialog').open;",
    )
    .await;
    let question = env.text("#unlink-dialog").await;
    assert!(question.contains("Board President 2026"), "{question}");
    env.screenshot("unlink-dialog").await;
    env.click("#cancel-unlink").await;
    env.wait_js(
        "the dialog is closed",
        "return !document.getElementById('unlink-dialog').open;",
    )
    .await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    assert_eq!(
        election["election"]["notion_page_id"],
        demo::BOARD_PRESIDENT.to_string()
    );

    env.click("#unlink-button").await;
    env.wait_js(
        "the dialog is open",
        "return document.getElementById('unlink-dialog').open;",
    )
    .await;
    env.click("#confirm-unlink").await;
    env.wait_text("#notion-status", "Unlinked from Notion")
        .await;
    env.wait_text("#notion-page", "Not linked").await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    assert_eq!(
        election["election"]["notion_page_id"],
        Value::Null,
        "{election}"
    );
    // Unlinking never touches the page.
    assert_eq!(voting_status(&env, demo::BOARD_PRESIDENT), "In Voting");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_results_pages_through_a_long_search() {
    let env = Env::start("notion-more").await;
    for n in 1..=25 {
        env.emulator
            .create_page_as_user(demo::ELECTIONS_DS, json!({"Name": {"title": [{"text": {"content": format!("Ward {n:02} council seat")}}]}}))
            .expect("page created");
    }
    let id = env.create_election("Ward elections", OPEN.0, OPEN.1).await;
    env.sign_in().await;
    open_manage_page(&env, &id, "Ward elections").await;
    env.click("#open-link-form").await;
    env.wait_text("#database", "Legacy Elections").await;
    // The query typed first, then the database: one search, for "ward" (typing after choosing
    // would race the unfiltered listing that choosing the database starts).
    env.type_into("#page-search", "ward").await;
    env.wait_text("#search-status", "Choose a database").await;
    env.find("#database")
        .await
        .select_by_label("Elections")
        .await
        .expect("select");
    env.wait_text("#search-status", "20 pages so far").await;
    let more = env.find("#more-results").await;
    assert!(more.is_displayed().await.unwrap());
    more.click().await.unwrap();
    env.wait_text("#search-status", "25 pages").await;
    env.wait_js(
        "\"More results\" disappears on the last page",
        "return document.getElementById('more-results').hidden &&
                document.querySelectorAll('#page-results li').length === 25;",
    )
    .await;
    choose_result(&env, "Ward 25 council seat").await;
    env.wait_text("#validation", "can be linked").await;
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notion_failures_are_shown_with_what_to_do() {
    let env = Env::start("notion-failing").await;
    let id = env.create_election("Budget vote", OPEN.0, OPEN.1).await;
    env.api(
        Method::POST,
        &format!("/admin/elections/{id}/notion/link"),
        Some(json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": demo::BUDGET_REFERENDUM.to_string()})),
    )
    .await;
    env.sign_in().await;
    open_manage_page(&env, &id, "Budget vote").await;
    env.wait_text("#notion-page", "Budget Referendum").await;

    // Notion answers 503 to every page write: the sync fails, the page says so and what to do.
    env.emulator.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        kind: Fault::Status(503),
        ..FaultRule::default()
    });
    env.emulator
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Voting Status": {"status": {"name": "Done"}}}),
        )
        .expect("edited in Notion");
    env.click("#sync-button").await;
    let alert = env.wait_text("#notion-alert", "The sync failed").await;
    assert!(alert.contains("retries"), "{alert}");
    env.wait_js(
        "the last error is shown",
        "return document.getElementById('notion-last-error').innerText !== 'None';",
    )
    .await;
    let advice = env.wait_text("#notion-error-help", "What to do").await;
    assert!(advice.contains("Sync with Notion"), "{advice}");
    // The sync read the edit made in Notion before its write failed: the page shows "Done", the
    // open election wants "In Voting", and the scheduled sync's next attempt is named.
    let current = env.wait_text("#notion-status-current", "Done").await;
    assert!(current.contains("as of"), "{current}");
    let desired = env.text("#notion-status-now").await;
    assert!(
        desired.contains("In Voting") && desired.contains("written at the next sync"),
        "{desired}"
    );
    let next = env.wait_text("#notion-next-attempt", "Next attempt").await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    assert!(
        election["election"]["notion_next_attempt_at"].is_string(),
        "{election}"
    );
    assert!(next.chars().any(|c| c.is_ascii_digit()), "a time: {next}");
    env.scroll_to("#notion").await;
    env.screenshot("sync-failed").await;

    // Searching while Notion's queries fail says so in the form.
    env.emulator.set_fault(FaultRule {
        route: Some("POST /v1/data_sources/{data_source_id}/query".into()),
        kind: Fault::Status(503),
        ..FaultRule::default()
    });
    env.click("#open-link-form").await;
    let search = env.wait_text("#search-status", "Search failed").await;
    assert!(search.contains("Notion"), "{search}");

    // The list flags the election too.
    env.open("/ui/").await;
    let row = env.wait_text("#elections-table", "Sync error").await;
    let cell = format!("tr[data-election-id='{id}'] td[data-label='Notion status']");
    let status = env.text(&cell).await;
    assert_eq!(status, "Done → In Voting (next sync)", "{row}");
    env.screenshot("list-with-error").await;

    // Notion recovers: the next sync clears the error.
    env.emulator.clear_faults();
    open_manage_page(&env, &id, "Budget").await;
    env.click("#sync-button").await;
    env.wait_text("#notion-status", "Synced with Notion").await;
    env.wait_text("#notion-last-error", "None").await;
    env.wait_text("#notion-status-current", "In Voting").await;
    assert_eq!(env.text("#notion-next-attempt").await, "");
    assert_eq!(voting_status(&env, demo::BUDGET_REFERENDUM), "In Voting");
    env.finish().await;
}
