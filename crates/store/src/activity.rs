//! What the admin web page reads besides elections and runs: one election's activity (its run log
//! entries with the run that made them), the run history of the last hours bucketed by minute (for
//! the sync health charts), and a cheap change token the page polls to update itself.

use jiff::Timestamp;
use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};
use sync_engine::{ElectionId, Trigger};

use crate::error::{conversion, corrupt};
use crate::runs::row_to_log;
use crate::time::{col, opt_col, to_ms};
use crate::{
    ListRequest, Listing, LogAction, LogEntry, Result, SqliteStore, StoreError, check_limit,
    decode_cursor, encode_cursor,
};

/// One entry of an election's activity: a run log entry and why its run ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// The log entry (what was written, pulled or failed, with the plan as its detail).
    pub log: LogEntry,
    /// The trigger of the run that logged it (scheduled cycle, manual sync, full reconcile).
    pub trigger: Trigger,
    /// The runner that ran it.
    pub holder: String,
}

/// The run history of one minute, for the health charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteStats {
    /// The start of the minute.
    pub minute: Timestamp,
    /// Runs started in it.
    pub runs: u64,
    /// Notion requests those runs made.
    pub notion_requests: u64,
    /// Page writes.
    pub written: u64,
    /// Elections updated from Notion.
    pub pulled: u64,
    /// Elections whose sync failed.
    pub failed: u64,
    /// Runs that failed as a whole (a cycle-level error).
    pub cycle_errors: u64,
}

/// A write, pull or failure logged for an election, with the election's phase changes (when the
/// election still exists), so that a reader can tell how long after a change the sync acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// When it was logged.
    pub at: Timestamp,
    /// `Wrote`, `Pulled` or `Failed`.
    pub action: LogAction,
    /// The election.
    pub election_id: Option<ElectionId>,
    /// The entry's detail (the plan, or the error).
    pub detail: Option<serde_json::Value>,
    /// The entry's error text.
    pub error: Option<String>,
    /// The election's opening instant, `None` when it was deleted since.
    pub open_at: Option<Timestamp>,
    /// The election's closing instant, `None` when it was deleted since.
    pub close_at: Option<Timestamp>,
}

/// A run that failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleError {
    /// When the run started.
    pub at: Timestamp,
    /// Its error.
    pub error: String,
}

/// The run history since an instant: per-minute counters, the events, the cycle errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunHistory {
    /// Minutes with at least one run, oldest first.
    pub minutes: Vec<MinuteStats>,
    /// Writes, pulls and failures, oldest first (at most [`HISTORY_EVENT_LIMIT`], the newest).
    pub events: Vec<HistoryEvent>,
    /// Runs that failed as a whole, oldest first (at most [`HISTORY_EVENT_LIMIT`], the newest).
    pub cycle_errors: Vec<CycleError>,
}

/// Most events (and cycle errors) [`SqliteStore::run_history`] returns: enough for a chart of hours of a
/// busy sync, and a bound on what one request reads.
pub const HISTORY_EVENT_LIMIT: u32 = 20_000;

fn count(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(idx)?).unwrap_or(0))
}

fn trigger(row: &Row<'_>, idx: usize) -> rusqlite::Result<Trigger> {
    match row.get::<_, String>(idx)?.as_str() {
        "scheduled" => Ok(Trigger::Scheduled),
        "manual" => Ok(Trigger::Manual),
        "reconcile" => Ok(Trigger::Reconcile),
        other => Err(conversion(idx, format!("unknown trigger {other:?}"))),
    }
}

fn bad_cursor() -> StoreError {
    StoreError::Invalid {
        field: "cursor",
        message: "the cursor is not one this API returned: pass next_cursor unchanged, or omit it for the first page".into(),
    }
}

