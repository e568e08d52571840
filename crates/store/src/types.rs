//! Records the store reads and writes. Domain types come from `sync-engine`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sync_engine::{
    Election, ElectionId, ElectionUpdate, FieldMapping, NotionLink, Phase, SyncState, Trigger,
};
use uuid::Uuid;

/// Largest page size accepted by the list methods.
pub const MAX_PAGE_LIMIT: u32 = 1000;

/// A new election. `id: None` mints `elec_<uuid v7>` from `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewElection {
    /// Id to use (imports); `None` mints one.
    pub id: Option<ElectionId>,
    /// Non-empty title (stored trimmed).
    pub title: String,
    /// Description, may be empty.
    pub description: String,
    /// When voting opens.
    pub open_at: Timestamp,
    /// When voting closes, after `open_at`.
    pub close_at: Timestamp,
}

/// A partial update of an election: `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionPatch {
    /// New title.
    pub title: Option<String>,
    /// New description (`Some("")` empties it).
    pub description: Option<String>,
    /// New opening instant.
    pub open_at: Option<Timestamp>,
    /// New closing instant.
    pub close_at: Option<Timestamp>,
}

impl ElectionPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.open_at.is_none()
            && self.close_at.is_none()
    }
}

/// The id of one link between an election and a Notion page: `lnk_` and 32 lowercase hex
/// digits (a UUID v7 for links made since link records, random for links migrated into them).
/// Never reused: re-linking makes a new link.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LinkId(String);

impl LinkId {
    /// The prefix of every link id.
    pub const PREFIX: &'static str = "lnk_";

    /// Parses a link id, naming what is wrong with a malformed one.
    pub fn parse(text: impl Into<String>) -> Result<Self, InvalidLinkId> {
        let text = text.into();
        let well_formed = text
            .strip_prefix(Self::PREFIX)
            .is_some_and(crate::time::is_simple_uuid);
        if well_formed {
            Ok(Self(text))
        } else {
            Err(InvalidLinkId(text))
        }
    }

    /// Mints `lnk_<uuid v7>` from `now` (random bits from the OS; no clock read).
    pub fn mint(now: Timestamp) -> Self {
        Self(format!(
            "{}{}",
            Self::PREFIX,
            crate::time::uuid_v7(now).simple()
        ))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LinkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LinkId {
    type Error = InvalidLinkId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl From<LinkId> for String {
    fn from(id: LinkId) -> Self {
        id.0
    }
}

/// A link id that is not `lnk_` and 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a link id: link ids are 'lnk_' and 32 lowercase hex digits, as the links listing shows them"
)]
pub struct InvalidLinkId(pub String);

/// One link of an election to a Notion page, with its own mapping and sync state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// The link's id.
    pub id: LinkId,
    /// The Notion connection it reaches its page through (the one whose allowlist has its
    /// database when it was made; the internal connection for links made before connections).
    pub connection_id: crate::ConnectionId,
    /// Whether it is its election's primary link: the one the singular routes (`…/notion/link`,
    /// `…/notion/sync`) act on. An election with links has exactly one.
    pub primary: bool,
    /// When the link was made.
    pub created_at: Timestamp,
    /// The page and the field mapping.
    pub link: NotionLink,
    /// Its sync state (all empty until its first sync).
    pub state: SyncState,
}

/// An election with everything stored about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionRecord {
    /// The election.
    pub election: Election,
    /// Its links to Notion pages, the primary first, then oldest first; empty when unlinked.
    pub links: Vec<LinkRecord>,
    /// When syncing this election was paused; `None` when not paused.
    pub paused_at: Option<Timestamp>,
}

impl ElectionRecord {
    /// The primary link, if the election is linked.
    pub fn primary(&self) -> Option<&LinkRecord> {
        self.links.iter().find(|l| l.primary).or(self.links.first())
    }

    /// The primary link's page and mapping, if linked.
    pub fn link(&self) -> Option<&NotionLink> {
        self.primary().map(|l| &l.link)
    }

    /// The primary link's sync state; the empty state when unlinked.
    pub fn state(&self) -> SyncState {
        self.primary().map(|l| l.state.clone()).unwrap_or_default()
    }

    /// The link `id` of this election, if it has it.
    pub fn find_link(&self, id: &LinkId) -> Option<&LinkRecord> {
        self.links.iter().find(|l| &l.id == id)
    }
}

