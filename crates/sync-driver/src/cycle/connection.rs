//! One connection's part of a cycle: its databases one after another, through the connection's
//! own client (its token, its pacer), beside the other connections' parts. A rate limit or a lost
//! token stops this part only.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use store::{ConnectionId, LinkedElection, RunCounts, SyncCursor};
use sync_engine::{ElectionId, SyncError, SyncErrorKind, SyncPlan};

use super::database::{DatabaseInput, DatabaseWork};
use super::lease::{self, LeaseKeeper, Writer};
use super::progress::ProgressSlot;
use super::records::database_summary;
use super::{CycleContext, add_counts};
use crate::{DatabaseReport, SyncDriver};

/// A penalty still this long when a connection's part starts holds it until the next cycle: it
/// makes no request (each would wait it out or fail) and records nothing on its elections.
const HOLD_OVER: Duration = Duration::from_secs(1);

/// One database's share of a cycle, before its connection's part starts.
pub(super) struct DatabaseShare {
    pub(super) database: String,
    pub(super) elections: Vec<LinkedElection>,
    pub(super) cursor: Option<SyncCursor>,
}

/// The databases of one connection in a cycle.
pub(super) struct ConnectionWork {
    pub(super) connection: ConnectionId,
    pub(super) databases: Vec<DatabaseShare>,
}

/// What one connection's part adds to the cycle's report.
pub(super) struct ConnectionTally {
    pub(super) connection: ConnectionId,
    pub(super) counts: RunCounts,
    pub(super) plans: Vec<SyncPlan>,
    pub(super) databases: Vec<DatabaseReport>,
    pub(super) skipped: Vec<(ElectionId, String)>,
    pub(super) errors: Vec<String>,
    /// Requests made through an OAuth connection's handle (the cycle's own handle counts the
    /// internal connection's).
    pub(super) other_connection_requests: u64,
    /// Until when Notion rate-limits this connection, when that stopped its part.
    pub(super) rate_limited_until: Option<Timestamp>,
}

impl ConnectionTally {
    fn new(connection: ConnectionId) -> Self {
        Self {
            connection,
            counts: RunCounts::default(),
            plans: Vec::new(),
            databases: Vec::new(),
            skipped: Vec::new(),
            errors: Vec::new(),
            other_connection_requests: 0,
            rate_limited_until: None,
        }
    }
}

/// What one connection's part of the cycle carries from one of its databases to the next.
struct ConnectionPart<'p> {
    connection: ConnectionId,
    lease: LeaseKeeper,
    progress: ProgressSlot<'p>,
    tally: ConnectionTally,
}

impl SyncDriver {
    /// One connection's part of the cycle: each of its databases in turn, until its lease keeper
    /// says stop (the global lease lost, or Notion's rate limit on this connection).
    pub(super) async fn cycle_connection(
        &self,
        cycle: &CycleContext<'_>,
        work: ConnectionWork,
        lease: LeaseKeeper,
        progress: ProgressSlot<'_>,
    ) -> ConnectionTally {
        let ConnectionWork {
            connection,
            databases,
        } = work;
        let (mut driver, unusable) = self.connection_handle(cycle.now, &connection).await;
        // A penalty another process met on this connection holds this one's requests too.
        driver
            .import_penalty(&connection, cycle.now, || lease.now())
            .await;
        let mut part = ConnectionPart {
            tally: ConnectionTally::new(connection.clone()),
            connection,
            lease,
            progress,
        };
        let blocked = driver.notion().pacer().blocked_for();
        if blocked > HOLD_OVER {
            let until = lease::penalty_end(part.lease.now(), blocked);
            part.lease.hold_until(until);
            part.tally.rate_limited_until = Some(until);
            return part.tally;
        }
        for share in databases {
            if let Err(lost) = self.keep_lease(&mut part.lease).await {
                // A rate limit is recorded once, for the whole connection.
                if part.lease.rate_limited_until().is_none() {
                    part.tally.errors.push(format!("stopped: {lost}"));
                }
                break;
            }
            let input = DatabaseInput {
                database: &share.database,
                elections: share.elections,
                cursor: share.cursor,
                unusable: unusable.clone(),
            };
            driver = self.cycle_database(cycle, &mut part, driver, input).await;
            if part.lease.lost().is_some() || part.lease.rate_limited_until().is_some() {
                // What was written is recorded; nothing more is.
                break;
            }
        }
        part.tally.rate_limited_until = part.lease.rate_limited_until();
        part.tally
    }

