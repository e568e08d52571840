//! Steps 3-5 for one election, shared by the cycle and the manual sync: plan against the fresh
//! (or stored) observation, send the page write under the election's write lease, and describe
//! what to record.

use jiff::Timestamp;
use notion_client::{NotionError, NotionId, Page, Priority, PropertyValue};
use store::{LinkedElection, LogAction, NewLogEntry, SyncRecord};
use sync_engine::{
    FieldMapping, NotionLink, PageObservation, PageWrite, SyncError, SyncInput, SyncPlan, Trigger,
    Verdict, WriteValue,
};

use super::lease::Writer;
use super::read::{moved_out, stored_id};
use super::records::{failed_plan, failure_record, log, plan_detail, sync_record};
use crate::SyncDriver;
use crate::observe::{page_schema, sync_error_from_notion};

/// The outcome of steps 3-5 for one election, before the batch commits.
pub(crate) struct ElectionResult {
    pub(crate) plan: SyncPlan,
    pub(crate) record: Option<SyncRecord>,
    pub(crate) logs: Vec<NewLogEntry>,
    pub(crate) wrote: bool,
    pub(crate) failed: bool,
    /// The Notion error behind a failure, for the manual sync's answer.
    pub(crate) notion_error: Option<NotionError>,
    /// Why nothing was recorded.
    pub(crate) skipped: Option<String>,
    /// The election write lease taken for the page write, to release after the commit.
    pub(crate) leased: bool,
}

impl ElectionResult {
    fn planned(plan: SyncPlan) -> Self {
        Self {
            plan,
            record: None,
            logs: Vec::new(),
            wrote: false,
            failed: false,
            notion_error: None,
            skipped: None,
            leased: false,
        }
    }

    /// An election whose sync failed before planning (e.g. its page could not be read): `error`
    /// is recorded on it, no Notion request is made for it.
    pub(crate) fn unread(
        now: Timestamp,
        election: &LinkedElection,
        trigger: Trigger,
        error: SyncError,
    ) -> Self {
        let (record, entry) = failure_record(now, election, error.clone());
        let plan = failed_plan(now, election, trigger, &record, error);
        Self {
            record: Some(record),
            logs: vec![entry],
            failed: true,
            ..Self::planned(plan)
        }
    }
}

/// The instants an election's sync runs at: `now` for the plan and the log, `lease_now` for the
/// write lease (the cycle's clock, which may have moved on since the cycle's `now`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExecuteAt {
    /// The instant the plan is made for.
    pub(crate) now: Timestamp,
    /// The instant the write lease is taken at.
    pub(crate) lease_now: Timestamp,
}

/// Whether an election's sync sends its write, and who sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecuteMode {
    /// Plan only: nothing is written or leased.
    Preview,
    /// Send the page write under a write lease held as this writer.
    Write(Writer),
}

impl SyncDriver {
    /// Steps 3-5 for one election: plan against `fresh` (or the stored observation), send the page
    /// write (unless `mode` is a preview), and describe what to record.
    pub(crate) async fn execute(
        &self,
        at: ExecuteAt,
        election: &LinkedElection,
        fresh: Option<PageObservation>,
        trigger: Trigger,
        mode: ExecuteMode,
    ) -> ElectionResult {
        let input = SyncInput {
            election: &election.election,
            link: &election.link,
            state: &election.state,
            observation: fresh.as_ref(),
            base_url: &self.inner.config.base_url,
            trigger,
        };
        let now = at.now;
        let mut plan = sync_engine::plan(now, &input);
        if !election.primary {
            // One source per field: the title and description are pulled from the primary
            // link's page only, or two pages would take turns overwriting the election. A
            // secondary link set to pull leaves them alone (set it to push to write them there).
            plan.election_update = None;
        }
        let mut result = ElectionResult::planned(plan);
        // Reads are summed up per database (one entry per cycle); per election, only what
        // happened is logged: writes, pulls, failures, skips (and a manual sync's no-change).
        match (&result.plan.outcome.verdict, mode) {
            (Verdict::NeedsObservation, _) => {
                result.skipped = Some("the page has not been read yet".into());
            }
            (Verdict::Failed { .. }, _) => record_failed_plan(now, election, &mut result),
            (Verdict::Synced, ExecuteMode::Write(writer)) if result.plan.page_write.is_some() => {
                if !self
                    .lease_for_write(at, election, writer, &mut result)
                    .await
                {
                    return result;
                }
                self.send_write(now, election, fresh, writer, &mut result)
                    .await;
            }
            (Verdict::Synced, _) => record_unwritten_plan(now, election, trigger, &mut result),
        }
        log_pull_unless_logged(now, election, &mut result);
        result
    }

