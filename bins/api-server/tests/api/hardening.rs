//! What a browser, a monitor or a hostile client meets: security headers on the pages, `HEAD`
//! answered like `GET`, offsets that are not offsets refused, and oversized URLs and headers
//! answered with a JSON error.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestServer, assert_error, send};

/// The pages a person opens in a browser, the API docs page (where the token is pasted) first.
const PAGES: [&str; 4] = ["/docs/", "/ui/", "/ui/sign-in", "/ui/elections/new"];

#[tokio::test]
async fn pages_forbid_framing_sniffing_referrers_and_remote_sources() {
    let t = TestServer::start().await;
    for path in PAGES.iter().chain(&["/healthz", "/admin/elections"]) {
        let response = t.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        // Only this origin, inline styles at most: no remote host, no inline or eval'd script.
        for forbidden in ["http:", "https:", "*", "'unsafe-eval'"] {
            assert!(!policy.contains(forbidden), "{path}: {policy}");
        }
        let script = policy
            .split(';')
            .map(str::trim)
            .find(|directive| directive.starts_with("script-src"));
        if let Some(script) = script {
            assert_eq!(script, "script-src 'self'", "{path}: {policy}");
        } else {
            assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
        }
    }
    // The docs page's own files load under its policy: the initializer that names the document.
    let response = t
        .http
        .get(t.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("content-security-policy"));
    let script = response.text().await.unwrap();
    assert!(script.contains("/openapi.json"), "{script}");
    assert!(!script.contains("petstore"), "{script}");
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let t = TestServer::start().await;
    for path in PAGES.iter().chain(&["/healthz", "/readyz"]) {
        let get = t.http.get(t.url(path)).send().await.unwrap();
        let head = t.http.head(t.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        let get_length = get.bytes().await.unwrap().len();
        assert!(get_length > 0, "GET {path} has a body");
        if let Some(length) = head.headers().get("content-length") {
            assert_eq!(length.to_str().unwrap(), get_length.to_string(), "{path}");
        }
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
    // An admin route still needs the token with HEAD, and says so in the status.
    let head = t.http.head(t.url("/admin/elections")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::UNAUTHORIZED);
    // A route that takes no GET takes no HEAD either: 405 naming what it takes.
    let head = t
        .request(Method::HEAD, "/admin/elections/elec_x/notion/sync")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(head.headers()["allow"], "POST");
}

#[tokio::test]
async fn an_offset_beyond_a_day_or_malformed_is_a_400_naming_the_field() {
    let t = TestServer::start().await;
    let create = |open_at: &str| {
        t.post(
            "/admin/elections",
            json!({"title": "Board", "open_at": open_at, "close_at": "2030-01-01T00:00:00Z"}),
        )
    };
    for accepted in [
        "2026-03-01T09:00:00Z",
        "2026-03-01T09:00:00z",
        "2026-03-01T09:00:00+01:00",
        "2026-03-01T09:00:00-00:00",
        "2026-03-01T09:00:00.5+23:59",
        "2026-03-01T09:00:00-23:59",
    ] {
        let (status, body) = create(accepted).await;
        assert_eq!(status, StatusCode::CREATED, "{accepted}: {body}");
    }
    for refused in [
        "2026-03-01T09:00:00+25:00",
        "2026-03-01T09:00:00-25:00",
        "2026-03-01T09:00:00+24:00",
        "2026-03-01T09:00:00+01:60",
        "2026-03-01T09:00:00+0100",
        "2026-03-01T09:00:00+01",
        "2026-03-01T09:00:00+01:00:30",
        "2026-03-01T09:00:00Z[Europe/Paris]",
    ] {
        let (status, body) = create(refused).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}: {body}");
        let error = assert_error(&body, "invalid_input");
        assert_eq!(error["field"], "open_at", "{refused}: {body}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("offset"), "{refused}: {message}");
    }
}

/// A raw HTTP/1.1 exchange on a fresh connection: reqwest refuses to build some of these requests.
async fn raw_exchange(t: &TestServer, request: &[u8]) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(t.server.addr())
        .await
        .unwrap();
    // The server may answer and close before it read everything: a failed write is fine.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, head.to_owned(), body.to_owned())
}

fn json_error(body: &str, code: &str) -> serde_json::Value {
    let body: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body:?}"));
    assert_error(&body, code).clone()
}

#[tokio::test]
async fn an_oversized_url_is_a_414_with_a_json_body() {
    let t = TestServer::start().await;
    let long = "a".repeat(100 * 1024);
    for path in [
        format!("/admin/elections/{long}"),
        format!("/readyz?stale_after={long}"),
    ] {
        // reqwest refuses to send a URL this long (over 64 KiB): the request is written by hand.
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
        let (status, head, body) = raw_exchange(&t, request.as_bytes()).await;
        assert_eq!(status, 414, "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json")
        );
        let message = json_error(&body, "uri_too_long")["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("8 KiB"), "{message}");
    }
    // Through a real client on its pooled connection, with the token, whatever the route.
    let long = "a".repeat(20 * 1024);
    for path in [
        format!("/admin/elections/{long}"),
        format!("/readyz?stale_after={long}"),
    ] {
        let (status, body) = send(t.request(Method::GET, &path)).await;
        assert_eq!(
            status,
            StatusCode::URI_TOO_LONG,
            "{}",
            &body.to_string()[..200]
        );
        assert_error(&body, "uri_too_long");
    }
    // Just under the limit, the route answers as usual (a 404 for no such election).
    let path = format!("/admin/elections/{}", "b".repeat(90));
    let (status, body) = t.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let near = format!("/nowhere/{}", "c".repeat(7 * 1024));
    let (status, body) = send(t.http.get(t.url(&near))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The connection pool of the client keeps working after a refused request.
    let (status, _) = t.get("/admin/elections").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn oversized_headers_are_a_431_with_a_json_body() {
    let t = TestServer::start().await;
    // One huge header, and many small ones.
    let huge = format!("X-Big: {}\r\n", "h".repeat(100 * 1024));
    let many: String = (0..200).map(|i| format!("X-Header-{i}: {i}\r\n")).collect();
    for headers in [huge, many] {
        let request = format!("GET /healthz HTTP/1.1\r\nHost: test\r\n{headers}\r\n");
        let (status, head, body) = raw_exchange(&t, request.as_bytes()).await;
        assert_eq!(status, 431, "{head}");
        let message = json_error(&body, "request_headers_too_large")["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("headers"), "{message}");
    }
    let response = t
        .http
        .get(t.url("/healthz"))
        .header("X-Big", "h".repeat(100 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_error(&body, "request_headers_too_large");
    // A body after a normal head is not taken for a head: a 60 KiB title on one line, twice on
    // one connection (with and without the token: a 401 answers before the body is read), is
    // answered as usual, not 414.
    let body = json!({"title": "t".repeat(60 * 1024), "open_at": "soon", "close_at": 1});
    for _ in 0..2 {
        let (status, answer) = t.post("/admin/elections", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(assert_error(&answer, "invalid_input")["field"], "open_at");
        let (status, answer) = send(t.http.post(t.url("/admin/elections")).json(&body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    }
    let (status, _) = t.get("/admin/elections").await;
    assert_eq!(status, StatusCode::OK);
}
