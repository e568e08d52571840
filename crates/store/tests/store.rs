//! The store against real SQLite files in temporary directories.

use std::sync::{Arc, Barrier};

use jiff::{SignedDuration, Timestamp};
use store::*;
use sync_engine::{
    ElectionId, ElectionUpdate, ErrorClass, NotionLink, PageObservation, Phase, PropertyKind,
    SchemaObservation, SyncError, SyncErrorKind, SyncState, TextChange, Trigger, record_failure,
};
use tempfile::TempDir;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}
fn now() -> Timestamp {
    t("2026-02-01T10:00:00Z")
}
fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.sqlite3")).unwrap();
    (dir, store)
}

fn new_election(title: &str) -> NewElection {
    NewElection {
        id: None,
        title: title.into(),
        description: "desc".into(),
        open_at: t("2026-03-01T09:00:00Z"),
        close_at: t("2026-03-08T09:00:00Z"),
    }
}

fn link(db: &str, page: &str) -> NotionLink {
    NotionLink::new(db, page)
}

fn observation() -> PageObservation {
    PageObservation {
        observed_at: now(),
        last_edited_time: Some(now()),
        in_trash: false,
        status: Some("Not started".into()),
        results_url: None,
        title: Some("T".into()),
        description: None,
        schema: SchemaObservation {
            status_property_type: Some(PropertyKind::Status),
            status_options: vec!["Not started".into(), "In Voting".into(), "Done".into()],
            results_property_type: Some(PropertyKind::Url),
            title_property_type: Some(PropertyKind::Title),
            description_property_type: Some(PropertyKind::RichText),
        },
    }
}

