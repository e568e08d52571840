//! The domain model: elections, their phase and the sync state of a link.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::ErrorClass;
use crate::observation::PageObservation;

/// Longest election id accepted, in bytes.
pub const MAX_ELECTION_ID_LEN: usize = 100;

/// Input that breaks a rule of the model. Each variant names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The title is empty or only whitespace.
    #[error("title must not be empty: give the election a name")]
    EmptyTitle,
    /// `close_at` is not strictly after `open_at`.
    #[error("close_at ({close_at}) must be after open_at ({open_at})")]
    CloseNotAfterOpen {
        /// The proposed opening instant.
        open_at: Timestamp,
        /// The proposed closing instant.
        close_at: Timestamp,
    },
    /// A text field holds a control character it does not allow: any C0 character, DEL or C1
    /// character, except tab, newline and carriage return in multi-line fields (the
    /// description). SQLite and the pages that show the text would otherwise read it wrongly.
    #[error(
        "{field} contains the control character U+{code_point:04X} at character {position}: \
         remove it{}",
        if *multi_line { " (only tab, newline and carriage return are allowed here)" }
        else { " (this field is one line of text: no tabs, line breaks or other control characters)" }
    )]
    ControlCharacter {
        /// The field, as the API and the store call it.
        field: &'static str,
        /// The character found, as a Unicode code point.
        code_point: u32,
        /// Its position in the text, counting characters from 1.
        position: usize,
        /// Whether the field allows tab, newline and carriage return.
        multi_line: bool,
    },
    /// The election id is empty, too long or has characters outside `[A-Za-z0-9_-]`.
    #[error(
        "id {id:?} is not a valid election id: use 1 to 100 characters among letters, digits, '_' and '-'"
    )]
    InvalidElectionId {
        /// The rejected id.
        id: String,
    },
}

impl ValidationError {
    /// The name of the field the error is about, as the API and the store call it.
    pub fn field(&self) -> &'static str {
        match self {
            Self::EmptyTitle => "title",
            Self::ControlCharacter { field, .. } => field,
            Self::CloseNotAfterOpen { .. } => "close_at",
            Self::InvalidElectionId { .. } => "id",
        }
    }
}

/// Checks that a title has something other than whitespace in it, and no control character
/// (a title is one line).
pub fn validate_title(title: &str) -> Result<(), ValidationError> {
    if title.trim().is_empty() {
        return Err(ValidationError::EmptyTitle);
    }
    validate_text("title", title, false)
}

/// Checks that a description has no control character other than tab, newline and carriage
/// return.
pub fn validate_description(description: &str) -> Result<(), ValidationError> {
    validate_text("description", description, true)
}

/// Checks that the text of `field` holds no control character (C0, DEL or C1); `multi_line`
/// fields may hold tab, newline and carriage return.
pub fn validate_text(
    field: &'static str,
    text: &str,
    multi_line: bool,
) -> Result<(), ValidationError> {
    let allowed = |c: char| multi_line && matches!(c, '\t' | '\n' | '\r');
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed(*c))
    {
        None => Ok(()),
        Some((index, c)) => Err(ValidationError::ControlCharacter {
            field,
            code_point: u32::from(c),
            position: index + 1,
            multi_line,
        }),
    }
}

/// Checks that the voting window is not empty: `close_at` must be strictly after `open_at`.
pub fn validate_window(open_at: Timestamp, close_at: Timestamp) -> Result<(), ValidationError> {
    if close_at > open_at {
        Ok(())
    } else {
        Err(ValidationError::CloseNotAfterOpen { open_at, close_at })
    }
}

/// Stable text id of an election, such as `elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e`.
///
/// The store mints new ids as `elec_` followed by a UUID v7 in simple (undashed) form; any id of 1 to
/// 100 characters among `[A-Za-z0-9_-]` is accepted so imported ids keep working.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ElectionId(String);

impl ElectionId {
    /// Prefix of ids minted by this project.
    pub const PREFIX: &'static str = "elec_";

    /// Validates and wraps an id.
    pub fn parse(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= MAX_ELECTION_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(id))
        } else {
            Err(ValidationError::InvalidElectionId { id })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ElectionId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<ElectionId> for String {
    fn from(value: ElectionId) -> Self {
        value.0
    }
}

impl fmt::Display for ElectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an election stands at a given instant. Derived from its times, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `now < open_at`.
    Upcoming,
    /// `open_at <= now < close_at`.
    Open,
    /// `now >= close_at`.
    Closed,
}

impl Phase {
    /// Lowercase name, as shown to people and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An election as the app knows it (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Election {
    /// Stable id.
    pub id: ElectionId,
    /// Non-empty title.
    pub title: String,
    /// Description, may be empty.
    pub description: String,
    /// When voting opens (UTC).
    pub open_at: Timestamp,
    /// When voting closes (UTC), strictly after `open_at`.
    pub close_at: Timestamp,
    /// When the election was created.
    pub created_at: Timestamp,
    /// When the election was last changed.
    pub updated_at: Timestamp,
}

impl Election {
    /// The phase at `now`: upcoming before `open_at`, open until `close_at`, closed from `close_at` on.
    #[must_use]
    pub fn phase(&self, now: Timestamp) -> Phase {
        if now < self.open_at {
            Phase::Upcoming
        } else if now < self.close_at {
            Phase::Open
        } else {
            Phase::Closed
        }
    }

    /// Checks the title, the description and the voting window.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_title(&self.title)?;
        validate_description(&self.description)?;
        validate_window(self.open_at, self.close_at)
    }

    /// The first phase change (`open_at` or `close_at`) strictly after `now`, if any is left.
    #[must_use]
    pub fn next_phase_change(&self, now: Timestamp) -> Option<Timestamp> {
        [self.open_at, self.close_at].into_iter().find(|t| *t > now)
    }
}

/// What the app remembers about syncing one linked election.
///
/// The first three fields are SPEC §3's; the rest is scheduling state for the runner. A new link
/// starts from `SyncState::default()`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Last successful sync.
    pub notion_last_sync_at: Option<Timestamp>,
    /// Last error, for people: what failed, Notion's status and code, what to do. Cleared by a success.
    pub notion_last_sync_error: Option<String>,
    /// When the done status was first written (or first seen) for the current closed phase.
    pub notion_done_set_at: Option<Timestamp>,
    /// Last attempt, successful or not.
    pub last_attempt_at: Option<Timestamp>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// Class of the last error; `None` after a success.
    pub error_class: Option<ErrorClass>,
    /// Earliest instant a scheduled sync should try again after a failure.
    pub next_attempt_at: Option<Timestamp>,
    /// The page is trashed, deleted or unshared: the link needs an admin.
    pub link_broken: bool,
    /// The page as last observed (with our own writes applied), so a phase change can be written
    /// without a read when nothing changed in Notion.
    pub last_observation: Option<PageObservation>,
}
