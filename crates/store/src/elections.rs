//! Elections, their Notion link and their sync state.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sync_engine::{
    Election, ElectionId, ErrorClass, FieldMapping, NotionLink, PageObservation, Phase,
    PropertyRole, SyncState, validate_description, validate_title, validate_window,
};

use crate::error::{conversion, corrupt, election_not_found as not_found};
use crate::time::{col, opt_col, to_ms};
use crate::{
    BatchReport, DueFilter, ElectionPatch, ElectionRecord, LinkedElection, LinkedFilter,
    ListRequest, Listing, NewElection, PhaseChange, Result, SkippedRecord, SqliteStore, StoreError,
    SyncBatch, SyncRecord, check_limit, decode_cursor, encode_cursor,
};

const COLUMNS: &str = "id, title, description, open_at, close_at, created_at, updated_at, \
    notion_database_id, notion_page_id, notion_page_url, notion_status_property_name, \
    notion_status_value_not_started, notion_status_value_in_voting, notion_status_value_done, \
    notion_results_property_name, notion_title_property_name, notion_description_property_name, \
    notion_last_sync_at, notion_last_sync_error, notion_done_set_at, sync_last_attempt_at, \
    sync_consecutive_failures, sync_error_class, sync_next_attempt_at, sync_link_broken, \
    sync_last_observation, sync_paused_at, notion_mapping";

fn row_to_record(row: &Row<'_>) -> rusqlite::Result<ElectionRecord> {
    let id: String = row.get(0)?;
    let id = ElectionId::parse(id).map_err(|e| conversion(0, e.to_string()))?;
    let election = Election {
        id,
        title: row.get(1)?,
        description: row.get(2)?,
        open_at: col(row, 3)?,
        close_at: col(row, 4)?,
        created_at: col(row, 5)?,
        updated_at: col(row, 6)?,
    };
    let database_id: Option<String> = row.get(7)?;
    let page_id: Option<String> = row.get(8)?;
    let link = match (database_id, page_id) {
        (Some(database_id), Some(page_id)) => {
            let mapping = match row.get::<_, Option<String>>(27)? {
                Some(json) => serde_json::from_str::<FieldMapping>(&json)
                    .map_err(|e| conversion(27, format!("notion_mapping: {e}")))?,
                None => mapping_from_columns(row)?,
            };
            Some(NotionLink {
                notion_page_url: row.get(9)?,
                mapping,
                ..NotionLink::new(database_id, page_id)
            })
        }
        _ => None,
    };
    let error_class = match row.get::<_, Option<String>>(22)?.as_deref() {
        None => None,
        Some("transient") => Some(ErrorClass::Transient),
        Some("permanent") => Some(ErrorClass::Permanent),
        Some(other) => return Err(conversion(22, format!("unknown error class {other:?}"))),
    };
    let observation = row
        .get::<_, Option<String>>(25)?
        .map(|json| {
            serde_json::from_str::<PageObservation>(&json)
                .map_err(|e| conversion(25, format!("sync_last_observation: {e}")))
        })
        .transpose()?;
    let failures: i64 = row.get(21)?;
    let sync = SyncState {
        notion_last_sync_at: opt_col(row, 17)?,
        notion_last_sync_error: row.get(18)?,
        notion_done_set_at: opt_col(row, 19)?,
        last_attempt_at: opt_col(row, 20)?,
        consecutive_failures: u32::try_from(failures).unwrap_or(u32::MAX),
        error_class,
        next_attempt_at: opt_col(row, 23)?,
        link_broken: row.get::<_, i64>(24)? != 0,
        last_observation: observation,
    };
    Ok(ElectionRecord {
        election,
        link,
        state: sync,
        paused_at: opt_col(row, 26)?,
    })
}

/// The mapping of a link stored before mappings were (SPEC §3's name columns only, by name).
fn mapping_from_columns(row: &Row<'_>) -> rusqlite::Result<FieldMapping> {
    let mut mapping = FieldMapping::default();
    let name = |idx: usize, into: &mut String| -> rusqlite::Result<()> {
        if let Some(value) = row.get::<_, Option<String>>(idx)? {
            *into = value;
        }
        Ok(())
    };
    name(10, &mut mapping.status.property.name)?;
    name(11, &mut mapping.status.not_started)?;
    name(12, &mut mapping.status.in_voting)?;
    name(13, &mut mapping.status.done)?;
    name(14, &mut mapping.results_link.name)?;
    name(15, &mut mapping.title.property.name)?;
    name(16, &mut mapping.description.property.name)?;
    Ok(mapping)
}

