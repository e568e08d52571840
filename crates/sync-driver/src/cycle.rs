//! The sync cycle (SPEC §4-5) and the manual sync, which share the per-election steps 3-5.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use notion_client::{
    DataSource, DateCondition, ErrorKind, Filter, NotionError, NotionId, Page, PropertyValue, Query,
};
use store::{
    LinkedElection, LinkedFilter, LogAction, NewLogEntry, RunCounts, SyncBatch, SyncCursor,
    SyncRecord,
};
use sync_engine::{
    ElectionId, OutcomeKind, PageObservation, PageWrite, SchemaObservation, SyncError,
    SyncErrorKind, SyncInput, SyncPlan, SyncState, Trigger, is_due, needs_observation,
    record_failure,
};
use uuid::Uuid;

use crate::observe::{
    page_observation, schema_looks_stale, schema_observation, sync_error_from_notion,
};
use crate::types::{ELECTION_LEASE_PREFIX, GLOBAL_LEASE, cycle_lease_holder, election_lease};
use crate::{
    Clock, CycleOptions, CycleProgress, CycleReport, DatabaseReport, DriverError, ManualSync,
    ProgressSink, SyncDriver, SyncedFields, WrittenFields,
};

/// Pages per query request (Notion's maximum).
pub const QUERY_PAGE_SIZE: u32 = 100;

/// The outcome of steps 3-5 for one election, before the batch commits.
struct ElectionResult {
    plan: SyncPlan,
    record: Option<SyncRecord>,
    logs: Vec<NewLogEntry>,
    wrote: bool,
    failed: bool,
    /// The Notion error behind a failure, for the manual sync's answer.
    notion_error: Option<NotionError>,
    /// Why nothing was recorded.
    skipped: Option<String>,
    /// The election write lease taken for the page write, to release after the commit.
    leased: bool,
}

/// One database's share of a cycle: its linked elections and its change cursor.
struct DatabaseInput<'a> {
    database: &'a str,
    elections: Vec<LinkedElection>,
    cursor: Option<SyncCursor>,
}

/// What one database contributes to a cycle.
#[derive(Default)]
struct DatabaseWork {
    records: Vec<SyncRecord>,
    logs: Vec<NewLogEntry>,
    cursor: Option<SyncCursor>,
    leases: Vec<ElectionId>,
    plans: Vec<SyncPlan>,
    skipped: Vec<(ElectionId, String)>,
    counts: RunCounts,
    /// Plans with a page write (sent or not).
    writes_planned: u64,
    report: Option<DatabaseReport>,
}

/// Reports a cycle's progress: the totals of the databases finished, plus the running counts of
/// the one in progress.
struct ProgressTracker {
    sink: Option<ProgressSink>,
    done: CycleProgress,
}

impl ProgressTracker {
    fn report(&self, current: &DatabaseWork) {
        if let Some(sink) = &self.sink {
            sink.report(Self::add(self.done, current));
        }
    }

    fn finish_database(&mut self, work: &DatabaseWork) {
        self.done = Self::add(self.done, work);
        self.done.databases_done += 1;
        if let Some(sink) = &self.sink {
            sink.report(self.done);
        }
    }

    fn add(mut progress: CycleProgress, work: &DatabaseWork) -> CycleProgress {
        progress.pages_read += work.counts.read;
        progress.elections_planned += work.counts.planned;
        progress.writes_done += work.counts.written;
        progress.writes_planned += work.writes_planned;
        progress
    }
}

/// Keeps the global lease alive while a cycle runs: renewed once half of `lease_ttl` has passed
/// since the last renewal, by the driver's clock, between databases, between query pages and
/// before each election's write. Once a renewal fails another runner may be syncing: stop.
pub(crate) struct LeaseKeeper {
    clock: Option<Arc<dyn Clock>>,
    cycle_now: Timestamp,
    started: tokio::time::Instant,
    renewed_at: Timestamp,
    /// False for a preview, which holds no lease.
    active: bool,
    /// Why the lease is gone, once a renewal failed.
    lost: Option<String>,
}

impl LeaseKeeper {
    fn new(clock: Option<Arc<dyn Clock>>, now: Timestamp, active: bool) -> Self {
        Self {
            clock,
            cycle_now: now,
            started: tokio::time::Instant::now(),
            renewed_at: now,
            active,
            lost: None,
        }
    }

    /// The time now: the clock's, or the cycle's `now` plus the time elapsed since it started.
    fn now(&self) -> Timestamp {
        time_since(self.clock.as_ref(), self.cycle_now, self.started)
    }
}

/// The time now for work that began at `start` (read at `started`): the driver's clock when it has
/// one, else `start` plus the monotonic time elapsed since. Callers pass `now` in, so without a clock
/// this is the only honest way to stamp the end of the work.
fn time_since(
    clock: Option<&Arc<dyn Clock>>,
    start: Timestamp,
    started: tokio::time::Instant,
) -> Timestamp {
    match clock {
        Some(clock) => clock.now(),
        None => start
            .checked_add(SignedDuration::try_from(started.elapsed()).unwrap_or_default())
            .unwrap_or(start),
    }
}

fn log(
    at: Timestamp,
    election: &LinkedElection,
    action: LogAction,
    detail: Option<serde_json::Value>,
    error: Option<String>,
) -> NewLogEntry {
    NewLogEntry {
        at,
        election_id: Some(election.election.id.clone()),
        page_id: Some(election.link.notion_page_id.clone()),
        action,
        detail,
        error,
    }
}

