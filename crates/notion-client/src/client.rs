//! The client: configuration, the builder, and the one place that sends HTTP requests.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::error::{NotionError, Result};
use crate::id::NotionId;
use crate::pacer::{Pacer, RequestBudget};
use crate::priority::Priority;
use crate::retry::{Executor, JitterSource, OperationKind, RetryPolicy, random_jitter};
use crate::stats::{ClientStats, StatsInner};
use crate::version::NotionVersion;

/// The client id and secret of a public integration, for the OAuth endpoints.
#[derive(Clone)]
pub struct OAuthCredentials {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
}

impl fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

/// A typed, paced, retrying client for Notion's REST API. Cheap to clone: clones share the
/// HTTP connection pool, the pacer, the counters and the database → data source cache.
///
/// [`NotionClient::with_stats_scope`] gives a clone that also counts its own requests apart, so
/// one user of a shared client (a sync cycle beside an admin API) can report its exact cost.
#[derive(Clone)]
pub struct NotionClient {
    pub(crate) inner: Arc<Inner>,
    /// This handle's stats scope (shared by its clones); `None`: the shared counters only.
    scope: Option<Arc<StatsInner>>,
    /// The priority this handle's requests wait on the pacer with.
    priority: Priority,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base_url: String,
    /// Read at every attempt, so [`NotionClient::set_token`] (an OAuth refresh) applies to the
    /// next request of every clone without a new client, pacer or cache.
    token: RwLock<Option<SecretString>>,
    pub(crate) version: NotionVersion,
    exec: Executor,
    pub(crate) data_source_cache: Mutex<HashMap<NotionId, NotionId>>,
}

impl fmt::Debug for NotionClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotionClient")
            .field("base_url", &self.inner.base_url)
            .field("notion_version", &self.inner.version)
            .field("token", &self.token_set().then_some("[REDACTED]"))
            .field("pacer", &self.inner.exec.pacer)
            .field("priority", &self.priority)
            .field("retry", &self.inner.exec.policy)
            .finish()
    }
}

/// Configures a [`NotionClient`]. Reads no environment variables: the caller passes everything.
///
/// Build one client per Notion connection and clone it for every user of that connection: the
/// clones share the pacer (the connection's request budget), counters and caches. A second
/// builder for the same connection must be given the first client's pacer ([`Self::pacer`]).
/// A builder is cloneable, as a template for the clients of several connections (each
/// [`Self::build`] without [`Self::pacer`] makes a new pacer: a budget of its own).
#[derive(Clone)]
pub struct NotionClientBuilder {
    token: Option<SecretString>,
    base_url: String,
    version: NotionVersion,
    budget: RequestBudget,
    burst: u32,
    pacer: Option<Pacer>,
    policy: RetryPolicy,
    user_agent: String,
    timeout: Duration,
    jitter: Option<JitterSource>,
}

impl fmt::Debug for NotionClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotionClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("base_url", &self.base_url)
            .field("notion_version", &self.version)
            .field("budget", &self.budget)
            .field("retry", &self.policy)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for NotionClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: NotionClient::DEFAULT_BASE_URL.to_owned(),
            version: NotionVersion::default(),
            budget: RequestBudget::default(),
            burst: Pacer::DEFAULT_BURST,
            pacer: None,
            policy: RetryPolicy::default(),
            user_agent: concat!("notion-client-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(65),
            jitter: None,
        }
    }
}

impl NotionClientBuilder {
    /// The integration token (`ntn_…` or `secret_…`). Required for everything but OAuth.
    pub fn token(mut self, token: SecretString) -> Self {
        self.token = Some(token);
        self
    }

    /// The API origin (default `https://api.notion.com`; the emulator's URL in tests). A
    /// trailing `/` or `/v1` is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The `Notion-Version` (default 2025-09-03).
    pub fn notion_version(mut self, version: NotionVersion) -> Self {
        self.version = version;
        self
    }

    /// Spaces requests at this average rate (a spaced pacer, see [`Pacer::new`]), instead of the
    /// default budget of 180 requests per minute. The last budget setting wins.
    pub fn max_requests_per_second(mut self, rate: f64) -> Self {
        self.budget = RequestBudget::PerSecond {
            rate,
            burst: self.burst,
        };
        self
    }