    /// Takes the election's write lease for `writer`. When it cannot be had, says why in
    /// `result` (logged as a skip when another writer holds it) and answers `false`.
    async fn lease_for_write(
        &self,
        at: ExecuteAt,
        election: &LinkedElection,
        writer: Writer,
        result: &mut ElectionResult,
    ) -> bool {
        match self.take_write_lease(election, at.lease_now, writer).await {
            Ok(None) => {
                result.leased = true;
                true
            }
            Ok(Some(reason)) => {
                result.skipped = Some(reason.to_owned());
                result.logs.push(log(
                    at.now,
                    election,
                    LogAction::Skipped,
                    plan_detail(&result.plan),
                    result.skipped.clone(),
                ));
                false
            }
            Err(e) => {
                result.skipped = Some(format!("could not take the write lease: {e}"));
                false
            }
        }
    }

    /// Sends the planned page write (bounded when a cycle sends it) and records what its
    /// answer means, as the plan's [`sync_engine::SyncPlan::on_write_result`] says: the plan when
    /// it was written, else the failure (the page moved out of its database, or Notion's error).
    async fn send_write(
        &self,
        now: Timestamp,
        election: &LinkedElection,
        fresh: Option<PageObservation>,
        writer: Writer,
        result: &mut ElectionResult,
    ) {
        let Some(write) = result.plan.page_write.as_ref() else {
            return;
        };
        let written = match writer {
            Writer::Cycle => self.write_page_bounded(write).await,
            Writer::Manual => self.write_page(write).await,
        };
        // The write's answer is the page: one moved out of the database since it was last read
        // is caught here, before any further write.
        let mut renamed = None;
        let failure = match written {
            Ok(page) => {
                renamed = renamed_on_page(&page, &election.link, &result.plan);
                self.moved_after_write(&page, election)
                    .map(|moved| (moved, None))
            }
            Err(error) => Some((
                sync_error_from_notion(&error, write.status().is_some()),
                Some(error),
            )),
        };
        // A write Notion refused did not happen; one answered with a moved page did.
        result.wrote = !matches!(failure, Some((_, Some(_))));
        let Some((error, notion_error)) = failure else {
            result.logs.push(log(
                now,
                election,
                LogAction::Wrote,
                plan_detail(&result.plan),
                None,
            ));
            let mut record = planned_record(election, &result.plan);
            if renamed.is_some() {
                record.mapping_update = renamed;
            }
            result.record = Some(record);
            return;
        };
        // A page that moved was read by the write itself; otherwise the observation the plan
        // was made against (the fresh read, else the stored one) stays what the page holds.
        let seen = match notion_error {
            None => None,
            Some(_) => fresh.as_ref(),
        };
        let outcome = result
            .plan
            .on_write_result(now, &election.state, seen, Err(error.clone()));
        result.failed = true;
        result.notion_error = notion_error;
        result.logs.push(log(
            now,
            election,
            LogAction::Failed,
            serde_json::to_value(&error).ok(),
            outcome.state.notion_last_sync_error.clone(),
        ));
        result.record = Some(SyncRecord {
            mapping_update: result.plan.mapping_update.clone(),
            ..sync_record(election, outcome.state, result.plan.election_update.clone())
        });
    }

    /// The page-moved failure when the page a write answered with is no longer in the linked
    /// database (named as in the allowlist, else by its id).
    fn moved_after_write(&self, page: &Page, election: &LinkedElection) -> Option<SyncError> {
        let database = &election.link.notion_database_id;
        let name = NotionId::parse(database)
            .ok()
            .and_then(|id| self.allowlist().get(&id).map(|e| e.name.clone()))
            .unwrap_or_else(|| database.clone());
        moved_out(page, database, &name)
    }

    async fn write_page(&self, write: &PageWrite) -> Result<Page, NotionError> {
        let page_id = stored_id("page", &write.page_id)?;
        // A status write tells Notion the phase; a link-only write corrects (reads stay
        // background, the client's default).
        let priority = if write.status().is_some() {
            Priority::Phase
        } else {
            Priority::Corrective
        };
        match self
            .notion_ops()
            .update_page_properties(page_id, write_properties(write)?, priority)
            .await
        {
            Ok(page) => Ok(page),
            // Notion may have saved it: read, don't repeat.
            Err(e) if e.saved_guidance().is_some() => self.confirm_saved_write(write, e).await,
            Err(e) => Err(e),
        }
    }

