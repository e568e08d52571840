//! Links of elections to Notion pages, each with its mapping and sync state, and what the sync
//! records for them.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sync_engine::{
    ElectionId, ErrorClass, FieldMapping, NotionLink, PageObservation, Phase, PropertyRole,
    SyncState, validate_title,
};

use crate::connections::connection_for_database;
use crate::elections::{ELECTION_COLUMNS, get_record, row_to_election};
use crate::error::{conversion, corrupt, election_not_found};
use crate::time::{col, opt_col, to_ms};
use crate::{
    BatchReport, ConnectionId, DueFilter, ElectionRecord, LinkId, LinkRecord, LinkedElection,
    LinkedFilter, PhaseChange, Result, SkippedRecord, SqliteStore, StoreError, SyncBatch,
    SyncRecord, check_limit,
};

/// The columns of `notion_links`, in the order [`row_to_link`] reads them.
const LINK_COLUMNS: &str = "l.id, l.is_primary, l.created_at, l.notion_database_id, \
    l.notion_page_id, l.notion_page_url, l.notion_status_property_name, \
    l.notion_status_value_not_started, l.notion_status_value_in_voting, \
    l.notion_status_value_done, l.notion_results_property_name, l.notion_title_property_name, \
    l.notion_description_property_name, l.notion_mapping, l.notion_last_sync_at, \
    l.notion_last_sync_error, l.notion_done_set_at, l.sync_last_attempt_at, \
    l.sync_consecutive_failures, l.sync_error_class, l.sync_next_attempt_at, \
    l.sync_link_broken, l.sync_last_observation, l.connection_id";

/// How many columns [`LINK_COLUMNS`] has (where the election's columns start after it).
const LINK_COLUMN_COUNT: usize = 24;

/// An election's links in their listing order: the primary first, then oldest first.
const LINK_ORDER: &str = "l.is_primary DESC, l.created_at, l.id";

fn row_to_link(row: &Row<'_>) -> rusqlite::Result<LinkRecord> {
    let id: String = row.get(0)?;
    let id = LinkId::parse(id).map_err(|e| conversion(0, e.to_string()))?;
    let mapping = match row.get::<_, Option<String>>(13)? {
        Some(json) => serde_json::from_str::<FieldMapping>(&json)
            .map_err(|e| conversion(13, format!("notion_mapping: {e}")))?,
        None => mapping_from_columns(row)?,
    };
    let link = NotionLink {
        notion_page_url: row.get(5)?,
        mapping,
        ..NotionLink::new(row.get::<_, String>(3)?, row.get::<_, String>(4)?)
    };
    let error_class = match row.get::<_, Option<String>>(19)?.as_deref() {
        None => None,
        Some("transient") => Some(ErrorClass::Transient),
        Some("permanent") => Some(ErrorClass::Permanent),
        Some(other) => return Err(conversion(19, format!("unknown error class {other:?}"))),
    };
    let observation = row
        .get::<_, Option<String>>(22)?
        .map(|json| {
            serde_json::from_str::<PageObservation>(&json)
                .map_err(|e| conversion(22, format!("sync_last_observation: {e}")))
        })
        .transpose()?;
    let failures: i64 = row.get(18)?;
    let state = SyncState {
        notion_last_sync_at: opt_col(row, 14)?,
        notion_last_sync_error: row.get(15)?,
        notion_done_set_at: opt_col(row, 16)?,
        last_attempt_at: opt_col(row, 17)?,
        consecutive_failures: u32::try_from(failures).unwrap_or(u32::MAX),
        error_class,
        next_attempt_at: opt_col(row, 20)?,
        link_broken: row.get::<_, i64>(21)? != 0,
        last_observation: observation,
    };
    let connection: String = row.get(23)?;
    Ok(LinkRecord {
        id,
        connection_id: ConnectionId::parse(connection)
            .map_err(|e| conversion(23, e.to_string()))?,
        primary: row.get::<_, i64>(1)? != 0,
        created_at: col(row, 2)?,
        link,
        state,
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
    name(6, &mut mapping.status.property.name)?;
    name(7, &mut mapping.status.not_started)?;
    name(8, &mut mapping.status.in_voting)?;
    name(9, &mut mapping.status.done)?;
    name(10, &mut mapping.results_link.name)?;
    name(11, &mut mapping.title.property.name)?;
    name(12, &mut mapping.description.property.name)?;
    Ok(mapping)
}

/// The links of election `id`, primary first, then oldest first.
pub(crate) fn links_of(tx: &Transaction<'_>, id: &ElectionId) -> Result<Vec<LinkRecord>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM notion_links l WHERE l.election_id = ?1 ORDER BY {LINK_ORDER}"
    ))?;
    stmt.query_map([id.as_str()], row_to_link)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(corrupt)
}

