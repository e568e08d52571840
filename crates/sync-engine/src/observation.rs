//! What the shell saw on a Notion page and in its database's schema.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::link::{FieldMapping, PropertyRef, PropertyRole};

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
    /// `date`.
    Date,
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
            Self::Date => "date",
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
            "date" => Self::Date,
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

/// A database's properties as the sync needs them: each with its id, name, type and (for a
/// status or select property) its options. The shell fills it from the data source's schema,
/// with every property for a link check, or only those a link maps for a stored observation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSchema {
    /// The properties, in the database's order.
    pub properties: Vec<SchemaProperty>,
}

/// One property of a [`DatabaseSchema`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaProperty {
    /// Notion's id of the property, stable through renames.
    pub id: String,
    /// Its current name.
    pub name: String,
    /// Its type.
    pub kind: PropertyKind,
    /// The option names of a status or select property, in Notion's order; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl SchemaProperty {
    /// Whether the property offers an option with exactly this name.
    #[must_use]
    pub fn has_option(&self, name: &str) -> bool {
        self.options.iter().any(|o| o == name)
    }
}

impl DatabaseSchema {
    /// The property `reference` points at: by id when the reference has one (so a renamed
    /// property is still found), else, or when no property has that id any more (deleted and
    /// made again under the same name), by name.
    #[must_use]
    pub fn resolve(&self, reference: &PropertyRef) -> Option<&SchemaProperty> {
        reference
            .id
            .as_ref()
            .and_then(|id| self.properties.iter().find(|p| &p.id == id))
            .or_else(|| self.named(&reference.name))
    }

    /// The property named `name`.
    #[must_use]
    pub fn named(&self, name: &str) -> Option<&SchemaProperty> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The property names, sorted (for messages that list what the database has).
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.properties.iter().map(|p| p.name.clone()).collect();
        names.sort();
        names
    }

    /// Only the properties `mapping` refers to (resolved by id or name): what an observation
    /// stored with a link needs, without the rest of a wide database.
    #[must_use]
    pub fn restricted_to(&self, mapping: &FieldMapping) -> Self {
        let refs = mapping.properties();
        Self {
            properties: self
                .properties
                .iter()
                .filter(|p| {
                    refs.iter()
                        .any(|(_, r)| r.id.as_deref() == Some(p.id.as_str()) || r.name == p.name)
                })
                .cloned()
                .collect(),
        }
    }
}

/// A date or date-time value of a Date property, as instants (a date without a time is its
/// midnight, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateValue {
    /// The start.
    pub start: Timestamp,
    /// The end of a range, if it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

/// The value of one page property, as the sync reads it. Text is plain text: the shell joins
/// every rich-text segment; an empty value is `None` (or empty text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ObservedValue {
    /// A title or rich-text property's text (empty when it has none).
    Text(String),
    /// A status property's option.
    Status(Option<String>),
    /// A select property's option.
    Select(Option<String>),
    /// A URL property's value.
    Url(Option<String>),
    /// A date property's value.
    Date(Option<DateValue>),
    /// A property of a type the sync does not read.
    Other,
}

impl ObservedValue {
    /// The text of a title or rich-text value.
    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The option of a status or select value.
    #[must_use]
    pub fn as_option(&self) -> Option<&str> {
        match self {
            Self::Status(option) | Self::Select(option) => option.as_deref(),
            _ => None,
        }
    }

    /// The URL of a URL value.
    #[must_use]
    pub fn as_url(&self) -> Option<&str> {
        match self {
            Self::Url(url) => url.as_deref(),
            _ => None,
        }
    }
}

/// One observation of the linked page, filled by the shell from the page and its data source's
/// schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageObservation {
    /// When the page was read.
    pub observed_at: Timestamp,
    /// Notion's `last_edited_time` of the page (minute-rounded by Notion).
    pub last_edited_time: Option<Timestamp>,
    /// The page is in Notion's trash (`in_trash` / `archived`).
    pub in_trash: bool,
    /// The page's property values, by property id (the properties the link maps, at least).
    pub values: BTreeMap<String, ObservedValue>,
    /// The database's schema, for the properties the link maps at least. Shared: the schema is
    /// the same for every page of a database and for a page before and after a write, so
    /// copies of an observation do not copy it.
    pub schema: Arc<DatabaseSchema>,
}

impl PageObservation {
    /// The value of the property `reference` points at, with that property: `None` when the
    /// schema has no such property; the value is `None` when the page has none for it.
    #[must_use]
    pub fn lookup(
        &self,
        reference: &PropertyRef,
    ) -> Option<(&SchemaProperty, Option<&ObservedValue>)> {
        let property = self.schema.resolve(reference)?;
        Some((property, self.values.get(&property.id)))
    }

    /// The status option the page shows, read through `mapping`.
    #[must_use]
    pub fn status(&self, mapping: &FieldMapping) -> Option<&str> {
        self.value_of(mapping, PropertyRole::Status)
            .and_then(ObservedValue::as_option)
    }

    /// The results link the page shows, read through `mapping`.
    #[must_use]
    pub fn results_link(&self, mapping: &FieldMapping) -> Option<&str> {
        self.value_of(mapping, PropertyRole::ResultsLink)
            .and_then(ObservedValue::as_url)
    }

    /// The current value of the property playing `role` in `mapping`.
    #[must_use]
    pub fn value_of(&self, mapping: &FieldMapping, role: PropertyRole) -> Option<&ObservedValue> {
        let reference = mapping.property(role)?;
        self.lookup(reference).and_then(|(_, value)| value)
    }
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
