//! Every instant the API returns reads the same way: RFC 3339 in UTC with exactly millisecond
//! precision, `2026-11-21T10:29:21.250Z`, whatever precision the store or Notion holds.

use std::collections::BTreeSet;

use notion_emulator::{Fault, FaultRule, demo};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestServer;

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, exactly.
fn is_millisecond_utc(text: &str) -> bool {
    let pattern = b"dddd-dd-ddTdd:dd:dd.dddZ";
    text.len() == pattern.len()
        && text.bytes().zip(pattern).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            p => c == *p,
        })
        && text.parse::<jiff::Timestamp>().is_ok()
}

/// Checks every instant field (`at` and `*_at`) of `value`, recording the names of the non-null
/// ones in `seen`. A run log's `detail` is the driver's own JSON, passed through as stored.
fn check_instants(value: &Value, path: &str, seen: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                let here = format!("{path}.{key}");
                if key == "detail" {
                    continue;
                }
                if key == "at" || key.ends_with("_at") {
                    match field {
                        Value::Null => {}
                        Value::String(text) => {
                            assert!(is_millisecond_utc(text), "{here} = {text:?}");
                            seen.insert(key.clone());
                        }
                        other => panic!("{here} is not an instant: {other}"),
                    }
                } else {
                    check_instants(field, &here, seen);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_instants(item, &format!("{path}[{i}]"), seen);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_instant_in_responses_has_millisecond_precision_in_utc() {
    let t = TestServer::start().await;
    let mut bodies: Vec<(String, Value)> = Vec::new();
    let db = demo::ELECTIONS_DB.to_string();

    // Open (synced), closed (Done written) and failing (a retry time) elections.
    let mut ids = Vec::new();
    for (title, open_at, close_at, page) in [
        (
            "Open",
            "2020-01-01T00:00:00.123456789Z",
            "2099-01-01T00:00:00+02:00",
            demo::BUDGET_REFERENDUM,
        ),
        (
            "Closed",
            "2020-01-01T00:00:00Z",
            "2021-06-01T12:30:45.5Z",
            demo::AGM_MOTIONS,
        ),
        (
            "Failing",
            "2020-01-01T00:00:00Z",
            "2099-01-01T00:00:00Z",
            demo::BOARD_PRESIDENT,
        ),
    ] {
        let (status, body) = t
            .post(
                "/admin/elections",
                json!({"title": title, "open_at": open_at, "close_at": close_at}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["election"]["id"].as_str().unwrap().to_owned();
        bodies.push((format!("create {title}"), body));
        let (status, body) = t
            .post(
                &format!("/admin/elections/{id}/notion/link"),
                json!({"database_id": db, "page_id": page.to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        bodies.push((format!("link {title}"), body));
        ids.push(id);
    }
    for id in &ids[..2] {
        let (status, body) = t
            .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        bodies.push((format!("sync {id}"), body));
    }
    t.emulator.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        kind: Fault::Status(500),
        ..FaultRule::default()
    });
    let (status, _) = t
        .post(
            &format!("/admin/elections/{}/notion/sync", ids[2]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    t.emulator.clear_faults();

    for path in ["/admin/elections", "/admin/sync/runs", "/readyz"] {
        let (status, body) = t.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        bodies.push((path.to_owned(), body));
    }
    for id in &ids {
        let path = format!("/admin/elections/{id}");
        let (status, body) = t.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        bodies.push((path, body));
    }
    let (_, runs) = t.get("/admin/sync/runs").await;
    for run in runs["runs"].as_array().unwrap() {
        let path = format!("/admin/sync/runs/{}", run["id"].as_str().unwrap());
        let (status, body) = t.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        bodies.push((path, body));
    }

    let mut seen = BTreeSet::new();
    for (what, body) in &bodies {
        check_instants(body, what, &mut seen);
    }
    let expected = [
        "at",
        "close_at",
        "created_at",
        "finished_at",
        "last_run_finished_at",
        "last_successful_sync_at",
        "notion_done_set_at",
        "notion_last_sync_at",
        "notion_next_attempt_at",
        "notion_observed_at",
        "open_at",
        "started_at",
        "updated_at",
    ];
    assert_eq!(
        seen.iter().map(String::as_str).collect::<Vec<_>>(),
        expected,
        "every kind of instant was checked"
    );
    let open = &bodies[0].1["election"];
    assert_eq!(open["open_at"], "2020-01-01T00:00:00.123Z");
    assert_eq!(open["close_at"], "2098-12-31T22:00:00.000Z");
}
