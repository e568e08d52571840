//! The sync health page: its "no runs" state, then three charts drawn from a history seeded in
//! the server's store file (requests per minute against the budget, latency dots with their
//! medians, failures stacked by kind) and the summary line, at desktop and phone widths.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use store::{LogAction, NewLogEntry, RunCounts, SqliteStore};
use sync_engine::{ElectionId, Trigger};

use crate::harness::Env;

/// A sync plan as the driver logs it, with what the health history reads from it.
fn plan(trigger: &str, phase: &str, status: Option<&str>, edited: Option<Timestamp>) -> Value {
    json!({
        "trigger": trigger,
        "phase": phase,
        "page_write": status.map(|to| json!({"status": {"from": "Not started", "to": to, "property": "Voting Status"}})),
        "election_update": edited.map(|_| json!({"title": {"from": "Old", "to": "New"}})),
        "outcome": {
            "result": {"kind": "synced"},
            "state": {"last_observation": {"last_edited_time": edited.map(|e| e.to_string())}}
        }
    })
}

fn entry(at: Timestamp, election: &str, action: LogAction, detail: Value) -> NewLogEntry {
    NewLogEntry {
        at,
        election_id: Some(ElectionId::parse(election.to_owned()).unwrap()),
        page_id: Some("page".into()),
        action,
        detail: Some(detail),
        error: None,
    }
}

fn run(
    store: &SqliteStore,
    at: Timestamp,
    requests: u64,
    logs: &[NewLogEntry],
    error: Option<&str>,
) {
    let run = store
        .start_run(Trigger::Scheduled, "sync-runner:seed", at)
        .unwrap();
    store.append_logs(run.id, logs).unwrap();
    let counts = RunCounts {
        notion_requests: requests,
        ..RunCounts::default()
    };
    store
        .finish_run(
            run.id,
            &counts,
            error,
            at + SignedDuration::from_millis(300),
        )
        .unwrap();
}

async fn count(env: &Env, css: &str) -> u64 {
    env.js(
        "return document.querySelectorAll(arguments[0]).length;",
        vec![json!(css)],
    )
    .await
    .as_u64()
    .unwrap_or(0)
}

