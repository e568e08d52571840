//! The Notion reads of a sync: one database's schema and change query (with the cursor rule
//! [`change_query_start`]), and one page read on its own.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use notion_client::{
    CapRecord, DataSource, DateCondition, ErrorKind, Filter, NotionError, NotionId, Page, Parent,
    Query, QueryAllReport,
};
use store::LinkedElection;
use sync_engine::{DatabaseSchema, PageObservation, PageWrite, SyncError, SyncErrorKind};

use super::lease::LeaseKeeper;
use crate::SyncDriver;
use crate::observe::{
    database_schema, page_observation, page_schema, schema_looks_stale, schema_observation,
    sync_error_from_notion,
};

/// Pages per query request (Notion's maximum).
pub const QUERY_PAGE_SIZE: u32 = 100;

/// What one database read brought.
#[derive(Default)]
pub(crate) struct DatabaseRead {
    /// The database's schema, when it was read.
    pub(crate) schema: Option<DataSource>,
    /// The pages the query returned, by id.
    pub(crate) pages: HashMap<NotionId, Page>,
    /// What the query met at Notion's result cap (for the run log; an unnarrowable cap means
    /// the pages it did not return are read one by one).
    pub(crate) cap: CapRecord,
}

/// Why a database read ended without pages.
pub(crate) enum ReadFailure {
    /// Notion refused the read (or the stored id is no Notion id): `error` is recorded on every
    /// due election, `report` is the database's error.
    Failed { report: String, error: SyncError },
    /// The global lease was lost mid-read: another runner may be syncing, so nothing is recorded.
    LeaseLost(String),
}

impl ReadFailure {
    fn notion(context: &str, error: &NotionError) -> Self {
        Self::Failed {
            report: format!("{context}: {error}"),
            error: sync_error_from_notion(error, false),
        }
    }
}

impl DatabaseRead {
    /// Whether the query may have left out pages it matched (more pages than the cap in one
    /// creation minute): each linked page it did not return is then read on its own.
    pub(crate) fn incomplete(&self) -> bool {
        self.cap.unnarrowable_at.is_some()
    }

    /// The election's page as the query returned it, if it did.
    fn page_of(&self, election: &LinkedElection) -> Option<&Page> {
        let id = NotionId::parse(&election.link.notion_page_id).ok()?;
        self.pages.get(&id)
    }

    /// The schema to observe the election's page with: the one read now, else the one stored
    /// with its last observation.
    pub(crate) fn schema_for(&self, election: &LinkedElection) -> Option<Arc<DatabaseSchema>> {
        match &self.schema {
            Some(ds) => Some(Arc::new(schema_observation(ds, &election.link))),
            None => election
                .state
                .last_observation
                .as_ref()
                .map(|o| o.schema.clone()),
        }
    }

    /// A fresh observation of the election's page, when the query returned it and a schema is
    /// known for it.
    pub(crate) fn observe(
        &self,
        election: &LinkedElection,
        now: Timestamp,
    ) -> Option<PageObservation> {
        let page = self.page_of(election)?;
        let schema = self.schema_for(election)?;
        Some(page_observation(page, schema, now))
    }
}

/// The stored database id as a Notion id.
pub(crate) fn parse_database_id(database: &str) -> Result<NotionId, ReadFailure> {
    NotionId::parse(database).map_err(|e| ReadFailure::Failed {
        report: format!("invalid database id '{database}'"),
        error: SyncError::new(
            SyncErrorKind::Validation,
            format!("the stored database id is not a Notion id: {e}"),
        ),
    })
}

/// A stored page or database id (`what`) as a Notion id; a malformed one is an invalid request.
pub(crate) fn stored_id(what: &str, id: &str) -> Result<NotionId, NotionError> {
    NotionId::parse(id).map_err(|e| NotionError::invalid_request(format!("stored {what} id: {e}")))
}

