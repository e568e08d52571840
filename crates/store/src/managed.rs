//! Managed databases (issue 12): a database's mode and options, its delta cursor and the summary
//! of its last pass; and the elections changed since a cursor, which the delta reads.

use std::fmt;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use sync_engine::{CreatedProperties, DEFAULT_KEY_PROPERTY_NAME, OnElectionDeleted, validate_text};

use crate::elections::{ELECTION_COLUMNS, row_to_election};
use crate::error::{conversion, corrupt};
use crate::links::links_of;
use crate::time::{opt_col, to_ms};
use crate::{ElectionRecord, Result, SqliteStore, StoreError};

/// Longest key property name accepted, in characters.
pub const MAX_KEY_PROPERTY_LEN: usize = 100;

/// How a database's pages come to show elections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseMode {
    /// An admin links each page by hand (every database before issue 12).
    #[default]
    Linked,
    /// Every election gets a page by itself, found by its key or created, linked automatically.
    Managed,
}

impl DatabaseMode {
    /// Stable snake_case name, as stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Managed => "managed",
        }
    }

    /// The mode named `text` (`linked` or `managed`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "linked" => Some(Self::Linked),
            "managed" => Some(Self::Managed),
            _ => None,
        }
    }
}

impl fmt::Display for DatabaseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an admin sets for a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedSettings {
    /// Linked or managed.
    pub mode: DatabaseMode,
    /// The rich-text property holding each page's election id.
    pub key_property: String,
    /// Elections that existed before the database became managed get pages too.
    pub include_existing: bool,
    /// What happens to the page of a deleted election.
    pub on_election_deleted: OnElectionDeleted,
    /// Which fields a new page is created with.
    pub created: CreatedProperties,
}

impl Default for ManagedSettings {
    fn default() -> Self {
        Self {
            mode: DatabaseMode::Linked,
            key_property: DEFAULT_KEY_PROPERTY_NAME.to_owned(),
            include_existing: false,
            on_election_deleted: OnElectionDeleted::Keep,
            created: CreatedProperties::default(),
        }
    }
}

/// Which kind of pass a summary is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassKindStored {
    /// A delta between full passes.
    Delta,
    /// A full (replace) pass: a backfill.
    Full,
}

impl PassKindStored {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delta => "delta",
            Self::Full => "full",
        }
    }
}

/// What the last pass over a managed database found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPassSummary {
    /// Delta or full.
    pub kind: PassKindStored,
    /// When it ran.
    pub at: Timestamp,
    /// Whether it read everything it meant to (a full pass: up to the final page).
    pub complete: bool,
    /// Pages with a key seen (a full pass; a delta counts the pages it found by key).
    pub managed_pages: u64,
    /// Pages whose key names no election.
    pub orphans: u64,
    /// Keys on more than one page.
    pub duplicates: u64,
    /// Pages created.
    pub created: u64,
    /// Pages found by key and linked.
    pub linked: u64,
    /// Pages trashed.
    pub trashed: u64,
    /// Why the brake held the sweep back, if it did.
    pub halted: Option<String>,
}

/// A database's managed state as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedDatabase {
    /// The database (canonical dashed id).
    pub database_id: String,
    /// Its settings.
    pub settings: ManagedSettings,
    /// When it last became managed (`None` while it never was).
    pub managed_since: Option<Timestamp>,
    /// Elections updated at or after this instant are looked at by the next delta.
    pub delta_cursor: Option<Timestamp>,
    /// The last full pass (a backfill), if any ran.
    pub last_full_pass: Option<ManagedPassSummary>,
    /// The last pass of either kind, if any ran.
    pub last_pass: Option<ManagedPassSummary>,
    /// When the row last changed.
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "database_id, mode, key_property, include_existing, on_election_deleted, \
     create_title, create_description, create_window, create_status, managed_since, delta_cursor, \
     last_pass_kind, last_pass_at, last_pass_complete, last_managed_pages, last_orphans, \
     last_duplicates, last_created, last_linked, last_trashed, last_halted, updated_at";

