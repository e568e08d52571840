//! The driver handle, and the link operations of the admin API: search, validate, link, unlink.

use std::sync::Arc;

use jiff::Timestamp;
use notion_client::{
    DataSource, Direction, ErrorKind, Filter, NotionClient, NotionError, NotionId, Page, Query,
    Sort, TextCondition, TimestampKind,
};
use store::{ElectionRecord, LinkId, SharedStore};
use sync_engine::{
    DEFAULT_DESCRIPTION_PROPERTY_NAME, DEFAULT_RESULTS_PROPERTY_NAME, DEFAULT_STATUS_PROPERTY_NAME,
    DEFAULT_STATUS_VALUE_DONE, DEFAULT_STATUS_VALUE_IN_VOTING, DEFAULT_STATUS_VALUE_NOT_STARTED,
    DEFAULT_TITLE_PROPERTY_NAME, ElectionId, NotionLink, PhaseMapping, PropertyRef, TextDirection,
    WindowMapping,
};

use crate::observe::{database_schema, page_observation, schema_observation};
use crate::{
    Allowlist, Clock, Connection, ConnectionId, Connections, DatabaseProperty, DriverConfig,
    DriverError, LinkOutcome, LinkRequest, PageSearch, PageSummary, PageValidation,
};

/// Where a new link goes among the election's links.
#[derive(Debug, Clone, Copy)]
enum LinkPlacement {
    /// Replaces the primary link (the singular `…/notion/link` route).
    ReplacePrimary,
    /// Joins the election's links, as the primary when asked (or when it is the first).
    Add { primary: bool },
}

/// Results per page of [`SyncDriver::search_pages`].
pub const SEARCH_PAGE_SIZE: u32 = 20;

/// The sync's IO shell, shared by the api-server and the sync-runner. Cheap to clone (an `Arc`
/// inside); every clone shares the store, the Notion connections (each client with its pacer)
/// and the configuration.
///
/// Notion is reached through [`Connections`]: each connection's client and allowlist, found by
/// [`ConnectionId`]. Every operation uses the default connection today.
///
/// All methods take `now` (or a [`crate::Clock`]) instead of reading the clock, so tests drive time.
#[derive(Clone)]
pub struct SyncDriver {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: SharedStore,
    pub(crate) connections: Connections,
    pub(crate) config: DriverConfig,
    /// Where a running cycle reads the time to keep its lease alive (see [`SyncDriver::with_clock`]).
    pub(crate) clock: Option<Arc<dyn Clock>>,
    /// OAuth connections, when this process may use them (see [`SyncDriver::with_oauth`]).
    pub(crate) oauth: Option<Arc<crate::oauth::OAuthConnections>>,
    /// The internal integration's bot user id, read once (`GET /v1/users/me`) when webhook
    /// events first need it: events only it authored are our own writes coming back.
    pub(crate) bot_id: Arc<tokio::sync::OnceCell<uuid::Uuid>>,
}

impl std::fmt::Debug for SyncDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncDriver")
            .field("holder", &self.inner.config.holder)
            .field("allowlist", &self.allowlist().to_string())
            .finish_non_exhaustive()
    }
}

/// A page checked against a link's property names and status values.
pub(crate) struct Inspection {
    pub(crate) page: Page,
    pub(crate) schema: DataSource,
}

impl SyncDriver {
    /// A driver over `store` with one Notion connection, the default: `notion` with
    /// `config.allowlist`. The caller keeps `notion` (or clones it) for its own Notion requests,
    /// so that they share the connection's pacer with the driver's.
    pub fn new(store: SharedStore, notion: NotionClient, config: DriverConfig) -> Self {
        let connection = Connection::new(notion, config.allowlist.clone());
        Self::with_connections(store, Connections::new(connection), config)
    }

