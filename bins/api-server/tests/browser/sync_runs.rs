//! Deleting an election (behind a confirmation that says Notion is not touched), and the sync runs
//! pages: the history, page by page, and one run with its log.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use notion_client::{NotionClient, SecretString};
use notion_emulator::{Fault, FaultRule, demo};
use reqwest::Method;
use serde_json::{Value, json};
use store::{RunCounts, SqliteStore};
use sync_driver::{Allowlist, CycleOptions, DriverConfig, SyncDriver};
use sync_engine::Trigger;

use crate::harness::Env;

const OPEN: (&str, &str) = ("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z");

fn voting_status(env: &Env, page: uuid::Uuid) -> Value {
    env.emulator
        .page_property(page, "Voting Status")
        .expect("the page has a Voting Status")["status"]["name"]
        .clone()
}

async fn link(env: &Env, id: &str, page: uuid::Uuid) {
    env.api(
        Method::POST,
        &format!("/admin/elections/{id}/notion/link"),
        Some(json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": page.to_string()})),
    )
    .await;
}

/// What the sync-runner is: a driver on its own `SqliteStore` over the server's file.
fn runner(env: &Env) -> SyncDriver {
    let store = Arc::new(SqliteStore::open(env.db_path()).expect("store opens"));
    let notion = NotionClient::builder()
        .token(SecretString::from(demo::TOKEN))
        .base_url(env.emulator.base_url())
        .max_requests_per_second(500.0)
        .build()
        .expect("client");
    let allowlist = Allowlist::parse(&format!(
        "{}:Elections,{}:Legacy Elections",
        demo::ELECTIONS_DB,
        demo::LEGACY_DB
    ))
    .expect("allowlist");
    let mut config = DriverConfig::new("https://vote.example.org", allowlist);
    config.holder = "sync-runner:test".into();
    SyncDriver::new(store, notion, config)
}

async fn dialog_open(env: &Env, id: &str, open: bool) {
    let script = format!("return document.getElementById('{id}').open === {open};");
    env.wait_js(&format!("the dialog {id} is open: {open}"), &script)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_election_asks_first_and_never_touches_notion() {
    let env = Env::start("delete").await;
    let id = env.create_election("Board President", OPEN.0, OPEN.1).await;
    link(&env, &id, demo::BOARD_PRESIDENT).await;
    env.api(
        Method::POST,
        &format!("/admin/elections/{id}/notion/sync"),
        None,
    )
    .await;
    assert_eq!(voting_status(&env, demo::BOARD_PRESIDENT), "In Voting");
    env.sign_in().await;
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", "Board President").await;

    // The button asks first; the dialog names the election and says Notion is left alone.
    env.click("#delete-button").await;
    dialog_open(&env, "delete-dialog", true).await;
    let question = env.text("#delete-dialog").await;
    assert!(
        question.contains("\"Board President 2026\""),
        "the title pulled from Notion: {question}"
    );
    assert!(question.contains("never touches Notion"), "{question}");
    let focused = env.js("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, "cancel-delete", "the safe choice has the focus");
    env.screenshot("delete-dialog").await;

    // Keeping it changes nothing, and focus returns to the button.
    env.click("#cancel-delete").await;
    dialog_open(&env, "delete-dialog", false).await;
    let focused = env.js("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, "delete-button");
    env.api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;

    // Escape closes it the same way.
    env.click("#delete-button").await;
    dialog_open(&env, "delete-dialog", true).await;
    env.browser
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E00C}")
        .await
        .unwrap();
    dialog_open(&env, "delete-dialog", false).await;
    env.api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;

    // Confirmed: back to the list, which says what happened; the page in Notion is unchanged.
    env.click("#delete-button").await;
    dialog_open(&env, "delete-dialog", true).await;
    env.click("#confirm-delete").await;
    env.wait_for_path("/ui/").await;
    let flash = env.wait_text("#list-flash", "Deleted").await;
    assert!(flash.contains("\"Board President 2026\""), "{flash}");
    assert!(flash.contains("Notion was not touched"), "{flash}");
    env.wait_text("#list-status", "No elections yet").await;
    env.screenshot("after-delete").await;
    let gone = env
        .http
        .get(env.url(&format!("/admin/elections/{id}")))
        .bearer_auth(crate::harness::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(voting_status(&env, demo::BOARD_PRESIDENT), "In Voting");
    let page = env
        .emulator
        .page_property(demo::BOARD_PRESIDENT, "Results Link");
    assert!(
        page.is_some_and(|p| p["url"].as_str().is_some_and(|u| u.contains(&id))),
        "the results link stays"
    );

    // The flash is shown once.
    env.open("/ui/").await;
    env.wait_text("#list-status", "No elections yet").await;
    assert_eq!(env.text("#list-flash").await, "");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_runs_are_listed_page_by_page_and_each_shows_its_log() {
    let env = Env::start("sync-runs").await;
    let board = env.create_election("Board President", OPEN.0, OPEN.1).await;
    let budget = env.create_election("Budget vote", OPEN.0, OPEN.1).await;
    link(&env, &board, demo::BOARD_PRESIDENT).await;
    link(&env, &budget, demo::BUDGET_REFERENDUM).await;

    // An old history of 55 runs (more than a page), then the runner's cycle, then a manual sync
    // that fails because Notion refuses the write.
    let driver = runner(&env);
    let store = driver.store().clone();
    let two_days_ago = Timestamp::now() - SignedDuration::from_hours(48);
    for i in 0..55 {
        let at = two_days_ago + SignedDuration::from_mins(i);
        let run = store
            .start_run(Trigger::Scheduled, "sync-runner:old", at)
            .await
            .unwrap();
        store
            .finish_run(
                run.id,
                &RunCounts::default(),
                None,
                at + SignedDuration::from_secs(1),
            )
            .await
            .unwrap();
    }
    let cycle = driver
        .run_cycle(Timestamp::now(), CycleOptions::scheduled())
        .await
        .expect("cycle");
    assert_eq!(cycle.counts.written, 2, "{cycle:?}");
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
    let failed = env
        .http
        .post(env.url(&format!("/admin/elections/{budget}/notion/sync")))
        .bearer_auth(crate::harness::TOKEN)
        .send()
        .await
        .unwrap();
    assert!(failed.status().is_server_error(), "{}", failed.status());
    env.emulator.clear_faults();

    env.sign_in().await;
    // The header links to the runs.
    env.click("a[href='/ui/sync/runs']").await;
    env.wait_for_path("/ui/sync/runs").await;
    // By default only the runs with changes: the 55 idle cycles are left out.
    env.wait_text("#runs-status", "2 runs.").await;
    assert_eq!(
        env.js(
            "return document.getElementById('show-idle').checked;",
            vec![]
        )
        .await,
        false
    );
    // "Show idle cycles", from the keyboard: every run, a page at a time.
    env.js("document.getElementById('show-idle').focus();", vec![])
        .await;
    env.browser
        .active_element()
        .await
        .unwrap()
        .send_keys(" ")
        .await
        .unwrap();
    env.wait_text("#runs-status", "50 runs so far").await;
    let rows = env
        .js(
            "return [...document.querySelectorAll('#runs-body tr')].slice(0, 3)
                 .map(r => [...r.children].map(c => c.innerText.trim()));",
            vec![],
        )
        .await;
    let newest = rows[0].as_array().expect("a row");
    assert_eq!(newest[3], "Manual", "{rows}");
    assert_eq!(newest[7], "1", "one election failed: {rows}");
    let cycle_row = rows[1].as_array().expect("a row");
    assert_eq!(cycle_row[3], "Scheduled", "{rows}");
    assert_eq!(cycle_row[5], "2", "two pages written: {rows}");
    assert_eq!(cycle_row[9], "None", "{rows}");
    // Each run's duration, finished_at − started_at: the old runs took a second each.
    for row in [newest, cycle_row] {
        let took = row[2].as_str().expect("text");
        assert!(
            took.ends_with(" ms") || took.ends_with(" s") || took.ends_with(" min"),
            "a duration: {rows}"
        );
    }
    assert_eq!(rows[2][2], "1.0 s", "{rows}");
    env.screenshot("runs-list").await;

    // "Show more runs" fetches the rest, then disappears.
    env.click("#more-runs").await;
    env.wait_text("#runs-status", "57 runs.").await;
    env.wait_js(
        "\"Show more runs\" is hidden on the last page",
        "return document.getElementById('more-runs').hidden;",
    )
    .await;

    // Phone width: rows become cards, nothing scrolls sideways.
    env.assert_fits_width(390).await;
    env.scroll_to("h1").await;
    env.screenshot("runs-list-phone").await;
    env.browser
        .set_window_size(1280, 900)
        .await
        .expect("resize");

    // The cycle's detail: counters and the log, with what was written.
    let cycle_run = cycle.run_id.expect("the cycle's run");
    env.click(&format!("tr[data-run-id='{cycle_run}'] th a"))
        .await;
    env.wait_for_path(&format!("/ui/sync/runs/{cycle_run}"))
        .await;
    env.wait_text("#run-trigger", "Scheduled").await;
    assert_eq!(env.text("#run-holder").await, "sync-runner:test");
    let took = env.text("#run-duration").await;
    assert!(
        took.ends_with(" ms") || took.ends_with(" s") || took.ends_with(" min"),
        "{took}"
    );
    assert_eq!(env.text("#run-written").await, "2");
    assert_eq!(env.text("#run-error").await, "None");
    let log = env.wait_text("#log-status", "oldest first").await;
    assert!(log.contains("entries"), "{log}");
    let entries = env.text("#log-body").await;
    for expected in [
        "Read",
        "Wrote",
        "Voting Status: \"Not started\" → \"In Voting\"",
        &board,
        &budget,
    ] {
        assert!(
            entries.contains(expected),
            "{expected:?} missing: {entries}"
        );
    }
    env.screenshot("run-detail").await;
    env.assert_fits_width(390).await;
    env.scroll_to("#log-heading").await;
    env.screenshot("run-detail-phone").await;
    env.browser
        .set_window_size(1280, 900)
        .await
        .expect("resize");

    // The failed manual sync shows the election's error in its log.
    env.open("/ui/sync/runs").await;
    env.wait_text("#runs-status", "runs").await;
    env.click("#runs-body tr:first-child th a").await;
    env.wait_text("#run-trigger", "Manual").await;
    let failed_log = env.wait_text("#log-body", "Failed").await;
    assert!(failed_log.contains(&budget), "{failed_log}");
    assert!(
        failed_log.contains("Notion had a server error"),
        "{failed_log}"
    );
    env.scroll_to("#log-heading").await;
    env.screenshot("run-detail-failed").await;

    // An unknown run says so; a malformed id is no page at all.
    env.open(&format!("/ui/sync/runs/{}", uuid::Uuid::nil()))
        .await;
    env.wait_text("#page-error", "no such run").await;
    env.open("/ui/sync/runs/not-a-run").await;
    env.wait_text("h1", "Page not found").await;
    env.finish().await;
}
