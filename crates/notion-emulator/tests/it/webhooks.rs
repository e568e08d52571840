//! Webhook subscriptions: the verification POST, signed envelopes, and the realism knobs, seen by
//! a receiver over real HTTP that checks signatures with `notion-webhooks` (the emulator signs with
//! its own code, so a misreading on either side fails here).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jiff::SignedDuration;
use notion_emulator::{Clock, WebhookSpec, demo};
use notion_webhooks::{AuthorType, Envelope, EventType, Incoming, parse_body, verify_signature};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::common::{Ctx, config};

struct Delivery {
    signature: Option<String>,
    body: Bytes,
}

/// A webhook receiver: records every POST; answers 503 while `fail` is above zero (counting it
/// down), 200 otherwise.
struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<Delivery>,
    fail: Arc<AtomicU32>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        let fail = Arc::new(AtomicU32::new(0));
        let failing = Arc::clone(&fail);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let tx = tx.clone();
                let failing = Arc::clone(&failing);
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let tx = tx.clone();
                        let failing = Arc::clone(&failing);
                        async move {
                            let signature = req
                                .headers()
                                .get("x-notion-signature")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned);
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let _ = tx.send(Delivery { signature, body });
                            let failed = failing
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok();
                            let mut resp = hyper::Response::new(Full::new(Bytes::new()));
                            if failed {
                                *resp.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
                            }
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { url, rx, fail }
    }

    async fn next(&mut self) -> Delivery {
        // A guard against a hang, not a measure of speed.
        tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
            .await
            .expect("a delivery within 30 s")
            .expect("the receiver runs")
    }

    /// The verification POST: unsigned, `{"verification_token"}` only.
    async fn verification(&mut self) -> String {
        let d = self.next().await;
        assert_eq!(d.signature, None, "the verification POST is unsigned");
        match parse_body(&d.body).unwrap() {
            Incoming::Verification { verification_token } => verification_token,
            other => panic!("expected the verification POST, got {other:?}"),
        }
    }

    /// The next event, its signature checked with `token`.
    async fn event(&mut self, token: &str) -> Envelope {
        let d = self.next().await;
        verify_signature(
            token.as_bytes(),
            &d.body,
            d.signature.as_deref().map(str::as_bytes),
        )
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&d.body)));
        // Notion's bodies are minified JSON.
        let text = String::from_utf8(d.body.to_vec()).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap().len(), text.len());
        match parse_body(&d.body).unwrap() {
            Incoming::Event(e) => *e,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

fn title(text: &str) -> Value {
    json!({"Name": {"title": [{"text": {"content": text}}]}})
}

#[tokio::test]
async fn verification_then_signed_events_with_the_envelope_and_authors() {
    let ctx = Ctx::new().await;
    let mut rx = Receiver::start().await;
    let sub = ctx
        .emu
        .subscribe_webhook(WebhookSpec::new(&rx.url))
        .unwrap();
    assert!(sub.verification_token.starts_with("secret_"));
    assert_eq!(rx.verification().await, sub.verification_token);

    // An API write: authored by the integration's bot.
    let r = ctx
        .patch(
            &format!("/v1/pages/{}", demo::BOARD_PRESIDENT),
            json!({"properties": title("Board president 2027")}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let e = rx.event(&sub.verification_token).await;
    assert_eq!(e.event_type, EventType::PagePropertiesUpdated);
    assert_eq!(e.entity.id, demo::BOARD_PRESIDENT);
    assert_eq!(e.entity.kind, "page");
    assert_eq!(e.updated_properties(), ["title"]);
    assert_eq!(e.parent_data_source(), Some(demo::ELECTIONS_DS));
    assert_eq!(e.attempt_number, 1);
    assert_eq!(e.workspace_id, demo::WORKSPACE_ID);
    assert_eq!(e.subscription_id, Some(sub.id));
    assert_eq!(e.integration_id, Some(demo::INTEGRATION_ID));
    assert_eq!(e.api_version.as_deref(), Some("2025-09-03"));
    assert_eq!(e.authors.len(), 1);
    assert_eq!(e.authors[0].id, demo::INTEGRATION_ID);
    assert_eq!(e.authors[0].kind, AuthorType::Bot);
    assert_eq!(e.timestamp.to_string(), "2026-05-01T10:00:30Z");

    // An edit "in the UI" (the control API): authored by a person.
    let r = ctx
        .http
        .patch(format!(
            "{}/__emulator/pages/{}",
            ctx.emu.base_url(),
            demo::BOARD_PRESIDENT
        ))
        .json(&json!({"properties": title("Board president")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e = rx.event(&sub.verification_token).await;
    assert_eq!(e.authors[0].id, demo::HUMAN_ID);
    assert_eq!(e.authors[0].kind, AuthorType::Person);

    // Trash, restore, schema: the mapped event types.
    ctx.emu.trash_page(demo::BOARD_PRESIDENT).unwrap();
    ctx.emu.restore_page(demo::BOARD_PRESIDENT).unwrap();
    ctx.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Notes": {"rich_text": {}}}}),
        )
        .unwrap();
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let e = rx.event(&sub.verification_token).await;
        kinds.push((e.event_type.to_string(), e.entity.kind));
    }
    assert_eq!(
        kinds,
        [
            ("page.deleted".into(), "page".into()),
            ("page.undeleted".into(), "page".into()),
            ("data_source.schema_updated".into(), "data_source".into()),
        ]
    );
}

#[tokio::test]
async fn without_knobs_events_arrive_in_order_once_each_and_only_what_the_bot_can_see() {
    let ctx = Ctx::new().await;
    let mut rx = Receiver::start().await;
    let mut spec = WebhookSpec::new(&rx.url);
    spec.verification_token = Some("secret_chosen".into());
    let sub = ctx.emu.subscribe_webhook(spec).unwrap();
    assert_eq!(rx.verification().await, "secret_chosen");
    // Not shared with the demo integration: no event for it.
    ctx.emu
        .update_page_as_user(demo::PRIVATE_PAGE_ROW, title("secret"))
        .unwrap();
    for i in 0..5 {
        ctx.emu.clock().advance(SignedDuration::from_secs(1));
        ctx.emu
            .update_page_as_user(demo::BUDGET_REFERENDUM, title(&format!("edit {i}")))
            .unwrap();
    }
    let mut stamps = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for _ in 0..5 {
        let e = rx.event("secret_chosen").await;
        assert_eq!(
            e.entity.id,
            demo::BUDGET_REFERENDUM,
            "no event for the private page"
        );
        assert_eq!(e.attempt_number, 1);
        assert!(ids.insert(e.id));
        stamps.push(e.timestamp);
    }
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    wait_until(|| ctx.emu.webhook_subscriptions()[0].stats.delivered == 5).await;
    let subs = ctx.emu.webhook_subscriptions();
    assert_eq!(subs[0].id, sub.id);
    assert_eq!(subs[0].stats.dropped, 0);
}

#[tokio::test]
async fn the_aggregation_window_folds_a_pages_edits_into_one_event() {
    let ctx = Ctx::new().await; // frozen clock: the window closes when the test moves it
    let mut rx = Receiver::start().await;
    let mut spec = WebhookSpec::new(&rx.url);
    spec.aggregation_window_ms = 5_000;
    let sub = ctx.emu.subscribe_webhook(spec).unwrap();
    rx.verification().await;
    ctx.emu
        .update_page_as_user(demo::BUDGET_REFERENDUM, title("one"))
        .unwrap();
    ctx.emu.clock().advance(SignedDuration::from_secs(2));
    ctx.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Voting Status": {"status": {"name": "Done"}}}),
        )
        .unwrap();
    ctx.emu
        .update_page_as_user(demo::BUDGET_REFERENDUM, title("two"))
        .unwrap();
    // The emitter has taken them in once it reports them pending; the window is still open.
    wait_until(|| ctx.emu.webhook_subscriptions()[0].stats.pending == 1).await;
    assert_eq!(ctx.emu.webhook_subscriptions()[0].stats.delivered, 0);
    ctx.emu.clock().advance(SignedDuration::from_secs(3));
    let e = rx.event(&sub.verification_token).await;
    let mut props = e.updated_properties();
    props.sort();
    assert_eq!(props, ["title", demo::PROP_VOTING_STATUS]);
    assert_eq!(e.timestamp.to_string(), "2026-05-01T10:00:32Z");
    wait_until(|| ctx.emu.webhook_subscriptions()[0].stats.delivered == 1).await;
    assert_eq!(ctx.emu.webhook_subscriptions()[0].stats.pending, 0);
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_growing_attempt_numbers_then_the_emulator_gives_up() {
    // The system clock: back-off waits pass on their own (1 ms, 2 ms, …).
    let ctx = Ctx::with(config().with_clock(Clock::system())).await;
    let mut rx = Receiver::start().await;
    let mut spec = WebhookSpec::new(&rx.url);
    spec.retry_backoff_ms = 1;
    spec.max_attempts = 4;
    let sub = ctx.emu.subscribe_webhook(spec).unwrap();
    rx.verification().await;
    rx.fail.store(2, Ordering::SeqCst);
    ctx.emu
        .update_page_as_user(demo::BUDGET_REFERENDUM, title("retried"))
        .unwrap();
    let attempts: Vec<(uuid::Uuid, u32)> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            let e = rx.event(&sub.verification_token).await;
            out.push((e.id, e.attempt_number));
        }
        out
    };
    assert_eq!(attempts.iter().map(|a| a.1).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(
        attempts.iter().all(|a| a.0 == attempts[0].0),
        "one event id"
    );
    wait_until(|| ctx.emu.webhook_subscriptions()[0].stats.delivered == 1).await;

    // Always failing: four attempts, then given up.
    rx.fail.store(u32::MAX, Ordering::SeqCst);
    ctx.emu
        .update_page_as_user(demo::BUDGET_REFERENDUM, title("lost"))
        .unwrap();
    for n in 1..=4 {
        assert_eq!(rx.event(&sub.verification_token).await.attempt_number, n);
    }
    wait_until(|| ctx.emu.webhook_subscriptions()[0].stats.given_up == 1).await;
    let s = &ctx.emu.webhook_subscriptions()[0];
    let statuses: Vec<u16> = s.deliveries.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [200, 503, 503, 200, 503, 503, 503, 503]);
}

#[tokio::test]
async fn drops_and_out_of_order_delivery_are_opt_in() {
    let ctx = Ctx::new().await;
    let mut rx = Receiver::start().await;
    let mut spec = WebhookSpec::new(&rx.url);
    spec.drop_rate = 1.0;
    ctx.emu.subscribe_webhook(spec).unwrap();
    rx.verification().await;
    let mut spec = WebhookSpec::new(&rx.url);
    spec.out_of_order_ms = 10_000;
    spec.delay_ms = 10_000;
    spec.verification_token = Some("secret_shuffled".into());
    ctx.emu.subscribe_webhook(spec).unwrap();
    rx.verification().await;
    for i in 0..6 {
        ctx.emu.clock().advance(SignedDuration::from_secs(1));
        ctx.emu
            .update_page_as_user(demo::BUDGET_REFERENDUM, title(&format!("edit {i}")))
            .unwrap();
    }
    wait_until(|| ctx.emu.webhook_subscriptions()[1].stats.pending == 6).await;
    ctx.emu.clock().advance(SignedDuration::from_secs(20));
    let mut stamps = Vec::new();
    for _ in 0..6 {
        stamps.push(rx.event("secret_shuffled").await.timestamp);
    }
    let mut sorted = stamps.clone();
    sorted.sort();
    assert_ne!(stamps, sorted, "the seeded jitter reorders them");
    wait_until(|| ctx.emu.webhook_subscriptions()[1].stats.delivered == 6).await;
    let subs = ctx.emu.webhook_subscriptions();
    assert_eq!(subs[0].stats.dropped, 6);
    assert_eq!(subs[0].stats.delivered, 0);
}

#[tokio::test]
async fn the_control_api_creates_lists_and_deletes_subscriptions() {
    let ctx = Ctx::new().await;
    let mut rx = Receiver::start().await;
    let base = format!("{}/__emulator/webhooks", ctx.emu.base_url());
    let r = ctx
        .http
        .post(&base)
        .json(&json!({"url": rx.url, "event_types": ["page.deleted"], "verification_token": "secret_x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["verification_token"], "secret_x");
    assert_eq!(rx.verification().await, "secret_x");
    // Only page.deleted: the edit sends nothing, the trash does.
    ctx.emu
        .update_page_as_user(demo::BUDGET_REFERENDUM, title("ignored"))
        .unwrap();
    ctx.emu.trash_page(demo::BUDGET_REFERENDUM).unwrap();
    assert_eq!(
        rx.event("secret_x").await.event_type,
        EventType::PageDeleted
    );

    let id = created["id"].as_str().unwrap();
    let resent = ctx
        .http
        .post(format!("{base}/{id}/resend"))
        .send()
        .await
        .unwrap();
    assert_eq!(resent.status(), 200);
    assert_eq!(rx.verification().await, "secret_x");

    let list: Value = ctx
        .http
        .get(&base)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["subscriptions"][0]["id"], created["id"]);
    assert_eq!(list["subscriptions"][0]["stats"]["delivered"], 1);

    for (body, want) in [
        (json!({"url": "ftp://x"}), "not an http"),
        (json!({"url": rx.url, "drop_rate": 2}), "drop_rate"),
        (json!({"url": rx.url, "max_attempts": 9}), "max_attempts"),
        (json!({"url": rx.url, "colour": "red"}), "unknown field"),
        (
            json!({"url": rx.url, "integration": "nobody"}),
            "integration",
        ),
    ] {
        let r = ctx.http.post(&base).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert!(matches!(status, 400 | 404), "{body}: {status} {text}");
        assert!(text.contains(want), "{body}: {text}");
    }

    let gone = ctx
        .http
        .delete(format!("{base}/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 200);
    let again = ctx
        .http
        .delete(format!("{base}/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    assert!(ctx.emu.webhook_subscriptions().is_empty());
}

/// Waits for the emulator's emitter (its own threads) to reach a state; a hang guard, not a
/// measure of speed.
async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not reached within 30 s");
}

#[tokio::test]
async fn the_binarys_webhook_url_flag_subscribes_at_start() {
    let mut rx = Receiver::start().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-emulator"))
        .args(["--listen", "127.0.0.1:0", "--webhook-url", &rx.url])
        .env(
            "NOTION_EMULATOR_WEBHOOK_VERIFICATION_TOKEN",
            "secret_from_env",
        )
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    assert_eq!(rx.verification().await, "secret_from_env");
    let _ = child.kill().await;
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("webhooks:  {}", rx.url)),
        "{stdout}"
    );
    assert!(
        !stdout.contains("secret_from_env"),
        "a given token is not printed: {stdout}"
    );
}