    /// A driver over `store` reaching Notion through `connections`. Each connection brings its
    /// own allowlist: `config.allowlist` is not read.
    pub fn with_connections(
        store: SharedStore,
        connections: Connections,
        config: DriverConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                connections,
                config,
                clock: None,
                oauth: None,
                bot_id: Arc::default(),
            }),
        }
    }

    /// The same driver, reading the time from `clock` while a cycle runs, to renew its lease
    /// (every half `lease_ttl`, during reads and writes). Without one, a cycle measures the time
    /// elapsed since its `now` on tokio's clock; the daemon uses its own clock.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.rebuilt(self.inner.connections.clone(), Some(clock))
    }

    /// A handle on the same store and configuration whose Notion clients count into stats scopes
    /// of their own, so a cycle's or a manual sync's request count is exactly its own although the
    /// clients are shared (e.g. with the api-server's admin routes).
    pub(crate) fn with_stats_scope(&self) -> Self {
        self.rebuilt(
            self.inner
                .connections
                .map_clients(NotionClient::with_stats_scope),
            self.inner.clock.clone(),
        )
    }

    /// A handle on the same store and configuration with these connections and clock.
    pub(crate) fn rebuilt(&self, connections: Connections, clock: Option<Arc<dyn Clock>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: Arc::clone(&self.inner.store),
                connections,
                config: self.inner.config.clone(),
                clock,
                oauth: self.inner.oauth.clone(),
                bot_id: Arc::clone(&self.inner.bot_id),
            }),
        }
    }

    /// The Notion requests counted so far in this handle's stats scope.
    pub(crate) fn requests_so_far(&self) -> u64 {
        self.inner
            .connections
            .iter()
            .map(|(_, c)| c.client.scope_stats().requests)
            .sum()
    }

    /// The Notion requests made in this handle's stats scope since it counted `before`.
    pub(crate) fn requests_since(&self, before: u64) -> u64 {
        self.requests_so_far().saturating_sub(before)
    }

    /// The configuration.
    pub fn config(&self) -> &DriverConfig {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    /// The Notion connections.
    pub fn connections(&self) -> &Connections {
        &self.inner.connections
    }

    /// The Notion connection `id`, if the driver has one.
    pub fn connection(&self, id: &ConnectionId) -> Option<&Connection> {
        self.inner.connections.get(id)
    }

    /// The default connection's Notion client (the one every operation uses today).
    pub fn notion(&self) -> &NotionClient {
        &self.inner.connections.default_connection().client
    }

    /// The default connection's Notion operations: every read and write of the driver goes
    /// through them.
    pub(crate) fn notion_ops(&self) -> &dyn crate::NotionOperations {
        self.inner.connections.default_connection().operations()
    }

    /// The default connection's allowlist: the databases that may be searched and linked.
    pub fn allowlist(&self) -> &Allowlist {
        &self.inner.connections.default_connection().allowlist
    }

    pub(crate) fn check_allowlisted(&self, database_id: &NotionId) -> Result<(), DriverError> {
        if self.allowlist().contains(database_id) {
            Ok(())
        } else {
            Err(DriverError::NotAllowlisted {
                database_id: *database_id,
                allowlist: self.allowlist().to_string(),
            })
        }
    }

    /// Title search within an allowlisted database: case-insensitive `contains` on the title,
    /// 20 pages at a time, most recently edited first. `cursor` is the previous answer's
    /// `next_cursor` (opaque, from Notion). A blank query lists every page.
    ///
    /// Errors: `NotAllowlisted` (403); `Notion` (a 404 means the database is not shared with the
    /// integration; 400 for a bad cursor).
    pub async fn search_pages(
        &self,
        database_id: &NotionId,
        query: &str,
        cursor: Option<&str>,
    ) -> Result<PageSearch, DriverError> {
        self.on_database(database_id, self.clock_now(), |driver| async move {
            driver.search_pages_here(database_id, query, cursor).await
        })
        .await
    }

    /// [`SyncDriver::search_pages`] on this handle's connection.
    async fn search_pages_here(
        &self,
        database_id: &NotionId,
        query: &str,
        cursor: Option<&str>,
    ) -> Result<PageSearch, DriverError> {
        self.check_allowlisted(database_id)?;
        let mut request = Query::new()
            .page_size(SEARCH_PAGE_SIZE)
            .filter_properties(["title"])
            .sort(Sort::timestamp(
                TimestampKind::LastEditedTime,
                Direction::Descending,
            ));
        let text = query.trim();
        if !text.is_empty() {
            request = request.filter(Filter::title(
                "title",
                TextCondition::Contains(text.to_owned()),
            ));
        }
        request.start_cursor = cursor.filter(|c| !c.is_empty()).map(str::to_owned);
        let list = self
            .notion_ops()
            .query_database(*database_id, &request)
            .await?;
        let next_cursor = list.continuation().map(str::to_owned);
        Ok(PageSearch {
            pages: list
                .results
                .iter()
                .map(|page| PageSummary {
                    id: page.id,
                    title: page.title(),
                    url: page.url.clone(),
                })
                .collect(),
            next_cursor,
        })
    }

    /// The properties of an allowlisted database's data source (the schema `link` checks a page
    /// against), sorted by name, so the link form can offer the properties of each role's type.
    ///
    /// Errors: `NotAllowlisted` (403); `Notion` (a 404 means the database is not shared with the
    /// integration, as for [`SyncDriver::search_pages`]).
    pub async fn database_properties(
        &self,
        database_id: &NotionId,
    ) -> Result<Vec<DatabaseProperty>, DriverError> {
        // Not `database_schema`: its 404 is worded as a link validation problem (422), while
        // here the database itself is what was asked for.
        let schema = self
            .on_database(database_id, self.clock_now(), |driver| async move {
                driver.check_allowlisted(database_id)?;
                Ok(driver
                    .notion_ops()
                    .retrieve_database_schema(*database_id)
                    .await?)
            })
            .await?;
        Ok(schema
            .properties
            .into_iter()
            .map(|(name, property)| {
                let options = property
                    .option_names()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                DatabaseProperty {
                    id: property.id,
                    // The schema is keyed by name; the entry's own name is the same when present.
                    name: if property.name.is_empty() {
                        name
                    } else {
                        property.name
                    },
                    property_type: property.property_type,
                    options,
                }
            })
            .collect())
    }

    /// Checks whether a page can be linked with the default status values and this status
    /// property (default `Voting Status`): shared, not in trash, in an allowlisted database, the
    /// property a Status with `In Voting` and `Done` options. Problems with the page come back as
    /// `valid: false` with a message saying what to fix.
    ///
    /// Errors: `NotAllowlisted` (403) when the page's database is not allowlisted; `Notion` when
    /// Notion fails (not for a 404, which is reported as `valid: false`).
    pub async fn validate_page(
        &self,
        page_id: &NotionId,
        property_name: Option<&str>,
    ) -> Result<PageValidation, DriverError> {
        let request = LinkRequest {
            status_property_name: property_name.map(str::to_owned),
            ..LinkRequest::default()
        };
        let link = link_from_request(NotionId::from_bytes([0; 16]), *page_id, &request)?;
        let outcome = match self.inspect(*page_id, None).await {
            Ok(inspection) => check_link(&inspection, &link),
            Err(DriverError::Validation(message)) => Err(message),
            Err(other) => return Err(other),
        };
        Ok(match outcome {
            Ok(warnings) => PageValidation {
                valid: true,
                error: None,
                warnings,
            },
            Err(message) => PageValidation {
                valid: false,
                error: Some(message),
                warnings: Vec::new(),
            },
        })
    }

    /// Links (or re-links) an election to a page after validating it (SPEC §3), as its primary
    /// link (replacing the primary link it had; its other links stay), then stores a first
    /// observation of the page so the first sync is write-only.
    ///
    /// Order of checks: ids well-formed (`InvalidInput`, 400), election exists (`NotFound`, 404),
    /// database allowlisted (`NotAllowlisted`, 403), page not another election's (`PageTaken`,
    /// 409), then the page (`Validation`, 422): found and shared, not in trash, in that database,
    /// status property of type status with the in-voting and done options, results property (if
    /// present) of type url. A missing not-started option, results, title or description
    /// property is a warning. Notion failures are `Notion`.
    pub async fn link(
        &self,
        election_id: &ElectionId,
        request: LinkRequest,
        now: Timestamp,
    ) -> Result<LinkOutcome, DriverError> {
        self.make_link(election_id, request, LinkPlacement::ReplacePrimary, now)
            .await
    }

    /// Adds a link of an election to another page, validated as [`SyncDriver::link`] does; it
    /// is the primary link when `primary` is set or it is the election's first. Its sync state
    /// is its own: the election's other links are not touched.
    pub async fn add_link(
        &self,
        election_id: &ElectionId,
        request: LinkRequest,
        primary: bool,
        now: Timestamp,
    ) -> Result<LinkOutcome, DriverError> {
        self.make_link(election_id, request, LinkPlacement::Add { primary }, now)
            .await
    }

    async fn make_link(
        &self,
        election_id: &ElectionId,
        request: LinkRequest,
        placement: LinkPlacement,
        now: Timestamp,
    ) -> Result<LinkOutcome, DriverError> {
        let database_id = parse_id("database_id", &request.database_id)?;
        let page_id = parse_id("page_id", &request.page_id)?;
        self.inner.store.get_election(election_id).await?;
        // The database's connection: its allowlist decides, its token reads the page.
        let inspection = self
            .on_database(&database_id, now, |driver| async move {
                driver.check_allowlisted(&database_id)?;
                if let Some(other) = driver
                    .inner
                    .store
                    .election_linked_to(&page_id.to_string())
                    .await?
                    .filter(|other| other != election_id)
                {
                    return Err(DriverError::PageTaken {
                        page_id,
                        election_id: other,
                    });
                }
                driver.inspect(page_id, Some(database_id)).await
            })
            .await?;
        let mut link = link_from_request(database_id, page_id, &request)?;
        let warnings = check_link(&inspection, &link).map_err(DriverError::Validation)?;
        link.notion_page_url = Some(inspection.page.url.clone()).filter(|u| !u.is_empty());
        // Ids from the start: a property renamed right after linking is still followed.
        link.mapping = link
            .mapping
            .resolved_against(&database_schema(&inspection.schema));
        let schema = schema_observation(&inspection.schema, &link);
        let observation = page_observation(&inspection.page, schema, now);
        let store = &self.inner.store;
        let link_id = match placement {
            LinkPlacement::ReplacePrimary => {
                let record = store.set_link(election_id, &link, now).await?;
                record.primary().map(|l| l.id.clone())
            }
            LinkPlacement::Add { primary } => {
                Some(store.add_link(election_id, &link, primary, now).await?.id)
            }
        }
        .ok_or_else(|| DriverError::NotLinked(election_id.clone()))?;
        store.save_observation(&link_id, &observation).await?;
        let record = store.get_election(election_id).await?;
        tracing::info!(election = %election_id, page = %page_id, link = %link_id, "linked to Notion page");
        Ok(LinkOutcome {
            record,
            link_id,
            warnings,
        })
    }

    /// Removes one link of an election and its sync state (never touches Notion); when it was
    /// the primary, the oldest remaining link becomes primary. Errors: `NotFound` (the election
    /// or the link).
    pub async fn remove_link(
        &self,
        election_id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord, DriverError> {
        Ok(self
            .inner
            .store
            .remove_link(election_id, link_id, now)
            .await?)
    }

    /// Makes `link_id` its election's primary link (what the singular routes act on).
    pub async fn make_primary(
        &self,
        election_id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord, DriverError> {
        Ok(self
            .inner
            .store
            .make_primary(election_id, link_id, now)
            .await?)
    }

    /// Removes an election's primary link and its sync state (its other links stay, the oldest
    /// becoming primary). Never touches Notion. Unlinking an unlinked election is a no-op.
    /// Errors: `NotFound`.
    pub async fn unlink(
        &self,
        election_id: &ElectionId,
        now: Timestamp,
    ) -> Result<ElectionRecord, DriverError> {
        Ok(self.inner.store.clear_link(election_id, now).await?)
    }

    /// Reads a page and its database's schema. With `expected_database`, the page must belong to
    /// it; without, its own database must be allowlisted. Page problems are `Validation`.
    pub(crate) async fn inspect(
        &self,
        page_id: NotionId,
        expected_database: Option<NotionId>,
    ) -> Result<Inspection, DriverError> {
        let notion = self.notion_ops();
        let page = match notion.retrieve_page(page_id, Vec::new()).await {
            Ok(page) => page,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound) => {
                return Err(DriverError::Validation(format!(
                    "The page {page_id} was not found or is not shared with the integration: share the database with the integration in Notion (••• → Connections), or pick another page"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if page.is_trashed() {
            return Err(DriverError::Validation(format!(
                "The page '{}' is in Notion's trash: restore it in Notion, or pick another page",
                page.title()
            )));
        }
        let page_database = match page.parent.database_id() {
            Some(id) => Some(id),
            None => match page.parent.data_source_id() {
                Some(ds) => notion.retrieve_data_source(ds).await?.database_id(),
                None => None,
            },
        };
        let database_id = match (expected_database, page_database) {
            (Some(expected), Some(actual)) if expected == actual => expected,
            (Some(expected), Some(_)) if page.parent.data_source_id().is_some() => {
                // The parent may name only the data source: compare with the database's own.
                let ds = self.resolve_data_source(expected).await?;
                if Some(ds) == page.parent.data_source_id() {
                    expected
                } else {
                    return Err(not_in_database(&page, &self.database_name(expected)));
                }
            }
            (Some(expected), Some(_)) => {
                return Err(not_in_database(&page, &self.database_name(expected)));
            }
            (Some(expected), None) => {
                return Err(DriverError::Validation(format!(
                    "The page '{}' is not a row of a database: pick a page of {}",
                    page.title(),
                    self.database_name(expected)
                )));
            }
            (None, Some(actual)) => {
                self.check_allowlisted(&actual)?;
                actual
            }
            (None, None) => {
                return Err(DriverError::Validation(format!(
                    "The page '{}' is not a row of a database: pick a page of an allowlisted database ({})",
                    page.title(),
                    self.allowlist()
                )));
            }
        };
        let schema = self.database_schema(database_id).await?;
        Ok(Inspection { page, schema })
    }

    async fn resolve_data_source(&self, database_id: NotionId) -> Result<NotionId, DriverError> {
        self.notion_ops()
            .resolve_data_source(database_id)
            .await
            .map_err(|e| database_error(database_id, e))
    }

    pub(crate) async fn database_schema(
        &self,
        database_id: NotionId,
    ) -> Result<DataSource, DriverError> {
        self.notion_ops()
            .retrieve_database_schema(database_id)
            .await
            .map_err(|e| database_error(database_id, e))
    }

    fn database_name(&self, database_id: NotionId) -> String {
        match self.allowlist().get(&database_id) {
            Some(entry) => format!("the database '{}' ({})", entry.name, entry.id),
            None => format!("the database '{database_id}'"),
        }
    }
}

fn database_error(database_id: NotionId, error: NotionError) -> DriverError {
    if matches!(error.kind(), ErrorKind::NotFound) {
        DriverError::Validation(format!(
            "The database {database_id} was not found or is not shared with the integration: share it with the integration in Notion (••• → Connections)"
        ))
    } else {
        error.into()
    }
}

fn not_in_database(page: &Page, database: &str) -> DriverError {
    DriverError::Validation(format!(
        "The page '{}' is not in {database}: pick a page of that database, or choose the page's own database",
        page.title()
    ))
}

fn parse_id(field: &'static str, text: &str) -> Result<NotionId, DriverError> {
    NotionId::parse(text.trim()).map_err(|e| DriverError::InvalidInput {
        field,
        message: format!("{e}; paste the Notion id (32 hex characters, a dashed UUID) or its URL"),
    })
}

fn or_default(value: &Option<String>, default: &str) -> String {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
        .to_owned()
}

pub(crate) fn link_from_request(
    database_id: NotionId,
    page_id: NotionId,
    request: &LinkRequest,
) -> Result<NotionLink, DriverError> {
    let mut link = NotionLink::new(database_id.to_string(), page_id.to_string());
    let mapping = &mut link.mapping;
    mapping.status.property.name =
        or_default(&request.status_property_name, DEFAULT_STATUS_PROPERTY_NAME);
    mapping.status.not_started = or_default(
        &request.status_value_not_started,
        DEFAULT_STATUS_VALUE_NOT_STARTED,
    );
    mapping.status.in_voting = or_default(
        &request.status_value_in_voting,
        DEFAULT_STATUS_VALUE_IN_VOTING,
    );
    mapping.status.done = or_default(&request.status_value_done, DEFAULT_STATUS_VALUE_DONE);
    mapping.results_link.name = or_default(
        &request.results_property_name,
        DEFAULT_RESULTS_PROPERTY_NAME,
    );
    mapping.title.property.name =
        or_default(&request.title_property_name, DEFAULT_TITLE_PROPERTY_NAME);
    mapping.description.property.name = or_default(
        &request.description_property_name,
        DEFAULT_DESCRIPTION_PROPERTY_NAME,
    );
    mapping.title.direction = direction("title_direction", &request.title_direction)?;
    mapping.description.direction =
        direction("description_direction", &request.description_direction)?;
    mapping.voting_window = voting_window(request)?;
    mapping.election_id = given(&request.election_id_property).map(PropertyRef::named);
    mapping.phase = given(&request.phase_property).map(|name| PhaseMapping {
        property: PropertyRef::named(name),
        upcoming: or_default(
            &request.phase_value_upcoming,
            DEFAULT_STATUS_VALUE_NOT_STARTED,
        ),
        open: or_default(&request.phase_value_open, DEFAULT_STATUS_VALUE_IN_VOTING),
        closed: or_default(&request.phase_value_closed, DEFAULT_STATUS_VALUE_DONE),
    });
    Ok(link)
}

/// A request's optional name, trimmed; `None` when absent or blank.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn direction(field: &'static str, value: &Option<String>) -> Result<TextDirection, DriverError> {
    match given(value) {
        None => Ok(TextDirection::Pull),
        Some(text) => TextDirection::parse(&text).ok_or_else(|| DriverError::InvalidInput {
            field,
            message: format!(
                "'{text}' is not a direction: give 'pull' (Notion's text replaces the election's) or 'push' (the election's text is written to the page)"
            ),
        }),
    }
}

/// The voting window a request maps: one Date range, or two Dates, or none.
fn voting_window(request: &LinkRequest) -> Result<Option<WindowMapping>, DriverError> {
    let range = given(&request.voting_window_property);
    let opens = given(&request.voting_opens_property);
    let closes = given(&request.voting_closes_property);
    let invalid = |field, message: &str| DriverError::InvalidInput {
        field,
        message: message.to_owned(),
    };
    match (range, opens, closes) {
        (None, None, None) => Ok(None),
        (Some(name), None, None) => Ok(Some(WindowMapping::Range {
            property: PropertyRef::named(name),
        })),
        (Some(_), _, _) => Err(invalid(
            "voting_window_property",
            "give either voting_window_property (one Date property with start and end) or voting_opens_property and voting_closes_property (two Date properties), not both",
        )),
        (None, Some(opens), Some(closes)) => Ok(Some(WindowMapping::Split {
            opens: PropertyRef::named(opens),
            closes: PropertyRef::named(closes),
        })),
        (None, Some(_), None) => Err(invalid(
            "voting_closes_property",
            "voting_opens_property needs voting_closes_property: name the Date property that receives close_at too",
        )),
        (None, None, Some(_)) => Err(invalid(
            "voting_opens_property",
            "voting_closes_property needs voting_opens_property: name the Date property that receives open_at too",
        )),
    }
}

/// The property rules of SPEC §3 (the engine's [`sync_engine::check_link`]) on the inspected
/// page's database: `Ok(warnings)` or the first blocking problem, worded for the admin.
pub(crate) fn check_link(
    inspection: &Inspection,
    link: &NotionLink,
) -> Result<Vec<String>, String> {
    sync_engine::check_link(&database_schema(&inspection.schema), link)
        .map(|warnings| warnings.iter().map(ToString::to_string).collect())
        .map_err(|problem| problem.to_string())
}
