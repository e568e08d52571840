#![doc = include_str!("../README.md")]

mod api;
mod clock;
mod control;
mod counters;
mod faults;
mod html;
mod ratelimit;
mod server;
mod spaces;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;

pub use clock::Clock;
pub use control::ControlError;
pub use counters::{RequestCount, RequestCounts};
pub use faults::{Fault, FaultRule, SAVED_RETRY_GUIDANCE};
pub use ratelimit::RateLimit;
pub use spaces::{AutoConsent, Blocked, OAuthClientRegistration};
pub use webhooks::{
    DeliveryAttempt, DeliveryStats, MAX_DELIVERY_ATTEMPTS, WebhookSpec, WebhookSubscription,
};
// The workspace model lives in `notion-workspace`; these keep the paths tests and other crates use.
pub use notion_workspace::model::{Capabilities, Event};
pub use notion_workspace::{
    ACCEPTED_VERSIONS, ApiVersion, DEMO_WORKSPACE_JSON, DataSourceSpec, DatabaseSpec,
    IntegrationSpec, OAuthClientSpec, PageSpec, ParentSpec, PersonSpec, RowSpec, Workspace,
    WorkspaceError, demo,
};

use server::{Knobs, Shared};

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind (default `127.0.0.1:0`: a free port).
    pub listen: SocketAddr,
    /// The workspace to serve (default: the demo workspace).
    pub workspace: Workspace,
    /// Per-token budget (default 180 requests per 60 s); `None` disables rate limiting.
    pub rate_limit: Option<RateLimit>,
    /// The workspace's budget, shared by all its integrations (default `None`: off). Its window may
    /// be longer than a minute, so its `Retry-After` can exceed 60 s, as Notion's can.
    pub workspace_rate_limit: Option<RateLimit>,
    /// Maximum results per query before `request_status: incomplete` (Notion: 10,000).
    pub query_result_cap: usize,
    /// Seed for generated ids, cursors and probabilistic faults.
    pub seed: u64,
    /// The clock (default: follows the system clock).
    pub clock: Clock,
    /// Worker threads of the emulator's own runtime (default 2).
    pub worker_threads: usize,
    /// Opt-in auto-consent for tests: `GET /v1/oauth/authorize` redirects at once with a code
    /// instead of showing the consent page (default `None`: the consent page).
    pub oauth_auto_consent: Option<AutoConsent>,
    /// Lifetime of OAuth access tokens (default `None`: they never expire, as Notion's today).
    pub oauth_token_lifetime: Option<Duration>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workspace: Workspace::demo(),
            rate_limit: Some(RateLimit::default()),
            workspace_rate_limit: None,
            query_result_cap: 10_000,
            seed: 0x5EED,
            clock: Clock::system(),
            worker_threads: 2,
            oauth_auto_consent: None,
            oauth_token_lifetime: None,
        }
    }
}

impl EmulatorConfig {
    /// Serves this workspace.
    pub fn with_workspace(mut self, workspace: Workspace) -> Self {
        self.workspace = workspace;
        self
    }

    /// Sets (or with `None` disables) the rate limit.
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Sets (or with `None` disables) the workspace budget shared by all integrations.
    pub fn with_workspace_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.workspace_rate_limit = limit;
        self
    }

    /// Disables the per-token rate limit (the workspace budget, off by default, is unchanged).
    pub fn without_rate_limit(self) -> Self {
        self.with_rate_limit(None)
    }

    /// Sets the query result cap (Notion: 10,000; set it low to test the cap).
    pub fn with_query_result_cap(mut self, cap: usize) -> Self {
        self.query_result_cap = cap.max(1);
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Uses this clock (e.g. [`Clock::frozen_at`]).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Binds this address.
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Turns on auto-consent: authorize redirects at once, consenting to `consent`.
    pub fn with_oauth_auto_consent(mut self, consent: AutoConsent) -> Self {
        self.oauth_auto_consent = Some(consent);
        self
    }

    /// Sets (or with `None` removes) the lifetime of OAuth access tokens; an expired one answers
    /// 401 `unauthorized`, and the token response carries `expires_in`.
    pub fn with_oauth_token_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.oauth_token_lifetime = lifetime;
        self
    }

    /// Replaces the first token of the first integration of the first workspace (the demo
    /// integration).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        if let Some(first) = self.workspace.first_mut().integrations.first_mut() {
            let token = token.into();
            match first.tokens.first_mut() {
                Some(t) => *t = token,
                None => first.tokens.push(token),
            }
        }
        self
    }

    /// Sets the emulator runtime's worker threads.
    pub fn with_worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }
}

