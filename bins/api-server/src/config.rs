//! Command line and environment: every setting is a flag with an environment fallback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bin_support::{
    DEFAULT_DATABASE_URL, LogArgs, LogFormat, NotionArgs, StoreArgs, parse_duration,
};
use clap::Parser;
use notion_client::NotionVersion;
use secrecy::SecretString;

use sync_driver::{Allowlist, AllowlistError};

/// Where the demo keeps its store when `DATABASE_URL` is left at its default.
pub const DEMO_DATABASE_PATH: &str = "data/demo.db";

const EXAMPLES: &str = "\
Examples:
  # Everything on embedded defaults (SQLite under ./data/, the built-in Notion emulator, the sync loop):
  api-server --demo

  # Against Notion:
  ADMIN_TOKEN=… NOTION_API_KEY=ntn_… \\
  NOTION_DATABASE_ALLOWLIST='1a2b3c4d5e6f47809a0b1c2d3e4f5a6b:Elections' api-server --listen 0.0.0.0:8080";

/// The admin JSON API of election-notion-sync.
///
/// Serves the admin API (elections, Notion links, manual sync, sync history), health, readiness,
/// Prometheus metrics, the OpenAPI document (/openapi.json) and API docs (/docs/). With --demo, or
/// without NOTION_API_KEY, runs everything in one process on embedded defaults: the built-in Notion
/// emulator with a demo workspace, SQLite under ./data/ and the sync loop.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "api-server",
    version,
    about,
    long_about,
    after_help = EXAMPLES,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version. (bin-support's `NotionArgs::version` takes clap's `version` id, so the
    /// flag is declared here under another id.)
    #[arg(short = 'V', long = "version", id = "print_version", action = clap::ArgAction::Version)]
    pub print_version: Option<bool>,

    /// How to reach Notion.
    #[command(flatten)]
    pub notion: NotionArgs,

    /// Where the store lives and the public base URL.
    #[command(flatten)]
    pub store: StoreArgs,

    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,

    /// Address to listen on; port 0 picks a free port (the real one is logged as
    /// `Listening at http://ADDR`).
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Bearer token every /admin request must carry. Required unless in demo mode, where a random
    /// one is generated and printed once. Never logged.
    #[arg(long = "admin-token", env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Run on embedded defaults: the built-in Notion emulator with its demo workspace, the store in
    /// data/demo.db, the sync loop and sample elections. Also implied when NOTION_API_KEY is unset.
    #[arg(long, env = "API_SERVER_DEMO")]
    pub demo: bool,

    /// Run the sync loop inside the api-server too (always on in demo mode). Normally the separate
    /// sync-runner process runs it.
    #[arg(long = "embedded-sync", env = "EMBEDDED_SYNC")]
    pub embedded_sync: bool,

    /// How often the embedded sync loop polls (it also wakes at each open_at and close_at).
    #[arg(long = "sync-interval", env = "SYNC_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub sync_interval: Duration,

    /// Minimum time between two scheduled syncs of one election (phase changes are never held back).
    #[arg(long = "min-sync-interval", env = "MIN_SYNC_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub min_sync_interval: Duration,

    /// HTTP worker threads (default: one per CPU).
    #[arg(long, env = "API_WORKERS")]
    pub workers: Option<usize>,
}

/// Where Notion is.
#[derive(Debug, Clone)]
pub enum NotionTarget {
    /// The real Notion (or any Notion-compatible base URL).
    Remote {
        /// The integration token.
        api_key: SecretString,
        /// Base URL of the API.
        api_base: String,
    },
    /// The built-in emulator, started in-process with its demo workspace.
    Emulator,
}

/// Validated settings of one server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The admin token; `None` only in demo mode (one is generated).
    pub admin_token: Option<SecretString>,
    /// Demo mode: emulator, sample elections, embedded sync.
    pub demo: bool,
    /// Where Notion is.
    pub notion: NotionTarget,
    /// `Notion-Version` to send.
    pub notion_version: NotionVersion,
    /// Notion requests per second for the whole process.
    pub max_requests_per_second: f64,
    /// Databases that may be searched and linked.
    pub allowlist: Allowlist,
    /// The SQLite file.
    pub database_path: PathBuf,
    /// Public base URL of the voting app (results links).
    pub base_url: String,
    /// Run the sync loop in this process.
    pub embedded_sync: bool,
    /// Poll interval of the embedded sync loop.
    pub sync_interval: Duration,
    /// Minimum interval between scheduled syncs of one election.
    pub min_sync_interval: Duration,
    /// HTTP worker threads.
    pub workers: Option<usize>,
    /// Log format.
    pub log_format: LogFormat,
}

