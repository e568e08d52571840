//! Long waits in a cycle: a rate limit longer than the client waits ends the cycle early with no
//! further request (issue 10 item 4), and a lone runner whose requests wait longer than its lease
//! keeps that lease (item 9). Real time, real HTTP to the emulator; each test has a pacer of its
//! own, so its penalty never holds the other tests' requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notion_client::{NotionClient, Pacer, SecretString};
use notion_emulator::{Fault, FaultRule, demo};
use store::LeaseKey;
use store::ListRequest;
use sync_driver::{CycleOptions, DriverConfig, SyncDriver};
use sync_engine::{ElectionId, ErrorClass};
use uuid::Uuid;

use crate::common::*;

/// A client of its own pacer (a 429's block stays in this test), retrying `max_attempts` times
/// and waiting at most `max_retry_wait` per `Retry-After`, each attempt cut at `timeout`.
fn isolated_client(
    w: &World,
    max_retry_wait: Duration,
    max_attempts: u32,
    timeout: Duration,
) -> NotionClient {
    NotionClient::builder()
        .token(SecretString::from(demo::TOKEN))
        .base_url(w.emu.base_url())
        .pacer(Pacer::new(1000.0, 50).unwrap())
        .base_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
        .max_retry_wait(max_retry_wait)
        .max_attempts(max_attempts)
        .timeout(timeout)
        .build()
        .unwrap()
}

fn driver(w: &World, notion: NotionClient, lease_ttl: i64) -> SyncDriver {
    let mut config = DriverConfig::new(BASE_URL, allowlist());
    config.holder = "driver-a".into();
    config.lease_ttl = secs(lease_ttl);
    SyncDriver::new(w.store.clone(), notion, config)
}

/// `n` elections open now, linked to new pages of the Elections database (each needs a write).
async fn open_elections(w: &World, n: usize) -> Vec<(ElectionId, Uuid)> {
    let mut out = Vec::new();
    for i in 0..n {
        let page = w.add_page(&format!("Election {i}"));
        let election = w.create_election(&format!("Election {i}"), -60, 3600);
        w.link(&election, page).await;
        out.push((election, page));
    }
    out
}

#[tokio::test]
async fn a_rate_limit_longer_than_the_client_waits_ends_the_cycle_with_no_further_request() {
    let w = World::new().await;
    let elections = open_elections(&w, 4).await;
    // The client waits out at most 60 s; Notion asks for 120 s on the first page write.
    let driver = driver(
        &w,
        isolated_client(&w, Duration::from_secs(60), 4, Duration::from_secs(30)),
        300,
    );
    w.emu.reset_counts();
    w.emu.set_fault(FaultRule {
        route: Some(PATCH_PAGE.into()),
        kind: Fault::Status(429),
        count: Some(1),
        retry_after_secs: Some(120),
        ..FaultRule::default()
    });
    let now = w.now();
    let report = driver
        .run_cycle(now, CycleOptions::scheduled())
        .await
        .unwrap();

    // The cycle stopped at the 429: the other three elections were neither written nor read.
    let until = report.rate_limited_until.expect("rate limited until T");
    assert!(until >= now + secs(120), "{until} is inside the penalty");
    assert!(until <= now + secs(180), "{until}");
    assert_eq!(w.served(PATCH_PAGE), 1, "only the write that got the 429");
    assert_eq!(w.emu.request_counts().with_status(429), 1);
    assert_eq!(report.counts.written, 0);
    assert_eq!(report.counts.failed, 1);
    assert_eq!(report.skipped.len(), 3, "{:?}", report.skipped);
    assert!(
        report
            .skipped
            .iter()
            .all(|(_, why)| why.contains("rate limited by Notion until")),
        "{:?}",
        report.skipped
    );
    // The run says so first (what `runs list` shows), with the absolute instant.
    let expected = format!("rate limited by Notion until {until}");
    let error = report.error.clone().unwrap();
    assert!(error.starts_with(&expected), "{error}");
    let run = w.store.get_run(report.run_id.unwrap()).unwrap().run;
    assert!(
        run.error.as_deref().unwrap().starts_with(&expected),
        "{run:?}"
    );
    // The election whose write got the 429 has the failure recorded; the others nothing yet.
    let failed: Vec<_> = elections
        .iter()
        .filter(|(e, _)| w.election(e).state().error_class == Some(ErrorClass::Transient))
        .collect();
    assert_eq!(failed.len(), 1);
    let message = w
        .election(&failed[0].0)
        .state()
        .notion_last_sync_error
        .unwrap();
    assert!(message.contains("429"), "{message}");
    for (election, page) in &elections {
        assert_eq!(
            w.status(*page).as_deref(),
            Some("Not started"),
            "{election}"
        );
    }

    // A next cycle inside the penalty (the same process, so the same pacer): zero requests reach
    // Notion, and it reports the same end again.
    w.emu.reset_counts();
    let again = driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(
        w.emu.request_counts().total(),
        0,
        "a request inside the penalty"
    );
    let again_until = again.rate_limited_until.expect("still rate limited");
    assert!(
        again_until >= until - secs(1),
        "{again_until} before {until}"
    );
    assert_eq!(again.counts.written, 0);
    let runs = w.store.list_runs(&ListRequest::first(10)).unwrap().items;
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter().all(|r| r
            .error
            .as_deref()
            .unwrap()
            .starts_with("rate limited by Notion until")),
        "{runs:?}"
    );
}

