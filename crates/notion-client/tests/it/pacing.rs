//! The pacer over real HTTP against the emulator: a burst spent at the budget is never answered
//! 429, and an interactive request goes ahead of a queue of background ones.
//!
//! Windows are shortened (a budget per 2 s rather than per minute) so a test runs in seconds; the
//! pacer counts them the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use notion_client::{NotionClient, Pacer, Priority, SecretString};
use notion_emulator::{Emulator, EmulatorConfig, RateLimit, Workspace};

async fn emulator(limit: Option<RateLimit>) -> Emulator {
    Emulator::start(
        EmulatorConfig::default()
            .with_workspace(Workspace::demo())
            .with_rate_limit(limit),
    )
    .await
    .expect("emulator starts")
}

/// A client that never retries: a 429 is an error the test sees.
fn client(emu: &Emulator, pacer: Pacer) -> NotionClient {
    NotionClient::builder()
        .token(SecretString::from(emu.demo_token()))
        .base_url(emu.base_url())
        .pacer(pacer)
        .max_attempts(1)
        .build()
        .unwrap()
}

/// Sends `n` requests at once through `client`; returns how many were answered 429.
async fn burst(client: &NotionClient, n: usize) -> usize {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.me().await })
        })
        .collect();
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => {}
            Err(e) if e.status() == Some(429) => limited += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    limited
}

const LIMIT: RateLimit = RateLimit {
    requests: 30,
    window_secs: 2,
};

#[tokio::test]
async fn a_burst_paced_at_the_budget_gets_no_429() {
    let emu = emulator(Some(LIMIT)).await;
    // The window is padded by half a second, as the per-minute pacer pads Notion's by one, for
    // the spread of request latencies.
    let client = client(
        &emu,
        Pacer::per_window(30, Duration::from_millis(2500)).unwrap(),
    );
    assert_eq!(burst(&client, 75).await, 0, "no request over the budget");
    assert_eq!(emu.request_counts().with_status(429), 0);
    assert_eq!(client.stats().requests, 75);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_same_burst_paced_above_the_budget_is_answered_429() {
    // The control of the test above: a pacer allowing twice the emulator's budget is caught.
    let emu = emulator(Some(LIMIT)).await;
    let client = client(
        &emu,
        Pacer::per_window(60, Duration::from_millis(2500)).unwrap(),
    );
    let limited = burst(&client, 60).await;
    assert!(limited >= 20, "{limited} answered 429");
    assert_eq!(emu.request_counts().with_status(429), limited as u64);
    emu.shutdown().await;
}

/// Queues 60 background requests on a slow pacer, then sends one request the way `send` does;
/// returns how many background requests were answered before it.
async fn background_done_before<F, Fut>(send: F) -> usize
where
    F: FnOnce(NotionClient) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let emu = emulator(None).await;
    let client = client(&emu, Pacer::new(20.0, 1).unwrap());
    let done = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let c = client.clone();
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                c.me().await.unwrap();
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    while client.pacer().waiting() < 50 {
        tokio::task::yield_now().await;
    }
    send(client.clone()).await;
    let before = done.load(Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 60);
    emu.shutdown().await;
    before
}

#[tokio::test]
async fn an_interactive_client_goes_ahead_of_queued_background_requests() {
    let before = background_done_before(|client| async move {
        client
            .with_priority(Priority::Interactive)
            .me()
            .await
            .unwrap();
    })
    .await;
    // The background requests already granted (at most those in flight) may finish first; the
    // queue of about 50 may not.
    assert!(before < 15, "{before} background requests went first");
}

#[tokio::test]
async fn a_priority_scope_makes_an_unmarked_client_interactive() {
    let before = background_done_before(|client| async move {
        Priority::Interactive.scope(client.me()).await.unwrap();
    })
    .await;
    assert!(before < 15, "{before} background requests went first");
}

#[tokio::test]
async fn without_a_priority_the_request_waits_behind_the_queue() {
    // The control: the same request unmarked waits its turn.
    let before = background_done_before(|client| async move {
        client.me().await.unwrap();
    })
    .await;
    assert!(before >= 50, "only {before} background requests went first");
}
