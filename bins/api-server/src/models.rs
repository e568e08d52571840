//! The JSON bodies of the API (requests and responses), with their OpenAPI schemas.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::{ElectionRecord, LinkRecord};
use utoipa::{IntoParams, ToSchema};

use crate::extract::Instant;

/// Where an election stands now (derived from its times with the server clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhaseJson {
    /// Before `open_at`.
    Upcoming,
    /// From `open_at` until `close_at`.
    Open,
    /// From `close_at` on.
    Closed,
}

impl From<sync_engine::Phase> for PhaseJson {
    fn from(phase: sync_engine::Phase) -> Self {
        match phase {
            sync_engine::Phase::Upcoming => Self::Upcoming,
            sync_engine::Phase::Open => Self::Open,
            sync_engine::Phase::Closed => Self::Closed,
        }
    }
}

/// An election with its derived phase, its primary Notion link (every field `null` when unlinked)
/// with that link's sync state, and all its links.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ElectionJson {
    /// Stable id, e.g. `elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e`.
    #[schema(example = "elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e")]
    pub id: String,
    /// Title (never empty).
    pub title: String,
    /// Description (may be empty).
    pub description: String,
    /// When voting opens (RFC 3339, UTC).
    #[serde(serialize_with = "crate::time::serialize")]
    pub open_at: Timestamp,
    /// When voting closes (RFC 3339, UTC).
    #[serde(serialize_with = "crate::time::serialize")]
    pub close_at: Timestamp,
    /// The phase now.
    pub phase: PhaseJson,
    /// When the election was created.
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: Timestamp,
    /// When the election was last changed.
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: Timestamp,
    /// Whether syncing this election is paused.
    pub paused: bool,
    /// Allowlisted database the linked page lives in.
    pub notion_database_id: Option<String>,
    /// The linked page.
    pub notion_page_id: Option<String>,
    /// The page URL, for display.
    pub notion_page_url: Option<String>,
    /// The Status-type property the sync writes.
    pub notion_status_property_name: Option<String>,
    /// Status option for upcoming elections.
    pub notion_status_value_not_started: Option<String>,
    /// Status option for open elections.
    pub notion_status_value_in_voting: Option<String>,
    /// Status option for closed elections.
    pub notion_status_value_done: Option<String>,
    /// URL-type property that receives the results link.
    pub notion_results_property_name: Option<String>,
    /// Property the title is pulled from.
    pub notion_title_property_name: Option<String>,
    /// Property the description is pulled from.
    pub notion_description_property_name: Option<String>,
    /// The link's whole field mapping: each mapped property as `{id, name}` (Notion's property id,
    /// stable through renames, and its current name), `status` with its three options,
    /// `results_link`, `title` and `description` with their `direction` (`pull` / `push`), and the
    /// optional `voting_window` (`{"kind": "range", "property"}` or `{"kind": "split", "opens",
    /// "closes"}`), `election_id` and `phase`. `null` when unlinked.
    #[schema(value_type = Option<Object>)]
    pub notion_mapping: Option<serde_json::Value>,
    /// Last successful sync.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_last_sync_at: Option<Timestamp>,
    /// Last sync error, cleared by the next success.
    pub notion_last_sync_error: Option<String>,
    /// When "Done" was first written for the current closed phase.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_done_set_at: Option<Timestamp>,
    /// The page was trashed, deleted or unshared: the link needs an admin.
    pub notion_link_broken: bool,
    /// The status option on the Notion page when it was last read (with the sync's own writes
    /// applied): what Notion shows, as of `notion_observed_at`. `null` when unlinked, not read yet
    /// or the status is empty. It may differ from `notion_status_desired` while a phase change or
    /// a failed write waits for the next sync, or after someone changed the page in Notion.
    #[schema(example = "Not started")]
    pub notion_status_current: Option<String>,
    /// The results link on the Notion page when it was last read, as of `notion_observed_at`;
    /// `null` when unlinked, not read yet or empty.
    pub notion_results_link_current: Option<String>,
    /// When the Notion page was last read (by a link, a sync or a cycle); `null` when unlinked or
    /// not read yet.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_observed_at: Option<Timestamp>,
    /// The status option the sync keeps the page at for the current phase: what the next sync
    /// writes if the page shows something else. `null` when unlinked, or when the election is
    /// upcoming and the status property has no not-started option (no status is written then).
    #[schema(example = "In Voting")]
    pub notion_status_desired: Option<String>,
    /// When failing: the earliest instant the scheduled sync tries again (backoff; "Sync with
    /// Notion" does not wait for it). `null` when the last sync succeeded or when unlinked.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_next_attempt_at: Option<Timestamp>,
    /// Every link of the election, the primary first, then oldest first (empty when unlinked).
    /// The `notion_*` fields above are the primary link's.
    pub notion_links: Vec<LinkJson>,
}

