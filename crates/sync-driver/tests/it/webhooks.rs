//! Webhook events drive the sync (issue 17): the emulator's subscription delivers to a small
//! receiver that stores each event in the store's inbox (as the api-server does, without the
//! signature check, which the api-server's tests cover), then the driver processes the inbox.

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;

use notion_emulator::{WebhookSpec, demo};
use notion_webhooks::{Incoming, parse_body};
use serde_json::json;
use store::{ConnectionId, NewWebhookEvent, SqliteStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::*;

/// Answers every POST 200 and stores the events it carries (verification bodies are dropped).
async fn receiver(store: Arc<SqliteStore>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/notion", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let body = loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break buf[end + 4..end + 4 + len].to_vec();
                    }
                };
                if let Ok(Incoming::Event(event)) = parse_body(&body) {
                    store
                        .record_webhook_event(
                            &NewWebhookEvent {
                                event_id: event.id.to_string(),
                                connection_id: ConnectionId::internal(),
                                event_type: event.event_type.as_str().to_owned(),
                                entity_id: Some(event.entity.id.to_string()),
                                entity_type: Some(event.entity.kind.clone()),
                                event_at: event.timestamp,
                                attempt_number: event.attempt_number,
                                body: body.clone(),
                            },
                            event.timestamp,
                        )
                        .unwrap();
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    url
}

/// Subscribes the world's emulator to a receiver storing into the world's store.
async fn subscribe(w: &World) {
    let url = receiver(Arc::clone(&w.store)).await;
    w.emu.subscribe_webhook(WebhookSpec::new(url)).unwrap();
}

/// Waits (generous deadline, no timing assertion) until `n` events are stored.
async fn events_stored(w: &World, n: u64) {
    for _ in 0..500 {
        if w.store.webhook_health(w.now()).unwrap().events_total >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the emulator delivered {} events, expected {n}",
        w.store.webhook_health(w.now()).unwrap().events_total
    );
}

