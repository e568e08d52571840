//! The Notion-Version values the emulator accepts and what each one changes in request bodies and
//! answers. Every version difference is a named question here, so the code that shapes a body asks
//! "does this version have data sources?" rather than comparing dates.

/// The Notion-Version a request was made with, reduced to what changes the responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiVersion {
    /// 2022-06-28 (and the older dates still accepted): databases are tables.
    V2022_06_28,
    /// 2025-09-03: databases contain data sources.
    V2025_09_03,
    /// 2026-03-11: as 2025-09-03, without `archived`.
    V2026_03_11,
    /// 2026-12-01: as 2026-03-11; lists carry only the title without `filter_properties`.
    V2026_12_01,
}

/// Every Notion-Version value the emulator accepts.
pub const ACCEPTED_VERSIONS: &[&str] = &[
    "2021-05-11",
    "2021-05-13",
    "2021-08-16",
    "2022-02-22",
    "2022-06-28",
    "2025-09-03",
    "2026-03-11",
    "2026-12-01",
];

impl ApiVersion {
    /// Parses a `Notion-Version` header value.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "2025-09-03" => Some(Self::V2025_09_03),
            "2026-03-11" => Some(Self::V2026_03_11),
            "2026-12-01" => Some(Self::V2026_12_01),
            v if ACCEPTED_VERSIONS.contains(&v) => Some(Self::V2022_06_28),
            _ => None,
        }
    }

    /// Whether databases are data-source containers in this version.
    pub fn has_data_sources(self) -> bool {
        self >= Self::V2025_09_03
    }

    /// Whether `position` replaced `after` and `in_trash` replaced `archived` in requests.
    pub fn uses_in_trash_and_position(self) -> bool {
        self >= Self::V2026_03_11
    }

    /// Whether search and data source queries return only the title property of each page
    /// unless `filter_properties` names more (2026-12-01).
    pub fn lists_only_title(self) -> bool {
        self >= Self::V2026_12_01
    }

    /// The properties a list (query, search) returns: those named, or on 2026-12-01 the title.
    pub fn list_properties(self, named: Option<Vec<String>>) -> Option<Vec<String>> {
        match named {
            None if self.lists_only_title() => Some(vec!["title".to_owned()]),
            other => other,
        }
    }

    /// Whether a status `equals` filter naming a status group matches the group's options
    /// (every version before 2026-12-01).
    pub fn status_equals_matches_groups(self) -> bool {
        self < Self::V2026_12_01
    }

    /// Whether a person without a name answers `name: null` (2026-12-01); earlier versions answer
    /// an empty string (the emulator's guess: they documented `name` as a string).
    pub fn null_person_names(self) -> bool {
        self >= Self::V2026_12_01
    }

    /// Whether answers still carry `archived` next to `in_trash` (before 2026-03-11).
    pub(crate) fn with_archived(self) -> bool {
        self < Self::V2026_03_11
    }
}
