//! Per-database cursors, sync runs and their logs.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sync_engine::{ElectionId, Trigger};
use uuid::Uuid;

use crate::error::{conversion, corrupt};
use crate::time::{col, opt_col, to_ms};
use crate::{
    ListRequest, Listing, LogAction, LogEntry, NewLogEntry, PrunedRuns, Result, RunActivity,
    RunCounts, RunFilter, RunWithLogs, SqliteStore, StoreError, SyncCursor, SyncRun, check_limit,
    decode_cursor, encode_cursor,
};

pub(crate) const RUN_COLUMNS: &str = "id, started_at, finished_at, trigger_kind, holder, read_count, \
    planned_count, written_count, pulled_count, failed_count, notion_requests, error";

/// The SQL of [`SyncRun::has_changes`]: a run with changes, as opposed to an idle cycle. The
/// partial index `sync_runs_with_changes` (migration 0002) has this same WHERE clause, so listing
/// only the runs with changes walks that index and never the idle cycles in between.
pub(crate) const CHANGES_PREDICATE: &str = "(finished_at IS NULL OR error IS NOT NULL \
    OR read_count > 0 OR written_count > 0 OR pulled_count > 0 OR failed_count > 0)";

/// The page query of [`SqliteStore::list_runs_filtered`]: the runs `only` keeps, after the cursor
/// (`?1` started_at in ms, `?2` id), newest first, `?3` at most.
fn list_runs_sql(only: &str) -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM sync_runs \
         WHERE {only} AND (?1 IS NULL OR started_at < ?1 OR (started_at = ?1 AND id < ?2)) \
         ORDER BY started_at DESC, id DESC LIMIT ?3"
    )
}

fn uuid_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(idx)?;
    Uuid::parse_str(&text).map_err(|e| conversion(idx, e.to_string()))
}

fn count(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(idx)?).unwrap_or(0))
}

pub(crate) fn row_to_run(row: &Row<'_>) -> rusqlite::Result<SyncRun> {
    let trigger = match row.get::<_, String>(3)?.as_str() {
        "scheduled" => Trigger::Scheduled,
        "manual" => Trigger::Manual,
        "reconcile" => Trigger::Reconcile,
        other => return Err(conversion(3, format!("unknown trigger {other:?}"))),
    };
    Ok(SyncRun {
        id: uuid_col(row, 0)?,
        started_at: col(row, 1)?,
        finished_at: opt_col(row, 2)?,
        trigger,
        holder: row.get(4)?,
        counts: RunCounts {
            read: count(row, 5)?,
            planned: count(row, 6)?,
            written: count(row, 7)?,
            pulled: count(row, 8)?,
            failed: count(row, 9)?,
            notion_requests: count(row, 10)?,
        },
        error: row.get(11)?,
    })
}

pub(crate) fn row_to_log(row: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let election_id = row
        .get::<_, Option<String>>(3)?
        .map(|id| ElectionId::parse(id).map_err(|e| conversion(3, e.to_string())))
        .transpose()?;
    let action: String = row.get(5)?;
    let action = LogAction::parse(&action)
        .ok_or_else(|| conversion(5, format!("unknown action {action:?}")))?;
    let detail = row
        .get::<_, Option<String>>(6)?
        .map(|json| serde_json::from_str(&json).map_err(|e| conversion(6, e.to_string())))
        .transpose()?;
    Ok(LogEntry {
        seq: row.get(0)?,
        run_id: uuid_col(row, 1)?,
        entry: NewLogEntry {
            at: col(row, 2)?,
            election_id,
            page_id: row.get(4)?,
            action,
            detail,
            error: row.get(7)?,
        },
    })
}

fn row_to_cursor(row: &Row<'_>) -> rusqlite::Result<SyncCursor> {
    Ok(SyncCursor {
        database_id: row.get(0)?,
        last_edited_cursor: opt_col(row, 1)?,
        last_full_reconcile_at: opt_col(row, 2)?,
        updated_at: col(row, 3)?,
    })
}

