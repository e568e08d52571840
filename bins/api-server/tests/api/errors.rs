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
    // serde reads a struct from an array of its fields; the API takes objects only.
    let (status, body) = send(raw(
        r#"["Board", null, 1772355600, 1772960400]"#,
        "application/json",
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        assert_error(&body, "invalid_input")["message"]
            .as_str()
            .unwrap()
            .contains("must be a JSON object")
    );
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
    for query in ["limit=0", "limit=201", "limit=ten", "limit=-1", "limit="] {
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

#[tokio::test]
async fn a_documented_path_with_another_method_is_405_with_allow() {
    let t = TestServer::start().await;
    for (method, path, allow) in [
        (Method::PUT, "/admin/elections", "GET, POST"),
        (
            Method::TRACE,
            "/admin/elections/elec_x",
            "GET, DELETE, PATCH",
        ),
        (Method::POST, "/admin/sync/runs", "GET"),
        (Method::DELETE, "/healthz", "GET"),
    ] {
        let response = t
            .request(method.clone(), path)
            .send()
            .await
            .expect("request sent");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_error(&body, "method_not_allowed");
    }
    let (status, body) = t.call(Method::PUT, "/admin/nowhere", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "not_found");
}

#[tokio::test]
async fn instants_are_rfc_3339_or_whole_unix_seconds_from_year_0000() {
    let t = TestServer::start().await;
    let create = |open_at: serde_json::Value| {
        t.post(
            "/admin/elections",
            json!({"title": "Board", "open_at": open_at, "close_at": "2030-01-01T00:00:00Z"}),
        )
    };
    for accepted in [
        json!(1_772_355_600),
        json!(1_772_355_600.0),
        json!("0000-01-01T00:00:00Z"),
        json!(-62_167_219_200_i64),
    ] {
        let (status, body) = create(accepted.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{accepted}: {body}");
    }
    let (_, body) = create(json!(1_772_355_600.0)).await;
    assert_eq!(body["election"]["open_at"], "2026-03-01T09:00:00.000Z");
    for refused in [
        json!(1.5),
        json!(-62_167_219_201_i64),
        json!("0000-01-01T00:00:00+01:00"),
        json!("-000001-06-01T00:00:00Z"),
        json!(1e300),
        json!("2026-03-01"),
    ] {
        let (status, body) = create(refused.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}: {body}");
        assert_eq!(
            assert_error(&body, "invalid_input")["field"],
            "open_at",
            "{refused}"
        );
    }
}

#[tokio::test]
async fn unknown_body_fields_are_refused_as_the_schema_says() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/admin/elections",
            json!({"title": "Board", "open_at": 0, "close_at": 1, "colour": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(assert_error(&body, "invalid_input")["field"], "colour");
    let election = t
        .create_election("Board", "2026-03-01T09:00:00Z", "2026-03-08T09:00:00Z")
        .await;
    let id = election["id"].as_str().unwrap();
    // The link body documents `notion_status_value_done`, and only that name.
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({
                "database_id": "d0000000-0000-4000-8000-000000000001",
                "page_id": "e0000000-0000-4000-8000-000000000001",
                "status_value_done": "Done",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        assert_error(&body, "invalid_input")["field"],
        "status_value_done"
    );
}