/// The one log entry per database and cycle (action `read`, no election): what was read, what
/// it cost and how the change cursor moved.
fn database_summary(
    at: Timestamp,
    report: &DatabaseReport,
    counts: &RunCounts,
    notion_requests: u64,
    cursor_from: Option<Timestamp>,
    cursor_to: Option<Timestamp>,
) -> NewLogEntry {
    NewLogEntry {
        at,
        election_id: None,
        page_id: None,
        action: LogAction::Read,
        detail: Some(serde_json::json!({
            "database_id": report.database_id,
            "reconciled": report.reconciled,
            "queried": report.queried,
            "pages_read": counts.read,
            "notion_requests": notion_requests,
            "planned": counts.planned,
            "written": counts.written,
            "pulled": counts.pulled,
            "failed": counts.failed,
            "cursor_from": cursor_from,
            "cursor_to": cursor_to.or(cursor_from),
        })),
        error: report.error.clone(),
    }
}

fn plan_detail(plan: &SyncPlan) -> Option<serde_json::Value> {
    serde_json::to_value(plan).ok()
}

fn failure_record(
    now: Timestamp,
    election: &LinkedElection,
    observation: Option<PageObservation>,
    error: SyncError,
) -> (SyncRecord, NewLogEntry) {
    let mut base = election.state.clone();
    if observation.is_some() {
        base.last_observation = observation;
    }
    let outcome = record_failure(now, &base, error.clone());
    let entry = log(
        now,
        election,
        LogAction::Failed,
        serde_json::to_value(&error).ok(),
        outcome.state.notion_last_sync_error.clone(),
    );
    (
        SyncRecord {
            election_id: election.election.id.clone(),
            page_id: election.link.notion_page_id.clone(),
            state: outcome.state,
            election_update: None,
        },
        entry,
    )
}

/// The plan of an election whose sync failed before planning (e.g. its page could not be read).
fn failed_plan(
    now: Timestamp,
    election: &LinkedElection,
    trigger: Trigger,
    record: &SyncRecord,
    error: SyncError,
) -> SyncPlan {
    let class = sync_engine::classify_error(&error);
    SyncPlan {
        election_id: election.election.id.clone(),
        page_id: election.link.notion_page_id.clone(),
        phase: election.election.phase(now),
        trigger,
        page_write: None,
        election_update: None,
        outcome: sync_engine::SyncOutcome {
            result: OutcomeKind::Failed { error, class },
            state: record.state.clone(),
        },
        next_attention_at: record.state.next_attempt_at,
        notes: Vec::new(),
    }
}

fn write_properties(write: &PageWrite) -> Vec<(String, PropertyValue)> {
    let mut properties = Vec::new();
    if let Some(status) = &write.status {
        properties.push((
            status.property.clone(),
            PropertyValue::status_name(status.to.clone()),
        ));
    }
    if let Some(url) = &write.results_url {
        properties.push((
            url.property.clone(),
            PropertyValue::url(Some(url.to.clone())),
        ));
    }
    properties
}

impl SyncDriver {
    /// Steps 3-5 for one election: plan against `fresh` (or the stored observation), send the page
    /// write (unless previewing), and describe what to record.
    ///
    /// `in_cycle`: called by a cycle, which takes the write lease as its cycle holder and only
    /// while its global lease is still its own (a manual sync takes it as the driver's holder).
    #[allow(clippy::too_many_arguments)]
    async fn execute(
        &self,
        now: Timestamp,
        lease_now: Timestamp,
        election: &LinkedElection,
        fresh: Option<PageObservation>,
        trigger: Trigger,
        preview: bool,
        in_cycle: bool,
    ) -> ElectionResult {
        let input = SyncInput {
            election: &election.election,
            link: &election.link,
            state: &election.state,
            observation: fresh.as_ref(),
            base_url: &self.inner.config.base_url,
            trigger,
        };
        let plan = sync_engine::plan(now, &input);
        let mut result = ElectionResult {
            record: None,
            logs: Vec::new(),
            wrote: false,
            failed: false,
            notion_error: None,
            skipped: None,
            leased: false,
            plan,
        };
        // Reads are summed up per database (one entry per cycle); per election, only what
        // happened is logged: writes, pulls, failures, skips (and a manual sync's no-change).
        let plan = &result.plan;
        let record = |state: SyncState| SyncRecord {
            election_id: election.election.id.clone(),
            page_id: election.link.notion_page_id.clone(),
            state,
            election_update: plan.election_update.clone(),
        };
        match &plan.outcome.result {
            OutcomeKind::NeedsObservation => {
                result.skipped = Some("the page has not been read yet".into());
            }
            OutcomeKind::Failed { .. } => {
                result.failed = true;
                result.logs.push(log(
                    now,
                    election,
                    LogAction::Failed,
                    plan_detail(plan),
                    plan.outcome.state.notion_last_sync_error.clone(),
                ));
                result.record = Some(record(plan.outcome.state.clone()));
            }
            OutcomeKind::Synced => match &plan.page_write {
                Some(write) if !preview => {
                    let driver_holder = self.inner.config.holder.clone();
                    let holder = self.write_lease_holder(in_cycle);
                    let ttl = self.inner.config.lease_ttl;
                    let name = election_lease(&election.election.id);
                    let id = election.election.id.clone();
                    let planned_with = (election.state.last_attempt_at, election.link.clone());
                    // Take the write lease, then make sure nobody synced the election since it was
                    // loaded (a manual sync that just finished): its plan would be stale.
                    let lease = self
                        .blocking(move |s| {
                            if s.try_acquire_lease(&name, &holder, ttl, lease_now)?.is_none() {
                                return Ok(Some("another process is syncing this election right now"));
                            }
                            // Checked after taking the write lease: a runner that took the global
                            // lease over from us has already released our write leases, or does
                            // so after this check and then finds this one live (and skips).
                            let global_ours = |s: &store::Store| -> store::Result<bool> {
                                Ok(s.get_lease(GLOBAL_LEASE)?.is_some_and(|l| {
                                    l.holder == driver_holder && l.expires_at > lease_now
                                }))
                            };
                            if in_cycle && !global_ours(s)? {
                                s.release_lease(&name, &holder)?;
                                return Ok(Some("the sync lease was lost; the runner holding it syncs this election"));
                            }
                            let current = s.get_linked(&id)?;
                            if (current.state.last_attempt_at, current.link) != planned_with {
                                s.release_lease(&name, &holder)?;
                                return Ok(Some("the election was synced meanwhile; it is planned again next cycle"));
                            }
                            Ok(None)
                        })
                        .await;
                    match lease {
                        Ok(None) => result.leased = true,
                        Ok(Some(reason)) => {
                            result.skipped = Some(reason.to_owned());
                            result.logs.push(log(
                                now,
                                election,
                                LogAction::Skipped,
                                plan_detail(plan),
                                result.skipped.clone(),
                            ));
                            return result;
                        }
                        Err(e) => {
                            result.skipped = Some(format!("could not take the write lease: {e}"));
                            return result;
                        }
                    }
                    let written = if in_cycle {
                        self.write_page_bounded(write).await
                    } else {
                        self.write_page(write).await
                    };
                    match written {
                        Ok(()) => {
                            result.wrote = true;
                            result.logs.push(log(
                                now,
                                election,
                                LogAction::Wrote,
                                plan_detail(plan),
                                None,
                            ));
                            result.record = Some(record(plan.outcome.state.clone()));
                        }
                        Err(error) => {
                            let sync_error = sync_error_from_notion(&error, write.status.is_some());
                            let observation =
                                fresh.or_else(|| election.state.last_observation.clone());
                            let (mut failed, entry) =
                                failure_record(now, election, observation, sync_error);
                            failed.election_update = plan.election_update.clone();
                            result.failed = true;
                            result.notion_error = Some(error);
                            result.logs.push(entry);
                            result.record = Some(failed);
                        }
                    }
                }
                _ => {
                    let action = if plan.page_write.is_some() {
                        Some(LogAction::Wrote)
                    } else if plan.election_update.is_some() {
                        Some(LogAction::Pulled)
                    } else if trigger == Trigger::Manual {
                        Some(LogAction::NoChange)
                    } else {
                        None
                    };
                    if let Some(action) = action {
                        result
                            .logs
                            .push(log(now, election, action, plan_detail(plan), None));
                    }
                    result.record = Some(record(plan.outcome.state.clone()));
                }
            },
        }
        if result
            .record
            .as_ref()
            .is_some_and(|r| r.election_update.is_some())
            && !matches!(result.logs.last(), Some(l) if l.action == LogAction::Pulled)
        {
            result.logs.push(log(
                now,
                election,
                LogAction::Pulled,
                serde_json::to_value(&result.plan.election_update).ok(),
                None,
            ));
        }
        result
    }

