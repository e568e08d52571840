//! What only the SQLite backend can show, against real files in temporary directories: opening and
//! migrating files, WAL, two connections or processes on one file, a process killed
//! mid-transaction, a lock held by another process, a full disk, a file deleted under the store,
//! and the rows it leaves. The behaviour every backend shares is the contract (`tests/contract`).

use std::sync::{Arc, Barrier};

use jiff::{SignedDuration, Timestamp};
use store::*;
use sync_engine::{ElectionId, NotionLink, Trigger};
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

fn temp_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("store.sqlite3")).unwrap();
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

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + ?Sized>() {}
    assert_send_sync::<SqliteStore>();
    assert_send_sync::<SharedStore>();
}

#[test]
fn opening_a_file_in_a_missing_folder_creates_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("nested").join("elections.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
    assert!(path.is_file());

    // A folder that cannot be created is a typed error naming it, not a panic.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"").unwrap();
    let error = SqliteStore::open(blocker.join("elections.db"))
        .err()
        .unwrap();
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
        let store = SqliteStore::open(&path).unwrap();
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
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
    }
}

#[test]
fn links_of_the_schema_before_mappings_migrate_with_every_name_and_value_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.sqlite3");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, 4).unwrap();
        conn.execute(
            "INSERT INTO elections (id, title, description, open_at, close_at, created_at, updated_at, \
             notion_database_id, notion_page_id, notion_page_url, notion_status_property_name, \
             notion_status_value_not_started, notion_status_value_in_voting, notion_status_value_done, \
             notion_results_property_name, notion_title_property_name, notion_description_property_name, \
             notion_last_sync_at, notion_last_sync_error, sync_consecutive_failures, sync_error_class, \
             sync_link_broken, sync_paused_at, sync_last_observation) \
             VALUES ('elec_old', 'Old', '', 1, 2, 0, 0, 'db', 'page', 'https://app.notion.com/p/x', \
             'Stage', 'Soon', 'Live', 'Closed', 'Results', 'Title', 'About', 5, 'page trashed', 3, \
             'permanent', 1, 7, \
             '{\"observed_at\":\"2026-01-01T00:00:00Z\",\"status\":\"Live\"}')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO sync_cursors (database_id, last_edited_cursor, last_full_reconcile_at, updated_at) \
             VALUES ('db', 10, 20, 30)",
            [],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let record = store
        .get_election(&ElectionId::parse("elec_old").unwrap())
        .unwrap();
    let link = record.link().cloned().expect("the link survives");
    assert_eq!(record.links.len(), 1);
    assert!(
        record.links[0].primary,
        "a migrated link is its election's primary"
    );
    assert_eq!(
        (
            link.notion_database_id.as_str(),
            link.notion_page_id.as_str()
        ),
        ("db", "page")
    );
    assert_eq!(
        link.notion_page_url.as_deref(),
        Some("https://app.notion.com/p/x")
    );
    let mapping = &link.mapping;
    assert_eq!(
        mapping.status.property,
        sync_engine::PropertyRef::named("Stage")
    );
    assert_eq!(
        [
            &mapping.status.not_started,
            &mapping.status.in_voting,
            &mapping.status.done
        ],
        ["Soon", "Live", "Closed"]
    );
    assert_eq!(mapping.results_link.name, "Results");
    assert_eq!(mapping.title.property.name, "Title");
    assert_eq!(mapping.description.property.name, "About");
    assert_eq!(mapping.voting_window, None);
    // The sync state stays; the observation of the old form is dropped, so the next sync reads
    // the page once.
    let state = record.state();
    assert!(state.notion_last_sync_at.is_some());
    assert_eq!(
        (
            state.notion_last_sync_error.as_deref(),
            state.consecutive_failures,
            state.error_class,
            state.link_broken
        ),
        (
            Some("page trashed"),
            3,
            Some(sync_engine::ErrorClass::Permanent),
            true
        )
    );
    assert!(record.paused_at.is_some(), "the election's pause stays");
    assert_eq!(state.last_observation, None);
    // ... with the database's next read a full one (pages by the hundred, not one by one).
    let cursor = store.get_cursor("db").unwrap().unwrap();
    assert_eq!(cursor.last_full_reconcile_at, None);
    assert!(cursor.last_edited_cursor.is_some());

    // A mapping written with ids reads back as written, and the SPEC columns follow its names.
    let mut renamed = link.clone();
    renamed.mapping.status.property = sync_engine::PropertyRef::with_id("st", "Election state");
    store
        .set_link(&record.election.id, &renamed, now())
        .unwrap();
    let back = store
        .get_election(&record.election.id)
        .unwrap()
        .link()
        .cloned()
        .unwrap();
    assert_eq!(back.mapping, renamed.mapping);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let column: String = conn
        .query_row(
            "SELECT notion_status_property_name FROM notion_links WHERE election_id = 'elec_old'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(column, "Election state");
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
    let in_memory = SqliteStore::open_in_memory().unwrap();
    assert_eq!(in_memory.schema_version().unwrap(), LATEST_SCHEMA_VERSION);
    assert!(in_memory.path().is_none());
}

#[test]
fn two_stores_on_one_file_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let setup = SqliteStore::open(&path).unwrap();
    let run = setup.start_run(Trigger::Scheduled, "setup", now()).unwrap();
    drop(setup);
    const PER_THREAD: usize = 150;
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|thread| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
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
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.list_linked(&LinkedFilter::default()).unwrap().len(),
        2 * PER_THREAD
    );
    assert_eq!(store.get_run(run.id).unwrap().logs.len(), 2 * PER_THREAD);
    assert_eq!(store.integrity_check().unwrap(), "ok");
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
    let store = SqliteStore::open(&path).unwrap();
    let a = store.create_election(new_election("Alpha"), now()).unwrap();
    let b = store.create_election(new_election("Beta"), now()).unwrap();
    store
        .set_link(&a.election.id, &link("db", "pa"), now())
        .unwrap();
    store
        .claim_lease(&LeaseKey::Global, "runner-a", secs(60), now())
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

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let after = store.list_elections(&ListRequest::first(100)).unwrap();
    assert_eq!(after, before, "the killed transaction left no trace");
    assert_eq!(
        store.get_lease(&LeaseKey::Global).unwrap().unwrap().holder,
        "runner-a"
    );
    // And the store is writable again.
    store.create_election(new_election("Gamma"), now()).unwrap();
    assert_eq!(b.election.title, "Beta");
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
    drop(SqliteStore::open(&path).unwrap());
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
    let store = SqliteStore::open(&path).unwrap();
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
    drop(SqliteStore::open(dir.path().join("other.db")).unwrap());
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
    let error = SqliteStore::open_existing(&path).unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error}");
    assert!(error.to_string().contains(&path.display().to_string()));
    assert!(!path.exists() && !dir.path().join("nested").exists());
    // An empty file is not a store either, and stays untouched.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        SqliteStore::open_existing(&empty),
        Err(StoreError::Missing { .. })
    ));
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    let made = dir.path().join("made.db");
    let store = SqliteStore::open(&made).unwrap();
    assert!(store.created());
    store.create_election(new_election("One"), now()).unwrap();
    drop(store);
    let store = SqliteStore::open_existing(&made).unwrap();
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

