//! Sync failures as plain data, and how the schedule reacts to them.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// What went wrong during a sync, by what the caller should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SyncErrorKind {
    /// Notion answered 429 (rate limited).
    RateLimited,
    /// Notion answered 5xx or 529 (overloaded).
    Server,
    /// No answer: connection, TLS or timeout failure.
    Network,
    /// Notion answered 401/403: bad or revoked token.
    Unauthorized,
    /// Notion answered 404: the page is deleted or not shared with the integration.
    NotFoundOrUnshared,
    /// The page is in Notion's trash.
    PageTrashed,
    /// The page was moved out of the linked database (Notion's page move): it still exists, but
    /// is no longer one of the database's rows, so the link no longer holds.
    PageMoved,
    /// A property named in the link does not exist.
    PropertyMissing,
    /// A property named in the link has the wrong type.
    PropertyWrongType,
    /// The status option to write does not exist in the schema.
    StatusOptionMissing,
    /// Notion answered 400 `validation_error` to our update.
    Validation,
}

impl SyncErrorKind {
    /// Stable snake_case name, as stored and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::Network => "network",
            Self::Unauthorized => "unauthorized",
            Self::NotFoundOrUnshared => "not_found_or_unshared",
            Self::PageTrashed => "page_trashed",
            Self::PageMoved => "page_moved",
            Self::PropertyMissing => "property_missing",
            Self::PropertyWrongType => "property_wrong_type",
            Self::StatusOptionMissing => "status_option_missing",
            Self::Validation => "validation",
        }
    }

    fn summary(self) -> &'static str {
        match self {
            Self::RateLimited => "Notion rate limit reached",
            Self::Server => "Notion had a server error",
            Self::Network => "Could not reach Notion",
            Self::Unauthorized => "Notion refused the integration token",
            Self::NotFoundOrUnshared => "Notion page not found",
            Self::PageTrashed => "The Notion page is in trash",
            Self::PageMoved => "The Notion page was moved out of its database",
            Self::PropertyMissing => "A Notion property is missing",
            Self::PropertyWrongType => "A Notion property has the wrong type",
            Self::StatusOptionMissing => "A status option is missing in Notion",
            Self::Validation => "Notion rejected the update",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Self::RateLimited | Self::Server => {
                "The sync retries on the next cycle; nothing to do unless this persists."
            }
            // The engine does not know which API base the process uses (NOTION_API_BASE may
            // point at a proxy or the emulator): the message carries the URL that failed.
            Self::Network => {
                "Check the network path to Notion's API (NOTION_API_BASE); the sync retries on the next cycle."
            }
            Self::Unauthorized => {
                "Check the connection's token (NOTION_API_KEY for the internal connection; for a workspace connected with OAuth, connect it again on the Connections page) and that the integration is still connected to the database."
            }
            Self::NotFoundOrUnshared => {
                "The page was deleted or is not shared with the integration: share it (… → Connections) or re-link the election."
            }
            Self::PageTrashed => {
                "Restore the page from Notion's trash, or re-link the election to another page."
            }
            Self::PageMoved => {
                "Move the page back into the database in Notion, or link the election to another page of the database."
            }
            Self::PropertyMissing => {
                "Add the property to the database or change the property name in the link."
            }
            Self::PropertyWrongType => {
                "Change the property's type in Notion or point the link at another property."
            }
            Self::StatusOptionMissing => {
                "Create the option in the database's status property (the API cannot create options) or change the status value in the link."
            }
            Self::Validation => {
                "Check the link's property names and status values, then sync by hand."
            }
        }
    }
}

impl fmt::Display for SyncErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the schedule treats a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Retry on the next cycle (429, 529, 5xx, network).
    Transient,
    /// Back off (up to once an hour) until an admin changes the link or syncs by hand.
    Permanent,
}

impl ErrorClass {
    /// Stable snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transient => "transient",
            Self::Permanent => "permanent",
        }
    }
}

/// A sync failure described as plain data: the shell builds it from a Notion error or the planner from
/// an observation. Keeps Notion's HTTP status, `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.describe())]
pub struct SyncError {
    /// What kind of failure.
    pub kind: SyncErrorKind,
    /// Notion's HTTP status, when Notion answered.
    pub status: Option<u16>,
    /// Notion's error `code` (e.g. `object_not_found`), when Notion answered.
    pub code: Option<String>,
    /// Notion's message, or ours for failures found in an observation.
    pub message: String,
}