impl SyncDriver {
    /// Reads one database for a cycle: the schema when `need_schema`, then the pages edited since
    /// `since` (every page when `None`), asking only for the properties `elections` use. Returns
    /// what was read and when the query that succeeded started (the next cursor).
    pub(crate) async fn read_database(
        &self,
        database_id: NotionId,
        need_schema: bool,
        since: Option<Timestamp>,
        elections: &[&LinkedElection],
        lease: &mut LeaseKeeper,
    ) -> Result<(DatabaseRead, Timestamp), ReadFailure> {
        let mut schema = None;
        if need_schema {
            schema = Some(self.read_schema(database_id, lease).await?);
        }
        let mut retried = false;
        loop {
            let properties = property_names(elections, schema.as_ref());
            let query_started = store::stored_precision(lease.now());
            match self
                .query_pages(database_id, since, properties, lease)
                .await
            {
                Ok((pages, cap)) => {
                    let read = DatabaseRead { schema, pages, cap };
                    return Ok((read, query_started));
                }
                Err(_) if lease.lost().is_some() => {
                    // Stopped reading: another runner may be syncing. Record nothing.
                    let lost = lease.lost().unwrap_or_default();
                    return Err(ReadFailure::LeaseLost(lost));
                }
                Err(e)
                    if matches!(e.kind(), ErrorKind::Validation)
                        && !retried
                        && schema.is_none() =>
                {
                    // Most likely a property was renamed or removed: re-read the schema.
                    retried = true;
                    schema = Some(self.read_schema(database_id, lease).await?);
                }
                Err(e) => {
                    self.note_rate_limit(lease, &e);
                    return Err(ReadFailure::notion("could not query the database", &e));
                }
            }
        }
    }

    async fn read_schema(
        &self,
        database_id: NotionId,
        lease: &mut LeaseKeeper,
    ) -> Result<DataSource, ReadFailure> {
        let read = self
            .leased(
                lease,
                self.notion_ops().retrieve_database_schema(database_id),
            )
            .await;
        read.map_err(|e| {
            self.note_rate_limit(lease, &e);
            ReadFailure::notion("could not read the schema", &e)
        })
    }

