//! Turns flags and environment into a store, a Notion client and a driver, or a
//! [`RunnerError::Config`] naming the variable to fix.

use std::time::Duration;

use bin_support::{ConfigError, DatabaseArgs, parse_duration};
use jiff::SignedDuration;
use notion_client::NotionClient;
use store::{OpenMode, SharedStore, open_store as open_location};
use sync_driver::{DriverConfig, SyncDriver};

use crate::cli::SyncArgs;
use crate::error::{Result, RunnerError};

/// The `User-Agent` of the runner's Notion requests.
const USER_AGENT: &str = concat!(
    "election-notion-sync/sync-runner ",
    env!("CARGO_PKG_VERSION")
);

/// A shared setting that cannot be used is a configuration error (exit 78) naming its variable.
impl From<ConfigError> for RunnerError {
    fn from(error: ConfigError) -> Self {
        Self::config(error.variable, error.message)
    }
}

/// Opens (creating the file and its folder) the store named by `DATABASE_URL`.
pub(crate) async fn open_store(args: &DatabaseArgs) -> Result<SharedStore> {
    let location = args.store_location()?;
    open_location(&location, OpenMode::CreateIfMissing)
        .await
        .map_err(|e| {
            RunnerError::config(
                "DATABASE_URL",
                format!("cannot open {location}: {}", error_chain(&e)),
            )
        })
}

/// A duration setting and the shortest value the sync works with (docs/CONFIGURATION.md).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DurationSetting {
    /// The environment variable, named in errors.
    pub(crate) variable: &'static str,
    /// The shortest accepted value.
    pub(crate) minimum: Duration,
    /// Why shorter cannot work, for the error.
    pub(crate) why: &'static str,
}

/// `SYNC_INTERVAL` (`run --interval`).
pub(crate) const SYNC_INTERVAL: DurationSetting = DurationSetting {
    variable: "SYNC_INTERVAL",
    minimum: Duration::from_secs(1),
    why: "a shorter poll only spins: the daemon wakes at each open/close instant on its own",
};

/// `SYNC_POLL_INTERVAL_WITH_WEBHOOKS` (`run --poll-interval-with-webhooks`).
pub(crate) const SYNC_POLL_INTERVAL_WITH_WEBHOOKS: DurationSetting = DurationSetting {
    variable: "SYNC_POLL_INTERVAL_WITH_WEBHOOKS",
    minimum: Duration::from_secs(1),
    why: "a shorter poll only spins",
};

/// `WEBHOOK_HEALTHY_WINDOW` (`run --webhook-healthy-window`).
pub(crate) const WEBHOOK_HEALTHY_WINDOW: DurationSetting = DurationSetting {
    variable: "WEBHOOK_HEALTHY_WINDOW",
    minimum: Duration::from_secs(1),
    why: "webhooks would never count as healthy",
};

/// `MIN_SYNC_INTERVAL`.
pub(crate) const MIN_SYNC_INTERVAL: DurationSetting = DurationSetting {
    variable: "MIN_SYNC_INTERVAL",
    minimum: Duration::from_secs(1),
    why: "shorter re-reads every election's page on every wake-up; a phase change is never held back by it",
};

/// `SYNC_RECONCILE_EVERY`.
pub(crate) const SYNC_RECONCILE_EVERY: DurationSetting = DurationSetting {
    variable: "SYNC_RECONCILE_EVERY",
    minimum: Duration::from_secs(60),
    why: "each reconcile reads every linked page of a database; the change query covers the time in between",
};

/// The longest `Retry-After` one of the runner's Notion requests waits out (the client's
/// default, pinned here because the lease minimum follows from it). A longer penalty ends the
/// cycle early ("rate limited until …") instead.
pub(crate) const NOTION_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// The per-attempt HTTP timeout of the runner's Notion requests (Notion itself gives up on a
/// request after 60 s).
pub(crate) const NOTION_REQUEST_TIMEOUT: Duration = Duration::from_secs(65);