    /// Spends at most this many requests in any minute, in bursts as Notion allows (see
    /// [`Pacer::per_minute`]); the default is 180, Notion's budget on most plans (600 on
    /// Business and Enterprise). The last budget setting wins.
    pub fn max_requests_per_minute(mut self, requests_per_minute: u32) -> Self {
        self.budget = RequestBudget::PerMinute(requests_per_minute);
        self
    }

    /// The pacer's budget (default [`RequestBudget::PerMinute`] 180). The last budget setting
    /// wins.
    pub fn budget(mut self, budget: RequestBudget) -> Self {
        self.budget = budget;
        self
    }

    /// Requests that may go out back to back under a per-second budget (default 2; a
    /// per-minute budget bursts up to its window's budget).
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        if let RequestBudget::PerSecond { burst: b, .. } = &mut self.budget {
            *b = burst;
        }
        self
    }

    /// Uses this pacer (overrides the budget and burst settings). Without one, the client gets a
    /// new pacer of its own.
    ///
    /// A pacer stands for one Notion connection's budget: every client of one connection must
    /// share it, or each would spend the whole budget and a `Retry-After` seen by one would not
    /// hold the others. Clone the client (clones share everything), or build each client of the
    /// connection with `.pacer(first.pacer().clone())`.
    pub fn pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// The longest `Retry-After` the client waits out (default 60 s); longer waits are returned
    /// as `RateLimited` errors carrying the wait.
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.policy.max_retry_wait = wait;
        self
    }

    /// Attempts per request, the first included (default 4; 1 disables retries).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// First backoff for 5xx/409/network retries (default 1 s), doubled per attempt.
    pub fn base_backoff(mut self, backoff: Duration) -> Self {
        self.policy.base_backoff = backoff;
        self
    }

    /// Cap of the exponential backoff (default 30 s).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.policy.max_backoff = backoff;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Per-attempt HTTP timeout (default 65 s; Notion gives up on requests after 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The jitter source for backoffs, returning values in `[0, 1)` (default random). Tests pass
    /// a constant for deterministic waits.
    pub fn jitter(mut self, jitter: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.jitter = Some(Arc::new(jitter));
        self
    }

    /// Builds the client, checking the settings.
    pub fn build(self) -> Result<NotionClient> {
        let mut base = self.base_url.trim().trim_end_matches('/').to_owned();
        if let Some(stripped) = base.strip_suffix("/v1") {
            base = stripped.to_owned();
        }
        url::Url::parse(&base).map_err(|e| {
            NotionError::invalid_request(format!(
                "base URL '{base}' is not a URL ({e}); use e.g. https://api.notion.com"
            ))
        })?;
        if self.policy.max_attempts == 0 {
            return Err(NotionError::invalid_request(
                "max_attempts is 0; use 1 to disable retries",
            ));
        }
        let pacer = match self.pacer {
            Some(p) => p,
            None => Pacer::from_budget(self.budget)
                .map_err(|e| NotionError::invalid_request(e.to_string()))?,
        };
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .timeout(self.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                NotionError::invalid_request(format!("cannot build the HTTP client: {e}"))
            })?;
        Ok(NotionClient {
            inner: Arc::new(Inner {
                http,
                base_url: base,
                token: RwLock::new(self.token),
                version: self.version,
                exec: Executor {
                    policy: self.policy,
                    pacer,
                    jitter: self.jitter.unwrap_or_else(random_jitter),
                    stats: Arc::new(StatsInner::default()),
                },
                data_source_cache: Mutex::new(HashMap::new()),
            }),
            scope: None,
            priority: Priority::default(),
        })
    }
}

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// HTTP Basic with the OAuth client id and secret.
    Basic(&'a OAuthCredentials),
}

