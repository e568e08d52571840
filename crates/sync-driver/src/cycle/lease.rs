//! The leases of a sync: the global lease a cycle runs under (taken, kept alive, released) and the
//! per-election write leases taken around each page write.

use std::future::Future;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use notion_client::{ErrorKind, NotionError};
use store::{LeaseKey, LinkId, LinkedElection, cycle_lease_holder};

use crate::{Clock, DriverError, SleepFuture, SyncDriver};

/// Who writes an election's page: decides the holder of its write lease and whether the write
/// also needs the global lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// A cycle: write leases as the cycle's holder, taken only while the global lease is its own;
    /// each write is bounded by half the lease.
    Cycle,
    /// A manual sync (admin API): write leases as the driver's holder, the write unbounded.
    Manual,
}

/// Keeps the global lease alive while a cycle runs: renewed once half of `lease_ttl` has passed
/// since the last renewal, by the driver's clock, between databases, between query pages and
/// before each election's write, and also *during* every Notion call of the cycle
/// ([`SyncDriver::leased`]): one call may wait far longer than half the TTL (a `Retry-After`, a
/// backoff, a slow answer), and a lone runner must not lose its lease to its own waits. Once a
/// renewal fails another runner may be syncing: stop.
///
/// It also holds when Notion's rate limit stopped the cycle ([`SyncDriver::note_rate_limit`]):
/// from then on the cycle makes no further request.
pub(crate) struct LeaseKeeper {
    clock: Option<Arc<dyn Clock>>,
    cycle_now: Timestamp,
    started: tokio::time::Instant,
    /// False for a preview, which holds no lease.
    active: bool,
    /// The global lease's renewals, shared by the keepers of every connection the cycle drives
    /// at once: one renewal serves them all, and a lost lease stops them all.
    global: Arc<GlobalLease>,
    /// Until when Notion's penalty holds every request of this keeper's connection, once a rate
    /// limit stopped its part of the cycle.
    rate_limited_until: Option<Timestamp>,
}

/// The global lease as a cycle's keepers share it.
struct GlobalLease {
    state: std::sync::Mutex<GlobalLeaseState>,
    /// Held while a renewal is in flight: the keepers due at the same moment renew once.
    renewing: tokio::sync::Mutex<()>,
}

struct GlobalLeaseState {
    renewed_at: Timestamp,
    /// Why the lease is gone, once a renewal failed.
    lost: Option<String>,
}

impl LeaseKeeper {
    pub(crate) fn new(clock: Option<Arc<dyn Clock>>, now: Timestamp, active: bool) -> Self {
        Self {
            clock,
            cycle_now: now,
            started: tokio::time::Instant::now(),
            active,
            global: Arc::new(GlobalLease {
                state: std::sync::Mutex::new(GlobalLeaseState {
                    renewed_at: now,
                    lost: None,
                }),
                renewing: tokio::sync::Mutex::new(()),
            }),
            rate_limited_until: None,
        }
    }

    /// A keeper for one connection's part of the cycle: the same global lease (renewed for all,
    /// lost for all) and clock, and a rate limit of its own, since Notion's budget is per
    /// connection.
    pub(crate) fn for_connection(&self) -> Self {
        Self {
            clock: self.clock.clone(),
            cycle_now: self.cycle_now,
            started: self.started,
            active: self.active,
            global: Arc::clone(&self.global),
            rate_limited_until: None,
        }
    }

    /// The time now: the clock's, or the cycle's `now` plus the time elapsed since it started.
    pub(crate) fn now(&self) -> Timestamp {
        time_since(self.clock.as_ref(), self.cycle_now, self.started)
    }

    /// Why the lease is gone, once a renewal failed.
    pub(crate) fn lost(&self) -> Option<String> {
        self.global_state().lost.clone()
    }

    /// Until when Notion rate-limits this keeper's connection, once a rate limit stopped its part
    /// of the cycle.
    pub(crate) fn rate_limited_until(&self) -> Option<Timestamp> {
        self.rate_limited_until
    }

