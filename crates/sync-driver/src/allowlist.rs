//! The database allowlist: the only Notion databases that may be searched or linked (SPEC §3).

use std::fmt;

use notion_client::NotionId;
use serde::Serialize;

/// One allowlisted database: its canonical id and the name people see in the database dropdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowlistEntry {
    /// The database id (canonical lowercase dashed form).
    pub id: NotionId,
    /// Display name (may contain spaces).
    pub name: String,
}

/// Why an allowlist text is malformed: names the entry and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "database allowlist entry {position} ({entry:?}) {problem}; write the allowlist as comma-separated <database id>:<name> pairs, e.g. \"1a2b3c4d5e6f47809a0b1c2d3e4f5a6b:Elections\""
)]
pub struct AllowlistError {
    /// 1-based position of the entry in the comma-separated list.
    pub position: usize,
    /// The entry as written (trimmed).
    pub entry: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The databases the service may search and link, parsed from `id:Name,id:Name`.
///
/// Ids may be written in any form Notion shows (dashed UUID, 32 hex characters, a database URL);
/// names may contain spaces (and colons). An empty text is an empty allowlist, which refuses
/// every database. `Display` lists `Name (id), Name (id)` for error messages.
///
/// ```
/// use sync_driver::Allowlist;
/// let list = Allowlist::parse("d0000000000040008000000000000001:Elections, d0000000-0000-4000-8000-000000000003:Legacy Elections").unwrap();
/// assert_eq!(list.entries().len(), 2);
/// assert_eq!(list.entries()[1].name, "Legacy Elections");
/// assert!(Allowlist::parse("not-an-id:Elections").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Allowlist {
    entries: Vec<AllowlistEntry>,
}

impl Allowlist {
    /// Parses `id:Name,id:Name`. Empty entries (e.g. a trailing comma) are ignored; an entry
    /// without a valid id, without a name, or repeating an id is an error naming the entry.
    pub fn parse(text: &str) -> Result<Self, AllowlistError> {
        let mut entries: Vec<AllowlistEntry> = Vec::new();
        for (index, raw) in text.split(',').enumerate() {
            let entry = raw.trim();
            if entry.is_empty() {
                continue;
            }
            let error = |problem: String| AllowlistError {
                position: index + 1,
                entry: entry.to_owned(),
                problem,
            };
            let parsed = parse_entry(entry).map_err(error)?;
            if let Some(previous) = entries.iter().find(|e| e.id == parsed.id) {
                return Err(error(format!(
                    "repeats database {} (already listed as {:?})",
                    parsed.id, previous.name
                )));
            }
            entries.push(parsed);
        }
        Ok(Self { entries })
    }

    /// Builds an allowlist from entries already parsed (duplicates are dropped, first wins).
    pub fn from_entries(entries: impl IntoIterator<Item = AllowlistEntry>) -> Self {
        let mut list = Self::default();
        for entry in entries {
            if !list.contains(&entry.id) {
                list.entries.push(entry);
            }
        }
        list
    }

    /// The entries, in the order written.
    pub fn entries(&self) -> &[AllowlistEntry] {
        &self.entries
    }

    /// The entry of this database, if allowlisted.
    pub fn get(&self, id: &NotionId) -> Option<&AllowlistEntry> {
        self.entries.iter().find(|e| &e.id == id)
    }

    /// Whether this database is allowlisted.
    pub fn contains(&self, id: &NotionId) -> bool {
        self.get(id).is_some()
    }

    /// Whether no database is allowlisted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Splits at the first `:` whose left side is a valid Notion id, so URL ids (`https://…`) and
/// names containing colons both work.
fn parse_entry(entry: &str) -> Result<AllowlistEntry, String> {
    if !entry.contains(':') {
        return Err("has no ':' between the database id and its name".to_owned());
    }
    let mut last_error = None;
    for (at, _) in entry.match_indices(':') {
        let (id_text, rest) = entry.split_at(at);
        let name = rest[1..].trim();
        match NotionId::parse(id_text.trim()) {
            Ok(id) if name.is_empty() => {
                return Err(format!("has no name after the id {id}"));
            }
            Ok(id) => {
                return Ok(AllowlistEntry {
                    id,
                    name: name.to_owned(),
                });
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(match last_error {
        Some(e) => format!("does not start with a valid Notion database id: {e}"),
        None => "does not start with a valid Notion database id".to_owned(),
    })
}

impl fmt::Display for Allowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return f.write_str("(no database is allowlisted)");
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} ({})", entry.name, entry.id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB1: &str = "d0000000-0000-4000-8000-000000000001";
    const DB3: &str = "d0000000-0000-4000-8000-000000000003";

    #[test]
    fn parses_every_accepted_form() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            ("  ", &[]),
            (
                "d0000000-0000-4000-8000-000000000001:Elections",
                &[(DB1, "Elections")],
            ),
            (
                "d0000000000040008000000000000001:Elections,",
                &[(DB1, "Elections")],
            ),
            (
                " D0000000000040008000000000000001 : Board Elections 2026 , d0000000-0000-4000-8000-000000000003:Legacy",
                &[(DB1, "Board Elections 2026"), (DB3, "Legacy")],
            ),
            (
                "https://www.notion.so/acme/Elections-d0000000000040008000000000000001?v=0123456789abcdef0123456789abcdef:Elections",
                &[(DB1, "Elections")],
            ),
            (
                "d0000000000040008000000000000001:Board: 2026",
                &[(DB1, "Board: 2026")],
            ),
        ];
        for (text, want) in cases {
            let list = Allowlist::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let got: Vec<(String, String)> = list
                .entries()
                .iter()
                .map(|e| (e.id.to_string(), e.name.clone()))
                .collect();
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(i, n)| ((*i).to_owned(), (*n).to_owned()))
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn malformed_entries_are_named() {
        let cases = [
            ("Elections", 1, "has no ':'"),
            ("d0000000000040008000000000000001:", 1, "has no name"),
            (
                "d0000000000040008000000000000001:A,nothex:B",
                2,
                "valid Notion database id",
            ),
            (
                "d0000000000040008000000000000001:A,d0000000-0000-4000-8000-000000000001:B",
                2,
                "repeats database",
            ),
        ];
        for (text, position, problem) in cases {
            let error = Allowlist::parse(text).expect_err(text);
            assert_eq!(error.position, position, "{text}");
            assert!(error.problem.contains(problem), "{text}: {error}");
            assert!(error.to_string().contains("<database id>:<name>"));
        }
    }

    #[test]
    fn lookups_and_display() {
        let list = Allowlist::parse(&format!("{DB1}:Elections,{DB3}:Legacy Elections")).unwrap();
        let db1: NotionId = DB1.parse().unwrap();
        let other: NotionId = "d0000000-0000-4000-8000-000000000002".parse().unwrap();
        assert!(list.contains(&db1));
        assert_eq!(list.get(&db1).unwrap().name, "Elections");
        assert!(!list.contains(&other));
        assert_eq!(
            list.to_string(),
            format!("Elections ({DB1}), Legacy Elections ({DB3})")
        );
        assert_eq!(
            Allowlist::default().to_string(),
            "(no database is allowlisted)"
        );
    }
}
