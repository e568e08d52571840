//! Turns flags and environment into a store, a Notion client and a driver, or a
//! [`RunnerError::Config`] naming the variable to fix.

use std::sync::Arc;
use std::time::Duration;

use bin_support::{ConfigError, StoreArgs, parse_duration};
use jiff::SignedDuration;
use notion_client::NotionClient;
use store::Store;
use sync_driver::{DriverConfig, SyncDriver};

use crate::cli::SyncArgs;
use crate::error::{Result, RunnerError};

/// The `User-Agent` of the runner's Notion requests.
const USER_AGENT: &str = concat!(
    "election-notion-sync/sync-runner ",
    env!("CARGO_PKG_VERSION")
);

/// A shared setting that cannot be used is a configuration error (exit 3) naming its variable.
impl From<ConfigError> for RunnerError {
    fn from(error: ConfigError) -> Self {
        Self::config(error.variable, error.message)
    }
}

/// Opens (creating the file and its folder) the store named by `DATABASE_URL`.
pub(crate) fn open_store(args: &StoreArgs) -> Result<Arc<Store>> {
    let path = args.database_path()?;
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| {
            RunnerError::config(
                "DATABASE_URL",
                format!("cannot create the folder {}: {e}", folder.display()),
            )
        })?;
    }
    let store = Store::open(&path).map_err(|e| {
        RunnerError::config(
            "DATABASE_URL",
            format!(
                "cannot open the SQLite store {}: {}",
                path.display(),
                error_chain(&e)
            ),
        )
    })?;
    Ok(Arc::new(store))
}

/// A duration setting, or an error naming its variable.
pub(crate) fn duration(variable: &'static str, text: &str) -> Result<Duration> {
    parse_duration(text).map_err(|e| RunnerError::config(variable, e.to_string()))
}

fn signed(variable: &'static str, text: &str) -> Result<SignedDuration> {
    let d = duration(variable, text)?;
    SignedDuration::try_from(d)
        .map_err(|_| RunnerError::config(variable, format!("{text:?} is too large")))
}

/// Everything a syncing command needs.
pub(crate) struct SyncSetup {
    pub(crate) driver: SyncDriver,
    pub(crate) notion: NotionClient,
}

/// Validates every setting of a syncing command before touching the store or Notion.
pub(crate) fn sync_setup(store_args: &StoreArgs, args: &SyncArgs) -> Result<SyncSetup> {
    let settings = args.notion.settings()?;
    let notion = settings.client(USER_AGENT)?;
    let store_settings = store_args.settings()?;
    let mut config = DriverConfig::new(store_settings.base_url, settings.allowlist);
    config.min_interval = signed("MIN_SYNC_INTERVAL", &args.min_sync_interval)?;
    config.reconcile_every = signed("SYNC_RECONCILE_EVERY", &args.reconcile_every)?;
    config.lease_ttl = signed("SYNC_LEASE_TTL", &args.lease_ttl)?;
    config.holder = holder();
    let store = open_store(store_args)?;
    let driver = SyncDriver::new(store, notion.clone(), config);
    Ok(SyncSetup { driver, notion })
}

/// This process's lease holder id: `sync-runner:<host>:<pid>`, readable in `status` and `runs`.
fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("sync-runner:{host}:{}", std::process::id())
}

/// `error: cause: cause` on one line.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