impl ElectionJson {
    /// The JSON view of a stored election at `now`: the `notion_*` fields are its primary
    /// link's, and `notion_links` lists every link.
    pub fn from_record(record: &ElectionRecord, now: Timestamp) -> Self {
        let e = &record.election;
        let links: Vec<LinkJson> = record
            .links
            .iter()
            .map(|l| LinkJson::from_link(e, l, now))
            .collect();
        let primary = links.iter().find(|l| l.primary).or(links.first());
        let field = |f: fn(&LinkJson) -> &String| primary.map(|l| f(l).clone());
        Self {
            id: e.id.to_string(),
            title: e.title.clone(),
            description: e.description.clone(),
            open_at: e.open_at,
            close_at: e.close_at,
            phase: e.phase(now).into(),
            created_at: e.created_at,
            updated_at: e.updated_at,
            paused: record.paused_at.is_some(),
            notion_database_id: field(|l| &l.notion_database_id),
            notion_page_id: field(|l| &l.notion_page_id),
            notion_page_url: primary.and_then(|l| l.notion_page_url.clone()),
            notion_status_property_name: field(|l| &l.notion_status_property_name),
            notion_status_value_not_started: field(|l| &l.notion_status_value_not_started),
            notion_status_value_in_voting: field(|l| &l.notion_status_value_in_voting),
            notion_status_value_done: field(|l| &l.notion_status_value_done),
            notion_results_property_name: field(|l| &l.notion_results_property_name),
            notion_title_property_name: field(|l| &l.notion_title_property_name),
            notion_description_property_name: field(|l| &l.notion_description_property_name),
            notion_mapping: primary.map(|l| l.notion_mapping.clone()),
            notion_last_sync_at: primary.and_then(|l| l.notion_last_sync_at),
            notion_last_sync_error: primary.and_then(|l| l.notion_last_sync_error.clone()),
            notion_done_set_at: primary.and_then(|l| l.notion_done_set_at),
            notion_link_broken: primary.is_some_and(|l| l.notion_link_broken),
            notion_status_current: primary.and_then(|l| l.notion_status_current.clone()),
            notion_results_link_current: primary
                .and_then(|l| l.notion_results_link_current.clone()),
            notion_observed_at: primary.and_then(|l| l.notion_observed_at),
            notion_status_desired: primary.and_then(|l| l.notion_status_desired.clone()),
            notion_next_attempt_at: primary.and_then(|l| l.notion_next_attempt_at),
            notion_links: links,
        }
    }
}

/// One link of an election to a Notion page, with its field mapping and its own sync state (an
/// election has zero or more; the singular routes act on the primary one).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkJson {
    /// The link's id (`lnk_` and 32 hex digits), for `DELETE …/notion/links/{link_id}`.
    #[schema(example = "lnk_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e")]
    pub id: String,
    /// Whether this is the election's primary link: the one the singular routes
    /// (`…/notion/link`, `…/notion/sync`) and the election's `notion_*` fields show.
    pub primary: bool,
    /// When the link was made.
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: Timestamp,
    /// Allowlisted database the page lives in.
    pub notion_database_id: String,
    /// The linked page.
    pub notion_page_id: String,
    /// The page URL, for display.
    pub notion_page_url: Option<String>,
    /// The Status-type property the sync writes.
    pub notion_status_property_name: String,
    /// Status option for upcoming elections.
    pub notion_status_value_not_started: String,
    /// Status option for open elections.
    pub notion_status_value_in_voting: String,
    /// Status option for closed elections.
    pub notion_status_value_done: String,
    /// URL-type property that receives the results link.
    pub notion_results_property_name: String,
    /// Property the title is pulled from (or pushed to).
    pub notion_title_property_name: String,
    /// Property the description is pulled from (or pushed to).
    pub notion_description_property_name: String,
    /// The whole field mapping, as in the election's `notion_mapping`.
    #[schema(value_type = Object)]
    pub notion_mapping: serde_json::Value,
    /// Last successful sync of this link.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_last_sync_at: Option<Timestamp>,
    /// Last sync error of this link, cleared by its next success.
    pub notion_last_sync_error: Option<String>,
    /// When "Done" was first written to this page for the current closed phase.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_done_set_at: Option<Timestamp>,
    /// The page was trashed, deleted or unshared: this link needs an admin.
    pub notion_link_broken: bool,
    /// The status option on the page when it was last read (see the election's field).
    pub notion_status_current: Option<String>,
    /// The results link on the page when it was last read.
    pub notion_results_link_current: Option<String>,
    /// When the page was last read.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_observed_at: Option<Timestamp>,
    /// The status option the sync keeps this page at for the current phase.
    pub notion_status_desired: Option<String>,
    /// When failing: the earliest instant the scheduled sync tries this link again.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub notion_next_attempt_at: Option<Timestamp>,
}

