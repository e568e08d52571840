//! Validated settings shared by the binaries: what [`NotionArgs`], [`DatabaseArgs`] and
//! [`PublicUrlArgs`] become once every value has been checked, or a [`ConfigError`] naming the
//! variable and flag to fix.

use std::path::PathBuf;

use notion_client::{NotionClient, NotionClientBuilder, NotionVersion, Pacer, RequestBudget};
use secrecy::SecretString;
use store::StoreLocation;
use sync_driver::Allowlist;

use crate::args::{DatabaseArgs, NotionArgs, PublicUrlArgs};

/// A setting that is missing or cannot be used. It names the environment variable and its flag,
/// and says what is wrong and how to fix it; it never holds a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} ({flag}): {message}")]
pub struct ConfigError {
    /// The environment variable, e.g. `NOTION_MAX_RPS`.
    pub variable: &'static str,
    /// Its flag, e.g. `--max-rps`.
    pub flag: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigError {
    /// An error about `variable` (set with `flag`).
    pub fn new(variable: &'static str, flag: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            flag,
            message: message.into(),
        }
    }
}

/// How to reach Notion, validated: what [`NotionArgs::settings`] returns.
#[derive(Debug, Clone)]
pub struct NotionSettings {
    /// The integration token; `None` when unset or blank (the api-server then runs its demo).
    pub api_key: Option<SecretString>,
    /// Base URL of the API: `http(s)://host[:port][/path]`, without a trailing `/` or `/v1`.
    pub api_base: String,
    /// The `Notion-Version` to send.
    pub version: NotionVersion,
    /// The databases that may be searched and linked (may be empty).
    pub allowlist: Allowlist,
    /// The default connection's request budget: `NOTION_MAX_RPM` per minute (default 180), or
    /// `NOTION_MAX_RPS` per second (finite and above 0) when that is set instead.
    pub budget: RequestBudget,
}

impl NotionSettings {
    /// A client builder with the token, base URL, version, rate and `user_agent` set, for callers
    /// that tune more (retries, timeouts) before building. As with [`Self::client`], build one
    /// client per connection and clone it. Without a token, an error naming
    /// `NOTION_API_KEY`.
    pub fn client_builder(&self, user_agent: &str) -> Result<NotionClientBuilder, ConfigError> {
        let token = self.api_key.clone().ok_or_else(|| {
            ConfigError::new(
                "NOTION_API_KEY",
                "--notion-api-key",
                "is not set: give the integration's secret (ntn_…) with NOTION_API_KEY or --notion-api-key",
            )
        })?;
        Ok(NotionClient::builder()
            .token(token)
            .base_url(self.api_base.clone())
            .notion_version(self.version)
            .budget(self.budget)
            .user_agent(user_agent))
    }

    /// The client of the default Notion connection, with its own pacer (`NOTION_MAX_RPM`). Build
    /// it once and clone it for every user of the connection (the sync driver, the admin API):
    /// clones share the pacer, so the connection's budget and any `Retry-After` hold all of
    /// them; a second client built here would get a second, separate budget. Without a token, an
    /// error naming `NOTION_API_KEY`.
    pub fn client(&self, user_agent: &str) -> Result<NotionClient, ConfigError> {
        self.client_builder(user_agent)?.build().map_err(|error| {
            ConfigError::new(
                "NOTION_API_BASE",
                "--notion-api-base",
                format!("cannot build the Notion client: {error}"),
            )
        })
    }
}

impl NotionArgs {
    /// Checks every Notion setting: the version is supported, the base URL is http(s), the
    /// allowlist parses and the rate is a positive number. The API key may be absent.
    pub fn settings(&self) -> Result<NotionSettings, ConfigError> {
        let version = self
            .notion_version
            .trim()
            .parse::<NotionVersion>()
            .map_err(|error| {
                ConfigError::new("NOTION_VERSION", "--notion-version", error.to_string())
            })?;
        let api_base = notion_api_base(&self.api_base)?;
        let allowlist = Allowlist::parse(&self.database_allowlist).map_err(|error| {
            ConfigError::new(
                "NOTION_DATABASE_ALLOWLIST",
                "--notion-database-allowlist",
                error.to_string(),
            )
        })?;
        let budget = self.budget()?;
        Ok(NotionSettings {
            api_key: self.api_key(),
            api_base,
            version,
            allowlist,
            budget,
        })
    }

