//! Helpers: start the demo emulator with a frozen clock and send Notion-style requests.

use jiff::Timestamp;
use notion_emulator::{Clock, Emulator, EmulatorConfig, demo};
use reqwest::Method;
use serde_json::Value;

/// The instant the test clock starts at.
pub(crate) const T0: &str = "2026-05-01T10:00:30Z";

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Resp {
    pub(crate) fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub(crate) fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

pub(crate) struct Ctx {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
    pub(crate) version: &'static str,
}

pub(crate) fn config() -> EmulatorConfig {
    EmulatorConfig::default()
        .without_rate_limit()
        .with_clock(Clock::frozen_at(T0.parse::<Timestamp>().unwrap()))
}

impl Ctx {
    pub(crate) async fn new() -> Self {
        Self::with(config()).await
    }

    pub(crate) async fn with(config: EmulatorConfig) -> Self {
        let emu = Emulator::start(config).await.expect("emulator starts");
        Self {
            emu,
            http: reqwest::Client::new(),
            token: demo::TOKEN.to_owned(),
            version: "2025-09-03",
        }
    }

    pub(crate) fn legacy(mut self) -> Self {
        self.version = "2022-06-28";
        self
    }

    pub(crate) async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        version: Option<&str>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.emu.base_url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(v) = version {
            req = req.header("Notion-Version", v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.raw(method, path, body, Some(&self.token), Some(self.version))
            .await
    }

    pub(crate) async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(&body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(&body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, None).await
    }
}

/// Asserts a Notion error body.
pub(crate) fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "status; body: {}", r.body);
    assert_eq!(r.body["object"], "error", "body: {}", r.body);
    assert_eq!(r.body["status"], status);
    assert_eq!(r.code(), code, "body: {}", r.body);
    assert!(r.body["request_id"].is_string());
    assert!(r.body["message"].is_string());
}
