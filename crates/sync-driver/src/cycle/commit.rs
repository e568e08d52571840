//! Recording one database's sync in the store: one transaction for the whole database, and when
//! that fails, one per election, so one record the store refuses never loses the others' and is
//! itself recorded as that election's error.

use jiff::Timestamp;
use store::{LogAction, NewLogEntry, SyncRecord};
use sync_engine::ElectionId;
use uuid::Uuid;

use crate::SyncDriver;
use store::SyncCursor;

/// What recording a database's sync left to report.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    /// Elections the store skipped, and why.
    pub(crate) skipped: Vec<(ElectionId, String)>,
    /// What could not be recorded, for the run's error.
    pub(crate) errors: Vec<String>,
}

impl SyncDriver {
    /// Commits `records`, `cursor` and `logs` in one transaction; if the store refuses it, again
    /// one election at a time (its record with its log entries), then the cursor with the
    /// database's own entries. An election whose record is refused gets that error recorded
    /// instead (its sync state, nothing pulled), so a failure always shows on the election.
    pub(crate) async fn commit_database_resilient(
        &self,
        now: Timestamp,
        run_id: Option<Uuid>,
        records: Vec<SyncRecord>,
        cursor: Option<SyncCursor>,
        logs: Vec<NewLogEntry>,
    ) -> Committed {
        let batch_error = match self
            .commit_database(now, run_id, records.clone(), cursor.clone(), logs.clone())
            .await
        {
            Ok(skipped) => {
                return Committed {
                    skipped,
                    errors: Vec::new(),
                };
            }
            Err(e) => e,
        };
        let batch_error = with_causes(&batch_error);
        tracing::warn!(error = %batch_error, "could not record the database's sync in one transaction; recording each election on its own");
        let mut committed = Committed::default();
        let mut rest = logs;
        for record in records {
            let id = record.election_id.clone();
            // A link's entries: its election's, about its page.
            let (own, others): (Vec<_>, Vec<_>) = rest.into_iter().partition(|l| {
                l.election_id.as_ref() == Some(&id) && l.page_id.as_ref() == Some(&record.page_id)
            });
            rest = others;
            let refused = match self
                .commit_database(now, run_id, vec![record.clone()], None, own)
                .await
            {
                Ok(skipped) => {
                    committed.skipped.extend(skipped);
                    continue;
                }
                Err(e) => with_causes(&e),
            };
            let message = format!(
                "could not record the sync: {refused}. Nothing pulled from Notion was kept; check the page's title and description in Notion"
            );
            tracing::warn!(election = %id, error = %message, "recording the election's error instead");
            let entry = NewLogEntry {
                at: now,
                election_id: Some(id.clone()),
                page_id: Some(record.page_id.clone()),
                action: LogAction::Failed,
                detail: None,
                error: Some(message.clone()),
            };
            let failed = unrecordable(record, message.clone());
            match self
                .commit_database(now, run_id, vec![failed], None, vec![entry])
                .await
            {
                Ok(skipped) => committed.skipped.extend(skipped),
                Err(e) => committed.errors.push(format!(
                    "election {id}: could not record the sync: {}",
                    with_causes(&e)
                )),
            }
            committed.errors.push(format!("election '{id}': {message}"));
        }
        if (cursor.is_some() || !rest.is_empty())
            && let Err(e) = self
                .commit_database(now, run_id, Vec::new(), cursor, rest)
                .await
        {
            committed
                .errors
                .push(format!("could not record the sync: {}", with_causes(&e)));
        }
        committed
    }
}

/// The record of an election whose own record the store refused: its planned sync state with
/// the error, and no pulled fields (the likeliest cause).
fn unrecordable(record: SyncRecord, message: String) -> SyncRecord {
    let mut state = record.state;
    state.notion_last_sync_error = Some(message);
    SyncRecord {
        state,
        election_update: None,
        mapping_update: None,
        ..record
    }
}

/// `error: cause: cause`, each cause once: SQLite's own message (`CHECK constraint failed: …`)
/// is the cause of the store's error, and the one an operator needs.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.is_empty() && !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
