//! `GET /admin/elections/{id}/activity` (an election's activity log) and `GET /admin/changes`
//! (the long poll the admin pages update themselves with).

use notion_emulator::demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error, send};

/// An open election linked to the demo's "Board President 2026" page.
async fn linked_election(t: &TestServer) -> String {
    let election = t
        .create_election("Board", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let id = election["id"].as_str().unwrap().to_owned();
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": demo::BOARD_PRESIDENT.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

async fn sync(t: &TestServer, id: &str) {
    let (status, body) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn change<'a>(entry: &'a Value, field: &str) -> &'a Value {
    entry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
        .unwrap_or_else(|| panic!("no {field} change in {entry}"))
}

#[tokio::test]
async fn the_activity_lists_writes_and_pulls_newest_first_with_before_and_after_and_pages() {
    let t = TestServer::start().await;
    let id = linked_election(&t).await;
    let path = format!("/admin/elections/{id}/activity");

    // Nothing synced yet: an empty log, not a 404 (the election exists).
    let (status, body) = t.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"success": true, "entries": [], "next_cursor": null})
    );

    // First sync: the status and results link are written, the title pulled from the page.
    sync(&t, &id).await;
    // Someone edits the title in Notion; the next sync pulls it.
    t.emulator
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Name": {"title": [{"text": {"content": "Board President 2027"}}]}}),
        )
        .unwrap();
    sync(&t, &id).await;
    // And a sync with nothing to do.
    sync(&t, &id).await;

    let (status, body) = t.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().unwrap();
    let actions: Vec<_> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // A sync that writes and pulls logs both, the write first.
    assert_eq!(
        actions,
        ["no_change", "pulled", "pulled", "wrote"],
        "{body}"
    );
    assert!(entries.iter().all(|e| e["trigger"] == "manual"), "{body}");
    assert!(
        entries
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() > w[1]["seq"].as_i64()),
        "{body}"
    );

    let wrote = &entries[3];
    assert_eq!(wrote["page_id"], demo::BOARD_PRESIDENT.to_string());
    let status_change = change(wrote, "status");
    assert_eq!(status_change["property"], "Voting Status");
    assert_eq!(status_change["before"], "Not started");
    assert_eq!(status_change["after"], "In Voting");
    let results = change(wrote, "results_link");
    assert_eq!(results["before"], Value::Null);
    assert_eq!(
        results["after"],
        format!("http://localhost:8080/e/{id}/results")
    );
    // The write shows what went to the page; its pull, logged next, what came back.
    assert_eq!(wrote["changes"].as_array().unwrap().len(), 2, "{wrote}");
    assert_eq!(change(&entries[2], "title")["before"], "Board");
    assert_eq!(
        change(&entries[2], "title")["after"],
        "Board President 2026"
    );
    assert_eq!(change(&entries[2], "description")["before"], "");

    let pulled = &entries[1];
    assert_eq!(pulled["changes"].as_array().unwrap().len(), 1, "{pulled}");
    assert_eq!(change(pulled, "title")["before"], "Board President 2026");
    assert_eq!(change(pulled, "title")["after"], "Board President 2027");
    assert_eq!(entries[0]["changes"], json!([]));

    // Each entry names its run, which the run history answers.
    let run = wrote["run_id"].as_str().unwrap();
    let (status, _) = t.get(&format!("/admin/sync/runs/{run}")).await;
    assert_eq!(status, StatusCode::OK);

    // Paging: one at a time, newest first, through next_cursor.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("{path}?limit=1&cursor={c}"),
            None => format!("{path}?limit=1"),
        };
        let (status, page) = t.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["entries"].as_array().unwrap().len(), 1, "{page}");
        seen.push(page["entries"][0]["action"].as_str().unwrap().to_owned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, actions);
}

#[tokio::test]
async fn the_activity_refuses_bad_input_with_what_to_fix() {
    let t = TestServer::start().await;
    let id = linked_election(&t).await;

    let (status, body) = t.get("/admin/elections/elec_nope/activity").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "not_found");

    let (status, body) = t.get("/admin/elections/bad%20id/activity").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(assert_error(&body, "invalid_input")["field"], "id");

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("cursor=zz", "cursor"),
    ] {
        let (status, body) = t
            .get(&format!("/admin/elections/{id}/activity?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(
            assert_error(&body, "invalid_input")["field"],
            field,
            "{body}"
        );
    }

    let (status, _) = send(
        t.http
            .get(t.url(&format!("/admin/elections/{id}/activity"))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changes_answers_at_once_when_the_token_differs_and_waits_until_something_changes() {
    let t = TestServer::start().await;

    let (status, first) = t.get("/admin/changes").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["success"], true);
    assert_eq!(first["changed"], true);
    let token = first["token"].as_str().unwrap().to_owned();

    // Nothing changed: with timeout=0 the answer comes at once, unchanged.
    let (status, same) = t
        .get(&format!("/admin/changes?since={token}&timeout=0"))
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["changed"], false);
    assert_eq!(same["token"], token);

    // A waiting poll is answered by the change (here: an election created while it waits).
    let waiting = send(t.request(
        reqwest::Method::GET,
        &format!("/admin/changes?since={token}"),
    ));
    let create = async {
        // Let the poll start waiting first; whether it did or not, the answer must say "changed".
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        t.create_election("Live", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
            .await
    };
    let ((status, answer), _) = tokio::join!(waiting, create);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["changed"], true, "{answer}");
    assert_ne!(answer["token"], token);

    for (query, field) in [
        ("since=not-a-token", "since"),
        ("since=1.2.3&timeout=26", "timeout"),
        ("timeout=-1", "timeout"),
    ] {
        let (status, body) = t.get(&format!("/admin/changes?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(
            assert_error(&body, "invalid_input")["field"],
            field,
            "{body}"
        );
    }
    let (status, _) = send(t.http.get(t.url("/admin/changes"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
