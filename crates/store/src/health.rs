//! Health for monitoring: the store's own ([`StoreHealth`]: can it take writes, at which schema),
//! and a summary of the sync's ([`SyncHealth`]: how many linked elections are failing, broken or
//! paused, and when the sync last ran and succeeded). Read by the api-server at probe and scrape
//! time, so it reports what the sync-runner (a separate process sharing the store) did.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::corrupt;
use crate::runs::{RUN_COLUMNS, row_to_run};
use crate::time::opt_col;
use crate::{Result, SqliteStore, SyncRun};

/// The store's own health, for readiness probes: what [`crate::Store::health`] found when the
/// store could take writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHealth {
    /// The schema version the store is at.
    pub schema_version: usize,
    /// The schema version this build migrates the store to (for SQLite,
    /// [`crate::LATEST_SCHEMA_VERSION`]).
    pub latest_schema_version: usize,
}

impl StoreHealth {
    /// Whether the store is at the schema this build expects.
    pub fn is_current(&self) -> bool {
        self.schema_version == self.latest_schema_version
    }
}

/// The sync's health as stored, for metrics and readiness.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncHealth {
    /// Elections linked to at least one Notion page.
    pub linked: u64,
    /// Links of elections to Notion pages (an election may have several).
    pub links: u64,
    /// Linked elections with a link whose last sync failed (`notion_last_sync_error` set).
    pub with_error: u64,
    /// Linked elections with a link whose page was trashed, deleted or unshared.
    pub link_broken: u64,
    /// Linked elections not being synced because they are paused, by themselves or globally.
    pub paused: u64,
    /// Whether syncing is paused for everything.
    pub globally_paused: bool,
    /// The newest successful sync of any linked election (`notion_last_sync_at`).
    pub last_successful_sync_at: Option<Timestamp>,
    /// The newest run, by start, of any trigger, finished or not.
    pub last_run: Option<SyncRun>,
    /// The newest run that has finished, with its counters.
    pub last_finished_run: Option<SyncRun>,
}

impl SqliteStore {
    /// The sync's health in one read transaction: a count over the linked elections and the two
    /// newest runs (by the runs' start index, so the cost does not grow with the history).
    pub fn sync_health(&self) -> Result<SyncHealth> {
        self.read(|tx| {
            // One row per linked election, then summed: an election counts once however many
            // links it has.
            let (linked, links, with_error, link_broken, own_paused, last_successful_sync_at) = tx
                .query_row(
                    "SELECT COUNT(*), COALESCE(SUM(links), 0), COALESCE(SUM(with_error), 0), \
                        COALESCE(SUM(broken), 0), COALESCE(SUM(paused), 0), MAX(last_sync_at) \
                     FROM (SELECT COUNT(*) AS links, \
                             MAX(l.notion_last_sync_error IS NOT NULL) AS with_error, \
                             MAX(l.sync_link_broken) AS broken, \
                             MAX(e.sync_paused_at IS NOT NULL) AS paused, \
                             MAX(l.notion_last_sync_at) AS last_sync_at \
                           FROM notion_links l JOIN elections e ON e.id = l.election_id \
                           GROUP BY l.election_id)",
                    [],
                    |r| {
                        Ok((
                            count(r.get(0)?),
                            count(r.get(1)?),
                            count(r.get(2)?),
                            count(r.get(3)?),
                            count(r.get(4)?),
                            opt_col(r, 5)?,
                        ))
                    },
                )
                .map_err(corrupt)?;
            let globally_paused = tx
                .query_row("SELECT 1 FROM sync_global_pause", [], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?
                .is_some();
            Ok(SyncHealth {
                linked,
                links,
                with_error,
                link_broken,
                paused: if globally_paused { linked } else { own_paused },
                globally_paused,
                last_successful_sync_at,
                last_run: newest_run(tx, false)?,
                last_finished_run: newest_run(tx, true)?,
            })
        })
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The newest run by start (optionally only among finished ones): walks the start index from the
/// newest end, so it stops at the first match.
fn newest_run(tx: &Transaction<'_>, finished: bool) -> Result<Option<SyncRun>> {
    tx.query_row(
        &format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs WHERE (?1 = 0 OR finished_at IS NOT NULL) \
             ORDER BY started_at DESC, id DESC LIMIT 1"
        ),
        [i64::from(finished)],
        row_to_run,
    )
    .optional()
    .map_err(corrupt)
}