    /// A cycle's page write, bounded to half the lease TTL. The cycle checks its global lease
    /// before each write and renews it once half the TTL has passed, so the lease has at least
    /// half its TTL left when a write starts: bounded so, the write is over before the lease
    /// can lapse and another runner take over this election's write lease. A write cut short
    /// fails transiently (retried next cycle; writes are absolute values).
    async fn write_page_bounded(&self, write: &PageWrite) -> Result<Page, NotionError> {
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
}

/// The mapping as the page a write answered with shows its properties, when one was renamed in
/// Notion since the schema was read (the write went by id, so it landed): the engine's rule for
/// following references, on the page's own properties. `None` when nothing is to be stored.
fn renamed_on_page(page: &Page, link: &NotionLink, plan: &SyncPlan) -> Option<FieldMapping> {
    let base = plan.mapping_update.as_ref().unwrap_or(&link.mapping);
    let followed = base.resolved_against(&page_schema(page));
    if followed != *base {
        tracing::info!(page = %page.id, "a mapped property was renamed in Notion; the link follows it");
    }
    (followed != *base || plan.mapping_update.is_some()).then_some(followed)
}

/// The record of a plan that holds as planned: its state and the fields it pulls.
fn planned_record(election: &LinkedElection, plan: &SyncPlan) -> SyncRecord {
    SyncRecord {
        mapping_update: plan.mapping_update.clone(),
        ..sync_record(
            election,
            plan.outcome.state.clone(),
            plan.election_update.clone(),
        )
    }
}

/// A plan the planner failed (e.g. a missing property): log and record its failure.
fn record_failed_plan(now: Timestamp, election: &LinkedElection, result: &mut ElectionResult) {
    let plan = &result.plan;
    result.failed = true;
    result.logs.push(log(
        now,
        election,
        LogAction::Failed,
        plan_detail(plan),
        plan.outcome.state.notion_last_sync_error.clone(),
    ));
    result.record = Some(planned_record(election, plan));
}

/// A plan recorded without sending anything: nothing to write, or a preview. Logs what it would
/// do (a write, a pull, or a manual sync's "no change").
fn record_unwritten_plan(
    now: Timestamp,
    election: &LinkedElection,
    trigger: Trigger,
    result: &mut ElectionResult,
) {
    let plan = &result.plan;
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
    result.record = Some(planned_record(election, plan));
}

/// A pull recorded (also alongside a write or a failed write) is logged as its own `pulled`
/// entry after the others, unless the last entry already is one.
fn log_pull_unless_logged(now: Timestamp, election: &LinkedElection, result: &mut ElectionResult) {
    let pulls = result
        .record
        .as_ref()
        .is_some_and(|r| r.election_update.is_some());
    if pulls && !matches!(result.logs.last(), Some(l) if l.action == LogAction::Pulled) {
        result.logs.push(log(
            now,
            election,
            LogAction::Pulled,
            serde_json::to_value(&result.plan.election_update).ok(),
            None,
        ));
    }
}

/// The page properties a write sets, keyed by property id (a rename since the plan cannot
/// misdirect it). Long text is split into Notion's 2,000-character segments.
fn write_properties(write: &PageWrite) -> Result<Vec<(String, PropertyValue)>, NotionError> {
    write
        .properties
        .iter()
        .map(|p| Ok((p.property_id.clone(), property_value(&p.to)?)))
        .collect()
}

/// A planned value as the Notion value that sets it.
pub(crate) fn property_value(value: &WriteValue) -> Result<PropertyValue, NotionError> {
    let too_long = |e: notion_client::TextTooLong| NotionError::invalid_request(e.to_string());
    Ok(match value {
        WriteValue::Status(option) => PropertyValue::status_name(option.clone()),
        WriteValue::Select(option) => PropertyValue::select_name(option.clone()),
        WriteValue::Url(url) => PropertyValue::url(Some(url.clone())),
        WriteValue::Title(text) => PropertyValue::title(text).map_err(too_long)?,
        WriteValue::RichText(text) => PropertyValue::rich_text(text).map_err(too_long)?,
        WriteValue::Date(date) => {
            let mut value = notion_client::DateValue::at(date.start);
            value.end = date.end.map(|end| end.to_string());
            PropertyValue::date(Some(value))
        }
    })
}