/// One link of an election with the election, ready for the planner: the unit the sync plans,
/// writes, leases and records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedElection {
    /// The election.
    pub election: Election,
    /// The link's id.
    pub link_id: LinkId,
    /// The Notion connection the link reaches its page through.
    pub connection_id: crate::ConnectionId,
    /// Whether it is the election's primary link.
    pub primary: bool,
    /// The link.
    pub link: NotionLink,
    /// The link's sync state.
    pub state: SyncState,
    /// Paused, by its election or globally.
    pub paused: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing<T> {
    /// The items, in listing order.
    pub items: Vec<T>,
    /// Opaque cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Which page of a listing to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRequest {
    /// Page size, 1 to [`MAX_PAGE_LIMIT`].
    pub limit: u32,
    /// Cursor from the previous page's `next_cursor`; `None` for the first page.
    pub cursor: Option<String>,
}

impl ListRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

/// Due-ness inputs for [`crate::SqliteStore::list_linked`]: keep only elections
/// [`sync_engine::is_due`] says are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueFilter {
    /// The instant of the cycle.
    pub now: Timestamp,
    /// Minimum interval between scheduled syncs.
    pub min_interval: jiff::SignedDuration,
    /// Why the cycle runs.
    pub trigger: Trigger,
}

/// Which linked elections to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkedFilter {
    /// Only this database.
    pub database_id: Option<String>,
    /// Only this election's links.
    pub election_id: Option<ElectionId>,
    /// Only this link.
    pub link_id: Option<LinkId>,
    /// Only due links.
    pub due: Option<DueFilter>,
    /// Include paused elections (for `status` displays); the runner leaves this `false`.
    pub include_paused: bool,
    /// Only links to one of these pages or on one of these databases (canonical ids), e.g. what
    /// a batch of webhook events named: looked up by index, not by loading every link.
    pub scope: Option<LinkScope>,
}

/// Pages and databases a [`LinkedFilter`] narrows to: a link is in scope when its page is one of
/// `pages` or its database one of `databases`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkScope {
    /// Page ids (canonical dashed UUIDs, as links store them).
    pub pages: Vec<String>,
    /// Database ids (canonical dashed UUIDs).
    pub databases: Vec<String>,
}

/// The result of one link's sync, to record: the next state, the pulled fields, and which link
/// and page the sync was for (a record for a link since removed is skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    /// The election.
    pub election_id: ElectionId,
    /// The link the plan was made for.
    pub link_id: LinkId,
    /// The page the plan was made for.
    pub page_id: String,
    /// The state to store (`plan.outcome.state` or `record_failure(..).state`).
    pub state: SyncState,
    /// Title/description pulled from Notion. Each field applies only if the election still has the
    /// value the plan saw (`from`), so an admin edit made meanwhile wins.
    pub election_update: Option<ElectionUpdate>,
    /// The link's mapping as the plan learnt it (`plan.mapping_update`: property ids, renames
    /// followed), stored with the state.
    pub mapping_update: Option<FieldMapping>,
}

/// Why a record of a batch was not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRecord {
    /// The election.
    pub election_id: ElectionId,
    /// The link.
    pub link_id: LinkId,
    /// Why (deleted, unlinked, re-linked).
    pub reason: String,
}

/// What [`crate::SqliteStore::commit_batch`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Elections whose outcome was recorded.
    pub recorded: Vec<ElectionId>,
    /// Elections whose outcome was dropped, with the reason.
    pub skipped: Vec<SkippedRecord>,
    /// Pulled fields not applied because the election changed meanwhile (`election_id`, field).
    pub pulls_superseded: Vec<(ElectionId, String)>,
}

/// Everything one batch of a cycle commits, in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncBatch {
    /// Per-election outcomes.
    pub records: Vec<SyncRecord>,
    /// Cursors to save.
    pub cursors: Vec<SyncCursor>,
    /// Log entries to append to `run_id`.
    pub logs: Vec<NewLogEntry>,
    /// The run the logs belong to (required when `logs` is not empty).
    pub run_id: Option<Uuid>,
}

/// Where a database's change query resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    /// The Notion database.
    pub database_id: String,
    /// Greatest `last_edited_time` already processed.
    pub last_edited_cursor: Option<Timestamp>,
    /// Last full reconcile of the database.
    pub last_full_reconcile_at: Option<Timestamp>,
    /// When the cursor was saved.
    pub updated_at: Timestamp,
}

