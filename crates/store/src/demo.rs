//! The demo marker: whether the api-server's demo created this store, so that it may start over on
//! it and never touches a store that holds anyone else's data.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction};

use crate::time::to_ms;
use crate::{Result, Store};

/// What [`Store::claim_for_demo`] found and did.
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
const DEMO_DATA_TABLES: [&str; 6] = [
    "sync_run_logs",
    "sync_runs",
    "sync_cursors",
    "sync_global_pause",
    "leases",
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

impl Store {
    /// Whether the demo created this store ([`Store::claim_for_demo`] marked it).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewElection;

    fn now() -> Timestamp {
        "2026-02-01T10:00:00Z".parse().unwrap()
    }

    fn add_election(store: &Store) {
        store
            .create_election(
                NewElection {
                    id: None,
                    title: "Board election".into(),
                    description: String::new(),
                    open_at: "2026-03-01T09:00:00Z".parse().unwrap(),
                    close_at: "2026-03-08T09:00:00Z".parse().unwrap(),
                },
                now(),
            )
            .unwrap();
    }

    #[test]
    fn an_empty_store_is_marked_then_reset_at_each_claim() {
        let store = Store::open_in_memory().unwrap();
        assert!(!store.is_demo_store().unwrap());
        assert_eq!(store.claim_for_demo(now()).unwrap(), DemoClaim::Marked);
        assert!(store.is_demo_store().unwrap());
        add_election(&store);
        add_election(&store);
        assert_eq!(
            store.claim_for_demo(now()).unwrap(),
            DemoClaim::Reset { elections: 2 }
        );
        assert_eq!(
            store.claim_for_demo(now()).unwrap(),
            DemoClaim::Reset { elections: 0 }
        );
        assert!(store.is_demo_store().unwrap());
    }

    #[test]
    fn a_store_holding_other_data_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("elections.db");
        let store = Store::open(&path).unwrap();
        add_election(&store);
        assert_eq!(
            store.claim_for_demo(now()).unwrap(),
            DemoClaim::Refused {
                elections: 1,
                runs: 0
            }
        );
        drop(store);
        let store = Store::open(&path).unwrap();
        assert!(!store.is_demo_store().unwrap());
        assert_eq!(
            store
                .list_elections(&crate::ListRequest::first(10))
                .unwrap()
                .items
                .len(),
            1
        );
    }
}