impl SyncError {
    /// A failure found without a Notion error response (e.g. by the planner in an observation).
    pub fn new(kind: SyncErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
        }
    }

    /// A failure reported by Notion with its status and code.
    pub fn from_notion(
        kind: SyncErrorKind,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            status: Some(status),
            code: Some(code.into()),
            message: message.into(),
        }
    }

    /// Text for people, stored as `notion_last_sync_error`: what failed, Notion's status and code,
    /// and what to do.
    ///
    /// A message that already starts with the summary (a client error's own text, such as
    /// "could not reach Notion (…)") is not prefixed with it again.
    #[must_use]
    pub fn describe(&self) -> String {
        let summary = self.kind.summary();
        let message = self.message.trim();
        let repeated = message
            .get(..summary.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(summary));
        let mut text = if repeated {
            format!("{summary}{}", &message[summary.len()..])
        } else if message.is_empty() {
            summary.to_owned()
        } else {
            format!("{summary}: {message}")
        };
        match (self.status, &self.code) {
            (Some(status), Some(code)) => text.push_str(&format!(" (Notion {status} {code})")),
            (Some(status), None) => text.push_str(&format!(" (Notion {status})")),
            (None, Some(code)) => text.push_str(&format!(" (Notion {code})")),
            (None, None) => {}
        }
        text.push_str(". ");
        text.push_str(self.kind.advice());
        text
    }
}

/// The class of a failure: transient ones retry next cycle, permanent ones back off.
#[must_use]
pub fn classify_error(error: &SyncError) -> ErrorClass {
    match error.kind {
        SyncErrorKind::RateLimited | SyncErrorKind::Server | SyncErrorKind::Network => {
            ErrorClass::Transient
        }
        SyncErrorKind::Unauthorized
        | SyncErrorKind::NotFoundOrUnshared
        | SyncErrorKind::PageTrashed
        | SyncErrorKind::PageMoved
        | SyncErrorKind::PropertyMissing
        | SyncErrorKind::PropertyWrongType
        | SyncErrorKind::StatusOptionMissing
        | SyncErrorKind::Validation => ErrorClass::Permanent,
    }
}

/// Delay before the next attempt after a transient failure: one cycle.
pub const TRANSIENT_RETRY_DELAY: SignedDuration = SignedDuration::from_secs(60);
/// First delay after a permanent failure; doubles with each further failure.
pub const PERMANENT_BACKOFF_BASE: SignedDuration = SignedDuration::from_secs(60);
/// Longest delay between attempts after permanent failures: once an hour.
pub const PERMANENT_BACKOFF_MAX: SignedDuration = SignedDuration::from_secs(3600);

/// When a scheduled sync should next try, after `consecutive_failures` failures (counting this one).
///
/// Transient: the next cycle. Permanent: 1 min, 2 min, 4 min, … capped at one hour.
#[must_use]
pub fn next_attempt_after_failure(
    now: Timestamp,
    class: ErrorClass,
    consecutive_failures: u32,
) -> Timestamp {
    let delay = match class {
        ErrorClass::Transient => TRANSIENT_RETRY_DELAY,
        ErrorClass::Permanent => {
            let doublings = consecutive_failures.saturating_sub(1).min(16);
            let secs = PERMANENT_BACKOFF_BASE
                .as_secs()
                .saturating_mul(1 << doublings);
            SignedDuration::from_secs(secs).min(PERMANENT_BACKOFF_MAX)
        }
    };
    now.checked_add(delay).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_says_each_failure_once_with_what_to_do() {
        use SyncErrorKind::*;
        let cases = [
            (
                SyncError::new(
                    Network,
                    "GET /v1/users/me: error sending request for url (http://127.0.0.1:9/v1/users/me)",
                ),
                "Could not reach Notion: GET /v1/users/me: error sending request for url (http://127.0.0.1:9/v1/users/me). Check the network path to Notion's API (NOTION_API_BASE); the sync retries on the next cycle.",
            ),
            // A client's own text that already says it: said once.
            (
                SyncError::new(
                    Network,
                    "could not reach Notion (GET /v1/pages/x): timed out",
                ),
                "Could not reach Notion (GET /v1/pages/x): timed out. Check the network path to Notion's API (NOTION_API_BASE); the sync retries on the next cycle.",
            ),
            (
                SyncError::new(Network, ""),
                "Could not reach Notion. Check the network path to Notion's API (NOTION_API_BASE); the sync retries on the next cycle.",
            ),
            (
                SyncError::from_notion(NotFoundOrUnshared, 404, "object_not_found", "gone"),
                "Notion page not found: gone (Notion 404 object_not_found). The page was deleted or is not shared with the integration: share it (… → Connections) or re-link the election.",
            ),
            (
                SyncError {
                    kind: Server,
                    status: Some(502),
                    code: None,
                    message: "bad gateway".into(),
                },
                "Notion had a server error: bad gateway (Notion 502). The sync retries on the next cycle; nothing to do unless this persists.",
            ),
            (
                SyncError::new(PropertyMissing, "no property \"Voting Status\""),
                "A Notion property is missing: no property \"Voting Status\". Add the property to the database or change the property name in the link.",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.describe(), expected, "{error:?}");
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn no_advice_names_a_fixed_host() {
        use SyncErrorKind::*;
        for kind in [
            RateLimited,
            Server,
            Network,
            Unauthorized,
            NotFoundOrUnshared,
            PageTrashed,
            PropertyMissing,
            PropertyWrongType,
            StatusOptionMissing,
            Validation,
        ] {
            let text = SyncError::new(kind, "x").describe();
            assert!(!text.contains("api.notion.com"), "{kind}: {text}");
            assert_eq!(text.matches(kind.summary()).count(), 1, "{text}");
        }
    }
}