impl LinkJson {
    /// The JSON view of one link of `election` at `now`.
    pub fn from_link(
        election: &sync_engine::Election,
        record: &LinkRecord,
        now: Timestamp,
    ) -> Self {
        let link = &record.link;
        let mapping = &link.mapping;
        let sync = &record.state;
        let observation = sync.last_observation.as_ref();
        Self {
            id: record.id.to_string(),
            primary: record.primary,
            created_at: record.created_at,
            notion_database_id: link.notion_database_id.clone(),
            notion_page_id: link.notion_page_id.clone(),
            notion_page_url: link.notion_page_url.clone(),
            notion_status_property_name: mapping.status.property.name.clone(),
            notion_status_value_not_started: mapping.status.not_started.clone(),
            notion_status_value_in_voting: mapping.status.in_voting.clone(),
            notion_status_value_done: mapping.status.done.clone(),
            notion_results_property_name: mapping.results_link.name.clone(),
            notion_title_property_name: mapping.title.property.name.clone(),
            notion_description_property_name: mapping.description.property.name.clone(),
            notion_mapping: serde_json::to_value(mapping).unwrap_or_default(),
            notion_last_sync_at: sync.notion_last_sync_at,
            notion_last_sync_error: sync.notion_last_sync_error.clone(),
            notion_done_set_at: sync.notion_done_set_at,
            notion_link_broken: sync.link_broken,
            notion_status_current: observation
                .and_then(|o| o.status(mapping))
                .map(str::to_owned),
            notion_results_link_current: observation
                .and_then(|o| o.results_link(mapping))
                .map(str::to_owned),
            notion_observed_at: observation.map(|o| o.observed_at),
            notion_status_desired: sync_engine::desired_status(election, link, observation, now)
                .map(str::to_owned),
            notion_next_attempt_at: Some(sync)
                .filter(|s| s.consecutive_failures > 0)
                .and_then(|s| s.next_attempt_at),
        }
    }
}

/// `POST /admin/elections`. Unknown fields are refused (400 naming the field).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Board election 2026",
    "description": "Elect the board.",
    "open_at": "2026-03-01T09:00:00Z",
    "close_at": "2026-03-08T09:00:00Z"
}))]
pub struct CreateElectionRequest {
    /// Title: not empty, and not only whitespace (a whitespace-only title is refused with 400).
    #[schema(min_length = 1, example = "Board election 2026")]
    pub title: String,
    /// Description (`null` or omitted: empty).
    #[serde(default)]
    pub description: Option<String>,
    /// When voting opens: RFC 3339 with an offset, or integer Unix seconds.
    pub open_at: Instant,
    /// When voting closes: RFC 3339 with an offset, or integer Unix seconds. Must be strictly
    /// after `open_at` (else 400 naming `close_at`).
    pub close_at: Instant,
}

/// `PATCH /admin/elections/{id}`: only the fields present (and not `null`) change; the result
/// must still have a title and `close_at` strictly after `open_at` (else 400 naming the field).
/// Unknown fields are refused (400 naming the field).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Board election 2026 (rescheduled)", "close_at": 1_893_456_000}))]
pub struct UpdateElectionRequest {
    /// New title: not empty, and not only whitespace (a whitespace-only title is refused with 400).
    #[serde(default)]
    #[schema(min_length = 1)]
    pub title: Option<String>,
    /// New description (`""` empties it).
    #[serde(default)]
    pub description: Option<String>,
    /// New opening instant: RFC 3339 with an offset, or integer Unix seconds. Moving it changes
    /// the phase; the sync follows.
    #[serde(default)]
    pub open_at: Option<Instant>,
    /// New closing instant: RFC 3339 with an offset, or integer Unix seconds; must end up strictly
    /// after `open_at`. Moving it earlier closes the election early.
    #[serde(default)]
    pub close_at: Option<Instant>,
}

/// A response carrying one election.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElectionResponse {
    /// Always `true`.
    pub success: bool,
    /// The election.
    pub election: ElectionJson,
}

/// A page of elections.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElectionListResponse {
    /// Always `true`.
    pub success: bool,
    /// The elections, oldest first.
    pub elections: Vec<ElectionJson>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A plain success.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessResponse {
    /// Always `true`.
    pub success: bool,
}

/// Paging parameters of list routes.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, an integer from 1 to 200 (omitted: 50); anything else, `limit=` included, is a
    /// 400.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<String>,
    /// Opaque: the `next_cursor` of the previous page, unchanged (omitted or empty: the first
    /// page). A cursor this API did not return is a 400.
    pub cursor: Option<String>,
}

/// Parameters of `GET /admin/sync/runs`: paging, and which runs.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// Page size, an integer from 1 to 200 (omitted: 50); anything else, `limit=` included, is a
    /// 400.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<String>,
    /// Opaque: the `next_cursor` of the previous page, unchanged (omitted or empty: the first
    /// page). A cursor this API did not return is a 400. Keep the same `activity` while paging.
    pub cursor: Option<String>,
    /// Which runs: `all` (omitted or empty: every run, idle cycles included) or `changes` (only
    /// the runs that read pages, wrote, pulled or failed something, failed as a whole, or are
    /// unfinished; not the idle cycles whose one change query found nothing). Anything else is a
    /// 400.
    #[param(value_type = Option<String>, pattern = "^(all|changes)$", example = "changes")]
    pub activity: Option<String>,
}

/// The path of the routes about one election.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ElectionPath {
    /// Election id: 1 to 100 characters among letters, digits, `_` and `-` (anything else is a
    /// 400; an unknown id is a 404).
    #[param(
        pattern = "^[A-Za-z0-9_-]{1,100}$",
        example = "elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e"
    )]
    pub id: String,
}

/// `/admin/elections/{id}/notion/links/{link_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkPath {
    /// Election id, as in `/admin/elections/{id}`.
    #[param(
        pattern = "^[A-Za-z0-9_-]{1,100}$",
        example = "elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e"
    )]
    pub id: String,
    /// Link id: `lnk_` and 32 lowercase hex digits, as the links listing shows (anything else is
    /// a 400; a link the election does not have is a 404).
    #[param(
        pattern = "^lnk_[0-9a-f]{32}$",
        example = "lnk_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e"
    )]
    pub link_id: String,
}

