//! One database's share of a cycle (steps 2-4): which of its elections are due and what to read,
//! the read, then each due election's plan → write against what was read.

use jiff::{SignedDuration, Timestamp};
use notion_client::CapRecord;
use store::{LinkId, LinkedElection, LogAction, NewLogEntry, RunCounts, SyncCursor, SyncRecord};
use sync_engine::{
    ElectionId, PageObservation, SyncError, SyncErrorKind, SyncInput, SyncPlan, SyncState, Trigger,
    is_due, needs_observation,
};

use super::execute::{ElectionResult, ExecuteAt, ExecuteMode};
use super::lease::LeaseKeeper;
use super::lease::Writer;
use super::progress::ProgressSlot;
use super::read::{DatabaseRead, ReadFailure, change_query_start, parse_database_id};
use super::recorded_trigger;
use super::records::{log, sync_record};
use crate::{CycleOptions, DatabaseReport, SyncDriver, WebhookScope};

/// One database's share of a cycle: its linked elections and its change cursor.
#[derive(Clone)]
pub(crate) struct DatabaseInput<'a> {
    pub(crate) database: &'a str,
    pub(crate) elections: Vec<LinkedElection>,
    pub(crate) cursor: Option<SyncCursor>,
    /// Why the database's connection cannot be used now (recorded on its due links, with no
    /// Notion request), if it cannot.
    pub(crate) unusable: Option<SyncError>,
}

/// What one database contributes to a cycle.
#[derive(Default)]
pub(crate) struct DatabaseWork {
    pub(crate) records: Vec<SyncRecord>,
    pub(crate) logs: Vec<NewLogEntry>,
    pub(crate) cursor: Option<SyncCursor>,
    pub(crate) leases: Vec<LinkId>,
    pub(crate) plans: Vec<SyncPlan>,
    pub(crate) skipped: Vec<(ElectionId, String)>,
    pub(crate) counts: RunCounts,
    /// Plans with a page write (sent or not).
    pub(crate) writes_planned: u64,
    /// What the database's query met at Notion's result cap.
    pub(crate) cap: CapRecord,
    pub(crate) report: Option<DatabaseReport>,
}

impl DatabaseWork {
    /// Adds one election's outcome: its plan, record, logs, counts and write lease.
    fn add(&mut self, election: &LinkedElection, result: ElectionResult) {
        self.counts.planned += 1;
        self.counts.written += u64::from(result.wrote);
        self.counts.failed += u64::from(result.failed);
        self.writes_planned += u64::from(result.plan.page_write.is_some());
        self.counts.pulled += u64::from(
            result
                .record
                .as_ref()
                .is_some_and(|r| r.election_update.is_some()),
        );
        if result.leased {
            self.leases.push(election.link_id.clone());
        }
        if let Some(reason) = result.skipped {
            self.skipped.push((election.election.id.clone(), reason));
        }
        self.records.extend(result.record);
        self.logs.extend(result.logs);
        self.plans.push(result.plan);
    }

    /// Ends the database's work after a failed read: the failure is recorded on every due
    /// election (no Notion request made for them), a lost lease records nothing.
    fn read_failed(
        mut self,
        now: Timestamp,
        due: &[LinkedElection],
        trigger: Trigger,
        mut report: DatabaseReport,
        failure: ReadFailure,
    ) -> Self {
        report.error = Some(match failure {
            ReadFailure::Failed {
                report: message,
                error,
            } => {
                self.fail_all(now, due, trigger, error);
                message
            }
            ReadFailure::LeaseLost(lost) => format!("stopped: {lost}"),
        });
        self.report = Some(report);
        self
    }

    /// What a preview keeps of the work: only the plans and counts.
    pub(crate) fn discard_for_preview(&mut self) {
        self.records.clear();
        self.logs.clear();
        self.cursor = None;
    }

