//! Elections, their links, the due filter, sync records and batches.

use jiff::Timestamp;
use store::*;
use sync_engine::{
    ElectionId, ElectionUpdate, ErrorClass, SyncError, SyncErrorKind, SyncState, TextChange,
    Trigger, record_failure,
};

use crate::backend::Fixture;
use crate::support::*;

pub(crate) async fn election_crud(fx: Fixture) {
    let store = &*fx.store;
    let created = store
        .create_election(new_election("  Board  "), now())
        .await
        .unwrap();
    let id = created.election.id.clone();
    assert!(id.as_str().starts_with("elec_"), "{id}");
    assert_eq!(id.as_str().len(), 5 + 32);
    assert_eq!(created.election.title, "Board");
    assert_eq!(created.election.created_at, now());
    assert_eq!(created.link(), None);
    assert_eq!(created.state(), SyncState::default());
    assert_eq!(store.get_election(&id).await.unwrap(), created);

    let later = now() + secs(60);
    let patched = store
        .update_election(
            &id,
            &ElectionPatch {
                description: Some(String::new()),
                close_at: Some(t("2026-03-09T09:00:00Z")),
                ..ElectionPatch::default()
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(patched.election.title, "Board");
    assert_eq!(patched.election.description, "");
    assert_eq!(patched.election.close_at, t("2026-03-09T09:00:00Z"));
    assert_eq!(patched.election.updated_at, later);
    let unchanged = store
        .update_election(&id, &ElectionPatch::default(), later + secs(5))
        .await
        .unwrap();
    assert_eq!(unchanged.election.updated_at, later);

    // Explicit ids, and their conflicts.
    let explicit = NewElection {
        id: Some(ElectionId::parse("elec_import_1").unwrap()),
        ..new_election("Imported")
    };
    store
        .create_election(explicit.clone(), now())
        .await
        .unwrap();
    assert!(matches!(
        store.create_election(explicit, now()).await,
        Err(StoreError::Conflict { .. })
    ));

    store.delete_election(&id).await.unwrap();
    assert!(matches!(
        store.get_election(&id).await,
        Err(StoreError::NotFound {
            what: "election",
            ..
        })
    ));
    assert!(matches!(
        store.delete_election(&id).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(crate) async fn bad_input_gives_typed_errors_and_writes_nothing(fx: Fixture) {
    let store = &*fx.store;
    let empty = store.create_election(new_election("   "), now()).await;
    assert!(matches!(
        empty,
        Err(StoreError::Invalid { field: "title", .. })
    ));
    let backwards = NewElection {
        open_at: t("2026-03-08T09:00:00Z"),
        close_at: t("2026-03-01T09:00:00Z"),
        ..new_election("x")
    };
    assert!(matches!(
        store.create_election(backwards, now()).await,
        Err(StoreError::Invalid {
            field: "close_at",
            ..
        })
    ));
    assert!(
        store
            .list_elections(&ListRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let id = store
        .create_election(new_election("ok"), now())
        .await
        .unwrap()
        .election
        .id;
    let before = store.get_election(&id).await.unwrap();
    let bad_patch = ElectionPatch {
        title: Some("New".into()),
        open_at: Some(t("2026-04-01T00:00:00Z")),
        ..ElectionPatch::default()
    };
    assert!(matches!(
        store.update_election(&id, &bad_patch, now()).await,
        Err(StoreError::Invalid {
            field: "close_at",
            ..
        })
    ));
    assert_eq!(
        store.get_election(&id).await.unwrap(),
        before,
        "nothing half-written"
    );
    assert!(matches!(
        store
            .update_election(
                &id,
                &ElectionPatch {
                    title: Some(" ".into()),
                    ..ElectionPatch::default()
                },
                now()
            )
            .await,
        Err(StoreError::Invalid { field: "title", .. })
    ));

    let unknown = ElectionId::parse("elec_nope").unwrap();
    assert!(matches!(
        store.update_election(&unknown, &bad_patch, now()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_link(&unknown, &link("db", "p"), now()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .pause(&PauseScope::Election(unknown.clone()), now())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.is_paused(Some(&unknown)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_link(&id, &link("", "p"), now()).await,
        Err(StoreError::Invalid {
            field: "notion_database_id",
            ..
        })
    ));
    let mut no_status = link("db", "p");
    no_status.mapping.status.done = String::new();
    assert!(matches!(
        store.set_link(&id, &no_status, now()).await,
        Err(StoreError::Invalid {
            field: "notion_status_value_done",
            ..
        })
    ));
    for limit in [0, MAX_PAGE_LIMIT + 1] {
        assert!(matches!(
            store.list_elections(&ListRequest::first(limit)).await,
            Err(StoreError::Invalid { field: "limit", .. })
        ));
    }
    let garbage = ListRequest {
        limit: 10,
        cursor: Some("not-a-cursor".into()),
    };
    assert!(matches!(
        store.list_elections(&garbage).await,
        Err(StoreError::Invalid {
            field: "cursor",
            ..
        })
    ));
    assert!(matches!(
        store.list_runs(&garbage).await,
        Err(StoreError::Invalid {
            field: "cursor",
            ..
        })
    ));
    assert!(matches!(
        parse_run_id("run-1"),
        Err(StoreError::Invalid {
            field: "run_id",
            ..
        })
    ));
}

pub(crate) async fn elections_paginate_by_cursor(fx: Fixture) {
    let store = &*fx.store;
    let mut ids = Vec::new();
    for i in 0..7 {
        let at = now() + secs(i);
        ids.push(
            store
                .create_election(new_election(&format!("E{i}")), at)
                .await
                .unwrap()
                .election
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut request = ListRequest::first(3);
    loop {
        let page = store.list_elections(&request).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|r| r.election.id));
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, ids, "minted ids sort by creation time");
}

pub(crate) async fn link_relink_unlink_and_linked_listing(fx: Fixture) {
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
    let c = store
        .create_election(new_election("C"), now())
        .await
        .unwrap()
        .election
        .id;
    assert!(matches!(
        store.get_linked(&a).await,
        Err(StoreError::Conflict { .. })
    ));

    let mut custom = link("db1", "page-a");
    custom.mapping.status.in_voting = "Active".into();
    custom.notion_page_url = Some("https://www.notion.so/page-a".into());
    let linked = store.set_link(&a, &custom, now()).await.unwrap();
    assert_eq!(linked.link(), Some(&custom));
    assert_eq!(linked.links.len(), 1);
    assert!(linked.links[0].primary);
    store
        .set_link(&b, &link("db2", "page-b"), now())
        .await
        .unwrap();
    store
        .set_link(&c, &link("db1", "page-c"), now())
        .await
        .unwrap();

    let all = store.list_linked(&LinkedFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    let db1 = store
        .list_linked(&LinkedFilter {
            database_id: Some("db1".into()),
            ..LinkedFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(db1.len(), 2);
    assert!(db1.iter().all(|l| l.link.notion_database_id == "db1"));
    let only_b = store
        .list_linked(&LinkedFilter {
            election_id: Some(b.clone()),
            ..LinkedFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(only_b.len(), 1);
    assert_eq!(store.get_linked(&a).await.unwrap().link, custom);

    // Sync state, then re-link: replaced and reset.
    let state = synced_state(now());
    store
        .record_sync(
            SyncRecord {
                election_id: a.clone(),
                link_id: primary_link(store, &a).await,
                page_id: "page-a".into(),
                state: state.clone(),
                election_update: None,
                mapping_update: None,
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(store.get_linked(&a).await.unwrap().state, state);
    let relinked = store
        .set_link(&a, &link("db1", "page-a2"), now())
        .await
        .unwrap();
    assert_eq!(relinked.link().unwrap().notion_page_id, "page-a2");
    assert_eq!(relinked.state(), SyncState::default());
    assert_eq!(
        relinked.links.len(),
        1,
        "re-linking replaces the primary link"
    );

    // Unlink: fields cleared, election kept.
    let unlinked = store.clear_link(&a, now()).await.unwrap();
    assert_eq!(unlinked.link(), None);
    assert_eq!(unlinked.state(), SyncState::default());
    assert_eq!(unlinked.election.title, "A");
    assert_eq!(
        store
            .list_linked(&LinkedFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store.clear_link(&a, now()).await.is_ok(),
        "unlinking twice is fine"
    );
}

pub(crate) async fn due_filter_follows_the_planner_cadence(fx: Fixture) {
    let store = &*fx.store;
    let never = store
        .create_election(new_election("never"), now())
        .await
        .unwrap()
        .election
        .id;
    let recent = store
        .create_election(new_election("recent"), now())
        .await
        .unwrap()
        .election
        .id;
    let old = store
        .create_election(new_election("old"), now())
        .await
        .unwrap()
        .election
        .id;
    let backoff = store
        .create_election(new_election("backoff"), now())
        .await
        .unwrap()
        .election
        .id;
    for (id, page) in [
        (&never, "p1"),
        (&recent, "p2"),
        (&old, "p3"),
        (&backoff, "p4"),
    ] {
        store.set_link(id, &link("db", page), now()).await.unwrap();
    }
    let record = async |id: &ElectionId, page: &str, state: SyncState| {
        store
            .record_sync(
                SyncRecord {
                    election_id: id.clone(),
                    link_id: primary_link(store, id).await,
                    page_id: page.into(),
                    state,
                    election_update: None,
                    mapping_update: None,
                },
                now(),
            )
            .await
            .unwrap();
    };
    record(&recent, "p2", synced_state(now() - secs(10))).await;
    record(&old, "p3", synced_state(now() - secs(600))).await;
    let failed = record_failure(
        now(),
        &synced_state(now() - secs(600)),
        SyncError::new(SyncErrorKind::StatusOptionMissing, "no Done"),
    )
    .state;
    assert_eq!(failed.error_class, Some(ErrorClass::Permanent));
    record(&backoff, "p4", failed).await;

    let due = async |at: Timestamp, trigger| {
        let mut ids: Vec<String> = store
            .list_linked(&LinkedFilter {
                due: Some(DueFilter {
                    now: at,
                    min_interval: sync_engine::DEFAULT_MIN_INTERVAL,
                    trigger,
                }),
                ..LinkedFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.election.title)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        due(now() + secs(1), Trigger::Scheduled).await,
        ["never", "old"]
    );
    assert_eq!(
        due(now() + secs(1), Trigger::Manual).await,
        ["backoff", "never", "old", "recent"]
    );
    assert_eq!(
        due(now() + secs(60), Trigger::Scheduled).await,
        ["backoff", "never", "old", "recent"]
    );
    // At open_at everything is due, whatever the interval.
    assert_eq!(
        due(t("2026-03-01T09:00:00Z"), Trigger::Scheduled)
            .await
            .len(),
        4
    );
}

pub(crate) async fn record_sync_applies_state_observation_and_pulls(fx: Fixture) {
    let store = &*fx.store;
    let id = store
        .create_election(new_election("Old title"), now())
        .await
        .unwrap()
        .election
        .id;
    store
        .set_link(&id, &link("db", "page"), now())
        .await
        .unwrap();
    let link_id = primary_link(store, &id).await;
    let mut state = synced_state(now());
    state.notion_done_set_at = Some(now());
    let later = now() + secs(30);
    let report = store
        .record_sync(
            SyncRecord {
                election_id: id.clone(),
                link_id: link_id.clone(),
                page_id: "page".into(),
                state: state.clone(),
                election_update: Some(ElectionUpdate {
                    title: Some(TextChange {
                        from: "Old title".into(),
                        to: "New title".into(),
                    }),
                    description: Some(TextChange {
                        from: "something else".into(),
                        to: "Notion text".into(),
                    }),
                }),
                mapping_update: None,
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(report.recorded, std::slice::from_ref(&id));
    assert_eq!(
        report.pulls_superseded,
        [(id.clone(), "description".to_owned())]
    );
    let record = store.get_election(&id).await.unwrap();
    assert_eq!(record.election.title, "New title");
    assert_eq!(record.election.description, "desc", "admin's value wins");
    assert_eq!(record.election.updated_at, later);
    assert_eq!(record.state(), state);

    let mut fresh = observation();
    fresh.values.insert(
        "st".into(),
        sync_engine::ObservedValue::Status(Some("Done".into())),
    );
    store.save_observation(&link_id, &fresh).await.unwrap();
    assert_eq!(
        store
            .get_election(&id)
            .await
            .unwrap()
            .state()
            .last_observation,
        Some(fresh.clone())
    );
    let state = SyncState {
        last_observation: Some(fresh),
        ..state
    };

    // A record for another page, a removed link or a deleted election is skipped.
    let stale = SyncRecord {
        election_id: id.clone(),
        link_id: link_id.clone(),
        page_id: "old-page".into(),
        state: SyncState::default(),
        election_update: None,
        mapping_update: None,
    };
    let report = store.record_sync(stale.clone(), later).await.unwrap();
    assert_eq!(report.skipped.len(), 1);
    assert!(report.skipped[0].reason.contains("another page"));
    assert_eq!(store.get_election(&id).await.unwrap().state(), state);
    let relinked = store
        .set_link(&id, &link("db", "page"), later)
        .await
        .unwrap();
    assert_ne!(relinked.links[0].id, link_id, "a re-link is a new link");
    let report = store
        .record_sync(
            SyncRecord {
                page_id: "page".into(),
                ..stale.clone()
            },
            later,
        )
        .await
        .unwrap();
    assert!(report.skipped[0].reason.contains("link was removed"));
    assert_eq!(
        store.get_election(&id).await.unwrap().state(),
        SyncState::default(),
        "the old link's record does not land on the new link"
    );
    store.delete_election(&id).await.unwrap();
    let report = store.record_sync(stale.clone(), later).await.unwrap();
    assert!(report.skipped[0].reason.contains("deleted"));
    assert!(matches!(
        store.save_observation(&link_id, &observation()).await,
        Err(StoreError::NotFound { what: "link", .. })
    ));
}

pub(crate) async fn batch_commits_everything_or_nothing(fx: Fixture) {
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
    let run = store
        .start_run(Trigger::Scheduled, "runner-1", now())
        .await
        .unwrap();
    let records = vec![
        SyncRecord {
            election_id: a.clone(),
            link_id: primary_link(store, &a).await,
            page_id: "pa".into(),
            state: synced_state(now()),
            election_update: None,
            mapping_update: None,
        },
        SyncRecord {
            election_id: b.clone(),
            link_id: primary_link(store, &b).await,
            page_id: "pb".into(),
            state: synced_state(now()),
            election_update: None,
            mapping_update: None,
        },
    ];
    let cursor = SyncCursor {
        database_id: "db".into(),
        last_edited_cursor: Some(now() - secs(60)),
        last_full_reconcile_at: None,
        updated_at: now(),
    };
    let log = NewLogEntry {
        at: now(),
        election_id: Some(a.clone()),
        page_id: Some("pa".into()),
        action: LogAction::Wrote,
        detail: Some(serde_json::json!({"status": "In Voting"})),
        error: None,
    };

    // Logs for an unknown run: the whole batch is refused.
    let bad = SyncBatch {
        records: records.clone(),
        cursors: vec![cursor.clone()],
        logs: vec![log.clone()],
        run_id: Some(uuid::Uuid::nil()),
    };
    assert!(matches!(
        store.commit_batch(bad.clone(), now()).await,
        Err(StoreError::NotFound { what: "run", .. })
    ));
    assert_eq!(
        store.get_election(&a).await.unwrap().state(),
        SyncState::default()
    );
    assert_eq!(store.get_cursor("db").await.unwrap(), None);
    assert!(matches!(
        store
            .commit_batch(
                SyncBatch {
                    logs: vec![log.clone()],
                    ..SyncBatch::default()
                },
                now()
            )
            .await,
        Err(StoreError::Invalid {
            field: "run_id",
            ..
        })
    ));

    let good = SyncBatch {
        run_id: Some(run.id),
        ..bad
    };
    let report = store.commit_batch(good, now()).await.unwrap();
    assert_eq!(report.recorded.len(), 2);
    assert_eq!(
        store.get_election(&b).await.unwrap().state(),
        synced_state(now())
    );
    assert_eq!(store.get_cursor("db").await.unwrap(), Some(cursor));
    let with_logs = store.get_run(run.id).await.unwrap();
    assert_eq!(with_logs.logs.len(), 1);
    assert_eq!(with_logs.logs[0].entry, log);
}

/// One store handle shared by tasks on several worker threads, writing at once.
pub(crate) async fn one_store_shared_by_tasks(fx: Fixture) {
    let store = &*fx.store;
    let handles: Vec<_> = (0..4)
        .map(|task| {
            let store = SharedStore::clone(&fx.store);
            tokio::spawn(async move {
                for i in 0..25 {
                    store
                        .create_election(new_election(&format!("{task}-{i}")), now())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(
        store
            .list_elections(&ListRequest::first(1000))
            .await
            .unwrap()
            .items
            .len(),
        100
    );
}
