//! Every /admin route needs the bearer token.

use reqwest::{Method, StatusCode};

use crate::support::{TOKEN, TestServer, assert_error, send};

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

/// A client whose connections come from `ip` (any 127.x.y.z reaches the loopback server), so that
/// tests can act as several client addresses.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

#[tokio::test]
async fn admin_routes_refuse_missing_or_wrong_tokens() {
    let t = TestServer::start().await;
    // 13 routes × 2 wrong tokens = 26 guesses from one address: the first 20 are 401, then the
    // address is throttled and every /admin request from it with a token is 429; one without any
    // token is still the plain 401 (it is no guess, and says nothing a guesser could use).
    let mut guesses = 0;
    for (method, path) in ADMIN_ROUTES {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for auth in [None, Some("Bearer wrong-token"), Some("Basic dGVzdDp0ZXN0")] {
            let mut request = t.http.request(method.clone(), t.url(path));
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            let (status, body) = send(request.json(&serde_json::json!({}))).await;
            let error = if guesses < MAX_FAILURES || auth.is_none() {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} {auth:?}");
                guesses += usize::from(auth.is_some());
                assert_error(&body, "unauthorized")
            } else {
                assert_eq!(
                    status,
                    StatusCode::TOO_MANY_REQUESTS,
                    "{method} {path} {auth:?}"
                );
                assert_error(&body, "too_many_failed_logins")
            };
            assert!(
                !error.to_string().contains(crate::support::TOKEN),
                "the token must never be echoed"
            );
        }
    }
    // Public routes need no token (and are not throttled).
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let response = t.http.get(t.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // With the token, from another address, an unknown admin route is a JSON 404.
    let other = client_from([127, 0, 0, 2]);
    let request = other.get(t.url("/admin/nothing-here")).bearer_auth(TOKEN);
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}

/// The wrong tokens the throttle allows per address and minute (src/throttle.rs).
const MAX_FAILURES: usize = 20;

#[tokio::test]
async fn wrong_tokens_are_throttled_per_client_address() {
    let t = TestServer::start().await;
    let attacker = client_from([127, 0, 0, 3]);
    let admin = client_from([127, 0, 0, 4]);
    let list = |client: &reqwest::Client, token: &str| {
        client
            .get(t.url("/admin/elections"))
            .bearer_auth(token)
            .send()
    };
    for i in 0..MAX_FAILURES {
        let response = list(&attacker, &format!("guess-{i}")).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    for token in ["guess-again", TOKEN] {
        let response = list(&attacker, token).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{token:?}"
        );
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let body: serde_json::Value = response.json().await.unwrap();
        let error = assert_error(&body, "too_many_failed_logins");
        assert_eq!(error["retry_after"], retry_after);
        assert!(
            error["message"].as_str().unwrap().contains("try again in"),
            "{error}"
        );
    }
    // Another address signs in as usual; its success does not unblock the attacker, and its own
    // wrong token is counted for it alone.
    let response = list(&admin, TOKEN).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = list(&admin, "typo").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = list(&admin, TOKEN).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = list(&attacker, TOKEN).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Requests without a token are not guesses: the page sends them before signing in.
    let visitor = client_from([127, 0, 0, 5]);
    for _ in 0..MAX_FAILURES + 5 {
        let response = visitor.get(t.url("/admin/elections")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = list(&visitor, TOKEN).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
