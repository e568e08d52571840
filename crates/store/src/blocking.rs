//! [`SqliteStore`] as a [`Store`]: each call of the async interface runs the synchronous core on
//! tokio's blocking pool. The one place where async code waits for SQLite.

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
    SealedToken, SqliteStore, Store, StoreError, StoreHealth, SyncBatch, SyncCursor, SyncHealth,
    SyncRecord, SyncRun,
};
use crate::{
    EventReceipt, NewWebhookEvent, StoredWebhookEvent, WebhookHealth, WebhookOutcome, WebhookToken,
    WebhookTokens,
};

impl SqliteStore {
    /// Runs `f` on a clone of this store (the same connections) on tokio's blocking pool. A panic
    /// in `f` is resumed here, as if the call had run inline; a runtime that is shutting down
    /// runs nothing and answers [`StoreError::ShuttingDown`].
    async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Self) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(_) => Err(StoreError::ShuttingDown),
        }
    }
}

// In this impl, `s.method(..)` and `Self::method` are the synchronous inherent methods: Rust
// picks an inherent method over a trait's of the same name.
#[async_trait]
impl Store for SqliteStore {
    async fn create_election(&self, new: NewElection, now: Timestamp) -> Result<ElectionRecord> {
        self.blocking(move |s| s.create_election(new, now)).await
    }

    async fn get_election(&self, id: &ElectionId) -> Result<ElectionRecord> {
        let id = id.clone();
        self.blocking(move |s| s.get_election(&id)).await
    }

    async fn list_elections(&self, page: &ListRequest) -> Result<Listing<ElectionRecord>> {
        let page = page.clone();
        self.blocking(move |s| s.list_elections(&page)).await
    }

    async fn update_election(
        &self,
        id: &ElectionId,
        patch: &ElectionPatch,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        let (id, patch) = (id.clone(), patch.clone());
        self.blocking(move |s| s.update_election(&id, &patch, now))
            .await
    }

    async fn delete_election(&self, id: &ElectionId) -> Result<()> {
        let id = id.clone();
        self.blocking(move |s| s.delete_election(&id)).await
    }