/// `GET /admin/elections/{id}/notion/links`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinksResponse {
    /// Always `true`.
    pub success: bool,
    /// The election's links, the primary first, then oldest first.
    pub links: Vec<LinkJson>,
}

/// `POST /admin/elections/{id}/notion/links`: the link added, and the election with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddLinkResponse {
    /// Always `true`.
    pub success: bool,
    /// The new link.
    pub link: LinkJson,
    /// The election with all its links.
    pub election: ElectionJson,
    /// Non-blocking problems (missing "Not started" option, no results property, …).
    pub warnings: Vec<String>,
}

/// The path of `GET /admin/sync/runs/{id}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RunPath {
    /// Run id, a UUID as listed by `GET /admin/sync/runs` (anything else is a 400; an unknown
    /// run is a 404).
    #[param(format = "uuid", example = "0196f6a9-c1c9-7d8a-9b3e-2f4a5b6c7d8e")]
    pub id: String,
}

/// The path of `GET /admin/notion/databases/{databaseId}/pages`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DatabasePath {
    /// Database id: a dashed UUID, 32 hex characters, or the database's Notion URL (whose path
    /// ends with the 32 hex characters); anything else is a 400.
    #[serde(rename = "databaseId")]
    #[param(min_length = 1, example = "d0000000-0000-4000-8000-000000000001")]
    pub database_id: String,
}

/// The path of `GET /admin/notion/pages/{pageId}/validate`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PagePath {
    /// Page id: a dashed UUID, 32 hex characters, or the page's Notion URL (whose path ends with
    /// the 32 hex characters, or whose `p` query parameter is the id); anything else is a 400.
    #[serde(rename = "pageId")]
    #[param(min_length = 1, example = "e0000000-0000-4000-8000-000000000001")]
    pub page_id: String,
}

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

/// `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyResponse {
    /// `ready`.
    #[schema(example = "ready")]
    pub status: String,
    /// Schema version of the store.
    pub schema_version: usize,
}

/// Counters of a sync run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunCountsJson {
    /// Pages read.
    pub read: u64,
    /// Elections planned.
    pub planned: u64,
    /// Page writes sent.
    pub written: u64,
    /// Elections updated from Notion.
    pub pulled: u64,
    /// Elections that failed.
    pub failed: u64,
    /// Notion requests made.
    pub notion_requests: u64,
}

/// One sync cycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunJson {
    /// Run id (UUID v7).
    pub id: String,
    /// Start.
    #[serde(serialize_with = "crate::time::serialize")]
    pub started_at: Timestamp,
    /// End; `null` while running (or if the runner died).
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub finished_at: Option<Timestamp>,
    /// `scheduled`, `manual` or `reconcile`.
    #[schema(example = "scheduled")]
    pub trigger: String,
    /// Which process ran it.
    pub holder: String,
    /// Counters.
    pub counts: RunCountsJson,
    /// Cycle-level error.
    pub error: Option<String>,
}

impl From<&store::SyncRun> for RunJson {
    fn from(run: &store::SyncRun) -> Self {
        Self {
            id: run.id.to_string(),
            started_at: run.started_at,
            finished_at: run.finished_at,
            trigger: run.trigger.as_str().to_owned(),
            holder: run.holder.clone(),
            counts: RunCountsJson {
                read: run.counts.read,
                planned: run.counts.planned,
                written: run.counts.written,
                pulled: run.counts.pulled,
                failed: run.counts.failed,
                notion_requests: run.counts.notion_requests,
            },
            error: run.error.clone(),
        }
    }
}

/// One entry of a run's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryJson {
    /// Order within the store.
    pub seq: i64,
    /// When it happened.
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: Timestamp,
    /// The election concerned.
    pub election_id: Option<String>,
    /// The page concerned.
    pub page_id: Option<String>,
    /// `read`, `wrote`, `pulled`, `no_change`, `failed` or `skipped`.
    #[schema(example = "wrote")]
    pub action: String,
    /// Details (e.g. the planned writes), any JSON.
    pub detail: Option<serde_json::Value>,
    /// Error text, for failures.
    pub error: Option<String>,
}

impl From<&store::LogEntry> for LogEntryJson {
    fn from(log: &store::LogEntry) -> Self {
        Self {
            seq: log.seq,
            at: log.entry.at,
            election_id: log.entry.election_id.as_ref().map(ToString::to_string),
            page_id: log.entry.page_id.clone(),
            action: log.entry.action.as_str().to_owned(),
            detail: log.entry.detail.clone(),
            error: log.entry.error.clone(),
        }
    }
}

/// A page of sync runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunListResponse {
    /// Always `true`.
    pub success: bool,
    /// The runs.
    pub runs: Vec<RunJson>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A sync run with its log.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunResponse {
    /// Always `true`.
    pub success: bool,
    /// The run.
    pub run: RunJson,
    /// Its log, oldest entry first.
    pub logs: Vec<LogEntryJson>,
}