#[tokio::test]
async fn an_edit_in_notion_reaches_the_election_with_one_page_read_and_the_cursor_stays() {
    let w = World::new().await;
    let election = w.create_election("Budget", 3600, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    cycle(&w).await;
    subscribe(&w).await;
    let before = w.store.webhook_health(w.now()).unwrap().events_total;
    let cursors = w.store.list_cursors().unwrap();

    // A person renames the page in Notion.
    w.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Name": {"title": [{"text": {"content": "Budget 2027"}}]}}),
        )
        .unwrap();
    events_stored(&w, before + 1).await;
    w.emu.reset_counts();
    w.advance(secs(2));
    let pass = w
        .driver
        .process_webhook_events(w.now())
        .await
        .unwrap()
        .expect("events were waiting");
    assert_eq!(pass.pages, 1, "{pass:?}");
    assert_eq!(w.election(&election).election.title, "Budget 2027");
    assert_eq!(w.served(GET_PAGE), 1, "one read of the page");
    assert_eq!(w.served(QUERY), 0, "no change query");
    assert_eq!(w.store.list_cursors().unwrap(), cursors, "the cursor stays");
    assert_eq!(w.store.webhook_health(w.now()).unwrap().unprocessed, 0);

    // Nothing waits now: a pass asks Notion nothing.
    w.emu.reset_counts();
    assert!(
        w.driver
            .process_webhook_events(w.now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(w.emu.request_counts().total(), 0);
}

#[tokio::test]
async fn our_own_writes_coming_back_cost_no_read() {
    let w = World::new().await;
    let election = w.create_election("Budget", 30, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    cycle(&w).await;
    subscribe(&w).await;
    let before = w.store.webhook_health(w.now()).unwrap().events_total;

    // Voting opens: the cycle writes the page's status (our bot's write).
    w.advance(secs(61));
    cycle(&w).await;
    assert_eq!(
        w.status(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
    events_stored(&w, before + 1).await;
    w.emu.reset_counts();
    let pass = w
        .driver
        .process_webhook_events(w.now())
        .await
        .unwrap()
        .expect("events were waiting");
    assert_eq!(pass.pages, 0, "{pass:?}");
    assert!(pass.ignored >= 1, "{pass:?}");
    assert!(pass.cycle.is_none(), "{pass:?}");
    assert_eq!(w.served(GET_PAGE), 0, "our own write costs no read");
    assert_eq!(w.served(QUERY), 0);
}

#[tokio::test]
async fn a_deleted_page_breaks_the_link_without_a_read() {
    let w = World::new().await;
    let election = w.create_election("Budget", 3600, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    let other = w.create_election("Board", 3600, 7200);
    w.link(&other, demo::BOARD_PRESIDENT).await;
    cycle(&w).await;
    subscribe(&w).await;
    let before = w.store.webhook_health(w.now()).unwrap().events_total;

    w.emu.trash_page(demo::BUDGET_REFERENDUM).unwrap();
    events_stored(&w, before + 1).await;
    w.emu.reset_counts();
    let pass = w
        .driver
        .process_webhook_events(w.now())
        .await
        .unwrap()
        .expect("events were waiting");
    assert_eq!(pass.deleted_pages, 1, "{pass:?}");
    let state = w.election(&election).state();
    assert!(state.link_broken, "{state:?}");
    assert!(!w.election(&other).state().link_broken);
    assert_eq!(w.served(GET_PAGE), 0);
    assert_eq!(w.served(QUERY), 0);
}

#[tokio::test]
async fn an_event_notion_dropped_is_repaired_by_the_next_poll() {
    let w = World::new().await;
    let election = w.create_election("Budget", 3600, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    let url = receiver(Arc::clone(&w.store)).await;
    // Every event of this subscription is lost on the way.
    let mut spec = WebhookSpec::new(url);
    spec.drop_rate = 1.0;
    w.emu.subscribe_webhook(spec).unwrap();
    cycle(&w).await;
    let title = w.election(&election).election.title;

    // The edit's event never arrives (and a pass over the empty inbox moves no cursor)...
    w.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Name": {"title": [{"text": {"content": "Budget 2027"}}]}}),
        )
        .unwrap();
    for _ in 0..500 {
        if w.emu.webhook_subscriptions()[0].stats.dropped >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        w.driver
            .process_webhook_events(w.now())
            .await
            .unwrap()
            .is_none(),
        "the event was dropped"
    );
    assert_eq!(w.election(&election).election.title, title);
    assert!(w.emu.webhook_subscriptions()[0].stats.dropped >= 1);

    // ...the next poll's change query still finds the edit.
    w.advance(secs(61));
    cycle(&w).await;
    assert_eq!(w.election(&election).election.title, "Budget 2027");
}

#[tokio::test]
async fn webhooks_are_healthy_with_an_active_token_and_a_recent_event() {
    let w = World::new().await;
    assert!(!w.driver.webhooks_healthy(w.now()).await.unwrap());
    w.store
        .set_active_webhook_token(&ConnectionId::internal(), "secret_token", None, w.now())
        .unwrap();
    assert!(
        !w.driver.webhooks_healthy(w.now()).await.unwrap(),
        "no event yet"
    );
    subscribe_with_token(&w, "secret_token").await;
    let election = w.create_election("Budget", 3600, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    w.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Name": {"title": [{"text": {"content": "Budget 2027"}}]}}),
        )
        .unwrap();
    events_stored(&w, 1).await;
    assert!(w.driver.webhooks_healthy(w.now()).await.unwrap());
    // Past the window (30 min by default) without an event: polling every interval again.
    w.advance(SignedDuration::from_mins(31));
    assert!(!w.driver.webhooks_healthy(w.now()).await.unwrap());
}

async fn subscribe_with_token(w: &World, token: &str) {
    let url = receiver(Arc::clone(&w.store)).await;
    let mut spec = WebhookSpec::new(url);
    spec.verification_token = Some(token.to_owned());
    w.emu.subscribe_webhook(spec).unwrap();
}

#[tokio::test]
async fn while_webhooks_are_healthy_the_daemon_polls_every_poll_interval_with_webhooks() {
    use store::ListRequest;
    use sync_driver::{CancellationToken, Clock, DaemonOptions, ManualClock};

    let w = World::new().await;
    let election = w.create_election("Budget", 3600, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    let connection = ConnectionId::internal();
    w.store
        .set_active_webhook_token(&connection, "secret_token", None, w.now())
        .unwrap();
    let event = |n: u128| NewWebhookEvent {
        event_id: uuid::Uuid::from_u128(n).to_string(),
        connection_id: connection.clone(),
        event_type: "page.content_updated".into(),
        entity_id: None,
        entity_type: None,
        event_at: w.now(),
        attempt_number: 1,
        body: b"{}".to_vec(),
    };
    w.store.record_webhook_event(&event(1), w.now()).unwrap();
    let clock = ManualClock::new(w.now());
    let shutdown = CancellationToken::new();
    let daemon = {
        let driver = w.driver.clone();
        let clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let options = DaemonOptions {
                interval: Duration::from_secs(60),
                reconcile_every: None,
            };
            driver.run_daemon(clock, shutdown, options).await
        })
    };
    let finished_runs = || {
        w.store
            .list_runs(&ListRequest::first(10))
            .unwrap()
            .items
            .iter()
            .filter(|r| r.finished_at.is_some())
            .count()
    };
    async fn wait(what: &str, done: impl Fn() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{what}: not reached");
    }
    wait("the first poll", || finished_runs() == 1).await;

    // A minute on (the daemon's clock is this test's): the daemon looks into the inbox and
    // processes the events, and runs no poll (every 10 min now).
    w.store.record_webhook_event(&event(2), w.now()).unwrap();
    clock.advance(secs(61));
    wait("the events processed", || {
        w.store.webhook_health(clock.now()).unwrap().unprocessed == 0
    })
    .await;
    assert_eq!(
        finished_runs(),
        1,
        "no poll a minute on while webhooks are healthy"
    );

    // At the slower interval's tick, the poll (the net) runs.
    clock.advance(secs(540));
    wait("the poll at 10 minutes", || finished_runs() == 2).await;
    shutdown.cancel();
    daemon.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_schema_change_re_validates_the_links_of_that_database_at_once() {
    let w = World::new().await;
    let election = w.create_election("Budget", 3600, 7200);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    cycle(&w).await;
    subscribe(&w).await;
    let before = w.store.webhook_health(w.now()).unwrap().events_total;
    // Someone deletes the status property the link writes.
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting Status": null}}),
        )
        .unwrap();
    events_stored(&w, before + 1).await;
    let pass = w
        .driver
        .process_webhook_events(w.now())
        .await
        .unwrap()
        .expect("events were waiting");
    assert_eq!(pass.schema_changes, 1, "{pass:?}");
    let state = w.election(&election).state();
    let error = state.notion_last_sync_error.unwrap_or_default();
    assert!(error.contains("Voting Status"), "reported now: {error:?}");
}
