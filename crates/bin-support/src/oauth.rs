//! The OAuth settings shared by the binaries: a public integration's credentials, where Notion
//! sends the admin back, and the key tokens are sealed with.

use std::path::Path;
use std::sync::Arc;

use clap::Args;
use notion_client::{NotionClient, OAuthCredentials};
use secrecy::SecretString;
use sync_driver::OAuthSettings;
use token_seal::TokenKey;

use crate::settings::{ConfigError, NotionSettings};

/// OAuth connections (several Notion workspaces). On when the client id and secret are both set.
#[derive(Debug, Clone, Args)]
pub struct OAuthArgs {
    /// The public integration's OAuth client id. With the secret, turns on "Connect a Notion
    /// workspace".
    #[arg(long = "notion-oauth-client-id", env = "NOTION_OAUTH_CLIENT_ID")]
    pub client_id: Option<String>,

    /// The public integration's OAuth client secret. Never printed or logged.
    #[arg(
        long = "notion-oauth-client-secret",
        env = "NOTION_OAUTH_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,

    /// Where Notion sends the admin back after consent (default `{BASE_URL}/oauth/notion/callback`);
    /// must be one of the integration's redirect URIs.
    #[arg(long = "notion-oauth-redirect-uri", env = "NOTION_OAUTH_REDIRECT_URI")]
    pub redirect_uri: Option<String>,

    /// The key OAuth tokens are sealed with at rest: 32 random bytes in base64, as
    /// `openssl rand -base64 32` prints them. Never printed or logged. Keep it: tokens sealed with
    /// a lost key must be authorized again.
    #[arg(
        long = "token-encryption-key",
        env = "TOKEN_ENCRYPTION_KEY",
        hide_env_values = true
    )]
    pub token_encryption_key: Option<String>,
}

/// OAuth, validated: the driver's settings and the redirect URI.
#[derive(Debug)]
pub struct OAuthConfig {
    /// What the sync driver needs (credentials, key, client template).
    pub driver: OAuthSettings,
    /// The redirect URI sent to Notion's authorize endpoint and token exchange.
    pub redirect_uri: String,
    /// Notion's authorize URL (`{NOTION_API_BASE}/v1/oauth/authorize`).
    pub authorize_url: String,
}

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