/// Stores `mapping` for the link of `id`: its JSON, and SPEC §3's name columns kept equal to it.
fn write_mapping(tx: &Transaction<'_>, id: &ElectionId, mapping: &FieldMapping) -> Result<()> {
    let json = serde_json::to_string(mapping).map_err(|e| invalid("mapping", e.to_string()))?;
    tx.execute(
        "UPDATE elections SET notion_mapping = ?2, notion_status_property_name = ?3, \
         notion_status_value_not_started = ?4, notion_status_value_in_voting = ?5, \
         notion_status_value_done = ?6, notion_results_property_name = ?7, \
         notion_title_property_name = ?8, notion_description_property_name = ?9 \
         WHERE id = ?1 AND notion_page_id IS NOT NULL",
        params![
            id.as_str(),
            json,
            mapping.status.property.name,
            mapping.status.not_started,
            mapping.status.in_voting,
            mapping.status.done,
            mapping.results_link.name,
            mapping.title.property.name,
            mapping.description.property.name,
        ],
    )?;
    Ok(())
}

/// The election linked to `page_id`, if any.
fn linked_to(tx: &Transaction<'_>, page_id: &str) -> Result<Option<ElectionId>> {
    let id: Option<String> = tx
        .query_row(
            "SELECT id FROM elections WHERE notion_page_id = ?1 ORDER BY id LIMIT 1",
            [page_id],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| {
        ElectionId::parse(id).map_err(|e| StoreError::Corrupt {
            message: format!("election id: {e}"),
        })
    })
    .transpose()
}

/// What a refused link says: the page and the election that has it, and what to do.
pub(crate) fn page_taken(page_id: &str, election: &ElectionId) -> String {
    format!(
        "the Notion page '{page_id}' is already linked to election '{election}': one page shows one election; unlink it there first, or link another page"
    )
}

fn get_record(tx: &Transaction<'_>, id: &ElectionId) -> Result<ElectionRecord> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM elections WHERE id = ?1"),
        [id.as_str()],
        row_to_record,
    )
    .optional()
    .map_err(corrupt)?
    .ok_or_else(|| not_found(id))
}

fn global_pause(tx: &Transaction<'_>) -> Result<Option<Timestamp>> {
    let ms: Option<i64> = tx
        .query_row("SELECT paused_at FROM sync_global_pause", [], |r| r.get(0))
        .optional()?;
    Ok(ms.and_then(|ms| crate::time::from_ms(ms).ok()))
}

/// Mints `elec_<uuid v7>` from `now` (random bits from the OS; no clock read).
fn mint_id(now: Timestamp) -> ElectionId {
    let secs = u64::try_from(now.as_second()).unwrap_or(0);
    let nanos = u32::try_from(now.subsec_nanosecond()).unwrap_or(0);
    let uuid = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos));
    ElectionId::parse(format!("{}{}", ElectionId::PREFIX, uuid.simple()))
        .unwrap_or_else(|_| unreachable!("a simple UUID is a valid id"))
}

fn invalid(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field,
        message: message.into(),
    }
}

fn check_link(link: &NotionLink) -> Result<()> {
    let mapping = &link.mapping;
    let mut required = vec![
        ("notion_database_id", &link.notion_database_id),
        ("notion_page_id", &link.notion_page_id),
        ("notion_status_property_name", &mapping.status.property.name),
        (
            "notion_status_value_not_started",
            &mapping.status.not_started,
        ),
        ("notion_status_value_in_voting", &mapping.status.in_voting),
        ("notion_status_value_done", &mapping.status.done),
        ("notion_results_property_name", &mapping.results_link.name),
        ("notion_title_property_name", &mapping.title.property.name),
        (
            "notion_description_property_name",
            &mapping.description.property.name,
        ),
    ];
    for (role, property) in mapping.properties() {
        if property.name.trim().is_empty() {
            required.push((role_field(role), &property.name));
        }
    }
    for (field, value) in required {
        if value.trim().is_empty() {
            return Err(invalid(field, format!("{field} must not be empty")));
        }
    }
    Ok(())
}

/// The API field naming the property of an optional mapped role.
fn role_field(role: PropertyRole) -> &'static str {
    match role {
        PropertyRole::VotingWindow => "voting_window",
        PropertyRole::VotingOpens => "voting_opens",
        PropertyRole::VotingCloses => "voting_closes",
        PropertyRole::ElectionId => "election_id_property",
        PropertyRole::Phase => "phase_property",
        _ => "mapping",
    }
}

