//! Pause flags and leases.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sync_engine::ElectionId;

use crate::error::election_not_found;
use crate::time::{col, opt_col, to_ms};
use crate::types::LINK_LEASE_PREFIX;
use crate::{
    Lease, LeaseClaim, LeaseKey, PauseScope, PauseStatus, Result, SqliteStore, StoreError,
    cycle_lease_holder,
};

fn row_to_lease(row: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        name: row.get(0)?,
        holder: row.get(1)?,
        acquired_at: col(row, 2)?,
        expires_at: col(row, 3)?,
    })
}

fn lease(tx: &Transaction<'_>, name: &str) -> Result<Option<Lease>> {
    Ok(tx
        .query_row(
            "SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?1",
            [name],
            row_to_lease,
        )
        .optional()?)
}

fn check_lease_args(holder: &str, ttl: SignedDuration) -> Result<()> {
    if holder.trim().is_empty() {
        return Err(StoreError::Invalid {
            field: "holder",
            message: "a lease needs a holder".into(),
        });
    }
    if !ttl.is_positive() {
        return Err(StoreError::Invalid {
            field: "ttl",
            message: format!("a lease's time to live must be positive, got {ttl:#}"),
        });
    }
    Ok(())
}

/// Takes `name` for `holder` if free, expired or `holder`'s own; also returns the expired lease
/// it replaced, if any.
fn acquire(
    tx: &Transaction<'_>,
    name: &str,
    holder: &str,
    ttl: SignedDuration,
    now: Timestamp,
) -> Result<Option<(Lease, Option<Lease>)>> {
    let current = lease(tx, name)?;
    let acquired_at = match &current {
        Some(current) if current.holder != holder && current.expires_at > now => {
            return Ok(None);
        }
        Some(current) if current.holder == holder && current.expires_at > now => {
            current.acquired_at
        }
        _ => now,
    };
    tx.execute(
        "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
         acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
        params![name, holder, to_ms(acquired_at), to_ms(expiry(now, ttl))],
    )?;
    let expired = current.filter(|c| c.expires_at <= now);
    Ok(lease(tx, name)?.map(|lease| (lease, expired)))
}

fn expiry(now: Timestamp, ttl: SignedDuration) -> Timestamp {
    now.checked_add(ttl).unwrap_or(Timestamp::MAX)
}

