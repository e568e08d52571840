//! Live state (the pages follow `GET /admin/changes`), the election's activity log, the election
//! page's wording fixes, and the sync runs page's layout at 1,280 px; with screenshots at phone
//! (390×844) and desktop (1280×800) widths.

use jiff::{SignedDuration, Timestamp};
use notion_emulator::demo;
use reqwest::Method;
use serde_json::{Value, json};
use store::{RunCounts, SqliteStore};
use sync_engine::Trigger;

use crate::harness::Env;

const OPEN: (&str, &str) = ("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z");

async fn link(env: &Env, id: &str, page: uuid::Uuid) {
    env.api(
        Method::POST,
        &format!("/admin/elections/{id}/notion/link"),
        Some(json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": page.to_string()})),
    )
    .await;
}

/// Marks the document: the mark survives only if the page is never reloaded.
async fn mark_document(env: &Env) {
    env.js("window.__sameDocument = true;", vec![]).await;
}

async fn assert_same_document(env: &Env) {
    let same = env
        .js("return window.__sameDocument === true;", vec![])
        .await;
    if same != Value::Bool(true) {
        env.fail("the page was reloaded").await;
    }
}

/// An election that opens `secs` from now and closes an hour later, linked to `page`.
async fn opening_soon(env: &Env, title: &str, secs: i64, page: uuid::Uuid) -> String {
    let open_at = Timestamp::now() + SignedDuration::from_secs(secs);
    let close_at = open_at + SignedDuration::from_hours(1);
    let id = env
        .create_election(title, &open_at.to_string(), &close_at.to_string())
        .await;
    link(env, &id, page).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_election_opening_during_the_test_changes_on_screen_without_a_reload() {
    // The embedded sync loop wakes at each open_at, as the sync-runner does.
    let env = Env::start_with("live", &["--embedded-sync", "--sync-interval", "5s"]).await;
    env.sign_in().await;
    env.wait_text("#live-state", "updates by itself").await;
    mark_document(&env).await;

    // The list: an election created and linked meanwhile appears, then opens, then its page is
    // written "In Voting" by the sync, all in the same document.
    let listed = opening_soon(&env, "Opens soon on the list", 12, demo::BOARD_PRESIDENT).await;
    let row = format!("tr[data-election-id='{listed}']");
    env.wait_text(&row, "Upcoming").await;
    env.wait_text(&row, "Open").await;
    env.wait_text(&row, "In Voting").await;
    assert_same_document(&env).await;
    env.screenshots("elections-list", "h1").await;

    // The election page.
    let id = opening_soon(&env, "Opens soon", 12, demo::BUDGET_REFERENDUM).await;
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", "Opens soon").await;
    env.wait_text("#election-phase", "Upcoming").await;
    mark_document(&env).await;
    env.wait_text("#election-phase", "Open").await;
    env.wait_text("#notion-status-current", "In Voting").await;
    // The activity follows too: the scheduled sync's write, with before → after.
    let activity = env.wait_text("#activity-body", "Scheduled").await;
    assert!(activity.contains("→ \"In Voting\""), "{activity}");
    assert_same_document(&env).await;
    env.screenshots("election-live", "#election-root").await;

    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_election_page_lists_its_activity_page_by_page_and_says_what_a_sync_changed() {
    let env = Env::start("activity").await;
    let id = env.create_election("Board", OPEN.0, OPEN.1).await;
    link(&env, &id, demo::BOARD_PRESIDENT).await;
    env.sign_in().await;
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", "Board").await;
    env.wait_text("#activity-status", "Nothing yet").await;

    // Linked: the button offers to change the page, and the form says what linking replaces.
    env.wait_text("#open-link-form", "Change page").await;
    env.click("#open-link-form").await;
    env.wait_text("#link-form-heading", "Change the linked Notion page")
        .await;
    let note = env.text("#link-replaces").await;
    assert!(
        note.contains("title and") && note.contains("replaced by the page's"),
        "{note}"
    );
    env.click("#cancel-link").await;

    // Times carry seconds (a three-minute election would otherwise read 2:54–2:57).
    let opens = env.text("#election-open").await;
    assert!(
        opens
            .split(|c: char| !c.is_ascii_digit() && c != ':')
            .any(|part| part.matches(':').count() == 2),
        "hours, minutes and seconds: {opens}"
    );

    // The first sync writes the page and pulls the title; the second changes nothing, and says so.
    env.click("#sync-button").await;
    let first = env.wait_text("#notion-status", "Synced with Notion").await;
    assert!(first.contains("title updated from Notion"), "{first}");
    env.wait_text("#election-title", "Board President 2026")
        .await;
    env.wait_js(
        "the sync button is enabled again",
        "return !document.getElementById('sync-button').disabled;",
    )
    .await;
    env.click("#sync-button").await;
    env.wait_text("#notion-status", "everything already matched")
        .await;
    let second = env.text("#notion-status").await;
    assert!(!second.contains("updated from Notion"), "{second}");
    assert_eq!(env.text("#synced-title").await, "unchanged");
    assert_eq!(env.text("#synced-description").await, "unchanged");

    // The activity: newest first, with the trigger and the values before → after.
    let activity = env.wait_text("#activity-status", "3 entries").await;
    assert!(!activity.contains("so far"), "{activity}");
    let rows = env
        .js(
            "return [...document.querySelectorAll('#activity-body tr')]
                 .map(r => [...r.children].map(c => c.innerText.trim()));",
            vec![],
        )
        .await;
    let rows = rows.as_array().expect("rows");
    let actions: Vec<_> = rows.iter().map(|r| r[1].as_str().unwrap()).collect();
    assert_eq!(actions, ["No change", "Pulled", "Wrote"], "{rows:?}");
    assert!(rows.iter().all(|r| r[2] == "Manual"), "{rows:?}");
    let wrote = rows[2][3].as_str().unwrap();
    assert!(
        wrote.contains("Status (Voting Status): \"Not started\" → \"In Voting\""),
        "{wrote}"
    );
    assert!(
        wrote.contains("Results link (Results Link): empty →"),
        "{wrote}"
    );
    let pulled = rows[1][3].as_str().unwrap();
    assert!(
        pulled.contains("Title from Notion: \"Board\" → \"Board President 2026\""),
        "{pulled}"
    );
    env.screenshots("election-activity", "#activity").await;

    // More syncs than a page holds (made elsewhere, through the API): the section updates by
    // itself to the newest 20, and "Older activity" lists the rest.
    for _ in 0..20 {
        env.api(
            Method::POST,
            &format!("/admin/elections/{id}/notion/sync"),
            None,
        )
        .await;
    }
    env.wait_text("#activity-status", "20 entries so far").await;
    env.click("#older-activity").await;
    env.wait_text("#activity-status", "23 entries.").await;
    env.wait_js(
        "\"Older activity\" is hidden on the last page",
        "return document.getElementById('older-activity').hidden;",
    )
    .await;
    let oldest = env
        .js(
            "const rows = document.querySelectorAll('#activity-body tr');
             return rows[rows.length - 1].children[1].innerText.trim();",
            vec![],
        )
        .await;
    assert_eq!(oldest, "Wrote");
    // Each entry links to its run.
    let href = env
        .js(
            "return document.querySelector('#activity-body tr th a').getAttribute('href');",
            vec![],
        )
        .await;
    assert!(
        href.as_str()
            .unwrap_or_default()
            .starts_with("/ui/sync/runs/"),
        "{href}"
    );
    env.screenshots("election-page", "#election-root").await;

    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runs_page_shows_the_whole_error_column_at_1280_and_the_checkbox_beside_its_label() {
    let env = Env::start("runs-layout").await;
    let store = SqliteStore::open(env.db_path()).expect("store opens");
    let now = Timestamp::now();
    let run = store
        .start_run(Trigger::Scheduled, "sync-runner:test", now)
        .unwrap();
    let error = format!(
        "the Notion API could not be reached at https://api.notion.com/v1/data_sources/{}/query after 3 attempts (connection reset by peer); the cycle is retried at the next poll. \
         Check the network between this host and Notion.",
        demo::ELECTIONS_DB.simple()
    );
    store
        .finish_run(run.id, &RunCounts::default(), Some(&error), now)
        .unwrap();

    env.sign_in().await;
    env.browser
        .set_window_size(1280, 800)
        .await
        .expect("resize");
    env.open("/ui/sync/runs").await;
    env.wait_text("#runs-status", "1 run.").await;
    env.wait_text("#runs-body", "connection reset by peer")
        .await;
    let layout = env
        .js(
            "const wrap = document.querySelector('.table-wrap');
             const cell = document.querySelector('#runs-body td.run-error');
             const box = document.getElementById('show-idle').getBoundingClientRect();
             const label = document.querySelector('label[for=show-idle]').getBoundingClientRect();
             return {
               fits: wrap.scrollWidth <= wrap.clientWidth,
               cellInside: cell.getBoundingClientRect().right <= wrap.getBoundingClientRect().right + 0.5,
               sameLine: box.top < label.bottom && label.top < box.bottom,
               boxFirst: box.right <= label.left,
               boxWidth: box.width,
             };",
            vec![],
        )
        .await;
    for key in ["fits", "cellInside", "sameLine", "boxFirst"] {
        if layout[key] != Value::Bool(true) {
            env.fail(&format!("runs page layout: {key} is false in {layout}"))
                .await;
        }
    }
    assert!(layout["boxWidth"].as_f64().unwrap() < 40.0, "{layout}");
    env.screenshots("runs", "h1").await;

    // A run recorded meanwhile (by a sync-runner on the same store) appears by itself.
    mark_document(&env).await;
    let later = Timestamp::now();
    let run = store
        .start_run(Trigger::Manual, "sync-runner:test", later)
        .unwrap();
    let counts = RunCounts {
        written: 1,
        ..RunCounts::default()
    };
    store.finish_run(run.id, &counts, None, later).unwrap();
    env.wait_text("#runs-status", "2 runs.").await;
    env.wait_text("#runs-body", "Manual").await;
    assert_same_document(&env).await;

    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_demo_the_linked_page_opens_in_the_emulators_view_of_it() {
    // The demo's own emulator (not the harness's) holds the demo pages, seeded and linked at start.
    let env = Env::start_with("demo-link", &["--demo"]).await;
    let emulator = env
        .server
        .emulator()
        .expect("the demo runs its own emulator")
        .base_url();
    env.sign_in().await;
    env.open("/ui/elections/elec_demo_treasurer").await;
    env.wait_text("#election-title", "Treasurer By-election")
        .await;
    // Read by script: the demo's sync keeps changing the page, and each live update draws the link
    // anew (an element handle would go stale).
    env.find("#notion-page-link").await;
    let href = env
        .js(
            "return document.getElementById('notion-page-link').getAttribute('href');",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let page = api_server::demo::TREASURER_PAGE;
    assert_eq!(href, format!("{emulator}/__emulator/pages/{page}"));
    let label = env.text("#notion-page").await;
    assert!(label.contains("Treasurer By"), "{label}");
    // The link leads somewhere real: the emulator answers with that page.
    let answer: Value = env
        .http
        .get(&href)
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("a page as JSON");
    assert_eq!(answer["id"], page.to_string(), "{answer}");
    env.screenshots("demo-election", "#notion").await;

    env.finish().await;
}