fn write_state(tx: &Transaction<'_>, id: &ElectionId, state: &SyncState) -> Result<usize> {
    let observation = state
        .last_observation
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| invalid("last_observation", e.to_string()))?;
    Ok(tx.execute(
        "UPDATE elections SET notion_last_sync_at = ?2, notion_last_sync_error = ?3, \
         notion_done_set_at = ?4, sync_last_attempt_at = ?5, sync_consecutive_failures = ?6, \
         sync_error_class = ?7, sync_next_attempt_at = ?8, sync_link_broken = ?9, \
         sync_last_observation = ?10 WHERE id = ?1 AND notion_page_id IS NOT NULL",
        params![
            id.as_str(),
            state.notion_last_sync_at.map(to_ms),
            state.notion_last_sync_error,
            state.notion_done_set_at.map(to_ms),
            state.last_attempt_at.map(to_ms),
            i64::from(state.consecutive_failures),
            state.error_class.map(ErrorClass::as_str),
            state.next_attempt_at.map(to_ms),
            state.link_broken,
            observation,
        ],
    )?)
}

const RESET_SYNC_STATE: &str = "notion_last_sync_at = NULL, notion_last_sync_error = NULL, \
    notion_done_set_at = NULL, sync_last_attempt_at = NULL, sync_consecutive_failures = 0, \
    sync_error_class = NULL, sync_next_attempt_at = NULL, sync_link_broken = 0, \
    sync_last_observation = NULL";

