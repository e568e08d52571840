//! Elections: create, read, list, update, delete. Their links live in [`crate::links`].

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sync_engine::{Election, ElectionId, validate_description, validate_title, validate_window};

use crate::error::{conversion, corrupt, election_not_found as not_found};
use crate::links::links_of;
use crate::time::{col, opt_col, to_ms};
use crate::{
    ElectionPatch, ElectionRecord, ListRequest, Listing, NewElection, Result, SqliteStore,
    StoreError, check_limit, decode_cursor, encode_cursor,
};

/// The columns of `elections`, in the order [`row_to_election`] reads them.
pub(crate) const ELECTION_COLUMNS: &str = "e.id, e.title, e.description, e.open_at, e.close_at, e.created_at, e.updated_at, e.sync_paused_at";

/// The election and its pause from a row of [`ELECTION_COLUMNS`] starting at column `at`.
pub(crate) fn row_to_election(
    row: &Row<'_>,
    at: usize,
) -> rusqlite::Result<(Election, Option<Timestamp>)> {
    let id: String = row.get(at)?;
    let id = ElectionId::parse(id).map_err(|e| conversion(at, e.to_string()))?;
    let election = Election {
        id,
        title: row.get(at + 1)?,
        description: row.get(at + 2)?,
        open_at: col(row, at + 3)?,
        close_at: col(row, at + 4)?,
        created_at: col(row, at + 5)?,
        updated_at: col(row, at + 6)?,
    };
    Ok((election, opt_col(row, at + 7)?))
}

/// One election with its links. Errors: `NotFound`.
pub(crate) fn get_record(tx: &Transaction<'_>, id: &ElectionId) -> Result<ElectionRecord> {
    let (election, paused_at) = tx
        .query_row(
            &format!("SELECT {ELECTION_COLUMNS} FROM elections e WHERE e.id = ?1"),
            [id.as_str()],
            |row| row_to_election(row, 0),
        )
        .optional()
        .map_err(corrupt)?
        .ok_or_else(|| not_found(id))?;
    Ok(ElectionRecord {
        links: links_of(tx, &election.id)?,
        election,
        paused_at,
    })
}

/// Mints `elec_<uuid v7>` from `now` (random bits from the OS; no clock read).
fn mint_id(now: Timestamp) -> ElectionId {
    let uuid = crate::time::uuid_v7(now);
    ElectionId::parse(format!("{}{}", ElectionId::PREFIX, uuid.simple()))
        .unwrap_or_else(|_| unreachable!("a simple UUID is a valid id"))
}

impl SqliteStore {
    /// Creates an election. Errors: `Invalid` (empty title, close not after open, bad id),
    /// `Conflict` (id taken).
    pub fn create_election(&self, new: NewElection, now: Timestamp) -> Result<ElectionRecord> {
        validate_title(&new.title)?;
        validate_description(&new.description)?;
        validate_window(new.open_at, new.close_at)?;
        let id = new.id.unwrap_or_else(|| mint_id(now));
        self.write(|tx| {
            let inserted = tx.execute(
                "INSERT INTO elections (id, title, description, open_at, close_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id) DO NOTHING",
                params![
                    id.as_str(),
                    new.title.trim(),
                    new.description,
                    to_ms(new.open_at),
                    to_ms(new.close_at),
                    to_ms(now),
                ],
            )?;
            if inserted == 0 {
                return Err(StoreError::Conflict {
                    message: format!("an election with id '{id}' already exists"),
                });
            }
            get_record(tx, &id)
        })
    }

    /// Reads one election with its link and sync state. Errors: `NotFound`.
    pub fn get_election(&self, id: &ElectionId) -> Result<ElectionRecord> {
        self.read(|tx| get_record(tx, id))
    }

    /// Lists elections by id (minted ids sort by creation time), `page.limit` at a time.
    pub fn list_elections(&self, page: &ListRequest) -> Result<Listing<ElectionRecord>> {
        let limit = check_limit(page.limit)?;
        let after = page.cursor.as_deref().map(decode_cursor).transpose()?;
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ELECTION_COLUMNS} FROM elections e WHERE ?1 IS NULL OR e.id > ?1 \
                 ORDER BY e.id LIMIT ?2"
            ))?;
            let elections = stmt
                .query_map(params![after, limit + 1], |row| row_to_election(row, 0))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            let mut items = elections
                .into_iter()
                .map(|(election, paused_at)| {
                    Ok(ElectionRecord {
                        links: links_of(tx, &election.id)?,
                        election,
                        paused_at,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let next_cursor = if items.len() as i64 > limit {
                items.truncate(page.limit as usize);
                items.last().map(|r| encode_cursor(r.election.id.as_str()))
            } else {
                None
            };
            Ok(Listing { items, next_cursor })
        })
    }

    /// Applies a partial update; the merged election must still be valid. An empty patch changes
    /// nothing (not even `updated_at`). Errors: `NotFound`, `Invalid`.
    pub fn update_election(
        &self,
        id: &ElectionId,
        patch: &ElectionPatch,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        self.write(|tx| {
            let mut record = get_record(tx, id)?;
            if patch.is_empty() {
                return Ok(record);
            }
            let e = &mut record.election;
            if let Some(title) = &patch.title {
                validate_title(title)?;
                e.title = title.trim().to_owned();
            }
            if let Some(description) = &patch.description {
                validate_description(description)?;
                e.description.clone_from(description);
            }
            e.open_at = patch.open_at.unwrap_or(e.open_at);
            e.close_at = patch.close_at.unwrap_or(e.close_at);
            validate_window(e.open_at, e.close_at)?;
            tx.execute(
                "UPDATE elections SET title = ?2, description = ?3, open_at = ?4, close_at = ?5, \
                 updated_at = ?6 WHERE id = ?1",
                params![
                    id.as_str(),
                    e.title,
                    e.description,
                    to_ms(e.open_at),
                    to_ms(e.close_at),
                    to_ms(now)
                ],
            )?;
            get_record(tx, id)
        })
    }

    /// Deletes an election (never touches Notion). Errors: `NotFound`.
    pub fn delete_election(&self, id: &ElectionId) -> Result<()> {
        self.write(
            |tx| match tx.execute("DELETE FROM elections WHERE id = ?1", [id.as_str()])? {
                0 => Err(not_found(id)),
                _ => Ok(()),
            },
        )
    }
}
