//! Argument groups shared by the binaries. Every setting is a flag with an environment fallback.

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Where the store lives when nothing is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/elections.db";

/// How to reach Notion.
#[derive(Debug, Clone, Args)]
pub struct NotionArgs {
    /// The Notion integration's secret token (`ntn_…` or `secret_…`). Never printed or logged.
    #[arg(
        long = "notion-api-key",
        env = "NOTION_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,

    /// Base URL of Notion's API; point it at the notion-emulator in tests and demos.
    #[arg(
        long = "notion-api-base",
        env = "NOTION_API_BASE",
        default_value = "https://api.notion.com"
    )]
    pub api_base: String,

    /// Notion API version sent in the `Notion-Version` header: `2025-09-03` or `2022-06-28`.
    #[arg(
        long = "notion-version",
        env = "NOTION_VERSION",
        default_value = "2025-09-03"
    )]
    pub notion_version: String,

    /// Databases that may be searched and linked: `id:Name,id:Name` (names may contain spaces; ids as
    /// UUID, 32 hex characters or a Notion URL).
    #[arg(
        long = "notion-database-allowlist",
        env = "NOTION_DATABASE_ALLOWLIST",
        default_value = ""
    )]
    pub database_allowlist: String,

    /// Notion's budget for this connection in requests per minute: 180 on most plans, 600 on
    /// Business and Enterprise. Spent in bursts as Notion allows, never more in any minute.
    /// Default 180. Not together with `--max-rps`.
    #[arg(long = "max-rpm", env = "NOTION_MAX_RPM")]
    pub max_requests_per_minute: Option<u32>,

    /// Instead of `--max-rpm`: space requests at this many per second (the older setting, e.g.
    /// 2.5), without bursts. Not together with `--max-rpm`.
    #[arg(long = "max-rps", env = "NOTION_MAX_RPS")]
    pub max_requests_per_second: Option<f64>,
}

impl NotionArgs {
    /// The API key as a secret, if one was given and is not blank.
    pub fn api_key(&self) -> Option<SecretString> {
        self.api_key
            .as_deref()
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(|key| SecretString::from(key.to_owned()))
    }
}

/// Where the store lives: a setting of every command that opens the store (with [`PublicUrlArgs`]
/// where it also builds results links).
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The SQLite store: `sqlite:PATH` or a plain path. Created (with its folder) if missing.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

impl DatabaseArgs {
    /// The filesystem path of the SQLite file named by `--database-url`, as written (unchecked:
    /// [`DatabaseArgs::database_path`] checks it).
    pub fn sqlite_path(&self) -> &str {
        sqlite_path(&self.database_url)
    }
}

/// The public URL of the voting app: a setting of the commands that build results links.
#[derive(Debug, Clone, Args)]
pub struct PublicUrlArgs {
    /// Public base URL of the voting app; results links are `{BASE_URL}/e/{election_id}/results`.
    #[arg(
        long = "base-url",
        env = "BASE_URL",
        default_value = "http://localhost:8080"
    )]
    pub base_url: String,
}

/// The path of a `sqlite:PATH`, `sqlite://PATH` or plain-path database URL.
fn sqlite_path(url: &str) -> &str {
    let url = url.trim();
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// How logs are written (always to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Compact lines for people.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging flags.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log format on stderr. The level is set with `RUST_LOG` (default `info`).
    #[arg(
        long = "log-format",
        env = "RUST_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Human
    )]
    pub log_format: LogFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use secrecy::ExposeSecret;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        notion: NotionArgs,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        public: PublicUrlArgs,
        #[command(flatten)]
        log: LogArgs,
    }

    #[test]
    fn the_groups_compose_into_a_valid_command() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_documentation() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(cli.notion.api_base, "https://api.notion.com");
        assert_eq!(cli.notion.notion_version, "2025-09-03");
        assert_eq!(cli.notion.max_requests_per_minute, None, "180 in settings");
        assert_eq!(cli.notion.max_requests_per_second, None);
        assert_eq!(cli.database.sqlite_path(), "data/elections.db");
        assert_eq!(cli.public.base_url, "http://localhost:8080");
        assert_eq!(cli.log.log_format, LogFormat::Human);
    }

    #[test]
    fn sqlite_urls_and_plain_paths_name_the_same_file() {
        for (url, path) in [
            ("sqlite:/tmp/a.db", "/tmp/a.db"),
            ("sqlite:///tmp/a.db", "/tmp/a.db"),
            ("data/b.db", "data/b.db"),
        ] {
            let args = DatabaseArgs {
                database_url: url.into(),
            };
            assert_eq!(args.sqlite_path(), path);
        }
    }

    #[test]
    fn a_blank_api_key_counts_as_none_and_a_key_is_kept_secret() {
        let cli = Cli::try_parse_from(["x", "--notion-api-key", "  "]).unwrap();
        assert!(cli.notion.api_key().is_none());
        let cli = Cli::try_parse_from(["x", "--notion-api-key", "ntn_abc"]).unwrap();
        let key = cli.notion.api_key().unwrap();
        assert_eq!(key.expose_secret(), "ntn_abc");
        assert!(!format!("{key:?}").contains("ntn_abc"));
    }

    #[test]
    fn help_hides_the_key_value() {
        // With `hide_env_values`, clap prints `[env: NAME]` and never `[env: NAME=<value>]`.
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("[env: NOTION_API_KEY]"), "{help}");
    }
}
