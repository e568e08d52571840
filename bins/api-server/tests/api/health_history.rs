//! `GET /admin/sync/health/history`: the run history the sync health charts draw, from real syncs
//! against the emulator (a scheduled cycle writing a phase change, a manual sync pulling an edit,
//! one failing) and from runs seeded in the server's store file.

use jiff::{SignedDuration, Timestamp};
use notion_emulator::{Fault, FaultRule, demo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::{LogAction, NewLogEntry, RunCounts, SqliteStore};
use sync_driver::CycleOptions;
use sync_engine::{ElectionId, Trigger};

use crate::support::{TestServer, assert_error, send};

fn instant(value: &Value) -> Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("an instant: {value}"))
        .parse()
        .expect("RFC 3339")
}

fn runner(t: &TestServer) -> sync_driver::SyncDriver {
    let store = std::sync::Arc::new(SqliteStore::open(t.db_path()).expect("store opens"));
    let notion = notion_client::NotionClient::builder()
        .token(notion_client::SecretString::from(demo::TOKEN))
        .base_url(t.emulator.base_url())
        .max_requests_per_second(500.0)
        .build()
        .expect("client");
    let allowlist = sync_driver::Allowlist::parse(&crate::support::allowlist()).expect("allowlist");
    sync_driver::SyncDriver::new(
        store,
        notion,
        sync_driver::DriverConfig::new("http://localhost:8080", allowlist),
    )
}

/// A finished run at `at` with `requests` Notion requests, its log and its cycle error.
fn seed_run(
    store: &SqliteStore,
    at: Timestamp,
    requests: u64,
    logs: &[NewLogEntry],
    error: Option<&str>,
) {
    let run = store.start_run(Trigger::Scheduled, "seed", at).unwrap();
    store.append_logs(run.id, logs).unwrap();
    let counts = RunCounts {
        notion_requests: requests,
        failed: logs.len() as u64,
        ..RunCounts::default()
    };
    store.finish_run(run.id, &counts, error, at).unwrap();
}

