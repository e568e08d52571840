//! Every /admin route needs the bearer token.

use reqwest::{Method, StatusCode};

use crate::support::{TestServer, assert_error, send};

const ADMIN_ROUTES: [(&str, &str); 13] = [
    ("POST", "/admin/elections"),
    ("GET", "/admin/elections"),
    ("GET", "/admin/elections/elec_x"),
    ("PATCH", "/admin/elections/elec_x"),
    ("DELETE", "/admin/elections/elec_x"),
    ("GET", "/admin/notion/databases"),
    (
        "GET",
        "/admin/notion/databases/d0000000-0000-4000-8000-000000000001/pages",
    ),
    (
        "GET",
        "/admin/notion/pages/e0000000-0000-4000-8000-000000000001/validate",
    ),
    ("POST", "/admin/elections/elec_x/notion/link"),
    ("DELETE", "/admin/elections/elec_x/notion/link"),
    ("POST", "/admin/elections/elec_x/notion/sync"),
    ("GET", "/admin/sync/runs"),
    (
        "GET",
        "/admin/sync/runs/0196f6a9-c1c9-7d8a-9b3e-2f4a5b6c7d8e",
    ),
];

#[tokio::test]
async fn admin_routes_refuse_missing_or_wrong_tokens() {
    let t = TestServer::start().await;
    for (method, path) in ADMIN_ROUTES {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for auth in [None, Some("Bearer wrong-token"), Some("Basic dGVzdDp0ZXN0")] {
            let mut request = t.http.request(method.clone(), t.url(path));
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            let (status, body) = send(request.json(&serde_json::json!({}))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} {auth:?}");
            let error = assert_error(&body, "unauthorized");
            assert!(
                !error.to_string().contains(crate::support::TOKEN),
                "the token must never be echoed"
            );
        }
    }
    // Public routes need no token.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let response = t.http.get(t.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // With the token, an unknown admin route is a JSON 404.
    let (status, body) = t.get("/admin/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}
