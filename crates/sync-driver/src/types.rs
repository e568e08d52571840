//! Inputs and outputs of the driver's operations.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_client::NotionId;
use serde::{Deserialize, Serialize};
use store::{ElectionRecord, RunCounts};
use sync_engine::{ElectionId, SyncPlan, Trigger};
use uuid::Uuid;

use crate::Allowlist;

/// Default minimum interval between two scheduled syncs of one election (SPEC §4).
pub const DEFAULT_MIN_INTERVAL: SignedDuration = sync_engine::DEFAULT_MIN_INTERVAL;
/// Default period of the full reconcile of each database.
pub const DEFAULT_RECONCILE_EVERY: SignedDuration = SignedDuration::from_secs(3600);
/// Default lease time to live: a few cycles, so a dead runner's lease lapses quickly.
pub const DEFAULT_LEASE_TTL: SignedDuration = SignedDuration::from_secs(300);
/// Default margin of the change query: it starts at the minute floor of the previous query's
/// start minus this, which covers clock skew between this host and Notion and a short delay of
/// Notion's query index (see the cursor model in `cycle/read.rs`). At most 60 s, so that after a
/// bulk edit at most two following 60-second cycles re-read the edited pages.
pub const DEFAULT_CHANGE_OVERLAP: SignedDuration = SignedDuration::from_secs(60);
/// Default retention of the run history (runs and their logs): 7 days.
pub const DEFAULT_RUN_RETENTION: SignedDuration = SignedDuration::from_hours(24 * 7);
/// How often the daemon prunes the run history.
pub const PRUNE_EVERY: SignedDuration = SignedDuration::from_hours(1);
/// Default number of connections a cycle drives at the same time.
pub const DEFAULT_MAX_CONCURRENT_CONNECTIONS: usize = 16;
/// Default poll interval of the daemon.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// Default poll interval while webhooks are healthy ([`DriverConfig::poll_interval_with_webhooks`]).
pub const DEFAULT_POLL_INTERVAL_WITH_WEBHOOKS: Duration = Duration::from_secs(600);

/// Default window in which an event keeps webhooks healthy ([`DriverConfig::webhook_healthy_window`]).
pub const DEFAULT_WEBHOOK_HEALTHY_WINDOW: SignedDuration = SignedDuration::from_mins(30);

