//! The store's error type, and what kind of failure each error is (backend-neutral).

use std::path::PathBuf;

use sync_engine::{ElectionId, ValidationError};

/// What kind of failure a [`StoreError`] is, without naming the database engine: callers (the
/// api-server, the sync-runner) map it to a status or an exit code without matching SQLite types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The thing asked for does not exist.
    NotFound,
    /// The input breaks a rule.
    Invalid,
    /// The operation clashes with the current state.
    Conflict,
    /// Another connection holds the write lock longer than the busy timeout: retrying can help.
    Busy,
    /// The disk (or the database's size limit) is full: writes fail until space is freed.
    Full,
    /// The store cannot be used: its file is missing, was deleted or replaced, cannot be opened,
    /// IO failed, or the runtime is shutting down.
    Unavailable,
    /// The file is not a database, is damaged, or holds a value that cannot be read back.
    Corrupt,
    /// A database constraint (unique, foreign key, check, not null) refused the write.
    Constraint,
    /// Anything else: a bug or a misuse of the engine.
    Internal,
}

impl StoreErrorKind {
    /// Whether the same call may succeed if retried shortly (only [`StoreErrorKind::Busy`]).
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Busy)
    }

    /// Whether the store is (for now) not usable at all: busy, full or unavailable. Servers answer
    /// 503 and readiness fails while it lasts.
    pub fn is_unavailable(self) -> bool {
        matches!(self, Self::Busy | Self::Full | Self::Unavailable)
    }
}

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
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// [`crate::SqliteStore::open_existing`] (or [`crate::open_store`] with
    /// [`crate::OpenMode::Existing`]) found no store at `path` (and created none).
    #[error(
        "no store at {path}: the file does not exist or is not an election-notion-sync store (nothing was created)"
    )]
    Missing {
        /// The path that was looked at.
        path: PathBuf,
    },
    /// The file the store was opened on has been deleted, or another file now sits at its path:
    /// writes would go to a file nobody sees, so they are refused.
    #[error(
        "the store file at {path} was deleted or replaced while this process ran; restore it (or accept a new, empty store) and restart the process to reopen it"
    )]
    FileGone {
        /// The store's path.
        path: PathBuf,
    },
    /// SQLite failed. `code` is SQLite's extended result code when SQLite itself reported the
    /// failure; `message` is SQLite's own message.
    #[error("SQLite error {}", sqlite_detail(*code, message))]
    Sqlite {
        /// What kind of failure it is.
        kind: StoreErrorKind,
        /// SQLite's extended result code, e.g. 5 (`SQLITE_BUSY`).
        code: Option<i32>,
        /// SQLite's message, e.g. `database is locked`.
        message: String,
    },
    /// The call never ran: the async runtime is shutting down (its blocking pool takes no more
    /// work). Nothing was read or written.
    #[error("the store call did not run: the runtime is shutting down")]
    ShuttingDown,
    /// The schema could not be migrated.
    #[error("database migration failed: {message}")]
    Migration {
        /// What kind of failure it is (e.g. busy while another process migrates).
        kind: StoreErrorKind,
        /// What failed, with SQLite's code and message.
        message: String,
    },
}

impl StoreError {
    /// What kind of failure this is, and so whether retrying can help
    /// ([`StoreErrorKind::is_retryable`]) or the store is unusable for now
    /// ([`StoreErrorKind::is_unavailable`]).
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            Self::NotFound { .. } => StoreErrorKind::NotFound,
            Self::Invalid { .. } => StoreErrorKind::Invalid,
            Self::Conflict { .. } => StoreErrorKind::Conflict,
            Self::Corrupt { .. } => StoreErrorKind::Corrupt,
            Self::Folder { .. }
            | Self::Missing { .. }
            | Self::FileGone { .. }
            | Self::ShuttingDown => StoreErrorKind::Unavailable,
            Self::Sqlite { kind, .. } | Self::Migration { kind, .. } => *kind,
        }
    }
}

fn sqlite_detail(code: Option<i32>, message: &str) -> String {
    match code {
        Some(code) => format!("{} ({code}): {message}", code_name(code)),
        None => format!(": {message}"),
    }
}

