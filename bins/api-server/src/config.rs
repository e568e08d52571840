//! Command line and environment: every setting is a flag with an environment fallback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use bin_support::ConfigError;
use bin_support::{
    DEFAULT_DATABASE_URL, DatabaseArgs, LogArgs, LogFormat, NotionArgs, NotionSettings, OAuthArgs,
    PublicUrlArgs, parse_duration,
};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches, Parser};
use secrecy::SecretString;

use sync_driver::Allowlist;

/// Where the demo keeps its store when `DATABASE_URL` is left at its default.
pub const DEMO_DATABASE_PATH: &str = "data/demo.db";

/// The `User-Agent` of the api-server's Notion requests.
pub const USER_AGENT: &str = concat!(
    "election-notion-sync/api-server ",
    env!("CARGO_PKG_VERSION")
);

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
/// Prometheus metrics, the OpenAPI document (/openapi.json) and API docs (/docs/). Needs
/// NOTION_API_KEY and ADMIN_TOKEN. With --demo it instead runs everything in one process on
/// embedded defaults: the built-in Notion emulator with a demo workspace, its own SQLite store
/// (data/demo.db, emptied and re-seeded at every start) and the sync loop.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "api-server",
    version,
    about,
    long_about,
    after_help = EXAMPLES
)]
pub struct Cli {
    /// How to reach Notion.
    #[command(flatten)]
    pub notion: NotionArgs,

    /// Where the store lives.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// OAuth connections ("Connect a Notion workspace"): the public integration and the key
    /// tokens are sealed with.
    #[command(flatten)]
    pub oauth: OAuthArgs,

    /// The public base URL the results links point at.
    #[command(flatten)]
    pub public: PublicUrl,

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
    /// data/demo.db, the sync loop and sample elections. The demo only runs on a store of its own,
    /// which it empties and re-seeds at every start; it refuses a store holding other data.
    #[arg(long, env = "API_SERVER_DEMO")]
    pub demo: bool,

    /// The demo's time unit: the sample election that opens one step after start closes four steps
    /// after start. Hidden: for tests, which cannot wait minutes.
    #[arg(long = "demo-step", default_value = "1m", value_parser = parse_demo_step, hide = true)]
    pub demo_step: Duration,

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

    /// The verification token of the internal integration's Notion webhook subscription, made
    /// active at start (for operators who already have one). Without it, confirm the token Notion
    /// POSTs to /webhooks/notion (GET /admin/notion/webhooks shows it). Never logged.
    #[arg(
        long = "webhook-verification-token",
        env = "NOTION_WEBHOOK_VERIFICATION_TOKEN",
        hide_env_values = true
    )]
    pub webhook_verification_token: Option<String>,
}

/// A [`parse_duration`] of at least a second: the demo's elections need an open and a close.
fn parse_demo_step(input: &str) -> Result<Duration, String> {
    let step = parse_duration(input).map_err(|error| error.to_string())?;
    if step < Duration::from_secs(1) {
        return Err(format!("{input:?} is too short: use at least 1s"));
    }
    Ok(step)
}

/// [`PublicUrlArgs`] (the same flag, variable, default and help), and whether `--base-url` or
/// `BASE_URL` was given: in demo mode, results links otherwise point at the demo itself.
#[derive(Debug, Clone)]
pub struct PublicUrl {
    /// `--base-url`.
    pub args: PublicUrlArgs,
    /// Whether the value came from the command line or the environment (not the default).
    pub given: bool,
}

impl PublicUrl {
    fn given(matches: &ArgMatches) -> bool {
        matches
            .value_source("base_url")
            .is_some_and(|source| source != ValueSource::DefaultValue)
    }
}

impl FromArgMatches for PublicUrl {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            given: Self::given(matches),
            args: PublicUrlArgs::from_arg_matches(matches)?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.given = self.given || Self::given(matches);
        self.args.update_from_arg_matches(matches)
    }
}

impl Args for PublicUrl {
    fn group_id() -> Option<clap::Id> {
        PublicUrlArgs::group_id()
    }

    fn augment_args(command: clap::Command) -> clap::Command {
        PublicUrlArgs::augment_args(command)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        PublicUrlArgs::augment_args_for_update(command)
    }
}