impl SqliteStore {
    /// Pauses syncing of everything or of one election. Pausing twice keeps the first instant.
    /// Errors: `NotFound` (unknown election).
    pub fn pause(&self, scope: &PauseScope, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            match scope {
                PauseScope::All => {
                    tx.execute(
                        "INSERT INTO sync_global_pause (singleton, paused_at) VALUES (1, ?1) \
                         ON CONFLICT (singleton) DO NOTHING",
                        [to_ms(now)],
                    )?;
                }
                PauseScope::Election(id) => {
                    let changed = tx.execute(
                        "UPDATE elections SET sync_paused_at = COALESCE(sync_paused_at, ?2) WHERE id = ?1",
                        params![id.as_str(), to_ms(now)],
                    )?;
                    if changed == 0 {
                        return Err(election_not_found(id));
                    }
                }
            }
            Ok(())
        })
    }

    /// Resumes syncing. `All` clears the global pause *and* every per-election pause; `Election`
    /// clears that election's own pause (a global pause still applies). Errors: `NotFound`.
    pub fn resume(&self, scope: &PauseScope) -> Result<()> {
        self.write(|tx| {
            match scope {
                PauseScope::All => {
                    tx.execute("DELETE FROM sync_global_pause", [])?;
                    tx.execute(
                        "UPDATE elections SET sync_paused_at = NULL WHERE sync_paused_at IS NOT NULL",
                        [],
                    )?;
                }
                PauseScope::Election(id) => {
                    let changed = tx.execute(
                        "UPDATE elections SET sync_paused_at = NULL WHERE id = ?1",
                        [id.as_str()],
                    )?;
                    if changed == 0 {
                        return Err(election_not_found(id));
                    }
                }
            }
            Ok(())
        })
    }

    /// Whether syncing is paused globally (`None`) or for this election (by itself or globally).
    /// Errors: `NotFound` (unknown election).
    pub fn is_paused(&self, election: Option<&ElectionId>) -> Result<bool> {
        self.read(|tx| {
            let global: Option<i64> = tx
                .query_row("SELECT paused_at FROM sync_global_pause", [], |r| r.get(0))
                .optional()?;
            if global.is_some() {
                return Ok(true);
            }
            let Some(id) = election else {
                return Ok(false);
            };
            let paused: Option<Option<i64>> = tx
                .query_row(
                    "SELECT sync_paused_at FROM elections WHERE id = ?1",
                    [id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            match paused {
                None => Err(election_not_found(id)),
                Some(at) => Ok(at.is_some()),
            }
        })
    }

    /// All pause flags.
    pub fn pause_status(&self) -> Result<PauseStatus> {
        self.read(|tx| {
            let global_paused_at = tx
                .query_row("SELECT paused_at FROM sync_global_pause", [], |r| opt_col(r, 0))
                .optional()?
                .flatten();
            let mut stmt = tx.prepare_cached(
                "SELECT id, sync_paused_at FROM elections WHERE sync_paused_at IS NOT NULL ORDER BY id",
            )?;
            let paused_elections = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, col(r, 1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter_map(|(id, at)| ElectionId::parse(id).ok().map(|id| (id, at)))
                .collect();
            Ok(PauseStatus {
                global_paused_at,
                paused_elections,
            })
        })
    }

    /// Claims the lease `key` for `holder` until `now + ttl` if it is free, expired, or already
    /// held by `holder` (then it is renewed, keeping its `acquired_at`). `None` while another
    /// holder's lease is live.
    ///
    /// Claiming [`LeaseKey::Global`] over another holder's *expired* lease (a runner killed
    /// mid-cycle) also deletes, in the same transaction, the [`LeaseKey::Link`] leases held
    /// as that holder's cycle ([`cycle_lease_holder`]), so the election whose write was in flight
    /// is synced now rather than once its write lease lapses; leases of any other holder (a
    /// manual sync's) stay. Errors: `Invalid` (empty holder, non-positive ttl).
    pub fn claim_lease(
        &self,
        key: &LeaseKey,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<LeaseClaim>> {
        check_lease_args(holder, ttl)?;
        let name = key.name();
        self.write(|tx| {
            let Some((lease, expired)) = acquire(tx, &name, holder, ttl, now)? else {
                return Ok(None);
            };
            let mut claim = LeaseClaim {
                lease,
                taken_from: None,
                released: Vec::new(),
            };
            if let Some(previous) = expired.filter(|p| p.holder != holder) {
                if *key == LeaseKey::Global {
                    claim.released = release_cycle_leases(tx, &previous.holder)?;
                }
                claim.taken_from = Some(previous.holder);
            }
            Ok(Some(claim))
        })
    }

    /// Extends a live lease held by `holder` to `now + ttl`. Errors: `Conflict` (held by another,
    /// expired, or not held), `Invalid`.
    pub fn renew_lease(
        &self,
        key: &LeaseKey,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Lease> {
        check_lease_args(holder, ttl)?;
        let name = key.name();
        self.write(|tx| {
            match lease(tx, &name)? {
                Some(current) if current.holder == holder && current.expires_at > now => {}
                Some(current) if current.holder == holder => {
                    return Err(StoreError::Conflict {
                        message: format!(
                            "lease '{name}' expired at {}: acquire it again",
                            current.expires_at
                        ),
                    });
                }
                Some(current) => {
                    return Err(StoreError::Conflict {
                        message: format!("lease '{name}' is held by '{}'", current.holder),
                    });
                }
                None => {
                    return Err(StoreError::Conflict {
                        message: format!("lease '{name}' is not held: acquire it first"),
                    });
                }
            }
            tx.execute(
                "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND holder = ?2",
                params![name, holder, to_ms(expiry(now, ttl))],
            )?;
            lease(tx, &name)?.ok_or_else(|| StoreError::Conflict {
                message: format!("lease '{name}' vanished"),
            })
        })
    }

    /// Gives up a lease if `holder` holds it. Returns whether it did.
    pub fn release_lease(&self, key: &LeaseKey, holder: &str) -> Result<bool> {
        let name = key.name();
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )? > 0)
        })
    }

    /// The lease `key`, live or expired, if any.
    pub fn get_lease(&self, key: &LeaseKey) -> Result<Option<Lease>> {
        let name = key.name();
        self.read(|tx| lease(tx, &name))
    }
}

/// Deletes the election leases held as the cycle of `dead_holder` and returns their keys.
fn release_cycle_leases(tx: &Transaction<'_>, dead_holder: &str) -> Result<Vec<LeaseKey>> {
    let dependent = cycle_lease_holder(dead_holder);
    let prefix_len = i64::try_from(LINK_LEASE_PREFIX.chars().count()).unwrap_or(i64::MAX);
    let mut select = tx.prepare(
        "SELECT name FROM leases WHERE holder = ?1 AND substr(name, 1, ?2) = ?3 ORDER BY name",
    )?;
    let names = select
        .query_map(params![dependent, prefix_len, LINK_LEASE_PREFIX], |row| {
            row.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.execute(
        "DELETE FROM leases WHERE holder = ?1 AND substr(name, 1, ?2) = ?3",
        params![dependent, prefix_len, LINK_LEASE_PREFIX],
    )?;
    // Every name here was made by `LeaseKey::name`; one that is not (written by hand) is
    // released all the same, only not reported.
    Ok(names
        .iter()
        .filter_map(|n| LeaseKey::from_name(n))
        .collect())
}