/// An allowlisted Notion database.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseJson {
    /// Database id (canonical dashed UUID).
    pub id: String,
    /// Name from `NOTION_DATABASE_ALLOWLIST`, or the name it was allowed with on a connected
    /// workspace.
    pub name: String,
    /// The connected workspace's connection it is reached through; absent for the databases of
    /// `NOTION_DATABASE_ALLOWLIST` (the internal connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub connection_id: Option<String>,
    /// That workspace's name; absent for the internal connection's databases.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub workspace_name: Option<String>,
}

/// `GET /admin/notion/databases`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabasesResponse {
    /// Always `true`.
    pub success: bool,
    /// The allowlist, in the order configured, then the databases allowed on connected
    /// workspaces.
    pub databases: Vec<DatabaseJson>,
}

/// `GET /admin/notion/databases/{databaseId}/pages` query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageSearchQuery {
    /// Case-insensitive text the title must contain (trimmed); omitted or blank lists every page.
    #[param(example = "Board")]
    pub query: Option<String>,
    /// Opaque: the `next_cursor` of the previous answer, unchanged (omitted or empty: the first
    /// 20). A cursor Notion did not issue is a 400.
    pub cursor: Option<String>,
}

/// A Notion page found by a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageJson {
    /// Page id (canonical dashed UUID).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its Notion URL.
    pub url: String,
}

/// One page of search results (at most 20).
#[derive(Debug, Serialize, ToSchema)]
pub struct PageSearchResponse {
    /// Always `true`.
    pub success: bool,
    /// The pages, most recently edited first.
    pub pages: Vec<PageJson>,
    /// Pass as `cursor` for the next 20; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /admin/notion/pages/{pageId}/validate` query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidateQuery {
    /// The Status-type property to check (omitted or blank: `Voting Status`).
    #[param(example = "Voting Status")]
    pub property_name: Option<String>,
    /// The database the page is chosen from (a dashed UUID, 32 hex characters or its URL): the
    /// page is then read through that database's connection, as linking it would (needed for a
    /// database of a connected workspace). Omitted: the internal connection.
    pub database_id: Option<String>,
}

/// Whether a page can be linked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationResponse {
    /// Always `true`: the check itself succeeded (`valid` says whether the page passed).
    pub success: bool,
    /// `true` when the page can be linked.
    pub valid: bool,
    /// What is wrong and how to fix it, when not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error: Option<String>,
    /// Things that work but deserve attention (e.g. no "Not started" option).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// `POST /admin/elections/{id}/notion/link`. Ids may be a dashed UUID, 32 hex characters or the
/// Notion URL; property names and status values that are omitted, `null` or blank take their
/// defaults. Unknown fields are refused (400 naming the field).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequestJson {
    /// The allowlisted database: a dashed UUID, 32 hex characters, or its Notion URL (whose path
    /// ends with the 32 hex characters); anything else is a 400, a database not in
    /// `NOTION_DATABASE_ALLOWLIST` a 403.
    #[schema(min_length = 1, example = "d0000000-0000-4000-8000-000000000001")]
    pub database_id: String,
    /// The page in that database, in the same forms as `database_id`.
    #[schema(min_length = 1, example = "e0000000-0000-4000-8000-000000000001")]
    pub page_id: String,
    /// Status-type property (default `Voting Status`).
    #[serde(default)]
    pub status_property_name: Option<String>,
    /// URL-type property for the results link (default `Results Link`).
    #[serde(default)]
    pub results_property_name: Option<String>,
    /// Title property (default `Name`).
    #[serde(default)]
    pub title_property_name: Option<String>,
    /// Description property (default `Description`).
    #[serde(default)]
    pub description_property_name: Option<String>,
    /// Option for upcoming elections (default `Not started`).
    #[serde(default)]
    pub notion_status_value_not_started: Option<String>,
    /// Option for open elections (default `In Voting`).
    #[serde(default)]
    pub notion_status_value_in_voting: Option<String>,
    /// Option for closed elections (default `Done`).
    #[serde(default)]
    pub notion_status_value_done: Option<String>,
    /// Optional: one Date property that receives the voting window (start = `open_at`, end =
    /// `close_at`). Not together with `voting_opens_property` / `voting_closes_property`.
    #[serde(default)]
    pub voting_window_property: Option<String>,
    /// Optional: a Date property that receives `open_at` (with `voting_closes_property`).
    #[serde(default)]
    pub voting_opens_property: Option<String>,
    /// Optional: a Date property that receives `close_at` (with `voting_opens_property`).
    #[serde(default)]
    pub voting_closes_property: Option<String>,
    /// Optional: a Text (rich text) property that receives the election's id.
    #[serde(default)]
    pub election_id_property: Option<String>,
    /// Optional: a Select property that shows the phase (Notion creates a missing option).
    #[serde(default)]
    pub phase_property: Option<String>,
    /// The phase select's option for upcoming elections (default `Not started`).
    #[serde(default)]
    pub phase_value_upcoming: Option<String>,
    /// The phase select's option for open elections (default `In Voting`).
    #[serde(default)]
    pub phase_value_open: Option<String>,
    /// The phase select's option for closed elections (default `Done`).
    #[serde(default)]
    pub phase_value_closed: Option<String>,
    /// `pull` (default: the page's title replaces the election's) or `push` (the election's
    /// title is written to the page).
    #[serde(default)]
    #[schema(example = "pull")]
    pub title_direction: Option<String>,
    /// `pull` (default) or `push`, as `title_direction`, for the description.
    #[serde(default)]
    pub description_direction: Option<String>,
    /// `POST …/notion/links` only: make the new link the election's primary one (default
    /// `false`; an election's first link is always primary). The singular `…/notion/link`
    /// always sets the primary link and refuses `false`.
    #[serde(default)]
    pub primary: Option<bool>,
}