/// `SYNC_LEASE_TTL`. A cycle renews the lease once half of it has passed (during a long Notion
/// call too) and bounds each page write to half of it. The longest single wait of one request is
/// a rate-limit block it waits out (up to [`NOTION_MAX_RETRY_WAIT`]) followed by one attempt (up
/// to [`NOTION_REQUEST_TIMEOUT`]); half the lease must cover it, or a write waiting out a
/// `Retry-After` is cut short every time and, at the old 10 s minimum, a lone runner lost its
/// own lease to its retries. Hence 2 × (60 s + 65 s) = 250 s.
pub(crate) const SYNC_LEASE_TTL: DurationSetting = DurationSetting {
    variable: "SYNC_LEASE_TTL",
    minimum: Duration::from_secs(
        2 * (NOTION_MAX_RETRY_WAIT.as_secs() + NOTION_REQUEST_TIMEOUT.as_secs()),
    ),
    why: "twice the longest single wait of a Notion request: a Retry-After the runner waits out (60s) plus one request timeout (65s); a cycle gives each page write half the lease, so a shorter lease cuts writes short under rate limits and can lapse while the runner waits",
};

/// A duration setting, or an error naming its variable: unreadable, or below its minimum.
pub(crate) fn duration(setting: DurationSetting, text: &str) -> Result<Duration> {
    let value =
        parse_duration(text).map_err(|e| RunnerError::config(setting.variable, e.to_string()))?;
    if value < setting.minimum {
        return Err(RunnerError::config(
            setting.variable,
            format!(
                "{text:?} is too short: it must be at least {} ({})",
                humantime(setting.minimum),
                setting.why
            ),
        ));
    }
    Ok(value)
}

/// `10s`, `1m`: a minimum as people write it.
fn humantime(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

pub(crate) fn signed(setting: DurationSetting, text: &str) -> Result<SignedDuration> {
    let d = duration(setting, text)?;
    SignedDuration::try_from(d)
        .map_err(|_| RunnerError::config(setting.variable, format!("{text:?} is too large")))
}

/// Everything a syncing command needs.
pub(crate) struct SyncSetup {
    pub(crate) driver: SyncDriver,
    pub(crate) notion: NotionClient,
}

/// Validates every setting of a syncing command before touching the store or Notion.
pub(crate) async fn sync_setup(store_args: &DatabaseArgs, args: &SyncArgs) -> Result<SyncSetup> {
    sync_setup_with(store_args, args, |_| {}).await
}

/// [`sync_setup`], with `adjust` applied to the driver's configuration (the daemon's own
/// settings) before the driver is built.
pub(crate) async fn sync_setup_with(
    store_args: &DatabaseArgs,
    args: &SyncArgs,
    adjust: impl FnOnce(&mut DriverConfig),
) -> Result<SyncSetup> {
    let settings = args.notion.settings()?;
    let notion = settings
        .client_builder(USER_AGENT)?
        .max_retry_wait(NOTION_MAX_RETRY_WAIT)
        .timeout(NOTION_REQUEST_TIMEOUT)
        .build()
        .map_err(|error| {
            ConfigError::new(
                "NOTION_API_BASE",
                "--notion-api-base",
                format!("cannot build the Notion client: {error}"),
            )
        })?;
    let base_url = args.public.base_url()?;
    // Tokens of OAuth connections are opened with the api-server's key: no key file of its own.
    let oauth = args.oauth.settings(&settings, &base_url, None)?;
    store_args.database_path()?;
    let mut config = DriverConfig::new(base_url, settings.allowlist);
    config.min_interval = signed(MIN_SYNC_INTERVAL, &args.min_sync_interval)?;
    config.reconcile_every = signed(SYNC_RECONCILE_EVERY, &args.reconcile_every)?;
    config.lease_ttl = signed(SYNC_LEASE_TTL, &args.lease_ttl)?;
    config.max_concurrent_connections = args.max_concurrent_connections;
    config.holder = holder();
    adjust(&mut config);
    let store = open_store(store_args).await?;
    let mut driver = SyncDriver::new(store, notion.clone(), config);
    if let Some(oauth) = oauth {
        driver = driver.with_oauth(oauth.driver);
    }
    Ok(SyncSetup { driver, notion })
}

/// Test-only, hidden: `HOST:PID` to use in the holder id instead of this process's, so a test can
/// start two runners that look like PID 1 on one host (two containers). Not a setting: never set
/// it in production.
pub(crate) const TEST_HOST_PID_VARIABLE: &str = "SYNC_RUNNER_TEST_HOST_PID";

/// This process's lease holder id, `sync-runner:<host>:<pid>:<start id>`, readable in `status`
/// and `runs`. Host and pid are for people; the random start id makes it unique per process
/// start, since two containers can both run PID 1 under one hostname and must never share a
/// lease.
fn holder() -> String {
    let host_pid = std::env::var(TEST_HOST_PID_VARIABLE)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| format!("{}:{}", hostname(), std::process::id()));
    holder_id(&host_pid, uuid::Uuid::new_v4())
}