/// The three charts are drawn with their data, each titled and labelled for screen readers, and
/// none is wider than the window.
async fn check_charts(env: &Env, request_minutes: u64) {
    env.wait_js(
        "the three charts are drawn",
        "return ['requests-chart', 'latency-chart', 'failures-chart']
             .every(id => document.getElementById(id));",
    )
    .await;
    assert_eq!(
        count(env, "#requests-chart rect.bar").await,
        request_minutes
    );
    assert_eq!(
        count(env, "#requests-chart line.ref-line").await,
        1,
        "the budget line"
    );
    assert_eq!(
        count(env, "#latency-chart circle.dot").await,
        3,
        "phase changes"
    );
    assert_eq!(count(env, "#latency-chart rect.dot").await, 1, "edits");
    assert_eq!(
        count(env, "#latency-chart line.ref-line").await,
        2,
        "medians"
    );
    assert_eq!(
        count(env, "#failures-chart rect.bar").await,
        3,
        "stacked segments"
    );
    let labelled = env
        .js(
            "return [...document.querySelectorAll('svg.chart')].map(svg => {
                 const ids = svg.getAttribute('aria-labelledby').split(' ');
                 const texts = [...svg.querySelectorAll('text.axis-label')].map(t => t.textContent);
                 return [svg.getAttribute('role'), ...ids.map(id => document.getElementById(id).textContent), ...texts];
             });",
            vec![],
        )
        .await;
    let charts = labelled.as_array().expect("charts");
    assert_eq!(charts.len(), 3, "{labelled}");
    for (chart, title) in charts.iter().zip([
        "Notion requests per minute",
        "Sync latency",
        "Failures by kind",
    ]) {
        assert_eq!(chart[0], "img", "{labelled}");
        assert_eq!(chart[1], title, "{labelled}");
        assert!(
            chart[2].as_str().is_some_and(|d| !d.is_empty()),
            "{labelled}"
        );
        assert_eq!(chart[3], "Time (your time zone)", "{labelled}");
        assert!(
            chart[4].as_str().is_some_and(|y| !y.is_empty()),
            "{labelled}"
        );
    }
    env.wait_js(
        "every chart fits its card and the page fits the window",
        "return document.documentElement.scrollWidth <= window.innerWidth &&
             [...document.querySelectorAll('svg.chart')].every(svg =>
                 svg.getBoundingClientRect().right <= svg.closest('.chart-card').getBoundingClientRect().right);",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_page_charts_the_seeded_history_at_desktop_and_phone_widths() {
    // Paced at 3 requests per second, the budget is 180 a minute.
    let env = Env::start_paced("health", "3").await;
    env.browser
        .set_window_size(1280, 800)
        .await
        .expect("resize");
    env.sign_in().await;

    // Nothing ran yet: the page says so instead of drawing empty charts.
    env.click("a[href='/ui/sync/health']").await;
    env.wait_for_path("/ui/sync/health").await;
    env.wait_text("#health-status", "No sync runs in the last 6 hours")
        .await;
    assert_eq!(count(&env, "svg.chart").await, 0);
    env.screenshot("empty").await;

    // Five hours of cycles every ten minutes, 1 to 5 requests each, and a busy minute of 14.
    let now = Timestamp::now();
    let ago = |mins: i64| now - SignedDuration::from_mins(mins);
    let board = env
        .create_election(
            "Board President",
            &ago(180).to_string(),
            &ago(50).to_string(),
        )
        .await;
    let budget = env
        .create_election("Budget vote", &ago(120).to_string(), "2099-01-01T00:00:00Z")
        .await;
    let store = SqliteStore::open(env.db_path()).expect("store opens");
    for i in 0..30 {
        run(
            &store,
            ago(300 - i * 10) + SignedDuration::from_secs(20),
            1 + (i as u64 % 5),
            &[],
            None,
        );
    }
    run(&store, ago(95), 14, &[], None);

    // The phase changes, written 2.1 s, 1.5 s and 3.4 s after them; an edit pulled 40 s after it.
    let second = |at: Timestamp, s: f64| at + SignedDuration::from_millis((s * 1000.0) as i64);
    let board_open = instant_of(&env, &board, "open_at").await;
    let board_close = instant_of(&env, &board, "close_at").await;
    let budget_open = instant_of(&env, &budget, "open_at").await;
    for (at, election, phase, status) in [
        (second(board_open, 2.1), &board, "open", "In Voting"),
        (second(board_close, 1.5), &board, "closed", "Done"),
        (second(budget_open, 3.4), &budget, "open", "In Voting"),
    ] {
        let log = entry(
            at,
            election,
            LogAction::Wrote,
            plan("scheduled", phase, Some(status), None),
        );
        run(&store, at, 2, &[log], None);
    }
    let edited = ago(90);
    let pull = entry(
        second(edited, 40.0),
        &budget,
        LogAction::Pulled,
        plan("scheduled", "open", None, Some(edited)),
    );
    run(&store, second(edited, 40.0), 1, &[pull], None);

    // Failures: two rate limits in one minute, a server error, and a run that failed as a whole.
    let failed = |at: Timestamp, kind: &str| {
        entry(
            at,
            &budget,
            LogAction::Failed,
            json!({"kind": kind, "status": 429, "code": kind, "message": "from the test"}),
        )
    };
    run(
        &store,
        ago(100),
        3,
        &[
            failed(ago(100), "rate_limited"),
            failed(ago(100), "rate_limited"),
        ],
        None,
    );
    run(&store, ago(30), 1, &[failed(ago(30), "server")], None);
    run(
        &store,
        ago(45),
        1,
        &[],
        Some("the database could not be queried"),
    );

    // Runs close together share a minute: the bars are the minutes the API reports.
    let history = env
        .api(reqwest::Method::GET, "/admin/sync/health/history", None)
        .await;
    let request_minutes = history["minutes"]
        .as_array()
        .expect("minutes")
        .iter()
        .filter(|m| m["notion_requests"].as_u64() > Some(0))
        .count() as u64;
    assert!(request_minutes >= 30, "{history}");

    // No click and no reload: the page follows the store's changes (GET /admin/changes) and
    // redraws once the seeded runs are there (the fourth failure is the last one seeded).
    let expected =
        "Failing: 4 failures, 14 requests/min of 180 budget (busiest minute), median latency 2.1 s";
    let summary = env.wait_text("#health-summary", expected).await;
    assert_eq!(summary, expected);
    check_charts(&env, request_minutes).await;
    let latency = env.text("#latency-summary").await;
    assert!(
        latency.contains("Phase change → Notion: median 2.1 s over 3 changes"),
        "{latency}"
    );
    assert!(latency.contains("median 40 s over 1 edit"), "{latency}");
    let failures = env.text("#failures-summary").await;
    assert!(
        failures.starts_with("4 failures in the last 6 hours: 2 Rate limited by Notion"),
        "{failures}"
    );
    assert!(failures.contains("1 Whole run failed"), "{failures}");
    assert!(failures.contains("1 Notion server error"), "{failures}");
    let requests = env.text("#requests-summary").await;
    assert!(
        requests.starts_with("Busiest minute: 14 requests of a 180 per minute budget (8%)."),
        "{requests}"
    );
    env.screenshot("desktop").await;
    env.scroll_to("#health-summary").await;
    env.screenshot("desktop-requests").await;
    env.scroll_to("#latency-heading").await;
    env.screenshot("desktop-latency-failures").await;

    // Phone width: the charts are drawn again to the narrower width, nothing scrolls sideways.
    env.browser.set_window_size(390, 844).await.expect("resize");
    env.wait_js(
        "the charts are redrawn narrow",
        "const svg = document.getElementById('requests-chart');
         return svg && Number(svg.getAttribute('width')) <= 390;",
    )
    .await;
    check_charts(&env, request_minutes).await;
    env.scroll_to("h1").await;
    env.screenshot("phone").await;
    env.scroll_to("#latency-heading").await;
    env.screenshot("phone-latency").await;
    env.scroll_to("#failures-heading").await;
    env.screenshot("phone-failures").await;

    // The last hour only: the older phase changes and the rate limits drop out.
    env.browser
        .set_window_size(1280, 800)
        .await
        .expect("resize");
    env.js(
        "const s = document.getElementById('health-hours'); s.value = '1'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await;
    env.wait_text("#health-status", "Last 1 hour").await;
    let summary = env.wait_text("#health-summary", "2 failures").await;
    assert!(summary.contains("median latency 1.5 s"), "{summary}");
    assert!(
        env.browser
            .current_url()
            .await
            .unwrap()
            .query()
            .is_some_and(|q| q.contains("hours=1")),
        "the window is kept in the address"
    );
    env.finish().await;
}

/// An instant field of an election, as the API answers it.
async fn instant_of(env: &Env, id: &str, field: &str) -> Timestamp {
    let body = env
        .api(
            reqwest::Method::GET,
            &format!("/admin/elections/{id}"),
            None,
        )
        .await;
    body["election"][field]
        .as_str()
        .expect("an instant")
        .parse()
        .expect("RFC 3339")
}
