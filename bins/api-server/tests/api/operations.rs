//! Health, readiness, metrics, the OpenAPI document and the docs page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestServer;

#[tokio::test]
async fn health_and_readiness() {
    let t = TestServer::start().await;
    let body: Value = t
        .http
        .get(t.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"status": "ok"}));
    let body: Value = t
        .http
        .get(t.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["schema_version"], store::LATEST_SCHEMA_VERSION);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let t = TestServer::start().await;
    t.create_election("M", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let (status, _) = t.get("/admin/elections/elec_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let text = t
        .http
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/admin/elections/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_requests_total{method="POST",route="/admin/elections",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(!text.contains(crate::support::TOKEN));
}

#[tokio::test]
async fn openapi_document_and_offline_docs_page() {
    let t = TestServer::start().await;
    let spec: Value = t
        .http
        .get(t.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for path in [
        "/admin/elections",
        "/admin/elections/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    let page = t.http.get(t.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load from the internet: {html}"
    );
}
