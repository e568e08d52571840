//! The driver's error type, shaped so the API can pick an honest HTTP status.

use notion_client::{ErrorKind, NotionError, NotionId};
use sync_engine::ElectionId;

/// Why a driver operation failed. Each variant maps to one HTTP status in the admin API:
///
/// | variant | status |
/// |---|---|
/// | `NotFound` | 404 |
/// | `NotAllowlisted` | 403 |
/// | `InvalidInput` | 400 |
/// | `Validation` | 422 (the page fails link validation; the message says what to fix) |
/// | `NotLinked`, `LeaseHeld` | 409 |
/// | `Notion` | 502, or 503 with `retry_after` for rate limits ([`DriverError::retry_after`]) |
/// | `Store` | 500 (or 503 when SQLite is busy) |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The election (or another thing) does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// What was looked for (`election`).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The database is not on the allowlist.
    #[error(
        "database {database_id} is not allowlisted; allowed databases: {allowlist}. Add it to NOTION_DATABASE_ALLOWLIST to use it"
    )]
    NotAllowlisted {
        /// The refused database.
        database_id: NotionId,
        /// The allowlist, as `Name (id), …`.
        allowlist: String,
    },
    /// A request field is malformed (e.g. an id that is not a Notion id).
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The field, as the API names it.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The page fails link validation (or a manual sync failed on the page's content): the message
    /// tells the user what to fix in Notion or in the link.
    #[error("{0}")]
    Validation(String),
    /// The election has no Notion link.
    #[error("election {0} is not linked to a Notion page: link it first")]
    NotLinked(ElectionId),
    /// Notion failed; keeps Notion's status, code and message.
    #[error("Notion request failed: {0}")]
    Notion(#[from] NotionError),
    /// The store failed.
    #[error("store error: {0}")]
    Store(store::StoreError),
    /// The page is already linked to another election (one page shows one election).
    #[error(
        "the Notion page '{page_id}' is already linked to election '{election_id}': one page shows one election; unlink it there first, or link another page"
    )]
    PageTaken {
        /// The page.
        page_id: NotionId,
        /// The election that has it.
        election_id: ElectionId,
    },
    /// Another driver holds the lease (a cycle or a manual sync is running elsewhere).
    #[error("a sync is already running (lease held by {holder}); try again shortly")]
    LeaseHeld {
        /// Who holds it.
        holder: String,
    },
    /// The Notion connection a database or link needs cannot be used now.
    #[error("{reason}")]
    ConnectionUnavailable {
        /// The connection.
        id: store::ConnectionId,
        /// What happened and what to do, for people.
        reason: String,
    },
}

impl From<store::StoreError> for DriverError {
    /// `NotFound` stays a 404; everything else is a store failure.
    fn from(error: store::StoreError) -> Self {
        match error {
            store::StoreError::NotFound { what, id } => Self::NotFound { what, id },
            other => Self::Store(other),
        }
    }
}

impl DriverError {
    /// How long Notion asked to wait, for rate-limit errors (`Retry-After`).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Notion(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Whether this is Notion rate limiting (429/529): the API answers 503 with `retry_after`.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::Notion(e) if matches!(e.kind(), ErrorKind::RateLimited { .. }))
    }

    pub(crate) fn from_store_for(error: store::StoreError, election: &ElectionId) -> Self {
        match error {
            store::StoreError::Conflict { .. } => Self::NotLinked(election.clone()),
            other => other.into(),
        }
    }
}