    /// Marks the connection as rate-limited until `until` before any request (its penalty, met
    /// by this process or another, is still running): its part of the cycle makes none.
    pub(crate) fn hold_until(&mut self, until: Timestamp) {
        self.rate_limited_until = Some(self.rate_limited_until.map_or(until, |t| t.max(until)));
    }

    fn global_state(&self) -> std::sync::MutexGuard<'_, GlobalLeaseState> {
        // A panic while holding it cannot leave the two fields inconsistent: use it as it is.
        self.global
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Resolves when the next renewal is due (half the TTL after the last one), by the keeper's
    /// clock. Owns what it needs, so the cycle can renew while a Notion call is in flight.
    fn renewal_due(&self, ttl: SignedDuration) -> SleepFuture<'static> {
        let due = self
            .global_state()
            .renewed_at
            .checked_add(ttl / 2)
            .unwrap_or(Timestamp::MAX);
        match &self.clock {
            Some(clock) => {
                let clock = Arc::clone(clock);
                Box::pin(async move { clock.sleep_until(due).await })
            }
            None => {
                let offset = std::time::Duration::try_from(due.duration_since(self.cycle_now))
                    .unwrap_or_default();
                let at = self
                    .started
                    .checked_add(offset)
                    .unwrap_or_else(|| self.started + std::time::Duration::from_secs(86_400));
                Box::pin(tokio::time::sleep_until(at))
            }
        }
    }

    /// `Ok(now)` when the global lease needs no renewal at `now`, `Err` when it is lost; `None`
    /// when a renewal is due.
    fn renewal_check(
        &self,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Option<Result<Timestamp, String>> {
        let state = self.global_state();
        if let Some(lost) = &state.lost {
            return Some(Err(lost.clone()));
        }
        (now.duration_since(state.renewed_at) < ttl / 2).then_some(Ok(now))
    }
}

/// The message a cycle stopped by Notion's rate limit records, with the instant it ends.
pub(crate) fn rate_limited_message(until: Timestamp) -> String {
    format!(
        "rate limited by Notion until {until}: the cycle stopped early and the next one starts after that"
    )
}

/// When a penalty of `pending` from `now` ends, in whole seconds rounded up: the instant people
/// read, never before the penalty's end.
pub(crate) fn penalty_end(now: Timestamp, pending: std::time::Duration) -> Timestamp {
    let secs = i64::try_from(pending.as_millis().div_ceil(1000)).unwrap_or(i64::MAX);
    Timestamp::from_second(
        now.as_second()
            .saturating_add(secs)
            .saturating_add(i64::from(now.subsec_nanosecond() > 0)),
    )
    .unwrap_or(Timestamp::MAX)
}

/// The time now for work that began at `start` (read at `started`): the driver's clock when it has
/// one, else `start` plus the monotonic time elapsed since. Callers pass `now` in, so without a clock
/// this is the only honest way to stamp the end of the work.
pub(crate) fn time_since(
    clock: Option<&Arc<dyn Clock>>,
    start: Timestamp,
    started: tokio::time::Instant,
) -> Timestamp {
    match clock {
        Some(clock) => clock.now(),
        None => start
            .checked_add(SignedDuration::try_from(started.elapsed()).unwrap_or_default())
            .unwrap_or(start),
    }
}