    /// If a returned page disagrees with the schema we hold, read the schema once (a failure
    /// only costs the fresh observations that needed it).
    pub(crate) async fn refresh_stale_schema<'e>(
        &self,
        database: &str,
        database_id: NotionId,
        read: &mut DatabaseRead,
        mut elections: impl Iterator<Item = &'e LinkedElection>,
        lease: &mut LeaseKeeper,
    ) {
        let stale = read.schema.is_none()
            && elections.any(|e| {
                read.page_of(e).is_some_and(|page| {
                    e.state
                        .last_observation
                        .as_ref()
                        .is_some_and(|o| schema_looks_stale(page, &e.link, &o.schema))
                })
            });
        if !stale {
            return;
        }
        let schema = self
            .leased(
                lease,
                self.notion_ops().retrieve_database_schema(database_id),
            )
            .await;
        match schema {
            Ok(ds) => read.schema = Some(ds),
            Err(e) => {
                self.note_rate_limit(lease, &e);
                tracing::warn!(database, error = %e, "could not re-read the schema");
            }
        }
    }

    /// One change query (or full read), 100 pages per request, following cursors and going on
    /// past Notion's 10,000-results-per-query cap (notion-client's `query_all_reporting`: ordered
    /// by `created_time`, it queries again from the last creation instant seen), so neither a
    /// reconcile of a large database nor a burst of edits is silently cut off. When no window
    /// can narrow it, the read ends with what it got and says so (`CapRecord::unnarrowable_at`).
    async fn query_pages(
        &self,
        database_id: NotionId,
        since: Option<Timestamp>,
        properties: Vec<String>,
        lease: &mut LeaseKeeper,
    ) -> Result<(HashMap<NotionId, Page>, CapRecord), NotionError> {
        let notion = self.notion_ops();
        let data_source = self
            .leased(lease, notion.resolve_data_source(database_id))
            .await?;
        let mut query = Query::new()
            .page_size(QUERY_PAGE_SIZE)
            .filter_properties(properties);
        if let Some(since) = since {
            query = query.filter(Filter::last_edited_time(DateCondition::on_or_after(since)));
        }
        let report = QueryAllReport::new();
        let mut stream = notion.query_all_reporting(data_source, query, report.clone());
        let mut pages = HashMap::new();
        while let Some(page) = self.leased(lease, stream.next()).await {
            let page = page?;
            pages.insert(page.id, page);
            // A full read of a large database takes a while at Notion's pace.
            self.keep_lease(lease)
                .await
                .map_err(|lost| NotionError::invalid_request(format!("stopped: {lost}")))?;
        }
        let cap = report.get();
        if cap.continued > 0 || cap.unnarrowable_at.is_some() {
            tracing::info!(
                database = %database_id,
                continued = cap.continued,
                unnarrowable_at = ?cap.unnarrowable_at,
                "the query reached Notion's result cap"
            );
        }
        Ok((pages, cap))
    }

    /// Reads the pages of `elections` one by one (a webhook batch's pages: `GET /v1/pages/{id}`
    /// asking only for the properties the sync uses, each page once), with the schema first
    /// when `need_schema`. Returns what was read and the pages that could not be (or were moved
    /// out of the database), with the error to record on their due links. The change query
    /// is not run, so the database's cursor does not move.
    pub(crate) async fn read_pages(
        &self,
        database: &str,
        database_id: NotionId,
        need_schema: bool,
        elections: &[&LinkedElection],
        lease: &mut LeaseKeeper,
    ) -> Result<(DatabaseRead, Vec<(NotionId, SyncError)>), ReadFailure> {
        let schema = match need_schema {
            true => Some(self.read_schema(database_id, lease).await?),
            false => None,
        };
        let properties = property_names(elections, schema.as_ref());
        let name = schema
            .as_ref()
            .map_or_else(|| database.to_owned(), database_name);
        let mut read = DatabaseRead {
            schema,
            ..DatabaseRead::default()
        };
        let mut failed = Vec::new();
        let mut asked = std::collections::HashSet::new();
        for election in elections {
            let Ok(page_id) = NotionId::parse(&election.link.notion_page_id) else {
                continue;
            };
            if !asked.insert(page_id) {
                continue;
            }
            let page = self
                .leased(
                    lease,
                    self.notion_ops().retrieve_page(page_id, properties.clone()),
                )
                .await;
            match page {
                Ok(page) => match moved_out(&page, database, &name) {
                    Some(error) => failed.push((page_id, error)),
                    None => {
                        read.pages.insert(page_id, page);
                    }
                },
                Err(_) if lease.lost().is_some() => {
                    return Err(ReadFailure::LeaseLost(lease.lost().unwrap_or_default()));
                }
                Err(e) => {
                    self.note_rate_limit(lease, &e);
                    failed.push((page_id, sync_error_from_notion(&e, false)));
                }
            }
        }
        Ok((read, failed))
    }

    /// Reads one linked page fresh, with `schema` when its database's schema was just read (a
    /// cycle's), else with its schema read too (2 requests once the data source is resolved).
    ///
    /// The page's parent is checked on every such read: a page moved out of the linked database
    /// (Notion's page move) is still readable and writable, but no longer a row of the database,
    /// so the change query stops returning it and its values no longer mean what the link says.
    /// It fails with [`SyncErrorKind::PageMoved`] (no Notion error: Notion answered fine), which
    /// breaks the link, so nothing more is written to the page.
    pub(crate) async fn read_one(
        &self,
        linked: &LinkedElection,
        now: Timestamp,
        schema: Option<&DataSource>,
    ) -> Result<PageObservation, (Option<NotionError>, SyncError)> {
        let fail = |e: NotionError| {
            let sync_error = sync_error_from_notion(&e, false);
            (Some(e), sync_error)
        };
        let page_id = stored_id("page", &linked.link.notion_page_id).map_err(fail)?;
        let page = self
            .notion_ops()
            .retrieve_page(page_id, Vec::new())
            .await
            .map_err(fail)?;
        let read_schema;
        let schema = match schema {
            Some(schema) => schema,
            None => {
                let database_id =
                    stored_id("database", &linked.link.notion_database_id).map_err(fail)?;
                read_schema = self
                    .notion_ops()
                    .retrieve_database_schema(database_id)
                    .await
                    .map_err(fail)?;
                &read_schema
            }
        };
        if let Some(error) = moved_out(
            &page,
            &linked.link.notion_database_id,
            &database_name(schema),
        ) {
            return Err((None, error));
        }
        Ok(page_observation(
            &page,
            schema_observation(schema, &linked.link),
            now,
        ))
    }
}

impl SyncDriver {
    /// After a page write answered 503 with Notion's "may have been saved" guidance (which the
    /// client does not repeat): reads the page again and, when the written values are there,
    /// takes the write as done (`Ok`, with the page as read). Otherwise, or when the read fails, the write's own error
    /// stands: the next cycle plans (and writes) again from what Notion has then.
    pub(crate) async fn confirm_saved_write(
        &self,
        write: &PageWrite,
        error: NotionError,
    ) -> Result<Page, NotionError> {
        let Ok(page_id) = stored_id("page", &write.page_id) else {
            return Err(error);
        };
        let ids: Vec<String> = write
            .properties
            .iter()
            .map(|p| p.property_id.clone())
            .collect();
        let page = match self.notion_ops().retrieve_page(page_id, ids).await {
            Ok(page) => page,
            Err(read_error) => {
                tracing::warn!(page = %page_id, error = %read_error, "could not read the page again after a 503 that may have saved the write");
                return Err(error);
            }
        };
        // Saved when every value written reads back as written.
        let read = page_observation(&page, page_schema(&page), Timestamp::UNIX_EPOCH);
        let all_there = write
            .properties
            .iter()
            .all(|p| read.values.get(&p.property_id) == Some(&p.to.observed()));
        if all_there {
            tracing::info!(page = %page_id, "Notion answered 503 but had saved the write (read again, not repeated)");
            Ok(page)
        } else {
            Err(error)
        }
    }
}