#[tokio::test]
async fn open_store_creates_only_when_asked_and_names_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("elections.db");
    let location = StoreLocation::Sqlite(path.clone());
    assert_eq!(
        location.to_string(),
        format!("the SQLite store {}", path.display())
    );
    let error = open_store(&location, OpenMode::Existing).await.unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error}");
    assert_eq!(error.kind(), StoreErrorKind::Unavailable);
    assert!(!path.exists());
    let store = open_store(&location, OpenMode::CreateIfMissing)
        .await
        .unwrap();
    store
        .create_election(new_election("One"), now())
        .await
        .unwrap();
    assert!(path.is_file());
    let again = open_store(&location, OpenMode::Existing).await.unwrap();
    assert_eq!(
        again
            .list_elections(&ListRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// The global lease keeps the name it always had, so a runner of either version sees the
/// other's; write leases are per link (`sync:link:<id>`), and a per-election write lease of the
/// versions before link records is no key of today's (it lapses by itself).
#[test]
fn lease_keys_are_stored_under_their_names() {
    let (dir, store) = temp_store();
    let link = LinkId::parse("lnk_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e").unwrap();
    store
        .claim_lease(&LeaseKey::Global, "runner-a", secs(60), now())
        .unwrap()
        .unwrap();
    store
        .claim_lease(
            &LeaseKey::Link(link.clone()),
            &cycle_lease_holder("runner-a"),
            secs(60),
            now(),
        )
        .unwrap()
        .unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("store.sqlite3")).unwrap();
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT name, holder FROM leases ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            ("sync:global".to_owned(), "runner-a".to_owned()),
            (
                "sync:link:lnk_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e".to_owned(),
                "runner-a/cycle".to_owned()
            ),
        ]
    );
    assert_eq!(
        LeaseKey::from_name("sync:link:lnk_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e"),
        Some(LeaseKey::Link(link))
    );
    assert_eq!(
        LeaseKey::from_name("sync:election:elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e"),
        None
    );
    assert_eq!(LeaseKey::from_name("sync:global"), Some(LeaseKey::Global));
    assert_eq!(LeaseKey::from_name("other:e4"), None);
}