    /// Records `error` on each election (no Notion request made for them).
    fn fail_all(
        &mut self,
        now: Timestamp,
        elections: &[LinkedElection],
        trigger: Trigger,
        error: SyncError,
    ) {
        for election in elections {
            let result = ElectionResult::unread(now, election, trigger, error.clone());
            self.add(election, result);
        }
    }
}

impl SyncDriver {
    /// Steps 2-4 for one database: what is due and what to read, the read, each due election's
    /// plan and write.
    pub(crate) async fn sync_database(
        &self,
        now: Timestamp,
        options: &CycleOptions,
        reconcile_every: SignedDuration,
        input: DatabaseInput<'_>,
        lease: &mut LeaseKeeper,
        progress: &ProgressSlot<'_>,
    ) -> DatabaseWork {
        let DatabaseInput {
            database,
            elections,
            cursor,
            unusable,
        } = input;
        let config = &self.inner.config;
        let mut work = DatabaseWork::default();
        // A webhook batch (src/webhooks.rs): a schema change reads the database in full now; an
        // edit reads only the pages named, and the change cursor stays where it was.
        let schema_changed = options
            .webhook
            .as_ref()
            .is_some_and(|scope| WebhookScope::names(&scope.databases, database));
        let page_mode = options.webhook.is_some() && !schema_changed;
        // A schema change re-validates every link on the database (each planned against the new
        // schema, so a removed status property or option is reported now, not at the next write).
        let requested =
            options.reconcile || options.trigger == Trigger::Reconcile || schema_changed;
        let reconcile =
            requested || (!page_mode && reconcile_due(now, cursor.as_ref(), reconcile_every));
        let trigger = recorded_trigger(options.trigger, reconcile);
        // Who is synced: a requested reconcile (`backfill`) or a manual cycle syncs every
        // election; a scheduled cycle only the due ones (interval, phase change, backoff), even
        // when it reads the whole database (no cursor yet, or the periodic reconcile). So a
        // database whose first read keeps failing (never shared) is read again only when the
        // backoff of one of its elections is over, and not at all while none is due.
        let due_by = if requested { trigger } else { options.trigger };
        let (mut due, mut not_due): (Vec<LinkedElection>, Vec<LinkedElection>) = elections
            .into_iter()
            .partition(|e| is_due(now, &e.election, &e.state, config.min_interval, due_by));
        // A poll also asks a database with nothing due for its edits, to pull them now; not one
        // whose every election waits out a failure (never shared: its read would fail again).
        // Events name pages that changed: their links are looked at whether due or not.
        let watch_edits = if page_mode {
            !not_due.is_empty()
        } else {
            options.poll
                && not_due
                    .iter()
                    .any(|e| e.state.error_class.is_none() && e.state.last_observation.is_some())
        };
        if due.is_empty() && !requested && !watch_edits {
            return work;
        }
        if let Some(error) = unusable {
            work.fail_all(now, &due, trigger, error);
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
            && !page_mode
            && !due.is_empty()
            && trigger == Trigger::Scheduled
            && plans_from_stored_observations(now, config.min_interval, cursor.as_ref(), &due);

        let database_id = match parse_database_id(database) {
            Ok(id) => id,
            Err(failure) => return work.read_failed(now, &due, trigger, db_report, failure),
        };

        if let Some(scope) = options.webhook.as_ref().filter(|_| page_mode) {
            // A page last seen deleted: its links break as a read of it in the trash would
            // break them, without the read.
            let deleted =
                |e: &LinkedElection| WebhookScope::names(&scope.deleted, &e.link.notion_page_id);
            let gone: Vec<LinkedElection> = due
                .extract_if(.., |e| deleted(e))
                .chain(not_due.extract_if(.., |e| deleted(e)))
                .collect();
            let error = SyncError::new(
                SyncErrorKind::PageTrashed,
                "the page was deleted in Notion (webhook page.deleted)",
            );
            work.fail_all(now, &gone, trigger, error);
        }

        let mut read = if phase_change_only {
            DatabaseRead::default()
        } else if page_mode {
            let need_schema = due.iter().chain(&not_due).any(|e| {
                e.state.last_observation.is_none()
                    || e.state.error_class.is_some()
                    || e.state.link_broken
            });
            let all: Vec<&LinkedElection> = due.iter().chain(not_due.iter()).collect();
            let (read, failed) = match self
                .read_pages(database, database_id, need_schema, &all, lease)
                .await
            {
                Ok(done) => done,
                Err(failure) => return work.read_failed(now, &due, trigger, db_report, failure),
            };
            db_report.pages_read = read.pages.len() as u64;
            work.counts.read += read.pages.len() as u64;
            for (page, error) in failed {
                let on_page = |e: &LinkedElection| {
                    notion_client::NotionId::parse(&e.link.notion_page_id)
                        .is_ok_and(|id| id == page)
                };
                let failed_due: Vec<LinkedElection> = due.extract_if(.., |e| on_page(e)).collect();
                work.fail_all(now, &failed_due, trigger, error.clone());
                for e in not_due.extract_if(.., |e| on_page(e)) {
                    tracing::warn!(election = %e.election.id, %error, "could not read a page a webhook event named");
                }
            }
            progress.report(&work);
            read
        } else {
            let need_schema = reconcile
                || due.iter().any(|e| {
                    e.state.last_observation.is_none()
                        || e.state.error_class.is_some()
                        || e.state.link_broken
                });
            let since = cursor
                .as_ref()
                .and_then(|c| c.last_edited_cursor)
                .filter(|_| !reconcile)
                .map(|c| change_query_start(c, config.change_overlap));
            let all: Vec<&LinkedElection> = due.iter().chain(not_due.iter()).collect();
            let (read, query_started) = match self
                .read_database(database_id, need_schema, since, &all, lease)
                .await
            {
                Ok(done) => done,
                Err(failure) => return work.read_failed(now, &due, trigger, db_report, failure),
            };
            db_report.queried = true;
            db_report.pages_read = read.pages.len() as u64;
            work.cap = read.cap;
            work.counts.read += read.pages.len() as u64;
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
            read
        };
        self.refresh_stale_schema(
            database,
            database_id,
            &mut read,
            due.iter().chain(&not_due),
            lease,
        )
        .await;

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
            let mut fresh = read.observe(election, now);
            if fresh.is_none() && self.must_read_alone(now, election, &read, trigger, reconcile) {
                // The database's schema, when read this cycle, serves every page read alone.
                let alone = self
                    .leased(lease, self.read_one(election, now, read.schema.as_ref()))
                    .await;
                match alone {
                    Ok(observation) => {
                        work.counts.read += 1;
                        fresh = Some(observation);
                    }
                    Err((notion_error, error)) => {
                        if let Some(notion_error) = &notion_error {
                            self.note_rate_limit(lease, notion_error);
                        }
                        work.fail_all(now, std::slice::from_ref(election), trigger, error);
                        continue;
                    }
                }
            }
            let mode = if options.preview {
                ExecuteMode::Preview
            } else {
                ExecuteMode::Write(Writer::Cycle)
            };
            let at = ExecuteAt { now, lease_now };
            let execution = self.execute(at, election, fresh, trigger, mode);
            let result = self.leased(lease, execution).await;
            if let Some(notion_error) = &result.notion_error {
                self.note_rate_limit(lease, notion_error);
            }
            work.add(election, result);
            progress.report(&work);
        }

        self.keep_not_due_current(now, &not_due, &read, lease, &mut work)
            .await;
        work.report = Some(db_report);
        work
    }