    async fn write_page(&self, write: &PageWrite) -> Result<(), NotionError> {
        let page_id = NotionId::parse(&write.page_id)
            .map_err(|e| NotionError::invalid_request(format!("stored page id: {e}")))?;
        self.inner
            .notion
            .update_page_properties(page_id, write_properties(write))
            .await
            .map(|_| ())
    }

    /// A cycle's page write, bounded to half the lease TTL. The cycle checks its global lease
    /// before each write and renews it once half the TTL has passed, so the lease has at least
    /// half its TTL left when a write starts: bounded so, the write is over before the lease
    /// can lapse and another runner take over this election's write lease. A write cut short
    /// fails transiently (retried next cycle; writes are absolute values).
    async fn write_page_bounded(&self, write: &PageWrite) -> Result<(), NotionError> {
        let bound = std::time::Duration::try_from(self.inner.config.lease_ttl / 2)
            .unwrap_or_default()
            .max(std::time::Duration::from_millis(1));
        match tokio::time::timeout(bound, self.write_page(write)).await {
            Ok(written) => written,
            Err(_) => Err(NotionError::transport(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the page update took longer than half the sync lease ({bound:?}); it is retried next cycle"
                ),
            ))),
        }
    }

    /// The holder of the election write leases: the cycle's, or the manual sync's.
    fn write_lease_holder(&self, in_cycle: bool) -> String {
        if in_cycle {
            cycle_lease_holder(&self.inner.config.holder)
        } else {
            self.inner.config.holder.clone()
        }
    }

    async fn release_election_leases(&self, elections: Vec<ElectionId>, in_cycle: bool) {
        if elections.is_empty() {
            return;
        }
        let holder = self.write_lease_holder(in_cycle);
        let released = self
            .blocking(move |s| {
                for id in &elections {
                    s.release_lease(&election_lease(id), &holder)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release election write leases; they expire on their own");
        }
    }

    /// Syncs one election now, for the admin API's "Sync with Notion": ignores the interval,
    /// backoff and pause, reads the page and schema fresh, writes what differs and records the
    /// outcome with a `manual` run, through the same steps as a cycle.
    ///
    /// Errors: `NotFound` (404), `NotLinked` (409), `LeaseHeld` (409: a cycle is writing this
    /// election right now), `Notion` (the read or write failed: the failure is recorded on the
    /// election first), `Validation` (422: the page's content prevents the sync, e.g. a missing
    /// status option; also recorded).
    pub async fn sync_now(
        &self,
        election_id: &ElectionId,
        now: Timestamp,
    ) -> Result<ManualSync, DriverError> {
        let holder = self.inner.config.holder.clone();
        let ttl = self.inner.config.lease_ttl;
        let name = election_lease(election_id);
        let id = election_id.clone();
        // Lease first, then load: the state planned with is the latest.
        let loaded = self
            .blocking(move |s| {
                s.get_election(&id)?;
                if s.try_acquire_lease(&name, &holder, ttl, now)?.is_none() {
                    let holder = s
                        .get_lease(&name)?
                        .map(|l| l.holder)
                        .unwrap_or_else(|| "another process".into());
                    return Ok(Err(holder));
                }
                match s.get_linked(&id) {
                    Ok(linked) => Ok(Ok(linked)),
                    Err(e) => {
                        s.release_lease(&name, &holder)?;
                        Err(e)
                    }
                }
            })
            .await
            .map_err(|e| DriverError::from_store_for(e, election_id))?;
        let linked = match loaded {
            Ok(linked) => linked,
            Err(holder) => return Err(DriverError::LeaseHeld { holder }),
        };
        let outcome = self.with_stats_scope().sync_now_locked(&linked, now).await;
        self.release_election_leases(vec![election_id.clone()], false)
            .await;
        outcome
    }

    async fn sync_now_locked(
        &self,
        linked: &LinkedElection,
        now: Timestamp,
    ) -> Result<ManualSync, DriverError> {
        let holder = self.inner.config.holder.clone();
        let requests_before = self.inner.notion.scope_stats().requests;
        let started = tokio::time::Instant::now();
        let run = self
            .blocking(move |s| s.start_run(Trigger::Manual, &holder, now))
            .await?;
        let read = self.read_one(linked, now).await;
        let (result, read_error) = match read {
            Ok(observation) => (
                self.execute(
                    now,
                    now,
                    linked,
                    Some(observation),
                    Trigger::Manual,
                    false,
                    false,
                )
                .await,
                None,
            ),
            Err((error, sync_error)) => {
                let (record, entry) = failure_record(now, linked, None, sync_error.clone());
                let plan = failed_plan(now, linked, Trigger::Manual, &record, sync_error);
                (
                    ElectionResult {
                        plan,
                        record: Some(record),
                        logs: vec![entry],
                        wrote: false,
                        failed: true,
                        notion_error: None,
                        skipped: None,
                        leased: false,
                    },
                    Some(error),
                )
            }
        };
        let counts = RunCounts {
            read: u64::from(read_error.is_none()),
            planned: 1,
            written: u64::from(result.wrote),
            pulled: u64::from(result.plan.election_update.is_some()),
            failed: u64::from(result.failed),
            notion_requests: self
                .inner
                .notion
                .scope_stats()
                .requests
                .saturating_sub(requests_before),
        };
        let batch = SyncBatch {
            records: result.record.clone().into_iter().collect(),
            cursors: Vec::new(),
            logs: result.logs.clone(),
            run_id: Some(run.id),
        };
        let id = linked.election.id.clone();
        let error_text = result
            .plan
            .outcome
            .state
            .notion_last_sync_error
            .clone()
            .filter(|_| result.failed);
        let run_error = error_text.clone();
        let finished_at = time_since(self.inner.clock.as_ref(), now, started);
        let election = self
            .blocking(move |s| {
                s.commit_batch(&batch, now)?;
                s.finish_run(run.id, &counts, run_error.as_deref(), finished_at)?;
                s.get_election(&id)
            })
            .await?;
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
        let plan = result.plan;
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
                status: w.status.as_ref().map(|c| c.to.clone()),
                results_link: w.results_url.as_ref().map(|c| c.to.clone()),
            })
            .unwrap_or_default();
        Ok(ManualSync {
            synced,
            written,
            plan,
            election,
        })
    }

    /// Reads one linked page and its schema fresh (2 requests once the data source is resolved).
    async fn read_one(
        &self,
        linked: &LinkedElection,
        now: Timestamp,
    ) -> Result<PageObservation, (NotionError, SyncError)> {
        let fail = |e: NotionError| {
            let sync_error = sync_error_from_notion(&e, false);
            (e, sync_error)
        };
        let page_id = NotionId::parse(&linked.link.notion_page_id)
            .map_err(|e| fail(NotionError::invalid_request(format!("stored page id: {e}"))))?;
        let database_id = NotionId::parse(&linked.link.notion_database_id).map_err(|e| {
            fail(NotionError::invalid_request(format!(
                "stored database id: {e}"
            )))
        })?;
        let page = self
            .inner
            .notion
            .retrieve_page(page_id, &[])
            .await
            .map_err(fail)?;
        let schema = self
            .inner
            .notion
            .retrieve_database_schema(database_id)
            .await
            .map_err(fail)?;
        let schema = schema_observation(&schema, &linked.link);
        Ok(page_observation(&page, &linked.link, schema, now))
    }

    /// Runs one cycle at `now` (SPEC §4-5): takes the global lease, then per linked database one
    /// change query (or a full read on reconcile), plans each due election, writes at most one
    /// page update per election and commits outcomes, pulls, the cursor and logs in one store
    /// transaction per database. A database that fails records the error on its elections; the
    /// others continue.
    ///
    /// With `options.preview`, Notion is read but nothing is written anywhere (no lease, no run
    /// record) and the plans are returned. Errors: `LeaseHeld` when another driver is running a
    /// cycle; `Store` when the store cannot be read at all.
    pub async fn run_cycle(
        &self,
        now: Timestamp,
        options: CycleOptions,
    ) -> Result<CycleReport, DriverError> {
        self.cycle(
            now,
            &options,
            self.inner.config.reconcile_every,
            false,
            None,
        )
        .await
    }

    pub(crate) async fn take_global_lease(&self, now: Timestamp) -> Result<(), DriverError> {
        let holder = self.inner.config.holder.clone();
        let ttl = self.inner.config.lease_ttl;
        // Taking the lease over from a holder whose lease expired (a runner killed mid-cycle)
        // also takes over that holder's cycle write leases, so the election whose write was in
        // flight is synced now rather than once its write lease lapses. Safe: a live cycle
        // takes a write lease only while its global lease is its own (checked after taking it)
        // and bounds each write to half the TTL, which its global lease still had at the start;
        // a manual sync's write leases have another holder and are never taken over.
        let taken = self
            .blocking(move |s| {
                Ok(
                    match s.try_acquire_lease_taking_over(
                        GLOBAL_LEASE,
                        &holder,
                        ttl,
                        now,
                        ELECTION_LEASE_PREFIX,
                        cycle_lease_holder,
                    )? {
                        Some(takeover) => Ok(takeover),
                        None => Err(s
                            .get_lease(GLOBAL_LEASE)?
                            .map(|l| l.holder)
                            .unwrap_or_default()),
                    },
                )
            })
            .await?;
        match taken {
            Ok(takeover) => {
                if let Some(dead) = &takeover.taken_from {
                    tracing::info!(
                        previous_holder = %dead,
                        released = ?takeover.released,
                        "took over the expired sync lease and the previous holder's write leases"
                    );
                }
                Ok(())
            }
            Err(holder) => Err(DriverError::LeaseHeld { holder }),
        }
    }

    pub(crate) async fn release_global_lease(&self) {
        let holder = self.inner.config.holder.clone();
        if let Err(e) = self
            .blocking(move |s| s.release_lease(GLOBAL_LEASE, &holder))
            .await
        {
            tracing::warn!(error = %e, "could not release the sync lease; it expires on its own");
        }
    }

    /// Renews the global lease once half its TTL has passed since the last renewal (by the
    /// keeper's clock). `Ok` is the time read; `Err` says why the lease is lost: the cycle must
    /// stop writing.
    async fn keep_lease(&self, lease: &mut LeaseKeeper) -> Result<Timestamp, String> {
        if !lease.active {
            return Ok(lease.cycle_now);
        }
        if let Some(lost) = &lease.lost {
            return Err(lost.clone());
        }
        let ttl = self.inner.config.lease_ttl;
        let now = lease.now();
        if now.duration_since(lease.renewed_at) < ttl / 2 {
            return Ok(now);
        }
        let holder = self.inner.config.holder.clone();
        match self
            .blocking(move |s| s.renew_lease(GLOBAL_LEASE, &holder, ttl, now))
            .await
        {
            Ok(_) => {
                lease.renewed_at = now;
                Ok(now)
            }
            Err(e) => {
                let lost = format!("the sync lease was lost ({e})");
                tracing::warn!(%lost, "stopping the cycle");
                lease.lost = Some(lost.clone());
                Err(lost)
            }
        }
    }

    pub(crate) async fn cycle(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        reconcile_every: SignedDuration,
        keep_lease: bool,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<CycleReport, DriverError> {
        let preview = options.preview;
        if !preview {
            self.take_global_lease(now).await?;
        }
        let clock = self.inner.clock.clone().or(clock);
        let mut lease = LeaseKeeper::new(clock, now, !preview);
        // Its own stats scope: the run's request count is exact even on a shared client.
        let outcome = self
            .with_stats_scope()
            .cycle_locked(now, options, reconcile_every, preview, &mut lease)
            .await;
        if !preview && !keep_lease {
            self.release_global_lease().await;
        }
        outcome
    }

    async fn cycle_locked(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        reconcile_every: SignedDuration,
        preview: bool,
        lease: &mut LeaseKeeper,
    ) -> Result<CycleReport, DriverError> {
        let requests_before = self.inner.notion.scope_stats().requests;
        let run_trigger = if options.reconcile && options.trigger == Trigger::Scheduled {
            Trigger::Reconcile
        } else {
            options.trigger
        };
        let run_id: Option<Uuid> = if preview {
            None
        } else {
            let holder = self.inner.config.holder.clone();
            Some(
                self.blocking(move |s| s.start_run(run_trigger, &holder, now))
                    .await?
                    .id,
            )
        };
        let filter = LinkedFilter {
            election_id: options.election.clone(),
            ..LinkedFilter::default()
        };
        let loaded = self
            .blocking(move |s| Ok((s.list_linked(&filter)?, s.list_cursors()?)))
            .await;
        let (linked, cursors) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                if let Some(id) = run_id {
                    let message = format!("could not load linked elections: {e}");
                    let _ = self
                        .blocking(move |s| {
                            s.finish_run(id, &RunCounts::default(), Some(&message), now)
                        })
                        .await;
                }
                return Err(e.into());
            }
        };
        let mut cursors: HashMap<String, SyncCursor> = cursors
            .into_iter()
            .map(|c| (c.database_id.clone(), c))
            .collect();
        let mut progress = ProgressTracker {
            sink: options.progress.clone(),
            done: CycleProgress {
                elections_total: linked.len() as u64,
                ..CycleProgress::default()
            },
        };
        let mut by_database: BTreeMap<String, Vec<LinkedElection>> = BTreeMap::new();
        for election in linked {
            by_database
                .entry(election.link.notion_database_id.clone())
                .or_default()
                .push(election);
        }

        let mut report = CycleReport {
            run_id,
            trigger: run_trigger,
            preview,
            started_at: now,
            counts: RunCounts::default(),
            plans: Vec::new(),
            databases: Vec::new(),
            skipped: Vec::new(),
            error: None,
        };
        let mut errors: Vec<String> = Vec::new();
        progress.done.databases_total = by_database.len() as u64;
        progress.report(&DatabaseWork::default());
        for (database, elections) in by_database {
            if let Err(lost) = self.keep_lease(lease).await {
                errors.push(format!("stopped: {lost}"));
                break;
            }
            let cursor = cursors.remove(&database);
            let cursor_from = cursor.as_ref().and_then(|c| c.last_edited_cursor);
            let requests_before_database = self.inner.notion.scope_stats().requests;
            let mut work = self
                .sync_database(
                    now,
                    options,
                    reconcile_every,
                    DatabaseInput {
                        database: &database,
                        elections,
                        cursor,
                    },
                    lease,
                    &progress,
                )
                .await;
            if !preview && let Some(db_report) = &work.report {
                let requests = self
                    .inner
                    .notion
                    .scope_stats()
                    .requests
                    .saturating_sub(requests_before_database);
                let entry = database_summary(
                    now,
                    db_report,
                    &work.counts,
                    requests,
                    cursor_from,
                    work.cursor.as_ref().and_then(|c| c.last_edited_cursor),
                );
                work.logs.insert(0, entry);
            }
            let DatabaseWork {
                records,
                logs,
                cursor,
                leases,
                plans,
                mut skipped,
                counts,
                writes_planned,
                report: db_report,
            } = work;
            if !preview && (!records.is_empty() || cursor.is_some() || !logs.is_empty()) {
                let batch = SyncBatch {
                    records,
                    cursors: cursor.into_iter().collect(),
                    logs,
                    run_id,
                };
                match self.blocking(move |s| s.commit_batch(&batch, now)).await {
                    Ok(batch_report) => {
                        skipped.extend(
                            batch_report
                                .skipped
                                .into_iter()
                                .map(|s| (s.election_id, s.reason)),
                        );
                    }
                    Err(e) => {
                        errors.push(format!(
                            "database {database}: could not record the sync: {e}"
                        ));
                    }
                }
            }
            self.release_election_leases(leases, true).await;
            progress.finish_database(&DatabaseWork {
                counts,
                writes_planned,
                ..DatabaseWork::default()
            });
            add_counts(&mut report.counts, &counts);
            report.plans.extend(plans);
            report.skipped.extend(skipped);
            if let Some(db_report) = db_report {
                if let Some(error) = &db_report.error {
                    errors.push(format!("database {database}: {error}"));
                }
                report.databases.push(db_report);
            }
            if lease.lost.is_some() {
                // What was written is recorded above; nothing more is.
                break;
            }
        }
        report.counts.notion_requests = self
            .inner
            .notion
            .scope_stats()
            .requests
            .saturating_sub(requests_before);
        report.error = (!errors.is_empty()).then(|| errors.join("; "));
        if let Some(id) = run_id {
            let counts = report.counts;
            let error = report.error.clone();
            let finished_at = lease.now();
            self.blocking(move |s| s.finish_run(id, &counts, error.as_deref(), finished_at))
                .await?;
        }
        tracing::info!(
            trigger = %run_trigger,
            preview,
            read = report.counts.read,
            planned = report.counts.planned,
            written = report.counts.written,
            failed = report.counts.failed,
            notion_requests = report.counts.notion_requests,
            "sync cycle finished"
        );
        Ok(report)
    }

    /// Steps 2-4 for one database; a preview keeps only the plans and counts.
    async fn sync_database(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        reconcile_every: SignedDuration,
        input: DatabaseInput<'_>,
        lease: &mut LeaseKeeper,
        progress: &ProgressTracker,
    ) -> DatabaseWork {
        let mut work = self
            .plan_database(now, options, reconcile_every, input, lease, progress)
            .await;
        if options.preview {
            work.records.clear();
            work.logs.clear();
            work.cursor = None;
        }
        work
    }

    async fn plan_database(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        reconcile_every: SignedDuration,
        input: DatabaseInput<'_>,
        lease: &mut LeaseKeeper,
        progress: &ProgressTracker,
    ) -> DatabaseWork {
        let DatabaseInput {
            database,
            elections,
            cursor,
        } = input;
        let config = &self.inner.config;
        let preview = options.preview;
        let mut work = DatabaseWork::default();
        let requested = options.reconcile || options.trigger == Trigger::Reconcile;
        let reconcile = requested
            || cursor.as_ref().is_none_or(|c| {
                c.last_edited_cursor.is_none()
                    || c.last_full_reconcile_at
                        .is_none_or(|at| now.duration_since(at) >= reconcile_every)
            });
        let trigger = if reconcile && options.trigger == Trigger::Scheduled {
            Trigger::Reconcile
        } else {
            options.trigger
        };
        // Who is synced: a requested reconcile (`backfill`) or a manual cycle syncs every
        // election; a scheduled cycle only the due ones (interval, phase change, backoff), even
        // when it reads the whole database (no cursor yet, or the periodic reconcile). So a
        // database whose first read keeps failing (never shared) is read again only when the
        // backoff of one of its elections is over, and not at all while none is due.
        let due_by = if requested { trigger } else { options.trigger };
        let (due, not_due): (Vec<LinkedElection>, Vec<LinkedElection>) = elections
            .into_iter()
            .partition(|e| is_due(now, &e.election, &e.state, config.min_interval, due_by));
        if due.is_empty() && !requested {
            return work;
        }
        let mut db_report = DatabaseReport {
            database_id: database.to_owned(),
            reconciled: reconcile,
            queried: false,
            pages_read: 0,
            error: None,
        };

        // A wake-up at a phase change right after a cycle: plan from the stored observations and
        // spend no read (the next regular cycle picks up any edit made meanwhile).
        let phase_change_only = !reconcile
            && trigger == Trigger::Scheduled
            && cursor
                .as_ref()
                .is_some_and(|c| now.duration_since(c.updated_at) < config.min_interval)
            && due.iter().all(|e| {
                e.state.error_class.is_none()
                    && !e.state.link_broken
                    && e.state.last_observation.is_some()
                    && e.state
                        .notion_last_sync_at
                        .is_some_and(|last| now.duration_since(last) < config.min_interval)
            });

        let database_id = match NotionId::parse(database) {
            Ok(id) => id,
            Err(e) => {
                let error = SyncError::new(
                    SyncErrorKind::Validation,
                    format!("the stored database id is not a Notion id: {e}"),
                );
                self.fail_all(now, &due, trigger, error, &mut work);
                db_report.error = Some(format!("invalid database id {database}"));
                work.report = Some(db_report);
                return work;
            }
        };

        let mut schema: Option<DataSource> = None;
        let mut pages: HashMap<NotionId, Page> = HashMap::new();
        if !phase_change_only {
            let need_schema = reconcile
                || due.iter().any(|e| {
                    e.state.last_observation.is_none()
                        || e.state.error_class.is_some()
                        || e.state.link_broken
                });
            if need_schema {
                match self
                    .inner
                    .notion
                    .retrieve_database_schema(database_id)
                    .await
                {
                    Ok(ds) => schema = Some(ds),
                    Err(e) => {
                        db_report.error = Some(format!("could not read the schema: {e}"));
                        let error = sync_error_from_notion(&e, false);
                        self.fail_all(now, &due, trigger, error, &mut work);
                        work.report = Some(db_report);
                        return work;
                    }
                }
            }
            let since = cursor
                .as_ref()
                .and_then(|c| c.last_edited_cursor)
                .filter(|_| !reconcile)
                .map(|c| change_query_start(c, config.change_overlap));
            let all: Vec<&LinkedElection> = due.iter().chain(not_due.iter()).collect();
            let mut retried = false;
            let mut query_started;
            loop {
                let properties = property_names(&all, schema.as_ref());
                query_started = store::stored_precision(lease.now());
                match self
                    .query_pages(database_id, since, properties, lease)
                    .await
                {
                    Ok(found) => {
                        pages = found;
                        break;
                    }
                    Err(_) if lease.lost.is_some() => {
                        // Stopped reading: another runner may be syncing. Record nothing.
                        db_report.error = lease.lost.as_ref().map(|l| format!("stopped: {l}"));
                        work.report = Some(db_report);
                        return work;
                    }
                    Err(e)
                        if matches!(e.kind(), ErrorKind::Validation)
                            && !retried
                            && schema.is_none() =>
                    {
                        // Most likely a property was renamed or removed: re-read the schema.
                        retried = true;
                        match self
                            .inner
                            .notion
                            .retrieve_database_schema(database_id)
                            .await
                        {
                            Ok(ds) => schema = Some(ds),
                            Err(e) => {
                                db_report.error = Some(format!("could not read the schema: {e}"));
                                let error = sync_error_from_notion(&e, false);
                                self.fail_all(now, &due, trigger, error, &mut work);
                                work.report = Some(db_report);
                                return work;
                            }
                        }
                    }
                    Err(e) => {
                        db_report.error = Some(format!("could not query the database: {e}"));
                        let error = sync_error_from_notion(&e, false);
                        self.fail_all(now, &due, trigger, error, &mut work);
                        work.report = Some(db_report);
                        return work;
                    }
                }
            }
            db_report.queried = true;
            db_report.pages_read = pages.len() as u64;
            work.counts.read += pages.len() as u64;
            progress.report(&work);
            // The cursor is when this read started (see `change_query_start`), not the newest
            // `last_edited_time` seen: the next query then returns only what changed since.
            work.cursor = Some(SyncCursor {
                database_id: database.to_owned(),
                last_edited_cursor: Some(query_started),
                last_full_reconcile_at: if reconcile {
                    Some(now)
                } else {
                    cursor.as_ref().and_then(|c| c.last_full_reconcile_at)
                },
                updated_at: now,
            });
        }

        // If a returned page disagrees with the schema we hold, read the schema once.
        if schema.is_none()
            && due.iter().chain(not_due.iter()).any(|e| {
                page_of(&pages, e).is_some_and(|page| {
                    e.state
                        .last_observation
                        .as_ref()
                        .is_some_and(|o| schema_looks_stale(page, &e.link, &o.schema))
                })
            })
        {
            match self
                .inner
                .notion
                .retrieve_database_schema(database_id)
                .await
            {
                Ok(ds) => schema = Some(ds),
                Err(e) => tracing::warn!(database, error = %e, "could not re-read the schema"),
            }
        }
        let schema_for = |e: &LinkedElection| -> Option<SchemaObservation> {
            match &schema {
                Some(ds) => Some(schema_observation(ds, &e.link)),
                None => e.state.last_observation.as_ref().map(|o| o.schema.clone()),
            }
        };

        for (index, election) in due.iter().enumerate() {
            let lease_now = match self.keep_lease(lease).await {
                Ok(at) => at,
                Err(lost) => {
                    // Stop writing; record what was done. The cursor stays where it was, so the
                    // next change query still returns the pages of the elections left.
                    work.cursor = None;
                    work.skipped.extend(
                        due[index..]
                            .iter()
                            .map(|e| (e.election.id.clone(), format!("not synced: {lost}"))),
                    );
                    db_report.error = Some(format!("stopped: {lost}"));
                    work.report = Some(db_report);
                    return work;
                }
            };
            let mut fresh = match (page_of(&pages, election), schema_for(election)) {
                (Some(page), Some(s)) => Some(page_observation(page, &election.link, s, now)),
                _ => None,
            };
            if fresh.is_none() {
                let input = SyncInput {
                    election: &election.election,
                    link: &election.link,
                    state: &election.state,
                    observation: None,
                    base_url: &config.base_url,
                    trigger,
                };
                let must_read = reconcile
                    || needs_observation(now, &input, false)
                    || schema_for(election).is_none();
                if must_read {
                    match self.read_one(election, now).await {
                        Ok(observation) => {
                            work.counts.read += 1;
                            fresh = Some(observation);
                        }
                        Err((_, error)) => {
                            self.fail_all(
                                now,
                                std::slice::from_ref(election),
                                trigger,
                                error,
                                &mut work,
                            );
                            continue;
                        }
                    }
                }
            }
            let result = self
                .execute(now, lease_now, election, fresh, trigger, preview, true)
                .await;
            work.counts.planned += 1;
            work.counts.written += u64::from(result.wrote);
            work.counts.failed += u64::from(result.failed);
            work.writes_planned += u64::from(result.plan.page_write.is_some());
            work.counts.pulled += u64::from(
                result
                    .record
                    .as_ref()
                    .is_some_and(|r| r.election_update.is_some()),
            );
            if result.leased {
                work.leases.push(election.election.id.clone());
            }
            if let Some(reason) = result.skipped {
                work.skipped.push((election.election.id.clone(), reason));
            }
            work.records.extend(result.record);
            work.logs.extend(result.logs);
            work.plans.push(result.plan);
            progress.report(&work);
        }

        // Elections not due now whose page changed: keep their observation current, so their next
        // sync plans from what Notion has now although the cursor moves past this edit.
        for election in &not_due {
            if let (Some(page), Some(s)) = (page_of(&pages, election), schema_for(election)) {
                let observation = page_observation(page, &election.link, s, now);
                work.records.push(SyncRecord {
                    election_id: election.election.id.clone(),
                    page_id: election.link.notion_page_id.clone(),
                    state: SyncState {
                        last_observation: Some(observation),
                        ..election.state.clone()
                    },
                    election_update: None,
                });
            }
        }
        work.report = Some(db_report);
        work
    }

    /// Records `error` on each election (no Notion request made for them).
    fn fail_all(
        &self,
        now: Timestamp,
        elections: &[LinkedElection],
        trigger: Trigger,
        error: SyncError,
        work: &mut DatabaseWork,
    ) {
        for election in elections {
            let (record, entry) = failure_record(now, election, None, error.clone());
            work.plans
                .push(failed_plan(now, election, trigger, &record, error.clone()));
            work.counts.planned += 1;
            work.counts.failed += 1;
            work.records.push(record);
            work.logs.push(entry);
        }
    }

    /// One change query (or full read), 100 pages per request, following cursors and going on
    /// past Notion's 10,000-results-per-query cap (notion-client's `query_all`: ordered by
    /// `created_time`, it queries again from the last creation instant seen), so neither a
    /// reconcile of a large database nor a burst of edits is silently cut off.
    async fn query_pages(
        &self,
        database_id: NotionId,
        since: Option<Timestamp>,
        properties: Vec<String>,
        lease: &mut LeaseKeeper,
    ) -> Result<HashMap<NotionId, Page>, NotionError> {
        let notion = &self.inner.notion;
        let data_source = notion.resolve_data_source(database_id).await?;
        let mut query = Query::new()
            .page_size(QUERY_PAGE_SIZE)
            .filter_properties(properties);
        if let Some(since) = since {
            query = query.filter(Filter::last_edited_time(DateCondition::on_or_after(since)));
        }
        let mut stream = notion.query_all(data_source, query);
        let mut pages = HashMap::new();
        while let Some(page) = stream.next().await {
            let page = page?;
            pages.insert(page.id, page);
            // A full read of a large database takes a while at Notion's pace.
            self.keep_lease(lease)
                .await
                .map_err(|lost| NotionError::invalid_request(format!("stopped: {lost}")))?;
        }
        Ok(pages)
    }
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
fn change_query_start(cursor: Timestamp, overlap: SignedDuration) -> Timestamp {
    let back = cursor.checked_sub(overlap).unwrap_or(cursor);
    let minute = back.as_second().div_euclid(60) * 60;
    Timestamp::from_second(minute).unwrap_or(back)
}

