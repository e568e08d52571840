//! Opening a store by where it lives, as the binaries' `DATABASE_URL` names it: the one place that
//! picks the backend.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{Result, SharedStore, StoreError, StoreOptions};

/// Where a store lives. The binaries make one from `DATABASE_URL` (`sqlite:PATH`, `sqlite://PATH`
/// or a plain path today); [`open_store`] opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
}

impl fmt::Display for StoreLocation {
    /// How messages name the store, e.g. `the SQLite store data/elections.db`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "the SQLite store {}", path.display()),
        }
    }
}

/// Whether opening may create a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the store (a SQLite file with its folder) when missing, and migrate it to the
    /// latest schema: the servers and the sync commands.
    CreateIfMissing,
    /// Open only a store that exists, never create one ([`StoreError::Missing`] otherwise): the
    /// commands that only read or reset.
    Existing,
}

/// Opens the store at `location` (migrating it to the latest schema) and returns it shared.
/// Opening a file takes disk IO and migrations, so it runs on tokio's blocking pool.
///
/// Errors: whatever opening failed with (a [`StoreError`] of kind `Unavailable` for a missing
/// store or folder, `Corrupt` for a file that is not a database, …).
pub async fn open_store(location: &StoreLocation, mode: OpenMode) -> Result<SharedStore> {
    match location {
        StoreLocation::Sqlite(path) => {
            let path = path.clone();
            let options = StoreOptions::new().create(mode == OpenMode::CreateIfMissing);
            let opened = tokio::task::spawn_blocking(move || options.open(path)).await;
            let store = match opened {
                Ok(store) => store?,
                Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                Err(_) => return Err(StoreError::ShuttingDown),
            };
            Ok(Arc::new(store))
        }
    }
}
