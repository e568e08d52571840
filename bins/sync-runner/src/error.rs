//! Every failure an operator can expect, each with its exit code (cargo-nextest's `ExpectedError`).

use crate::exit_codes;

/// Why a command failed. Anything not named here is [`RunnerError::Unexpected`].
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// Missing or malformed configuration; `variable` is the environment variable (or flag) to fix.
    #[error("{variable}: {message}")]
    Config {
        /// The environment variable, e.g. `NOTION_API_KEY`.
        variable: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An argument names nothing (unknown run id, unknown election).
    #[error("{0}")]
    Usage(String),
    /// Notion refused the token.
    #[error(
        "Notion refused the integration token: {0}. Check NOTION_API_KEY and that the integration still exists"
    )]
    NotionAuth(String),
    /// Another runner holds the sync lease.
    #[error(
        "another runner holds the sync lease ({holder}); nothing was done. Try again when it finishes, or stop it"
    )]
    LeaseHeld {
        /// Who holds it.
        holder: String,
    },
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl RunnerError {
    /// The process exit code for this failure (see [`crate::exit_codes`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config { .. } => exit_codes::CONFIG_INVALID,
            Self::Usage(_) => exit_codes::USAGE,
            Self::NotionAuth(_) => exit_codes::NOTION_AUTH_FAILED,
            Self::LeaseHeld { .. } => exit_codes::LEASE_HELD,
            Self::Unexpected(_) => exit_codes::UNEXPECTED,
        }
    }

    /// A configuration error naming `variable`.
    pub fn config(variable: &'static str, message: impl Into<String>) -> Self {
        Self::Config {
            variable,
            message: message.into(),
        }
    }
}

impl From<store::StoreError> for RunnerError {
    fn from(error: store::StoreError) -> Self {
        match error {
            store::StoreError::NotFound { what, id } => {
                Self::Usage(format!("{what} '{id}' not found"))
            }
            store::StoreError::Invalid { field, message } => {
                Self::Usage(format!("invalid {field}: {message}"))
            }
            other => Self::Unexpected(anyhow::Error::new(other).context("store error")),
        }
    }
}

/// Shorthand.
pub(crate) type Result<T, E = RunnerError> = std::result::Result<T, E>;