impl From<LinkRequestJson> for sync_driver::LinkRequest {
    fn from(json: LinkRequestJson) -> Self {
        Self {
            database_id: json.database_id,
            page_id: json.page_id,
            status_property_name: json.status_property_name,
            results_property_name: json.results_property_name,
            title_property_name: json.title_property_name,
            description_property_name: json.description_property_name,
            status_value_not_started: json.notion_status_value_not_started,
            status_value_in_voting: json.notion_status_value_in_voting,
            status_value_done: json.notion_status_value_done,
            voting_window_property: json.voting_window_property,
            voting_opens_property: json.voting_opens_property,
            voting_closes_property: json.voting_closes_property,
            election_id_property: json.election_id_property,
            phase_property: json.phase_property,
            phase_value_upcoming: json.phase_value_upcoming,
            phase_value_open: json.phase_value_open,
            phase_value_closed: json.phase_value_closed,
            title_direction: json.title_direction,
            description_direction: json.description_direction,
        }
    }
}

/// A link or unlink result.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResponse {
    /// Always `true`.
    pub success: bool,
    /// The election with its Notion fields.
    pub election: ElectionJson,
    /// Non-blocking problems (missing "Not started" option, no results property, …).
    pub warnings: Vec<String>,
}

/// The election's title and description after a manual sync.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncedJson {
    /// The title (pulled from Notion when it changed there).
    pub title: String,
    /// The description (pulled from Notion when it changed there).
    pub description: String,
    /// Whether the title was pulled from Notion by this sync.
    pub title_changed: bool,
    /// Whether the description was pulled from Notion by this sync.
    pub description_changed: bool,
}

/// What a manual sync wrote to the Notion page (`null`: already right, not written).
#[derive(Debug, Serialize, ToSchema)]
pub struct WrittenJson {
    /// The status option written.
    pub status: Option<String>,
    /// The results link written.
    pub results_link: Option<String>,
}

/// `POST /admin/elections/{id}/notion/sync`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResponse {
    /// Always `true`.
    pub success: bool,
    /// The election's title and description after the sync.
    pub synced: SyncedJson,
    /// What was written to Notion.
    pub written: WrittenJson,
    /// The election after the sync (last sync time, error).
    pub election: ElectionJson,
}

/// One property of a Notion database, for the link form's dropdowns.
#[derive(Debug, Serialize, ToSchema)]
pub struct PropertyJson {
    /// Notion's property id (URL-encoded as Notion returns it; `title` for the title property).
    #[schema(example = "a%3Bb")]
    pub id: String,
    /// The property's name.
    #[schema(example = "Voting Status")]
    pub name: String,
    /// Its type as Notion names it: `status`, `url`, `title`, `rich_text`, `date`, `select`, …
    #[serde(rename = "type")]
    #[schema(example = "status")]
    pub property_type: String,
    /// The option names of a status, select or multi-select property, in Notion's order; empty
    /// for other types.
    pub options: Vec<String>,
}

impl From<sync_driver::DatabaseProperty> for PropertyJson {
    fn from(property: sync_driver::DatabaseProperty) -> Self {
        Self {
            id: property.id,
            name: property.name,
            property_type: property.property_type,
            options: property.options,
        }
    }
}

/// `GET /admin/notion/databases/{databaseId}/properties`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PropertiesResponse {
    /// Always `true`.
    pub success: bool,
    /// The database's properties, sorted by name.
    pub properties: Vec<PropertyJson>,
}

// ----- Notion connections -----

/// A database allowed on a connection: on the internal connection an entry of
/// `NOTION_DATABASE_ALLOWLIST`, on an OAuth one a database an admin allowed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllowedDatabaseJson {
    /// Database id (canonical dashed UUID).
    pub id: String,
    /// Its name (from the allowlist, or its title when it was allowed).
    pub name: String,
    /// The admin who allowed it (`null` on the internal connection).
    pub allowed_by: Option<String>,
    /// When it was allowed (`null` on the internal connection).
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub allowed_at: Option<Timestamp>,
}

/// One Notion connection: the internal integration (`NOTION_API_KEY`) or a workspace connected
/// through OAuth. Never carries a token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionJson {
    /// `internal`, or `conn_` and 32 hex digits.
    #[schema(example = "conn_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e")]
    pub id: String,
    /// `internal` or `oauth`.
    #[schema(example = "oauth")]
    pub kind: String,
    /// Notion's workspace id, once known.
    pub workspace_id: Option<String>,
    /// The workspace's name.
    pub workspace_name: Option<String>,
    /// The workspace's icon (a URL or an emoji).
    pub workspace_icon: Option<String>,
    /// The bot (integration user) the connection acts as.
    pub bot_id: Option<String>,
    /// Who authorized it at Notion (Notion's `owner` object).
    #[schema(value_type = Option<Object>)]
    pub owner: Option<serde_json::Value>,
    /// `active`, `needs_reauthorization` (connect the workspace again: "Reconnect") or `revoked`.
    #[schema(example = "active")]
    pub state: String,
    /// Why it is not active, and what to do.
    pub state_reason: Option<String>,
    /// The admin who connected it.
    pub created_by: Option<String>,
    /// When it was made.
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: Timestamp,
    /// When its tokens or state last changed.
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: Timestamp,
    /// When its access token expires, if Notion said.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub access_expires_at: Option<Timestamp>,
    /// The databases that may be searched and linked through it.
    pub databases_allowed: Vec<AllowedDatabaseJson>,
    /// How many links (election ↔ page) go through it.
    pub links: u64,
    /// Its own request budget, requests per second (`null`: the server's default budget,
    /// `NOTION_MAX_RPM` / `NOTION_MAX_RPS`; always `null` for the internal connection, whose
    /// budget is that setting).
    #[schema(example = 2.5)]
    pub max_requests_per_second: Option<f64>,
}