    /// The request budget: per minute unless only a per-second rate is given; both at once is
    /// an error, since they say different things and neither should silently win.
    fn budget(&self) -> Result<RequestBudget, ConfigError> {
        match (self.max_requests_per_minute, self.max_requests_per_second) {
            (Some(rpm), Some(rps)) => Err(ConfigError::new(
                "NOTION_MAX_RPM",
                "--max-rpm",
                format!(
                    "is set ({rpm}) together with NOTION_MAX_RPS (--max-rps, {rps}): set only one. \
                     NOTION_MAX_RPM is Notion's own unit (180 per minute on most plans, 600 on \
                     Business and Enterprise); unset NOTION_MAX_RPS to use it"
                ),
            )),
            (Some(0), None) => Err(ConfigError::new(
                "NOTION_MAX_RPM",
                "--max-rpm",
                "must be at least 1 request per minute (Notion allows 180 on most plans, 600 on Business and Enterprise), got 0",
            )),
            (Some(rpm), None) => Ok(RequestBudget::PerMinute(rpm)),
            (None, Some(rate)) if !(rate.is_finite() && rate > 0.0) => Err(ConfigError::new(
                "NOTION_MAX_RPS",
                "--max-rps",
                format!(
                    "must be a number of requests per second above 0 (Notion allows about 3), got {rate}"
                ),
            )),
            (None, Some(rate)) => Ok(RequestBudget::PerSecond {
                rate,
                burst: Pacer::DEFAULT_BURST,
            }),
            (None, None) => Ok(RequestBudget::default()),
        }
    }
}

impl DatabaseArgs {
    /// The SQLite file named by `--database-url`: not empty and not an in-memory database.
    pub fn database_path(&self) -> Result<PathBuf, ConfigError> {
        let error = |message: &str| ConfigError::new("DATABASE_URL", "--database-url", message);
        if let Some(scheme) = foreign_scheme(&self.database_url) {
            // Only the scheme is shown: the rest of such a URL may hold a password.
            return Err(error(&format!(
                "a `{scheme}://` URL is not supported: this version stores its data in SQLite only. \
                 Give `sqlite:PATH` (e.g. sqlite:data/elections.db), `sqlite://PATH` or a plain file path"
            )));
        }
        match self.sqlite_path() {
            "" => Err(error(
                "names no file: give `sqlite:PATH` or a file path, e.g. sqlite:data/elections.db",
            )),
            ":memory:" => Err(error(
                "an in-memory store would be lost when the process ends: give a file path, e.g. sqlite:data/elections.db",
            )),
            path => Ok(PathBuf::from(path)),
        }
    }

    /// Where the store named by `--database-url` lives, for [`store::open_store`]: the SQLite
    /// file of [`DatabaseArgs::database_path`] (the only kind of store today), with its errors.
    pub fn store_location(&self) -> Result<StoreLocation, ConfigError> {
        self.database_path().map(StoreLocation::Sqlite)
    }
}

/// The scheme of a `scheme://…` URL other than `sqlite`, lowercased, if `url` is one.
fn foreign_scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.trim().split_once("://")?;
    let is_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let scheme = scheme.to_ascii_lowercase();
    (is_scheme && scheme != "sqlite").then_some(scheme)
}

impl PublicUrlArgs {
    /// The public base URL, checked: `http(s)://…` without a trailing `/`.
    pub fn base_url(&self) -> Result<String, ConfigError> {
        public_base_url(&self.base_url)
    }
}

/// `text` trimmed, without trailing slashes, if it is an `http(s)://` URL with a host.
fn http_url(text: &str) -> Option<String> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))?;
    // `url` would read `https:///x` as the host `x`: the host must follow `//` directly.
    let plain = !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace);
    let url = url::Url::parse(trimmed).ok()?;
    (plain && url.host_str().is_some_and(|host| !host.is_empty())).then(|| trimmed.to_owned())
}

