#![doc = include_str!("../README.md")]

mod activity;
mod blocking;
mod connections;
mod control;
mod demo;
mod elections;
mod error;
mod health;
mod interface;
mod links;
mod managed;
mod open;
mod runs;
mod time;
mod types;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

pub use activity::{
    ActivityEntry, CycleError, HISTORY_EVENT_LIMIT, HistoryEvent, MinuteStats, RunHistory,
};
pub use connections::{
    AllowedDatabase, ConnectionId, ConnectionKind, ConnectionRecord, ConnectionState,
    InvalidConnectionId, NewOAuthConnection, OAuthStateRecord,
};
pub use demo::DemoClaim;
pub use error::{Result, StoreError, StoreErrorKind};
pub use health::{StoreHealth, SyncHealth};
pub use interface::{SharedStore, Store};
pub use managed::{
    DatabaseMode, MAX_KEY_PROPERTY_LEN, ManagedDatabase, ManagedPassSummary, ManagedSettings,
    PassKindStored,
};
pub use open::{OpenMode, StoreLocation, open_store};
pub use runs::parse_run_id;
pub use time::stored_precision;
pub use token_seal::SealedToken;
pub use types::*;
pub use webhooks::{
    EventReceipt, EventTypeCount, NewWebhookEvent, RejectionCount, StoredWebhookEvent,
    WebhookHealth, WebhookOutcome, WebhookToken, WebhookTokenState, WebhookTokens,
};

/// How long a statement waits for another connection's write lock before failing with the
/// [`StoreErrorKind::Busy`] kind (the default of [`StoreOptions::busy_timeout`]).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a health check waits for the write lock before calling the store busy: real write
/// transactions take milliseconds, so a lock held longer than this is held by something stuck.
const PROBE_TIMEOUT: Duration = Duration::from_millis(250);

/// How long after a write failed for lack of space the health check still reports the store full
/// (unless a write succeeds first): long enough for a probe to see it, short enough to recover
/// on its own once space is freed.
const FULL_HOLD: Duration = Duration::from_secs(30);

/// Idle read-only connections kept for reuse; more are opened while many reads run at once.
const MAX_IDLE_READERS: usize = 4;

static MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_init.sql")),
    M::up(include_str!("../migrations/0002_runs_with_changes.sql")),
    M::up(include_str!("../migrations/0003_demo_marker.sql")),
    M::up(include_str!("../migrations/0004_logs_by_election.sql")),
    M::up(include_str!("../migrations/0005_field_mapping.sql")),
    M::up(include_str!("../migrations/0006_link_records.sql")),
    M::up(include_str!("../migrations/0007_connections.sql")),
    M::up(include_str!("../migrations/0008_managed_databases.sql")),
    M::up(include_str!("../migrations/0009_webhooks.sql")),
];

/// The schema migrations, oldest first; version `n` is the schema after the `n`-th.
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// Number of the newest schema version.
pub const LATEST_SCHEMA_VERSION: usize = MIGRATIONS.len();

/// How to open a store file: whether it may be created, and how long writes wait for a lock.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    create: bool,
    busy_timeout: Duration,
    max_page_count: Option<u64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            create: true,
            busy_timeout: BUSY_TIMEOUT,
            max_page_count: None,
        }
    }
}

impl StoreOptions {
    /// Create the file (and its folder) if missing, wait [`BUSY_TIMEOUT`] for locks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a missing file is created (`true`, the default) or is a [`StoreError::Missing`].
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }

    /// How long a write waits for another connection's write lock before failing busy.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Caps the database at `pages` pages (`PRAGMA max_page_count`): a write needing more fails
    /// with [`StoreErrorKind::Full`], as on a full disk.
    pub fn max_page_count(mut self, pages: u64) -> Self {
        self.max_page_count = Some(pages);
        self
    }

    /// Opens the store at `path` with these options and migrates it to the latest schema.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let existed = path.exists();
        if !self.create && !existed {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty())
            && self.create
        {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if self.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(|error| {
            if self.create {
                StoreError::from(error)
            } else {
                StoreError::Missing {
                    path: path.to_path_buf(),
                }
            }
        })?;
        if !self.create {
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version == 0 {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
        }
        let store = SqliteStore::init(conn, Some(path.to_path_buf()), self, !existed)?;
        if !existed {
            tracing::warn!(path = %path.display(), "created a new, empty store");
        }
        Ok(store)
    }
}

