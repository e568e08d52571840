//! One sync cycle (SPEC §4-5): under the global lease, each linked database in turn (its reads,
//! plans and writes in [`database`]), one store transaction per database, and the run record.
//! The per-election steps 3-5 ([`execute`]) are shared with the manual sync.

mod commit;
mod database;
mod execute;
mod lease;
mod progress;
mod read;
mod records;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use store::{
    LinkedElection, LinkedFilter, NewLogEntry, RunCounts, SyncBatch, SyncCursor, SyncRecord,
};
use sync_engine::{ElectionId, Trigger};
use uuid::Uuid;

pub(crate) use execute::{ElectionResult, ExecuteAt, ExecuteMode, property_value};
pub(crate) use lease::Writer;
pub(crate) use lease::time_since;
pub use read::QUERY_PAGE_SIZE;

use database::{DatabaseInput, DatabaseWork};
use lease::LeaseKeeper;
use progress::ProgressTracker;
use records::database_summary;

use crate::{Clock, CycleOptions, CycleReport, DriverError, SyncDriver};

/// What becomes of the global lease when a cycle ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaseAfter {
    /// Kept: the daemon runs the next cycle (a standby must not take over in between).
    Keep,
    /// Released: a one-off cycle (`once`, `backfill`, the api-server's run-now).
    Release,
}

/// How the caller runs a cycle: the reconcile period, the lease after it, the clock for renewals.
pub(crate) struct CycleRun {
    /// How long a database goes without a full read.
    pub(crate) reconcile_every: SignedDuration,
    /// Keep or release the global lease at the end.
    pub(crate) lease_after: LeaseAfter,
    /// The clock that times lease renewals (the driver's own, when it has one, wins).
    pub(crate) clock: Option<Arc<dyn Clock>>,
}

/// What every database of one cycle shares.
#[derive(Clone, Copy)]
struct CycleContext<'a> {
    now: Timestamp,
    options: &'a CycleOptions,
    reconcile_every: SignedDuration,
    preview: bool,
    run_id: Option<Uuid>,
}

/// The cycle's report as the databases add to it, and the errors for the run's record.
struct CycleTally {
    report: CycleReport,
    errors: Vec<String>,
    /// Requests made through OAuth connections (the cycle's own handle counts the internal
    /// connection's).
    other_connection_requests: u64,
    /// OAuth connections Notion rate-limited during this cycle, until when: their remaining
    /// databases wait for the next cycle, the other connections' go on.
    limited_connections: BTreeMap<store::ConnectionId, Timestamp>,
}