impl OAuthArgs {
    /// The OAuth settings, `None` when OAuth is off (no client id and secret). `base_url` is the
    /// app's public URL (for the default redirect URI); `key_file` is where a key is kept when
    /// `TOKEN_ENCRYPTION_KEY` is unset (the demo's, made with mode 0600); without one, the key is
    /// required. Errors name the variable and what to do.
    pub fn settings(
        &self,
        notion: &NotionSettings,
        base_url: &str,
        key_file: Option<&Path>,
    ) -> Result<Option<OAuthConfig>, ConfigError> {
        let (id, secret) = match (
            given(self.client_id.as_ref()),
            given(self.client_secret.as_ref()),
        ) {
            (None, None) => return Ok(None),
            (Some(id), Some(secret)) => (id, secret),
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "NOTION_OAUTH_CLIENT_SECRET",
                    "--notion-oauth-client-secret",
                    "is not set while NOTION_OAUTH_CLIENT_ID is: give both (the public integration's OAuth client secret), or neither to turn OAuth off",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "NOTION_OAUTH_CLIENT_ID",
                    "--notion-oauth-client-id",
                    "is not set while NOTION_OAUTH_CLIENT_SECRET is: give both, or neither to turn OAuth off",
                ));
            }
        };
        let key = match (given(self.token_encryption_key.as_ref()), key_file) {
            (Some(text), _) => TokenKey::from_base64(text).map_err(|e| {
                ConfigError::new(
                    "TOKEN_ENCRYPTION_KEY",
                    "--token-encryption-key",
                    e.to_string(),
                )
            })?,
            (None, Some(path)) => TokenKey::load_or_create(path).map_err(|e| {
                ConfigError::new(
                    "TOKEN_ENCRYPTION_KEY",
                    "--token-encryption-key",
                    e.to_string(),
                )
            })?,
            (None, None) => {
                return Err(ConfigError::new(
                    "TOKEN_ENCRYPTION_KEY",
                    "--token-encryption-key",
                    "is not set: OAuth tokens are stored sealed with it; make one with `openssl rand -base64 32` and keep it",
                ));
            }
        };
        let redirect_uri = match given(self.redirect_uri.as_ref()) {
            Some(uri) => {
                let parsed = url::Url::parse(uri).map_err(|e| {
                    ConfigError::new(
                        "NOTION_OAUTH_REDIRECT_URI",
                        "--notion-oauth-redirect-uri",
                        format!("is not a URL ({e}): give the full callback URL, e.g. https://sync.example.org/oauth/notion/callback"),
                    )
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new(
                        "NOTION_OAUTH_REDIRECT_URI",
                        "--notion-oauth-redirect-uri",
                        "must be an http or https URL",
                    ));
                }
                uri.to_owned()
            }
            None => format!("{}/oauth/notion/callback", base_url.trim_end_matches('/')),
        };
        let client_template = NotionClient::builder()
            .base_url(notion.api_base.clone())
            .notion_version(notion.version)
            .budget(notion.budget);
        Ok(Some(OAuthConfig {
            driver: OAuthSettings {
                credentials: OAuthCredentials {
                    client_id: id.to_owned(),
                    client_secret: SecretString::from(secret.to_owned()),
                },
                token_key: Arc::new(key),
                client_template,
            },
            redirect_uri,
            authorize_url: format!("{}/v1/oauth/authorize", notion.api_base),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notion() -> NotionSettings {
        crate::NotionArgs {
            api_key: None,
            api_base: "http://127.0.0.1:9".into(),
            notion_version: "2025-09-03".into(),
            database_allowlist: String::new(),
            max_requests_per_minute: None,
            max_requests_per_second: None,
        }
        .settings()
        .unwrap()
    }

    fn args(id: Option<&str>, secret: Option<&str>, key: Option<&str>) -> OAuthArgs {
        OAuthArgs {
            client_id: id.map(str::to_owned),
            client_secret: secret.map(str::to_owned),
            redirect_uri: None,
            token_encryption_key: key.map(str::to_owned),
        }
    }

    #[test]
    fn oauth_is_off_without_credentials_and_names_what_is_missing() {
        let n = notion();
        assert!(
            args(None, None, None)
                .settings(&n, "http://x", None)
                .unwrap()
                .is_none()
        );
        let error = args(Some("id"), None, None)
            .settings(&n, "http://x", None)
            .unwrap_err();
        assert_eq!(error.variable, "NOTION_OAUTH_CLIENT_SECRET");
        let error = args(Some("id"), Some("secret"), None)
            .settings(&n, "http://x", None)
            .unwrap_err();
        assert_eq!(error.variable, "TOKEN_ENCRYPTION_KEY");
        assert!(error.message.contains("openssl rand -base64 32"));
        let error = args(Some("id"), Some("secret"), Some("short"))
            .settings(&n, "http://x", None)
            .unwrap_err();
        assert_eq!(error.variable, "TOKEN_ENCRYPTION_KEY");
        assert!(!error.to_string().contains("short"), "never echoes the key");
    }

    #[test]
    fn a_key_and_the_default_redirect_make_oauth_settings() {
        let key = TokenKey::generate().to_base64();
        let config = args(
            Some("id"),
            Some("secret"),
            Some(secrecy::ExposeSecret::expose_secret(&key)),
        )
        .settings(&notion(), "https://sync.example.org/", None)
        .unwrap()
        .unwrap();
        assert_eq!(
            config.redirect_uri,
            "https://sync.example.org/oauth/notion/callback"
        );
        assert_eq!(
            config.authorize_url,
            "http://127.0.0.1:9/v1/oauth/authorize"
        );
        assert_eq!(config.driver.credentials.client_id, "id");
        // A key file (the demo's) is made when no key is given.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token.key");
        args(Some("id"), Some("secret"), None)
            .settings(&notion(), "http://x", Some(&file))
            .unwrap()
            .unwrap();
        assert!(file.exists());
    }
}
