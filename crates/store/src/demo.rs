//! The demo marker: whether the api-server's demo created this store, so that it may start over on
//! it and never touches a store that holds anyone else's data.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction};

use crate::time::to_ms;
use crate::{Result, SqliteStore};

/// What [`SqliteStore::claim_for_demo`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoClaim {
    /// The store was empty: it is now marked as the demo's own.
    Marked,
    /// The store was already the demo's: everything in it was deleted, ready to seed again.
    Reset {
        /// How many elections the previous demo run left behind.
        elections: u64,
    },
    /// The store holds data the demo did not create: nothing was changed.
    Refused {
        /// How many elections it holds.
        elections: u64,
        /// How many sync runs it records.
        runs: u64,
    },
}

/// The tables the demo empties when it starts over (run logs go with their runs, but are named
/// so that the order does not depend on the foreign key's cascade).
const DEMO_DATA_TABLES: [&str; 11] = [
    "connection_penalties",
    "oauth_states",
    "connection_databases",
    "notion_connections",
    "sync_run_logs",
    "sync_runs",
    "sync_cursors",
    "sync_global_pause",
    "leases",
    "notion_links",
    "elections",
];

fn is_marked(tx: &Transaction<'_>) -> Result<bool> {
    Ok(tx
        .query_row("SELECT 1 FROM demo_marker", [], |_| Ok(()))
        .optional()?
        .is_some())
}

fn count(tx: &Transaction<'_>, table: &str) -> Result<u64> {
    let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl SqliteStore {
    /// Whether the demo created this store ([`SqliteStore::claim_for_demo`] marked it).
    pub fn is_demo_store(&self) -> Result<bool> {
        self.read(is_marked)
    }

    /// Prepares this store for a fresh demo run, in one transaction: a store the demo marked
    /// before is emptied (elections, runs and logs, cursors, pauses, leases); an empty store
    /// (no elections, no runs) is marked as the demo's; any other store is left untouched and
    /// [`DemoClaim::Refused`].
    pub fn claim_for_demo(&self, now: Timestamp) -> Result<DemoClaim> {
        self.write(|tx| {
            let elections = count(tx, "elections")?;
            if is_marked(tx)? {
                for table in DEMO_DATA_TABLES {
                    tx.execute(&format!("DELETE FROM {table}"), [])?;
                }
                return Ok(DemoClaim::Reset { elections });
            }
            let runs = count(tx, "sync_runs")?;
            if elections > 0 || runs > 0 {
                return Ok(DemoClaim::Refused { elections, runs });
            }
            tx.execute(
                "INSERT INTO demo_marker (singleton, created_at) VALUES (1, ?1)",
                [to_ms(now)],
            )?;
            Ok(DemoClaim::Marked)
        })
    }
}
