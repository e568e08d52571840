//! The manual sync of one election (the admin API's "Sync with Notion"): a fresh read, then the
//! cycle's per-election steps 3-5 under the election's write lease, recorded as a `manual` run.

use jiff::Timestamp;
use store::{ElectionRecord, LeaseKey, LinkId, LinkedElection, RunCounts, SyncBatch};
use sync_engine::{ElectionId, SyncPlan, Trigger};

use crate::cycle::{ElectionResult, ExecuteAt, ExecuteMode, Writer, time_since};
use crate::{DriverError, ManualSync, SyncDriver, SyncedFields, WrittenFields};

impl SyncDriver {
    /// Syncs one election now, for the admin API's "Sync with Notion": ignores the interval,
    /// backoff and pause, reads the page and schema fresh, writes what differs and records the
    /// outcome with a `manual` run, through the same steps as a cycle.
    ///
    /// Errors: `NotFound` (404), `NotLinked` (409), `LeaseHeld` (409: a cycle is writing this
    /// election right now), `Notion` (the read or write failed: the failure is recorded on the
    /// election first), `Validation` (422: the page's content prevents the sync, e.g. a missing
    /// status option; also recorded).
    ///
    /// Syncs the election's primary link; [`SyncDriver::sync_link_now`] syncs another.
    pub async fn sync_now(
        &self,
        election_id: &ElectionId,
        now: Timestamp,
    ) -> Result<ManualSync, DriverError> {
        self.sync_link_now(election_id, None, now).await
    }

    /// Syncs one link of an election now (its primary link when `link_id` is `None`), as
    /// [`SyncDriver::sync_now`] does. Errors: as `sync_now`, and `NotFound` for a link the
    /// election does not have.
    pub async fn sync_link_now(
        &self,
        election_id: &ElectionId,
        link_id: Option<&LinkId>,
        now: Timestamp,
    ) -> Result<ManualSync, DriverError> {
        let holder = &self.inner.config.holder;
        let ttl = self.inner.config.lease_ttl;
        let store = &self.inner.store;
        let record = store.get_election(election_id).await?;
        let link_id = match link_id {
            Some(id) => record.find_link(id).map(|l| l.id.clone()).ok_or_else(|| {
                store::StoreError::NotFound {
                    what: "link",
                    id: id.to_string(),
                }
            })?,
            None => record
                .primary()
                .map(|l| l.id.clone())
                .ok_or_else(|| DriverError::NotLinked(election_id.clone()))?,
        };
        let key = LeaseKey::Link(link_id.clone());
        // Lease first, then load: the state planned with is the latest.
        if store.claim_lease(&key, holder, ttl, now).await?.is_none() {
            let holder = store
                .get_lease(&key)
                .await?
                .map(|l| l.holder)
                .unwrap_or_else(|| "another process".into());
            return Err(DriverError::LeaseHeld { holder });
        }
        let outcome = self.sync_leased_link(election_id, &link_id, now).await;
        self.release_link_leases(vec![link_id], Writer::Manual)
            .await;
        outcome
    }

    /// The manual sync of a link whose write lease this driver holds, through the link's
    /// connection (refreshing an OAuth token Notion refused, then syncing again from the state
    /// the first attempt recorded).
    async fn sync_leased_link(
        &self,
        election_id: &ElectionId,
        link_id: &LinkId,
        now: Timestamp,
    ) -> Result<ManualSync, DriverError> {
        let store = &self.inner.store;
        let linked = store
            .get_link(link_id)
            .await
            .map_err(|e| DriverError::from_store_for(e, election_id))?;
        self.on_connection(&linked.connection_id, now, |driver| async move {
            let linked = driver
                .inner
                .store
                .get_link(link_id)
                .await
                .map_err(|e| DriverError::from_store_for(e, election_id))?;
            driver
                .with_stats_scope()
                .sync_now_locked(&linked, now)
                .await
        })
        .await
    }

    async fn sync_now_locked(
        &self,
        linked: &LinkedElection,
        now: Timestamp,
    ) -> Result<ManualSync, DriverError> {
        let store = &self.inner.store;
        let requests_before = self.requests_so_far();
        let started = tokio::time::Instant::now();
        let run = store
            .start_run(Trigger::Manual, &self.inner.config.holder, now)
            .await?;
        let (result, read_error) = match self.read_one(linked, now, None).await {
            Ok(observation) => (
                self.execute(
                    ExecuteAt {
                        now,
                        lease_now: now,
                    },
                    linked,
                    Some(observation),
                    Trigger::Manual,
                    ExecuteMode::Write(Writer::Manual),
                )
                .await,
                None,
            ),
            // No Notion error for a page moved out of its database: it is a failed sync.
            Err((error, sync_error)) => (
                ElectionResult::unread(now, linked, Trigger::Manual, sync_error),
                error,
            ),
        };
        let counts = RunCounts {
            read: u64::from(read_error.is_none()),
            planned: 1,
            written: u64::from(result.wrote),
            pulled: u64::from(result.plan.election_update.is_some()),
            failed: u64::from(result.failed),
            notion_requests: self.requests_since(requests_before),
        };
        let batch = SyncBatch {
            records: result.record.clone().into_iter().collect(),
            cursors: Vec::new(),
            logs: result.logs.clone(),
            run_id: Some(run.id),
        };
        let error_text = result
            .plan
            .outcome
            .state
            .notion_last_sync_error
            .clone()
            .filter(|_| result.failed);
        let finished_at = time_since(self.inner.clock.as_ref(), now, started);
        store.commit_batch(batch, now).await?;
        store
            .finish_run(run.id, &counts, error_text.as_deref(), finished_at)
            .await?;
        let election = store.get_election(&linked.election.id).await?;
        if let Some(error) = read_error.or(result.notion_error) {
            return Err(DriverError::Notion(error));
        }
        if result.skipped.is_some() {
            return Err(DriverError::LeaseHeld {
                holder: "another process".into(),
            });
        }
        if result.failed {
            return Err(DriverError::Validation(error_text.unwrap_or_default()));
        }
        Ok(manual_sync(result.plan, election))
    }
}

/// The manual sync's answer: what was pulled from and written to Notion, the plan, the election.
fn manual_sync(plan: SyncPlan, election: ElectionRecord) -> ManualSync {
    let synced = plan
        .election_update
        .as_ref()
        .map(|u| SyncedFields {
            title: u.title.as_ref().map(|c| c.to.clone()),
            description: u.description.as_ref().map(|c| c.to.clone()),
        })
        .unwrap_or_default();
    let written = plan
        .page_write
        .as_ref()
        .map(|w| WrittenFields {
            status: w.status().map(|c| c.to.to_string()),
            results_link: w.results_link().map(|c| c.to.to_string()),
        })
        .unwrap_or_default();
    ManualSync {
        synced,
        written,
        plan,
        election,
    }
}
