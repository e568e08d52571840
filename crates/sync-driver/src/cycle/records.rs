//! What a sync leaves in the store besides its writes: sync records (including failure records),
//! the plan of an election that failed before planning, and run log entries.

use jiff::Timestamp;
use notion_client::CapRecord;
use store::{LinkedElection, LogAction, NewLogEntry, RunCounts, SyncRecord};
use sync_engine::{
    ElectionUpdate, SyncError, SyncPlan, SyncState, Trigger, Verdict, record_failure,
};

use crate::DatabaseReport;

/// The record of `election`'s new sync `state` (and of the fields pulled from Notion, if any).
pub(crate) fn sync_record(
    election: &LinkedElection,
    state: SyncState,
    election_update: Option<ElectionUpdate>,
) -> SyncRecord {
    SyncRecord {
        election_id: election.election.id.clone(),
        link_id: election.link_id.clone(),
        page_id: election.link.notion_page_id.clone(),
        state,
        election_update,
        mapping_update: None,
    }
}

/// A log entry about one election.
pub(crate) fn log(
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
/// it cost, how the change cursor moved, and whether the query reached Notion's result cap
/// (`query_cap`: how often it continued past it, and the creation minute no window could
/// narrow, after which the linked pages it left out were read one by one).
pub(crate) fn database_summary(
    at: Timestamp,
    report: &DatabaseReport,
    cap: CapRecord,
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
            "query_cap": (cap.continued > 0 || cap.unnarrowable_at.is_some()).then(|| serde_json::json!({
                "continued": cap.continued,
                "unnarrowable_at": cap.unnarrowable_at,
                "left_out_read_alone": cap.unnarrowable_at.is_some(),
            })),
        })),
        error: report.error.clone(),
    }
}

/// A plan as a log entry's detail.
pub(crate) fn plan_detail(plan: &SyncPlan) -> Option<serde_json::Value> {
    serde_json::to_value(plan).ok()
}

/// The record and log entry of a sync of `election` that failed before planning (its page could
/// not be read); the stored observation stays.
pub(crate) fn failure_record(
    now: Timestamp,
    election: &LinkedElection,
    error: SyncError,
) -> (SyncRecord, NewLogEntry) {
    let outcome = record_failure(now, &election.state, error.clone());
    let entry = log(
        now,
        election,
        LogAction::Failed,
        serde_json::to_value(&error).ok(),
        outcome.state.notion_last_sync_error.clone(),
    );
    (sync_record(election, outcome.state, None), entry)
}

/// The plan of an election whose sync failed before planning (e.g. its page could not be read).
pub(crate) fn failed_plan(
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
        mapping_update: None,
        outcome: sync_engine::SyncOutcome {
            verdict: Verdict::Failed { error, class },
            state: record.state.clone(),
        },
        notes: Vec::new(),
    }
}