/// Validated settings of one server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The admin token; `None` only in demo mode (one is generated).
    pub admin_token: Option<SecretString>,
    /// Demo mode: the built-in emulator (instead of `notion.api_base`), sample elections,
    /// embedded sync.
    pub demo: bool,
    /// The demo's time unit (see [`crate::demo::seed`]).
    pub demo_step: Duration,
    /// Notion: token, base URL, version, rate, and the databases that may be searched and linked
    /// (the demo databases in demo mode when none are configured).
    pub notion: NotionSettings,
    /// The SQLite file.
    pub database_path: PathBuf,
    /// Public base URL of the voting app (results links).
    pub base_url: String,
    /// Whether `base_url` was configured (`--base-url`, `BASE_URL`). When not, demo mode points the
    /// results links at its own address, where it serves a placeholder results page.
    pub base_url_given: bool,
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
    /// The OAuth flags as given (checked by [`Cli::settings`]); [`crate::start`] turns them into
    /// the OAuth settings once it knows its address (the demo's redirect URI) and data folder (the
    /// demo's key file). In demo mode OAuth is on with the emulator's demo OAuth app when they
    /// are not given.
    pub oauth: OAuthArgs,
    /// `NOTION_WEBHOOK_VERIFICATION_TOKEN`: the internal connection's active webhook token.
    pub webhook_verification_token: Option<SecretString>,
}

