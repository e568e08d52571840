//! Cursors, runs and their logs, retention, activity and history, the sync's health.

use jiff::Timestamp;
use store::*;
use sync_engine::{ElectionId, SyncState, Trigger};

use crate::backend::Fixture;
use crate::support::*;

/// An instant `secs` seconds after a fixed origin.
fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

pub(crate) async fn cursors_get_set_reset(fx: Fixture) {
    let store = &*fx.store;
    assert_eq!(store.get_cursor("db1").await.unwrap(), None);
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
    store.set_cursor(&c1).await.unwrap();
    store.set_cursor(&c2).await.unwrap();
    let moved = SyncCursor {
        last_edited_cursor: Some(now() + secs(60)),
        updated_at: now() + secs(60),
        ..c1.clone()
    };
    store.set_cursor(&moved).await.unwrap();
    assert_eq!(
        store.list_cursors().await.unwrap(),
        [moved.clone(), c2.clone()]
    );
    assert_eq!(store.reset_cursors(Some("db1")).await.unwrap(), 1);
    assert_eq!(store.list_cursors().await.unwrap(), [c2]);
    store.set_cursor(&moved).await.unwrap();
    assert_eq!(store.reset_cursors(None).await.unwrap(), 2);
    assert!(store.list_cursors().await.unwrap().is_empty());
    assert!(matches!(
        store
            .set_cursor(&SyncCursor {
                database_id: " ".into(),
                ..moved
            })
            .await,
        Err(StoreError::Invalid {
            field: "database_id",
            ..
        })
    ));
}

