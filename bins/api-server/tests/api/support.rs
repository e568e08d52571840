//! Starting a real server (the library's `start`, on 127.0.0.1:0) with a temp store and an emulator.

use api_server::{Cli, RunningServer, start};
use clap::Parser;
use notion_emulator::{Emulator, EmulatorConfig, demo};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// The admin token of test servers.
pub(crate) const TOKEN: &str = "test-admin-token-0123456789";

/// A running api-server with its emulator and temp store.
pub(crate) struct TestServer {
    pub(crate) server: RunningServer,
    pub(crate) emulator: Emulator,
    pub(crate) http: reqwest::Client,
    _dir: TempDir,
}

/// The allowlist of test servers: the demo workspace's shared databases.
pub(crate) fn allowlist() -> String {
    format!(
        "{}:Elections,{}:Legacy Elections",
        demo::ELECTIONS_DB,
        demo::LEGACY_DB
    )
}

impl TestServer {
    /// A server on a fresh store, pointed at a fresh emulator (no rate limit) with the demo workspace.
    pub(crate) async fn start() -> Self {
        Self::start_with(EmulatorConfig::default().without_rate_limit(), &[]).await
    }

    /// As [`TestServer::start`], with an emulator config and extra flags.
    pub(crate) async fn start_with(config: EmulatorConfig, extra: &[&str]) -> Self {
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("test.db");
        let mut args: Vec<String> = [
            "api-server",
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            TOKEN,
            "--notion-api-key",
            demo::TOKEN,
            "--notion-api-base",
            &emulator.base_url(),
            "--notion-database-allowlist",
            &allowlist(),
            "--database-url",
            db.to_str().expect("utf-8 path"),
            "--max-rps",
            "500",
            "--workers",
            "1",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let settings = Cli::try_parse_from(args)
            .expect("flags parse")
            .settings()
            .expect("valid settings");
        let server = start(settings, CancellationToken::new())
            .await
            .expect("server starts");
        Self {
            server,
            emulator,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// The server's SQLite file, for tests that act as the sync-runner (a second process on it).
    pub(crate) fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("test.db")
    }

    /// The absolute URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// A request carrying the admin token.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    /// Sends an authenticated request with an optional JSON body; returns the status and JSON body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }

    /// `GET` with the admin token.
    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// `POST` JSON with the admin token.
    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Creates an election and returns its JSON.
    pub(crate) async fn create_election(
        &self,
        title: &str,
        open_at: &str,
        close_at: &str,
    ) -> Value {
        let (status, body) = self
            .post(
                "/admin/elections",
                serde_json::json!({"title": title, "description": "", "open_at": open_at, "close_at": close_at}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["election"].clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.stop();
    }
}

/// Sends a request; returns the status and the JSON body (`Value::Null` when not JSON).
pub(crate) async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

/// Asserts the SPEC §6 error shape and returns the error object.
pub(crate) fn assert_error<'a>(body: &'a Value, code: &str) -> &'a Value {
    assert_eq!(body["success"], Value::Bool(false), "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    &body["error"]
}
