//! The store's error type.

use sync_engine::{ElectionId, ValidationError};

/// Why a store operation failed. Bad input is a typed error, never a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// What kind of thing (`election`, `run`, `lease`, …).
        what: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// The input breaks a rule; `field` names the offending field.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The field, as the API names it (`title`, `close_at`, `limit`, `cursor`, …).
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The operation clashes with the current state (e.g. a lease held by someone else).
    #[error("conflict: {message}")]
    Conflict {
        /// What clashed.
        message: String,
    },
    /// A stored value could not be read back (e.g. malformed JSON written by hand).
    #[error("stored data is unreadable: {message}")]
    Corrupt {
        /// What could not be read.
        message: String,
    },
    /// The folder that should hold the database file could not be created.
    #[error("cannot create the folder {path} for the database file")]
    Folder {
        /// The folder.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed (IO, lock timeout, constraint).
    #[error("SQLite error")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be migrated.
    #[error("database migration failed")]
    Migration(#[from] rusqlite_migration::Error),
}

impl From<ValidationError> for StoreError {
    fn from(error: ValidationError) -> Self {
        Self::Invalid {
            field: error.field(),
            message: error.to_string(),
        }
    }
}

/// A stored value that could not be converted back, as a `rusqlite` error for row mappers.
pub(crate) fn conversion(idx: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, message.into())
}

/// Maps a row mapper's conversion failure to `Corrupt`, any other failure to `Sqlite`.
pub(crate) fn corrupt(error: rusqlite::Error) -> StoreError {
    match error {
        rusqlite::Error::FromSqlConversionFailure(_, _, source) => StoreError::Corrupt {
            message: source.to_string(),
        },
        other => StoreError::Sqlite(other),
    }
}

/// `NotFound` for an election id.
pub(crate) fn election_not_found(id: &ElectionId) -> StoreError {
    StoreError::NotFound {
        what: "election",
        id: id.to_string(),
    }
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