/// The failure of a page whose parent is no longer the linked database (`database`, called
/// `name`), or `None` while it is. A data-source parent without its database id
/// (or an unknown parent kind) cannot be told
/// apart and counts as in place.
pub(crate) fn moved_out(page: &Page, database: &str, name: &str) -> Option<SyncError> {
    let linked = NotionId::parse(database).ok()?;
    let now_in = match &page.parent {
        Parent::DataSourceId {
            database_id: Some(db),
            ..
        }
        | Parent::DatabaseId { database_id: db } => Some(*db),
        // Not enough to tell (or a parent kind newer than this client): trust the link.
        Parent::DataSourceId {
            database_id: None, ..
        }
        | Parent::Unknown => return None,
        Parent::PageId { page_id } => {
            return Some(moved_error(name, &format!("under page {page_id}")));
        }
        _ => None,
    };
    match now_in {
        Some(db) if db == linked => None,
        Some(db) => Some(moved_error(name, &format!("into database {db}"))),
        None => Some(moved_error(name, "elsewhere in the workspace")),
    }
}

/// The database's name as its schema says, else its id.
fn database_name(schema: &DataSource) -> String {
    let name = schema.title_text();
    if name.trim().is_empty() {
        schema.id.to_string()
    } else {
        name
    }
}

fn moved_error(name: &str, to: &str) -> SyncError {
    SyncError::new(
        SyncErrorKind::PageMoved,
        format!("the page was moved out of the database '{name}' ({to})"),
    )
}

/// Where a change query starts, given the stored cursor: the instant (this driver's clock) the
/// previous successful query of the database started.
///
/// Why no edit is missed: Notion stamps an edit made at instant `e` (Notion's clock) with
/// `last_edited_time = minute_floor(e)`, and the query keeps pages with `last_edited_time`
/// on or after the start returned here. The previous query, started at `c` on our clock, saw
/// every edit Notion had applied (and indexed) when it ran; an edit it may not have seen was
/// applied at `e ≥ c − overlap`, where `overlap` bounds the skew between our clock and
/// Notion's plus Notion's indexing delay. Since `minute_floor` is monotone, `minute_floor(e) ≥
/// minute_floor(c − overlap)`: the edit matches this query, even one made in the same minute
/// as the previous query (it reads as that minute's start). Reads that start later are safe
/// too: a page may come back more than once, never be skipped. A failed or interrupted read
/// leaves the cursor where it was.
///
/// Why it settles: after a bulk edit in minute `M`, a query returns those pages again only if
/// the previous one started before `M + 1 min + overlap`: with 60-second cycles and an overlap
/// of at most 60 s, at most the two cycles after the one that saw the edit.
pub(crate) fn change_query_start(cursor: Timestamp, overlap: SignedDuration) -> Timestamp {
    let back = cursor.checked_sub(overlap).unwrap_or(cursor);
    let minute = back.as_second().div_euclid(60) * 60;
    Timestamp::from_second(minute).unwrap_or(back)
}

/// The properties the sync reads, over every linked election of the database, by id where
/// known (a name changes when someone renames the property): only those the schema has (Notion
/// rejects a query naming an unknown property). The title goes by its id.
fn property_names(elections: &[&LinkedElection], schema: Option<&DataSource>) -> Vec<String> {
    let fresh = schema.map(database_schema);
    let mut names: Vec<String> = vec!["title".to_owned()];
    for election in elections {
        let known = match (&fresh, &election.state.last_observation) {
            (Some(schema), _) => schema,
            (None, Some(observation)) => &observation.schema,
            (None, None) => continue,
        };
        for (_, reference) in election.link.mapping.properties() {
            if let Some(property) = known.resolve(reference)
                && !names.contains(&property.id)
            {
                names.push(property.id.clone());
            }
        }
    }
    names
}
