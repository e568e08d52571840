//! `NOTION_DATABASE_ALLOWLIST`: the Notion databases that may be searched and linked.

use notion_client::NotionId;

/// One allowlisted database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowlistEntry {
    /// The database, canonical.
    pub id: NotionId,
    /// Its display name.
    pub name: String,
}

/// The parsed allowlist, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<AllowlistEntry>,
}

/// Why an allowlist could not be read; names the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "entry {position} ({entry:?}) {reason}; write id:Name,id:Name (ids as UUID, 32 hex characters or a Notion URL)"
)]
pub struct AllowlistError {
    /// 1-based position of the bad entry.
    pub position: usize,
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Allowlist {
    /// Parses `id:Name,id:Name`. Names may contain spaces; ids may be Notion URLs (the name is what
    /// follows the last `:`). Blank entries are ignored; an id listed twice is an error.
    pub fn parse(text: &str) -> Result<Self, AllowlistError> {
        let mut entries: Vec<AllowlistEntry> = Vec::new();
        for (index, raw) in text.split(',').enumerate() {
            let entry = raw.trim();
            if entry.is_empty() {
                continue;
            }
            let error = |reason: String| AllowlistError {
                position: index + 1,
                entry: entry.to_owned(),
                reason,
            };
            let Some((id, name)) = entry.rsplit_once(':') else {
                return Err(error("has no name after a ':'".into()));
            };
            let name = name.trim();
            if name.is_empty() || name.starts_with("//") {
                return Err(error("has no name after the last ':'".into()));
            }
            let id = NotionId::parse(id).map_err(|e| error(format!("has a bad id: {e}")))?;
            if entries.iter().any(|e| e.id == id) {
                return Err(error(format!("lists database {id} a second time")));
            }
            entries.push(AllowlistEntry {
                id,
                name: name.to_owned(),
            });
        }
        Ok(Self { entries })
    }

    /// The entries, in the order written.
    pub fn entries(&self) -> &[AllowlistEntry] {
        &self.entries
    }

    /// The entry for `id`, if allowlisted.
    pub fn get(&self, id: &NotionId) -> Option<&AllowlistEntry> {
        self.entries.iter().find(|e| e.id == *id)
    }

    /// Whether `id` is allowlisted.
    pub fn contains(&self, id: &NotionId) -> bool {
        self.get(id).is_some()
    }

    /// Whether nothing is allowlisted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_in_every_form_and_names_with_spaces() {
        let list = Allowlist::parse(
            "d0000000-0000-4000-8000-000000000001:Elections, \
             https://www.notion.so/acme/Old-d0000000000040008000000000000003?v=1:Legacy Elections,",
        )
        .unwrap();
        let names: Vec<_> = list.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Elections", "Legacy Elections"]);
        assert!(list.contains(&"d0000000000040008000000000000003".parse().unwrap()));
    }

    #[test]
    fn names_the_bad_entry() {
        for (text, position) in [
            ("d0000000-0000-4000-8000-000000000001:A,nonsense:B", 2),
            ("d0000000-0000-4000-8000-000000000001", 1),
            ("d0000000-0000-4000-8000-000000000001:", 1),
            (
                "d0000000-0000-4000-8000-000000000001:A,d0000000000040008000000000000001:B",
                2,
            ),
        ] {
            let error = Allowlist::parse(text).unwrap_err();
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.to_string().contains("id:Name"), "{error}");
        }
    }
}
