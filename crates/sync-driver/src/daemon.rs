//! The daemon loop and its wake-up instants.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;

use store::PrunedRuns;

use crate::cycle::{CycleRun, LeaseAfter};
use crate::{Clock, CycleOptions, DaemonOptions, DriverError, PRUNE_EVERY, SyncDriver};

impl SyncDriver {
    /// The next instant strictly after `now` at which a linked, unpaused election needs a sync
    /// sooner than the poll interval would give it: its next `open_at`/`close_at`, or the end of
    /// its backoff after a failure. `None` when nothing is scheduled.
    pub async fn next_wakeup(&self, now: Timestamp) -> Result<Option<Timestamp>, DriverError> {
        // Two indexed lookups in the store, rather than loading every linked election.
        let store = &self.inner.store;
        let phase_change = store.next_phase_change_at(now).await?;
        let retry = store.next_retry_at(now).await?;
        Ok(phase_change.into_iter().chain(retry).min())
    }

    /// Deletes the runs (and their logs) older than the configured `run_retention` at `now`;
    /// nothing when it is `None`. The daemon calls it at start and then hourly.
    pub async fn prune_history(&self, now: Timestamp) -> Result<PrunedRuns, DriverError> {
        let Some(keep) = self.inner.config.run_retention else {
            return Ok(PrunedRuns::default());
        };
        Ok(self.inner.store.prune_runs(keep, now).await?)
    }