/// Counters of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    /// UUID v7.
    pub id: Uuid,
    /// Start.
    pub started_at: Timestamp,
    /// End; `None` while running (or if the runner died).
    pub finished_at: Option<Timestamp>,
    /// Why it ran.
    pub trigger: Trigger,
    /// Which runner ran it.
    pub holder: String,
    /// Counters.
    pub counts: RunCounts,
    /// Cycle-level error, if the cycle as a whole failed.
    pub error: Option<String>,
}

impl SyncRun {
    /// Whether the run did something worth a look, as opposed to an idle cycle (one empty change
    /// query): it read pages, wrote, pulled or failed something, or failed as a whole (`error`),
    /// or it is unfinished (running now, or its runner died). The one definition of "changes";
    /// the store's SQL filter (`RunActivity::Changes`) is the same rule.
    pub fn has_changes(&self) -> bool {
        let c = self.counts;
        self.finished_at.is_none()
            || self.error.is_some()
            || c.read > 0
            || c.written > 0
            || c.pulled > 0
            || c.failed > 0
    }
}

/// Which runs [`crate::SqliteStore::list_runs_filtered`] lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunActivity {
    /// Every run, idle cycles included.
    #[default]
    All,
    /// Only the runs with changes (see [`SyncRun::has_changes`]): not the idle cycles.
    Changes,
}

impl RunActivity {
    /// Stable name (`all`, `changes`), as the CLI and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Changes => "changes",
        }
    }

    /// Parses [`Self::as_str`]'s names; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Self::All),
            "changes" => Some(Self::Changes),
            _ => None,
        }
    }
}

/// A filter on the run history, for [`crate::SqliteStore::list_runs_filtered`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunFilter {
    /// Every run, or only those with changes.
    pub activity: RunActivity,
}

/// What [`crate::SqliteStore::prune_runs`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrunedRuns {
    /// Runs deleted.
    pub runs: u64,
    /// Their log entries.
    pub logs: u64,
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogAction {
    /// Pages were read. Without an election: one database's summary of a cycle (`detail`: pages
    /// read, Notion requests, the change cursor before and after); older runs also logged one
    /// per election read.
    Read,
    /// A page was written.
    Wrote,
    /// Title/description pulled into the election.
    Pulled,
    /// Nothing to do (logged by manual syncs; cycles log only elections where something happened).
    NoChange,
    /// The election's sync failed.
    Failed,
    /// Not synced (paused, lease held elsewhere, not due).
    Skipped,
}

impl LogAction {
    /// Stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Wrote => "wrote",
            Self::Pulled => "pulled",
            Self::NoChange => "no_change",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "read" => Self::Read,
            "wrote" => Self::Wrote,
            "pulled" => Self::Pulled,
            "no_change" => Self::NoChange,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            _ => return None,
        })
    }
}

/// A log entry to append to a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLogEntry {
    /// When it happened.
    pub at: Timestamp,
    /// The election concerned.
    pub election_id: Option<ElectionId>,
    /// The page concerned.
    pub page_id: Option<String>,
    /// What happened.
    pub action: LogAction,
    /// Details as JSON (e.g. the plan).
    pub detail: Option<serde_json::Value>,
    /// Error text, for failures.
    pub error: Option<String>,
}

/// A stored log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Order within the store.
    pub seq: i64,
    /// The run.
    pub run_id: Uuid,
    /// The entry.
    #[serde(flatten)]
    pub entry: NewLogEntry,
}

/// A run and its log, oldest entry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunWithLogs {
    /// The run.
    pub run: SyncRun,
    /// Its entries.
    pub logs: Vec<LogEntry>,
}

/// What a lease guards. Each key is stored under a fixed name (the `leases` table's `name`), the
/// same since the first schema, so stores written before typed keys need no migration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LeaseKey {
    /// The sync as a whole (`sync:global`): one runner's cycles at a time. Claiming it over an
    /// expired lease of another holder also releases that holder's cycle election leases (see
    /// [`cycle_lease_holder`]).
    Global,
    /// One link's page writes (`sync:link:<id>`), so a manual sync and a cycle never both write
    /// its page. (Before link records, write leases were per election, `sync:election:<id>`; such
    /// a lease left in a store lapses by itself within its TTL.)
    Link(LinkId),
    /// One connection's token refresh (`connection:refresh:<id>`): Notion rotates refresh tokens,
    /// so two processes refreshing at once would leave one with a dead token; the holder
    /// refreshes, the others wait and read the new pair from the store.
    ConnectionRefresh(crate::ConnectionId),
    /// The creation of one election's page in one managed database
    /// (`managed:create:<database_id>:<election_id>`): the holder looks the key up and creates
    /// the page only while it holds this, so two runners never both create it.
    ManagedCreate {
        /// The managed database.
        database_id: String,
        /// The election.
        election_id: ElectionId,
    },
}