/// A lease row of another name (written by another tool) held as the dead runner's cycle is left
/// alone when the global lease is taken over: only election leases go.
#[test]
fn taking_over_the_global_lease_leaves_leases_of_other_names() {
    let (dir, store) = temp_store();
    store
        .claim_lease(&LeaseKey::Global, "runner-a", secs(30), now())
        .unwrap()
        .unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("store.sqlite3")).unwrap();
    conn.execute(
        "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ('other:e4', 'runner-a/cycle', ?1, ?2)",
        rusqlite::params![now().as_millisecond(), (now() + secs(300)).as_millisecond()],
    )
    .unwrap();
    let taken = store
        .claim_lease(&LeaseKey::Global, "runner-b", secs(30), now() + secs(50))
        .unwrap()
        .unwrap();
    assert_eq!(taken.taken_from.as_deref(), Some("runner-a"));
    assert!(taken.released.is_empty());
    let kept: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM leases WHERE name = 'other:e4'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1);
}

/// Pruning deletes a run's log entries with it: no entry is left without its run.
#[test]
fn pruning_leaves_no_log_entry_without_its_run() {
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
    for age in [10, 8, 7, 1] {
        let started = now() - day * age;
        let run = store.start_run(Trigger::Scheduled, "r", started).unwrap();
        store
            .append_logs(run.id, &[entry(LogAction::Read), entry(LogAction::Wrote)])
            .unwrap();
    }
    let pruned = store.prune_runs(day * 7, now()).unwrap();
    assert_eq!(pruned, PrunedRuns { runs: 2, logs: 4 });
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
}

/// The readiness health of a file store is its check and its schema version.
#[test]
fn health_is_the_write_check_and_the_schema_version() {
    let (dir, store) = temp_store();
    assert_eq!(
        store.health().unwrap(),
        StoreHealth {
            schema_version: LATEST_SCHEMA_VERSION,
            latest_schema_version: LATEST_SCHEMA_VERSION,
        }
    );
    let other = hold_write_lock(&dir.path().join("store.sqlite3"));
    let busy = store.health().unwrap_err();
    assert_eq!(busy.kind(), StoreErrorKind::Busy, "{busy}");
    other.execute_batch("ROLLBACK").unwrap();
    assert!(store.health().unwrap().is_current());
}

/// Grepping the store file (and its WAL) for a token finds nothing: tokens are stored sealed.
#[test]
fn the_store_file_holds_no_plaintext_token() {
    use secrecy::SecretString;
    let (dir, store) = temp_store();
    let key = token_seal::TokenKey::generate();
    let id = ConnectionId::mint(now());
    let access = "ntn_oauth_plaintext_marker_access";
    let refresh = "nrt_plaintext_marker_refresh";
    let seal =
        |text: &str, context: String| key.seal(&SecretString::from(text.to_owned()), &context);
    store
        .save_oauth_connection(
            &NewOAuthConnection {
                id: id.clone(),
                workspace_id: "ws".into(),
                workspace_name: None,
                workspace_icon: None,
                bot_id: "bot".into(),
                owner: None,
                created_by: None,
                access_token: seal(access, id.access_token_context()),
                refresh_token: Some(seal(refresh, id.refresh_token_context())),
                access_expires_at: None,
            },
            now(),
        )
        .unwrap();
    drop(store);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in [access, refresh] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in the store's files"
            );
        }
    }
}
