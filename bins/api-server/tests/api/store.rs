//! What clients see when the store cannot take writes: another process holds SQLite's write lock,
//! or the store file was deleted while the server ran.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error, send};

fn election() -> Value {
    json!({"title": "Board", "open_at": "2026-03-01T09:00:00Z", "close_at": "2026-03-08T09:00:00Z"})
}

/// `/readyz` without the token, as a load balancer asks it.
async fn readyz(t: &TestServer) -> (StatusCode, Value, Option<String>) {
    let response = t.http.get(t.url("/readyz")).send().await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, retry_after)
}

/// Asserts a 503 `store_unavailable` with a `Retry-After` of whole seconds above zero.
fn assert_store_unavailable(status: StatusCode, body: &Value, retry_after: Option<&str>) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let error = assert_error(body, "store_unavailable");
    let seconds: u64 = retry_after
        .unwrap_or_else(|| panic!("no Retry-After: {body}"))
        .parse()
        .unwrap();
    assert!(seconds > 0, "{seconds}");
    assert_eq!(error["retry_after"], seconds, "{body}");
}

#[tokio::test]
async fn a_held_write_lock_is_a_503_for_writes_while_reads_go_on() {
    let t = TestServer::start().await;
    let (status, _) = t.post("/admin/elections", election()).await;
    assert_eq!(status, StatusCode::CREATED);

    // Another process (here, another connection) takes the write lock and keeps it.
    let other = rusqlite::Connection::open(t.db_path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let response = t
        .request(reqwest::Method::POST, "/admin/elections")
        .json(&election())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap();
    assert_store_unavailable(status, &body, retry_after.as_deref());
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("locked") || message.contains("busy"),
        "{message}"
    );

    // Reads do not wait for the lock: the list, one election, the runs, the pages.
    let (status, list) = t.get("/admin/elections").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["elections"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
    let (status, _) = t.get("/admin/sync/runs").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(t.http.get(t.url("/healthz"))).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body, retry_after) = readyz(&t).await;
    assert_store_unavailable(status, &body, retry_after.as_deref());

    other.execute_batch("ROLLBACK").unwrap();
    let (status, body, _) = readyz(&t).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.post("/admin/elections", election()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_deleted_store_file_makes_the_server_unready_and_refuses_writes() {
    let t = TestServer::start().await;
    let (status, _) = t.post("/admin/elections", election()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = readyz(&t).await;
    assert_eq!(status, StatusCode::OK);

    let db = t.db_path();
    std::fs::remove_file(&db).unwrap();

    let (status, body, retry_after) = readyz(&t).await;
    assert_store_unavailable(status, &body, retry_after.as_deref());
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("deleted or replaced"), "{message}");
    assert!(message.contains(db.to_str().unwrap()), "{message}");

    let (status, body) = t.post("/admin/elections", election()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "store_unavailable");
    assert!(!db.exists(), "no new, empty store was created in its place");

    // A new file at the path is not the store the server opened: still unready.
    std::fs::write(&db, b"").unwrap();
    let (status, body, _) = readyz(&t).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}