/// Stores `mapping` for link `id`: its JSON, and SPEC §3's name columns kept equal to it.
fn write_mapping(tx: &Transaction<'_>, id: &LinkId, mapping: &FieldMapping) -> Result<()> {
    let json = serde_json::to_string(mapping).map_err(|e| invalid("mapping", e.to_string()))?;
    tx.execute(
        "UPDATE notion_links SET notion_mapping = ?2, notion_status_property_name = ?3, \
         notion_status_value_not_started = ?4, notion_status_value_in_voting = ?5, \
         notion_status_value_done = ?6, notion_results_property_name = ?7, \
         notion_title_property_name = ?8, notion_description_property_name = ?9 \
         WHERE id = ?1",
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

/// Inserts a new link of election `id` with an empty sync state.
fn insert_link(
    tx: &Transaction<'_>,
    id: &ElectionId,
    link_id: &LinkId,
    link: &NotionLink,
    primary: bool,
    now: Timestamp,
) -> Result<()> {
    let mapping = &link.mapping;
    let connection = connection_for_database(tx, &link.notion_database_id)?;
    tx.execute(
        "INSERT INTO notion_links (id, election_id, is_primary, created_at, notion_database_id, \
         notion_page_id, notion_page_url, notion_status_property_name, \
         notion_status_value_not_started, notion_status_value_in_voting, \
         notion_status_value_done, notion_results_property_name, notion_title_property_name, \
         notion_description_property_name, connection_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            link_id.as_str(),
            id.as_str(),
            primary,
            to_ms(now),
            link.notion_database_id,
            link.notion_page_id,
            link.notion_page_url,
            mapping.status.property.name,
            mapping.status.not_started,
            mapping.status.in_voting,
            mapping.status.done,
            mapping.results_link.name,
            mapping.title.property.name,
            mapping.description.property.name,
            connection.as_str(),
        ],
    )?;
    write_mapping(tx, link_id, mapping)?;
    touch(tx, id, now)
}

/// Marks the election changed (what the admin page's change token and `updated_at` show).
fn touch(tx: &Transaction<'_>, id: &ElectionId, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE elections SET updated_at = ?2 WHERE id = ?1",
        params![id.as_str(), to_ms(now)],
    )?;
    Ok(())
}

/// Makes the oldest remaining link of election `id` its primary when it has none.
fn promote_oldest(tx: &Transaction<'_>, id: &ElectionId) -> Result<()> {
    tx.execute(
        "UPDATE notion_links SET is_primary = 1 WHERE id = ( \
           SELECT l.id FROM notion_links l WHERE l.election_id = ?1 ORDER BY l.created_at, l.id LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM notion_links WHERE election_id = ?1 AND is_primary = 1)",
        [id.as_str()],
    )?;
    Ok(())
}