/// `sync-runner:<host:pid>:<the first 8 hex digits of start>`.
fn holder_id(host_pid: &str, start: uuid::Uuid) -> String {
    let start = start.simple().to_string();
    format!("sync-runner:{host_pid}:{}", &start[..8])
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_keep_host_and_pid_and_differ_per_process_start() {
        let a = holder_id("box:1", uuid::Uuid::new_v4());
        let b = holder_id("box:1", uuid::Uuid::new_v4());
        assert!(a.starts_with("sync-runner:box:1:"), "{a}");
        assert_eq!(a.len(), "sync-runner:box:1:".len() + 8, "{a}");
        assert_ne!(a, b);
        let ours = holder();
        assert!(
            ours.contains(&format!(":{}:", std::process::id())),
            "{ours}"
        );
    }

    #[test]
    fn durations_below_their_minimum_are_configuration_errors_naming_the_variable() {
        for (setting, shortest, too_short) in [
            (SYNC_INTERVAL, "1s", "999ms"),
            (MIN_SYNC_INTERVAL, "1s", "1ms"),
            (SYNC_RECONCILE_EVERY, "1m", "59s"),
            (SYNC_LEASE_TTL, "250s", "249s"),
        ] {
            assert_eq!(duration(setting, shortest).unwrap(), setting.minimum);
            let error = duration(setting, too_short).unwrap_err();
            assert_eq!(error.exit_code(), crate::exit_codes::CONFIG_INVALID);
            let text = error.to_string();
            assert!(
                text.starts_with(&format!(
                    "{}: {too_short:?} is too short: it must be at least {shortest} (",
                    setting.variable
                )),
                "{text}"
            );
        }
        // The lease minimum names why: the waits it must outlast.
        let text = duration(SYNC_LEASE_TTL, "10s").unwrap_err().to_string();
        assert!(
            text.contains("at least 250s (twice the longest single wait"),
            "{text}"
        );
        assert!(
            text.contains("Retry-After") && text.contains("timeout"),
            "{text}"
        );
        assert_eq!(
            SYNC_LEASE_TTL.minimum,
            2 * (NOTION_MAX_RETRY_WAIT + NOTION_REQUEST_TIMEOUT)
        );
        // The defaults are fine.
        for (setting, default) in [
            (SYNC_INTERVAL, "60s"),
            (MIN_SYNC_INTERVAL, "60s"),
            (SYNC_RECONCILE_EVERY, "1h"),
            (SYNC_LEASE_TTL, "5m"),
        ] {
            assert!(duration(setting, default).is_ok(), "{}", setting.variable);
        }
    }
}