/// One API call, as data.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// Path template for logs and counters, e.g. `/v1/pages/{page_id}`.
    pub(crate) template: &'static str,
    /// The concrete path.
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<serde_json::Value>,
    pub(crate) kind: OperationKind,
    pub(crate) auth: Auth<'a>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(
        method: Method,
        template: &'static str,
        path: String,
        kind: OperationKind,
    ) -> Self {
        Self {
            method,
            template,
            path,
            query: Vec::new(),
            body: None,
            kind,
            auth: Auth::Bearer,
        }
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    pub(crate) fn basic_auth(mut self, creds: &'a OAuthCredentials) -> Self {
        self.auth = Auth::Basic(creds);
        self
    }
}

/// Decodes a JSON body, naming the JSON path on failure.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        NotionError::decode(path, err.into_inner())
    })
}

fn parse_retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let secs: f64 = value?.to_str().ok()?.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

impl NotionClient {
    /// Notion's API origin.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.notion.com";

    /// Starts configuring a client.
    pub fn builder() -> NotionClientBuilder {
        NotionClientBuilder::default()
    }

    /// The `Notion-Version` this client sends.
    pub fn notion_version(&self) -> NotionVersion {
        self.inner.version
    }

    /// Replaces the token of this client and of every clone of it (they share one connection):
    /// the next attempt of any request sends the new token. The pacer, counters and the data
    /// source cache stay, since they belong to the connection, not to one token. This is how a
    /// rotated OAuth access token is applied.
    pub fn set_token(&self, token: SecretString) {
        let mut current = self.inner.token.write().unwrap_or_else(|e| e.into_inner());
        *current = Some(token);
    }

    /// True when a token is configured (never shows the token).
    pub fn token_set(&self) -> bool {
        self.inner
            .token
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// The `Authorization: Bearer` value for the current token, marked sensitive so that it is
    /// never logged.
    fn bearer_header(&self) -> Result<HeaderValue> {
        let token = self.inner.token.read().unwrap_or_else(|e| e.into_inner());
        let token = token.as_ref().ok_or_else(|| {
            NotionError::invalid_request(
                "no Notion token configured; pass one to NotionClient::builder().token(..)",
            )
        })?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                NotionError::invalid_request(
                    "the Notion token contains characters that cannot be sent in a header",
                )
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The pacer this client waits on.
    pub fn pacer(&self) -> &Pacer {
        &self.inner.exec.pacer
    }

    /// A snapshot of the request counters (shared by every clone of this client, and counting
    /// the requests of every stats scope too).
    pub fn stats(&self) -> ClientStats {
        self.inner.exec.stats.snapshot()
    }

    /// A clone of this client with a stats scope of its own: requests sent through it (and through
    /// its clones) count in [`NotionClient::scope_stats`] and, as always, in the shared
    /// [`NotionClient::stats`] (and in this client's own scope, if it has one). Requests of other
    /// clones never show in the new scope. Cheap: one allocation; the connection pool, pacer and
    /// caches stay shared.
    pub fn with_stats_scope(&self) -> Self {
        let parent = self
            .scope
            .clone()
            .unwrap_or_else(|| Arc::clone(&self.inner.exec.stats));
        Self {
            inner: Arc::clone(&self.inner),
            scope: Some(Arc::new(StatsInner::scope_of(parent))),
            priority: self.priority,
        }
    }

    /// A clone of this client whose requests wait on the pacer as `priority`, or more urgently
    /// inside a [`Priority::scope`] that says so (keeping this handle's stats scope). Cheap: the connection pool, pacer, counters and caches stay
    /// shared, so the budget is one; only the order in which waiting requests are served
    /// changes. A client starts as [`Priority::Background`].
    pub fn with_priority(&self, priority: Priority) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            scope: self.scope.clone(),
            priority,
        }
    }

    /// The priority this handle's requests wait with.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// A snapshot of this handle's stats scope: the requests sent through it and its clones since
    /// [`NotionClient::with_stats_scope`] made it. Without a scope, the shared counters
    /// ([`NotionClient::stats`]).
    pub fn scope_stats(&self) -> ClientStats {
        match &self.scope {
            Some(scope) => scope.snapshot(),
            None => self.stats(),
        }
    }