fn apply_record(
    tx: &Transaction<'_>,
    record: &SyncRecord,
    now: Timestamp,
    report: &mut BatchReport,
) -> Result<()> {
    let current: Option<(Option<String>, String, String)> = tx
        .query_row(
            "SELECT notion_page_id, title, description FROM elections WHERE id = ?1",
            [record.election_id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let skip = |reason: &str| SkippedRecord {
        election_id: record.election_id.clone(),
        reason: reason.to_owned(),
    };
    let Some((page_id, title, description)) = current else {
        report.skipped.push(skip("the election was deleted"));
        return Ok(());
    };
    match page_id {
        None => {
            report.skipped.push(skip("the election was unlinked"));
            return Ok(());
        }
        Some(page_id) if page_id != record.page_id => {
            report
                .skipped
                .push(skip("the election was re-linked to another page"));
            return Ok(());
        }
        Some(_) => {}
    }
    write_state(tx, &record.election_id, &record.state)?;
    if let Some(mapping) = &record.mapping_update {
        write_mapping(tx, &record.election_id, mapping)?;
    }
    if let Some(update) = &record.election_update {
        let mut superseded = |field: &str| {
            report
                .pulls_superseded
                .push((record.election_id.clone(), field.into()));
        };
        let new_title = update.title.as_ref().and_then(|change| {
            let to = change.to.trim();
            let applies = title == change.from && validate_title(to).is_ok();
            if !applies {
                superseded("title");
            }
            applies.then_some(to)
        });
        let new_description = update.description.as_ref().and_then(|change| {
            let applies = description == change.from && !change.to.trim().is_empty();
            if !applies {
                superseded("description");
            }
            applies.then_some(change.to.as_str())
        });
        if new_title.is_some() || new_description.is_some() {
            tx.execute(
                "UPDATE elections SET title = COALESCE(?2, title), \
                 description = COALESCE(?3, description), updated_at = ?4 WHERE id = ?1",
                params![
                    record.election_id.as_str(),
                    new_title,
                    new_description,
                    to_ms(now)
                ],
            )?;
        }
    }
    report.recorded.push(record.election_id.clone());
    Ok(())
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
                "SELECT {COLUMNS} FROM elections WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2"
            ))?;
            let mut items = stmt
                .query_map(params![after, limit + 1], row_to_record)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
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

    /// Links (or re-links) an election to a Notion page. Re-linking replaces the previous link and
    /// resets the sync state. Errors: `NotFound`, `Invalid` (empty id or property name).
    pub fn set_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        check_link(link)?;
        self.write(|tx| {
            // One page, one election: two elections on one page would fight over its status.
            if let Some(other) = linked_to(tx, &link.notion_page_id)?.filter(|other| other != id) {
                return Err(StoreError::Conflict {
                    message: page_taken(&link.notion_page_id, &other),
                });
            }
            let changed = tx.execute(
                &format!(
                    "UPDATE elections SET notion_database_id = ?2, notion_page_id = ?3, \
                     notion_page_url = ?4, updated_at = ?5, {RESET_SYNC_STATE} WHERE id = ?1"
                ),
                params![
                    id.as_str(),
                    link.notion_database_id,
                    link.notion_page_id,
                    link.notion_page_url,
                    to_ms(now),
                ],
            )?;
            if changed > 0 {
                write_mapping(tx, id, &link.mapping)?;
            }
            if changed == 0 {
                return Err(not_found(id));
            }
            get_record(tx, id)
        })
    }

    /// Removes the link and its sync state (never touches the page). Unlinking an unlinked
    /// election is a no-op. Errors: `NotFound`.
    pub fn clear_link(&self, id: &ElectionId, now: Timestamp) -> Result<ElectionRecord> {
        self.write(|tx| {
            let changed = tx.execute(
                &format!(
                    "UPDATE elections SET notion_database_id = NULL, notion_page_id = NULL, \
                     notion_page_url = NULL, notion_status_property_name = NULL, \
                     notion_status_value_not_started = NULL, notion_status_value_in_voting = NULL, \
                     notion_status_value_done = NULL, notion_results_property_name = NULL, \
                     notion_title_property_name = NULL, notion_description_property_name = NULL, \
                     notion_mapping = NULL, \
                     updated_at = CASE WHEN notion_page_id IS NULL THEN updated_at ELSE ?2 END, \
                     {RESET_SYNC_STATE} WHERE id = ?1"
                ),
                params![id.as_str(), to_ms(now)],
            )?;
            if changed == 0 {
                return Err(not_found(id));
            }
            get_record(tx, id)
        })
    }

    /// The election linked to the Notion page `page_id`, if any.
    pub fn election_linked_to(&self, page_id: &str) -> Result<Option<ElectionId>> {
        self.read(|tx| linked_to(tx, page_id))
    }

    /// One linked election, for a manual sync. Errors: `NotFound`, `Conflict` (not linked).
    pub fn get_linked(&self, id: &ElectionId) -> Result<LinkedElection> {
        self.read(|tx| {
            let global = global_pause(tx)?;
            let record = get_record(tx, id)?;
            let paused = global.is_some() || record.paused_at.is_some();
            match record.link {
                Some(link) => Ok(LinkedElection {
                    election: record.election,
                    link,
                    state: record.state,
                    paused,
                }),
                None => Err(StoreError::Conflict {
                    message: format!(
                        "election '{id}' is not linked to a Notion page: link it first"
                    ),
                }),
            }
        })
    }

    /// Linked elections with their sync state, by database then id, filtered by `filter`. With a
    /// [`DueFilter`], SQL narrows the candidates and [`sync_engine::is_due`] decides exactly.
    pub fn list_linked(&self, filter: &LinkedFilter) -> Result<Vec<LinkedElection>> {
        self.read(|tx| {
            let global = global_pause(tx)?;
            if global.is_some() && !filter.include_paused {
                return Ok(Vec::new());
            }
            let due = filter.due;
            let min_interval_ms = due.map(|d| d.min_interval.as_millis()).map(|ms| ms as i64);
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM elections WHERE notion_page_id IS NOT NULL \
                 AND (?1 IS NULL OR notion_database_id = ?1) \
                 AND (?2 IS NULL OR id = ?2) \
                 AND (?3 OR sync_paused_at IS NULL) \
                 AND (?4 IS NULL OR ?6 != 'scheduled' \
                      OR notion_last_sync_at IS NULL \
                      OR notion_last_sync_at <= ?4 - ?5 \
                      OR sync_next_attempt_at <= ?4 \
                      OR (sync_error_class = 'permanent' AND sync_next_attempt_at IS NULL) \
                      OR (open_at <= ?4 AND open_at > MIN(notion_last_sync_at, COALESCE(sync_last_attempt_at, notion_last_sync_at))) \
                      OR (close_at <= ?4 AND close_at > MIN(notion_last_sync_at, COALESCE(sync_last_attempt_at, notion_last_sync_at)))) \
                 ORDER BY notion_database_id, id"
            ))?;
            let rows = stmt
                .query_map(
                    params![
                        filter.database_id,
                        filter.election_id.as_ref().map(ElectionId::as_str),
                        filter.include_paused,
                        due.map(|d| to_ms(d.now)),
                        min_interval_ms,
                        due.map(|d| d.trigger.as_str()),
                    ],
                    row_to_record,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            Ok(rows
                .into_iter()
                .filter_map(|record| {
                    let link = record.link?;
                    let keep = due.is_none_or(|DueFilter { now, min_interval, trigger }| {
                        sync_engine::is_due(now, &record.election, &record.state, min_interval, trigger)
                    });
                    keep.then(|| LinkedElection {
                        paused: global.is_some() || record.paused_at.is_some(),
                        election: record.election,
                        link,
                        state: record.state,
                    })
                })
                .collect())
        })
    }

    /// Stores a fresh observation of a linked election's page (e.g. from a read that planned no
    /// write). Errors: `NotFound` (unknown or unlinked election).
    pub fn save_observation(&self, id: &ElectionId, observation: &PageObservation) -> Result<()> {
        let json = serde_json::to_string(observation)
            .map_err(|e| invalid("observation", e.to_string()))?;
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE elections SET sync_last_observation = ?2 WHERE id = ?1 AND notion_page_id IS NOT NULL",
                params![id.as_str(), json],
            )?;
            if changed == 0 {
                return Err(not_found(id));
            }
            Ok(())
        })
    }

    /// Records one election's sync atomically: its next state, observation and pulled fields.
    /// A record for a deleted, unlinked or re-linked election is skipped (see the report).
    pub fn record_sync(&self, record: &SyncRecord, now: Timestamp) -> Result<BatchReport> {
        self.write(|tx| {
            let mut report = BatchReport::default();
            apply_record(tx, record, now, &mut report)?;
            Ok(report)
        })
    }

    /// Commits a batch of a cycle in one transaction: outcomes and pulls, cursors, and log
    /// entries. All or nothing. Errors: `Invalid` (logs without `run_id`), `NotFound` (unknown run).
    pub fn commit_batch(&self, batch: &SyncBatch, now: Timestamp) -> Result<BatchReport> {
        if !batch.logs.is_empty() && batch.run_id.is_none() {
            return Err(invalid("run_id", "log entries need the run they belong to"));
        }
        self.write(|tx| {
            let mut report = BatchReport::default();
            for record in &batch.records {
                apply_record(tx, record, now, &mut report)?;
            }
            for cursor in &batch.cursors {
                crate::runs::upsert_cursor(tx, cursor)?;
            }
            if let Some(run_id) = batch.run_id {
                crate::runs::insert_logs(tx, run_id, &batch.logs)?;
            }
            Ok(report)
        })
    }

    /// Phase changes (`open_at`/`close_at`) of linked, unpaused elections strictly after `now`,
    /// soonest first, at most `limit`: the runner's wake-up instants. A paused election has
    /// none; while everything is paused, there are none.
    pub fn upcoming_phase_changes(&self, now: Timestamp, limit: u32) -> Result<Vec<PhaseChange>> {
        let limit = check_limit(limit)?;
        self.read(|tx| {
            // Each branch is a range scan of its index (open_at, close_at).
            let mut stmt = tx.prepare_cached(
                "SELECT id, at, phase FROM ( \
                   SELECT id, open_at AS at, 'open' AS phase FROM elections \
                     WHERE open_at > ?1 AND notion_page_id IS NOT NULL AND sync_paused_at IS NULL \
                   UNION ALL \
                   SELECT id, close_at AS at, 'closed' AS phase FROM elections \
                     WHERE close_at > ?1 AND notion_page_id IS NOT NULL AND sync_paused_at IS NULL) \
                 WHERE NOT EXISTS (SELECT 1 FROM sync_global_pause) \
                 ORDER BY at, id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![to_ms(now), limit], |row| {
                    let id: String = row.get(0)?;
                    let phase: String = row.get(2)?;
                    Ok(PhaseChange {
                        election_id: ElectionId::parse(id)
                            .map_err(|e| conversion(0, e.to_string()))?,
                        at: col(row, 1)?,
                        phase: if phase == "open" {
                            Phase::Open
                        } else {
                            Phase::Closed
                        },
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            Ok(rows)
        })
    }

    /// The soonest phase change of any linked, unpaused election strictly after `now`.
    pub fn next_phase_change_at(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        Ok(self.upcoming_phase_changes(now, 1)?.first().map(|c| c.at))
    }

    /// The soonest end of a backoff strictly after `now`: the earliest `sync_next_attempt_at` of
    /// a linked, unpaused election whose last sync failed (`None` while everything is paused).
    /// With [`SqliteStore::next_phase_change_at`], the runner's other wake-up instant.
    pub fn next_retry_at(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        self.read(|tx| {
            tx.query_row(
                "SELECT MIN(sync_next_attempt_at) FROM elections \
                 WHERE sync_next_attempt_at > ?1 AND sync_error_class IS NOT NULL \
                   AND notion_page_id IS NOT NULL AND sync_paused_at IS NULL \
                   AND NOT EXISTS (SELECT 1 FROM sync_global_pause)",
                [to_ms(now)],
                |r| opt_col(r, 0),
            )
            .map_err(corrupt)
        })
    }
}
