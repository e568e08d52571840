//! `run`: the daemon.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use store::{Lease, LeaseKey, SharedStore};
use sync_driver::{DaemonOptions, SystemClock};
use tokio_util::sync::CancellationToken;

use crate::cli::RunArgs;
use crate::commands::once::driver_error;
use crate::config::{
    SYNC_INTERVAL, SYNC_POLL_INTERVAL_WITH_WEBHOOKS, SYNC_RECONCILE_EVERY, WEBHOOK_HEALTHY_WINDOW,
    duration, signed, sync_setup_with,
};
use crate::error::{Result, RunnerError};
use crate::exit_codes;

/// Runs cycles until SIGINT or SIGTERM, then returns 0 once the cycle in flight is recorded.
pub(crate) async fn run(args: RunArgs) -> Result<u8> {
    let interval = duration(SYNC_INTERVAL, &args.interval)?;
    let reconcile_every = duration(SYNC_RECONCILE_EVERY, &args.sync.reconcile_every)?;
    let with_webhooks = duration(
        SYNC_POLL_INTERVAL_WITH_WEBHOOKS,
        &args.poll_interval_with_webhooks,
    )?;
    let healthy_window = signed(WEBHOOK_HEALTHY_WINDOW, &args.webhook_healthy_window)?;
    let setup = sync_setup_with(&args.common.store, &args.sync, |config| {
        config.poll_interval_with_webhooks = with_webhooks;
        config.webhook_healthy_window = healthy_window;
    })
    .await?;
    // Fail fast on a bad token instead of logging one failure per cycle forever.
    if let Err(error) = setup.notion.me().await {
        match error.kind() {
            notion_client::ErrorKind::Unauthorized | notion_client::ErrorKind::Restricted => {
                return Err(RunnerError::NotionAuth(error.to_string()));
            }
            _ => {
                tracing::warn!(%error, "could not reach Notion at start; the daemon retries each cycle")
            }
        }
    }
    let shutdown = bin_support::shutdown_token();
    tracing::info!(
        interval = ?interval,
        reconcile_every = ?reconcile_every,
        holder = %setup.driver.config().holder,
        store = %args.common.store.sqlite_path(),
        "sync-runner started"
    );
    let options = DaemonOptions {
        interval,
        reconcile_every: jiff::SignedDuration::try_from(reconcile_every).ok(),
    };
    let standby = tokio::spawn(watch_lease(
        Arc::clone(setup.driver.store()),
        setup.driver.config().holder.clone(),
        shutdown.clone(),
    ));
    let outcome = setup
        .driver
        .run_daemon(Arc::new(SystemClock), shutdown.clone(), options)
        .await;
    shutdown.cancel();
    let _ = standby.await;
    outcome.map_err(driver_error)?;
    let stats = setup.notion.stats();
    tracing::info!(
        notion_requests = stats.requests,
        retries = stats.retries,
        "sync-runner stopped"
    );
    Ok(exit_codes::OK)
}

/// How often the daemon looks at who holds the sync lease (one indexed read of the store).
const LEASE_WATCH_EVERY: Duration = Duration::from_secs(1);

/// Whether this runner syncs or stands by, as last logged.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    /// Nothing logged yet.
    Unknown,
    /// This runner holds the lease.
    Syncing,
    /// Another runner holds it.
    StandingBy { holder: String },
    /// Nobody holds a live lease (between two runners, or before the first cycle).
    Free,
}

/// What to log when the lease is seen as `lease` at `now` after `role`; the new role.
fn next_role(
    role: &Role,
    lease: Option<&Lease>,
    ours: &str,
    now: Timestamp,
) -> (Role, Option<String>) {
    let live = lease.filter(|l| l.expires_at > now);
    match live {
        Some(l) if l.holder == ours => {
            let message = match role {
                Role::StandingBy { holder } => Some(format!(
                    "took over the sync lease from {holder}; this runner syncs now"
                )),
                _ => None,
            };
            (Role::Syncing, message)
        }
        Some(l) => {
            let message = match role {
                Role::StandingBy { holder } if *holder == l.holder => None,
                _ => Some(format!(
                    "another runner ({}) is syncing; standing by until its lease expires at {} (it renews it while it runs)",
                    l.holder,
                    l.expires_at
                        .round(jiff::Unit::Second)
                        .unwrap_or(l.expires_at)
                )),
            };
            (
                Role::StandingBy {
                    holder: l.holder.clone(),
                },
                message,
            )
        }
        // Keep the last role logged: a lease between two cycles of its holder, or released
        // just before we take it, is not worth a line.
        None if *role == Role::Unknown => (Role::Free, None),
        None => (role.clone(), None),
    }
}

/// Logs once at info when another runner holds the sync lease (this one stands by) and once when
/// this one takes it over, rather than a debug line per poll. Ends with `shutdown`.
async fn watch_lease(store: SharedStore, ours: String, shutdown: CancellationToken) {
    let mut role = Role::Unknown;
    let mut ticks = tokio::time::interval(LEASE_WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let lease = match store.get_lease(&LeaseKey::Global).await {
            Ok(lease) => lease,
            // Ending with the runtime, the store answers `ShuttingDown`: nothing more to watch.
            Err(store::StoreError::ShuttingDown) => return,
            Err(error) => {
                tracing::debug!(%error, "could not read the sync lease");
                continue;
            }
        };
        let (next, message) = next_role(&role, lease.as_ref(), &ours, Timestamp::now());
        if let Some(message) = message {
            match &next {
                Role::StandingBy { holder } => tracing::info!(%holder, "{message}"),
                _ => tracing::info!("{message}"),
            }
        }
        role = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: &str, expires_at: Timestamp) -> Lease {
        Lease {
            name: LeaseKey::Global.name(),
            holder: holder.to_owned(),
            acquired_at: expires_at - jiff::SignedDuration::from_mins(5),
            expires_at,
        }
    }

    #[test]
    fn standing_by_and_taking_over_are_logged_once_each() {
        let now: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let later = now + jiff::SignedDuration::from_mins(5);
        let other = lease("sync-runner:a:1", later);
        let renewed = lease(
            "sync-runner:a:1",
            later + jiff::SignedDuration::from_mins(1),
        );
        let mine = lease("sync-runner:b:2", later);
        let expired = lease("sync-runner:a:1", now);

        let mut role = Role::Unknown;
        let mut logged = Vec::new();
        for seen in [
            Some(&other),
            Some(&other),
            Some(&renewed),
            None,
            Some(&expired),
            Some(&mine),
            Some(&mine),
            None,
            Some(&mine),
        ] {
            let (next, message) = next_role(&role, seen, "sync-runner:b:2", now);
            logged.extend(message);
            role = next;
        }
        assert_eq!(
            logged,
            [
                "another runner (sync-runner:a:1) is syncing; standing by until its lease expires at 2026-03-01T10:05:00Z (it renews it while it runs)",
                "took over the sync lease from sync-runner:a:1; this runner syncs now",
            ]
        );
        // A runner that starts alone logs neither.
        let (role, message) = next_role(&Role::Unknown, None, "me", now);
        assert_eq!(message, None);
        assert_eq!(
            next_role(&role, Some(&mine), "sync-runner:b:2", now).1,
            None
        );
    }
}