/// The name of an extended result code (falling back to its primary code's name).
fn code_name(code: i32) -> &'static str {
    match code {
        261 => "SQLITE_BUSY_RECOVERY",
        517 => "SQLITE_BUSY_SNAPSHOT",
        773 => "SQLITE_BUSY_TIMEOUT",
        1032 => "SQLITE_READONLY_DBMOVED",
        1555 => "SQLITE_CONSTRAINT_PRIMARYKEY",
        2067 => "SQLITE_CONSTRAINT_UNIQUE",
        787 => "SQLITE_CONSTRAINT_FOREIGNKEY",
        1299 => "SQLITE_CONSTRAINT_NOTNULL",
        275 => "SQLITE_CONSTRAINT_CHECK",
        _ => match code & 0xff {
            1 => "SQLITE_ERROR",
            2 => "SQLITE_INTERNAL",
            3 => "SQLITE_PERM",
            4 => "SQLITE_ABORT",
            5 => "SQLITE_BUSY",
            6 => "SQLITE_LOCKED",
            7 => "SQLITE_NOMEM",
            8 => "SQLITE_READONLY",
            9 => "SQLITE_INTERRUPT",
            10 => "SQLITE_IOERR",
            11 => "SQLITE_CORRUPT",
            12 => "SQLITE_NOTFOUND",
            13 => "SQLITE_FULL",
            14 => "SQLITE_CANTOPEN",
            15 => "SQLITE_PROTOCOL",
            17 => "SQLITE_SCHEMA",
            18 => "SQLITE_TOOBIG",
            19 => "SQLITE_CONSTRAINT",
            20 => "SQLITE_MISMATCH",
            21 => "SQLITE_MISUSE",
            22 => "SQLITE_NOLFS",
            23 => "SQLITE_AUTH",
            25 => "SQLITE_RANGE",
            26 => "SQLITE_NOTADB",
            _ => "SQLITE_UNKNOWN",
        },
    }
}

/// The kind of a SQLite failure, from its (extended) result code.
fn kind_of_code(code: i32) -> StoreErrorKind {
    match code & 0xff {
        5 | 6 => StoreErrorKind::Busy,
        13 => StoreErrorKind::Full,
        3 | 8 | 10 | 14 | 22 | 23 => StoreErrorKind::Unavailable,
        11 | 26 => StoreErrorKind::Corrupt,
        19 => StoreErrorKind::Constraint,
        _ => StoreErrorKind::Internal,
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            rusqlite::Error::SqliteFailure(failure, message) => {
                let code = failure.extended_code;
                Self::Sqlite {
                    kind: kind_of_code(code),
                    code: Some(code),
                    message: message.clone().unwrap_or_else(|| failure.to_string()),
                }
            }
            rusqlite::Error::FromSqlConversionFailure(_, _, source) => Self::Corrupt {
                message: source.to_string(),
            },
            other => Self::Sqlite {
                kind: StoreErrorKind::Internal,
                code: None,
                message: other.to_string(),
            },
        }
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(error: rusqlite_migration::Error) -> Self {
        match error {
            rusqlite_migration::Error::RusqliteError { err, .. } => {
                let inner = Self::from(err);
                Self::Migration {
                    kind: inner.kind(),
                    message: inner.to_string(),
                }
            }
            other => Self::Migration {
                kind: StoreErrorKind::Internal,
                message: other.to_string(),
            },
        }
    }
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

/// Maps a row mapper's conversion failure to `Corrupt`, any other failure by its code.
pub(crate) fn corrupt(error: rusqlite::Error) -> StoreError {
    StoreError::from(error)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_failures_keep_their_code_and_message() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(5),
            Some("database is locked".into()),
        );
        let error = StoreError::from(busy);
        assert_eq!(
            error.to_string(),
            "SQLite error SQLITE_BUSY (5): database is locked"
        );
        assert_eq!(error.kind(), StoreErrorKind::Busy);
        assert!(error.kind().is_retryable());
        let full = StoreError::from(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(13),
            None,
        ));
        assert_eq!(full.kind(), StoreErrorKind::Full);
        assert!(full.kind().is_unavailable() && !full.kind().is_retryable());
        let unique = StoreError::from(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(2067),
            Some("UNIQUE constraint failed: elections.id".into()),
        ));
        assert_eq!(
            unique.to_string(),
            "SQLite error SQLITE_CONSTRAINT_UNIQUE (2067): UNIQUE constraint failed: elections.id"
        );
        assert_eq!(unique.kind(), StoreErrorKind::Constraint);
    }
}