impl SqliteStore {
    /// One election's activity, newest first, `page.limit` at a time: every log entry about it
    /// (writes, pulls, failures, skips, a manual sync's no-change) with its run's trigger. The
    /// entries outlive the election. Errors: `Invalid` (limit, cursor).
    pub fn election_activity(
        &self,
        election_id: &ElectionId,
        page: &ListRequest,
    ) -> Result<Listing<ActivityEntry>> {
        let limit = check_limit(page.limit)?;
        let before: Option<i64> = match page.cursor.as_deref() {
            None => None,
            Some(cursor) => Some(
                decode_cursor(cursor)?
                    .strip_prefix("seq:")
                    .and_then(|seq| seq.parse().ok())
                    .ok_or_else(bad_cursor)?,
            ),
        };
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT l.seq, l.run_id, l.at, l.election_id, l.page_id, l.action, l.detail, \
                 l.error, r.trigger_kind, r.holder \
                 FROM sync_run_logs l JOIN sync_runs r ON r.id = l.run_id \
                 WHERE l.election_id = ?1 AND (?2 IS NULL OR l.seq < ?2) \
                 ORDER BY l.seq DESC LIMIT ?3",
            )?;
            let mut items = stmt
                .query_map(params![election_id.as_str(), before, limit + 1], |row| {
                    Ok(ActivityEntry {
                        log: row_to_log(row)?,
                        trigger: trigger(row, 8)?,
                        holder: row.get(9)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            let next_cursor = if items.len() as i64 > limit {
                items.truncate(page.limit as usize);
                items
                    .last()
                    .map(|e| encode_cursor(&format!("seq:{}", e.log.seq)))
            } else {
                None
            };
            Ok(Listing { items, next_cursor })
        })
    }

    /// The run history of the runs started at or after `since`, in one read transaction: per
    /// minute (by the runs' start index), and the writes, pulls and failures logged meanwhile.
    pub fn run_history(&self, since: Timestamp) -> Result<RunHistory> {
        let since = to_ms(since);
        let limit = i64::from(HISTORY_EVENT_LIMIT);
        self.read(|tx| {
            let mut minutes = tx.prepare_cached(
                "SELECT (started_at / 60000) * 60000 AS minute, COUNT(*), SUM(notion_requests), \
                 SUM(written_count), SUM(pulled_count), SUM(failed_count), \
                 SUM(error IS NOT NULL) \
                 FROM sync_runs WHERE started_at >= ?1 GROUP BY minute ORDER BY minute",
            )?;
            let minutes = minutes
                .query_map([since], |row| {
                    Ok(MinuteStats {
                        minute: col(row, 0)?,
                        runs: count(row, 1)?,
                        notion_requests: count(row, 2)?,
                        written: count(row, 3)?,
                        pulled: count(row, 4)?,
                        failed: count(row, 5)?,
                        cycle_errors: count(row, 6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            let mut events = tx.prepare_cached(
                "SELECT l.at, l.action, l.election_id, l.detail, l.error, e.open_at, e.close_at \
                 FROM sync_run_logs l LEFT JOIN elections e ON e.id = l.election_id \
                 WHERE l.at >= ?1 AND l.action IN ('wrote', 'pulled', 'failed') \
                 ORDER BY l.seq DESC LIMIT ?2",
            )?;
            let mut events = events
                .query_map(params![since, limit], |row| {
                    let action: String = row.get(1)?;
                    let election_id = row
                        .get::<_, Option<String>>(2)?
                        .map(|id| ElectionId::parse(id).map_err(|e| conversion(2, e.to_string())))
                        .transpose()?;
                    let detail = row
                        .get::<_, Option<String>>(3)?
                        .map(|json| {
                            serde_json::from_str(&json).map_err(|e| conversion(3, e.to_string()))
                        })
                        .transpose()?;
                    Ok(HistoryEvent {
                        at: col(row, 0)?,
                        action: LogAction::parse(&action)
                            .ok_or_else(|| conversion(1, format!("unknown action {action:?}")))?,
                        election_id,
                        detail,
                        error: row.get(4)?,
                        open_at: opt_col(row, 5)?,
                        close_at: opt_col(row, 6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            events.reverse();
            let mut errors = tx.prepare_cached(
                "SELECT started_at, error FROM sync_runs \
                 WHERE started_at >= ?1 AND error IS NOT NULL \
                 ORDER BY started_at DESC LIMIT ?2",
            )?;
            let mut cycle_errors = errors
                .query_map(params![since, limit], |row| {
                    Ok(CycleError {
                        at: col(row, 0)?,
                        error: row.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            cycle_errors.reverse();
            Ok(RunHistory {
                minutes,
                events,
                cycle_errors,
            })
        })
    }

    /// An opaque token that changes whenever what the admin page shows may have changed: an
    /// election created, edited, deleted, linked, synced or attempted, a log entry appended, a run
    /// started or finished, a pause set or lifted, or an election's phase changed by `now`. Equal
    /// tokens mean nothing the page shows changed, so a page can poll it and reload only then.
    /// One read of aggregates over the elections table (phases by its time indexes) and the
    /// newest ends of the log and run indexes.
    pub fn change_token(&self, now: Timestamp) -> Result<String> {
        let now = to_ms(now);
        self.read(|tx| {
            let token = tx
                .query_row(
                    "SELECT \
                       (SELECT COUNT(*) FROM elections), \
                       (SELECT COALESCE(MAX(updated_at), 0) FROM elections), \
                       (SELECT COALESCE(MAX(notion_last_sync_at), 0) FROM notion_links), \
                       (SELECT COALESCE(MAX(sync_last_attempt_at), 0) FROM notion_links), \
                       (SELECT COUNT(*) FROM notion_links), \
                       (SELECT COUNT(*) FROM elections WHERE open_at <= ?1), \
                       (SELECT COUNT(*) FROM elections WHERE close_at <= ?1), \
                       (SELECT COALESCE(MAX(seq), 0) FROM sync_run_logs), \
                       (SELECT COALESCE(MAX(started_at), 0) FROM sync_runs), \
                       COALESCE((SELECT COALESCE(finished_at, -1) FROM sync_runs \
                          ORDER BY started_at DESC, id DESC LIMIT 1), -2), \
                       (SELECT COUNT(*) FROM elections WHERE sync_paused_at IS NOT NULL), \
                       (SELECT COUNT(*) FROM sync_global_pause)",
                    [now],
                    |row| {
                        (0..12)
                            .map(|i| row.get::<_, i64>(i).map(|n| format!("{n:x}")))
                            .collect::<rusqlite::Result<Vec<_>>>()
                    },
                )
                .map_err(corrupt)?;
            Ok(token.join("."))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_elections_activity_is_read_through_its_index() {
        let store = SqliteStore::open_in_memory().unwrap();
        let plan: Vec<String> = store
            .read(|tx| {
                let mut stmt = tx.prepare(
                    "EXPLAIN QUERY PLAN SELECT l.seq FROM sync_run_logs l \
                     JOIN sync_runs r ON r.id = l.run_id \
                     WHERE l.election_id = ?1 AND (?2 IS NULL OR l.seq < ?2) \
                     ORDER BY l.seq DESC LIMIT ?3",
                )?;
                let rows = stmt
                    .query_map(params!["elec_x", Option::<i64>::None, 10], |row| {
                        row.get::<_, String>(3)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(corrupt)?;
                Ok(rows)
            })
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("sync_run_logs_by_election")),
            "{plan:?}"
        );
    }
}