fn page_of<'p>(pages: &'p HashMap<NotionId, Page>, election: &LinkedElection) -> Option<&'p Page> {
    let id = NotionId::parse(&election.link.notion_page_id).ok()?;
    pages.get(&id)
}

/// The properties the sync reads, over every linked election of the database: only names the
/// schema has (Notion rejects a query naming an unknown property). The title goes by its id.
fn property_names(elections: &[&LinkedElection], schema: Option<&DataSource>) -> Vec<String> {
    let mut names: Vec<String> = vec!["title".to_owned()];
    for election in elections {
        let link = &election.link;
        let known: [(&String, bool); 4] = match (schema, &election.state.last_observation) {
            (Some(ds), _) => [
                &link.notion_status_property_name,
                &link.notion_results_property_name,
                &link.notion_title_property_name,
                &link.notion_description_property_name,
            ]
            .map(|name| (name, ds.properties.contains_key(name))),
            (None, Some(o)) => [
                (
                    &link.notion_status_property_name,
                    o.schema.status_property_type.is_some(),
                ),
                (
                    &link.notion_results_property_name,
                    o.schema.results_property_type.is_some(),
                ),
                (
                    &link.notion_title_property_name,
                    o.schema.title_property_type.is_some(),
                ),
                (
                    &link.notion_description_property_name,
                    o.schema.description_property_type.is_some(),
                ),
            ],
            (None, None) => continue,
        };
        for (name, exists) in known {
            if exists && !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

fn add_counts(total: &mut RunCounts, add: &RunCounts) {
    total.read += add.read;
    total.planned += add.planned;
    total.written += add.written;
    total.pulled += add.pulled;
    total.failed += add.failed;
}
