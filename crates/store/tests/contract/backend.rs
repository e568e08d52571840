//! The backends the contract runs against: a factory per backend that makes a fresh, empty store
//! (and can open more handles on the same data, as other processes would).

use std::ops::Deref;

use async_trait::async_trait;
use store::{SharedStore, Store};

/// The data of one fresh store, kept alive while a case runs.
#[async_trait]
pub(crate) trait Database: Send + Sync {
    /// Another handle on the same data, opened as another process would open it.
    async fn open(&self) -> SharedStore;
}

/// A fresh, empty store for one case, with the means to open it again.
pub(crate) struct Fixture {
    /// The store the case uses.
    pub(crate) store: SharedStore,
    database: Box<dyn Database>,
}

impl Fixture {
    /// Another handle on the same store (another process's).
    pub(crate) async fn another(&self) -> SharedStore {
        self.database.open().await
    }
}

impl Deref for Fixture {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

/// SQLite: a new file in a temporary folder per case.
pub(crate) mod sqlite {
    use std::path::PathBuf;

    use async_trait::async_trait;
    use store::{OpenMode, SharedStore, StoreLocation, open_store};
    use tempfile::TempDir;

    use super::{Database, Fixture};

    struct File {
        _dir: TempDir,
        path: PathBuf,
    }

    #[async_trait]
    impl Database for File {
        async fn open(&self) -> SharedStore {
            open_store(
                &StoreLocation::Sqlite(self.path.clone()),
                OpenMode::CreateIfMissing,
            )
            .await
            .expect("the SQLite store opens")
        }
    }

    /// A fresh SQLite store in a file of its own.
    pub(crate) async fn fresh() -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("store.sqlite3");
        let database = File { _dir: dir, path };
        Fixture {
            store: database.open().await,
            database: Box::new(database),
        }
    }
}