/// `PATCH /admin/notion/connections/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionUpdateJson {
    /// The connection's own request budget in requests per second, above 0 and at most 100
    /// (Notion allows 3 a second on most plans, 10 on Business and Enterprise); `null` goes back
    /// to the server's default.
    #[schema(example = 10.0)]
    pub max_requests_per_second: Option<f64>,
}

/// `PATCH /admin/notion/connections/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionResponse {
    /// Always `true`.
    pub success: bool,
    /// The connection as it is now.
    pub connection: ConnectionJson,
}

/// `GET /admin/notion/connections`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionsResponse {
    /// Always `true`.
    pub success: bool,
    /// Whether "Connect a Notion workspace" is available (`NOTION_OAUTH_CLIENT_ID` and
    /// `NOTION_OAUTH_CLIENT_SECRET` are set).
    pub oauth_enabled: bool,
    /// The internal connection first, then the OAuth ones by when they were made.
    pub connections: Vec<ConnectionJson>,
}

/// `POST /admin/notion/connections`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectResponse {
    /// Always `true`.
    pub success: bool,
    /// Where to send the admin's browser: Notion's consent page, with a single-use `state`
    /// valid for 10 minutes.
    #[schema(
        example = "https://api.notion.com/v1/oauth/authorize?client_id=…&response_type=code&owner=user&redirect_uri=…&state=…"
    )]
    pub authorize_url: String,
}

/// `DELETE /admin/notion/connections/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisconnectResponse {
    /// Always `true`: the connection is gone.
    pub success: bool,
    /// Whether Notion confirmed the revocation of its token.
    pub revoked: bool,
    /// Why Notion did not revoke it, when it did not (the connection is removed all the same).
    pub revoke_error: Option<String>,
    /// The links that went through it: they keep their fields and show "connection removed"
    /// until relinked.
    pub links: u64,
}

/// A database as a connection sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionDatabaseJson {
    /// Database id (canonical dashed UUID).
    pub id: String,
    /// Its title in Notion (or, when Notion no longer shows it, the name it was allowed with).
    pub name: String,
    /// Its Notion URL, when Notion shows it.
    pub url: Option<String>,
    /// Whether it may be searched and linked through this connection.
    pub allowed: bool,
    /// Whether the connection can still see it (`false`: allowed, but no longer shared).
    pub visible: bool,
    /// The admin who allowed it.
    pub allowed_by: Option<String>,
    /// When it was allowed.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub allowed_at: Option<Timestamp>,
}

/// `GET /admin/notion/connections/{id}/databases`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionDatabasesResponse {
    /// Always `true`.
    pub success: bool,
    /// The connection.
    pub connection_id: String,
    /// What it can see (by title), then the allowed databases it no longer sees.
    pub databases: Vec<ConnectionDatabaseJson>,
}

/// `PUT /admin/notion/connections/{id}/databases/{databaseId}` (optional body).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowDatabaseJson {
    /// The name to show (default: its title in Notion).
    pub name: Option<String>,
}

/// `PUT` / `DELETE /admin/notion/connections/{id}/databases/{databaseId}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllowDatabaseResponse {
    /// Always `true`.
    pub success: bool,
    /// The database and whether it is allowed now.
    pub database: ConnectionDatabaseJson,
}

/// The path of `/admin/notion/connections/{id}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectionPath {
    /// Connection id: `internal`, or `conn_` and 32 hex digits.
    #[param(min_length = 1, example = "conn_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e")]
    pub id: String,
}

/// The path of `/admin/notion/connections/{id}/databases/{databaseId}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectionDatabasePath {
    /// Connection id: `conn_` and 32 hex digits.
    #[param(min_length = 1, example = "conn_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e")]
    pub id: String,
    /// Database id: a dashed UUID, 32 hex characters, or the database's Notion URL.
    #[serde(rename = "databaseId")]
    #[param(min_length = 1, example = "d1000000-0000-4000-8000-000000000001")]
    pub database_id: String,
}

/// `GET /oauth/notion/callback`: what Notion sends the admin's browser back with.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OAuthCallbackQuery {
    /// The authorization code (after "Allow").
    pub code: Option<String>,
    /// The `state` this server minted when the admin started.
    pub state: Option<String>,
    /// `access_denied` when the admin cancelled.
    pub error: Option<String>,
}

// ----- Managed databases (issue 12) -----