impl SyncDriver {
    pub(crate) async fn take_global_lease(&self, now: Timestamp) -> Result<(), DriverError> {
        let holder = &self.inner.config.holder;
        let ttl = self.inner.config.lease_ttl;
        let store = &self.inner.store;
        // Claiming the global lease over a holder whose lease expired (a runner killed mid-cycle)
        // also takes over that holder's cycle write leases (the store releases them), so the
        // election whose write was in flight is synced now rather than once its write lease
        // lapses. Safe: a live cycle takes a write lease only while its global lease is its own
        // (checked after taking it) and bounds each write to half the TTL, which its global
        // lease still had at the start; a manual sync's write leases have another holder and are
        // never taken over.
        match store
            .claim_lease(&LeaseKey::Global, holder, ttl, now)
            .await?
        {
            Some(claim) => {
                if let Some(dead) = &claim.taken_from {
                    let released: Vec<String> = claim.released.iter().map(LeaseKey::name).collect();
                    tracing::info!(
                        previous_holder = %dead,
                        released = ?released,
                        "took over the expired sync lease and the previous holder's write leases"
                    );
                }
                Ok(())
            }
            None => {
                let holder = store
                    .get_lease(&LeaseKey::Global)
                    .await?
                    .map(|l| l.holder)
                    .unwrap_or_default();
                Err(DriverError::LeaseHeld { holder })
            }
        }
    }

    pub(crate) async fn release_global_lease(&self) {
        let holder = &self.inner.config.holder;
        if let Err(e) = self
            .inner
            .store
            .release_lease(&LeaseKey::Global, holder)
            .await
        {
            tracing::warn!(error = %e, "could not release the sync lease; it expires on its own");
        }
    }

    /// Renews the global lease once half its TTL has passed since the last renewal (by the
    /// keeper's clock). `Ok` is the time read; `Err` says why the lease is lost: the cycle must
    /// stop writing.
    ///
    /// Also `Err` once Notion's rate limit stopped the cycle (see [`SyncDriver::note_rate_limit`]),
    /// so every "stop here" path of the cycle makes no further request.
    pub(crate) async fn keep_lease(&self, lease: &mut LeaseKeeper) -> Result<Timestamp, String> {
        if let Some(until) = lease.rate_limited_until {
            return Err(format!("rate limited by Notion until {until}"));
        }
        if !lease.active {
            return Ok(lease.cycle_now);
        }
        let ttl = self.inner.config.lease_ttl;
        let mut now = lease.now();
        if let Some(checked) = lease.renewal_check(ttl, now) {
            return checked;
        }
        let global = Arc::clone(&lease.global);
        let _renewing = match global.renewing.try_lock() {
            Ok(flight) => flight,
            Err(_) => {
                // Another connection's keeper is renewing: wait for it, then check again.
                let flight = global.renewing.lock().await;
                now = lease.now();
                if let Some(checked) = lease.renewal_check(ttl, now) {
                    return checked;
                }
                flight
            }
        };
        let holder = &self.inner.config.holder;
        let renewed = self
            .inner
            .store
            .renew_lease(&LeaseKey::Global, holder, ttl, now)
            .await;
        let mut state = lease.global_state();
        match renewed {
            Ok(_) => {
                state.renewed_at = now;
                Ok(now)
            }
            Err(e) => {
                let lost = format!("the sync lease was lost ({e})");
                tracing::warn!(%lost, "stopping the cycle");
                state.lost = Some(lost.clone());
                Err(lost)
            }
        }
    }

    /// Runs `work` (Notion calls of the cycle) while keeping the lease alive: whenever a renewal
    /// falls due before `work` is done, the lease is renewed meanwhile. A request may spend
    /// several `Retry-After`s, backoffs and timeouts in its retries, together longer than the
    /// TTL; checking only between requests, a lone runner then found its own lease expired.
    pub(crate) async fn leased<F: Future>(&self, lease: &mut LeaseKeeper, work: F) -> F::Output {
        let ttl = self.inner.config.lease_ttl;
        let mut work = std::pin::pin!(work);
        loop {
            if !lease.active || lease.lost().is_some() || lease.rate_limited_until.is_some() {
                return work.await;
            }
            let due = lease.renewal_due(ttl);
            tokio::select! {
                biased;
                out = &mut work => return out,
                () = due => {
                    // A failure is kept in the keeper: the cycle stops at its next check.
                    let _ = self.keep_lease(lease).await;
                }
            }
        }
    }

