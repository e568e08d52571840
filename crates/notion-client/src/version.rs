//! The `Notion-Version`s this client speaks and what differs between them.
//!
//! Every version check in the crate goes through a capability method here, so supporting a new
//! version means adding a variant and answering each question once.

use std::fmt;
use std::str::FromStr;

/// The `Notion-Version` this client speaks. The header is sent on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum NotionVersion {
    /// The legacy model: a database is the table (`POST /v1/databases/{id}/query`, schema on the
    /// database).
    V2022_06_28,
    /// Data sources: a database contains data sources that hold the schema and the rows.
    #[default]
    V2025_09_03,
    /// As 2025-09-03, with `in_trash` instead of `archived`, block `position` instead of `after`
    /// and `meeting_notes` instead of `transcription` blocks.
    V2026_03_11,
    /// As 2026-03-11; lists (search, data source queries) carry only the title property unless
    /// `filter_properties` names more, status `equals` no longer matches status groups, a user's
    /// `name` may be `null`, and the Markdown v1 endpoints answer errors.
    V2026_12_01,
}

/// How block-children appends say where the new blocks go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockPositionForm {
    /// A flat `after: <block id>` (until 2025-09-03); only "after a block" or "at the end".
    After,
    /// A `position` object: `after_block`, `start` or `end` (from 2026-03-11).
    Position,
}

impl NotionVersion {
    /// Every supported version, oldest first.
    pub const ALL: [Self; 4] = [
        Self::V2022_06_28,
        Self::V2025_09_03,
        Self::V2026_03_11,
        Self::V2026_12_01,
    ];

    /// The header value, e.g. `2025-09-03`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2022_06_28 => "2022-06-28",
            Self::V2025_09_03 => "2025-09-03",
            Self::V2026_03_11 => "2026-03-11",
            Self::V2026_12_01 => "2026-12-01",
        }
    }

    /// True for the legacy (pre-data-source) model.
    pub fn is_legacy(self) -> bool {
        !self.uses_data_sources()
    }

    /// Whether databases are containers of data sources (schema and rows on the data source).
    pub fn uses_data_sources(self) -> bool {
        self >= Self::V2025_09_03
    }

    /// The request field that moves an object to the trash or back: `archived` on 2022-06-28
    /// (where `in_trash` did not exist yet), `in_trash` after. Responses are read in both forms.
    pub fn trash_field_name(self) -> &'static str {
        if self.is_legacy() {
            "archived"
        } else {
            "in_trash"
        }
    }

    /// Whether responses still carry the deprecated `archived` field (before 2026-03-11).
    pub fn responses_carry_archived(self) -> bool {
        self < Self::V2026_03_11
    }

    /// How an append of block children is positioned.
    pub fn block_position_form(self) -> BlockPositionForm {
        if self >= Self::V2026_03_11 {
            BlockPositionForm::Position
        } else {
            BlockPositionForm::After
        }
    }

    /// The block type of meeting notes: `transcription` before 2026-03-11, `meeting_notes` after.
    pub fn meeting_notes_block_type(self) -> &'static str {
        if self >= Self::V2026_03_11 {
            "meeting_notes"
        } else {
            "transcription"
        }
    }

    /// Whether search and data source queries return only the title property of each page unless
    /// `filter_properties` names others (2026-12-01).
    pub fn query_returns_only_title_without_filter_properties(self) -> bool {
        self >= Self::V2026_12_01
    }

    /// Whether a status `equals` filter also matches the name of a status group (before
    /// 2026-12-01).
    pub fn status_equals_matches_groups(self) -> bool {
        self < Self::V2026_12_01
    }

    /// Whether a user's `name` may come back `null` (2026-12-01; always decoded as an `Option`).
    pub fn user_name_may_be_null(self) -> bool {
        self >= Self::V2026_12_01
    }

    /// Whether the Markdown v1 endpoints (`/v1/pages/{id}/markdown`) answer (2026-03-11 only;
    /// they require it, and 2026-12-01 answers them with errors).
    pub fn markdown_v1_available(self) -> bool {
        self == Self::V2026_03_11
    }
}

impl fmt::Display for NotionVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unsupported `Notion-Version` string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported Notion-Version '{0}': use 2025-09-03 (default), 2026-03-11, 2026-12-01 or 2022-06-28"
)]
pub struct UnsupportedVersion(pub String);

impl FromStr for NotionVersion {
    type Err = UnsupportedVersion;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnsupportedVersion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_round_trips_through_its_header_value() {
        for v in NotionVersion::ALL {
            assert_eq!(v.as_str().parse::<NotionVersion>().unwrap(), v);
        }
        assert_eq!(NotionVersion::default(), NotionVersion::V2025_09_03);
        let err = "2026-01-01".parse::<NotionVersion>().unwrap_err();
        assert!(err.to_string().contains("2026-12-01"), "{err}");
    }

    #[test]
    fn capabilities_follow_the_upgrade_guides() {
        use NotionVersion::*;
        assert_eq!(V2022_06_28.trash_field_name(), "archived");
        assert_eq!(V2025_09_03.trash_field_name(), "in_trash");
        assert!(V2025_09_03.responses_carry_archived());
        assert!(!V2026_03_11.responses_carry_archived());
        assert_eq!(V2025_09_03.block_position_form(), BlockPositionForm::After);
        assert_eq!(
            V2026_03_11.block_position_form(),
            BlockPositionForm::Position
        );
        assert_eq!(V2025_09_03.meeting_notes_block_type(), "transcription");
        assert_eq!(V2026_12_01.meeting_notes_block_type(), "meeting_notes");
        assert!(!V2026_03_11.query_returns_only_title_without_filter_properties());
        assert!(V2026_12_01.query_returns_only_title_without_filter_properties());
        assert!(V2026_03_11.status_equals_matches_groups());
        assert!(!V2026_12_01.status_equals_matches_groups());
        assert!(!V2022_06_28.uses_data_sources() && V2026_12_01.uses_data_sources());
        assert!(V2026_03_11.markdown_v1_available() && !V2026_12_01.markdown_v1_available());
    }
}
