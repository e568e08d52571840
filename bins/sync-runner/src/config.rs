//! Turns flags and environment into a store, a Notion client and a driver, or a
//! [`RunnerError::Config`] naming the variable to fix.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bin_support::{StoreArgs, parse_duration};
use jiff::SignedDuration;
use notion_client::{NotionClient, NotionVersion};
use store::Store;
use sync_driver::{Allowlist, DriverConfig, SyncDriver};

use crate::cli::SyncArgs;
use crate::error::{Result, RunnerError};

/// Opens (creating the file and its folder) the store named by `DATABASE_URL`.
pub(crate) fn open_store(args: &StoreArgs) -> Result<Arc<Store>> {
    let path = args.sqlite_path();
    if path.is_empty() {
        return Err(RunnerError::config(
            "DATABASE_URL",
            "is empty: give `sqlite:PATH` or a file path, e.g. sqlite:data/elections.db",
        ));
    }
    if path == ":memory:" {
        return Err(RunnerError::config(
            "DATABASE_URL",
            "an in-memory store would be lost when the command ends: give a file path",
        ));
    }
    if let Some(folder) = Path::new(path)
        .parent()
        .filter(|f| !f.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder).map_err(|e| {
            RunnerError::config(
                "DATABASE_URL",
                format!("cannot create the folder {}: {e}", folder.display()),
            )
        })?;
    }
    let store = Store::open(path).map_err(|e| {
        RunnerError::config(
            "DATABASE_URL",
            format!("cannot open the SQLite store {path}: {}", error_chain(&e)),
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

/// The Notion client of the process: one pacer for every request (`NOTION_MAX_RPS`).
pub(crate) fn notion_client(args: &SyncArgs) -> Result<NotionClient> {
    let notion = &args.notion;
    let token = notion.api_key().ok_or_else(|| {
        RunnerError::config(
            "NOTION_API_KEY",
            "is not set: give the integration's secret (ntn_…) with NOTION_API_KEY or --notion-api-key",
        )
    })?;
    let version: NotionVersion =
        notion
            .version
            .trim()
            .parse()
            .map_err(|e: notion_client::UnsupportedVersion| {
                RunnerError::config("NOTION_VERSION", e.to_string())
            })?;
    let base = notion.api_base.trim().trim_end_matches('/');
    let well_formed = (base.starts_with("http://") || base.starts_with("https://"))
        && base
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if !well_formed {
        return Err(RunnerError::config(
            "NOTION_API_BASE",
            format!(
                "{:?} is not an http(s) URL (default https://api.notion.com)",
                notion.api_base
            ),
        ));
    }
    let rate = notion.max_requests_per_second;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(RunnerError::config(
            "NOTION_MAX_RPS",
            format!(
                "must be a number of requests per second above 0 (Notion allows about 3), got {rate}"
            ),
        ));
    }
    NotionClient::builder()
        .token(token)
        .base_url(base)
        .notion_version(version)
        .max_requests_per_second(rate)
        .user_agent(concat!(
            "election-notion-sync/sync-runner ",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(|e| {
            RunnerError::config(
                "NOTION_API_BASE",
                format!("cannot build the Notion client: {e}"),
            )
        })
}

/// The allowlist, which may be empty (then every linked database is synced).
pub(crate) fn allowlist(args: &SyncArgs) -> Result<Allowlist> {
    Allowlist::parse(&args.notion.database_allowlist)
        .map_err(|e| RunnerError::config("NOTION_DATABASE_ALLOWLIST", e.to_string()))
}

/// Everything a syncing command needs.
pub(crate) struct SyncSetup {
    pub(crate) driver: SyncDriver,
    pub(crate) notion: NotionClient,
}

/// Validates every setting of a syncing command before touching the store or Notion.
pub(crate) fn sync_setup(store_args: &StoreArgs, args: &SyncArgs) -> Result<SyncSetup> {
    let notion = notion_client(args)?;
    let allowlist = allowlist(args)?;
    let base_url = store_args.base_url.trim();
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(RunnerError::config(
            "BASE_URL",
            format!(
                "{base_url:?} is not an http(s) URL: results links are {{BASE_URL}}/e/{{election_id}}/results"
            ),
        ));
    }
    let mut config = DriverConfig::new(base_url, allowlist);
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