/// A setting that is missing or malformed; the message names the variable and its flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `ADMIN_TOKEN` is required outside demo mode.
    #[error(
        "ADMIN_TOKEN (--admin-token) is not set: the admin API needs a bearer token. Set ADMIN_TOKEN to a long random secret (e.g. `openssl rand -hex 32`), or run with --demo"
    )]
    MissingAdminToken,
    /// `ADMIN_TOKEN` is too short to be a secret.
    #[error("ADMIN_TOKEN (--admin-token) is too short: use at least 16 characters")]
    WeakAdminToken,
    /// `NOTION_DATABASE_ALLOWLIST` is malformed.
    #[error("NOTION_DATABASE_ALLOWLIST (--notion-database-allowlist) is malformed: {0}")]
    Allowlist(#[from] AllowlistError),
    /// A variable has a value that cannot be used.
    #[error("{variable} ({flag}) is invalid: {message}")]
    Invalid {
        /// The environment variable.
        variable: &'static str,
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The allowlist the demo uses when none is configured: the demo workspace's shared databases.
pub fn demo_allowlist() -> Allowlist {
    use notion_emulator::demo;
    Allowlist::parse(&format!(
        "{}:Elections,{}:Legacy Elections",
        demo::ELECTIONS_DB,
        demo::LEGACY_DB
    ))
    .unwrap_or_default()
}

impl Cli {
    /// Validates the arguments into [`Settings`].
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let listen: SocketAddr =
            self.listen
                .trim()
                .parse()
                .map_err(|error| ConfigError::Invalid {
                    variable: "LISTEN_ADDR",
                    flag: "--listen",
                    message: format!(
                        "{:?} is not an address such as 127.0.0.1:8080 ({error})",
                        self.listen
                    ),
                })?;
        let api_key = self.notion.api_key();
        let demo = self.demo || api_key.is_none();
        let admin_token = match self.admin_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => {
                if token.len() < 16 {
                    return Err(ConfigError::WeakAdminToken);
                }
                Some(SecretString::from(token.to_owned()))
            }
            _ if demo => None,
            _ => return Err(ConfigError::MissingAdminToken),
        };
        let notion_version = self
            .notion
            .version
            .parse::<NotionVersion>()
            .map_err(|error| ConfigError::Invalid {
                variable: "NOTION_VERSION",
                flag: "--notion-version",
                message: error.to_string(),
            })?;
        let rate = self.notion.max_requests_per_second;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ConfigError::Invalid {
                variable: "NOTION_MAX_RPS",
                flag: "--max-rps",
                message: format!("{rate} is not a positive number of requests per second"),
            });
        }
        let mut allowlist = Allowlist::parse(&self.notion.database_allowlist)?;
        if demo && allowlist.is_empty() {
            allowlist = demo_allowlist();
        }
        let base_url = self.store.base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                variable: "BASE_URL",
                flag: "--base-url",
                message: format!("{base_url:?} must start with http:// or https://"),
            });
        }
        let database_path = if demo && self.store.database_url.trim() == DEFAULT_DATABASE_URL {
            PathBuf::from(DEMO_DATABASE_PATH)
        } else {
            PathBuf::from(self.store.sqlite_path())
        };
        if database_path.as_os_str().is_empty() {
            return Err(ConfigError::Invalid {
                variable: "DATABASE_URL",
                flag: "--database-url",
                message: "it names no file: use sqlite:PATH or a plain path".into(),
            });
        }
        let notion = match (demo, api_key) {
            (false, Some(api_key)) => NotionTarget::Remote {
                api_key,
                api_base: self.notion.api_base.trim().trim_end_matches('/').to_owned(),
            },
            _ => NotionTarget::Emulator,
        };
        if self.workers == Some(0) {
            return Err(ConfigError::Invalid {
                variable: "API_WORKERS",
                flag: "--workers",
                message: "must be at least 1".into(),
            });
        }
        Ok(Settings {
            listen,
            admin_token,
            demo,
            notion,
            notion_version,
            max_requests_per_second: rate,
            allowlist,
            database_path,
            base_url,
            embedded_sync: self.embedded_sync || demo,
            sync_interval: self.sync_interval,
            min_sync_interval: self.min_sync_interval,
            workers: self.workers,
            log_format: self.log.log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("api-server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn without_a_notion_key_it_runs_the_demo_on_embedded_defaults() {
        let settings = parse(&["--notion-api-key", " "]).settings().unwrap();
        assert!(settings.demo && settings.embedded_sync);
        assert!(settings.admin_token.is_none());
        assert!(matches!(settings.notion, NotionTarget::Emulator));
        assert_eq!(settings.database_path, PathBuf::from(DEMO_DATABASE_PATH));
        assert_eq!(settings.allowlist.entries().len(), 2);
    }

    #[test]
    fn with_a_notion_key_the_admin_token_is_required() {
        let error = parse(&["--notion-api-key", "ntn_x"])
            .settings()
            .unwrap_err();
        assert!(error.to_string().contains("ADMIN_TOKEN"), "{error}");
        let error = parse(&["--notion-api-key", "ntn_x", "--admin-token", "short"])
            .settings()
            .unwrap_err();
        assert!(error.to_string().contains("ADMIN_TOKEN"), "{error}");
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let base = [
            "--notion-api-key",
            "ntn_x",
            "--admin-token",
            "0123456789abcdef",
        ];
        for (extra, variable) in [
            (
                ["--notion-database-allowlist", "oops"],
                "NOTION_DATABASE_ALLOWLIST",
            ),
            (["--listen", "localhost"], "LISTEN_ADDR"),
            (["--notion-version", "2020-01-01"], "NOTION_VERSION"),
            (["--max-rps", "0"], "NOTION_MAX_RPS"),
            (["--base-url", "vote.example"], "BASE_URL"),
        ] {
            let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
            let error = parse(&args).settings().unwrap_err().to_string();
            assert!(error.contains(variable), "{variable}: {error}");
        }
    }

    #[test]
    fn help_never_shows_secret_values() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("[env: ADMIN_TOKEN]"), "{help}");
        assert!(help.contains("[env: NOTION_API_KEY]"), "{help}");
    }
}