fn synced_state(at: Timestamp) -> SyncState {
    SyncState {
        notion_last_sync_at: Some(at),
        last_attempt_at: Some(at),
        last_observation: Some(observation()),
        ..SyncState::default()
    }
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

#[test]
fn opening_a_file_in_a_missing_folder_creates_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("nested").join("elections.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
    assert!(path.is_file());

    // A folder that cannot be created is a typed error naming it, not a panic.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"").unwrap();
    let error = Store::open(blocker.join("elections.db")).err().unwrap();
    assert!(matches!(error, StoreError::Folder { .. }), "{error:?}");
    assert!(error.to_string().contains("a-file"), "{error}");
}

#[test]
fn migrates_from_empty_and_from_every_earlier_version() {
    for version in 0..LATEST_SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            migrations().to_version(&mut conn, version).unwrap();
            if version >= 1 {
                // Columns of schema version 1, which later migrations must carry forward.
                conn.execute(
                    "INSERT INTO elections (id, title, description, open_at, close_at, created_at, updated_at) \
                     VALUES ('elec_old', 'Old', '', 1, 2, 0, 0)",
                    [],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let listed = store.list_elections(&ListRequest::first(10)).unwrap();
        assert_eq!(
            listed.items.len(),
            usize::from(version >= 1),
            "from v{version}"
        );
        // Reopening an up-to-date file is a no-op.
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
    }
}

#[test]
fn wal_and_foreign_keys_are_on() {
    let (dir, store) = temp_store();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("store.sqlite3")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let in_memory = Store::open_in_memory().unwrap();
    assert_eq!(in_memory.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
    assert!(in_memory.path().is_none());
}

#[test]
fn election_crud() {
    let (_dir, store) = temp_store();
    let created = store
        .create_election(new_election("  Board  "), now())
        .unwrap();
    let id = created.election.id.clone();
    assert!(id.as_str().starts_with("elec_"), "{id}");
    assert_eq!(id.as_str().len(), 5 + 32);
    assert_eq!(created.election.title, "Board");
    assert_eq!(created.election.created_at, now());
    assert_eq!(created.link, None);
    assert_eq!(created.state, SyncState::default());
    assert_eq!(store.get_election(&id).unwrap(), created);

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
        .unwrap();
    assert_eq!(patched.election.title, "Board");
    assert_eq!(patched.election.description, "");
    assert_eq!(patched.election.close_at, t("2026-03-09T09:00:00Z"));
    assert_eq!(patched.election.updated_at, later);
    let unchanged = store
        .update_election(&id, &ElectionPatch::default(), later + secs(5))
        .unwrap();
    assert_eq!(unchanged.election.updated_at, later);

    // Explicit ids, and their conflicts.
    let explicit = NewElection {
        id: Some(ElectionId::parse("elec_import_1").unwrap()),
        ..new_election("Imported")
    };
    store.create_election(explicit.clone(), now()).unwrap();
    assert!(matches!(
        store.create_election(explicit, now()),
        Err(StoreError::Conflict { .. })
    ));

    store.delete_election(&id).unwrap();
    assert!(matches!(
        store.get_election(&id),
        Err(StoreError::NotFound {
            what: "election",
            ..
        })
    ));
    assert!(matches!(
        store.delete_election(&id),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn bad_input_gives_typed_errors_and_writes_nothing() {
    let (_dir, store) = temp_store();
    let empty = store.create_election(new_election("   "), now());
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
        store.create_election(backwards, now()),
        Err(StoreError::Invalid {
            field: "close_at",
            ..
        })
    ));
    assert!(
        store
            .list_elections(&ListRequest::first(10))
            .unwrap()
            .items
            .is_empty()
    );

    let id = store
        .create_election(new_election("ok"), now())
        .unwrap()
        .election
        .id;
    let before = store.get_election(&id).unwrap();
    let bad_patch = ElectionPatch {
        title: Some("New".into()),
        open_at: Some(t("2026-04-01T00:00:00Z")),
        ..ElectionPatch::default()
    };
    assert!(matches!(
        store.update_election(&id, &bad_patch, now()),
        Err(StoreError::Invalid {
            field: "close_at",
            ..
        })
    ));
    assert_eq!(
        store.get_election(&id).unwrap(),
        before,
        "nothing half-written"
    );
    assert!(matches!(
        store.update_election(
            &id,
            &ElectionPatch {
                title: Some(" ".into()),
                ..ElectionPatch::default()
            },
            now()
        ),
        Err(StoreError::Invalid { field: "title", .. })
    ));

    let unknown = ElectionId::parse("elec_nope").unwrap();
    assert!(matches!(
        store.update_election(&unknown, &bad_patch, now()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_link(&unknown, &link("db", "p"), now()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.pause(&PauseScope::Election(unknown.clone()), now()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.is_paused(Some(&unknown)),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_link(&id, &link("", "p"), now()),
        Err(StoreError::Invalid {
            field: "notion_database_id",
            ..
        })
    ));
    let mut no_status = link("db", "p");
    no_status.notion_status_value_done = String::new();
    assert!(matches!(
        store.set_link(&id, &no_status, now()),
        Err(StoreError::Invalid {
            field: "notion_status_value_done",
            ..
        })
    ));
    for limit in [0, MAX_PAGE_LIMIT + 1] {
        assert!(matches!(
            store.list_elections(&ListRequest::first(limit)),
            Err(StoreError::Invalid { field: "limit", .. })
        ));
    }
    let garbage = ListRequest {
        limit: 10,
        cursor: Some("not-a-cursor".into()),
    };
    assert!(matches!(
        store.list_elections(&garbage),
        Err(StoreError::Invalid {
            field: "cursor",
            ..
        })
    ));
    assert!(matches!(
        store.list_runs(&garbage),
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

#[test]
fn elections_paginate_by_cursor() {
    let (_dir, store) = temp_store();
    let mut ids = Vec::new();
    for i in 0..7 {
        let at = now() + secs(i);
        ids.push(
            store
                .create_election(new_election(&format!("E{i}")), at)
                .unwrap()
                .election
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut request = ListRequest::first(3);
    loop {
        let page = store.list_elections(&request).unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|r| r.election.id));
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, ids, "minted ids sort by creation time");
}

#[test]
fn link_relink_unlink_and_linked_listing() {
    let (_dir, store) = temp_store();
    let a = store
        .create_election(new_election("A"), now())
        .unwrap()
        .election
        .id;
    let b = store
        .create_election(new_election("B"), now())
        .unwrap()
        .election
        .id;
    let c = store
        .create_election(new_election("C"), now())
        .unwrap()
        .election
        .id;
    assert!(matches!(
        store.get_linked(&a),
        Err(StoreError::Conflict { .. })
    ));

    let mut custom = link("db1", "page-a");
    custom.notion_status_value_in_voting = "Active".into();
    custom.notion_page_url = Some("https://www.notion.so/page-a".into());
    let linked = store.set_link(&a, &custom, now()).unwrap();
    assert_eq!(linked.link.as_ref(), Some(&custom));
    store.set_link(&b, &link("db2", "page-b"), now()).unwrap();
    store.set_link(&c, &link("db1", "page-c"), now()).unwrap();

    let all = store.list_linked(&LinkedFilter::default()).unwrap();
    assert_eq!(all.len(), 3);
    let db1 = store
        .list_linked(&LinkedFilter {
            database_id: Some("db1".into()),
            ..LinkedFilter::default()
        })
        .unwrap();
    assert_eq!(db1.len(), 2);
    assert!(db1.iter().all(|l| l.link.notion_database_id == "db1"));
    let only_b = store
        .list_linked(&LinkedFilter {
            election_id: Some(b.clone()),
            ..LinkedFilter::default()
        })
        .unwrap();
    assert_eq!(only_b.len(), 1);
    assert_eq!(store.get_linked(&a).unwrap().link, custom);

    // Sync state, then re-link: replaced and reset.
    let state = synced_state(now());
    store
        .record_sync(
            &SyncRecord {
                election_id: a.clone(),
                page_id: "page-a".into(),
                state: state.clone(),
                election_update: None,
            },
            now(),
        )
        .unwrap();
    assert_eq!(store.get_linked(&a).unwrap().state, state);
    let relinked = store.set_link(&a, &link("db1", "page-a2"), now()).unwrap();
    assert_eq!(relinked.link.unwrap().notion_page_id, "page-a2");
    assert_eq!(relinked.state, SyncState::default());

    // Unlink: fields cleared, election kept.
    let unlinked = store.clear_link(&a, now()).unwrap();
    assert_eq!(unlinked.link, None);
    assert_eq!(unlinked.state, SyncState::default());
    assert_eq!(unlinked.election.title, "A");
    assert_eq!(
        store.list_linked(&LinkedFilter::default()).unwrap().len(),
        2
    );
    assert!(
        store.clear_link(&a, now()).is_ok(),
        "unlinking twice is fine"
    );
}

#[test]
fn due_filter_follows_the_planner_cadence() {
    let (_dir, store) = temp_store();
    let never = store
        .create_election(new_election("never"), now())
        .unwrap()
        .election
        .id;
    let recent = store
        .create_election(new_election("recent"), now())
        .unwrap()
        .election
        .id;
    let old = store
        .create_election(new_election("old"), now())
        .unwrap()
        .election
        .id;
    let backoff = store
        .create_election(new_election("backoff"), now())
        .unwrap()
        .election
        .id;
    for (id, page) in [
        (&never, "p1"),
        (&recent, "p2"),
        (&old, "p3"),
        (&backoff, "p4"),
    ] {
        store.set_link(id, &link("db", page), now()).unwrap();
    }
    let record = |id: &ElectionId, page: &str, state: SyncState| {
        store
            .record_sync(
                &SyncRecord {
                    election_id: id.clone(),
                    page_id: page.into(),
                    state,
                    election_update: None,
                },
                now(),
            )
            .unwrap();
    };
    record(&recent, "p2", synced_state(now() - secs(10)));
    record(&old, "p3", synced_state(now() - secs(600)));
    let failed = record_failure(
        now(),
        &synced_state(now() - secs(600)),
        SyncError::new(SyncErrorKind::StatusOptionMissing, "no Done"),
    )
    .state;
    assert_eq!(failed.error_class, Some(ErrorClass::Permanent));
    record(&backoff, "p4", failed);

    let due = |at: Timestamp, trigger| {
        let mut ids: Vec<String> = store
            .list_linked(&LinkedFilter {
                due: Some(DueFilter {
                    now: at,
                    min_interval: sync_engine::DEFAULT_MIN_INTERVAL,
                    trigger,
                }),
                ..LinkedFilter::default()
            })
            .unwrap()
            .into_iter()
            .map(|l| l.election.title)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(due(now() + secs(1), Trigger::Scheduled), ["never", "old"]);
    assert_eq!(
        due(now() + secs(1), Trigger::Manual),
        ["backoff", "never", "old", "recent"]
    );
    assert_eq!(
        due(now() + secs(60), Trigger::Scheduled),
        ["backoff", "never", "old", "recent"]
    );
    // At open_at everything is due, whatever the interval.
    assert_eq!(due(t("2026-03-01T09:00:00Z"), Trigger::Scheduled).len(), 4);
}

#[test]
fn record_sync_applies_state_observation_and_pulls() {
    let (_dir, store) = temp_store();
    let id = store
        .create_election(new_election("Old title"), now())
        .unwrap()
        .election
        .id;
    store.set_link(&id, &link("db", "page"), now()).unwrap();
    let mut state = synced_state(now());
    state.notion_done_set_at = Some(now());
    let later = now() + secs(30);
    let report = store
        .record_sync(
            &SyncRecord {
                election_id: id.clone(),
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
            },
            later,
        )
        .unwrap();
    assert_eq!(report.recorded, std::slice::from_ref(&id));
    assert_eq!(
        report.pulls_superseded,
        [(id.clone(), "description".to_owned())]
    );
    let record = store.get_election(&id).unwrap();
    assert_eq!(record.election.title, "New title");
    assert_eq!(record.election.description, "desc", "admin's value wins");
    assert_eq!(record.election.updated_at, later);
    assert_eq!(record.state, state);

    let mut fresh = observation();
    fresh.status = Some("Done".into());
    store.save_observation(&id, &fresh).unwrap();
    assert_eq!(
        store.get_election(&id).unwrap().state.last_observation,
        Some(fresh.clone())
    );
    let state = SyncState {
        last_observation: Some(fresh),
        ..state
    };

    // A record for another page, an unlinked or a deleted election is skipped.
    let stale = SyncRecord {
        election_id: id.clone(),
        page_id: "old-page".into(),
        state: SyncState::default(),
        election_update: None,
    };
    let report = store.record_sync(&stale, later).unwrap();
    assert_eq!(report.skipped.len(), 1);
    assert!(report.skipped[0].reason.contains("re-linked"));
    assert_eq!(store.get_election(&id).unwrap().state, state);
    store.delete_election(&id).unwrap();
    let report = store.record_sync(&stale, later).unwrap();
    assert!(report.skipped[0].reason.contains("deleted"));
    assert!(matches!(
        store.save_observation(&id, &observation()),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn batch_commits_everything_or_nothing() {
    let (_dir, store) = temp_store();
    let a = store
        .create_election(new_election("A"), now())
        .unwrap()
        .election
        .id;
    let b = store
        .create_election(new_election("B"), now())
        .unwrap()
        .election
        .id;
    store.set_link(&a, &link("db", "pa"), now()).unwrap();
    store.set_link(&b, &link("db", "pb"), now()).unwrap();
    let run = store
        .start_run(Trigger::Scheduled, "runner-1", now())
        .unwrap();
    let records = vec![
        SyncRecord {
            election_id: a.clone(),
            page_id: "pa".into(),
            state: synced_state(now()),
            election_update: None,
        },
        SyncRecord {
            election_id: b.clone(),
            page_id: "pb".into(),
            state: synced_state(now()),
            election_update: None,
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
        store.commit_batch(&bad, now()),
        Err(StoreError::NotFound { what: "run", .. })
    ));
    assert_eq!(store.get_election(&a).unwrap().state, SyncState::default());
    assert_eq!(store.get_cursor("db").unwrap(), None);
    assert!(matches!(
        store.commit_batch(
            &SyncBatch {
                logs: vec![log.clone()],
                ..SyncBatch::default()
            },
            now()
        ),
        Err(StoreError::Invalid {
            field: "run_id",
            ..
        })
    ));

    let good = SyncBatch {
        run_id: Some(run.id),
        ..bad
    };
    let report = store.commit_batch(&good, now()).unwrap();
    assert_eq!(report.recorded.len(), 2);
    assert_eq!(store.get_election(&b).unwrap().state, synced_state(now()));
    assert_eq!(store.get_cursor("db").unwrap(), Some(cursor));
    let with_logs = store.get_run(run.id).unwrap();
    assert_eq!(with_logs.logs.len(), 1);
    assert_eq!(with_logs.logs[0].entry, log);
}

#[test]
fn cursors_get_set_reset() {
    let (_dir, store) = temp_store();
    assert_eq!(store.get_cursor("db1").unwrap(), None);
    let c1 = SyncCursor {
        database_id: "db1".into(),
        last_edited_cursor: Some(now()),
        last_full_reconcile_at: Some(now() - secs(3600)),
        updated_at: now(),
    };
    let c2 = SyncCursor {
        database_id: "db2".into(),
        last_edited_cursor: None,
        last_full_reconcile_at: None,
        updated_at: now(),
    };
    store.set_cursor(&c1).unwrap();
    store.set_cursor(&c2).unwrap();
    let moved = SyncCursor {
        last_edited_cursor: Some(now() + secs(60)),
        updated_at: now() + secs(60),
        ..c1.clone()
    };
    store.set_cursor(&moved).unwrap();
    assert_eq!(store.list_cursors().unwrap(), [moved.clone(), c2.clone()]);
    assert_eq!(store.reset_cursors(Some("db1")).unwrap(), 1);
    assert_eq!(store.list_cursors().unwrap(), [c2]);
    store.set_cursor(&moved).unwrap();
    assert_eq!(store.reset_cursors(None).unwrap(), 2);
    assert!(store.list_cursors().unwrap().is_empty());
    assert!(matches!(
        store.set_cursor(&SyncCursor {
            database_id: " ".into(),
            ..moved
        }),
        Err(StoreError::Invalid {
            field: "database_id",
            ..
        })
    ));
}

#[test]
fn runs_start_finish_list_and_logs() {
    let (_dir, store) = temp_store();
    let mut ids = Vec::new();
    for i in 0..5 {
        let run = store
            .start_run(Trigger::Scheduled, "runner-1", now() + secs(60 * i))
            .unwrap();
        assert_eq!(run.finished_at, None);
        ids.push(run.id);
    }
    let counts = RunCounts {
        read: 3,
        planned: 3,
        written: 2,
        pulled: 1,
        failed: 0,
        notion_requests: 5,
    };
    let finished = store
        .finish_run(ids[4], &counts, None, now() + secs(250))
        .unwrap();
    assert_eq!(finished.counts, counts);
    assert_eq!(finished.finished_at, Some(now() + secs(250)));
    assert!(matches!(
        store.finish_run(ids[4], &counts, None, now() + secs(260)),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.finish_run(uuid::Uuid::nil(), &counts, None, now()),
        Err(StoreError::NotFound { what: "run", .. })
    ));
    store
        .append_logs(
            ids[0],
            &[
                NewLogEntry {
                    at: now(),
                    election_id: None,
                    page_id: None,
                    action: LogAction::Read,
                    detail: None,
                    error: None,
                },
                NewLogEntry {
                    at: now(),
                    election_id: Some(ElectionId::parse("elec_x").unwrap()),
                    page_id: Some("p".into()),
                    action: LogAction::Failed,
                    detail: None,
                    error: Some("Notion page not found".into()),
                },
            ],
        )
        .unwrap();
    let run0 = store.get_run(ids[0]).unwrap();
    assert_eq!(run0.logs.len(), 2);
    assert_eq!(run0.logs[1].entry.action, LogAction::Failed);
    assert!(run0.logs[0].seq < run0.logs[1].seq);
    assert!(matches!(
        store.append_logs(uuid::Uuid::nil(), &[]),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(parse_run_id(&ids[0].to_string()).unwrap(), ids[0]);

    let mut seen = Vec::new();
    let mut request = ListRequest::first(2);
    loop {
        let page = store.list_runs(&request).unwrap();
        seen.extend(page.items.iter().map(|r| r.id));
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(cursor),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first");
}

/// A history of idle cycles with a few runs that did something: `RunActivity::Changes` keeps
/// exactly the runs `SyncRun::has_changes` names, pages across the idle ones with the usual cursor,
/// and the idle ones above the newest shown are counted.
#[test]
fn runs_filtered_to_those_with_changes_page_across_idle_cycles() {
    let (_dir, store) = temp_store();
    let idle = RunCounts {
        notion_requests: 1,
        ..RunCounts::default()
    };
    let only = |f: fn(&mut RunCounts)| {
        let mut counts = RunCounts::default();
        f(&mut counts);
        counts
    };
    // 30 runs a minute apart, oldest first; `None` leaves the run unfinished.
    let mut expected = Vec::new();
    let mut all = Vec::new();
    for i in 0..30 {
        let at = now() + secs(60 * i);
        let run = store.start_run(Trigger::Scheduled, "runner-1", at).unwrap();
        let (counts, error, finish) = match i {
            2 => (only(|c| c.read = 1), None, true),
            7 => (only(|c| c.written = 1), None, true),
            11 => (only(|c| c.pulled = 1), None, true),
            15 => (only(|c| c.failed = 1), None, true),
            19 => (idle, Some("Notion refused the token"), true),
            23 => (idle, None, false),
            // Planned but not read, written, pulled or failed: still idle.
            25 => (only(|c| c.planned = 1), None, true),
            _ => (idle, None, true),
        };
        let run = if finish {
            store
                .finish_run(run.id, &counts, error, at + secs(1))
                .unwrap()
        } else {
            run
        };
        if run.has_changes() {
            expected.push(run.id);
        }
        all.push(run.id);
    }
    expected.reverse();
    all.reverse();
    assert_eq!(expected.len(), 6);

    let list = |activity: RunActivity, limit: u32| {
        let filter = RunFilter { activity };
        let mut seen = Vec::new();
        let mut request = ListRequest::first(limit);
        loop {
            let page = store.list_runs_filtered(&filter, &request).unwrap();
            assert!(page.items.len() <= limit as usize);
            seen.extend(page.items.iter().map(|r| r.id));
            match page.next_cursor {
                Some(cursor) => request.cursor = Some(cursor),
                None => break,
            }
        }
        seen
    };
    for limit in [1, 2, 4, 100] {
        assert_eq!(list(RunActivity::Changes, limit), expected, "limit {limit}");
        assert_eq!(list(RunActivity::All, limit), all, "limit {limit}");
    }
    let default = store.list_runs(&ListRequest::first(100)).unwrap().items;
    assert_eq!(default.len(), 30, "list_runs keeps every run");

    // The newest run with changes is #23 (unfinished): six idle cycles started after it.
    let first = store
        .list_runs_filtered(
            &RunFilter {
                activity: RunActivity::Changes,
            },
            &ListRequest::first(1),
        )
        .unwrap();
    assert_eq!(first.items[0].id, expected[0]);
    assert_eq!(
        store.count_idle_runs_after(Some(&first.items[0])).unwrap(),
        6
    );
    assert_eq!(store.count_idle_runs_after(None).unwrap(), 24);
    let newest = store.get_run(all[0]).unwrap().run;
    assert_eq!(store.count_idle_runs_after(Some(&newest)).unwrap(), 0);

    assert_eq!(RunActivity::parse("changes"), Some(RunActivity::Changes));
    assert_eq!(
        RunActivity::parse(RunActivity::All.as_str()),
        Some(RunActivity::All)
    );
    assert_eq!(RunActivity::parse("idle"), None);
}

#[test]
fn pause_and_resume() {
    let (_dir, store) = temp_store();
    let a = store
        .create_election(new_election("A"), now())
        .unwrap()
        .election
        .id;
    let b = store
        .create_election(new_election("B"), now())
        .unwrap()
        .election
        .id;
    store.set_link(&a, &link("db", "pa"), now()).unwrap();
    store.set_link(&b, &link("db", "pb"), now()).unwrap();
    assert!(!store.is_paused(None).unwrap());

    store
        .pause(&PauseScope::Election(a.clone()), now())
        .unwrap();
    store
        .pause(&PauseScope::Election(a.clone()), now() + secs(5))
        .unwrap();
    assert!(store.is_paused(Some(&a)).unwrap());
    assert!(!store.is_paused(Some(&b)).unwrap());
    let status = store.pause_status().unwrap();
    assert_eq!(status.paused_elections, [(a.clone(), now())]);
    let runnable = store.list_linked(&LinkedFilter::default()).unwrap();
    assert_eq!(runnable.len(), 1);
    assert_eq!(runnable[0].election.id, b);
    let everything = store
        .list_linked(&LinkedFilter {
            include_paused: true,
            ..LinkedFilter::default()
        })
        .unwrap();
    assert_eq!(everything.iter().filter(|l| l.paused).count(), 1);

    store.pause(&PauseScope::All, now()).unwrap();
    assert!(store.is_paused(None).unwrap());
    assert!(store.is_paused(Some(&b)).unwrap());
    assert!(store.get_linked(&b).unwrap().paused);
    assert!(
        store
            .list_linked(&LinkedFilter::default())
            .unwrap()
            .is_empty()
    );
    store.resume(&PauseScope::Election(a.clone())).unwrap();
    assert!(
        store.is_paused(Some(&a)).unwrap(),
        "global pause still applies"
    );
    store
        .pause(&PauseScope::Election(b.clone()), now())
        .unwrap();
    store.resume(&PauseScope::All).unwrap();
    assert!(!store.is_paused(Some(&b)).unwrap());
    assert_eq!(store.pause_status().unwrap(), PauseStatus::default());
}

#[test]
fn a_lease_is_exclusive_until_it_expires() {
    let (_dir, store) = temp_store();
    let ttl = secs(30);
    let first = store
        .try_acquire_lease("sync:global", "runner-a", ttl, now())
        .unwrap()
        .expect("free lease");
    assert_eq!(first.holder, "runner-a");
    assert_eq!(first.expires_at, now() + ttl);
    assert_eq!(
        store
            .try_acquire_lease("sync:global", "runner-b", ttl, now() + secs(29))
            .unwrap(),
        None
    );
    assert!(matches!(
        store.renew_lease("sync:global", "runner-b", ttl, now()),
        Err(StoreError::Conflict { .. })
    ));
    // The holder renews; the other still cannot take it.
    let renewed = store
        .renew_lease("sync:global", "runner-a", ttl, now() + secs(20))
        .unwrap();
    assert_eq!(renewed.expires_at, now() + secs(50));
    assert_eq!(renewed.acquired_at, now());
    assert_eq!(
        store
            .try_acquire_lease("sync:global", "runner-b", ttl, now() + secs(49))
            .unwrap(),
        None
    );
    // Re-acquiring one's own lease extends it.
    let again = store
        .try_acquire_lease("sync:global", "runner-a", ttl, now() + secs(40))
        .unwrap()
        .unwrap();
    assert_eq!(again.expires_at, now() + secs(70));
    // Once expired, another holder takes it, and the old holder can no longer renew.
    let taken = store
        .try_acquire_lease("sync:global", "runner-b", ttl, now() + secs(70))
        .unwrap()
        .expect("expired lease");
    assert_eq!(taken.holder, "runner-b");
    assert_eq!(taken.acquired_at, now() + secs(70));
    assert!(matches!(
        store.renew_lease("sync:global", "runner-a", ttl, now() + secs(71)),
        Err(StoreError::Conflict { .. })
    ));
    assert!(!store.release_lease("sync:global", "runner-a").unwrap());
    assert!(store.release_lease("sync:global", "runner-b").unwrap());
    assert_eq!(store.get_lease("sync:global").unwrap(), None);
    assert!(
        store
            .try_acquire_lease("sync:global", "runner-a", ttl, now() + secs(72))
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        store.try_acquire_lease("x", "a", secs(0), now()),
        Err(StoreError::Invalid { field: "ttl", .. })
    ));
    assert!(matches!(
        store.try_acquire_lease("", "a", ttl, now()),
        Err(StoreError::Invalid { field: "name", .. })
    ));
    // Leases are independent by name.
    assert!(
        store
            .try_acquire_lease("sync:db:db1", "runner-b", ttl, now() + secs(72))
            .unwrap()
            .is_some()
    );
}

#[test]
fn taking_over_an_expired_lease_releases_only_the_dead_holders_dependents() {
    let (_dir, store) = temp_store();
    let ttl = secs(30);
    let dependent = |holder: &str| format!("{holder}/cycle");
    store
        .try_acquire_lease("sync:global", "runner-a", ttl, now())
        .unwrap()
        .unwrap();
    for (name, holder) in [
        ("sync:election:e1", "runner-a/cycle"),
        ("sync:election:e2", "runner-a"),
        ("sync:election:e3", "api-server/cycle"),
        ("other:e4", "runner-a/cycle"),
    ] {
        store
            .try_acquire_lease(name, holder, secs(300), now() + secs(10))
            .unwrap()
            .unwrap();
    }
    let take = |at: Timestamp, holder: &str| {
        store
            .try_acquire_lease_taking_over(
                "sync:global",
                holder,
                ttl,
                at,
                "sync:election:",
                dependent,
            )
            .unwrap()
    };
    // While runner-a's lease is live: refused, nothing released.
    assert_eq!(take(now() + secs(29), "runner-b"), None);
    assert!(store.get_lease("sync:election:e1").unwrap().is_some());
    // runner-a's own re-acquisition is no takeover.
    let own = take(now() + secs(20), "runner-a").unwrap();
    assert_eq!((own.taken_from, own.released.len()), (None, 0));
    // Expired: runner-b takes it and only runner-a's cycle leases named sync:election:… go.
    let taken = take(now() + secs(50), "runner-b").unwrap();
    assert_eq!(taken.lease.holder, "runner-b");
    assert_eq!(taken.taken_from.as_deref(), Some("runner-a"));
    assert_eq!(taken.released, ["sync:election:e1"]);
    assert_eq!(store.get_lease("sync:election:e1").unwrap(), None);
    for kept in ["sync:election:e2", "sync:election:e3", "other:e4"] {
        assert!(store.get_lease(kept).unwrap().is_some(), "{kept}");
    }
    // A released (not expired) lease is free: taking it is no takeover either.
    store.release_lease("sync:global", "runner-b").unwrap();
    let free = take(now() + secs(51), "runner-c").unwrap();
    assert_eq!((free.taken_from, free.released.len()), (None, 0));
}

#[test]
fn two_processes_racing_for_a_lease_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    drop(Store::open(&path).unwrap());
    let barrier = Arc::new(Barrier::new(4));
    let winners: Vec<bool> = (0..4)
        .map(|i| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                barrier.wait();
                store
                    .try_acquire_lease("sync:global", &format!("runner-{i}"), secs(60), now())
                    .unwrap()
                    .is_some()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(winners.iter().filter(|w| **w).count(), 1, "{winners:?}");
}

#[test]
fn phase_changes_for_wakeups() {
    let (_dir, store) = temp_store();
    let a = store
        .create_election(new_election("A"), now())
        .unwrap()
        .election
        .id;
    let b = NewElection {
        open_at: t("2026-02-15T00:00:00Z"),
        close_at: t("2026-02-20T00:00:00Z"),
        ..new_election("B")
    };
    let b = store.create_election(b, now()).unwrap().election.id;
    let unlinked = NewElection {
        open_at: t("2026-02-02T00:00:00Z"),
        ..new_election("unlinked")
    };
    store.create_election(unlinked, now()).unwrap();
    store.set_link(&a, &link("db", "pa"), now()).unwrap();
    store.set_link(&b, &link("db", "pb"), now()).unwrap();
    let changes = store.upcoming_phase_changes(now(), 10).unwrap();
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
        store.next_phase_change_at(at_open).unwrap(),
        Some(t("2026-02-20T00:00:00Z"))
    );
    assert_eq!(
        store
            .next_phase_change_at(t("2027-01-01T00:00:00Z"))
            .unwrap(),
        None
    );
}

#[test]
fn paused_elections_have_no_wakeups() {
    let (_dir, store) = temp_store();
    let a = store
        .create_election(new_election("A"), now())
        .unwrap()
        .election
        .id;
    let b = NewElection {
        open_at: t("2026-02-15T00:00:00Z"),
        close_at: t("2026-02-20T00:00:00Z"),
        ..new_election("B")
    };
    let b = store.create_election(b, now()).unwrap().election.id;
    store.set_link(&a, &link("db", "pa"), now()).unwrap();
    store.set_link(&b, &link("db", "pb"), now()).unwrap();
    // A failed sync of `a` backs off until 10:05; of `b` until 10:02.
    for (id, page, until) in [(&a, "pa", secs(300)), (&b, "pb", secs(120))] {
        let error = SyncError::new(SyncErrorKind::Server, "Notion 503");
        let mut state = record_failure(now(), &synced_state(now()), error).state;
        state.next_attempt_at = Some(now() + until);
        let record = SyncRecord {
            election_id: id.clone(),
            page_id: page.into(),
            state,
            election_update: None,
        };
        store.record_sync(&record, now()).unwrap();
    }
    let ids = |store: &Store| -> Vec<ElectionId> {
        store
            .upcoming_phase_changes(now(), 10)
            .unwrap()
            .into_iter()
            .map(|c| c.election_id)
            .collect()
    };
    assert_eq!(ids(&store), [b.clone(), b.clone(), a.clone(), a.clone()]);
    assert_eq!(store.next_retry_at(now()).unwrap(), Some(now() + secs(120)));
    // Strictly after `now`.
    assert_eq!(
        store.next_retry_at(now() + secs(120)).unwrap(),
        Some(now() + secs(300))
    );

    // Pausing `b` removes its phase changes and its retry.
    store
        .pause(&PauseScope::Election(b.clone()), now())
        .unwrap();
    assert_eq!(ids(&store), [a.clone(), a.clone()]);
    assert_eq!(
        store.next_phase_change_at(now()).unwrap(),
        Some(t("2026-03-01T09:00:00Z"))
    );
    assert_eq!(store.next_retry_at(now()).unwrap(), Some(now() + secs(300)));

    // Everything paused: nothing; resuming brings both back.
    store.pause(&PauseScope::All, now()).unwrap();
    assert!(ids(&store).is_empty());
    assert_eq!(store.next_phase_change_at(now()).unwrap(), None);
    assert_eq!(store.next_retry_at(now()).unwrap(), None);
    store.resume(&PauseScope::All).unwrap();
    assert_eq!(ids(&store).len(), 4);
    assert_eq!(store.next_retry_at(now()).unwrap(), Some(now() + secs(120)));
}

#[test]
fn old_runs_and_their_logs_are_pruned_in_one_go() {
    let (_dir, store) = temp_store();
    let day = secs(86_400);
    let entry = |action| NewLogEntry {
        at: now(),
        election_id: None,
        page_id: None,
        action,
        detail: None,
        error: None,
    };
    // Runs 10, 8, 7 (exactly) and 1 day(s) old, two log entries each; the 8-day-old one never
    // finished (its runner died).
    let mut ids = Vec::new();
    for age in [10, 8, 7, 1] {
        let started = now() - day * age;
        let run = store.start_run(Trigger::Scheduled, "r", started).unwrap();
        store
            .append_logs(run.id, &[entry(LogAction::Read), entry(LogAction::Wrote)])
            .unwrap();
        if age != 8 {
            store
                .finish_run(run.id, &RunCounts::default(), None, started + secs(5))
                .unwrap();
        }
        ids.push(run.id);
    }
    let pruned = store.prune_runs(day * 7, now()).unwrap();
    assert_eq!(pruned, PrunedRuns { runs: 2, logs: 4 });
    let left: Vec<_> = store
        .list_runs(&ListRequest::first(10))
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, [ids[3], ids[2]], "runs started within 7 days stay");
    assert!(matches!(
        store.get_run(ids[0]),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.get_run(ids[2]).unwrap().logs.len(), 2);
    let (logs, orphans): (i64, i64) = {
        let conn = rusqlite::Connection::open(store.path().unwrap()).unwrap();
        conn.query_row(
            "SELECT COUNT(*), (SELECT COUNT(*) FROM sync_run_logs WHERE run_id NOT IN (SELECT id FROM sync_runs)) FROM sync_run_logs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!((logs, orphans), (4, 0));
    // Nothing more to prune; a negative retention is refused.
    assert_eq!(
        store.prune_runs(day * 7, now()).unwrap(),
        PrunedRuns::default()
    );
    assert!(matches!(
        store.prune_runs(-day, now()),
        Err(StoreError::Invalid {
            field: "older_than",
            ..
        })
    ));
}

#[test]
fn two_stores_on_one_file_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let setup = Store::open(&path).unwrap();
    let run = setup.start_run(Trigger::Scheduled, "setup", now()).unwrap();
    drop(setup);
    const PER_THREAD: usize = 150;
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|thread| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                barrier.wait();
                for i in 0..PER_THREAD {
                    let at = now() + secs(i as i64);
                    let title = format!("t{thread}-{i}");
                    let id = store
                        .create_election(new_election(&title), at)
                        .unwrap()
                        .election
                        .id;
                    store.set_link(&id, &link("db", &title), at).unwrap();
                    store
                        .append_logs(
                            run.id,
                            &[NewLogEntry {
                                at,
                                election_id: Some(id),
                                page_id: None,
                                action: LogAction::NoChange,
                                detail: None,
                                error: None,
                            }],
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.list_linked(&LinkedFilter::default()).unwrap().len(),
        2 * PER_THREAD
    );
    assert_eq!(store.get_run(run.id).unwrap().logs.len(), 2 * PER_THREAD);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn one_store_shared_by_threads() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    let handles: Vec<_> = (0..4)
        .map(|thread| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    store
                        .create_election(new_election(&format!("{thread}-{i}")), now())
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(
        store
            .list_elections(&ListRequest::first(1000))
            .unwrap()
            .items
            .len(),
        100
    );
}

const CRASH_DB_ENV: &str = "STORE_CRASH_HELPER_DB";

/// Not a test on its own: when `STORE_CRASH_HELPER_DB` is set (by
/// `a_process_killed_mid_transaction_leaves_the_previous_state`), it opens that database, starts a
/// large write transaction, signals readiness with a marker file, and waits to be killed.
#[test]
fn crash_helper_hold_open_write_transaction() {
    let Ok(path) = std::env::var(CRASH_DB_ENV) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    tx.execute("UPDATE elections SET title = 'half-written'", [])
        .unwrap();
    tx.execute("DELETE FROM leases", []).unwrap();
    let filler = "x".repeat(2000);
    for i in 0..10_000 {
        tx.execute(
            "INSERT INTO elections (id, title, description, open_at, close_at, created_at, updated_at) \
             VALUES (?1, 'crash', ?2, 1, 2, 0, 0)",
            rusqlite::params![format!("elec_crash_{i}"), filler],
        )
        .unwrap();
    }
    std::fs::write(path.with_extension("ready"), b"ready").unwrap();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_process_killed_mid_transaction_leaves_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let store = Store::open(&path).unwrap();
    let a = store.create_election(new_election("Alpha"), now()).unwrap();
    let b = store.create_election(new_election("Beta"), now()).unwrap();
    store
        .set_link(&a.election.id, &link("db", "pa"), now())
        .unwrap();
    store
        .try_acquire_lease("sync:global", "runner-a", secs(60), now())
        .unwrap();
    let before = store.list_elections(&ListRequest::first(100)).unwrap();
    drop(store);

    let ready = path.with_extension("ready");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_helper_hold_open_write_transaction",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_DB_ENV, &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the child to be inside its transaction (bounded, so a broken child fails the test).
    let mut waited = 0;
    while !ready.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("crash helper exited early: {status}");
        }
        assert!(waited < 1200, "crash helper never became ready");
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }
    let wal = path.with_extension("sqlite3-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        wal_len > 1_000_000,
        "the transaction spilled into the WAL ({wal_len} bytes)"
    );

    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let after = store.list_elections(&ListRequest::first(100)).unwrap();
    assert_eq!(after, before, "the killed transaction left no trace");
    assert_eq!(
        store.get_lease("sync:global").unwrap().unwrap().holder,
        "runner-a"
    );
    // And the store is writable again.
    store.create_election(new_election("Gamma"), now()).unwrap();
    assert_eq!(b.election.title, "Beta");
}

#[test]
fn sync_health_counts_linked_elections_and_finds_the_newest_runs() {
    let (_dir, store) = temp_store();
    assert_eq!(store.sync_health().unwrap(), SyncHealth::default());

    let mut ids = Vec::new();
    for title in ["ok", "failing", "broken", "paused", "unlinked"] {
        ids.push(
            store
                .create_election(new_election(title), now())
                .unwrap()
                .election
                .id,
        );
    }
    for (i, id) in ids.iter().take(4).enumerate() {
        store
            .set_link(id, &link("db", &format!("page-{i}")), now())
            .unwrap();
    }
    let record = |i: usize, state: SyncState| {
        store
            .record_sync(
                &SyncRecord {
                    election_id: ids[i].clone(),
                    page_id: format!("page-{i}"),
                    state,
                    election_update: None,
                },
                now(),
            )
            .unwrap();
    };
    record(0, synced_state(now() + secs(30)));
    record(
        1,
        SyncState {
            notion_last_sync_at: Some(now()),
            notion_last_sync_error: Some("Notion answered 503".into()),
            ..SyncState::default()
        },
    );
    record(
        2,
        SyncState {
            notion_last_sync_error: Some("the page is in the trash".into()),
            link_broken: true,
            ..SyncState::default()
        },
    );
    store
        .pause(&PauseScope::Election(ids[3].clone()), now())
        .unwrap();
    // An unlinked election's leftovers do not count.
    store
        .pause(&PauseScope::Election(ids[4].clone()), now())
        .unwrap();

    let finished = store
        .start_run(Trigger::Scheduled, "runner", now())
        .unwrap();
    let counts = RunCounts {
        read: 4,
        written: 2,
        failed: 1,
        ..RunCounts::default()
    };
    store
        .finish_run(finished.id, &counts, None, now() + secs(5))
        .unwrap();
    let running = store
        .start_run(Trigger::Manual, "api", now() + secs(60))
        .unwrap();

    let health = store.sync_health().unwrap();
    assert_eq!(health.linked, 4);
    assert_eq!(health.with_error, 2);
    assert_eq!(health.link_broken, 1);
    assert_eq!(health.paused, 1);
    assert!(!health.globally_paused);
    assert_eq!(health.last_successful_sync_at, Some(now() + secs(30)));
    assert_eq!(health.last_run.as_ref().map(|r| r.id), Some(running.id));
    let last = health.last_finished_run.expect("a finished run");
    assert_eq!(last.id, finished.id);
    assert_eq!(last.finished_at, Some(now() + secs(5)));
    assert_eq!(last.counts, counts);

    // A global pause pauses every linked election.
    store.pause(&PauseScope::All, now()).unwrap();
    let health = store.sync_health().unwrap();
    assert!(health.globally_paused);
    assert_eq!(health.paused, 4);
}

/// A second connection to the store's file, as another process holding the write lock would be.
fn hold_write_lock(path: &std::path::Path) -> rusqlite::Connection {
    let other = rusqlite::Connection::open(path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    other
}

#[test]
fn reads_answer_while_a_write_waits_for_another_processs_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let store = Arc::new(
        StoreOptions::new()
            .busy_timeout(std::time::Duration::from_secs(120))
            .open(&path)
            .unwrap(),
    );
    let id = store
        .create_election(new_election("Before"), now())
        .unwrap()
        .election
        .id;
    let other = hold_write_lock(&path);
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || store.create_election(new_election("Waiting"), now()))
    };
    // Let the writer take the store's writer mutex and start waiting for the lock.
    std::thread::sleep(std::time::Duration::from_millis(200));
    for _ in 0..20 {
        assert_eq!(store.get_election(&id).unwrap().election.title, "Before");
        assert_eq!(
            store
                .list_elections(&ListRequest::first(10))
                .unwrap()
                .items
                .len(),
            1
        );
    }
    store.sync_health().unwrap();
    assert!(
        !writer.is_finished(),
        "the reads answered only after the waiting write gave up"
    );
    other.execute_batch("ROLLBACK").unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(
        store
            .list_elections(&ListRequest::first(10))
            .unwrap()
            .items
            .len(),
        2
    );
}

#[test]
fn a_write_fails_busy_after_the_busy_timeout_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let store = StoreOptions::new()
        .busy_timeout(std::time::Duration::from_millis(20))
        .open(&path)
        .unwrap();
    let other = hold_write_lock(&path);
    let error = store
        .create_election(new_election("Blocked"), now())
        .unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Busy, "{error}");
    assert!(error.kind().is_retryable());
    assert_eq!(
        error.to_string(),
        "SQLite error SQLITE_BUSY (5): database is locked"
    );
    let health = store.check_health().unwrap_err();
    assert_eq!(health.kind(), StoreErrorKind::Busy, "{health}");
    other.execute_batch("ROLLBACK").unwrap();
    store.check_health().unwrap();
    store.create_election(new_election("Now"), now()).unwrap();
}

#[test]
fn a_full_database_fails_writes_with_the_full_kind_and_health_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    drop(Store::open(&path).unwrap());
    let pages: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let store = StoreOptions::new()
        .max_page_count(u64::try_from(pages).unwrap() + 1)
        .open(&path)
        .unwrap();
    store.check_health().unwrap();
    let big = "x".repeat(4000);
    let error = (0..200)
        .find_map(|i| {
            store
                .create_election(
                    NewElection {
                        description: big.clone(),
                        ..new_election(&format!("E{i}"))
                    },
                    now(),
                )
                .err()
        })
        .expect("the capped database fills up");
    assert_eq!(error.kind(), StoreErrorKind::Full, "{error}");
    assert!(error.to_string().contains("SQLITE_FULL (13)"), "{error}");
    assert!(!error.kind().is_retryable() && error.kind().is_unavailable());
    let health = store.check_health().unwrap_err();
    assert_eq!(health.kind(), StoreErrorKind::Full, "{health}");
    // Reads still work.
    store.list_elections(&ListRequest::first(10)).unwrap();
}

#[test]
fn a_deleted_or_replaced_file_is_noticed_and_writes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gone.db");
    let store = Store::open(&path).unwrap();
    store.create_election(new_election("Kept"), now()).unwrap();
    store.check_health().unwrap();
    std::fs::remove_file(&path).unwrap();
    for error in [
        store.check_health().unwrap_err(),
        store
            .create_election(new_election("Lost"), now())
            .unwrap_err(),
    ] {
        assert_eq!(error.kind(), StoreErrorKind::Unavailable, "{error}");
        let text = error.to_string();
        assert!(
            text.contains(&path.display().to_string()) && text.contains("deleted or replaced"),
            "{text}"
        );
        assert!(text.contains("restart"), "{text}");
    }
    // Another file in its place is not the store either.
    drop(Store::open(dir.path().join("other.db")).unwrap());
    std::fs::rename(dir.path().join("other.db"), &path).unwrap();
    assert!(matches!(
        store.pause(&PauseScope::All, now()),
        Err(StoreError::FileGone { .. })
    ));
}

#[test]
fn open_existing_never_creates_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("absent.db");
    let error = Store::open_existing(&path).unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error}");
    assert!(error.to_string().contains(&path.display().to_string()));
    assert!(!path.exists() && !dir.path().join("nested").exists());
    // An empty file is not a store either, and stays untouched.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        Store::open_existing(&empty),
        Err(StoreError::Missing { .. })
    ));
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    let made = dir.path().join("made.db");
    let store = Store::open(&made).unwrap();
    assert!(store.created());
    store.create_election(new_election("One"), now()).unwrap();
    drop(store);
    let store = Store::open_existing(&made).unwrap();
    assert!(!store.created());
    assert_eq!(
        store
            .list_elections(&ListRequest::first(10))
            .unwrap()
            .items
            .len(),
        1
    );
}