/// The stored name prefix of [`LeaseKey::Link`] leases.
pub(crate) const LINK_LEASE_PREFIX: &str = "sync:link:";

/// The stored name prefix of [`LeaseKey::ManagedCreate`] leases.
const MANAGED_LEASE_PREFIX: &str = "managed:create:";

/// The stored name prefix of [`LeaseKey::ConnectionRefresh`] leases.
const REFRESH_LEASE_PREFIX: &str = "connection:refresh:";

impl LeaseKey {
    /// The name the lease is stored under, e.g. `sync:global` or `sync:link:lnk_…`.
    pub fn name(&self) -> String {
        match self {
            Self::Global => "sync:global".to_owned(),
            Self::Link(id) => format!("{LINK_LEASE_PREFIX}{id}"),
            Self::ConnectionRefresh(id) => format!("{REFRESH_LEASE_PREFIX}{id}"),
            Self::ManagedCreate {
                database_id,
                election_id,
            } => format!("{MANAGED_LEASE_PREFIX}{database_id}:{election_id}"),
        }
    }

    /// The key stored under `name`, if it is one [`LeaseKey::name`] makes.
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "sync:global" {
            return Some(Self::Global);
        }
        if let Some(id) = name.strip_prefix(REFRESH_LEASE_PREFIX) {
            return crate::ConnectionId::parse(id)
                .ok()
                .map(Self::ConnectionRefresh);
        }
        if let Some(rest) = name.strip_prefix(MANAGED_LEASE_PREFIX) {
            let (database_id, election_id) = rest.rsplit_once(':')?;
            return ElectionId::parse(election_id)
                .ok()
                .map(|election_id| Self::ManagedCreate {
                    database_id: database_id.to_owned(),
                    election_id,
                });
        }
        let id = name.strip_prefix(LINK_LEASE_PREFIX)?;
        LinkId::parse(id).ok().map(Self::Link)
    }
}

impl std::fmt::Display for LeaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The holder a sync cycle of the runner `holder` takes [`LeaseKey::Link`] leases as
/// (`<holder>/cycle`). Distinct from the holder a manual sync uses (`holder` itself), so that a
/// runner claiming [`LeaseKey::Global`] over the expired lease of a dead `holder` releases that
/// holder's cycle write leases and never a manual sync's, and so that a cycle and a manual sync
/// of one process never both hold one election.
pub fn cycle_lease_holder(holder: &str) -> String {
    format!("{holder}/cycle")
}

/// A lease as stored: whoever holds an unexpired lease owns what its key stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The stored name of what is leased ([`LeaseKey::name`], e.g. `sync:global`).
    pub name: String,
    /// Who holds it (e.g. `host:pid:uuid`).
    pub holder: String,
    /// When the current holder first took it.
    pub acquired_at: Timestamp,
    /// When it lapses unless renewed.
    pub expires_at: Timestamp,
}

/// What a successful [`crate::Store::claim_lease`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseClaim {
    /// The lease, now held.
    pub lease: Lease,
    /// The holder whose expired lease was taken over, if it was another's (`None` when the lease
    /// was free, released, or already the claimer's).
    pub taken_from: Option<String>,
    /// Claiming [`LeaseKey::Global`] from another holder: that holder's cycle election leases,
    /// released with it (empty otherwise).
    pub released: Vec<LeaseKey>,
}

/// What to pause or resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PauseScope {
    /// Every election.
    All,
    /// One election.
    Election(ElectionId),
}

/// Pause flags as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseStatus {
    /// When everything was paused; `None` when not.
    pub global_paused_at: Option<Timestamp>,
    /// Elections paused one by one, with when.
    pub paused_elections: Vec<(ElectionId, Timestamp)>,
}

/// A phase change of a linked election, for the runner's wake-ups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    /// The election.
    pub election_id: ElectionId,
    /// The instant (`open_at` or `close_at`).
    pub at: Timestamp,
    /// The phase from that instant on.
    pub phase: Phase,
}