pub(crate) async fn runs_start_finish_list_and_logs(fx: Fixture) {
    let store = &*fx.store;
    let mut ids = Vec::new();
    for i in 0..5 {
        let run = store
            .start_run(Trigger::Scheduled, "runner-1", now() + secs(60 * i))
            .await
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
        .await
        .unwrap();
    assert_eq!(finished.counts, counts);
    assert_eq!(finished.finished_at, Some(now() + secs(250)));
    assert!(matches!(
        store
            .finish_run(ids[4], &counts, None, now() + secs(260))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store
            .finish_run(uuid::Uuid::nil(), &counts, None, now())
            .await,
        Err(StoreError::NotFound { what: "run", .. })
    ));
    store
        .append_logs(
            ids[0],
            vec![
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
        .await
        .unwrap();
    let run0 = store.get_run(ids[0]).await.unwrap();
    assert_eq!(run0.logs.len(), 2);
    assert_eq!(run0.logs[1].entry.action, LogAction::Failed);
    assert!(run0.logs[0].seq < run0.logs[1].seq);
    assert!(matches!(
        store.append_logs(uuid::Uuid::nil(), Vec::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(parse_run_id(&ids[0].to_string()).unwrap(), ids[0]);

    let mut seen = Vec::new();
    let mut request = ListRequest::first(2);
    loop {
        let page = store.list_runs(&request).await.unwrap();
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
pub(crate) async fn runs_filtered_to_those_with_changes_page_across_idle_cycles(fx: Fixture) {
    let store = &*fx.store;
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
        let run = store
            .start_run(Trigger::Scheduled, "runner-1", at)
            .await
            .unwrap();
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
                .await
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

    let list = async |activity: RunActivity, limit: u32| {
        let filter = RunFilter { activity };
        let mut seen = Vec::new();
        let mut request = ListRequest::first(limit);
        loop {
            let page = store.list_runs_filtered(&filter, &request).await.unwrap();
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
        assert_eq!(
            list(RunActivity::Changes, limit).await,
            expected,
            "limit {limit}"
        );
        assert_eq!(list(RunActivity::All, limit).await, all, "limit {limit}");
    }
    let default = store
        .list_runs(&ListRequest::first(100))
        .await
        .unwrap()
        .items;
    assert_eq!(default.len(), 30, "list_runs keeps every run");

    // The newest run with changes is #23 (unfinished): six idle cycles started after it.
    let first = store
        .list_runs_filtered(
            &RunFilter {
                activity: RunActivity::Changes,
            },
            &ListRequest::first(1),
        )
        .await
        .unwrap();
    assert_eq!(first.items[0].id, expected[0]);
    assert_eq!(
        store
            .count_idle_runs_after(Some(&first.items[0]))
            .await
            .unwrap(),
        6
    );
    assert_eq!(store.count_idle_runs_after(None).await.unwrap(), 24);
    let newest = store.get_run(all[0]).await.unwrap().run;
    assert_eq!(store.count_idle_runs_after(Some(&newest)).await.unwrap(), 0);

    assert_eq!(RunActivity::parse("changes"), Some(RunActivity::Changes));
    assert_eq!(
        RunActivity::parse(RunActivity::All.as_str()),
        Some(RunActivity::All)
    );
    assert_eq!(RunActivity::parse("idle"), None);
}

pub(crate) async fn old_runs_and_their_logs_are_pruned_in_one_go(fx: Fixture) {
    let store = &*fx.store;
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
        let run = store
            .start_run(Trigger::Scheduled, "r", started)
            .await
            .unwrap();
        store
            .append_logs(
                run.id,
                vec![entry(LogAction::Read), entry(LogAction::Wrote)],
            )
            .await
            .unwrap();
        if age != 8 {
            store
                .finish_run(run.id, &RunCounts::default(), None, started + secs(5))
                .await
                .unwrap();
        }
        ids.push(run.id);
    }
    let pruned = store.prune_runs(day * 7, now()).await.unwrap();
    assert_eq!(pruned, PrunedRuns { runs: 2, logs: 4 });
    let left: Vec<_> = store
        .list_runs(&ListRequest::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, [ids[3], ids[2]], "runs started within 7 days stay");
    assert!(matches!(
        store.get_run(ids[0]).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.get_run(ids[2]).await.unwrap().logs.len(), 2);
    // The log entries left are the kept runs' (no entry outlives its run: see the SQLite test
    // `pruning_leaves_no_log_entry_without_its_run`).
    let mut logs = 0;
    for id in &left {
        logs += store.get_run(*id).await.unwrap().logs.len();
    }
    assert_eq!(logs, 4);
    // Nothing more to prune; a negative retention is refused.
    assert_eq!(
        store.prune_runs(day * 7, now()).await.unwrap(),
        PrunedRuns::default()
    );
    assert!(matches!(
        store.prune_runs(-day, now()).await,
        Err(StoreError::Invalid {
            field: "older_than",
            ..
        })
    ));
}

/// One election's activity pages newest first; the run history buckets runs by minute; the change
/// token moves with what the admin page shows.
pub(crate) async fn activity_pages_newest_first_with_the_trigger_and_the_history_buckets_by_minute(
    fx: Fixture,
) {
    let store = &*fx.store;
    let election = store
        .create_election(
            NewElection {
                id: None,
                title: "Board".into(),
                description: String::new(),
                open_at: at(600),
                close_at: at(1200),
            },
            at(0),
        )
        .await
        .unwrap()
        .election;
    let token_before = store.change_token(at(1)).await.unwrap();
    for (i, trigger) in [Trigger::Scheduled, Trigger::Manual, Trigger::Scheduled]
        .into_iter()
        .enumerate()
    {
        let start = at(60 * i as i64 + 10);
        let run = store.start_run(trigger, "test", start).await.unwrap();
        let entry = NewLogEntry {
            at: start,
            election_id: Some(election.id.clone()),
            page_id: Some("p".into()),
            action: LogAction::Wrote,
            detail: Some(serde_json::json!({ "n": i })),
            error: None,
        };
        store.append_logs(run.id, vec![entry]).await.unwrap();
        let counts = RunCounts {
            written: 1,
            notion_requests: 2,
            ..RunCounts::default()
        };
        store
            .finish_run(run.id, &counts, None, start)
            .await
            .unwrap();
    }
    assert_ne!(store.change_token(at(1)).await.unwrap(), token_before);
    // A phase change alone changes the token.
    assert_ne!(
        store.change_token(at(599)).await.unwrap(),
        store.change_token(at(600)).await.unwrap()
    );

    let first = store
        .election_activity(&election.id, &ListRequest::first(2))
        .await
        .unwrap();
    let ns: Vec<_> = first
        .items
        .iter()
        .map(|e| e.log.entry.detail.as_ref().unwrap()["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, [2, 1]);
    assert_eq!(first.items[1].trigger, Trigger::Manual);
    let rest = store
        .election_activity(
            &election.id,
            &ListRequest {
                limit: 2,
                cursor: first.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.next_cursor, None);
    assert!(matches!(
        store
            .election_activity(
                &election.id,
                &ListRequest {
                    limit: 2,
                    cursor: Some("zz".into())
                }
            )
            .await,
        Err(StoreError::Invalid {
            field: "cursor",
            ..
        })
    ));

    let history = store.run_history(at(0)).await.unwrap();
    assert_eq!(history.minutes.len(), 3);
    assert!(
        history
            .minutes
            .iter()
            .all(|m| m.runs == 1 && m.notion_requests == 2)
    );
    assert_eq!(history.events.len(), 3);
    assert_eq!(history.events[0].open_at, Some(at(600)));
    assert!(history.cycle_errors.is_empty());
}

pub(crate) async fn sync_health_counts_linked_elections_and_finds_the_newest_runs(fx: Fixture) {
    let store = &*fx.store;
    assert_eq!(store.sync_health().await.unwrap(), SyncHealth::default());

    let mut ids = Vec::new();
    for title in ["ok", "failing", "broken", "paused", "unlinked"] {
        ids.push(
            store
                .create_election(new_election(title), now())
                .await
                .unwrap()
                .election
                .id,
        );
    }
    for (i, id) in ids.iter().take(4).enumerate() {
        store
            .set_link(id, &link("db", &format!("page-{i}")), now())
            .await
            .unwrap();
    }
    let record = async |i: usize, state: SyncState| {
        store
            .record_sync(
                SyncRecord {
                    election_id: ids[i].clone(),
                    link_id: primary_link(store, &ids[i]).await,
                    page_id: format!("page-{i}"),
                    state,
                    election_update: None,
                    mapping_update: None,
                },
                now(),
            )
            .await
            .unwrap();
    };
    record(0, synced_state(now() + secs(30))).await;
    record(
        1,
        SyncState {
            notion_last_sync_at: Some(now()),
            notion_last_sync_error: Some("Notion answered 503".into()),
            ..SyncState::default()
        },
    )
    .await;
    record(
        2,
        SyncState {
            notion_last_sync_error: Some("the page is in the trash".into()),
            link_broken: true,
            ..SyncState::default()
        },
    )
    .await;
    store
        .pause(&PauseScope::Election(ids[3].clone()), now())
        .await
        .unwrap();
    // An unlinked election's leftovers do not count.
    store
        .pause(&PauseScope::Election(ids[4].clone()), now())
        .await
        .unwrap();

    let finished = store
        .start_run(Trigger::Scheduled, "runner", now())
        .await
        .unwrap();
    let counts = RunCounts {
        read: 4,
        written: 2,
        failed: 1,
        ..RunCounts::default()
    };
    store
        .finish_run(finished.id, &counts, None, now() + secs(5))
        .await
        .unwrap();
    let running = store
        .start_run(Trigger::Manual, "api", now() + secs(60))
        .await
        .unwrap();

    let health = store.sync_health().await.unwrap();
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
    store.pause(&PauseScope::All, now()).await.unwrap();
    let health = store.sync_health().await.unwrap();
    assert!(health.globally_paused);
    assert_eq!(health.paused, 4);
}