#[tokio::test]
async fn the_history_charts_requests_against_the_budget_latency_and_failures_by_kind() {
    let t = TestServer::start().await;

    // Nothing ran yet: idle, with empty series.
    let (status, empty) = t.get("/admin/sync/health/history").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["success"], true);
    assert_eq!(empty["hours"], 6);
    assert_eq!(empty["summary"]["status"], "idle");
    assert_eq!(empty["minutes"], json!([]));
    assert_eq!(empty["failures"], json!([]));
    assert_eq!(empty["latency"]["phase_to_notion"], json!([]));
    assert_eq!(
        empty["summary"]["median_phase_to_notion_seconds"],
        Value::Null
    );
    // The server paces Notion at 500 requests per second (--max-rps): 30,000 a minute.
    assert_eq!(empty["budget_per_minute"], 30000.0);
    let window = instant(&empty["until"]).duration_since(instant(&empty["since"]));
    assert_eq!(window, SignedDuration::from_hours(6));

    // An election opening two seconds from now, linked while upcoming (a manual write of "Not
    // started": not a phase change).
    let open_at = Timestamp::now() + SignedDuration::from_secs(2);
    let open_text = open_at.to_string();
    let close_text = (open_at + SignedDuration::from_hours(1)).to_string();
    let election = t
        .create_election("Board President", &open_text, &close_text)
        .await;
    let id = election["id"].as_str().unwrap().to_owned();
    let open_at = instant(&election["open_at"]);
    let path = format!("/admin/elections/{id}");
    let (status, body) = t
        .post(
            &format!("{path}/notion/link"),
            json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": demo::BOARD_PRESIDENT.to_string()}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    // Once it is open, the sync-runner's scheduled cycle writes "In Voting".
    while Timestamp::now() < open_at {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let cycle = runner(&t)
        .run_cycle(Timestamp::now(), CycleOptions::scheduled())
        .await
        .expect("cycle");
    assert_eq!(cycle.counts.written, 1, "{cycle:?}");

    // The title is edited in Notion; a manual sync pulls it.
    t.emulator
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Name": {"title": [{"text": {"content": "Board President (edited)"}}]}}),
        )
        .unwrap();
    let (status, body) = t.post(&format!("{path}/notion/sync"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["election"]["title"], "Board President (edited)");

    // Someone sets the status back and Notion refuses the fix: a `server` failure.
    t.emulator
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Voting Status": {"status": {"name": "Not started"}}}),
        )
        .unwrap();
    t.emulator.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        kind: Fault::Status(500),
        ..FaultRule::default()
    });
    let (status, _) = t.post(&format!("{path}/notion/sync"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    t.emulator.clear_faults();

    // Older runs, seeded in the store: a busy minute two hours ago with a rate-limited election,
    // and a run three hours ago that failed as a whole.
    let store = SqliteStore::open(t.db_path()).unwrap();
    let now = Timestamp::now();
    let busy = now - SignedDuration::from_hours(2);
    let busy_minute = Timestamp::from_millisecond(busy.as_millisecond() / 60_000 * 60_000).unwrap();
    let rate_limited = NewLogEntry {
        at: busy,
        election_id: Some(ElectionId::parse(id.clone()).unwrap()),
        page_id: Some(demo::BOARD_PRESIDENT.to_string()),
        action: LogAction::Failed,
        detail: Some(
            json!({"kind": "rate_limited", "status": 429, "code": "rate_limited", "message": "slow down"}),
        ),
        error: Some("Notion rate limit reached".into()),
    };
    seed_run(&store, busy, 42, &[rate_limited], None);
    seed_run(
        &store,
        now - SignedDuration::from_hours(3),
        1,
        &[],
        Some("the database could not be queried"),
    );
    // And one outside the window, seven hours ago.
    seed_run(&store, now - SignedDuration::from_hours(7), 99, &[], None);

    let (status, history) = t.get("/admin/sync/health/history").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let summary = &history["summary"];
    assert_eq!(summary["status"], "failing", "{history}");
    assert_eq!(summary["failures"], 3, "{history}");
    assert_eq!(summary["peak_requests_per_minute"], 42, "{history}");

    // Requests per minute: the seeded busy minute on its own, and every minute's requests add up
    // to the total; the run seven hours ago is not counted.
    let minutes = history["minutes"].as_array().unwrap();
    let busy_entry = minutes
        .iter()
        .find(|m| instant(&m["minute"]) == busy_minute)
        .unwrap_or_else(|| panic!("no minute {busy_minute}: {history}"));
    assert_eq!(busy_entry["notion_requests"], 42);
    assert_eq!(busy_entry["runs"], 1);
    let total: u64 = minutes
        .iter()
        .map(|m| m["notion_requests"].as_u64().unwrap())
        .sum();
    assert_eq!(summary["notion_requests"], total);
    assert!((43..99).contains(&total), "{total}");
    assert!(minutes.iter().all(|m| m["notion_requests"] != 99));

    // Failures by kind, most frequent first among equals by name, each in its minute.
    let mut kinds: Vec<&str> = history["failure_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["cycle", "rate_limited", "server"], "{history}");
    let failures = history["failures"].as_array().unwrap();
    let busy_failures = failures
        .iter()
        .find(|m| instant(&m["minute"]) == busy_minute)
        .expect("the rate-limited minute");
    assert_eq!(busy_failures["by_kind"], json!({"rate_limited": 1}));
    assert_eq!(busy_failures["total"], 1);
    let per_minute: u64 = failures.iter().map(|m| m["total"].as_u64().unwrap()).sum();
    assert_eq!(per_minute, 3);

    // Phase change → Notion: one sample, the scheduled write after open_at (not the link's).
    let phase = history["latency"]["phase_to_notion"].as_array().unwrap();
    assert_eq!(phase.len(), 1, "{history}");
    assert_eq!(phase[0]["election_id"], id.as_str());
    let wrote_at = instant(&phase[0]["at"]);
    let seconds = phase[0]["seconds"].as_f64().unwrap();
    assert_eq!(
        wrote_at.as_millisecond() - (seconds * 1000.0).round() as i64,
        open_at.as_millisecond(),
        "the sample is the write's time minus open_at"
    );
    assert_eq!(summary["median_phase_to_notion_seconds"], seconds);

    // Edit → app: the manual sync that pulled the title, after the page's last edit; not the
    // cycle's first read of the page, which pulled a title edited months ago.
    let edits = history["latency"]["edit_to_app"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{history}");
    assert_eq!(edits[0]["election_id"], id.as_str());
    let edited = instant(&t.emulator.page(demo::BOARD_PRESIDENT).unwrap()["last_edited_time"]);
    assert!(edits[0]["seconds"].as_f64().unwrap() >= 0.0);
    assert!(instant(&edits[0]["at"]) >= edited || edits[0]["seconds"] == 0.0);

    // One hour back: only today's syncs, no seeded runs.
    let (status, recent) = t.get("/admin/sync/health/history?hours=1").await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    assert_eq!(recent["hours"], 1);
    assert_eq!(recent["failure_kinds"], json!(["server"]), "{recent}");
    assert!(
        recent["summary"]["peak_requests_per_minute"]
            .as_u64()
            .unwrap()
            < 42
    );

    // Out of range or not a number: a 400 naming `hours` and its range.
    for bad in ["0", "49", "six", "", "1.5", "-3"] {
        let (status, body) = t
            .get(&format!("/admin/sync/health/history?hours={bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        let error = assert_error(&body, "invalid_input");
        assert_eq!(error["field"], "hours", "{body}");
        assert!(
            error["message"].as_str().unwrap().contains("from 1 to 48"),
            "{body}"
        );
    }

    // Admin only.
    let (status, _) = send(
        t.http
            .request(Method::GET, t.url("/admin/sync/health/history")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