    /// Elections not due now whose page changed: keeps their observation current, so their next
    /// sync plans from what Notion has now although the cursor moves past this edit.
    async fn keep_not_due_current(
        &self,
        now: Timestamp,
        not_due: &[LinkedElection],
        read: &DatabaseRead,
        lease: &mut LeaseKeeper,
        work: &mut DatabaseWork,
    ) {
        for election in not_due {
            let mut observation = read.observe(election, now);
            if observation.is_none() && read.incomplete() {
                // The capped query may have left out this page's edit, and the cursor moves on:
                // read it alone so its next sync does not plan from an old observation.
                let alone = self
                    .leased(lease, self.read_one(election, now, read.schema.as_ref()))
                    .await;
                match alone {
                    Ok(fresh) => {
                        work.counts.read += 1;
                        observation = Some(fresh);
                    }
                    Err((notion_error, error)) => {
                        if let Some(notion_error) = &notion_error {
                            self.note_rate_limit(lease, notion_error);
                        }
                        tracing::warn!(election = %election.election.id, %error, "could not read a page the capped query left out");
                    }
                }
            }
            if let Some(observation) = observation {
                let record = self.pulls_between_syncs(now, election, observation, work);
                work.records.push(record);
            }
        }
    }

    /// The record of an election not due for a sync whose page changed: the fresh observation,
    /// and the title and description edited in Notion, pulled now (at the poll that saw the
    /// edit, whatever the minimum interval, which only spaces writes to Notion). Nothing is
    /// written to the page and the sync state stays as it was.
    fn pulls_between_syncs(
        &self,
        now: Timestamp,
        election: &LinkedElection,
        observation: PageObservation,
        work: &mut DatabaseWork,
    ) -> SyncRecord {
        let plan = sync_engine::plan(
            now,
            &SyncInput {
                election: &election.election,
                link: &election.link,
                state: &election.state,
                observation: Some(&observation),
                base_url: &self.inner.config.base_url,
                trigger: Trigger::Scheduled,
            },
        );
        if let Some(update) = &plan.election_update {
            work.counts.pulled += 1;
            work.logs.push(log(
                now,
                election,
                LogAction::Pulled,
                serde_json::to_value(update).ok(),
                None,
            ));
        }
        let state = SyncState {
            last_observation: Some(observation),
            ..election.state.clone()
        };
        SyncRecord {
            mapping_update: plan.mapping_update,
            ..sync_record(election, state, plan.election_update)
        }
    }