/// Default period of the daemon's look into the webhook inbox ([`DriverConfig::webhook_check_every`]).
pub const DEFAULT_WEBHOOK_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How a [`crate::SyncDriver`] behaves. Build with [`DriverConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The app's public base URL: results links are `{base_url}/e/{election_id}/results`.
    pub base_url: String,
    /// The databases that may be searched and linked: the allowlist of the default connection
    /// when the driver is built with [`crate::SyncDriver::new`] (a driver built from
    /// [`crate::Connections`] takes each connection's own).
    pub allowlist: Allowlist,
    /// Minimum interval between two scheduled syncs of one election (default 60 s).
    pub min_interval: SignedDuration,
    /// How often each database gets a full read instead of the change query (default 1 h).
    pub reconcile_every: SignedDuration,
    /// This driver's lease holder id, unique per process (default `sync-driver:<pid>:<uuid>`).
    pub holder: String,
    /// How long a lease lasts unless renewed (default 5 min).
    pub lease_ttl: SignedDuration,
    /// Margin for clock skew and Notion's index delay: a change query starts at the minute floor
    /// of (the previous query's start − this) (default 60 s).
    pub change_overlap: SignedDuration,
    /// How long runs and their logs are kept; the daemon deletes older ones hourly (default
    /// 7 days; `None` keeps everything).
    pub run_retention: Option<SignedDuration>,
    /// How many connections a cycle drives at the same time, each through its own client and
    /// pacer (default 16). Notion answers in 100-300 ms, so walking connections one after
    /// another would let one slow or rate-limited workspace hold up every other.
    pub max_concurrent_connections: usize,
    /// The daemon's poll interval while webhooks are healthy (see `webhook_healthy_window`):
    /// the change queries are then only the net for events Notion dropped (default 10 min).
    pub poll_interval_with_webhooks: Duration,
    /// Webhooks are healthy while a connection has an active verification token and an event
    /// arrived within this window (default 30 min).
    pub webhook_healthy_window: SignedDuration,
    /// How often the daemon looks into the webhook inbox between cycles (default 1 s; one
    /// indexed read when it is empty).
    pub webhook_check_every: Duration,
}

impl DriverConfig {
    /// A configuration with every default and a fresh holder id.
    pub fn new(base_url: impl Into<String>, allowlist: Allowlist) -> Self {
        Self {
            base_url: base_url.into(),
            allowlist,
            min_interval: DEFAULT_MIN_INTERVAL,
            reconcile_every: DEFAULT_RECONCILE_EVERY,
            holder: format!("sync-driver:{}:{}", std::process::id(), Uuid::new_v4()),
            lease_ttl: DEFAULT_LEASE_TTL,
            change_overlap: DEFAULT_CHANGE_OVERLAP,
            run_retention: Some(DEFAULT_RUN_RETENTION),
            max_concurrent_connections: DEFAULT_MAX_CONCURRENT_CONNECTIONS,
            poll_interval_with_webhooks: DEFAULT_POLL_INTERVAL_WITH_WEBHOOKS,
            webhook_healthy_window: DEFAULT_WEBHOOK_HEALTHY_WINDOW,
            webhook_check_every: DEFAULT_WEBHOOK_CHECK_EVERY,
        }
    }
}

/// A database a connection can see (Notion's search with its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisibleDatabase {
    /// The database.
    pub id: NotionId,
    /// Its title in Notion.
    pub title: String,
    /// Its address in Notion, when Notion gave one.
    pub url: Option<String>,
}

/// One page of a title search in an allowlisted database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageSearch {
    /// Up to 20 pages.
    pub pages: Vec<PageSummary>,
    /// Pass back as `cursor` for the next 20; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A page found by a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageSummary {
    /// The page id (canonical dashed form).
    pub id: NotionId,
    /// Its title, every segment joined (empty when untitled).
    pub title: String,
    /// Its Notion URL.
    pub url: String,
}

/// One property of a database's schema, as the link form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseProperty {
    /// Notion's property id (URL-encoded as Notion returns it; `title` for the title property).
    pub id: String,
    /// The property's name.
    pub name: String,
    /// Its type as Notion names it: `status`, `url`, `title`, `rich_text`, `date`, `select`, …
    pub property_type: String,
    /// The option names of a status, select or multi-select property, in Notion's order; empty
    /// for other types.
    pub options: Vec<String>,
}

/// The result of validating a page for linking: `valid`, or the first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageValidation {
    /// Whether the page can be linked.
    pub valid: bool,
    /// What is wrong and how to fix it, when not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Things that work but deserve attention (missing optional option, no results property).
    pub warnings: Vec<String>,
}

/// What to link an election to. Ids may be in any form a user pastes (dashed, 32 hex, URL);
/// `None` (or blank) property names and status values take the defaults of SPEC §3.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkRequest {
    /// The allowlisted database.
    pub database_id: String,
    /// The page in that database.
    pub page_id: String,
    /// Status-type property (default `Voting Status`).
    pub status_property_name: Option<String>,
    /// URL-type property for the results link (default `Results Link`).
    pub results_property_name: Option<String>,
    /// Title property (default `Name`).
    pub title_property_name: Option<String>,
    /// Description property (default `Description`).
    pub description_property_name: Option<String>,
    /// Option for upcoming elections (default `Not started`).
    pub status_value_not_started: Option<String>,
    /// Option for open elections (default `In Voting`).
    pub status_value_in_voting: Option<String>,
    /// Option for closed elections (default `Done`).
    pub status_value_done: Option<String>,
    /// One Date property receiving the voting window (start = open_at, end = close_at).
    pub voting_window_property: Option<String>,
    /// A Date property receiving open_at (with `voting_closes_property`, instead of a range).
    pub voting_opens_property: Option<String>,
    /// A Date property receiving close_at (with `voting_opens_property`).
    pub voting_closes_property: Option<String>,
    /// A rich-text property receiving the election's id.
    pub election_id_property: Option<String>,
    /// A Select property receiving the phase.
    pub phase_property: Option<String>,
    /// The phase select's option for upcoming elections (default `Not started`).
    pub phase_value_upcoming: Option<String>,
    /// The phase select's option for open elections (default `In Voting`).
    pub phase_value_open: Option<String>,
    /// The phase select's option for closed elections (default `Done`).
    pub phase_value_closed: Option<String>,
    /// `pull` (default: Notion's title replaces the election's) or `push` (the election's title
    /// is written to the page).
    pub title_direction: Option<String>,
    /// `pull` (default) or `push`, as `title_direction`, for the description.
    pub description_direction: Option<String>,
}

/// A successful link: the election with its new link, and warnings for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkOutcome {
    /// The election as stored after linking.
    pub record: ElectionRecord,
    /// The id of the link made.
    pub link_id: store::LinkId,
    /// Non-blocking problems (missing not-started option, no results property, …).
    pub warnings: Vec<String>,
}

/// Election fields a manual sync pulled from Notion (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncedFields {
    /// New title pulled from Notion.
    pub title: Option<String>,
    /// New description pulled from Notion.
    pub description: Option<String>,
}

/// Page properties a manual sync wrote to Notion (`None`: already right, not written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WrittenFields {
    /// The status option written.
    pub status: Option<String>,
    /// The results link written.
    pub results_link: Option<String>,
}

/// The result of [`crate::SyncDriver::sync_now`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualSync {
    /// What was pulled into the election.
    pub synced: SyncedFields,
    /// What was written to the page.
    pub written: WrittenFields,
    /// The plan that ran.
    pub plan: SyncPlan,
    /// The election as stored after the sync (last sync time, error, pulled fields).
    pub election: ElectionRecord,
}

/// How far a running cycle has got, as reported to a [`ProgressSink`]. Every field only grows
/// during a cycle; the last report's counters equal the [`CycleReport`]'s (`pages_read` =
/// `counts.read`, `elections_planned` = `counts.planned`, `writes_done` = `counts.written`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CycleProgress {
    /// Databases finished (read, planned, written and recorded).
    pub databases_done: u64,
    /// Databases with linked elections in this cycle.
    pub databases_total: u64,
    /// Pages Notion returned so far.
    pub pages_read: u64,
    /// Elections planned so far (synced, failed or skipped).
    pub elections_planned: u64,
    /// Linked elections the cycle looks at. A scheduled cycle plans only the due ones, so
    /// `elections_planned` may end below it; a reconcile (`backfill`) plans them all.
    pub elections_total: u64,
    /// Page updates sent and accepted so far.
    pub writes_done: u64,
    /// Page updates planned so far (a preview plans them and sends none).
    pub writes_planned: u64,
}

/// Where a cycle reports its [`CycleProgress`]: called on the cycle's task after each step
/// (elections loaded, a database read, an election planned, a database recorded), so it must be
/// quick (update a progress bar, send on a channel).
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(CycleProgress) + Send + Sync>);

impl ProgressSink {
    /// A sink calling `report` with each progress update.
    pub fn new(report: impl Fn(CycleProgress) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    /// Reports `progress`.
    pub fn report(&self, progress: CycleProgress) {
        (self.0)(progress);
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Two sinks are equal when they are the same sink (clones of one another).
impl PartialEq for ProgressSink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ProgressSink {}

/// What one cycle should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleOptions {
    /// Why it runs: `Scheduled` honours the interval and backoff; `Manual` and `Reconcile` sync
    /// every linked, unpaused election; `Reconcile` also reads every page.
    pub trigger: Trigger,
    /// Only this election.
    pub election: Option<ElectionId>,
    /// Plan only: read Notion but write nothing (not Notion, not the store, no run record).
    pub preview: bool,
    /// Force a full read of every database involved.
    pub reconcile: bool,
    /// Where to report progress while the cycle runs (default none).
    pub progress: Option<ProgressSink>,
    /// A poll (the interval's tick, `once`): a database none of whose elections is due for a
    /// sync is still asked for its edits (one query), so that a title or description changed
    /// in Notion is pulled now, whatever the minimum interval. A phase-change wake-up is not a
    /// poll: it reads only what it must.
    pub poll: bool,
    /// A cycle driven by webhook events ([`crate::SyncDriver::process_webhook_events`]): only
    /// the links these events name, each page read on its own, the change cursors left alone.
    pub webhook: Option<WebhookScope>,
}

/// What a batch of webhook events asks a cycle to touch (ids as Notion sends them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookScope {
    /// Pages to read again (one `GET /v1/pages/{id}` each): their links are synced when due,
    /// else have their title and description pulled.
    pub pages: BTreeSet<Uuid>,
    /// Pages last seen deleted: their links are marked broken, with no request.
    pub deleted: BTreeSet<Uuid>,
    /// Databases (or data sources) whose schema changed: read in full with their schema, so a
    /// renamed or removed property or status option is reported now.
    pub databases: BTreeSet<Uuid>,
}

impl WebhookScope {
    /// Whether the scope names `id` (a stored Notion id) in `set`.
    pub(crate) fn names(set: &BTreeSet<Uuid>, id: &str) -> bool {
        NotionId::parse(id).is_ok_and(|id| set.contains(&Uuid::from(id)))
    }

    /// The store's filter for the links in scope: those on a named page (read again or
    /// deleted) or on a database whose schema changed.
    pub(crate) fn link_scope(&self) -> store::LinkScope {
        let canonical = |id: &Uuid| NotionId::from(*id).to_string();
        store::LinkScope {
            pages: self
                .pages
                .iter()
                .chain(&self.deleted)
                .map(canonical)
                .collect(),
            databases: self.databases.iter().map(canonical).collect(),
        }
    }
}

impl CycleOptions {
    /// A scheduled cycle over everything: a poll.
    pub fn scheduled() -> Self {
        Self {
            trigger: Trigger::Scheduled,
            election: None,
            preview: false,
            reconcile: false,
            progress: None,
            poll: true,
            webhook: None,
        }
    }

    /// A scheduled cycle woken by a phase change (or the end of a backoff) between two polls:
    /// it syncs what is due and leaves the databases with nothing due alone.
    pub fn wake_up() -> Self {
        Self {
            poll: false,
            ..Self::scheduled()
        }
    }

    /// A full reconcile of everything (`backfill`).
    pub fn reconcile() -> Self {
        Self {
            trigger: Trigger::Reconcile,
            reconcile: true,
            ..Self::scheduled()
        }
    }

    /// The same cycle, as a preview.
    pub fn preview(mut self) -> Self {
        self.preview = true;
        self
    }

    /// The same cycle, for one election.
    pub fn only(mut self, election: ElectionId) -> Self {
        self.election = Some(election);
        self
    }

    /// The same cycle, reporting its progress to `sink`.
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }
}

impl Default for CycleOptions {
    fn default() -> Self {
        Self::scheduled()
    }
}

/// What happened to one database in a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseReport {
    /// The database.
    pub database_id: String,
    /// Whether every page was read (reconcile) rather than the changes since the cursor.
    pub reconciled: bool,
    /// Whether the database was queried at all (a phase-change-only wake-up plans from the
    /// stored observations).
    pub queried: bool,
    /// Pages Notion returned.
    pub pages_read: u64,
    /// Database-level failure (query or schema read), recorded on each of its elections.
    pub error: Option<String>,
}

/// What a cycle did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    /// The run record (`None` for a preview).
    pub run_id: Option<Uuid>,
    /// Why it ran.
    pub trigger: Trigger,
    /// Whether it was a preview.
    pub preview: bool,
    /// The cycle's `now`.
    pub started_at: Timestamp,
    /// Counters, as recorded with the run.
    pub counts: RunCounts,
    /// Every plan made, in database then election order.
    pub plans: Vec<SyncPlan>,
    /// Per database.
    pub databases: Vec<DatabaseReport>,
    /// Elections not synced, with why (write lease held by a manual sync, record superseded).
    pub skipped: Vec<(ElectionId, String)>,
    /// Cycle-level error text, also stored on the run (e.g. a batch that failed to commit).
    pub error: Option<String>,
    /// When Notion's rate limit stopped the cycle early: the instant its penalty ends (whole
    /// seconds, rounded up). No request should be made before it; the daemon sleeps until then.
    /// The run's error starts with "rate limited by Notion until …".
    pub rate_limited_until: Option<Timestamp>,
}

/// How the daemon runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonOptions {
    /// Poll interval (default 60 s). The daemon also wakes at each phase change.
    pub interval: Duration,
    /// Full reconcile period per database (default: the driver's `reconcile_every`).
    pub reconcile_every: Option<SignedDuration>,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        Self {
            interval: DEFAULT_POLL_INTERVAL,
            reconcile_every: None,
        }
    }
}