    /// Notes a Notion failure of the cycle. A rate limit that reaches the cycle means the client
    /// already waited out every penalty it accepts (`max_retry_wait`, `max_attempts`); when
    /// Notion's penalty is still running (the pacer's block, which holds every request of the
    /// process), waiting longer is more than a cycle can afford: the cycle stops making requests
    /// and records until when (see [`rate_limited_message`]). Returns that instant.
    pub(crate) fn note_rate_limit(
        &self,
        lease: &mut LeaseKeeper,
        error: &NotionError,
    ) -> Option<Timestamp> {
        if !matches!(error.kind(), ErrorKind::RateLimited { .. }) {
            return lease.rate_limited_until;
        }
        let pending = self.notion().pacer().blocked_for();
        if pending.is_zero() {
            return lease.rate_limited_until;
        }
        let until = penalty_end(lease.now(), pending);
        let until = lease.rate_limited_until.map_or(until, |t| t.max(until));
        if lease.rate_limited_until.is_none() {
            tracing::warn!(%until, "Notion rate limit: stopping the cycle");
        }
        lease.rate_limited_until = Some(until);
        Some(until)
    }

    /// Takes `election`'s write lease for a page write planned from the state it was loaded
    /// with. `Ok(Some(reason))`: not taken (or given back), the write must be skipped.
    ///
    /// [`Writer::Cycle`]: taken as the cycle's holder and only while the global lease is still this
    /// driver's (a manual sync takes it as the driver's holder).
    pub(crate) async fn take_write_lease(
        &self,
        election: &LinkedElection,
        lease_now: Timestamp,
        writer: Writer,
    ) -> store::Result<Option<&'static str>> {
        let driver_holder = &self.inner.config.holder;
        let holder = self.write_lease_holder(writer);
        let ttl = self.inner.config.lease_ttl;
        let key = LeaseKey::Link(election.link_id.clone());
        let store = &self.inner.store;
        let planned_with = (election.state.last_attempt_at, &election.link);
        // Take the write lease, then make sure nobody synced the election since it was
        // loaded (a manual sync that just finished): its plan would be stale.
        if store
            .claim_lease(&key, &holder, ttl, lease_now)
            .await?
            .is_none()
        {
            return Ok(Some("another process is syncing this election right now"));
        }
        // Checked after taking the write lease: a runner that took the global
        // lease over from us has already released our write leases, or does
        // so after this check and then finds this one live (and skips).
        if writer == Writer::Cycle {
            let global_ours = store
                .get_lease(&LeaseKey::Global)
                .await?
                .is_some_and(|l| l.holder == *driver_holder && l.expires_at > lease_now);
            if !global_ours {
                store.release_lease(&key, &holder).await?;
                return Ok(Some(
                    "the sync lease was lost; the runner holding it syncs this election",
                ));
            }
        }
        let current = store.get_link(&election.link_id).await?;
        if (current.state.last_attempt_at, &current.link) != planned_with {
            store.release_lease(&key, &holder).await?;
            return Ok(Some(
                "the election was synced meanwhile; it is planned again next cycle",
            ));
        }
        Ok(None)
    }

    /// The holder of the election write leases: the cycle's, or the manual sync's.
    fn write_lease_holder(&self, writer: Writer) -> String {
        match writer {
            Writer::Cycle => cycle_lease_holder(&self.inner.config.holder),
            Writer::Manual => self.inner.config.holder.clone(),
        }
    }

    pub(crate) async fn release_link_leases(&self, links: Vec<LinkId>, writer: Writer) {
        if links.is_empty() {
            return;
        }
        let holder = self.write_lease_holder(writer);
        let store = &self.inner.store;
        let released: store::Result<()> = async {
            for id in links {
                store.release_lease(&LeaseKey::Link(id), &holder).await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release link write leases; they expire on their own");
        }
    }
}
