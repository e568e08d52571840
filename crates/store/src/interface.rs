//! The store interface: what the sync driver and the binaries need from a store, whatever holds
//! the data. [`SqliteStore`](crate::SqliteStore) is its one implementation today; a backend is
//! added by implementing [`Store`] and passing the contract tests (`crates/store/tests/contract`).

use std::sync::Arc;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use sync_engine::{ElectionId, NotionLink, PageObservation, Trigger};
use uuid::Uuid;

use crate::{
    ActivityEntry, AllowedDatabase, BatchReport, ConnectionId, ConnectionRecord, ConnectionState,
    DemoClaim, ElectionPatch, ElectionRecord, Lease, LeaseClaim, LeaseKey, LinkId, LinkRecord,
    LinkedElection, LinkedFilter, ListRequest, Listing, ManagedDatabase, ManagedPassSummary,
    ManagedSettings, NewElection, NewLogEntry, NewOAuthConnection, OAuthStateRecord, PauseScope,
    PauseStatus, PhaseChange, PrunedRuns, Result, RunCounts, RunFilter, RunHistory, RunWithLogs,
    SealedToken, StoreHealth, SyncBatch, SyncCursor, SyncHealth, SyncRecord, SyncRun,
};
use crate::{
    EventReceipt, NewWebhookEvent, StoredWebhookEvent, WebhookHealth, WebhookOutcome, WebhookToken,
    WebhookTokens,
};

/// A store shared by everything in a process: the driver, the api-server's handlers, the
/// sync-runner's commands. Opened by [`crate::open_store`].
pub type SharedStore = Arc<dyn Store>;