    /// Runs cycles until `shutdown` is cancelled: a cycle, then sleep until the next poll tick or
    /// the next wake-up ([`SyncDriver::next_wakeup`]), whichever is first. A cycle in flight
    /// finishes and is recorded before this returns; the global lease is kept between cycles (so
    /// a standby runner does not take over while this one lives) and released at shutdown.
    ///
    /// A cycle that fails (e.g. `LeaseHeld` while another runner is active, or a store error) is
    /// logged and retried at the next tick; the loop only ends on `shutdown`. A cycle that Notion's
    /// rate limit stopped early ([`CycleReport::rate_limited_until`](crate::CycleReport)) is
    /// followed by no cycle before the penalty's end: the daemon sleeps until then, even past
    /// its tick or a phase change (a request sent earlier would only be refused or prolong it). At start and then
    /// hourly it also prunes the run history ([`SyncDriver::prune_history`]).
    pub async fn run_daemon(
        &self,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
        options: DaemonOptions,
    ) -> Result<(), DriverError> {
        let interval = SignedDuration::try_from(options.interval)
            .ok()
            .filter(|d| d.is_positive())
            .unwrap_or(SignedDuration::from_secs(60));
        let reconcile_every = options
            .reconcile_every
            .unwrap_or(self.inner.config.reconcile_every);
        let with_webhooks = SignedDuration::try_from(self.inner.config.poll_interval_with_webhooks)
            .ok()
            .filter(|d| d.is_positive())
            .unwrap_or(interval);
        let check_every = SignedDuration::try_from(self.inner.config.webhook_check_every)
            .ok()
            .filter(|d| d.is_positive());
        let mut next_tick = clock.now();
        let mut next_prune = next_tick;
        while !shutdown.is_cancelled() {
            let now = clock.now();
            if now >= next_prune {
                next_prune = now.checked_add(PRUNE_EVERY).unwrap_or(Timestamp::MAX);
                match self.prune_history(now).await {
                    Ok(pruned) if pruned.runs > 0 => {
                        tracing::info!(
                            runs = pruned.runs,
                            logs = pruned.logs,
                            "pruned old sync runs"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "could not prune old sync runs"),
                }
            }
            let poll = now >= next_tick;
            if poll {
                // Healthy webhooks bring edits within seconds: the change queries are then only
                // the net for what Notion dropped, and run less often.
                let every = match self.webhooks_healthy(now).await {
                    Ok(true) => with_webhooks,
                    Ok(false) => interval,
                    Err(error) => {
                        tracing::warn!(%error, "could not tell whether webhooks are healthy");
                        interval
                    }
                };
                next_tick = now.checked_add(every).unwrap_or(Timestamp::MAX);
            }
            let options = if poll {
                CycleOptions::scheduled()
            } else {
                CycleOptions::wake_up()
            };
            let mut rate_limited_until = None;
            match self
                .cycle(
                    now,
                    &options,
                    CycleRun {
                        reconcile_every,
                        lease_after: LeaseAfter::Keep,
                        clock: Some(Arc::clone(&clock)),
                    },
                )
                .await
            {
                Ok(report) => {
                    if let Some(error) = &report.error {
                        tracing::warn!(%error, "sync cycle finished with errors");
                    }
                    rate_limited_until = report.rate_limited_until;
                }
                Err(DriverError::LeaseHeld { holder }) => {
                    tracing::debug!(%holder, "another runner holds the sync lease; standing by");
                }
                Err(error) => tracing::error!(%error, "sync cycle failed"),
            }
            let wake = match self.next_wakeup(now).await {
                Ok(Some(at)) => at.min(next_tick),
                Ok(None) => next_tick,
                Err(error) => {
                    tracing::error!(%error, "could not compute the next wake-up");
                    next_tick
                }
            };
            let wake = match rate_limited_until {
                Some(until) if until > wake => {
                    tracing::info!(next_cycle_at = %until, "Notion rate limit: the next cycle waits until the penalty ends");
                    until
                }
                _ => wake,
            };
            if !self
                .wait_processing_webhooks(
                    &clock,
                    &shutdown,
                    wake,
                    rate_limited_until,
                    check_every,
                    reconcile_every,
                )
                .await
            {
                break;
            }
        }
        self.release_global_lease().await;
        Ok(())
    }

    /// Waits until `wake` (`false` when `shutdown` came first), looking into the webhook inbox
    /// every `check_every` meanwhile and processing what waits there at once (not while a rate
    /// limit is waited out: its requests would only be refused).
    async fn wait_processing_webhooks(
        &self,
        clock: &Arc<dyn Clock>,
        shutdown: &CancellationToken,
        wake: Timestamp,
        rate_limited_until: Option<Timestamp>,
        check_every: Option<SignedDuration>,
        reconcile_every: SignedDuration,
    ) -> bool {
        let Some(every) = check_every.filter(|_| rate_limited_until.is_none()) else {
            return self
                .sleep_keeping_lease(clock.as_ref(), shutdown, wake, rate_limited_until)
                .await;
        };
        loop {
            let step = clock
                .now()
                .checked_add(every)
                .map_or(wake, |at| at.min(wake));
            if !self
                .sleep_keeping_lease(clock.as_ref(), shutdown, step, None)
                .await
            {
                return false;
            }
            let now = clock.now();
            if now >= wake {
                return true;
            }
            match self.daemon_webhook_pass(now, reconcile_every, clock).await {
                Ok(_) => {}
                Err(DriverError::LeaseHeld { holder }) => {
                    tracing::debug!(%holder, "another runner holds the sync lease; it processes the webhook events");
                }
                Err(error) => tracing::warn!(%error, "could not process webhook events"),
            }
        }
    }

    /// Sleeps until `wake`; `false` when `shutdown` came first. While waiting out a rate limit
    /// (`rate_limited_until`), which may last longer than the lease, the lease is renewed every
    /// half TTL: a standby runner taking over meanwhile would only spend its first request on
    /// the same penalty.
    async fn sleep_keeping_lease(
        &self,
        clock: &dyn Clock,
        shutdown: &CancellationToken,
        wake: Timestamp,
        rate_limited_until: Option<Timestamp>,
    ) -> bool {
        let renew_every = self.inner.config.lease_ttl / 2;
        loop {
            let now = clock.now();
            let step = match rate_limited_until {
                Some(_) if renew_every.is_positive() => {
                    now.checked_add(renew_every).map_or(wake, |at| at.min(wake))
                }
                _ => wake,
            };
            tokio::select! {
                () = shutdown.cancelled() => return false,
                () = clock.sleep_until(step) => {}
            }
            let now = clock.now();
            if now >= wake {
                return true;
            }
            if let Err(error) = self.take_global_lease(now).await {
                tracing::debug!(%error, "could not keep the sync lease while waiting out the rate limit");
            }
        }
    }
}
