//! The webhook receiver end to end: the emulator's subscription delivers to the api-server over
//! real HTTP (verification capture → confirm → an edit stored in the inbox), and what must be
//! refused (forged, truncated, unsigned, oversized, malformed) or counted once (replayed).

use std::time::Duration;

use notion_emulator::{EmulatorConfig, WebhookSpec, demo};
use notion_webhooks::sign;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error, send};

/// Polls until `done` holds; a hang guard, not a measure of speed.
async fn wait_for<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..3000 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: not reached within 30 s");
}

async fn webhooks(server: &TestServer) -> Value {
    let (status, body) = server.get("/admin/notion/webhooks").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// POSTs a body to the receiver (no admin token), with a signature header when given.
async fn deliver(server: &TestServer, body: &[u8], signature: Option<&str>) -> (StatusCode, Value) {
    let mut request = server
        .http
        .post(server.url("/webhooks/notion"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        request = request.header("X-Notion-Signature", sig);
    }
    send(request).await
}

fn event_body(id: &str, event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id,
        "timestamp": "2026-12-04T10:00:00.000Z",
        "workspace_id": demo::WORKSPACE_ID,
        "type": event_type,
        "authors": [{"id": demo::HUMAN_ID, "type": "person"}],
        "attempt_number": 1,
        "entity": {"id": demo::BOARD_PRESIDENT, "type": "page"},
        "data": {"updated_properties": ["title"]},
    }))
    .unwrap()
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn the_emulators_subscription_is_captured_confirmed_and_its_events_stored() {
    let server = TestServer::start_with(EmulatorConfig::default().without_rate_limit(), &[]).await;
    let mut spec = WebhookSpec::new(server.url("/webhooks/notion"));
    // Events before the confirmation are refused (401) and retried: quickly here.
    spec.retry_backoff_ms = 20;
    let sub = server.emulator.subscribe_webhook(spec).unwrap();

    // The verification POST is captured as pending, with where it came from; nothing is active.
    wait_for("the pending token", || async {
        webhooks(&server).await["connections"][0]["pending"]["verification_token"]
            == sub.verification_token.as_str()
    })
    .await;
    let body = webhooks(&server).await;
    let internal = &body["connections"][0];
    assert_eq!(internal["connection_id"], "internal");
    assert_eq!(internal["receiver_path"], "/webhooks/notion");
    assert_eq!(internal["pending"]["source"], "127.0.0.1");
    assert!(internal["active"].is_null(), "never trusted on its own");

    // An edit before the confirmation: refused, counted, and stored nothing.
    server
        .emulator
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Name": {"title": [{"text": {"content": "Early edit"}}]}}),
        )
        .unwrap();
    wait_for("a refusal", || async {
        webhooks(&server).await["health"]["rejected_signatures_total"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    })
    .await;
    let body = webhooks(&server).await;
    assert_eq!(body["health"]["events_total"], 0);
    assert_eq!(
        body["health"]["rejected_signatures"][0]["reason"],
        "no_active_token"
    );

    let (status, confirmed) = server
        .post("/admin/notion/webhooks/confirm", json!(null))
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert!(confirmed["webhook"]["pending"].is_null());
    assert_eq!(confirmed["webhook"]["active"]["source"], "127.0.0.1");
    assert!(
        !confirmed.to_string().contains(&sub.verification_token),
        "the active token is not shown again"
    );

    // The early edit's retry now passes; a new edit is stored too, each once.
    server
        .emulator
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Name": {"title": [{"text": {"content": "Edited in Notion"}}]}}),
        )
        .unwrap();
    wait_for("two stored events", || async {
        webhooks(&server).await["health"]["events_total"] == 2
    })
    .await;
    let store = store::SqliteStore::open(server.db_path()).unwrap();
    let events = store
        .claim_webhook_events(
            "test",
            10,
            jiff::SignedDuration::from_secs(60),
            jiff::Timestamp::now(),
        )
        .unwrap();
    let pages: Vec<&str> = events
        .iter()
        .map(|e| e.entity_id.as_deref().unwrap())
        .collect();
    assert!(
        pages.contains(&demo::BOARD_PRESIDENT.to_string().as_str()),
        "{pages:?}"
    );
    assert!(
        pages.contains(&demo::BUDGET_REFERENDUM.to_string().as_str()),
        "{pages:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e.event_type == "page.properties_updated")
    );
    let early = events
        .iter()
        .find(|e| e.entity_id.as_deref() == Some(&demo::BOARD_PRESIDENT.to_string()))
        .unwrap();
    assert!(
        early.attempt_number > 1,
        "stored from a retry: {}",
        early.attempt_number
    );
    let body = webhooks(&server).await;
    assert_eq!(
        body["health"]["events_by_type"][0]["event_type"],
        "page.properties_updated"
    );
    assert_eq!(body["health"]["unprocessed"], 2);
}