fn notion_api_base(text: &str) -> Result<String, ConfigError> {
    // People paste the endpoint prefix too; the client adds `/v1` itself.
    let trimmed = text.trim().trim_end_matches('/');
    let base = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
    http_url(base).ok_or_else(|| {
        ConfigError::new(
            "NOTION_API_BASE",
            "--notion-api-base",
            format!(
                "must be an http(s) URL such as https://api.notion.com (the default) or the emulator's URL, got {text:?}"
            ),
        )
    })
}

fn public_base_url(text: &str) -> Result<String, ConfigError> {
    http_url(text).ok_or_else(|| {
        ConfigError::new(
            "BASE_URL",
            "--base-url",
            format!(
                "must be an http(s) URL such as https://vote.example.org (results links are {{BASE_URL}}/e/{{election_id}}/results), got {text:?}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn notion() -> NotionArgs {
        NotionArgs {
            api_key: None,
            api_base: "https://api.notion.com".into(),
            notion_version: "2025-09-03".into(),
            database_allowlist: String::new(),
            max_requests_per_minute: None,
            max_requests_per_second: None,
        }
    }

    fn database(database_url: &str) -> DatabaseArgs {
        DatabaseArgs {
            database_url: database_url.into(),
        }
    }

    fn public(base_url: &str) -> PublicUrlArgs {
        PublicUrlArgs {
            base_url: base_url.into(),
        }
    }

    /// Asserts that `error` names `variable` and `flag` and mentions each of `words`.
    fn assert_names(error: &ConfigError, variable: &str, flag: &str, words: &[&str]) {
        assert_eq!((error.variable, error.flag), (variable, flag), "{error}");
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("{variable} ({flag}): ")),
            "{text}"
        );
        for word in words {
            assert!(text.contains(word), "{text:?} does not mention {word:?}");
        }
    }

    #[test]
    fn the_defaults_are_valid() {
        let settings = notion().settings().unwrap();
        assert!(settings.api_key.is_none());
        assert_eq!(settings.api_base, "https://api.notion.com");
        assert_eq!(settings.version, NotionVersion::V2025_09_03);
        assert!(settings.allowlist.is_empty());
        assert_eq!(settings.budget, RequestBudget::PerMinute(180));
        assert_eq!(
            database(crate::DEFAULT_DATABASE_URL).database_path(),
            Ok(PathBuf::from("data/elections.db"))
        );
        assert_eq!(
            public("http://localhost:8080").base_url().as_deref(),
            Ok("http://localhost:8080")
        );
    }

    #[test]
    fn notion_versions() {
        for (text, expected) in [
            ("2025-09-03", NotionVersion::V2025_09_03),
            ("2022-06-28", NotionVersion::V2022_06_28),
            (" 2022-06-28 ", NotionVersion::V2022_06_28),
        ] {
            let args = NotionArgs {
                notion_version: text.into(),
                ..notion()
            };
            assert_eq!(args.settings().unwrap().version, expected, "{text:?}");
        }
        for text in ["", "2020-01-01", "latest", "2025-09-03T00:00:00Z"] {
            let args = NotionArgs {
                notion_version: text.into(),
                ..notion()
            };
            let error = args.settings().unwrap_err();
            assert_names(
                &error,
                "NOTION_VERSION",
                "--notion-version",
                &["2025-09-03", "2022-06-28"],
            );
        }
    }

    #[test]
    fn notion_api_bases() {
        for (text, expected) in [
            ("https://api.notion.com", "https://api.notion.com"),
            ("https://api.notion.com/", "https://api.notion.com"),
            ("https://api.notion.com/v1", "https://api.notion.com"),
            ("https://api.notion.com/v1/", "https://api.notion.com"),
            ("  http://127.0.0.1:4010  ", "http://127.0.0.1:4010"),
            (
                "http://localhost:4010/notion",
                "http://localhost:4010/notion",
            ),
        ] {
            let args = NotionArgs {
                api_base: text.into(),
                ..notion()
            };
            assert_eq!(args.settings().unwrap().api_base, expected, "{text:?}");
        }
        for text in [
            "",
            "api.notion.com",
            "ftp://example.org",
            "http://",
            "https:///v1",
            "http://exa mple.org",
            "https://api.notion.com/a b",
        ] {
            let args = NotionArgs {
                api_base: text.into(),
                ..notion()
            };
            let error = args.settings().unwrap_err();
            assert_names(
                &error,
                "NOTION_API_BASE",
                "--notion-api-base",
                &["http(s) URL", &format!("{text:?}")],
            );
        }
    }

    #[test]
    fn database_allowlists() {
        for (text, entries) in [
            ("", 0),
            (" , ", 0),
            ("1a2b3c4d5e6f47809a0b1c2d3e4f5a6b:Elections", 1),
            (
                "1a2b3c4d-5e6f-4780-9a0b-1c2d3e4f5a6b:Board Elections, 0f1e2d3c4b5a69788796a5b4c3d2e1f0:Archive,",
                2,
            ),
        ] {
            let args = NotionArgs {
                database_allowlist: text.into(),
                ..notion()
            };
            let allowlist = args.settings().unwrap().allowlist;
            assert_eq!(allowlist.entries().len(), entries, "{text:?}");
        }
        for (text, entry) in [
            ("oops", "entry 1"),
            ("not-an-id:Elections", "entry 1"),
            (
                "1a2b3c4d5e6f47809a0b1c2d3e4f5a6b:Elections,1a2b:Other",
                "entry 2",
            ),
            ("1a2b3c4d5e6f47809a0b1c2d3e4f5a6b:", "entry 1"),
        ] {
            let args = NotionArgs {
                database_allowlist: text.into(),
                ..notion()
            };
            let error = args.settings().unwrap_err();
            assert_names(
                &error,
                "NOTION_DATABASE_ALLOWLIST",
                "--notion-database-allowlist",
                &[entry],
            );
        }
    }

    #[test]
    fn max_requests_per_minute() {
        for rpm in [1, 180, 600, 10_000] {
            let args = NotionArgs {
                max_requests_per_minute: Some(rpm),
                ..notion()
            };
            assert_eq!(
                args.settings().unwrap().budget,
                RequestBudget::PerMinute(rpm)
            );
        }
        let args = NotionArgs {
            max_requests_per_minute: Some(0),
            ..notion()
        };
        assert_names(
            &args.settings().unwrap_err(),
            "NOTION_MAX_RPM",
            "--max-rpm",
            &["at least 1", "180", "600", "got 0"],
        );
        let both = NotionArgs {
            max_requests_per_minute: Some(600),
            max_requests_per_second: Some(2.5),
            ..notion()
        };
        assert_names(
            &both.settings().unwrap_err(),
            "NOTION_MAX_RPM",
            "--max-rpm",
            &["NOTION_MAX_RPS", "--max-rps", "only one", "(600)", "2.5"],
        );
    }

    #[test]
    fn max_requests_per_second() {
        for rate in [0.1, 1.0, 2.5, 3.0, 500.0] {
            let args = NotionArgs {
                max_requests_per_second: Some(rate),
                ..notion()
            };
            let settings = args.settings().unwrap();
            assert_eq!(
                settings.budget,
                RequestBudget::PerSecond {
                    rate,
                    burst: Pacer::DEFAULT_BURST
                }
            );
        }
        for rate in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let args = NotionArgs {
                max_requests_per_second: Some(rate),
                ..notion()
            };
            let error = args.settings().unwrap_err();
            assert_names(
                &error,
                "NOTION_MAX_RPS",
                "--max-rps",
                &["above 0", "about 3", &format!("got {rate}")],
            );
        }
        let args = NotionArgs {
            max_requests_per_second: Some(0.0),
            ..notion()
        };
        assert_eq!(
            args.settings().unwrap_err().to_string(),
            "NOTION_MAX_RPS (--max-rps): must be a number of requests per second above 0 (Notion allows about 3), got 0"
        );
    }

    #[test]
    fn api_keys() {
        for (text, expected) in [
            (None, None),
            (Some(""), None),
            (Some("   "), None),
            (Some("ntn_abc"), Some("ntn_abc")),
            (Some(" secret_abc \n"), Some("secret_abc")),
        ] {
            let args = NotionArgs {
                api_key: text.map(str::to_owned),
                ..notion()
            };
            let key = args.settings().unwrap().api_key;
            assert_eq!(
                key.as_ref().map(|key| key.expose_secret()),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_client_needs_a_token_and_never_shows_it() {
        let error = notion().settings().unwrap().client("test").unwrap_err();
        assert_names(&error, "NOTION_API_KEY", "--notion-api-key", &["not set"]);

        let args = NotionArgs {
            api_key: Some("ntn_secret_value".into()),
            notion_version: "2022-06-28".into(),
            ..notion()
        };
        let settings = args.settings().unwrap();
        assert!(!format!("{settings:?}").contains("ntn_secret_value"));
        let client = settings.client("test").unwrap();
        assert_eq!(client.notion_version(), NotionVersion::V2022_06_28);
        assert!(!format!("{client:?}").contains("ntn_secret_value"));
    }

    #[test]
    fn database_urls() {
        for (text, expected) in [
            ("sqlite:data/elections.db", "data/elections.db"),
            (
                "sqlite:/var/lib/ens/elections.db",
                "/var/lib/ens/elections.db",
            ),
            ("sqlite:///tmp/a.db", "/tmp/a.db"),
            (" data/b.db ", "data/b.db"),
            ("elections.db", "elections.db"),
        ] {
            let path = database(text).database_path().unwrap();
            assert_eq!(path, PathBuf::from(expected), "{text:?}");
        }
        for (text, words) in [
            ("", &["names no file", "sqlite:PATH"][..]),
            ("   ", &["names no file"]),
            ("sqlite:", &["names no file"]),
            ("sqlite://", &["names no file"]),
            (":memory:", &["in-memory"]),
            ("sqlite::memory:", &["in-memory"]),
        ] {
            let error = database(text).database_path().unwrap_err();
            assert_names(&error, "DATABASE_URL", "--database-url", words);
        }
    }

    #[test]
    fn a_database_url_names_a_store_location_with_the_same_errors() {
        assert_eq!(
            database("sqlite:data/elections.db").store_location(),
            Ok(StoreLocation::Sqlite(PathBuf::from("data/elections.db")))
        );
        for text in ["", ":memory:", "postgres://u:PASS@db/x"] {
            assert_eq!(
                database(text).store_location().map(|_| ()),
                database(text).database_path().map(|_| ()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn database_urls_of_other_kinds_are_refused_without_echoing_the_password() {
        for (text, scheme) in [
            (
                "postgresql://postgres:PASS@localhost:5432/postgres",
                "postgresql",
            ),
            ("postgres://u:PASS@db/x", "postgres"),
            ("mysql://root:PASS@127.0.0.1/ens", "mysql"),
            (" MariaDB://PASS@host/db", "mariadb"),
            ("file://PASS/x.db", "file"),
        ] {
            let error = database(text).database_path().unwrap_err();
            assert_names(
                &error,
                "DATABASE_URL",
                "--database-url",
                &[&format!("`{scheme}://`"), "sqlite:PATH", "not supported"],
            );
            assert!(!error.to_string().contains("PASS"), "{error}");
        }
        // A folder name with `://` further on is still a path only if it does not start like a URL.
        assert_eq!(
            database("data/a://b.db").database_path(),
            Ok(PathBuf::from("data/a://b.db"))
        );
    }

    #[test]
    fn base_urls() {
        for (text, expected) in [
            ("http://localhost:8080", "http://localhost:8080"),
            ("https://vote.example.org/", "https://vote.example.org"),
            ("https://example.org/vote//", "https://example.org/vote"),
            (" https://vote.example.org ", "https://vote.example.org"),
        ] {
            let base_url = public(text).base_url().unwrap();
            assert_eq!(base_url, expected, "{text:?}");
        }
        for text in [
            "",
            "vote.example.org",
            "localhost:8080",
            "ftp://vote.example.org",
            "https://",
            "https://vote example.org",
        ] {
            let error = public(text).base_url().unwrap_err();
            assert_names(
                &error,
                "BASE_URL",
                "--base-url",
                &[
                    "http(s) URL",
                    "/e/{election_id}/results",
                    &format!("{text:?}"),
                ],
            );
        }
    }
}
