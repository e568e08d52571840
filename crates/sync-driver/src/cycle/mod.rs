//! One sync cycle (SPEC §4-5): under the global lease, each linked database in turn (its reads,
//! plans and writes in [`database`]), one store transaction per database, and the run record.
//! The per-election steps 3-5 ([`execute`]) are shared with the manual sync.

mod commit;
mod connection;
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

use connection::{ConnectionTally, ConnectionWork, DatabaseShare};
use futures::StreamExt;
use lease::LeaseKeeper;
use progress::ProgressTracker;

use crate::{Clock, CycleOptions, CycleReport, DriverError, SyncDriver, WebhookScope};

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
        if options.election.is_none() && options.webhook.is_none() {
            self.run_managed_deltas(now, preview).await;
        }
        let (linked, mut cursors) = self.load_work(now, options, run_id).await?;
        let elections_total = linked.len() as u64;
        let by_connection = group_by_connection(linked, &mut cursors);
        let databases_total = by_connection.values().map(Vec::len).sum::<usize>();
        let progress = ProgressTracker::new(
            options.progress.clone(),
            elections_total,
            databases_total as u64,
        );
        let cycle = CycleContext {
            now,
            options,
            reconcile_every,
            preview,
            run_id,
        };
        progress.report_now();
        // Each connection's databases one after another, the connections side by side: each has
        // its own budget and pacer, so one slow or rate-limited workspace holds up no other.
        let limit = self.inner.config.max_concurrent_connections.max(1);
        let connections_with_work = by_connection.len();
        let mut tallies: Vec<(usize, ConnectionTally)> =
            futures::stream::iter(by_connection.into_iter().enumerate())
                .map(|(slot, (connection, databases))| {
                    let keeper = lease.for_connection();
                    let progress = progress.slot(slot);
                    let cycle = &cycle;
                    async move {
                        let work = ConnectionWork {
                            connection,
                            databases,
                        };
                        let tally = self.cycle_connection(cycle, work, keeper, progress).await;
                        (slot, tally)
                    }
                })
                .buffer_unordered(limit)
                .collect()
                .await;
        // The report in connection then database order, whatever order they finished in.
        tallies.sort_by_key(|(slot, _)| *slot);
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
            rate_limited_until: None,
        };
        let mut errors = Vec::new();
        let mut other_connection_requests = 0;
        let mut limited: Vec<(store::ConnectionId, Timestamp)> = Vec::new();
        for (_, tally) in tallies {
            add_counts(&mut report.counts, &tally.counts);
            report.plans.extend(tally.plans);
            report.databases.extend(tally.databases);
            report.skipped.extend(tally.skipped);
            errors.extend(tally.errors);
            other_connection_requests += tally.other_connection_requests;
            if let Some(until) = tally.rate_limited_until {
                limited.push((tally.connection, until));
            }
        }
        report.counts.notion_requests =
            self.requests_since(requests_before) + other_connection_requests;
        if !limited.is_empty() && limited.len() == connections_with_work {
            // Every connection with work waits: the cycle stopped, and the next one starts when
            // the first penalty ends.
            let until = limited.iter().map(|(_, until)| *until).min();
            report.rate_limited_until = until;
            if let Some(until) = until {
                // First: `runs list` shows the start of the error.
                errors.insert(0, lease::rate_limited_message(until));
            }
        } else {
            for (connection, until) in limited {
                errors.insert(
                    0,
                    format!(
                        "connection '{connection}': {}; its other databases wait, the other connections go on",
                        lease::rate_limited_message(until)
                    ),
                );
            }
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
        // Webhook events name pages (and schema changes databases): only their links are
        // loaded and synced.
        let filter = LinkedFilter {
            election_id: options.election.clone(),
            scope: options.webhook.as_ref().map(WebhookScope::link_scope),
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

/// The trigger a run or database read goes by: a scheduled one that reconciles is a reconcile.
fn recorded_trigger(trigger: Trigger, reconcile: bool) -> Trigger {
    if reconcile && trigger == Trigger::Scheduled {
        Trigger::Reconcile
    } else {
        trigger
    }
}

/// The linked elections by connection, then database (each with its change cursor, taken out of
/// `cursors`), in id order.
fn group_by_connection(
    linked: Vec<LinkedElection>,
    cursors: &mut HashMap<String, SyncCursor>,
) -> BTreeMap<store::ConnectionId, Vec<DatabaseShare>> {
    let mut by_database: BTreeMap<(store::ConnectionId, String), Vec<LinkedElection>> =
        BTreeMap::new();
    for election in linked {
        by_database
            .entry((
                election.connection_id.clone(),
                election.link.notion_database_id.clone(),
            ))
            .or_default()
            .push(election);
    }
    let mut by_connection: BTreeMap<store::ConnectionId, Vec<DatabaseShare>> = BTreeMap::new();
    for ((connection, database), elections) in by_database {
        let cursor = cursors.remove(&database);
        by_connection
            .entry(connection)
            .or_default()
            .push(DatabaseShare {
                database,
                elections,
                cursor,
            });
    }
    by_connection
}

fn add_counts(total: &mut RunCounts, add: &RunCounts) {
    total.read += add.read;
    total.planned += add.planned;
    total.written += add.written;
    total.pulled += add.pulled;
    total.failed += add.failed;
}