#[tokio::test]
async fn forged_truncated_unsigned_replayed_and_malformed_events() {
    let server = TestServer::start_with(
        EmulatorConfig::default().without_rate_limit(),
        &["--webhook-verification-token", "secret_from_the_operator"],
    )
    .await;
    let body = webhooks(&server).await;
    assert_eq!(body["connections"][0]["active"]["source"], "environment");

    let token = b"secret_from_the_operator";
    let event = event_body(
        "6f1e8d3c-1b4e-4a8e-9a51-3e4b2f6c7d80",
        "page.properties_updated",
    );
    let good = sign(token, &event);

    // Forged: signed with another token.
    let (status, body) = deliver(&server, &event, Some(&sign(b"secret_guess", &event))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "invalid_signature");
    // Unsigned, and a signature of the wrong form.
    let (status, _) = deliver(&server, &event, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = deliver(&server, &event, Some("sha1=abc")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A malformed header is refused even on a verification body (Notion's never is).
    let (status, body) = deliver(&server, br#"{"verification_token":"secret_x"}"#, Some("")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "invalid_signature");
    assert!(
        webhooks(&server).await["connections"][0]["pending"].is_null(),
        "nothing stored"
    );
    // Truncated: the signature of the whole body over a part of it.
    let (status, body) = deliver(&server, &event[..event.len() - 20], Some(&good)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Altered without breaking the JSON: the signature no longer matches.
    let altered = String::from_utf8(event.clone())
        .unwrap()
        .replace("title", "eltit");
    let (status, _) = deliver(&server, altered.as_bytes(), Some(&good)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        webhooks(&server).await["health"]["events_total"],
        0,
        "nothing stored"
    );

    // The genuine event, then its replay: stored once, the replay counted.
    let (status, body) = deliver(&server, &event, Some(&good)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["received"], "event");
    let (status, body) = deliver(&server, &event, Some(&good)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["received"], "duplicate");

    // An unknown type is accepted (and stored for the sync to ignore).
    let unknown = event_body("0b8f7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "page.teleported");
    let (status, body) = deliver(&server, &unknown, Some(&sign(token, &unknown))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Malformed, empty, oversized, and a bad connection: 400.
    for bad in [
        &b"{not json"[..],
        b"",
        b"[]",
        br#"{"verification_token": ""}"#,
    ] {
        let (status, body) = deliver(&server, bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_error(&body, "invalid_input");
    }
    let big = vec![b' '; notion_webhooks::MAX_BODY_BYTES + 1];
    let (status, body) = deliver(&server, &big, Some(&sign(token, &big))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "payload_too_large");
    let (status, _) = send(
        server
            .http
            .post(server.url("/webhooks/notion"))
            .header("content-type", "text/plain")
            .body(event.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = send(
        server
            .http
            .post(server.url("/webhooks/notion?connection=nobody"))
            .body(event.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let health = &webhooks(&server).await["health"];
    assert_eq!(health["events_total"], 2);
    assert_eq!(health["duplicates"], 1);
    assert_eq!(health["rejected_signatures_total"], 5);
    let (status, text) = {
        let r = server
            .http
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        metric(
            &text,
            r#"notion_webhook_rejected_signatures_total{reason="mismatch"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"notion_webhook_rejected_signatures_total{reason="missing"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            r#"notion_webhook_requests_total{result="duplicate"}"#
        ),
        Some(1.0)
    );

    // The admin routes need the admin token; the receiver does not take it as authentication.
    let (status, _) = send(server.http.get(server.url("/admin/notion/webhooks"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = server
        .post("/admin/notion/webhooks/confirm", json!(null))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing pending: {body}");
}

#[tokio::test]
async fn a_verification_post_never_replaces_the_active_token() {
    let server = TestServer::start_with(
        EmulatorConfig::default().without_rate_limit(),
        &["--webhook-verification-token", "secret_active"],
    )
    .await;
    let (status, body) = deliver(
        &server,
        br#"{"verification_token":"secret_intruder"}"#,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["received"], "verification");
    let event = event_body("2c9a8b7d-6e5f-4d3c-9b2a-1f0e9d8c7b6a", "page.created");
    let (status, _) = deliver(&server, &event, Some(&sign(b"secret_intruder", &event))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "pending is not trusted");
    let (status, _) = deliver(&server, &event, Some(&sign(b"secret_active", &event))).await;
    assert_eq!(status, StatusCode::OK);
    // An OAuth connection's subscription has its own URL and tokens.
    let conn = "conn_0123456789abcdef0123456789abcdef";
    let (status, _) = send(
        server
            .http
            .post(server.url(&format!("/webhooks/notion?connection={conn}")))
            .body(event.clone())
            .header("X-Notion-Signature", sign(b"secret_active", &event)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no active token for that connection"
    );
}

#[tokio::test]
async fn the_binary_receives_the_emulators_events_and_a_kill_after_the_200_loses_none() {
    let emulator = notion_emulator::Emulator::start(EmulatorConfig::default().without_rate_limit())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("webhooks.db");
    let admin = "webhook-binary-admin-token";
    let (mut child, base) = spawn_binary(&db, &emulator, admin);
    let http = reqwest::Client::new();
    let admin_get = |path: &str| http.get(format!("{base}{path}")).bearer_auth(admin);

    let sub = emulator
        .subscribe_webhook(WebhookSpec::new(format!("{base}/webhooks/notion")))
        .unwrap();
    wait_for("the pending token", || async {
        let (_, body) = send(admin_get("/admin/notion/webhooks")).await;
        body["connections"][0]["pending"]["verification_token"] == sub.verification_token.as_str()
    })
    .await;
    let (status, _) = send(
        http.post(format!("{base}/admin/notion/webhooks/confirm"))
            .bearer_auth(admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..20 {
        emulator
            .update_page_as_user(
                demo::BUDGET_REFERENDUM,
                json!({"Name": {"title": [{"text": {"content": format!("Edit {i}")}}]}}),
            )
            .unwrap();
    }
    // Every event the server answered 200 to is in the file after a SIGKILL.
    wait_for("twenty deliveries answered 200", || async {
        emulator.webhook_subscriptions()[0].stats.delivered == 20
    })
    .await;
    child.kill().unwrap();
    let _ = child.wait();
    let store = store::SqliteStore::open(&db).unwrap();
    let health = store.webhook_health(jiff::Timestamp::now()).unwrap();
    assert_eq!(health.events_total, 20);
    assert_eq!(health.unprocessed, 20);
    emulator.shutdown().await;
}

/// Starts the api-server binary on `db` against `emulator`; its child and base URL.
fn spawn_binary(
    db: &std::path::Path,
    emulator: &notion_emulator::Emulator,
    admin: &str,
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let mut child = crate::binary::api_server()
        .args(["--listen", "127.0.0.1:0", "--database-url"])
        .arg(db)
        .env("ADMIN_TOKEN", admin)
        .env("NOTION_API_KEY", demo::TOKEN)
        .env("NOTION_API_BASE", emulator.base_url())
        .env("NOTION_DATABASE_ALLOWLIST", crate::support::allowlist())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.split("Listening at http://").nth(1) {
                let _ = tx.send(at.trim().trim_end_matches("\u{1b}[0m").to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the binary logs its address");
    (child, format!("http://{addr}"))
}

/// The receiver (the api-server binary) stores the emulator's events; a sync daemon on the same
/// SQLite file (the sync-runner's `run`, in this process) processes them at once: a title edited
/// in Notion reaches the election within seconds, with one page read, and the events of our own
/// writes cost no read.
#[tokio::test]
async fn an_edit_in_notion_reaches_the_election_through_the_webhook_within_seconds() {
    use std::sync::Arc;
    use store::{NewElection, SqliteStore};

    let emulator = notion_emulator::Emulator::start(EmulatorConfig::default().without_rate_limit())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("webhooks-sync.db");
    let admin = "webhook-sync-admin-token";
    let (mut child, base) = spawn_binary(&db, &emulator, admin);
    let http = reqwest::Client::new();
    let sub = emulator
        .subscribe_webhook(WebhookSpec::new(format!("{base}/webhooks/notion")))
        .unwrap();
    wait_for("the pending token", || async {
        let (_, body) = send(
            http.get(format!("{base}/admin/notion/webhooks"))
                .bearer_auth(admin),
        )
        .await;
        body["connections"][0]["pending"]["verification_token"] == sub.verification_token.as_str()
    })
    .await;
    let (status, _) = send(
        http.post(format!("{base}/admin/notion/webhooks/confirm"))
            .bearer_auth(admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The runner: its own store handle and Notion client on the same file.
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let notion = notion_client::NotionClient::builder()
        .token(notion_client::SecretString::from(demo::TOKEN))
        .base_url(emulator.base_url())
        .max_requests_per_second(500.0)
        .build()
        .unwrap();
    let allowlist = sync_driver::Allowlist::parse(&crate::support::allowlist()).unwrap();
    let driver = sync_driver::SyncDriver::new(
        store.clone(),
        notion,
        sync_driver::DriverConfig::new("https://vote.example.org", allowlist),
    );
    let now = jiff::Timestamp::now();
    let election = store
        .create_election(
            NewElection {
                id: None,
                title: "Budget".into(),
                description: String::new(),
                open_at: now + jiff::SignedDuration::from_secs(3600),
                close_at: now + jiff::SignedDuration::from_secs(7200),
            },
            now,
        )
        .unwrap()
        .election
        .id;
    driver
        .link(
            &election,
            sync_driver::LinkRequest {
                database_id: demo::ELECTIONS_DB.to_string(),
                page_id: demo::BUDGET_REFERENDUM.to_string(),
                ..sync_driver::LinkRequest::default()
            },
            now,
        )
        .await
        .unwrap();
    const GET_PAGE: &str = "GET /v1/pages/{page_id}";
    emulator.reset_counts();
    let shutdown = sync_driver::CancellationToken::new();
    let daemon = {
        let driver = driver.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            driver
                .run_daemon(
                    Arc::new(sync_driver::SystemClock),
                    shutdown,
                    sync_driver::DaemonOptions::default(),
                )
                .await
        })
    };
    // The first cycle writes the page (results link): our own write comes back as an event,
    // which is processed without a read.
    wait_for(
        "the first sync and its own write's events processed",
        || async {
            let synced = store
                .get_election(&election)
                .unwrap()
                .state()
                .notion_last_sync_at
                .is_some();
            let health = store.webhook_health(jiff::Timestamp::now()).unwrap();
            synced && health.events_total >= 1 && health.unprocessed == 0
        },
    )
    .await;
    assert_eq!(
        emulator.request_counts().route(GET_PAGE),
        0,
        "our own write costs no page read"
    );

    // A person renames the page in Notion.
    emulator
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Name": {"title": [{"text": {"content": "Budget 2027"}}]}}),
        )
        .unwrap();
    wait_for("the new title on the election", || async {
        store.get_election(&election).unwrap().election.title == "Budget 2027"
    })
    .await;
    // Marked processed right after the commit that changed the title.
    wait_for("the edit's event marked processed", || async {
        store
            .webhook_health(jiff::Timestamp::now())
            .unwrap()
            .unprocessed
            == 0
    })
    .await;
    assert_eq!(
        emulator.request_counts().route(GET_PAGE),
        1,
        "one page read"
    );

    shutdown.cancel();
    daemon.await.unwrap().unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    emulator.shutdown().await;
}
