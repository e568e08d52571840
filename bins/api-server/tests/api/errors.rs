//! Malformed requests: bad JSON, wrong content type, oversized bodies, bad ids and queries.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestServer, assert_error, send};

#[tokio::test]
async fn malformed_bodies_are_400_413_or_415_never_500() {
    let t = TestServer::start().await;
    let raw = |body: &'static str, content_type: &'static str| {
        t.request(Method::POST, "/admin/elections")
            .header("Content-Type", content_type)
            .body(body)
    };
    let (status, body) = send(raw("{\"title\": ", "application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        assert_error(&body, "invalid_input")["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    let (status, body) = send(raw("", "application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_input");
    let (status, body) = send(raw("[1, 2]", "application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = send(raw("{} {}", "application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = send(raw("title=x", "application/x-www-form-urlencoded")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_error(&body, "unsupported_media_type");

    let huge = json!({"title": "x".repeat(70 * 1024), "open_at": 0, "close_at": 1});
    let (status, body) = t.post("/admin/elections", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        assert_error(&body, "payload_too_large")["message"]
            .as_str()
            .unwrap()
            .contains("64 KiB")
    );
}

#[tokio::test]
async fn bad_ids_and_queries_name_the_parameter() {
    let t = TestServer::start().await;
    for path in [
        "/admin/elections/has%20space",
        "/admin/elections/%C3%A9lection",
        &format!("/admin/elections/{}", "x".repeat(101)),
    ] {
        let (status, body) = t.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(assert_error(&body, "invalid_input")["field"], "id");
    }
    for query in ["limit=0", "limit=201", "limit=ten", "limit=-1"] {
        let (status, body) = t.get(&format!("/admin/elections?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(assert_error(&body, "invalid_input")["field"], "limit");
    }
    let (status, body) = t.get("/admin/elections?cursor=zz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "cursor");
    let (status, body) = t.get("/admin/sync/runs/not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "id");
    let (status, body) = t.get("/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}