/// The file the demo keeps its token key in, beside its store, when `TOKEN_ENCRYPTION_KEY` is
/// unset.
pub const DEMO_KEY_FILE: &str = "token.key";

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
        let listen: SocketAddr = self.listen.trim().parse().map_err(|error| {
            ConfigError::new(
                "LISTEN_ADDR",
                "--listen",
                format!(
                    "{:?} is not an address such as 127.0.0.1:8080 ({error})",
                    self.listen
                ),
            )
        })?;
        let mut notion = self.notion.settings()?;
        let sqlite_path = self.database.database_path()?;
        let base_url = self.public.args.base_url()?;
        let demo = self.demo;
        if !demo && notion.api_key.is_none() {
            return Err(ConfigError::new(
                "NOTION_API_KEY",
                "--notion-api-key",
                "is not set: the api-server needs the Notion integration's token (see docs/NOTION-SETUP.md). Set NOTION_API_KEY, or pass --demo (API_SERVER_DEMO=true) to run the offline demo on its own store",
            ));
        }
        let admin_token = match self.admin_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => {
                if token.len() < 16 {
                    return Err(ConfigError::new(
                        "ADMIN_TOKEN",
                        "--admin-token",
                        "is too short: use at least 16 characters",
                    ));
                }
                Some(SecretString::from(token.to_owned()))
            }
            _ if demo => None,
            _ => {
                return Err(ConfigError::new(
                    "ADMIN_TOKEN",
                    "--admin-token",
                    "is not set: the admin API needs a bearer token. Set ADMIN_TOKEN to a long random secret (e.g. `openssl rand -hex 32`), or run with --demo",
                ));
            }
        };
        if demo && notion.allowlist.is_empty() {
            notion.allowlist = demo_allowlist();
        }
        let database_path = if demo && self.database.database_url.trim() == DEFAULT_DATABASE_URL {
            PathBuf::from(DEMO_DATABASE_PATH)
        } else {
            sqlite_path
        };
        if !demo {
            // Checked now so that a bad OAuth variable stops the start with its name; the
            // settings are made again by `start` (the key is cheap to parse).
            self.oauth.settings(&notion, &base_url, None)?;
        }
        if self.workers == Some(0) {
            return Err(ConfigError::new(
                "API_WORKERS",
                "--workers",
                "must be at least 1",
            ));
        }
        Ok(Settings {
            listen,
            admin_token,
            demo,
            demo_step: self.demo_step,
            notion,
            database_path,
            base_url,
            base_url_given: self.public.given,
            embedded_sync: self.embedded_sync || demo,
            sync_interval: self.sync_interval,
            min_sync_interval: self.min_sync_interval,
            workers: self.workers,
            log_format: self.log.log_format,
            oauth: self.oauth.clone(),
            webhook_verification_token: self
                .webhook_verification_token
                .as_deref()
                .map(str::trim)
                .filter(|token| !token.is_empty())
                .map(|token| SecretString::from(token.to_owned())),
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
    fn the_demo_runs_on_embedded_defaults() {
        let settings = parse(&["--demo"]).settings().unwrap();
        assert!(settings.demo && settings.embedded_sync);
        assert!(settings.admin_token.is_none());
        assert_eq!(settings.database_path, PathBuf::from(DEMO_DATABASE_PATH));
        assert_eq!(settings.notion.allowlist.entries().len(), 2);
        assert_eq!(settings.demo_step, Duration::from_secs(60));
    }

    #[test]
    fn without_a_notion_key_and_without_demo_it_names_the_key_and_the_two_fixes() {
        for args in [
            &[][..],
            &["--notion-api-key", " "],
            &["--admin-token", "0123456789abcdef"],
        ] {
            let error = parse(args).settings().unwrap_err().to_string();
            assert!(
                error.starts_with("NOTION_API_KEY (--notion-api-key): is not set"),
                "{error}"
            );
            assert!(
                error.contains("Set NOTION_API_KEY") && error.contains("--demo"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_demo_step_is_at_least_a_second() {
        assert_eq!(
            parse(&["--demo", "--demo-step", "2s"])
                .settings()
                .unwrap()
                .demo_step,
            Duration::from_secs(2)
        );
        for step in ["0s", "500ms", "x"] {
            assert!(
                Cli::try_parse_from(["api-server", "--demo", "--demo-step", step]).is_err(),
                "{step}"
            );
        }
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
            (["--max-rpm", "0"], "NOTION_MAX_RPM"),
            (["--base-url", "vote.example"], "BASE_URL"),
            (
                ["--notion-api-base", "ftp://example.org"],
                "NOTION_API_BASE",
            ),
            (["--database-url", "sqlite:"], "DATABASE_URL"),
            (["--workers", "0"], "API_WORKERS"),
        ] {
            let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
            let error = parse(&args).settings().unwrap_err().to_string();
            assert!(error.contains(variable), "{variable}: {error}");
        }
    }

    #[test]
    fn version_is_clap_s_own_flag_and_notion_version_its_own() {
        for flag in ["--version", "-V"] {
            let error = Cli::try_parse_from(["api-server", flag]).unwrap_err();
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::DisplayVersion,
                "{flag}"
            );
        }
        let settings = parse(&["--demo", "--notion-version", "2022-06-28"])
            .settings()
            .unwrap();
        assert_eq!(
            settings.notion.version,
            notion_client::NotionVersion::V2022_06_28
        );
    }

    #[test]
    fn store_and_public_url_flags_keep_their_variables_and_defaults() {
        let command = Cli::command();
        for (long, variable, default) in [
            ("database-url", "DATABASE_URL", DEFAULT_DATABASE_URL),
            ("base-url", "BASE_URL", "http://localhost:8080"),
        ] {
            let arg = command
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .unwrap_or_else(|| panic!("--{long} is missing"));
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(variable));
            assert_eq!(arg.get_default_values(), [default]);
        }
        let settings = parse(&[
            "--demo",
            "--database-url",
            "sqlite:x/a.db",
            "--base-url",
            "https://v.example/",
        ])
        .settings()
        .unwrap();
        assert_eq!(settings.database_path, PathBuf::from("x/a.db"));
        assert_eq!(settings.base_url, "https://v.example");
        assert!(settings.base_url_given);
        let settings = parse(&["--demo", "--base-url", "http://localhost:8080"])
            .settings()
            .unwrap();
        assert!(
            settings.base_url_given,
            "given, even when equal to the default"
        );
        assert!(!parse(&["--demo"]).settings().unwrap().base_url_given);
    }

    #[test]
    fn oauth_flags_are_checked_at_start_naming_their_variable() {
        let base = [
            "--notion-api-key",
            "ntn_x",
            "--admin-token",
            "0123456789abcdef",
            "--notion-oauth-client-id",
            "client",
        ];
        let error = parse(&base).settings().unwrap_err();
        assert_eq!(error.variable, "NOTION_OAUTH_CLIENT_SECRET", "{error}");
        let mut args = base.to_vec();
        args.extend(["--notion-oauth-client-secret", "secret"]);
        let error = parse(&args).settings().unwrap_err();
        assert_eq!(error.variable, "TOKEN_ENCRYPTION_KEY", "{error}");
        // The demo needs none of them (its key goes to a file beside its store).
        assert!(
            parse(&["--demo"])
                .settings()
                .unwrap()
                .oauth
                .client_id
                .is_none()
        );
    }

    #[test]
    fn help_never_shows_secret_values() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("[env: ADMIN_TOKEN]"), "{help}");
        assert!(help.contains("[env: NOTION_API_KEY]"), "{help}");
    }
}