impl SyncDriver {
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
        let run = CycleRun {
            reconcile_every: self.inner.config.reconcile_every,
            lease_after: LeaseAfter::Release,
            clock: None,
        };
        self.cycle(now, &options, run).await
    }

    /// One cycle as [`run_cycle`](Self::run_cycle) or the daemon runs it.
    pub(crate) async fn cycle(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        run: CycleRun,
    ) -> Result<CycleReport, DriverError> {
        let CycleRun {
            reconcile_every,
            lease_after,
            clock,
        } = run;
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
        if !preview && lease_after == LeaseAfter::Release {
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
        let requests_before = self.requests_so_far();
        let run_trigger = recorded_trigger(options.trigger, options.reconcile);
        let run_id = self.open_run(now, run_trigger, preview).await?;
        // Managed databases (issue 12, src/managed.rs): new elections get their pages and links
        // first, so this cycle loads and syncs them with the others.
        if options.election.is_none() {
            self.run_managed_deltas(now, preview).await;
        }
        let (linked, mut cursors) = self.load_work(now, options, run_id).await?;
        let elections_total = linked.len() as u64;
        let by_database = group_by_database(linked);
        let mut progress = ProgressTracker::new(
            options.progress.clone(),
            elections_total,
            by_database.len() as u64,
        );
        let cycle = CycleContext {
            now,
            options,
            reconcile_every,
            preview,
            run_id,
        };
        let mut tally = CycleTally {
            report: CycleReport {
                run_id,
                trigger: run_trigger,
                preview,
                started_at: now,
                counts: RunCounts::default(),
                plans: Vec::new(),
                databases: Vec::new(),
                skipped: Vec::new(),
                error: None,
                rate_limited_until: None,
            },
            errors: Vec::new(),
            other_connection_requests: 0,
            limited_connections: BTreeMap::new(),
        };
        progress.report(&DatabaseWork::default());
        for (database, elections) in by_database {
            if let Err(lost) = self.keep_lease(lease).await {
                // A rate limit is recorded once, below, for the whole cycle.
                if lease.rate_limited_until().is_none() {
                    tally.errors.push(format!("stopped: {lost}"));
                }
                break;
            }
            let input = DatabaseInput {
                database: &database,
                elections,
                cursor: cursors.remove(&database),
                unusable: None,
            };
            self.cycle_database(&cycle, input, lease, &mut progress, &mut tally)
                .await;
            if lease.lost().is_some() || lease.rate_limited_until().is_some() {
                // What was written is recorded; nothing more is.
                break;
            }
        }
        let mut report = tally.report;
        let mut errors = tally.errors;
        report.counts.notion_requests =
            self.requests_since(requests_before) + tally.other_connection_requests;
        report.rate_limited_until = lease.rate_limited_until();
        if let Some(until) = report.rate_limited_until {
            // First: `runs list` shows the start of the error.
            errors.insert(0, lease::rate_limited_message(until));
        }
        report.error = (!errors.is_empty()).then(|| errors.join("; "));
        self.close_run(&report, lease.now()).await?;
        Ok(report)
    }

    /// Records the start of the cycle's run (none for a preview).
    async fn open_run(
        &self,
        now: Timestamp,
        trigger: Trigger,
        preview: bool,
    ) -> Result<Option<Uuid>, DriverError> {
        if preview {
            return Ok(None);
        }
        let run = self
            .inner
            .store
            .start_run(trigger, &self.inner.config.holder, now)
            .await?;
        Ok(Some(run.id))
    }

    /// The linked elections and the databases' cursors; a store that cannot give them ends the
    /// run with that error.
    async fn load_work(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        run_id: Option<Uuid>,
    ) -> Result<(Vec<LinkedElection>, HashMap<String, SyncCursor>), DriverError> {
        let filter = LinkedFilter {
            election_id: options.election.clone(),
            ..LinkedFilter::default()
        };
        let store = &self.inner.store;
        let loaded: store::Result<_> = async {
            Ok((
                store.list_linked(&filter).await?,
                store.list_cursors().await?,
            ))
        }
        .await;
        match loaded {
            Ok((linked, cursors)) => {
                let cursors = cursors
                    .into_iter()
                    .map(|c| (c.database_id.clone(), c))
                    .collect();
                Ok((linked, cursors))
            }
            Err(e) => {
                if let Some(id) = run_id {
                    let message = format!("could not load linked elections: {e}");
                    let _ = store
                        .finish_run(id, &RunCounts::default(), Some(&message), now)
                        .await;
                }
                Err(e.into())
            }
        }
    }

    /// One database's part of the cycle: read, plan and write it, then commit what it did in one
    /// transaction, give back its write leases and add it to the tally.
    async fn cycle_database(
        &self,
        cycle: &CycleContext<'_>,
        input: DatabaseInput<'_>,
        lease: &mut LeaseKeeper,
        progress: &mut ProgressTracker,
        tally: &mut CycleTally,
    ) {
        let CycleContext {
            now,
            options,
            reconcile_every,
            preview,
            run_id,
        } = *cycle;
        let database = input.database.to_owned();
        let cursor_from = input.cursor.as_ref().and_then(|c| c.last_edited_cursor);
        let connection = input
            .elections
            .first()
            .map(|e| e.connection_id.clone())
            .unwrap_or_else(store::ConnectionId::internal);
        if tally.limited_connections.contains_key(&connection) {
            // Its connection is waiting out a rate limit: no request until the next cycle.
            return;
        }
        // The database's links reach Notion through its connection: its token, its budget.
        let (driver, input) = self.on_connection_of(now, input).await;
        let through_other = !Arc::ptr_eq(&driver.inner, &self.inner);
        // A penalty another process met on this connection holds this one's requests too.
        driver
            .import_penalty(&connection, now, || lease.now())
            .await;
        let limited_before = lease.rate_limited_until();
        let retry_input = through_other.then(|| input.clone());
        let requests_before_database = driver.requests_so_far();
        let mut work = driver
            .sync_database(now, options, reconcile_every, input, lease, progress)
            .await;
        let mut database_requests = driver.requests_since(requests_before_database);
        driver.export_penalty(&connection, || lease.now()).await;
        // Notion refused an OAuth connection's token (401): refresh it once and sync the
        // database again with the new one, rather than leave its links failing until a later
        // cycle. A refresh that does not give an active connection keeps the failure (the
        // connection's state says why).
        if let Some(retry_input) = retry_input
            && refused_token(&work)
            && let Ok(refreshed) = self.refresh_connection(&connection, lease.now()).await
            && refreshed.state == store::ConnectionState::Active
        {
            self.release_link_leases(std::mem::take(&mut work.leases), Writer::Cycle)
                .await;
            let (again, retry_input) = self.on_connection_of(now, retry_input).await;
            let before = again.requests_so_far();
            work = again
                .sync_database(now, options, reconcile_every, retry_input, lease, progress)
                .await;
            database_requests += again.requests_since(before);
        }
        if through_other {
            tally.other_connection_requests += database_requests;
            if limited_before.is_none()
                && let Some(until) = lease.take_rate_limit()
            {
                tally.errors.push(format!(
                    "connection '{connection}': {}; its other databases wait, the other connections go on",
                    lease::rate_limited_message(until)
                ));
                tally.limited_connections.insert(connection, until);
            }
        }
        if preview {
            work.discard_for_preview();
        }
        if !preview && let Some(db_report) = &work.report {
            let entry = database_summary(
                now,
                db_report,
                work.cap,
                &work.counts,
                database_requests,
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
            ..
        } = work;
        if !preview && (!records.is_empty() || cursor.is_some() || !logs.is_empty()) {
            let committed = self
                .commit_database_resilient(now, run_id, records, cursor, logs)
                .await;
            skipped.extend(committed.skipped);
            tally.errors.extend(
                committed
                    .errors
                    .into_iter()
                    .map(|e| format!("database '{database}': {e}")),
            );
        }
        self.release_link_leases(leases, Writer::Cycle).await;
        progress.finish_database(&counts, writes_planned);
        let report = &mut tally.report;
        add_counts(&mut report.counts, &counts);
        report.plans.extend(plans);
        report.skipped.extend(skipped);
        if let Some(db_report) = db_report {
            if let Some(error) = &db_report.error {
                tally.errors.push(format!("database '{database}': {error}"));
            }
            report.databases.push(db_report);
        }
    }

    /// Records the end of the cycle's run (with its counts and error) and logs the summary.
    async fn close_run(
        &self,
        report: &CycleReport,
        finished_at: Timestamp,
    ) -> Result<(), DriverError> {
        if let Some(id) = report.run_id {
            self.inner
                .store
                .finish_run(id, &report.counts, report.error.as_deref(), finished_at)
                .await?;
        }
        tracing::info!(
            trigger = %report.trigger,
            preview = report.preview,
            read = report.counts.read,
            planned = report.counts.planned,
            written = report.counts.written,
            failed = report.counts.failed,
            notion_requests = report.counts.notion_requests,
            "sync cycle finished"
        );
        Ok(())
    }

    /// Commits one database's records, cursor and logs in one store transaction. `Ok` holds the
    /// elections the store skipped, and why.
    async fn commit_database(
        &self,
        now: Timestamp,
        run_id: Option<Uuid>,
        records: Vec<SyncRecord>,
        cursor: Option<SyncCursor>,
        logs: Vec<NewLogEntry>,
    ) -> store::Result<Vec<(ElectionId, String)>> {
        let batch = SyncBatch {
            records,
            cursors: cursor.into_iter().collect(),
            logs,
            run_id,
        };
        let committed = self.inner.store.commit_batch(batch, now).await?;
        Ok(committed
            .skipped
            .into_iter()
            .map(|s| (s.election_id, s.reason))
            .collect())
    }
}

/// Whether Notion refused the connection's token (401) somewhere in a database's work.
fn refused_token(work: &DatabaseWork) -> bool {
    work.plans.iter().any(|plan| {
        matches!(
            &plan.outcome.verdict,
            sync_engine::Verdict::Failed { error, .. } if error.status == Some(401)
        )
    })
}

/// The trigger a run or database read goes by: a scheduled one that reconciles is a reconcile.
fn recorded_trigger(trigger: Trigger, reconcile: bool) -> Trigger {
    if reconcile && trigger == Trigger::Scheduled {
        Trigger::Reconcile
    } else {
        trigger
    }
}

/// The linked elections by database, in database order.
fn group_by_database(linked: Vec<LinkedElection>) -> BTreeMap<String, Vec<LinkedElection>> {
    let mut by_database: BTreeMap<String, Vec<LinkedElection>> = BTreeMap::new();
    for election in linked {
        by_database
            .entry(election.link.notion_database_id.clone())
            .or_default()
            .push(election);
    }
    by_database
}

fn add_counts(total: &mut RunCounts, add: &RunCounts) {
    total.read += add.read;
    total.planned += add.planned;
    total.written += add.written;
    total.pulled += add.pulled;
    total.failed += add.failed;
}