#[tokio::test]
async fn a_lone_runner_at_the_minimum_lease_ttl_keeps_its_lease_through_long_retries() {
    let w = World::new().await;
    let elections = open_elections(&w, 2).await;
    // The runner's minimum SYNC_LEASE_TTL is 2 × (max_retry_wait + timeout): 6 s here.
    let ttl = 6;
    let driver = driver(
        &w,
        isolated_client(&w, Duration::from_secs(1), 8, Duration::from_secs(2)),
        ttl,
    );
    // The change query is refused 7 times with `Retry-After: 1` (the most the client waits), so
    // that one request takes over 7 s, longer than the lease; each page write is slow.
    w.emu.set_fault(FaultRule {
        route: Some(QUERY.into()),
        kind: Fault::Status(429),
        count: Some(7),
        retry_after_secs: Some(1),
        ..FaultRule::default()
    });
    w.emu.set_fault(FaultRule {
        route: Some(PATCH_PAGE.into()),
        kind: Fault::LatencyMs(900),
        ..FaultRule::default()
    });
    // A second runner tries to take the lease all along, on the cycle's time line: had the lease
    // lapsed at any moment, it would have got it.
    let now = w.now();
    let started = tokio::time::Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let stolen = Arc::new(AtomicBool::new(false));
    let probe = {
        let store = Arc::clone(&w.store);
        let (done, stolen) = (Arc::clone(&done), Arc::clone(&stolen));
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let at = now + jiff::SignedDuration::try_from(started.elapsed()).unwrap();
                let s = Arc::clone(&store);
                let taken = tokio::task::spawn_blocking(move || {
                    // Only once the cycle has taken the lease: before, it is free for anyone.
                    s.get_lease(&LeaseKey::Global).unwrap().is_some()
                        && s.claim_lease(&LeaseKey::Global, "driver-b", secs(ttl), at)
                            .unwrap()
                            .is_some()
                })
                .await
                .unwrap();
                if taken {
                    stolen.store(true, Ordering::SeqCst);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let report = driver
        .run_cycle(now, CycleOptions::scheduled())
        .await
        .unwrap();
    done.store(true, Ordering::SeqCst);
    probe.await.unwrap();

    assert!(
        started.elapsed() > Duration::from_secs(ttl as u64),
        "the faults did not make the cycle outlast its lease"
    );
    assert_eq!(w.emu.request_counts().with_status(429), 7);
    assert!(!stolen.load(Ordering::SeqCst), "the lease lapsed mid-cycle");
    assert_eq!(report.error, None);
    assert_eq!(report.rate_limited_until, None);
    assert_eq!(report.counts.written, 2);
    for (election, page) in &elections {
        assert_eq!(w.status(*page).as_deref(), Some("In Voting"), "{election}");
    }
}

#[tokio::test]
async fn the_daemon_runs_no_cycle_before_the_penalty_ends_and_keeps_its_lease_meanwhile() {
    let w = World::new().await;
    open_elections(&w, 1).await;
    let clock = Arc::new(w.clock.clone());
    // A 60 s lease, shorter than the 120 s penalty; a 10 s poll.
    let driver = driver(
        &w,
        isolated_client(&w, Duration::from_secs(60), 4, Duration::from_secs(30)),
        60,
    )
    .with_clock(clock.clone());
    w.emu.set_fault(FaultRule {
        route: None,
        kind: Fault::Status(429),
        count: Some(1),
        retry_after_secs: Some(120),
        ..FaultRule::default()
    });
    let runs = || w.store.list_runs(&ListRequest::first(100)).unwrap().items;
    let settle = || tokio::time::sleep(Duration::from_millis(50));
    let shutdown = sync_driver::CancellationToken::new();
    let daemon = tokio::spawn({
        let (driver, shutdown) = (driver.clone(), shutdown.clone());
        async move {
            let options = sync_driver::DaemonOptions {
                interval: Duration::from_secs(10),
                reconcile_every: None,
            };
            driver.run_daemon(clock, shutdown, options).await
        }
    });
    for _ in 0..400 {
        if runs().first().is_some_and(|r| r.finished_at.is_some()) {
            break;
        }
        settle().await;
    }
    let first = runs();
    assert_eq!(first.len(), 1);
    let expected = format!("rate limited by Notion until {}", t0() + secs(120));
    assert!(
        first[0].error.as_deref().unwrap().starts_with(&expected),
        "{first:?}"
    );

    // Ten poll intervals pass, still inside the penalty: no cycle, and the lease stays ours.
    for _ in 0..10 {
        w.advance(secs(10));
        settle().await;
    }
    assert_eq!(runs().len(), 1, "a cycle ran inside the penalty");
    let lease = w.store.get_lease(&LeaseKey::Global).unwrap().expect("held");
    assert_eq!(lease.holder, "driver-a");
    assert!(
        lease.expires_at > w.now(),
        "{lease:?} lapsed at {}",
        w.now()
    );

    // Past the penalty's end, the next cycle runs.
    w.advance(secs(21));
    for _ in 0..400 {
        if runs().len() >= 2 {
            break;
        }
        settle().await;
    }
    assert_eq!(runs().len(), 2);
    shutdown.cancel();
    daemon.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_penalty_one_process_met_holds_another_process_on_the_same_connection() {
    let w = World::new().await;
    open_elections(&w, 2).await;
    let a = driver(
        &w,
        isolated_client(&w, Duration::from_secs(60), 4, Duration::from_secs(30)),
        300,
    );
    w.emu.set_fault(FaultRule {
        route: Some(PATCH_PAGE.into()),
        kind: Fault::Status(429),
        count: Some(1),
        retry_after_secs: Some(120),
        ..FaultRule::default()
    });
    let report = a
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    let until = report.rate_limited_until.expect("rate limited");
    let shared = w
        .store
        .connection_penalty(&store::ConnectionId::internal(), w.now())
        .unwrap()
        .expect("shared through the store");
    assert!(shared >= until - secs(1), "{shared} before {until}");

    // Another process (its own pacer, never told by Notion) waits for the same end: no request
    // reaches Notion inside the penalty (A's single cycle gave back the global lease).
    let mut config = DriverConfig::new(BASE_URL, allowlist());
    config.holder = "driver-b".into();
    let b = SyncDriver::new(
        w.store.clone(),
        isolated_client(&w, Duration::from_secs(60), 4, Duration::from_secs(30)),
        config,
    );
    w.emu.reset_counts();
    let report = b
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(w.emu.request_counts().total(), 0, "{report:?}");
    let b_until = report
        .rate_limited_until
        .expect("B stops for the same penalty");
    assert!(b_until >= until - secs(1), "{b_until} before {until}");
}