/// Elections with their Notion links and each link's sync state, change cursors, sync runs and their logs,
/// pauses, leases, and what the admin pages and probes read.
///
/// Every method is async and its future is `Send`, so a [`SharedStore`] can be used from any task;
/// none blocks the runtime (an implementation on a synchronous engine runs its calls on a
/// blocking pool). Every write is one transaction, all or nothing. No method reads the clock:
/// what stamps time takes `now`. Errors are [`StoreError`](crate::StoreError)s whose
/// [`kind`](crate::StoreError::kind) says, whatever the backend, what failed and whether a retry
/// can help ([`StoreErrorKind::is_retryable`](crate::StoreErrorKind::is_retryable)); callers
/// need nothing else from them. Several processes may use one store at once.
#[async_trait]
pub trait Store: std::fmt::Debug + Send + Sync + 'static {
    // Elections.

    /// Creates an election. `new.id: None` mints `elec_<uuid v7>` from `now`. Errors: `Invalid`
    /// (empty title, close not after open), `Conflict` (id taken).
    async fn create_election(&self, new: NewElection, now: Timestamp) -> Result<ElectionRecord>;

    /// One election with its link and sync state. Errors: `NotFound`.
    async fn get_election(&self, id: &ElectionId) -> Result<ElectionRecord>;

    /// Elections by id (minted ids sort by creation time), `page.limit` at a time. Errors:
    /// `Invalid` (limit, cursor).
    async fn list_elections(&self, page: &ListRequest) -> Result<Listing<ElectionRecord>>;

    /// Applies a partial update; the merged election must still be valid. An empty patch changes
    /// nothing (not even `updated_at`). Errors: `NotFound`, `Invalid`.
    async fn update_election(
        &self,
        id: &ElectionId,
        patch: &ElectionPatch,
        now: Timestamp,
    ) -> Result<ElectionRecord>;

    /// Deletes an election (never touches Notion). Errors: `NotFound`.
    async fn delete_election(&self, id: &ElectionId) -> Result<()>;

    // Links.

    /// Links an election to a Notion page as its primary link (what the singular routes act
    /// on), replacing the primary link it had, with its sync state; its other links stay.
    /// Errors: `NotFound`, `Invalid` (an empty id or property name), `Conflict` (another
    /// election, or another link of this one, uses that page: one page, one election).
    async fn set_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        now: Timestamp,
    ) -> Result<ElectionRecord>;

    /// Adds a link of an election to another Notion page, with an empty sync state; it is the
    /// primary link when `primary` is set or it is the election's first. Errors: as
    /// [`Store::set_link`].
    async fn add_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        primary: bool,
        now: Timestamp,
    ) -> Result<LinkRecord>;

    /// Makes `link_id` its election's primary link. Errors: `NotFound` (the election, or a link
    /// it does not have).
    async fn make_primary(
        &self,
        id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord>;

    /// Removes one link and its sync state (never touches the page); when it was the primary,
    /// the oldest remaining link becomes primary. Errors: `NotFound` (the election, or a link it
    /// does not have).
    async fn remove_link(
        &self,
        id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord>;

    /// Removes the primary link and its sync state (never touches the page), as
    /// [`Store::remove_link`] does; a no-op when unlinked. Errors: `NotFound`.
    async fn clear_link(&self, id: &ElectionId, now: Timestamp) -> Result<ElectionRecord>;

    /// The election linked to the Notion page `page_id` (canonical id), if any.
    async fn election_linked_to(&self, page_id: &str) -> Result<Option<ElectionId>>;

    /// An election's primary link, for a manual sync. Errors: `NotFound`, `Conflict` (not
    /// linked).
    async fn get_linked(&self, id: &ElectionId) -> Result<LinkedElection>;

    /// One link with its election and sync state, paused or not. Errors: `NotFound` (no such
    /// link).
    async fn get_link(&self, link_id: &LinkId) -> Result<LinkedElection> {
        let filter = LinkedFilter {
            link_id: Some(link_id.clone()),
            include_paused: true,
            ..LinkedFilter::default()
        };
        self.list_linked(&filter)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| crate::StoreError::NotFound {
                what: "link",
                id: link_id.to_string(),
            })
    }

    /// Links with their election and sync state, by database, election, then the election's
    /// link order (primary first), as `filter` says. With a
    /// [`DueFilter`](crate::DueFilter), exactly those [`sync_engine::is_due`] accepts.
    async fn list_linked(&self, filter: &LinkedFilter) -> Result<Vec<LinkedElection>>;

    // Observations and sync records.

    /// Stores a fresh observation of a link's page. Errors: `NotFound` (unknown link).
    async fn save_observation(&self, id: &LinkId, observation: &PageObservation) -> Result<()>;

    /// Records one link's sync in one transaction: its next state, observation and pulled
    /// fields. A record for a deleted election or a removed link is skipped (see the report).
    async fn record_sync(&self, record: SyncRecord, now: Timestamp) -> Result<BatchReport>;

    /// Commits a batch of a cycle in one transaction: outcomes and pulls, cursors, log entries.
    /// Errors: `Invalid` (logs without `run_id`), `NotFound` (unknown run).
    async fn commit_batch(&self, batch: SyncBatch, now: Timestamp) -> Result<BatchReport>;

    // Wake-ups.

    /// Phase changes of linked, unpaused elections strictly after `now`, soonest first, at most
    /// `limit`. Errors: `Invalid` (limit).
    async fn upcoming_phase_changes(&self, now: Timestamp, limit: u32) -> Result<Vec<PhaseChange>>;

    /// The soonest phase change of a linked, unpaused election strictly after `now`.
    async fn next_phase_change_at(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        Ok(self
            .upcoming_phase_changes(now, 1)
            .await?
            .first()
            .map(|c| c.at))
    }

    /// The soonest end of a backoff strictly after `now` of a linked, unpaused election whose last
    /// sync failed.
    async fn next_retry_at(&self, now: Timestamp) -> Result<Option<Timestamp>>;

    // Change cursors.

    /// The cursor of one database, `None` if it has none yet.
    async fn get_cursor(&self, database_id: &str) -> Result<Option<SyncCursor>>;

    /// Every database's cursor, by database id.
    async fn list_cursors(&self) -> Result<Vec<SyncCursor>>;

    /// Saves (inserts or replaces) a database's cursor. Errors: `Invalid` (empty database id).
    async fn set_cursor(&self, cursor: &SyncCursor) -> Result<()>;

    /// Forgets the cursor of one database, or of all when `None`; returns how many went.
    async fn reset_cursors(&self, database_id: Option<&str>) -> Result<usize>;

    // Runs and their logs.

    /// Starts a run record, its id a UUID v7 of `now` (ids sort by start).
    async fn start_run(&self, trigger: Trigger, holder: &str, now: Timestamp) -> Result<SyncRun>;

    /// Finishes a run with its counters and an optional cycle-level error. Errors: `NotFound`,
    /// `Conflict` (already finished).
    async fn finish_run(
        &self,
        id: Uuid,
        counts: &RunCounts,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<SyncRun>;

    /// Appends log entries to a run in one transaction. Errors: `NotFound` (unknown run).
    async fn append_logs(&self, run_id: Uuid, entries: Vec<NewLogEntry>) -> Result<()>;

    /// Every run, newest first, `page.limit` at a time.
    async fn list_runs(&self, page: &ListRequest) -> Result<Listing<SyncRun>> {
        self.list_runs_filtered(&RunFilter::default(), page).await
    }

    /// The runs `filter` keeps, newest first, `page.limit` at a time. Errors: `Invalid` (limit,
    /// cursor).
    async fn list_runs_filtered(
        &self,
        filter: &RunFilter,
        page: &ListRequest,
    ) -> Result<Listing<SyncRun>>;

    /// How many idle cycles (runs without changes) started after `newest_shown`, or in all.
    async fn count_idle_runs_after(&self, newest_shown: Option<&SyncRun>) -> Result<u64>;

    /// Deletes the runs started more than `older_than` before `now`, with their logs, in one
    /// transaction. Errors: `Invalid` (a negative `older_than`).
    async fn prune_runs(&self, older_than: SignedDuration, now: Timestamp) -> Result<PrunedRuns>;

    /// A run with all its log entries, oldest first. Errors: `NotFound`.
    async fn get_run(&self, id: Uuid) -> Result<RunWithLogs>;

    // Pauses.

    /// Pauses syncing of everything or of one election; pausing twice keeps the first instant.
    /// Errors: `NotFound` (unknown election).
    async fn pause(&self, scope: &PauseScope, now: Timestamp) -> Result<()>;

    /// Resumes syncing: `All` clears every pause, `Election` that election's own. Errors:
    /// `NotFound`.
    async fn resume(&self, scope: &PauseScope) -> Result<()>;

    /// Whether syncing is paused globally (`None`) or for this election (by itself or globally).
    /// Errors: `NotFound` (unknown election).
    async fn is_paused(&self, election: Option<&ElectionId>) -> Result<bool>;

    /// All pause flags.
    async fn pause_status(&self) -> Result<PauseStatus>;

    // Leases.

    // Managed databases (issue 12).

    /// The managed state of one database; `None` for a database never switched (linked).
    async fn get_managed_database(&self, database_id: &str) -> Result<Option<ManagedDatabase>>;

    /// Every database in managed mode, by id.
    async fn list_managed_databases(&self) -> Result<Vec<ManagedDatabase>>;

    /// Sets a database's mode and options; turning it managed starts `managed_since` at `now`
    /// and clears its delta cursor. Errors: `Invalid` (`database_id`, `key_property`).
    async fn set_database_mode(
        &self,
        database_id: &str,
        settings: &ManagedSettings,
        now: Timestamp,
    ) -> Result<ManagedDatabase>;

    /// Moves a managed database's delta cursor. Errors: `NotFound`.
    async fn set_managed_cursor(&self, database_id: &str, cursor: Timestamp) -> Result<()>;

    /// Records the summary of a pass over a managed database. Errors: `NotFound`.
    async fn record_managed_pass(&self, database_id: &str, pass: &ManagedPassSummary)
    -> Result<()>;

    /// The elections updated at or after `since` (all when `None`), oldest update first, with
    /// their links.
    async fn elections_updated_since(
        &self,
        since: Option<Timestamp>,
    ) -> Result<Vec<ElectionRecord>>;

    /// Claims the lease `key` for `holder` until `now + ttl` if it is free, expired, or already
    /// `holder`'s (then renewed); `None` while another holder's lease is live. Claiming
    /// [`LeaseKey::Global`] over another holder's expired lease also releases, in the same
    /// transaction, the election leases held as that holder's cycle
    /// ([`cycle_lease_holder`](crate::cycle_lease_holder)). Errors: `Invalid` (empty holder,
    /// non-positive ttl).
    async fn claim_lease(
        &self,
        key: &LeaseKey,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<LeaseClaim>>;

    /// Extends a live lease held by `holder` to `now + ttl`. Errors: `Conflict` (held by
    /// another, expired, or not held), `Invalid`.
    async fn renew_lease(
        &self,
        key: &LeaseKey,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Lease>;

    /// Gives up a lease if `holder` holds it; returns whether it did.
    async fn release_lease(&self, key: &LeaseKey, holder: &str) -> Result<bool>;

    /// The lease `key`, live or expired, if any.
    async fn get_lease(&self, key: &LeaseKey) -> Result<Option<Lease>>;

    // Connections.

    /// Makes sure the internal connection (`NOTION_API_KEY`'s) exists, made at `now` the first
    /// time, and returns it.
    async fn ensure_internal_connection(&self, now: Timestamp) -> Result<ConnectionRecord>;

    /// Records the internal connection's workspace name and bot id, for display. Errors:
    /// `NotFound` until [`Store::ensure_internal_connection`] made it.
    async fn describe_internal_connection(
        &self,
        workspace_name: Option<&str>,
        bot_id: Option<&str>,
        now: Timestamp,
    ) -> Result<ConnectionRecord>;

    /// Stores an OAuth authorization, keyed by workspace and bot: authorizing a stored workspace
    /// again keeps its id and replaces its token pair (`true`: replaced). When the stored id is
    /// not `new.id`, the tokens (sealed for `new.id`) are not stored: seal them for the returned
    /// id and call [`Store::store_tokens`]. Errors: `Invalid`.
    async fn save_oauth_connection(
        &self,
        new: NewOAuthConnection,
        now: Timestamp,
    ) -> Result<(ConnectionRecord, bool)>;

    /// Stores a connection's refreshed token pair and makes it active. Errors: `NotFound`,
    /// `Invalid` (the internal connection).
    async fn store_tokens(
        &self,
        id: &ConnectionId,
        access: &SealedToken,
        refresh: Option<&SealedToken>,
        access_expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<ConnectionRecord>;

    /// Sets a connection's state and why; `Revoked` also forgets its tokens. Errors: `NotFound`.
    async fn set_connection_state(
        &self,
        id: &ConnectionId,
        state: ConnectionState,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<ConnectionRecord>;

    /// Sets a connection's request budget (`None`: the process default). Errors: `NotFound`,
    /// `Invalid`.
    async fn set_connection_budget(
        &self,
        id: &ConnectionId,
        max_requests_per_second: Option<f64>,
        now: Timestamp,
    ) -> Result<ConnectionRecord>;

    /// One connection. Errors: `NotFound`.
    async fn get_connection(&self, id: &ConnectionId) -> Result<ConnectionRecord>;

    /// Every connection, the internal one first.
    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>>;

    /// Deletes an OAuth connection and its allowlist; its links keep their fields. Errors:
    /// `NotFound`, `Invalid` (the internal connection).
    async fn delete_connection(&self, id: &ConnectionId) -> Result<()>;

    /// Allows a database on an OAuth connection, with who and when. Errors: `NotFound`,
    /// `Invalid` (the internal connection, an empty id), `Conflict` (another connection allows
    /// it).
    async fn allow_database(
        &self,
        id: &ConnectionId,
        database_id: &str,
        name: Option<&str>,
        allowed_by: Option<&str>,
        now: Timestamp,
    ) -> Result<AllowedDatabase>;

    /// Disallows a database on a connection; returns whether it was allowed.
    async fn disallow_database(&self, id: &ConnectionId, database_id: &str) -> Result<bool>;

    /// The databases allowed on a connection.
    async fn allowed_databases(&self, id: &ConnectionId) -> Result<Vec<AllowedDatabase>>;

    /// The connection pages of `database_id` are reached through: the OAuth connection allowing
    /// it, else the internal one.
    async fn connection_for_database(&self, database_id: &str) -> Result<ConnectionId>;

    /// Records a minted OAuth `state` (its hash) for an admin, until `expires_at`. Errors:
    /// `Invalid`, `Conflict` (in use).
    async fn mint_oauth_state(
        &self,
        state_hash: &str,
        created_by: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;

    /// Uses up an OAuth `state` (single use). Errors: `NotFound` (unknown, used or lapsed).
    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> Result<OAuthStateRecord>;

    /// Records that Notion holds connection `id`'s requests until `until` (its `Retry-After`),
    /// for every process using the connection; the later end wins.
    async fn note_connection_penalty(
        &self,
        id: &ConnectionId,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<()>;

    /// Until when Notion holds connection `id`'s requests, if that is after `now`.
    async fn connection_penalty(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>>;

    // Webhooks.

    /// A connection's verification tokens (pending and active).
    async fn webhook_tokens(&self, connection: &ConnectionId) -> Result<WebhookTokens>;

    /// Every active verification token, by connection.
    async fn active_webhook_tokens(&self) -> Result<Vec<WebhookToken>>;

    /// Stores a verification POST's token as the connection's pending token (replacing an
    /// earlier pending one; never the active one), with where it came from. Errors: `Invalid`.
    async fn save_pending_webhook_token(
        &self,
        connection: &ConnectionId,
        token: &str,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<WebhookToken>;

    /// Makes the pending token active (replacing the active one). Errors: `NotFound` (none
    /// pending).
    async fn confirm_webhook_token(
        &self,
        connection: &ConnectionId,
        now: Timestamp,
    ) -> Result<WebhookToken>;

    /// Sets the active token directly; the same token again changes nothing. Errors: `Invalid`.
    async fn set_active_webhook_token(
        &self,
        connection: &ConnectionId,
        token: &str,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<WebhookToken>;

    /// Stores an accepted event, once per event id (a redelivery is only counted). Durable when
    /// it returns. Errors: `Invalid` (empty or overlong id or type).
    async fn record_webhook_event(
        &self,
        event: NewWebhookEvent,
        now: Timestamp,
    ) -> Result<EventReceipt>;

    /// Counts a request refused for its signature, by connection and reason.
    async fn count_webhook_rejection(
        &self,
        connection: &ConnectionId,
        reason: &str,
        now: Timestamp,
    ) -> Result<()>;

    /// Claims up to `limit` unprocessed events for `holder` until `now + ttl`, in `timestamp`
    /// order; others' live claims are skipped. Errors: `Invalid` (limit, ttl, holder).
    async fn claim_webhook_events(
        &self,
        holder: &str,
        limit: u32,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Vec<StoredWebhookEvent>>;

    /// Marks events processed with their outcomes in one transaction; returns how many were
    /// still unprocessed.
    async fn mark_webhook_events_processed(
        &self,
        outcomes: Vec<WebhookOutcome>,
        now: Timestamp,
    ) -> Result<usize>;

    /// Whether an unprocessed event waits that `holder` could claim at `now` (one indexed read,
    /// no write: the sync daemon asks every second).
    async fn webhook_events_waiting(&self, holder: &str, now: Timestamp) -> Result<bool>;

    /// One stored event. Errors: `NotFound`.
    async fn get_webhook_event(&self, event_id: &str) -> Result<StoredWebhookEvent>;

    /// Deletes events processed more than `older_than` before `now`. Errors: `Invalid`.
    async fn prune_webhook_events(
        &self,
        older_than: SignedDuration,
        now: Timestamp,
    ) -> Result<usize>;

    /// How webhooks are doing: last event, events by type, redeliveries, backlog, refused
    /// signatures, lag.
    async fn webhook_health(&self, now: Timestamp) -> Result<WebhookHealth>;

    // What the admin pages read.

    /// One election's activity (its log entries with their run's trigger), newest first,
    /// `page.limit` at a time. Errors: `Invalid` (limit, cursor).
    async fn election_activity(
        &self,
        election_id: &ElectionId,
        page: &ListRequest,
    ) -> Result<Listing<ActivityEntry>>;

    /// The run history since `since`: per-minute counters, events, cycle errors.
    async fn run_history(&self, since: Timestamp) -> Result<RunHistory>;

    /// An opaque token that changes whenever what the admin page shows may have changed.
    async fn change_token(&self, now: Timestamp) -> Result<String>;

    // Health.

    /// The store's own health, for readiness: `Ok` when it can take writes now, with its schema
    /// version; the error says why not (busy, full, gone: see
    /// [`StoreErrorKind::is_unavailable`](crate::StoreErrorKind::is_unavailable)).
    async fn health(&self) -> Result<StoreHealth>;

    /// The sync's health (linked, failing, broken, paused elections; the newest runs).
    async fn sync_health(&self) -> Result<SyncHealth>;

    // The demo.

    /// Whether the api-server's demo created this store.
    async fn is_demo_store(&self) -> Result<bool>;

    /// Prepares the store for a fresh demo run in one transaction: a store the demo marked is
    /// emptied, an empty one marked, any other left untouched and refused.
    async fn claim_for_demo(&self, now: Timestamp) -> Result<DemoClaim>;
}