    async fn set_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        let (id, link) = (id.clone(), link.clone());
        self.blocking(move |s| s.set_link(&id, &link, now)).await
    }

    async fn add_link(
        &self,
        id: &ElectionId,
        link: &NotionLink,
        primary: bool,
        now: Timestamp,
    ) -> Result<LinkRecord> {
        let (id, link) = (id.clone(), link.clone());
        self.blocking(move |s| s.add_link(&id, &link, primary, now))
            .await
    }

    async fn make_primary(
        &self,
        id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        let (id, link_id) = (id.clone(), link_id.clone());
        self.blocking(move |s| s.make_primary(&id, &link_id, now))
            .await
    }

    async fn remove_link(
        &self,
        id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ElectionRecord> {
        let (id, link_id) = (id.clone(), link_id.clone());
        self.blocking(move |s| s.remove_link(&id, &link_id, now))
            .await
    }

    async fn clear_link(&self, id: &ElectionId, now: Timestamp) -> Result<ElectionRecord> {
        let id = id.clone();
        self.blocking(move |s| s.clear_link(&id, now)).await
    }

    async fn election_linked_to(&self, page_id: &str) -> Result<Option<ElectionId>> {
        let page_id = page_id.to_owned();
        self.blocking(move |s| s.election_linked_to(&page_id)).await
    }

    async fn get_linked(&self, id: &ElectionId) -> Result<LinkedElection> {
        let id = id.clone();
        self.blocking(move |s| s.get_linked(&id)).await
    }

    async fn list_linked(&self, filter: &LinkedFilter) -> Result<Vec<LinkedElection>> {
        let filter = filter.clone();
        self.blocking(move |s| s.list_linked(&filter)).await
    }

    async fn save_observation(&self, id: &LinkId, observation: &PageObservation) -> Result<()> {
        let (id, observation) = (id.clone(), observation.clone());
        self.blocking(move |s| s.save_observation(&id, &observation))
            .await
    }

    async fn record_sync(&self, record: SyncRecord, now: Timestamp) -> Result<BatchReport> {
        self.blocking(move |s| s.record_sync(&record, now)).await
    }

    async fn commit_batch(&self, batch: SyncBatch, now: Timestamp) -> Result<BatchReport> {
        self.blocking(move |s| s.commit_batch(&batch, now)).await
    }

    async fn upcoming_phase_changes(&self, now: Timestamp, limit: u32) -> Result<Vec<PhaseChange>> {
        self.blocking(move |s| s.upcoming_phase_changes(now, limit))
            .await
    }

    async fn next_phase_change_at(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        self.blocking(move |s| s.next_phase_change_at(now)).await
    }

    async fn next_retry_at(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        self.blocking(move |s| s.next_retry_at(now)).await
    }

    async fn get_cursor(&self, database_id: &str) -> Result<Option<SyncCursor>> {
        let database_id = database_id.to_owned();
        self.blocking(move |s| s.get_cursor(&database_id)).await
    }

    async fn list_cursors(&self) -> Result<Vec<SyncCursor>> {
        self.blocking(Self::list_cursors).await
    }

    async fn set_cursor(&self, cursor: &SyncCursor) -> Result<()> {
        let cursor = cursor.clone();
        self.blocking(move |s| s.set_cursor(&cursor)).await
    }

    async fn reset_cursors(&self, database_id: Option<&str>) -> Result<usize> {
        let database_id = database_id.map(str::to_owned);
        self.blocking(move |s| s.reset_cursors(database_id.as_deref()))
            .await
    }

    async fn start_run(&self, trigger: Trigger, holder: &str, now: Timestamp) -> Result<SyncRun> {
        let holder = holder.to_owned();
        self.blocking(move |s| s.start_run(trigger, &holder, now))
            .await
    }

    async fn finish_run(
        &self,
        id: Uuid,
        counts: &RunCounts,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<SyncRun> {
        let (counts, error) = (*counts, error.map(str::to_owned));
        self.blocking(move |s| s.finish_run(id, &counts, error.as_deref(), now))
            .await
    }

    async fn append_logs(&self, run_id: Uuid, entries: Vec<NewLogEntry>) -> Result<()> {
        self.blocking(move |s| s.append_logs(run_id, &entries))
            .await
    }

    async fn list_runs(&self, page: &ListRequest) -> Result<Listing<SyncRun>> {
        let page = page.clone();
        self.blocking(move |s| s.list_runs(&page)).await
    }

    async fn list_runs_filtered(
        &self,
        filter: &RunFilter,
        page: &ListRequest,
    ) -> Result<Listing<SyncRun>> {
        let (filter, page) = (*filter, page.clone());
        self.blocking(move |s| s.list_runs_filtered(&filter, &page))
            .await
    }

    async fn count_idle_runs_after(&self, newest_shown: Option<&SyncRun>) -> Result<u64> {
        let newest_shown = newest_shown.cloned();
        self.blocking(move |s| s.count_idle_runs_after(newest_shown.as_ref()))
            .await
    }

    async fn prune_runs(&self, older_than: SignedDuration, now: Timestamp) -> Result<PrunedRuns> {
        self.blocking(move |s| s.prune_runs(older_than, now)).await
    }

    async fn get_run(&self, id: Uuid) -> Result<RunWithLogs> {
        self.blocking(move |s| s.get_run(id)).await
    }

    async fn pause(&self, scope: &PauseScope, now: Timestamp) -> Result<()> {
        let scope = scope.clone();
        self.blocking(move |s| s.pause(&scope, now)).await
    }

    async fn resume(&self, scope: &PauseScope) -> Result<()> {
        let scope = scope.clone();
        self.blocking(move |s| s.resume(&scope)).await
    }

    async fn is_paused(&self, election: Option<&ElectionId>) -> Result<bool> {
        let election = election.cloned();
        self.blocking(move |s| s.is_paused(election.as_ref())).await
    }

    async fn pause_status(&self) -> Result<PauseStatus> {
        self.blocking(Self::pause_status).await
    }

    async fn get_managed_database(&self, database_id: &str) -> Result<Option<ManagedDatabase>> {
        let database_id = database_id.to_owned();
        self.blocking(move |s| s.get_managed_database(&database_id))
            .await
    }

    async fn list_managed_databases(&self) -> Result<Vec<ManagedDatabase>> {
        self.blocking(Self::list_managed_databases).await
    }

    async fn set_database_mode(
        &self,
        database_id: &str,
        settings: &ManagedSettings,
        now: Timestamp,
    ) -> Result<ManagedDatabase> {
        let database_id = database_id.to_owned();
        let settings = settings.clone();
        self.blocking(move |s| s.set_database_mode(&database_id, &settings, now))
            .await
    }

    async fn set_managed_cursor(&self, database_id: &str, cursor: Timestamp) -> Result<()> {
        let database_id = database_id.to_owned();
        self.blocking(move |s| s.set_managed_cursor(&database_id, cursor))
            .await
    }

    async fn record_managed_pass(
        &self,
        database_id: &str,
        pass: &ManagedPassSummary,
    ) -> Result<()> {
        let database_id = database_id.to_owned();
        let pass = pass.clone();
        self.blocking(move |s| s.record_managed_pass(&database_id, &pass))
            .await
    }

    async fn elections_updated_since(
        &self,
        since: Option<Timestamp>,
    ) -> Result<Vec<ElectionRecord>> {
        self.blocking(move |s| s.elections_updated_since(since))
            .await
    }

    async fn claim_lease(
        &self,
        key: &LeaseKey,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<LeaseClaim>> {
        let (key, holder) = (key.clone(), holder.to_owned());
        self.blocking(move |s| s.claim_lease(&key, &holder, ttl, now))
            .await
    }

    async fn renew_lease(
        &self,
        key: &LeaseKey,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Lease> {
        let (key, holder) = (key.clone(), holder.to_owned());
        self.blocking(move |s| s.renew_lease(&key, &holder, ttl, now))
            .await
    }

    async fn release_lease(&self, key: &LeaseKey, holder: &str) -> Result<bool> {
        let (key, holder) = (key.clone(), holder.to_owned());
        self.blocking(move |s| s.release_lease(&key, &holder)).await
    }

    async fn get_lease(&self, key: &LeaseKey) -> Result<Option<Lease>> {
        let key = key.clone();
        self.blocking(move |s| s.get_lease(&key)).await
    }

    async fn ensure_internal_connection(&self, now: Timestamp) -> Result<ConnectionRecord> {
        self.blocking(move |s| s.ensure_internal_connection(now))
            .await
    }

    async fn describe_internal_connection(
        &self,
        workspace_name: Option<&str>,
        bot_id: Option<&str>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        let (name, bot) = (workspace_name.map(str::to_owned), bot_id.map(str::to_owned));
        self.blocking(move |s| s.describe_internal_connection(name.as_deref(), bot.as_deref(), now))
            .await
    }

    async fn save_oauth_connection(
        &self,
        new: NewOAuthConnection,
        now: Timestamp,
    ) -> Result<(ConnectionRecord, bool)> {
        self.blocking(move |s| s.save_oauth_connection(&new, now))
            .await
    }

    async fn store_tokens(
        &self,
        id: &ConnectionId,
        access: &SealedToken,
        refresh: Option<&SealedToken>,
        access_expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        let (id, access, refresh) = (id.clone(), access.clone(), refresh.cloned());
        self.blocking(move |s| {
            s.store_tokens(&id, &access, refresh.as_ref(), access_expires_at, now)
        })
        .await
    }

    async fn set_connection_state(
        &self,
        id: &ConnectionId,
        state: ConnectionState,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        let (id, reason) = (id.clone(), reason.map(str::to_owned));
        self.blocking(move |s| s.set_connection_state(&id, state, reason.as_deref(), now))
            .await
    }

    async fn set_connection_budget(
        &self,
        id: &ConnectionId,
        max_requests_per_second: Option<f64>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        let id = id.clone();
        self.blocking(move |s| s.set_connection_budget(&id, max_requests_per_second, now))
            .await
    }

    async fn get_connection(&self, id: &ConnectionId) -> Result<ConnectionRecord> {
        let id = id.clone();
        self.blocking(move |s| s.get_connection(&id)).await
    }

    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>> {
        self.blocking(Self::list_connections).await
    }

    async fn delete_connection(&self, id: &ConnectionId) -> Result<()> {
        let id = id.clone();
        self.blocking(move |s| s.delete_connection(&id)).await
    }

    async fn allow_database(
        &self,
        id: &ConnectionId,
        database_id: &str,
        name: Option<&str>,
        allowed_by: Option<&str>,
        now: Timestamp,
    ) -> Result<AllowedDatabase> {
        let (id, database_id) = (id.clone(), database_id.to_owned());
        let (name, by) = (name.map(str::to_owned), allowed_by.map(str::to_owned));
        self.blocking(move |s| {
            s.allow_database(&id, &database_id, name.as_deref(), by.as_deref(), now)
        })
        .await
    }

    async fn disallow_database(&self, id: &ConnectionId, database_id: &str) -> Result<bool> {
        let (id, database_id) = (id.clone(), database_id.to_owned());
        self.blocking(move |s| s.disallow_database(&id, &database_id))
            .await
    }

    async fn allowed_databases(&self, id: &ConnectionId) -> Result<Vec<AllowedDatabase>> {
        let id = id.clone();
        self.blocking(move |s| s.allowed_databases(&id)).await
    }

    async fn connection_for_database(&self, database_id: &str) -> Result<ConnectionId> {
        let database_id = database_id.to_owned();
        self.blocking(move |s| s.connection_for_database(&database_id))
            .await
    }

    async fn mint_oauth_state(
        &self,
        state_hash: &str,
        created_by: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        let (hash, by) = (state_hash.to_owned(), created_by.to_owned());
        self.blocking(move |s| s.mint_oauth_state(&hash, &by, now, expires_at))
            .await
    }

    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> Result<OAuthStateRecord> {
        let hash = state_hash.to_owned();
        self.blocking(move |s| s.consume_oauth_state(&hash, now))
            .await
    }

    async fn note_connection_penalty(
        &self,
        id: &ConnectionId,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let id = id.clone();
        self.blocking(move |s| s.note_connection_penalty(&id, until, now))
            .await
    }

    async fn connection_penalty(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let id = id.clone();
        self.blocking(move |s| s.connection_penalty(&id, now)).await
    }

    async fn webhook_tokens(&self, connection: &ConnectionId) -> Result<WebhookTokens> {
        let connection = connection.clone();
        self.blocking(move |s| s.webhook_tokens(&connection)).await
    }

    async fn active_webhook_tokens(&self) -> Result<Vec<WebhookToken>> {
        self.blocking(Self::active_webhook_tokens).await
    }

    async fn save_pending_webhook_token(
        &self,
        connection: &ConnectionId,
        token: &str,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<WebhookToken> {
        let (connection, token, source) = (
            connection.clone(),
            token.to_owned(),
            source.map(str::to_owned),
        );
        self.blocking(move |s| {
            s.save_pending_webhook_token(&connection, &token, source.as_deref(), now)
        })
        .await
    }

    async fn confirm_webhook_token(
        &self,
        connection: &ConnectionId,
        now: Timestamp,
    ) -> Result<WebhookToken> {
        let connection = connection.clone();
        self.blocking(move |s| s.confirm_webhook_token(&connection, now))
            .await
    }

    async fn set_active_webhook_token(
        &self,
        connection: &ConnectionId,
        token: &str,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<WebhookToken> {
        let (connection, token, source) = (
            connection.clone(),
            token.to_owned(),
            source.map(str::to_owned),
        );
        self.blocking(move |s| {
            s.set_active_webhook_token(&connection, &token, source.as_deref(), now)
        })
        .await
    }

    async fn record_webhook_event(
        &self,
        event: NewWebhookEvent,
        now: Timestamp,
    ) -> Result<EventReceipt> {
        self.blocking(move |s| s.record_webhook_event(&event, now))
            .await
    }

    async fn count_webhook_rejection(
        &self,
        connection: &ConnectionId,
        reason: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (connection, reason) = (connection.clone(), reason.to_owned());
        self.blocking(move |s| s.count_webhook_rejection(&connection, &reason, now))
            .await
    }

    async fn claim_webhook_events(
        &self,
        holder: &str,
        limit: u32,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Vec<StoredWebhookEvent>> {
        let holder = holder.to_owned();
        self.blocking(move |s| s.claim_webhook_events(&holder, limit, ttl, now))
            .await
    }

    async fn mark_webhook_events_processed(
        &self,
        outcomes: Vec<WebhookOutcome>,
        now: Timestamp,
    ) -> Result<usize> {
        self.blocking(move |s| s.mark_webhook_events_processed(&outcomes, now))
            .await
    }

    async fn webhook_events_waiting(&self, holder: &str, now: Timestamp) -> Result<bool> {
        let holder = holder.to_owned();
        self.blocking(move |s| s.webhook_events_waiting(&holder, now))
            .await
    }

    async fn get_webhook_event(&self, event_id: &str) -> Result<StoredWebhookEvent> {
        let event_id = event_id.to_owned();
        self.blocking(move |s| s.get_webhook_event(&event_id)).await
    }

    async fn prune_webhook_events(
        &self,
        older_than: SignedDuration,
        now: Timestamp,
    ) -> Result<usize> {
        self.blocking(move |s| s.prune_webhook_events(older_than, now))
            .await
    }

    async fn webhook_health(&self, now: Timestamp) -> Result<WebhookHealth> {
        self.blocking(move |s| s.webhook_health(now)).await
    }

    async fn election_activity(
        &self,
        election_id: &ElectionId,
        page: &ListRequest,
    ) -> Result<Listing<ActivityEntry>> {
        let (election_id, page) = (election_id.clone(), page.clone());
        self.blocking(move |s| s.election_activity(&election_id, &page))
            .await
    }

    async fn run_history(&self, since: Timestamp) -> Result<RunHistory> {
        self.blocking(move |s| s.run_history(since)).await
    }

    async fn change_token(&self, now: Timestamp) -> Result<String> {
        self.blocking(move |s| s.change_token(now)).await
    }

    async fn health(&self) -> Result<StoreHealth> {
        self.blocking(Self::health).await
    }

    async fn sync_health(&self) -> Result<SyncHealth> {
        self.blocking(Self::sync_health).await
    }

    async fn is_demo_store(&self) -> Result<bool> {
        self.blocking(Self::is_demo_store).await
    }

    async fn claim_for_demo(&self, now: Timestamp) -> Result<DemoClaim> {
        self.blocking(move |s| s.claim_for_demo(now)).await
    }
}