fn run_not_found(id: Uuid) -> StoreError {
    StoreError::NotFound {
        what: "run",
        id: id.to_string(),
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn upsert_cursor(tx: &Transaction<'_>, cursor: &SyncCursor) -> Result<()> {
    if cursor.database_id.trim().is_empty() {
        return Err(StoreError::Invalid {
            field: "database_id",
            message: "database_id must not be empty".into(),
        });
    }
    tx.execute(
        "INSERT INTO sync_cursors (database_id, last_edited_cursor, last_full_reconcile_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (database_id) DO UPDATE SET \
         last_edited_cursor = excluded.last_edited_cursor, \
         last_full_reconcile_at = excluded.last_full_reconcile_at, updated_at = excluded.updated_at",
        params![
            cursor.database_id,
            cursor.last_edited_cursor.map(to_ms),
            cursor.last_full_reconcile_at.map(to_ms),
            to_ms(cursor.updated_at),
        ],
    )?;
    Ok(())
}

pub(crate) fn insert_logs(tx: &Transaction<'_>, run_id: Uuid, logs: &[NewLogEntry]) -> Result<()> {
    let exists: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM sync_runs WHERE id = ?1",
            [run_id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Err(run_not_found(run_id));
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sync_run_logs (run_id, at, election_id, page_id, action, detail, error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for entry in logs {
        let detail = entry.detail.as_ref().map(serde_json::Value::to_string);
        stmt.execute(params![
            run_id.to_string(),
            to_ms(entry.at),
            entry.election_id.as_ref().map(ElectionId::as_str),
            entry.page_id,
            entry.action.as_str(),
            detail,
            entry.error,
        ])?;
    }
    Ok(())
}

/// Parses a run id given as text (CLI, URL). Errors: `Invalid`.
pub fn parse_run_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| StoreError::Invalid {
        field: "run_id",
        message: format!("'{text}' is not a run id (a UUID such as those `runs list` prints)"),
    })
}

impl SqliteStore {
    /// The cursor of one database, `None` if it has none yet.
    pub fn get_cursor(&self, database_id: &str) -> Result<Option<SyncCursor>> {
        self.read(|tx| {
            tx.query_row(
                "SELECT database_id, last_edited_cursor, last_full_reconcile_at, updated_at \
                 FROM sync_cursors WHERE database_id = ?1",
                [database_id],
                row_to_cursor,
            )
            .optional()
            .map_err(corrupt)
        })
    }

    /// Every database's cursor, by database id.
    pub fn list_cursors(&self) -> Result<Vec<SyncCursor>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT database_id, last_edited_cursor, last_full_reconcile_at, updated_at \
                 FROM sync_cursors ORDER BY database_id",
            )?;
            let rows = stmt
                .query_map([], row_to_cursor)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            Ok(rows)
        })
    }

    /// Saves (inserts or replaces) a database's cursor. Errors: `Invalid` (empty database id).
    pub fn set_cursor(&self, cursor: &SyncCursor) -> Result<()> {
        self.write(|tx| upsert_cursor(tx, cursor))
    }

    /// Forgets the cursor of one database, or of all when `None`, so the next cycle reads
    /// everything. Returns how many were removed.
    pub fn reset_cursors(&self, database_id: Option<&str>) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM sync_cursors WHERE ?1 IS NULL OR database_id = ?1",
                [database_id],
            )?)
        })
    }

    /// Starts a run record. The id is a UUID v7 of `now`, so ids sort by start time.
    pub fn start_run(&self, trigger: Trigger, holder: &str, now: Timestamp) -> Result<SyncRun> {
        let id = crate::time::uuid_v7(now);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sync_runs (id, started_at, trigger_kind, holder) VALUES (?1, ?2, ?3, ?4)",
                params![id.to_string(), to_ms(now), trigger.as_str(), holder],
            )?;
            get_run(tx, id)
        })
    }

    /// Finishes a run with its counters and an optional cycle-level error. Errors: `NotFound`,
    /// `Conflict` (already finished).
    pub fn finish_run(
        &self,
        id: Uuid,
        counts: &RunCounts,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<SyncRun> {
        self.write(|tx| {
            let run = get_run(tx, id)?;
            if run.finished_at.is_some() {
                return Err(StoreError::Conflict {
                    message: format!("run '{id}' is already finished"),
                });
            }
            tx.execute(
                "UPDATE sync_runs SET finished_at = ?2, read_count = ?3, planned_count = ?4, \
                 written_count = ?5, pulled_count = ?6, failed_count = ?7, notion_requests = ?8, \
                 error = ?9 WHERE id = ?1",
                params![
                    id.to_string(),
                    to_ms(now),
                    to_i64(counts.read),
                    to_i64(counts.planned),
                    to_i64(counts.written),
                    to_i64(counts.pulled),
                    to_i64(counts.failed),
                    to_i64(counts.notion_requests),
                    error,
                ],
            )?;
            get_run(tx, id)
        })
    }

    /// Appends log entries to a run, in one transaction. Errors: `NotFound` (unknown run).
    pub fn append_logs(&self, run_id: Uuid, entries: &[NewLogEntry]) -> Result<()> {
        self.write(|tx| insert_logs(tx, run_id, entries))
    }

    /// Runs, newest first, `page.limit` at a time: [`Self::list_runs_filtered`] with every run.
    pub fn list_runs(&self, page: &ListRequest) -> Result<Listing<SyncRun>> {
        self.list_runs_filtered(&RunFilter::default(), page)
    }

    /// The runs `filter` keeps, newest first, `page.limit` at a time. A `next_cursor` continues
    /// the same filter (it names the last run shown, so it also works with another filter).
    /// Errors: `Invalid` (limit, cursor).
    pub fn list_runs_filtered(
        &self,
        filter: &RunFilter,
        page: &ListRequest,
    ) -> Result<Listing<SyncRun>> {
        let limit = check_limit(page.limit)?;
        let after = match page.cursor.as_deref() {
            None => None,
            Some(cursor) => {
                let key = decode_cursor(cursor)?;
                let bad = || StoreError::Invalid {
                    field: "cursor",
                    message: "the cursor is not one this API returned".into(),
                };
                let (ms, id) = key.split_once(':').ok_or_else(bad)?;
                Some((ms.parse::<i64>().map_err(|_| bad())?, id.to_owned()))
            }
        };
        self.read(|tx| {
            let only = match filter.activity {
                RunActivity::All => "1",
                RunActivity::Changes => CHANGES_PREDICATE,
            };
            let mut stmt = tx.prepare_cached(&list_runs_sql(only))?;
            let (after_ms, after_id) = after.unzip();
            let mut items = stmt
                .query_map(params![after_ms, after_id, limit + 1], row_to_run)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            let next_cursor = if items.len() as i64 > limit {
                items.truncate(page.limit as usize);
                items
                    .last()
                    .map(|r| encode_cursor(&format!("{}:{}", to_ms(r.started_at), r.id)))
            } else {
                None
            };
            Ok(Listing { items, next_cursor })
        })
    }

    /// How many idle cycles (runs without changes, see [`SyncRun::has_changes`]) started after
    /// `newest_shown`, or in all when `None`: what a list of only the runs with changes hides
    /// above its first row.
    pub fn count_idle_runs_after(&self, newest_shown: Option<&SyncRun>) -> Result<u64> {
        let after = newest_shown.map(|run| (to_ms(run.started_at), run.id.to_string()));
        self.read(|tx| {
            let count: i64 = match after {
                None => tx.query_row(
                    &format!("SELECT COUNT(*) FROM sync_runs WHERE NOT {CHANGES_PREDICATE}"),
                    [],
                    |r| r.get(0),
                )?,
                Some((ms, id)) => tx.query_row(
                    &format!(
                        "SELECT COUNT(*) FROM sync_runs WHERE started_at >= ?1 \
                         AND (started_at > ?1 OR id > ?2) AND NOT {CHANGES_PREDICATE}"
                    ),
                    params![ms, id],
                    |r| r.get(0),
                )?,
            };
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    /// Deletes the runs that started more than `older_than` before `now`, with their log
    /// entries, in one transaction: the retention of the run history. Finished or not (an old
    /// unfinished run is one whose runner died). Errors: `Invalid` (a negative `older_than`).
    pub fn prune_runs(&self, older_than: SignedDuration, now: Timestamp) -> Result<PrunedRuns> {
        if older_than.is_negative() {
            return Err(StoreError::Invalid {
                field: "older_than",
                message: format!("the retention must not be negative, got {older_than}"),
            });
        }
        let cutoff =
            to_ms(now).saturating_sub(older_than.as_millis().try_into().unwrap_or(i64::MAX));
        self.write(|tx| {
            let logs = tx.execute(
                "DELETE FROM sync_run_logs WHERE run_id IN \
                 (SELECT id FROM sync_runs WHERE started_at < ?1)",
                [cutoff],
            )?;
            let runs = tx.execute("DELETE FROM sync_runs WHERE started_at < ?1", [cutoff])?;
            Ok(PrunedRuns {
                runs: runs as u64,
                logs: logs as u64,
            })
        })
    }

    /// A run with all its log entries, oldest first. Errors: `NotFound`.
    pub fn get_run(&self, id: Uuid) -> Result<RunWithLogs> {
        self.read(|tx| {
            let run = get_run(tx, id)?;
            let mut stmt = tx.prepare_cached(
                "SELECT seq, run_id, at, election_id, page_id, action, detail, error \
                 FROM sync_run_logs WHERE run_id = ?1 ORDER BY seq",
            )?;
            let logs = stmt
                .query_map([id.to_string()], row_to_log)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)?;
            Ok(RunWithLogs { run, logs })
        })
    }
}

fn get_run(tx: &Transaction<'_>, id: Uuid) -> Result<SyncRun> {
    tx.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = ?1"),
        [id.to_string()],
        row_to_run,
    )
    .optional()
    .map_err(corrupt)?
    .ok_or_else(|| run_not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(store: &SqliteStore, sql: &str) -> String {
        store
            .read(|tx| {
                let mut stmt = tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let details = stmt
                    .query_map(params![None::<i64>, None::<String>, 51], |r| {
                        r.get::<_, String>(3)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(details.join("\n"))
            })
            .unwrap()
    }

    #[test]
    fn listing_runs_walks_an_index_in_order_with_or_without_idle_cycles() {
        let store = SqliteStore::open_in_memory().unwrap();
        let changes = plan(&store, &list_runs_sql(CHANGES_PREDICATE));
        assert!(
            changes.contains("USING INDEX sync_runs_with_changes")
                && !changes.contains("TEMP B-TREE"),
            "{changes}"
        );
        let all = plan(&store, &list_runs_sql("1"));
        assert!(
            all.contains("USING INDEX sync_runs_newest") && !all.contains("TEMP B-TREE"),
            "{all}"
        );
    }
}