/// How a database's pages come to show elections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseModeJson {
    /// An admin links each page by hand (the default).
    Linked,
    /// Every election gets a page there by itself, found by its key property or created.
    Managed,
}

/// What happens to a managed page when its election is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnElectionDeletedJson {
    /// The page stays; only its link goes (the default).
    Keep,
    /// The next clean backfill (`sync-runner backfill --database`) moves it to the trash.
    Trash,
}

/// `PATCH /admin/notion/databases/{databaseId}`: every field is optional and keeps its current
/// value (or the default, for a database never switched) when left out.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseUpdateJson {
    /// `managed` or `linked`.
    #[schema(example = "managed")]
    pub mode: Option<DatabaseModeJson>,
    /// The Text (rich text) property holding each page's election id (default `Election ID`);
    /// it must exist in the database when the mode is `managed`.
    #[schema(example = "Election ID", min_length = 1, max_length = 100)]
    pub key_property: Option<String>,
    /// Whether elections created before the switch get pages too (default `false`).
    pub include_existing: Option<bool>,
    /// `keep` (default) or `trash`.
    pub on_election_deleted: Option<OnElectionDeletedJson>,
    /// What a new page is created with (the key always): fields left out keep their value.
    pub written_at_creation: Option<WrittenAtCreationUpdateJson>,
}

/// What a managed database's new pages are created with, in `PATCH` (fields left out keep
/// their value).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrittenAtCreationUpdateJson {
    /// The election's title in the title property.
    pub title: Option<bool>,
    /// The election's description in the description property.
    pub description: Option<bool>,
    /// The voting window in its date property(ies), where the mapping has them.
    pub voting_window: Option<bool>,
    /// The status and the results link, as the sync would set them (otherwise the first sync
    /// writes them).
    pub status: Option<bool>,
}

/// What a managed database's new pages are created with (the key always).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WrittenAtCreationJson {
    /// The election's title.
    pub title: bool,
    /// The election's description.
    pub description: bool,
    /// The voting window.
    pub voting_window: bool,
    /// The status and the results link.
    pub status: bool,
}

/// What a pass over a managed database found and did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagedPassJson {
    /// `delta` (between backfills, only the elections changed) or `full` (a backfill).
    #[schema(example = "full")]
    pub kind: String,
    /// When it ran.
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: Timestamp,
    /// Whether it read everything it meant to (a backfill: up to the final page, no error).
    pub complete: bool,
    /// Pages with a key it saw.
    pub managed_pages: u64,
    /// Pages whose key names no election.
    pub orphans: u64,
    /// Pages beyond the first (the oldest is kept) that carry the same key.
    pub duplicates: u64,
    /// Pages it created.
    pub created: u64,
    /// Pages it found by key and linked.
    pub linked: u64,
    /// Pages it trashed.
    pub trashed: u64,
    /// Why the brake held the sweep back, when it did.
    pub halted: Option<String>,
}

impl From<&store::ManagedPassSummary> for ManagedPassJson {
    fn from(pass: &store::ManagedPassSummary) -> Self {
        Self {
            kind: match pass.kind {
                store::PassKindStored::Delta => "delta".into(),
                store::PassKindStored::Full => "full".into(),
            },
            at: pass.at,
            complete: pass.complete,
            managed_pages: pass.managed_pages,
            orphans: pass.orphans,
            duplicates: pass.duplicates,
            created: pass.created,
            linked: pass.linked,
            trashed: pass.trashed,
            halted: pass.halted.clone(),
        }
    }
}

/// A database's counts: its links from the store, the rest from the last backfill (`null`
/// until one ran: only a full pass sees every page).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatabaseCountsJson {
    /// Elections linked to a page of this database.
    pub linked_elections: u64,
    /// Pages with a key, as the last backfill saw them.
    pub managed_pages: Option<u64>,
    /// Pages whose key names no election, as the last backfill saw them.
    pub orphans: Option<u64>,
    /// Extra pages for a key already taken, as the last backfill saw them.
    pub duplicates: Option<u64>,
}

/// A database's mode, options and counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatabaseStateJson {
    /// Database id (canonical dashed UUID).
    #[schema(example = "d0000000-0000-4000-8000-000000000001")]
    pub id: String,
    /// The connection it is allowed on (`internal`, or `conn_…`).
    pub connection_id: String,
    /// `linked` or `managed`.
    pub mode: DatabaseModeJson,
    /// The Text property holding each page's election id.
    pub key_property: String,
    /// Whether elections created before the switch get pages too.
    pub include_existing: bool,
    /// `keep` or `trash`.
    pub on_election_deleted: OnElectionDeletedJson,
    /// What a new page is created with (the key always).
    pub written_at_creation: WrittenAtCreationJson,
    /// When it last became managed (`null` while it never was).
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub managed_since: Option<Timestamp>,
    /// Counts of its pages.
    pub counts: DatabaseCountsJson,
    /// The last pass of either kind (`null` until one ran).
    pub last_pass: Option<ManagedPassJson>,
    /// The last backfill (`null` until one ran).
    pub last_full_pass: Option<ManagedPassJson>,
}

/// `GET` and `PATCH /admin/notion/databases/{databaseId}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseStateResponse {
    /// Always `true`.
    pub success: bool,
    /// The database.
    pub database: DatabaseStateJson,
}