/// Who uses the page `page_id`: the election and link of the first link to it, if any.
fn page_user(tx: &Transaction<'_>, page_id: &str) -> Result<Option<(ElectionId, LinkId)>> {
    let found: Option<(String, String)> = tx
        .query_row(
            "SELECT election_id, id FROM notion_links WHERE notion_page_id = ?1 \
             ORDER BY election_id, created_at, id LIMIT 1",
            [page_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    found
        .map(|(election, link)| {
            let election = ElectionId::parse(election).map_err(|e| StoreError::Corrupt {
                message: format!("election id: {e}"),
            })?;
            let link = LinkId::parse(link).map_err(|e| StoreError::Corrupt {
                message: format!("link id: {e}"),
            })?;
            Ok((election, link))
        })
        .transpose()
}

/// Refuses a page another election, or another link of this one, already shows: two links on
/// one page would fight over its status. `replacing` is the link the new one replaces, which may
/// be on the same page.
fn check_page_free(
    tx: &Transaction<'_>,
    id: &ElectionId,
    page_id: &str,
    replacing: Option<&LinkId>,
) -> Result<()> {
    match page_user(tx, page_id)? {
        Some((other, _)) if &other != id => Err(StoreError::Conflict {
            message: page_taken(page_id, &other),
        }),
        Some((_, link)) if Some(&link) != replacing => Err(StoreError::Conflict {
            message: format!(
                "the Notion page '{page_id}' is already linked to election '{id}' (link '{link}'): each link shows the election on its own page; link another page"
            ),
        }),
        _ => Ok(()),
    }
}

/// What a refused link says: the page and the election that has it, and what to do.
pub(crate) fn page_taken(page_id: &str, election: &ElectionId) -> String {
    format!(
        "the Notion page '{page_id}' is already linked to election '{election}': one page shows one election; unlink it there first, or link another page"
    )
}

fn global_pause(tx: &Transaction<'_>) -> Result<Option<Timestamp>> {
    let ms: Option<i64> = tx
        .query_row("SELECT paused_at FROM sync_global_pause", [], |r| r.get(0))
        .optional()?;
    Ok(ms.and_then(|ms| crate::time::from_ms(ms).ok()))
}

fn invalid(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field,
        message: message.into(),
    }
}

fn link_not_found(id: &LinkId) -> StoreError {
    StoreError::NotFound {
        what: "link",
        id: id.to_string(),
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

fn write_state(tx: &Transaction<'_>, id: &LinkId, state: &SyncState) -> Result<usize> {
    let observation = state
        .last_observation
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| invalid("last_observation", e.to_string()))?;
    Ok(tx.execute(
        "UPDATE notion_links SET notion_last_sync_at = ?2, notion_last_sync_error = ?3, \
         notion_done_set_at = ?4, sync_last_attempt_at = ?5, sync_consecutive_failures = ?6, \
         sync_error_class = ?7, sync_next_attempt_at = ?8, sync_link_broken = ?9, \
         sync_last_observation = ?10 WHERE id = ?1",
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

fn apply_record(
    tx: &Transaction<'_>,
    record: &SyncRecord,
    now: Timestamp,
    report: &mut BatchReport,
) -> Result<()> {
    let current: Option<(String, String, String)> = tx
        .query_row(
            "SELECT l.notion_page_id, e.title, e.description FROM notion_links l \
             JOIN elections e ON e.id = l.election_id WHERE l.id = ?1 AND l.election_id = ?2",
            params![record.link_id.as_str(), record.election_id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let skip = |reason: &str| SkippedRecord {
        election_id: record.election_id.clone(),
        link_id: record.link_id.clone(),
        reason: reason.to_owned(),
    };
    let Some((page_id, title, description)) = current else {
        let election_exists = tx
            .query_row(
                "SELECT 1 FROM elections WHERE id = ?1",
                [record.election_id.as_str()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        report.skipped.push(skip(if election_exists {
            "the link was removed (the election was unlinked or re-linked)"
        } else {
            "the election was deleted"
        }));
        return Ok(());
    };
    if page_id != record.page_id {
        report.skipped.push(skip("the link points at another page"));
        return Ok(());
    }
    write_state(tx, &record.link_id, &record.state)?;
    if let Some(mapping) = &record.mapping_update {
        write_mapping(tx, &record.link_id, mapping)?;
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

/// The primary link of election `id`, if it has links.
fn primary_of(tx: &Transaction<'_>, id: &ElectionId) -> Result<Option<LinkId>> {
    let found: Option<String> = tx
        .query_row(
            "SELECT id FROM notion_links WHERE election_id = ?1 AND is_primary = 1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    found
        .map(|text| {
            LinkId::parse(text).map_err(|e| StoreError::Corrupt {
                message: format!("link id: {e}"),
            })
        })
        .transpose()
}

fn exists(tx: &Transaction<'_>, id: &ElectionId) -> Result<()> {
    tx.query_row(
        "SELECT 1 FROM elections WHERE id = ?1",
        [id.as_str()],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| election_not_found(id))
}

/// Deletes link `link_id` of election `id`, handing the primary role on when it had it.
fn delete_link(
    tx: &Transaction<'_>,
    id: &ElectionId,
    link_id: &LinkId,
    now: Timestamp,
) -> Result<bool> {
    let deleted = tx.execute(
        "DELETE FROM notion_links WHERE id = ?1 AND election_id = ?2",
        params![link_id.as_str(), id.as_str()],
    )? > 0;
    if deleted {
        promote_oldest(tx, id)?;
        touch(tx, id, now)?;
    }
    Ok(deleted)
}

impl SqliteStore {
    /// Links election `id` to a Notion page as its primary link, replacing the primary link it
    /// had (with its sync state); its other links stay. Errors: `NotFound`, `Invalid` (an empty
    /// id or property name), `Conflict` (another election or another of its links uses the page).
    pub fn set_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        check_link(link)?;
        self.write(|tx| {
            exists(tx, id)?;
            let replaced = primary_of(tx, id)?;
            check_page_free(tx, id, &link.notion_page_id, replaced.as_ref())?;
            if let Some(old) = &replaced {
                tx.execute("DELETE FROM notion_links WHERE id = ?1", [old.as_str()])?;
            }
            insert_link(tx, id, &LinkId::mint(now), link, true, now)?;
            get_record(tx, id)
        })
    }

    /// Adds a link of election `id` to another Notion page, primary when `primary` is set or it
    /// is the election's first. Errors: `NotFound`, `Invalid`, `Conflict` (the page is in use).
    pub fn add_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        primary: bool,
        now: Timestamp,
    ) -> Result<LinkRecord> {
        check_link(link)?;
        self.write(|tx| {
            exists(tx, id)?;
            check_page_free(tx, id, &link.notion_page_id, None)?;
            let first = primary_of(tx, id)?.is_none();
            if primary && !first {
                tx.execute(
                    "UPDATE notion_links SET is_primary = 0 WHERE election_id = ?1",
                    [id.as_str()],
                )?;
            }
            let link_id = LinkId::mint(now);
            insert_link(tx, id, &link_id, link, primary || first, now)?;
            links_of(tx, id)?
                .into_iter()
                .find(|l| l.id == link_id)
                .ok_or_else(|| link_not_found(&link_id))
        })
    }

    /// Makes link `link_id` its election's primary link. Errors: `NotFound` (election, or a link
    /// it does not have).
    pub fn make_primary(
        &self,
        id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        self.write(|tx| {
            exists(tx, id)?;
            let record = get_record(tx, id)?;
            if record.find_link(link_id).is_none() {
                return Err(link_not_found(link_id));
            }
            tx.execute(
                "UPDATE notion_links SET is_primary = (id = ?2) WHERE election_id = ?1",
                params![id.as_str(), link_id.as_str()],
            )?;
            touch(tx, id, now)?;
            get_record(tx, id)
        })
    }

    /// Removes link `link_id` of election `id` and its sync state (never touches the page); the
    /// oldest remaining link becomes primary if it was. Errors: `NotFound` (election, or a link
    /// it does not have).
    pub fn remove_link(
        &self,
        id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        self.write(|tx| {
            exists(tx, id)?;
            if !delete_link(tx, id, link_id, now)? {
                return Err(link_not_found(link_id));
            }
            get_record(tx, id)
        })
    }

    /// Removes the primary link and its sync state (never touches the page); the oldest other
    /// link becomes primary. A no-op when unlinked. Errors: `NotFound`.
    pub fn clear_link(&self, id: &ElectionId, now: Timestamp) -> Result<ElectionRecord> {
        self.write(|tx| {
            exists(tx, id)?;
            if let Some(primary) = primary_of(tx, id)? {
                delete_link(tx, id, &primary, now)?;
            }
            get_record(tx, id)
        })
    }

    /// The election linked to the Notion page `page_id`, if any.
    pub fn election_linked_to(&self, page_id: &str) -> Result<Option<ElectionId>> {
        self.read(|tx| Ok(page_user(tx, page_id)?.map(|(election, _)| election)))
    }

    /// The primary link of one election, for a manual sync. Errors: `NotFound`, `Conflict` (not
    /// linked).
    pub fn get_linked(&self, id: &ElectionId) -> Result<LinkedElection> {
        self.read(|tx| {
            let global = global_pause(tx)?;
            let record = get_record(tx, id)?;
            let paused = global.is_some() || record.paused_at.is_some();
            let Some(primary) = record.primary().cloned() else {
                return Err(StoreError::Conflict {
                    message: format!(
                        "election '{id}' is not linked to a Notion page: link it first"
                    ),
                });
            };
            Ok(LinkedElection {
                election: record.election,
                connection_id: primary.connection_id,
                link_id: primary.id,
                primary: true,
                link: primary.link,
                state: primary.state,
                paused,
            })
        })
    }

    /// Links with their election and sync state, by database, election, then the election's
    /// link order, filtered by `filter`. With a [`DueFilter`], SQL narrows the candidates and
    /// [`sync_engine::is_due`] decides exactly.
    pub fn list_linked(&self, filter: &LinkedFilter) -> Result<Vec<LinkedElection>> {
        self.read(|tx| {
            let global = global_pause(tx)?;
            if global.is_some() && !filter.include_paused {
                return Ok(Vec::new());
            }
            let due = filter.due;
            let min_interval_ms = due.map(|d| d.min_interval.as_millis()).map(|ms| ms as i64);
            let json = |ids: &[String]| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            let scope_pages = filter.scope.as_ref().map(|s| json(&s.pages));
            let scope_databases = filter
                .scope
                .as_ref()
                .map_or_else(|| "[]".to_owned(), |s| json(&s.databases));
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {LINK_COLUMNS}, {ELECTION_COLUMNS} FROM notion_links l \
                 JOIN elections e ON e.id = l.election_id \
                 WHERE (?1 IS NULL OR l.notion_database_id = ?1) \
                 AND (?2 IS NULL OR l.election_id = ?2) \
                 AND (?7 IS NULL OR l.id = ?7) \
                 AND (?8 IS NULL OR l.notion_page_id IN (SELECT value FROM json_each(?8)) \
                      OR l.notion_database_id IN (SELECT value FROM json_each(?9))) \
                 AND (?3 OR e.sync_paused_at IS NULL) \
                 AND (?4 IS NULL OR ?6 != 'scheduled' \
                      OR l.notion_last_sync_at IS NULL \
                      OR l.notion_last_sync_at <= ?4 - ?5 \
                      OR l.sync_next_attempt_at <= ?4 \
                      OR (l.sync_error_class = 'permanent' AND l.sync_next_attempt_at IS NULL) \
                      OR (e.open_at <= ?4 AND e.open_at > MIN(l.notion_last_sync_at, COALESCE(l.sync_last_attempt_at, l.notion_last_sync_at))) \
                      OR (e.close_at <= ?4 AND e.close_at > MIN(l.notion_last_sync_at, COALESCE(l.sync_last_attempt_at, l.notion_last_sync_at)))) \
                 ORDER BY l.notion_database_id, l.election_id, {LINK_ORDER}"
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
                        filter.link_id.as_ref().map(LinkId::as_str),
                        scope_pages,
                        scope_databases,
                    ],
                    |row| Ok((row_to_link(row)?, row_to_election(row, LINK_COLUMN_COUNT)?)),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            Ok(rows
                .into_iter()
                .filter_map(|(link, (election, paused_at))| {
                    let keep = due.is_none_or(|DueFilter { now, min_interval, trigger }| {
                        sync_engine::is_due(now, &election, &link.state, min_interval, trigger)
                    });
                    keep.then(|| LinkedElection {
                        paused: global.is_some() || paused_at.is_some(),
                        election,
                        connection_id: link.connection_id,
                        link_id: link.id,
                        primary: link.primary,
                        link: link.link,
                        state: link.state,
                    })
                })
                .collect())
        })
    }

    /// Stores a fresh observation of a link's page (e.g. from a read that planned no write).
    /// Errors: `NotFound` (unknown link).
    pub fn save_observation(&self, id: &LinkId, observation: &PageObservation) -> Result<()> {
        let json = serde_json::to_string(observation)
            .map_err(|e| invalid("observation", e.to_string()))?;
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE notion_links SET sync_last_observation = ?2 WHERE id = ?1",
                params![id.as_str(), json],
            )?;
            if changed == 0 {
                return Err(link_not_found(id));
            }
            Ok(())
        })
    }

    /// Records one link's sync atomically: its next state, observation and pulled fields. A
    /// record for a deleted election or a removed link is skipped (see the report).
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
                   SELECT id, open_at AS at, 'open' AS phase FROM elections e \
                     WHERE open_at > ?1 AND sync_paused_at IS NULL \
                       AND EXISTS (SELECT 1 FROM notion_links l WHERE l.election_id = e.id) \
                   UNION ALL \
                   SELECT id, close_at AS at, 'closed' AS phase FROM elections e \
                     WHERE close_at > ?1 AND sync_paused_at IS NULL \
                       AND EXISTS (SELECT 1 FROM notion_links l WHERE l.election_id = e.id)) \
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
    /// a link of an unpaused election whose last sync failed (`None` while everything is
    /// paused). With [`SqliteStore::next_phase_change_at`], the runner's other wake-up instant.
    pub fn next_retry_at(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        self.read(|tx| {
            tx.query_row(
                "SELECT MIN(l.sync_next_attempt_at) FROM notion_links l \
                 JOIN elections e ON e.id = l.election_id \
                 WHERE l.sync_next_attempt_at > ?1 AND l.sync_error_class IS NOT NULL \
                   AND e.sync_paused_at IS NULL \
                   AND NOT EXISTS (SELECT 1 FROM sync_global_pause)",
                [to_ms(now)],
                |r| opt_col(r, 0),
            )
            .map_err(corrupt)
        })
    }
}