fn row_to_managed(row: &Row<'_>) -> rusqlite::Result<ManagedDatabase> {
    let mode: String = row.get(1)?;
    let deleted: String = row.get(4)?;
    let flag = |i: usize| -> rusqlite::Result<bool> { Ok(row.get::<_, i64>(i)? != 0) };
    let count = |i: usize| -> rusqlite::Result<u64> {
        Ok(u64::try_from(row.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
    };
    let kind: Option<String> = row.get(11)?;
    let last_pass = match (kind.as_deref(), opt_col(row, 12)?) {
        (Some(kind), Some(at)) => Some(ManagedPassSummary {
            kind: if kind == "full" {
                PassKindStored::Full
            } else {
                PassKindStored::Delta
            },
            at,
            complete: row.get::<_, Option<i64>>(13)?.unwrap_or(0) != 0,
            managed_pages: count(14)?,
            orphans: count(15)?,
            duplicates: count(16)?,
            created: count(17)?,
            linked: count(18)?,
            trashed: count(19)?,
            halted: row.get(20)?,
        }),
        _ => None,
    };
    Ok(ManagedDatabase {
        database_id: row.get(0)?,
        settings: ManagedSettings {
            mode: DatabaseMode::parse(&mode)
                .ok_or_else(|| conversion(1, format!("unknown database mode {mode:?}")))?,
            key_property: row.get(2)?,
            include_existing: flag(3)?,
            on_election_deleted: OnElectionDeleted::parse(&deleted)
                .ok_or_else(|| conversion(4, format!("unknown on_election_deleted {deleted:?}")))?,
            created: CreatedProperties {
                title: flag(5)?,
                description: flag(6)?,
                voting_window: flag(7)?,
                status: flag(8)?,
            },
        },
        managed_since: opt_col(row, 9)?,
        delta_cursor: opt_col(row, 10)?,
        last_full_pass: None,
        last_pass,
        updated_at: crate::time::col(row, 21)?,
    })
}

/// The full-pass summary is kept in the same columns as the last pass when the last pass was
/// full; a delta after it overwrites them, so the full one is read from its own JSON column.
fn with_full(mut db: ManagedDatabase, full: Option<String>) -> Result<ManagedDatabase> {
    db.last_full_pass = full
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| StoreError::Corrupt {
            message: format!("last full pass of database {}: {e}", db.database_id),
        })?;
    Ok(db)
}

fn check_settings(settings: &ManagedSettings) -> Result<()> {
    let key = settings.key_property.trim();
    let invalid = |message: String| StoreError::Invalid {
        field: "key_property",
        message,
    };
    if key.is_empty() {
        return Err(invalid(
            "must not be empty: name the rich-text property that holds each page's election id \
             (default \"Election ID\")"
                .into(),
        ));
    }
    if key.chars().count() > MAX_KEY_PROPERTY_LEN {
        return Err(invalid(format!(
            "is longer than {MAX_KEY_PROPERTY_LEN} characters: use the property's name as Notion shows it"
        )));
    }
    validate_text("key_property", key, false).map_err(|e| invalid(e.to_string()))
}

impl SqliteStore {
    /// The managed state of one database; `None` when it has none (a linked database).
    pub fn get_managed_database(&self, database_id: &str) -> Result<Option<ManagedDatabase>> {
        self.read(|tx| {
            let row = tx
                .query_row(
                    &format!("SELECT {COLUMNS}, last_full_pass FROM managed_databases WHERE database_id = ?1"),
                    [database_id],
                    |row| Ok((row_to_managed(row)?, row.get::<_, Option<String>>(22)?)),
                )
                .optional()
                .map_err(corrupt)?;
            row.map(|(db, full)| with_full(db, full)).transpose()
        })
    }

    /// Every database in managed mode, by id.
    pub fn list_managed_databases(&self) -> Result<Vec<ManagedDatabase>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS}, last_full_pass FROM managed_databases WHERE mode = 'managed' \
                 ORDER BY database_id"
            ))?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((row_to_managed(row)?, row.get::<_, Option<String>>(22)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            rows.into_iter()
                .map(|(db, full)| with_full(db, full))
                .collect()
        })
    }

    /// Sets a database's mode and options. Turning it managed (from linked or from nothing)
    /// starts `managed_since` at `now` and clears the delta cursor, so the first delta looks at
    /// every election; changing the options of a managed database keeps both. Errors:
    /// `Invalid` (an empty database id, `key_property` empty, too long or with a control
    /// character).
    pub fn set_database_mode(
        &self,
        database_id: &str,
        settings: &ManagedSettings,
        now: Timestamp,
    ) -> Result<ManagedDatabase> {
        if database_id.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "database_id",
                message: "must not be empty".into(),
            });
        }
        check_settings(settings)?;
        self.write(|tx| {
            let managed = settings.mode == DatabaseMode::Managed;
            tx.execute(
                "INSERT INTO managed_databases (database_id, mode, key_property, include_existing, \
                 on_election_deleted, create_title, create_description, create_window, create_status, \
                 managed_since, delta_cursor, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ?10 THEN ?11 END, NULL, ?11) \
                 ON CONFLICT (database_id) DO UPDATE SET \
                   managed_since = CASE WHEN NOT ?10 THEN managed_since \
                                        WHEN mode = 'managed' THEN managed_since ELSE ?11 END, \
                   delta_cursor = CASE WHEN mode = 'managed' AND ?10 THEN delta_cursor END, \
                   mode = excluded.mode, key_property = excluded.key_property, \
                   include_existing = excluded.include_existing, \
                   on_election_deleted = excluded.on_election_deleted, \
                   create_title = excluded.create_title, \
                   create_description = excluded.create_description, \
                   create_window = excluded.create_window, create_status = excluded.create_status, \
                   updated_at = excluded.updated_at",
                params![
                    database_id,
                    settings.mode.as_str(),
                    settings.key_property.trim(),
                    settings.include_existing,
                    settings.on_election_deleted.as_str(),
                    settings.created.title,
                    settings.created.description,
                    settings.created.voting_window,
                    settings.created.status,
                    managed,
                    to_ms(now),
                ],
            )?;
            Ok(())
        })?;
        self.get_managed_database(database_id)?
            .ok_or_else(|| StoreError::NotFound {
                what: "database",
                id: database_id.to_owned(),
            })
    }

    /// Moves a managed database's delta cursor. Errors: `NotFound` (no such row).
    pub fn set_managed_cursor(&self, database_id: &str, cursor: Timestamp) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE managed_databases SET delta_cursor = ?2 WHERE database_id = ?1",
                params![database_id, to_ms(cursor)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "database",
                    id: database_id.to_owned(),
                });
            }
            Ok(())
        })
    }

    /// Records the summary of a pass (the last pass; a full one also as the last full pass).
    /// Errors: `NotFound` (no such row).
    pub fn record_managed_pass(&self, database_id: &str, pass: &ManagedPassSummary) -> Result<()> {
        let full = (pass.kind == PassKindStored::Full)
            .then(|| serde_json::to_string(pass))
            .transpose()
            .map_err(|e| StoreError::Corrupt {
                message: e.to_string(),
            })?;
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE managed_databases SET last_pass_kind = ?2, last_pass_at = ?3, \
                 last_pass_complete = ?4, last_managed_pages = ?5, last_orphans = ?6, \
                 last_duplicates = ?7, last_created = ?8, last_linked = ?9, last_trashed = ?10, \
                 last_halted = ?11, last_full_pass = COALESCE(?12, last_full_pass) \
                 WHERE database_id = ?1",
                params![
                    database_id,
                    pass.kind.as_str(),
                    to_ms(pass.at),
                    pass.complete,
                    as_i64(pass.managed_pages),
                    as_i64(pass.orphans),
                    as_i64(pass.duplicates),
                    as_i64(pass.created),
                    as_i64(pass.linked),
                    as_i64(pass.trashed),
                    pass.halted,
                    full,
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "database",
                    id: database_id.to_owned(),
                });
            }
            Ok(())
        })
    }

    /// The elections updated at or after `since` (every election when `None`), oldest update
    /// first, with their links: what a delta looks at. At or after, so an election updated in
    /// the same millisecond as the cursor is not missed (looking at one twice is harmless).
    pub fn elections_updated_since(&self, since: Option<Timestamp>) -> Result<Vec<ElectionRecord>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ELECTION_COLUMNS} FROM elections e \
                 WHERE ?1 IS NULL OR e.updated_at >= ?1 ORDER BY e.updated_at, e.id"
            ))?;
            let rows = stmt
                .query_map([since.map(to_ms)], |row| row_to_election(row, 0))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            rows.into_iter()
                .map(|(election, paused_at)| {
                    Ok(ElectionRecord {
                        links: links_of(tx, &election.id)?,
                        election,
                        paused_at,
                    })
                })
                .collect()
        })
    }
}
