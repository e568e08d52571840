//! Pauses, leases and the runner's wake-ups.

use std::sync::Arc;

use jiff::Timestamp;
use store::*;
use sync_engine::{ElectionId, Phase, SyncError, SyncErrorKind, record_failure};

use crate::backend::Fixture;
use crate::support::*;

pub(crate) async fn pause_and_resume(fx: Fixture) {
    let store = &*fx.store;
    let a = store
        .create_election(new_election("A"), now())
        .await
        .unwrap()
        .election
        .id;
    let b = store
        .create_election(new_election("B"), now())
        .await
        .unwrap()
        .election
        .id;
    store.set_link(&a, &link("db", "pa"), now()).await.unwrap();
    store.set_link(&b, &link("db", "pb"), now()).await.unwrap();
    assert!(!store.is_paused(None).await.unwrap());

    store
        .pause(&PauseScope::Election(a.clone()), now())
        .await
        .unwrap();
    store
        .pause(&PauseScope::Election(a.clone()), now() + secs(5))
        .await
        .unwrap();
    assert!(store.is_paused(Some(&a)).await.unwrap());
    assert!(!store.is_paused(Some(&b)).await.unwrap());
    let status = store.pause_status().await.unwrap();
    assert_eq!(status.paused_elections, [(a.clone(), now())]);
    let runnable = store.list_linked(&LinkedFilter::default()).await.unwrap();
    assert_eq!(runnable.len(), 1);
    assert_eq!(runnable[0].election.id, b);
    let everything = store
        .list_linked(&LinkedFilter {
            include_paused: true,
            ..LinkedFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(everything.iter().filter(|l| l.paused).count(), 1);

    store.pause(&PauseScope::All, now()).await.unwrap();
    assert!(store.is_paused(None).await.unwrap());
    assert!(store.is_paused(Some(&b)).await.unwrap());
    assert!(store.get_linked(&b).await.unwrap().paused);
    assert!(
        store
            .list_linked(&LinkedFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    store
        .resume(&PauseScope::Election(a.clone()))
        .await
        .unwrap();
    assert!(
        store.is_paused(Some(&a)).await.unwrap(),
        "global pause still applies"
    );
    store
        .pause(&PauseScope::Election(b.clone()), now())
        .await
        .unwrap();
    store.resume(&PauseScope::All).await.unwrap();
    assert!(!store.is_paused(Some(&b)).await.unwrap());
    assert_eq!(store.pause_status().await.unwrap(), PauseStatus::default());
}

pub(crate) async fn a_lease_is_exclusive_until_it_expires(fx: Fixture) {
    let store = &*fx.store;
    let ttl = secs(30);
    let global = &LeaseKey::Global;
    let claim = async |holder: &str, at: Timestamp| {
        store
            .claim_lease(global, holder, ttl, at)
            .await
            .unwrap()
            .map(|claim| claim.lease)
    };
    let first = claim("runner-a", now()).await.expect("free lease");
    assert_eq!(first.holder, "runner-a");
    assert_eq!(first.name, "sync:global");
    assert_eq!(first.expires_at, now() + ttl);
    assert_eq!(claim("runner-b", now() + secs(29)).await, None);
    assert!(matches!(
        store.renew_lease(global, "runner-b", ttl, now()).await,
        Err(StoreError::Conflict { .. })
    ));
    // The holder renews; the other still cannot take it.
    let renewed = store
        .renew_lease(global, "runner-a", ttl, now() + secs(20))
        .await
        .unwrap();
    assert_eq!(renewed.expires_at, now() + secs(50));
    assert_eq!(renewed.acquired_at, now());
    assert_eq!(claim("runner-b", now() + secs(49)).await, None);
    // Re-acquiring one's own lease extends it.
    let again = claim("runner-a", now() + secs(40)).await.unwrap();
    assert_eq!(again.expires_at, now() + secs(70));
    // Once expired, another holder takes it, and the old holder can no longer renew.
    let taken = claim("runner-b", now() + secs(70))
        .await
        .expect("expired lease");
    assert_eq!(taken.holder, "runner-b");
    assert_eq!(taken.acquired_at, now() + secs(70));
    assert!(matches!(
        store
            .renew_lease(global, "runner-a", ttl, now() + secs(71))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(!store.release_lease(global, "runner-a").await.unwrap());
    assert!(store.release_lease(global, "runner-b").await.unwrap());
    assert_eq!(store.get_lease(global).await.unwrap(), None);
    assert!(claim("runner-a", now() + secs(72)).await.is_some());
    let election = LeaseKey::Link(link_id(0xa));
    assert!(matches!(
        store.claim_lease(&election, "a", secs(0), now()).await,
        Err(StoreError::Invalid { field: "ttl", .. })
    ));
    // (A lease without a name cannot be asked for: keys are typed.) One without a holder is
    // refused.
    assert!(matches!(
        store.claim_lease(&election, " ", ttl, now()).await,
        Err(StoreError::Invalid {
            field: "holder",
            ..
        })
    ));
    // Leases are independent by key.
    let lease = store
        .claim_lease(&election, "runner-b", ttl, now() + secs(72))
        .await
        .unwrap()
        .expect("another key is free");
    assert_eq!(
        lease.lease.name,
        "sync:link:lnk_0000000000000000000000000000000a"
    );
}

pub(crate) async fn taking_over_an_expired_lease_releases_only_the_dead_holders_dependents(
    fx: Fixture,
) {
    let store = &*fx.store;
    let ttl = secs(30);
    let global = &LeaseKey::Global;
    let election = |id: &str| LeaseKey::Link(link_id(u128::from_str_radix(id, 16).unwrap()));
    store
        .claim_lease(global, "runner-a", ttl, now())
        .await
        .unwrap()
        .unwrap();
    for (id, holder) in [
        ("e1", cycle_lease_holder("runner-a")),
        ("e2", "runner-a".to_owned()),
        ("e3", cycle_lease_holder("api-server")),
    ] {
        store
            .claim_lease(&election(id), &holder, secs(300), now() + secs(10))
            .await
            .unwrap()
            .unwrap();
    }
    let take = async |at: Timestamp, holder: &str| {
        store.claim_lease(global, holder, ttl, at).await.unwrap()
    };
    // While runner-a's lease is live: refused, nothing released.
    assert_eq!(take(now() + secs(29), "runner-b").await, None);
    assert!(store.get_lease(&election("e1")).await.unwrap().is_some());
    // runner-a's own re-acquisition is no takeover.
    let own = take(now() + secs(20), "runner-a").await.unwrap();
    assert_eq!((own.taken_from, own.released.len()), (None, 0));
    // Expired: runner-b takes it and only runner-a's cycle election leases go.
    let taken = take(now() + secs(50), "runner-b").await.unwrap();
    assert_eq!(taken.lease.holder, "runner-b");
    assert_eq!(taken.taken_from.as_deref(), Some("runner-a"));
    assert_eq!(taken.released, [election("e1")]);
    assert_eq!(store.get_lease(&election("e1")).await.unwrap(), None);
    for kept in ["e2", "e3"] {
        assert!(
            store.get_lease(&election(kept)).await.unwrap().is_some(),
            "{kept}"
        );
    }
    // A released (not expired) lease is free: taking it is no takeover either.
    store.release_lease(global, "runner-b").await.unwrap();
    let free = take(now() + secs(51), "runner-c").await.unwrap();
    assert_eq!((free.taken_from, free.released.len()), (None, 0));
}

/// Four handles on one store (four processes) claim the global lease at once: one gets it.
pub(crate) async fn two_processes_racing_for_a_lease_one_wins(fx: Fixture) {
    let mut handles = Vec::new();
    for _ in 0..4 {
        handles.push(fx.another().await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let tasks: Vec<_> = handles
        .into_iter()
        .enumerate()
        .map(|(i, store)| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .claim_lease(&LeaseKey::Global, &format!("runner-{i}"), secs(60), now())
                    .await
                    .unwrap()
                    .is_some()
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        winners.push(task.await.unwrap());
    }
    assert_eq!(winners.iter().filter(|w| **w).count(), 1, "{winners:?}");
}

pub(crate) async fn phase_changes_for_wakeups(fx: Fixture) {
    let store = &*fx.store;
    let a = store
        .create_election(new_election("A"), now())
        .await
        .unwrap()
        .election
        .id;
    let b = NewElection {
        open_at: t("2026-02-15T00:00:00Z"),
        close_at: t("2026-02-20T00:00:00Z"),
        ..new_election("B")
    };
    let b = store.create_election(b, now()).await.unwrap().election.id;
    let unlinked = NewElection {
        open_at: t("2026-02-02T00:00:00Z"),
        ..new_election("unlinked")
    };
    store.create_election(unlinked, now()).await.unwrap();
    store.set_link(&a, &link("db", "pa"), now()).await.unwrap();
    store.set_link(&b, &link("db", "pb"), now()).await.unwrap();
    let changes = store.upcoming_phase_changes(now(), 10).await.unwrap();
    let summary: Vec<(ElectionId, Timestamp, Phase)> = changes
        .into_iter()
        .map(|c| (c.election_id, c.at, c.phase))
        .collect();
    assert_eq!(
        summary,
        [
            (b.clone(), t("2026-02-15T00:00:00Z"), Phase::Open),
            (b.clone(), t("2026-02-20T00:00:00Z"), Phase::Closed),
            (a.clone(), t("2026-03-01T09:00:00Z"), Phase::Open),
            (a.clone(), t("2026-03-08T09:00:00Z"), Phase::Closed),
        ]
    );
    // Strictly after `now`.
    let at_open = t("2026-02-15T00:00:00Z");
    assert_eq!(
        store.next_phase_change_at(at_open).await.unwrap(),
        Some(t("2026-02-20T00:00:00Z"))
    );
    assert_eq!(
        store
            .next_phase_change_at(t("2027-01-01T00:00:00Z"))
            .await
            .unwrap(),
        None
    );
}

pub(crate) async fn paused_elections_have_no_wakeups(fx: Fixture) {
    let store = &*fx.store;
    let a = store
        .create_election(new_election("A"), now())
        .await
        .unwrap()
        .election
        .id;
    let b = NewElection {
        open_at: t("2026-02-15T00:00:00Z"),
        close_at: t("2026-02-20T00:00:00Z"),
        ..new_election("B")
    };
    let b = store.create_election(b, now()).await.unwrap().election.id;
    store.set_link(&a, &link("db", "pa"), now()).await.unwrap();
    store.set_link(&b, &link("db", "pb"), now()).await.unwrap();
    // A failed sync of `a` backs off until 10:05; of `b` until 10:02.
    for (id, page, until) in [(&a, "pa", secs(300)), (&b, "pb", secs(120))] {
        let error = SyncError::new(SyncErrorKind::Server, "Notion 503");
        let mut state = record_failure(now(), &synced_state(now()), error).state;
        state.next_attempt_at = Some(now() + until);
        let record = SyncRecord {
            election_id: id.clone(),
            link_id: primary_link(store, id).await,
            page_id: page.into(),
            state,
            election_update: None,
            mapping_update: None,
        };
        store.record_sync(record, now()).await.unwrap();
    }
    let ids = async |store: &dyn Store| -> Vec<ElectionId> {
        store
            .upcoming_phase_changes(now(), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.election_id)
            .collect()
    };
    assert_eq!(
        ids(store).await,
        [b.clone(), b.clone(), a.clone(), a.clone()]
    );
    assert_eq!(
        store.next_retry_at(now()).await.unwrap(),
        Some(now() + secs(120))
    );
    // Strictly after `now`.
    assert_eq!(
        store.next_retry_at(now() + secs(120)).await.unwrap(),
        Some(now() + secs(300))
    );

    // Pausing `b` removes its phase changes and its retry.
    store
        .pause(&PauseScope::Election(b.clone()), now())
        .await
        .unwrap();
    assert_eq!(ids(store).await, [a.clone(), a.clone()]);
    assert_eq!(
        store.next_phase_change_at(now()).await.unwrap(),
        Some(t("2026-03-01T09:00:00Z"))
    );
    assert_eq!(
        store.next_retry_at(now()).await.unwrap(),
        Some(now() + secs(300))
    );

    // Everything paused: nothing; resuming brings both back.
    store.pause(&PauseScope::All, now()).await.unwrap();
    assert!(ids(store).await.is_empty());
    assert_eq!(store.next_phase_change_at(now()).await.unwrap(), None);
    assert_eq!(store.next_retry_at(now()).await.unwrap(), None);
    store.resume(&PauseScope::All).await.unwrap();
    assert_eq!(ids(store).await.len(), 4);
    assert_eq!(
        store.next_retry_at(now()).await.unwrap(),
        Some(now() + secs(120))
    );
}
