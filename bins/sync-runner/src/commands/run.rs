//! `run`: the daemon.

use std::sync::Arc;

use sync_driver::{DaemonOptions, SystemClock};

use crate::cli::RunArgs;
use crate::commands::once::driver_error;
use crate::config::{duration, sync_setup};
use crate::error::{Result, RunnerError};
use crate::exit_codes;

/// Runs cycles until SIGINT or SIGTERM, then returns 0 once the cycle in flight is recorded.
pub(crate) async fn run(args: RunArgs) -> Result<u8> {
    let interval = duration("SYNC_INTERVAL", &args.interval)?;
    let reconcile_every = duration("SYNC_RECONCILE_EVERY", &args.sync.reconcile_every)?;
    let setup = sync_setup(&args.common.store, &args.sync)?;
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
    setup
        .driver
        .run_daemon(Arc::new(SystemClock), shutdown, options)
        .await
        .map_err(driver_error)?;
    let stats = setup.notion.stats();
    tracing::info!(
        notion_requests = stats.requests,
        retries = stats.retries,
        "sync-runner stopped"
    );
    Ok(exit_codes::OK)
}