/// Why the emulator could not start or an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Binding or starting the server failed.
    #[error("could not start the Notion emulator on {addr}: {source}")]
    Start {
        /// The address.
        addr: SocketAddr,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The workspace is invalid.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// A control operation failed.
    #[error(transparent)]
    Control(#[from] ControlError),
}

/// A running emulator. Dropping it stops the server; [`Emulator::shutdown`] also waits for it.
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<()>>,
}

impl Emulator {
    /// Starts an emulator on its own threads (so it works from any runtime, or none) and returns once
    /// it accepts connections.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        Self::start_blocking(config)
    }

    /// As [`Emulator::start`], for synchronous callers.
    pub fn start_blocking(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let spaces = spaces::Spaces::build(
            &config.workspace,
            config.seed,
            config.clock.now(),
            config.query_result_cap,
            spaces::OAuthSettings {
                auto_consent: config.oauth_auto_consent.clone(),
                token_lifetime: config.oauth_token_lifetime,
                registered: Vec::new(),
            },
        )?;
        let shared = Arc::new(Shared {
            spaces: Mutex::new(spaces),
            knobs: Mutex::new(Knobs {
                faults: faults::FaultSet::new(config.seed),
                limiter: ratelimit::Limiter::default(),
                rate_limit: config.rate_limit,
                workspace_limiter: ratelimit::Limiter::default(),
                workspace_rate_limit: config.workspace_rate_limit,
                counters: counters::Counters::default(),
            }),
            clock: config.clock.clone(),
            initial: Mutex::new(config.workspace.clone()),
            seed: config.seed,
            query_result_cap: Mutex::new(config.query_result_cap),
            webhooks: Mutex::new(webhooks::Webhooks::new(config.seed)),
            webhook_wake: tokio::sync::Notify::new(),
        });
        let (addr, stop, done) =
            server::spawn(config.listen, Arc::clone(&shared), config.worker_threads).map_err(
                |source| EmulatorError::Start {
                    addr: config.listen,
                    source,
                },
            )?;
        Ok(Self {
            shared,
            addr,
            stop: Some(stop),
            done: Some(done),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash; Notion paths start with `/v1/`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first token of the first integration of the first workspace (the demo integration's,
    /// in the demo workspace).
    pub fn demo_token(&self) -> String {
        let spaces = self.shared.spaces();
        let mut tokens: Vec<(&String, &usize)> = spaces
            .first()
            .tokens
            .iter()
            .filter(|(_, i)| **i == 0)
            .collect();
        tokens.sort();
        let wanted = self.shared.initial.lock().ok().and_then(|w| {
            w.all().first().and_then(|ws| {
                ws.integrations
                    .first()
                    .and_then(|i| i.tokens.first().cloned())
            })
        });
        wanted
            .or_else(|| tokens.first().map(|(t, _)| (*t).clone()))
            .unwrap_or_default()
    }

    /// The emulator's clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Adds a fault rule.
    pub fn set_fault(&self, rule: FaultRule) {
        self.shared.knobs().faults.rules.push(rule);
    }

    /// Removes all fault rules.
    pub fn clear_faults(&self) {
        self.shared.knobs().faults.rules.clear();
    }

    /// The active fault rules (count-limited rules disappear once used up).
    pub fn faults(&self) -> Vec<FaultRule> {
        self.shared.knobs().faults.rules.clone()
    }

    /// Sets or disables the workspace budget (and forgets its window).
    pub fn set_workspace_rate_limit(&self, limit: Option<RateLimit>) {
        let mut knobs = self.shared.knobs();
        knobs.workspace_rate_limit = limit;
        knobs.workspace_limiter.reset();
    }

    /// Sets or disables the rate limit (and forgets the current windows).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut knobs = self.shared.knobs();
        knobs.rate_limit = limit;
        knobs.limiter.reset();
    }

    /// Turns auto-consent on (`Some`, with what it consents to) or off (`None`: the consent page).
    pub fn set_oauth_auto_consent(&self, consent: Option<AutoConsent>) {
        self.shared.set_oauth_auto_consent(consent);
    }

    /// Sets the lifetime of OAuth access tokens issued from now on (`None`: never expire).
    pub fn set_oauth_token_lifetime(&self, lifetime: Option<Duration>) {
        self.shared.set_oauth_token_lifetime(lifetime);
    }

    /// Registers a public integration installable in every workspace, so a test can point one at
    /// its own callback port (kept across [`Emulator::reset`] and [`Emulator::load_workspace`]).
    pub fn register_oauth_client(
        &self,
        registration: OAuthClientRegistration,
    ) -> Result<(), EmulatorError> {
        Ok(self.shared.register_oauth_client(registration)?)
    }

    /// Answers every request of these tokens and workspaces 429 `public_api_request_blocked`
    /// (Notion: do not retry); `Blocked::default()` unblocks all. A reset unblocks too.
    pub fn set_blocked(&self, blocked: Blocked) {
        self.shared.set_blocked(blocked);
    }

    /// Sets the query result cap.
    pub fn set_query_result_cap(&self, cap: usize) {
        self.shared.set_query_result_cap(cap.max(1));
    }

    /// Requests served so far, by method, route template and status.
    pub fn request_counts(&self) -> RequestCounts {
        self.shared.knobs().counters.snapshot()
    }

    /// Zeroes the request counters.
    pub fn reset_counts(&self) {
        self.shared.knobs().counters.reset();
    }

    /// Replaces the workspace.
    pub fn load_workspace(&self, workspace: &Workspace) -> Result<(), EmulatorError> {
        Ok(self.shared.load_workspace(workspace)?)
    }

    /// Reloads the last loaded workspace; clears faults, counters and rate-limit windows.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        Ok(self.shared.reset()?)
    }

    /// A JSON overview of all databases, data sources and rows (2025-09-03 shapes, ignoring sharing).
    pub fn state(&self) -> Value {
        self.shared.state_json()
    }

    /// A page as the 2025-09-03 API renders it (ignoring sharing), or `None`. Property values are
    /// whole: unlike API page responses, long relations and people are not cut to 25.
    pub fn page(&self, id: Uuid) -> Option<Value> {
        self.shared.page_json(id)
    }

    /// One property of a page by name (the `{id, type, <type>}` object), or `None`.
    pub fn page_property(&self, id: Uuid, name: &str) -> Option<Value> {
        self.page(id)
            .and_then(|p| p.get("properties").and_then(|ps| ps.get(name)).cloned())
    }

    /// A data source as the 2025-09-03 API renders it, or `None`.
    pub fn data_source(&self, id: Uuid) -> Option<Value> {
        self.shared.data_source_json(id)
    }

    /// Writes page properties as a person in the Notion UI (API write format and validation, without
    /// the API's per-request limits: a relation or people value may hold more than 100 items).
    pub fn update_page_as_user(&self, id: Uuid, properties: Value) -> Result<Value, EmulatorError> {
        Ok(self.shared.update_page_as_user(id, &properties)?)
    }

    /// Creates a row in a data source as a person (as [`Emulator::update_page_as_user`]); returns
    /// its id.
    pub fn create_page_as_user(
        &self,
        data_source: Uuid,
        properties: Value,
    ) -> Result<Uuid, EmulatorError> {
        Ok(self.shared.create_page_as_user(data_source, &properties)?)
    }

    /// Moves a page (or database, data source, block) to the trash as a person.
    pub fn trash_page(&self, id: Uuid) -> Result<(), EmulatorError> {
        Ok(self.shared.set_trash_as_user(id, true)?)
    }

    /// Restores a page (or other object) from the trash as a person.
    pub fn restore_page(&self, id: Uuid) -> Result<(), EmulatorError> {
        Ok(self.shared.set_trash_as_user(id, false)?)
    }

    /// Edits a data source's schema as a person (body as `PATCH /v1/data_sources/{id}`).
    pub fn update_data_source_as_user(
        &self,
        id: Uuid,
        body: Value,
    ) -> Result<Value, EmulatorError> {
        Ok(self.shared.update_data_source_as_user(id, &body)?)
    }

    /// Shares an object with an integration (by name or bot id).
    pub fn share(&self, integration: &str, object: Uuid) -> Result<(), EmulatorError> {
        Ok(self.shared.set_shared(integration, object, true)?)
    }

    /// Removes a share.
    pub fn unshare(&self, integration: &str, object: Uuid) -> Result<(), EmulatorError> {
        Ok(self.shared.set_shared(integration, object, false)?)
    }

    /// Events recorded since the workspace was loaded (the webhook hook point): the first
    /// workspace's, then each other's.
    pub fn events(&self) -> Vec<Event> {
        self.shared
            .spaces()
            .list
            .iter()
            .flat_map(|s| s.events.iter().cloned())
            .collect()
    }

    /// Subscribes `spec.url` to the workspace's events (as Notion's webhooks do): queues the
    /// verification POST and returns the subscription with its verification token.
    pub fn subscribe_webhook(
        &self,
        spec: WebhookSpec,
    ) -> Result<WebhookSubscription, EmulatorError> {
        Ok(self.shared.subscribe_webhook(spec)?)
    }

    /// Every webhook subscription, with its delivery counts and latest attempts.
    pub fn webhook_subscriptions(&self) -> Vec<WebhookSubscription> {
        self.shared.webhook_subscriptions()
    }

    /// Removes a webhook subscription; false if there was none of that id.
    pub fn delete_webhook(&self, id: Uuid) -> bool {
        self.shared.delete_webhook(id)
    }

    /// Stops the server and waits for its threads to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