/// The identity of a file (device and inode), to notice that it was deleted or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Self {
                device: meta.dev(),
                inode: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Some(Self {
                device: 0,
                inode: 0,
            })
        }
    }
}

/// The file behind a file store: where it is, what it was at open, and how to reach it.
#[derive(Debug)]
struct FileStore {
    path: PathBuf,
    id: Option<FileId>,
    /// Idle read-only connections: reads never wait for the writer.
    readers: Mutex<Vec<Connection>>,
    /// A second read-write connection that only probes whether the write lock can be taken.
    probe: Mutex<Option<Connection>>,
    busy_timeout: Duration,
}

/// The SQLite store: elections, Notion links, sync state, cursors, runs and logs, pauses, leases.
///
/// Synchronous and thread-safe: one writer connection behind a mutex (every write is one
/// `BEGIN IMMEDIATE` transaction) and, for a file, a small pool of read-only connections, so reads
/// never queue behind a write that waits for a lock (WAL lets readers run beside the writer).
/// Its inherent `&self` methods are the synchronous core and may be called from many threads;
/// async code uses it through the [`Store`] trait (as a [`SharedStore`]), which runs each call on
/// tokio's blocking pool. Cloning is cheap: clones share the connections. Several processes
/// (api-server, sync-runner) may open the same file: the busy timeout makes writers queue. No
/// method reads the wall clock: `now` is a parameter.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

/// What the clones of one [`SqliteStore`] share.
#[derive(Debug)]
struct Shared {
    conn: Mutex<Connection>,
    file: Option<FileStore>,
    created: bool,
    /// When a write last failed for lack of space, cleared by a successful write.
    full_since: Mutex<Option<Instant>>,
}