    /// Sends a call through the pacer and the retry policy and decodes the answer.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T> {
        let url = format!("{}{}", self.inner.base_url, call.path);
        let body = match &call.body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| {
                NotionError::invalid_request(format!("cannot encode the request body: {e}"))
            })?),
            None => None,
        };
        if matches!(call.auth, Auth::Bearer) {
            // Fails before the pacer and the counters when no usable token is set.
            self.bearer_header()?;
        }
        let method_str = method_name(&call.method);
        let exec = &self.inner.exec;
        let stats = self.scope.as_deref().unwrap_or(&exec.stats);
        // The retry loop waits on the pacer with this handle's priority (a task-local, so the
        // loop needs no priority parameter of its own).
        let run = exec.run_counted(stats, method_str, call.template, call.kind, |_attempt| {
            // Per attempt: a token swapped while this request waited or retried is the one sent.
            let auth_header = match &call.auth {
                Auth::Bearer => Some(self.bearer_header()),
                Auth::Basic(_) => None,
            };
            let mut req = self
                .inner
                .http
                .request(call.method.clone(), &url)
                .header("Notion-Version", self.inner.version.as_str());
            if !call.query.is_empty() {
                req = req.query(&call.query);
            }
            let header_error = match (&call.auth, auth_header) {
                (Auth::Basic(creds), _) => {
                    req =
                        req.basic_auth(&creds.client_id, Some(creds.client_secret.expose_secret()));
                    None
                }
                (Auth::Bearer, Some(Ok(value))) => {
                    req = req.header(AUTHORIZATION, value);
                    None
                }
                (Auth::Bearer, Some(Err(error))) => Some(error),
                (Auth::Bearer, None) => None,
            };
            if let Some(body) = &body {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            async move {
                if let Some(error) = header_error {
                    return Err(error);
                }
                let response = req.send().await.map_err(NotionError::transport)?;
                let status = response.status().as_u16();
                let retry_after = parse_retry_after(response.headers().get(RETRY_AFTER));
                let request_id = response
                    .headers()
                    .get("x-notion-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let bytes = response.bytes().await.map_err(NotionError::transport)?;
                if (200..300).contains(&status) {
                    decode_json::<T>(&bytes).map(|v| (status, v))
                } else {
                    Err(NotionError::from_response(
                        status,
                        &bytes,
                        request_id.as_deref(),
                        retry_after,
                    ))
                }
            }
        });
        self.priority.scope(run).await
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        _ => "OTHER",
    }
}

/// Percent-decodes a property id for the `filter_properties` query parameter: Notion returns
/// ids URL-encoded, and encoding them again would make them unknown.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h << 4) | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_of_property_ids() {
        assert_eq!(percent_decode("Z%3ClH"), "Z<lH");
        assert_eq!(percent_decode("title"), "title");
        assert_eq!(percent_decode("a%"), "a%");
        assert_eq!(percent_decode("%7B%7D"), "{}");
    }

    #[test]
    fn versions_parse_and_print() {
        assert_eq!(
            "2022-06-28".parse::<NotionVersion>().unwrap(),
            NotionVersion::V2022_06_28
        );
        assert_eq!(NotionVersion::default().as_str(), "2025-09-03");
        assert!("2021-01-01".parse::<NotionVersion>().is_err());
    }

    #[test]
    fn token_never_appears_in_debug_output() {
        let secret = "ntn_supersecret_token_value";
        let builder = NotionClient::builder().token(SecretString::from(secret));
        assert!(!format!("{builder:?}").contains(secret));
        let client = builder.build().unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains("REDACTED"));
        let creds = OAuthCredentials {
            client_id: "id".into(),
            client_secret: SecretString::from("oauth_secret_value"),
        };
        assert!(!format!("{creds:?}").contains("oauth_secret_value"));
    }

    #[test]
    fn builder_rejects_bad_settings() {
        let bad_rate = NotionClient::builder().max_requests_per_second(0.0).build();
        assert!(bad_rate.unwrap_err().to_string().contains("rate"));
        let bad_url = NotionClient::builder().base_url("not a url").build();
        assert!(bad_url.unwrap_err().to_string().contains("base URL"));
        let c = NotionClient::builder()
            .base_url("http://127.0.0.1:9/v1/")
            .build()
            .unwrap();
        assert_eq!(c.inner.base_url, "http://127.0.0.1:9");
    }
}