    /// The handle a connection's databases run on: this one for the internal connection, else one
    /// whose Notion client is the OAuth connection's (counted in a stats scope of its own). When
    /// that connection cannot be used, this handle and why: its due links then record the reason
    /// and no request is made.
    async fn connection_handle(
        &self,
        now: Timestamp,
        connection: &ConnectionId,
    ) -> (Self, Option<SyncError>) {
        if connection.is_internal() {
            return (self.clone(), None);
        }
        match self.for_connection(connection, now).await {
            // Counted apart: the cycle's own handle counts only the internal connection.
            Ok(driver) => (driver.with_stats_scope(), None),
            Err(error) => (
                self.clone(),
                Some(SyncError::new(
                    SyncErrorKind::Unauthorized,
                    error.to_string(),
                )),
            ),
        }
    }

    /// One database's part of the cycle on `driver` (its connection's handle): read, plan and
    /// write it, then commit what it did in one transaction, give back its write leases and add
    /// it to the tally. Returns the handle the connection's next database runs on (a new one
    /// when the token was refreshed meanwhile).
    async fn cycle_database(
        &self,
        cycle: &CycleContext<'_>,
        part: &mut ConnectionPart<'_>,
        mut driver: Self,
        input: DatabaseInput<'_>,
    ) -> Self {
        let ConnectionPart {
            connection,
            lease,
            progress,
            tally,
        } = part;
        let connection = &*connection;
        let CycleContext {
            now,
            options,
            reconcile_every,
            preview,
            run_id,
        } = *cycle;
        let database = input.database.to_owned();
        let cursor_from = input.cursor.as_ref().and_then(|c| c.last_edited_cursor);
        let through_other = !Arc::ptr_eq(&driver.inner, &self.inner);
        let retry_input = (through_other && input.unusable.is_none()).then(|| input.clone());
        let requests_before_database = driver.requests_so_far();
        let mut work = driver
            .sync_database(now, options, reconcile_every, input, lease, progress)
            .await;
        let mut database_requests = driver.requests_since(requests_before_database);
        // Notion refused an OAuth connection's token (401): refresh it once and sync the
        // database again with the new one, rather than leave its links failing until a later
        // cycle. A refresh that does not give an active connection keeps the failure (the
        // connection's state says why).
        if let Some(retry_input) = retry_input
            && refused_token(&work)
            && let Ok(refreshed) = self.refresh_connection(connection, lease.now()).await
            && refreshed.state == store::ConnectionState::Active
        {
            self.release_link_leases(std::mem::take(&mut work.leases), Writer::Cycle)
                .await;
            let (again, unusable) = self.connection_handle(now, connection).await;
            driver = again;
            let retry_input = DatabaseInput {
                unusable,
                ..retry_input
            };
            let before = driver.requests_so_far();
            work = driver
                .sync_database(now, options, reconcile_every, retry_input, lease, progress)
                .await;
            database_requests += driver.requests_since(before);
        }
        driver.export_penalty(connection, || lease.now()).await;
        // A connection the driver was built with counts in the cycle's own stats scope already
        // (its handle's scope nests in it); one opened from the store counts only in its own.
        if through_other && self.inner.connections.get(connection).is_none() {
            tally.other_connection_requests += database_requests;
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
        add_counts(&mut tally.counts, &counts);
        tally.plans.extend(plans);
        tally.skipped.extend(skipped);
        if let Some(db_report) = db_report {
            if let Some(error) = &db_report.error {
                tally.errors.push(format!("database '{database}': {error}"));
            }
            tally.databases.push(db_report);
        }
        driver
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