impl SqliteStore {
    /// Opens (creating if needed, with its folder) the database file at `path` and migrates it to
    /// the latest schema. Creating a file is logged at warn level with its path.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        StoreOptions::new().open(path)
    }

    /// Opens the store at `path` only if it exists: never creates a file. A missing file (or one
    /// that is not a store) is a [`StoreError::Missing`] naming the path.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self> {
        StoreOptions::new().create(false).open(path)
    }

    /// Opens a private in-memory database (tests, demos). Reads share the writer's connection.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(
            Connection::open_in_memory()?,
            None,
            &StoreOptions::new(),
            false,
        )
    }

    fn init(
        mut conn: Connection,
        path: Option<PathBuf>,
        options: &StoreOptions,
        created: bool,
    ) -> Result<Self> {
        conn.busy_timeout(options.busy_timeout)?;
        // journal_mode cannot change inside a transaction, so before migrating.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        migrate(&mut conn)?;
        if let Some(pages) = options.max_page_count {
            let _pages: i64 =
                conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                    r.get(0)
                })?;
        }
        let file = path.map(|path| FileStore {
            id: FileId::of(&path),
            path,
            readers: Mutex::new(Vec::new()),
            probe: Mutex::new(None),
            busy_timeout: options.busy_timeout,
        });
        Ok(Self {
            shared: Arc::new(Shared {
                conn: Mutex::new(conn),
                file,
                created,
                full_since: Mutex::new(None),
            }),
        })
    }

    /// The database file, `None` for in-memory stores.
    pub fn path(&self) -> Option<&Path> {
        self.shared.file.as_ref().map(|f| f.path.as_path())
    }

    /// Whether opening this store created its file (a new, empty store).
    pub fn created(&self) -> bool {
        self.shared.created
    }

    /// The schema version the database is at (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<usize> {
        self.read(|tx| {
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            Ok(usize::try_from(version).unwrap_or(0))
        })
    }

    /// Runs `PRAGMA integrity_check`; `Ok("ok")` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|tx| Ok(tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
    }

    /// Checks that the store can take writes now, cheaply, for readiness probes: the file is still
    /// the one opened ([`StoreError::FileGone`] otherwise), the write lock can be taken within a
    /// short wait (else the busy kind), and no write failed for lack of space lately (the full
    /// kind). In-memory stores are always healthy.
    pub fn check_health(&self) -> Result<()> {
        let Some(file) = &self.shared.file else {
            return Ok(());
        };
        self.check_file()?;
        if let Some(since) = *lock(&self.shared.full_since)
            && since.elapsed() < FULL_HOLD
        {
            return Err(StoreError::Sqlite {
                kind: StoreErrorKind::Full,
                code: Some(13),
                message: "a write failed lately because the database or disk is full".into(),
            });
        }
        let mut probe = lock(&file.probe);
        if probe.is_none() {
            let conn = Connection::open_with_flags(
                &file.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(file.busy_timeout.min(PROBE_TIMEOUT))?;
            *probe = Some(conn);
        }
        if let Some(conn) = probe.as_mut() {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.rollback()?;
        }
        Ok(())
    }

    /// The store's health for readiness probes: [`SqliteStore::check_health`], then the schema
    /// version. An error is why the store cannot take writes now (busy, full, file gone).
    /// `PRAGMA integrity_check` is left out: it reads the whole file.
    pub fn health(&self) -> Result<StoreHealth> {
        self.check_health()?;
        Ok(StoreHealth {
            schema_version: self.schema_version()?,
            latest_schema_version: LATEST_SCHEMA_VERSION,
        })
    }

    /// [`StoreError::FileGone`] when the file at the store's path is gone or is another file.
    fn check_file(&self) -> Result<()> {
        if let Some(file) = &self.shared.file
            && FileId::of(&file.path) != file.id
        {
            return Err(StoreError::FileGone {
                path: file.path.clone(),
            });
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        lock(&self.shared.conn)
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`), committed when `f` succeeds. Refused
    /// when the file was deleted or replaced since it was opened.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.check_file()?;
        let mut conn = self.lock();
        let result: Result<T> = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        let mut full_since = lock(&self.shared.full_since);
        match &result {
            Ok(_) => *full_since = None,
            Err(error) if error.kind() == StoreErrorKind::Full => {
                *full_since = Some(Instant::now());
            }
            Err(_) => {}
        }
        result
    }

    /// Runs `f` in one read transaction, so it sees one consistent snapshot. For a file it runs on
    /// a read-only connection of the pool, never waiting for the writer's mutex.
    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let Some(file) = &self.shared.file else {
            let mut conn = self.lock();
            return run_read(&mut conn, f);
        };
        let pooled = lock(&file.readers).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => open_reader(file)?,
        };
        let result = run_read(&mut conn, f);
        let mut idle = lock(&file.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

fn run_read<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

fn open_reader(file: &FileStore) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        &file.path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(file.busy_timeout)?;
    Ok(conn)
}

/// Locks a mutex; a panic while holding it leaves no open transaction behind (dropped
/// transactions roll back), so what it guards is still good.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Migrates to the latest schema. Two processes opening a fresh file at once may race: the loser's
/// migration fails on the winner's tables, so re-check the version and retry before giving up.
fn migrate(conn: &mut Connection) -> Result<()> {
    let migrations = migrations();
    let mut attempts = 0;
    loop {
        match migrations.to_latest(conn) {
            Ok(()) => return Ok(()),
            Err(error) => {
                let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if usize::try_from(version).ok() == Some(LATEST_SCHEMA_VERSION) {
                    return Ok(());
                }
                attempts += 1;
                if attempts >= 3 {
                    return Err(error.into());
                }
            }
        }
    }
}

/// Encodes a listing position as an opaque cursor (hex of the key text).
fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a cursor made by [`encode_cursor`].
fn decode_cursor(cursor: &str) -> Result<String> {
    let invalid = || {
        StoreError::Invalid {
        field: "cursor",
        message: "the cursor is not one this API returned: pass next_cursor unchanged, or omit it for the first page".into(),
    }
    };
    if !cursor.len().is_multiple_of(2) || cursor.len() > 1024 {
        return Err(invalid());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(cursor.get(i..i + 2).ok_or_else(invalid)?, 16).map_err(|_| invalid())
        })
        .collect::<Result<Vec<u8>>>()?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// Checks a page size.
fn check_limit(limit: u32) -> Result<i64> {
    if (1..=MAX_PAGE_LIMIT).contains(&limit) {
        Ok(i64::from(limit))
    } else {
        Err(StoreError::Invalid {
            field: "limit",
            message: format!("limit must be between 1 and {MAX_PAGE_LIMIT}, got {limit}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        migrations().validate().expect("migrations are valid");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let key = "elec_0196f6a9:x";
        assert_eq!(decode_cursor(&encode_cursor(key)).unwrap(), key);
        for bad in ["zz", "abc", "ff"] {
            assert!(matches!(
                decode_cursor(bad),
                Err(StoreError::Invalid {
                    field: "cursor",
                    ..
                })
            ));
        }
    }
}