    /// Whether a due election whose page the database read did not bring must have it read on
    /// its own: on a reconcile, after a query the cap cut short, when the planner cannot plan from the stored observation, or
    /// when no schema is known for it.
    fn must_read_alone(
        &self,
        now: Timestamp,
        election: &LinkedElection,
        read: &DatabaseRead,
        trigger: Trigger,
        reconcile: bool,
    ) -> bool {
        let input = SyncInput {
            election: &election.election,
            link: &election.link,
            state: &election.state,
            observation: None,
            base_url: &self.inner.config.base_url,
            trigger,
        };
        reconcile
            || read.incomplete()
            || needs_observation(now, &input, false)
            || read.schema_for(election).is_none()
    }
}

/// Whether a database is due for its full read: it has no change cursor yet, or its last full
/// reconcile is `reconcile_every` old.
fn reconcile_due(
    now: Timestamp,
    cursor: Option<&SyncCursor>,
    reconcile_every: SignedDuration,
) -> bool {
    cursor.is_none_or(|c| {
        c.last_edited_cursor.is_none()
            || c.last_full_reconcile_at
                .is_none_or(|at| now.duration_since(at) >= reconcile_every)
    })
}

/// A wake-up at a phase change right after a cycle: every due election was synced within the
/// minimum interval from an observation the database's cursor is just as fresh as, with no error
/// to recover from. Its plan can then use the stored observations and spend no read (the next
/// regular cycle picks up any edit made meanwhile).
fn plans_from_stored_observations(
    now: Timestamp,
    min_interval: SignedDuration,
    cursor: Option<&SyncCursor>,
    due: &[LinkedElection],
) -> bool {
    cursor.is_some_and(|c| now.duration_since(c.updated_at) < min_interval)
        && due.iter().all(|e| {
            e.state.error_class.is_none()
                && !e.state.link_broken
                && e.state.last_observation.is_some()
                && e.state
                    .notion_last_sync_at
                    .is_some_and(|last| now.duration_since(last) < min_interval)
        })
}
