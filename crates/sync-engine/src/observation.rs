//! What the shell saw on a Notion page and in its database's schema.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The type of a Notion property, by Notion's own type name (`status`, `url`, `title`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum PropertyKind {
    /// `title`: the page's name.
    Title,
    /// `rich_text`.
    RichText,
    /// `status`.
    Status,
    /// `select`.
    Select,
    /// `url`.
    Url,
    /// Any other Notion type, by name.
    Other(String),
}

impl PropertyKind {
    /// Notion's name for the type.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Title => "title",
            Self::RichText => "rich_text",
            Self::Status => "status",
            Self::Select => "select",
            Self::Url => "url",
            Self::Other(name) => name,
        }
    }
}

impl From<&str> for PropertyKind {
    fn from(value: &str) -> Self {
        match value {
            "title" => Self::Title,
            "rich_text" => Self::RichText,
            "status" => Self::Status,
            "select" => Self::Select,
            "url" => Self::Url,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl From<String> for PropertyKind {
    fn from(value: String) -> Self {
        Self::from(value.as_str())
    }
}

impl From<PropertyKind> for String {
    fn from(value: PropertyKind) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for PropertyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The parts of the database schema the planner needs, looked up by the link's property names.
///
/// A `None` type means the property does not exist (under that name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaObservation {
    /// Type of the status property.
    pub status_property_type: Option<PropertyKind>,
    /// Names of the status property's options (all groups).
    pub status_options: Vec<String>,
    /// Type of the results property.
    pub results_property_type: Option<PropertyKind>,
    /// Type of the title property.
    pub title_property_type: Option<PropertyKind>,
    /// Type of the description property.
    pub description_property_type: Option<PropertyKind>,
}

impl SchemaObservation {
    /// Whether the status property offers an option with exactly this name.
    #[must_use]
    pub fn has_status_option(&self, name: &str) -> bool {
        self.status_options.iter().any(|o| o == name)
    }
}

/// One observation of the linked page, filled by the shell from the page and its data source's schema.
///
/// Text values are plain text: the shell joins every rich-text segment. `None` means no value
/// (empty property, or property absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageObservation {
    /// When the page was read.
    pub observed_at: Timestamp,
    /// Notion's `last_edited_time` of the page (minute-rounded by Notion).
    pub last_edited_time: Option<Timestamp>,
    /// The page is in Notion's trash (`in_trash` / `archived`).
    pub in_trash: bool,
    /// Current status option name.
    pub status: Option<String>,
    /// Current value of the results URL property.
    pub results_url: Option<String>,
    /// Current title text.
    pub title: Option<String>,
    /// Current description text.
    pub description: Option<String>,
    /// The schema, for the link's property names.
    pub schema: SchemaObservation,
}

/// Pulled text as the store may keep it: control characters (C0, DEL and C1: `char::is_control`)
/// removed, then surrounding whitespace trimmed. A NUL would make SQLite's `length()` stop short
/// (so a title check fails) and the others are invisible noise. A title is one line: its line
/// breaks and tabs become spaces; a description keeps them (`multiline`).
pub(crate) fn pulled_text(text: &str, multiline: bool) -> String {
    let cleaned: String = text
        .chars()
        .filter_map(|c| match c {
            '\n' | '\t' if multiline => Some(c),
            '\n' | '\t' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    cleaned.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::pulled_text;

    #[test]
    fn pulled_text_drops_control_characters_and_keeps_description_lines() {
        assert_eq!(pulled_text(" \u{0}", false), "");
        assert_eq!(
            pulled_text("Board\u{0} vote\u{7f}\u{85}\u{1b}", false),
            "Board vote"
        );
        assert_eq!(
            pulled_text("Two\nlines\tand\r\ntab", false),
            "Two lines and  tab"
        );
        assert_eq!(
            pulled_text("Two\nlines\tkept\u{0}\r", true),
            "Two\nlines\tkept"
        );
        assert_eq!(pulled_text("  Ünïcode ✓ ", false), "Ünïcode ✓");
    }
}
