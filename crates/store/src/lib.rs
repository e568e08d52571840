#![doc = include_str!("../README.md")]

mod control;
mod demo;
mod elections;
mod error;
mod health;
mod runs;
mod time;
mod types;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

pub use demo::DemoClaim;
pub use error::{Result, StoreError};
pub use health::SyncHealth;
pub use runs::parse_run_id;
pub use time::stored_precision;
pub use types::*;

/// How long a statement waits for another connection's write lock before failing with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

static MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_init.sql")),
    M::up(include_str!("../migrations/0002_runs_with_changes.sql")),
    M::up(include_str!("../migrations/0003_demo_marker.sql")),
];

/// The schema migrations, oldest first; version `n` is the schema after the `n`-th.
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// Number of the newest schema version.
pub const LATEST_SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The SQLite store: elections, Notion links, sync state, cursors, runs and logs, pauses, leases.
///
/// Synchronous and thread-safe: it owns one connection behind a mutex, so `&self` methods may be
/// called from many threads (`Arc<Store>`), and every write is one `BEGIN IMMEDIATE` transaction.
/// From async code, call it inside `tokio::task::spawn_blocking` (or actix `web::block`). Several
/// processes (api-server, sync-runner) may open the same file: WAL lets readers run beside the
/// writer and [`BUSY_TIMEOUT`] makes writers queue. No method reads the clock: `now` is a parameter.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed, with its folder) the database file at `path` and migrates it to
    /// the latest schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// Opens a private in-memory database (tests, demos).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode cannot change inside a transaction, so before migrating.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file, `None` for in-memory stores.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version the database is at (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<usize> {
        let conn = self.lock();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(usize::try_from(version).unwrap_or(0))
    }

    /// Runs `PRAGMA integrity_check`; `Ok("ok")` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        let conn = self.lock();
        Ok(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no open transaction behind (dropped transactions
        // roll back), so the connection is still good.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`), committed when `f` succeeds.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` in one read transaction, so it sees one consistent snapshot.
    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
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
