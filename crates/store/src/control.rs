//! Pause flags and leases.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use sync_engine::ElectionId;

use crate::error::election_not_found;
use crate::time::{col, opt_col, to_ms};
use crate::{Lease, LeaseTakeover, PauseScope, PauseStatus, Result, Store, StoreError};

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

fn check_lease_args(name: &str, holder: &str, ttl: SignedDuration) -> Result<()> {
    if name.trim().is_empty() {
        return Err(StoreError::Invalid {
            field: "name",
            message: "a lease needs a name".into(),
        });
    }
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

impl Store {
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

    /// Takes the lease `name` for `holder` until `now + ttl` if it is free, expired, or already
    /// held by `holder` (then it is renewed). Returns `None` while another holder's lease is live.
    /// Errors: `Invalid` (empty name/holder, non-positive ttl).
    pub fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<Lease>> {
        check_lease_args(name, holder, ttl)?;
        self.write(|tx| Ok(acquire(tx, name, holder, ttl, now)?.map(|(lease, _)| lease)))
    }

    /// [`Store::try_acquire_lease`], cleaning up after a dead holder: when the lease is taken
    /// from another holder whose lease had expired, the leases named `dependents_prefix…` held
    /// by `dependent_holder(that holder)` are deleted in the same transaction (e.g. the per-election
    /// write leases of a runner killed mid-cycle). Leases of any other holder are left alone.
    pub fn try_acquire_lease_taking_over(
        &self,
        name: &str,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
        dependents_prefix: &str,
        dependent_holder: impl Fn(&str) -> String,
    ) -> Result<Option<LeaseTakeover>> {
        check_lease_args(name, holder, ttl)?;
        self.write(|tx| {
            let Some((lease, expired)) = acquire(tx, name, holder, ttl, now)? else {
                return Ok(None);
            };
            let mut takeover = LeaseTakeover {
                lease,
                taken_from: None,
                released: Vec::new(),
            };
            if let Some(previous) = expired.filter(|p| p.holder != holder) {
                let dependent = dependent_holder(&previous.holder);
                let mut select = tx.prepare(
                    "SELECT name FROM leases WHERE holder = ?1 AND substr(name, 1, ?2) = ?3 \
                     ORDER BY name",
                )?;
                let prefix_len =
                    i64::try_from(dependents_prefix.chars().count()).unwrap_or(i64::MAX);
                takeover.released = select
                    .query_map(params![dependent, prefix_len, dependents_prefix], |row| {
                        row.get::<_, String>(0)
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                tx.execute(
                    "DELETE FROM leases WHERE holder = ?1 AND substr(name, 1, ?2) = ?3",
                    params![dependent, prefix_len, dependents_prefix],
                )?;
                takeover.taken_from = Some(previous.holder);
            }
            Ok(Some(takeover))
        })
    }

    /// Extends a live lease held by `holder` to `now + ttl`. Errors: `Conflict` (held by another,
    /// expired, or not held), `Invalid`.
    pub fn renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Lease> {
        check_lease_args(name, holder, ttl)?;
        self.write(|tx| {
            match lease(tx, name)? {
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
            lease(tx, name)?.ok_or_else(|| StoreError::Conflict {
                message: format!("lease '{name}' vanished"),
            })
        })
    }

    /// Gives up a lease if `holder` holds it. Returns whether it did.
    pub fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )? > 0)
        })
    }

    /// The lease row of `name`, live or expired, if any.
    pub fn get_lease(&self, name: &str) -> Result<Option<Lease>> {
        self.read(|tx| lease(tx, name))
    }
}
