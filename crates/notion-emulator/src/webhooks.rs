//! Webhook subscriptions: the emulator plays Notion's webhook emitter. A subscription gets a
//! verification POST (`{"verification_token": …}`, unsigned), then every event of the workspace
//! its integration can see, in the envelope Notion sends, signed `X-Notion-Signature:
//! sha256=<hex>` (HMAC-SHA256 of the raw body keyed by the verification token).
//!
//! Realism is opt-in per subscription: an aggregation window for `page.properties_updated` (one
//! event per page with the union of `updated_properties`), a delivery delay, out-of-order
//! delivery (a random extra delay per event), a drop rate, and retries with an incrementing
//! `attempt_number` (up to 8, doubling back-off) while the receiver answers non-2xx. Without
//! knobs a subscription delivers at once, in order, without drops.
//!
//! Delays are measured on the emulator's clock, so a test with a frozen clock moves deliveries on
//! by advancing it.

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use notion_workspace::model::{Event, Parent, State};
use notion_workspace::util::SplitMix;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::control::ControlError;
use crate::server::Shared;

/// Notion retries a delivery up to 8 times in all.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 8;
/// How many delivery attempts a subscription remembers (the newest).
const DELIVERY_LOG: usize = 500;
/// While subscriptions exist, how often the emitter looks for new events and due deliveries when
/// nothing woke it (edits through the Rust API do not wake it).
const TICK: Duration = Duration::from_millis(20);

fn default_attempts() -> u32 {
    MAX_DELIVERY_ATTEMPTS
}

fn default_backoff() -> u64 {
    1000
}

/// What `POST /__emulator/webhooks` takes (and [`crate::Emulator::subscribe_webhook`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// Where events go (`http://` or `https://`; loopback is fine here, unlike Notion).
    pub url: String,
    /// Only these event types (default: all).
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// The verification token (default: a fresh `secret_…`).
    #[serde(default)]
    pub verification_token: Option<String>,
    /// The integration whose subscription it is, by name or bot id (default: the first
    /// integration of the first workspace). Only what it can see produces events.
    #[serde(default)]
    pub integration: Option<String>,
    /// `api_version` of the envelopes (default `2025-09-03`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Aggregation window for `page.properties_updated`, in ms (default 0: none).
    #[serde(default)]
    pub aggregation_window_ms: u64,
    /// Delay before each delivery, in ms (default 0).
    #[serde(default)]
    pub delay_ms: u64,
    /// Up to this many ms of random extra delay per event, so events close together arrive in
    /// any order (default 0: in order).
    #[serde(default)]
    pub out_of_order_ms: u64,
    /// Share of events never delivered, 0 to 1 (default 0).
    #[serde(default)]
    pub drop_rate: f64,
    /// Delivery attempts per event while the receiver answers non-2xx, 1 to 8 (default 8).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in ms; it doubles for each further one (default 1000).
    #[serde(default = "default_backoff")]
    pub retry_backoff_ms: u64,
}

impl WebhookSpec {
    /// A subscription to `url` without realism knobs: at once, in order, no drops, 8 attempts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            event_types: None,
            verification_token: None,
            integration: None,
            api_version: None,
            aggregation_window_ms: 0,
            delay_ms: 0,
            out_of_order_ms: 0,
            drop_rate: 0.0,
            max_attempts: MAX_DELIVERY_ATTEMPTS,
            retry_backoff_ms: default_backoff(),
        }
    }

    fn validate(&self) -> Result<(), ControlError> {
        let bad = |message: String| ControlError::Rejected {
            code: "validation_error".into(),
            message,
        };
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(bad(format!(
                "url {:?} is not an http:// or https:// URL",
                self.url
            )));
        }
        if !(0.0..=1.0).contains(&self.drop_rate) {
            return Err(bad(format!(
                "drop_rate {} is not between 0 and 1",
                self.drop_rate
            )));
        }
        if !(1..=MAX_DELIVERY_ATTEMPTS).contains(&self.max_attempts) {
            return Err(bad(format!(
                "max_attempts {} is not between 1 and {MAX_DELIVERY_ATTEMPTS} (Notion's limit)",
                self.max_attempts
            )));
        }
        if self.verification_token.as_deref() == Some("") {
            return Err(bad("verification_token is empty".into()));
        }
        Ok(())
    }
}

/// One delivery attempt, as the subscription's log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// The event id (`None` for the verification POST).
    pub event_id: Option<Uuid>,
    /// The event type (`verification` for the verification POST).
    pub event_type: String,
    /// Its `attempt_number`.
    pub attempt_number: u32,
    /// The receiver's HTTP status (0: no answer).
    pub status: u16,
}

/// Counts of one subscription's deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStats {
    /// Events answered 2xx.
    pub delivered: u64,
    /// Every POST made, verification and retries included.
    pub attempts: u64,
    /// Events dropped on purpose (`drop_rate`).
    pub dropped: u64,
    /// Events given up after `max_attempts` non-2xx answers.
    pub given_up: u64,
    /// Events waiting (aggregating, delayed or between retries).
    pub pending: u64,
}

/// A subscription as the control API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSubscription {
    /// Its id (the envelopes' `subscription_id`).
    pub id: Uuid,
    /// The workspace it belongs to.
    pub workspace_id: Uuid,
    /// The integration (bot id; the envelopes' `integration_id`).
    pub integration_id: Uuid,
    /// The token events are signed with.
    pub verification_token: String,
    /// What it was made with (the token filled in).
    #[serde(flatten)]
    pub spec: WebhookSpec,
    /// Delivery counts.
    pub stats: DeliveryStats,
    /// The latest delivery attempts, oldest first.
    pub deliveries: Vec<DeliveryAttempt>,
}

enum Body {
    Verification,
    /// The envelope without `attempt_number` (set per attempt).
    Event(Map<String, Value>),
}

struct Pending {
    seq: u64,
    due: Timestamp,
    attempt: u32,
    /// Still taking in `page.properties_updated` events of its page.
    aggregating: bool,
    body: Body,
}

struct Sub {
    info: WebhookSubscription,
    space: usize,
    integration: usize,
    queue: Vec<Pending>,
    in_flight: bool,
}

/// Every subscription and the emitter's place in each workspace's event log.
pub(crate) struct Webhooks {
    subs: Vec<Sub>,
    /// Per workspace index: how many of its events the emitter has read.
    seen: Vec<u64>,
    rng: SplitMix,
    seq: u64,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("subscriptions", &self.subs.len())
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            subs: Vec::new(),
            seen: Vec::new(),
            rng: SplitMix::new(seed ^ 0x00B0_0C5E_ED00),
            seq: 0,
        }
    }

    /// Forgets the place in the event logs (the workspaces were rebuilt); subscriptions stay.
    pub(crate) fn workspaces_replaced(&mut self) {
        self.seen.clear();
        for sub in &mut self.subs {
            sub.queue.retain(|p| matches!(p.body, Body::Verification));
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

impl Shared {
    pub(crate) fn webhooks(&self) -> MutexGuard<'_, Webhooks> {
        self.webhooks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a subscription and queues its verification POST.
    pub(crate) fn subscribe_webhook(
        &self,
        mut spec: WebhookSpec,
    ) -> Result<WebhookSubscription, ControlError> {
        spec.validate()?;
        let spaces = self.spaces();
        let (space, integration) = match spec.integration.as_deref() {
            None => (0, 0),
            Some(wanted) => spaces
                .list
                .iter()
                .enumerate()
                .find_map(|(s, state)| {
                    state
                        .integrations
                        .iter()
                        .position(|i| {
                            i.name == wanted || Uuid::parse_str(wanted).is_ok_and(|id| id == i.id)
                        })
                        .map(|i| (s, i))
                })
                .ok_or_else(|| ControlError::NotFound(format!("integration {wanted}")))?,
        };
        let state = spaces
            .list
            .get(space)
            .filter(|s| s.integrations.len() > integration)
            .ok_or_else(|| ControlError::NotFound("an integration to subscribe".into()))?;
        let mut hooks = self.webhooks();
        // Events before the subscription are not its own: read the logs up to now first.
        collect_locked(&spaces.list, &mut hooks, self.clock.now());
        let token = match spec.verification_token.clone() {
            Some(t) => t,
            None => format!("secret_{}", hooks.rng.token(43)),
        };
        spec.verification_token = Some(token.clone());
        if spec.api_version.is_none() {
            spec.api_version = Some("2025-09-03".into());
        }
        let info = WebhookSubscription {
            id: hooks.rng.uuid(),
            workspace_id: state.workspace_id,
            integration_id: state.integrations[integration].id,
            verification_token: token,
            spec,
            stats: DeliveryStats::default(),
            deliveries: Vec::new(),
        };
        let seq = hooks.next_seq();
        hooks.subs.push(Sub {
            info: info.clone(),
            space,
            integration,
            queue: vec![Pending {
                seq,
                due: self.clock.now(),
                attempt: 1,
                aggregating: false,
                body: Body::Verification,
            }],
            in_flight: false,
        });
        drop(hooks);
        drop(spaces);
        self.webhook_wake.notify_one();
        Ok(info)
    }

    /// Every subscription, with its counts and latest deliveries.
    pub(crate) fn webhook_subscriptions(&self) -> Vec<WebhookSubscription> {
        self.webhooks().subs.iter().map(snapshot).collect()
    }

    /// Removes a subscription (its pending deliveries are forgotten); false if there was none.
    pub(crate) fn delete_webhook(&self, id: Uuid) -> bool {
        let mut hooks = self.webhooks();
        let before = hooks.subs.len();
        hooks.subs.retain(|s| s.info.id != id);
        hooks.subs.len() != before
    }

    /// Removes every subscription.
    pub(crate) fn delete_all_webhooks(&self) {
        self.webhooks().subs.clear();
    }

    /// Sends the verification POST again (Notion's "Resend token").
    pub(crate) fn resend_verification(&self, id: Uuid) -> Result<(), ControlError> {
        let now = self.clock.now();
        let mut hooks = self.webhooks();
        let seq = hooks.next_seq();
        let sub = hooks
            .subs
            .iter_mut()
            .find(|s| s.info.id == id)
            .ok_or_else(|| ControlError::NotFound(format!("webhook subscription {id}")))?;
        sub.queue.push(Pending {
            seq,
            due: now,
            attempt: 1,
            aggregating: false,
            body: Body::Verification,
        });
        drop(hooks);
        self.webhook_wake.notify_one();
        Ok(())
    }
}

fn snapshot(sub: &Sub) -> WebhookSubscription {
    let mut info = sub.info.clone();
    info.stats.pending = sub.queue.len() as u64;
    info
}

/// The emitter: runs on the emulator's runtime until it stops.
pub(crate) async fn run(shared: Arc<Shared>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhook emitter disabled: no HTTP client: {e}");
            return;
        }
    };
    loop {
        let any = {
            let spaces = shared.spaces();
            let mut hooks = shared.webhooks();
            collect_locked(&spaces.list, &mut hooks, shared.clock.now());
            drop(spaces);
            dispatch_due(&shared, &mut hooks, &client);
            !hooks.subs.is_empty()
        };
        if any {
            tokio::select! {
                () = shared.webhook_wake.notified() => {}
                () = tokio::time::sleep(TICK) => {}
            }
        } else {
            shared.webhook_wake.notified().await;
        }
    }
}

/// Reads the events emitted since the last look and queues them for the subscriptions that see
/// them.
fn collect_locked(list: &[State], hooks: &mut Webhooks, now: Timestamp) {
    if hooks.seen.len() < list.len() {
        hooks.seen.resize(list.len(), 0);
    }
    for (space, state) in list.iter().enumerate() {
        let seen = hooks.seen[space];
        if state.emitted <= seen {
            hooks.seen[space] = state.emitted;
            continue;
        }
        let events: Vec<Event> = state.events_since(seen).cloned().collect();
        hooks.seen[space] = state.emitted;
        for event in &events {
            enqueue(hooks, space, state, event, now);
        }
    }
}

/// The facts of one model event an envelope needs.
struct Facts {
    event_type: &'static str,
    entity_id: Uuid,
    entity_type: &'static str,
    author: Uuid,
    timestamp: String,
    data: Value,
    /// The object whose visibility decides whether the integration hears of it.
    visible: Uuid,
}

fn page_parent(state: &State, page: Uuid) -> Value {
    match state.pages.get(&page).map(|p| p.parent) {
        Some(Parent::DataSource(ds)) => {
            let db = state.data_sources.get(&ds).map(|d| d.database_id);
            json!({"id": db, "type": "database", "data_source_id": ds})
        }
        Some(Parent::Page(id)) => json!({"id": id, "type": "page"}),
        Some(Parent::Block(id)) => json!({"id": id, "type": "block"}),
        Some(Parent::Workspace) | None => json!({"id": state.workspace_id, "type": "space"}),
    }
}

fn facts(state: &State, event: &Event) -> Facts {
    let page = |event_type, page_id: Uuid, author, timestamp: &String, extra: Option<Value>| {
        let mut data = json!({"parent": page_parent(state, page_id)});
        if let Some(props) = extra {
            data["updated_properties"] = props;
        }
        Facts {
            event_type,
            entity_id: page_id,
            entity_type: "page",
            author,
            timestamp: timestamp.clone(),
            data,
            visible: page_id,
        }
    };
    match event {
        Event::PageCreated {
            page_id,
            author,
            timestamp,
        } => page("page.created", *page_id, *author, timestamp, None),
        Event::PagePropertiesUpdated {
            page_id,
            updated_properties,
            author,
            timestamp,
        } => page(
            "page.properties_updated",
            *page_id,
            *author,
            timestamp,
            Some(json!(updated_properties)),
        ),
        Event::PageDeleted {
            page_id,
            author,
            timestamp,
        } => page("page.deleted", *page_id, *author, timestamp, None),
        Event::PageUndeleted {
            page_id,
            author,
            timestamp,
        } => page("page.undeleted", *page_id, *author, timestamp, None),
        Event::DataSourceSchemaUpdated {
            data_source_id,
            author,
            timestamp,
        } => {
            let db = state
                .data_sources
                .get(data_source_id)
                .map(|d| d.database_id);
            Facts {
                event_type: "data_source.schema_updated",
                entity_id: *data_source_id,
                entity_type: "data_source",
                author: *author,
                timestamp: timestamp.clone(),
                // The model does not say which properties changed.
                data: json!({"parent": {"id": db, "type": "database"}, "updated_properties": []}),
                visible: *data_source_id,
            }
        }
        Event::CommentCreated {
            comment_id,
            parent_id,
            author,
            timestamp,
        } => Facts {
            event_type: "comment.created",
            entity_id: *comment_id,
            entity_type: "comment",
            author: *author,
            timestamp: timestamp.clone(),
            data: json!({"parent": {"id": parent_id, "type": "page"}, "page_id": parent_id}),
            visible: *parent_id,
        },
    }
}

/// Notion's timestamps have milliseconds.
fn notion_time(raw: &str) -> String {
    raw.parse::<Timestamp>()
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|_| raw.to_owned())
}

fn after_ms(now: Timestamp, ms: u64) -> Timestamp {
    now.checked_add(SignedDuration::from_millis(
        i64::try_from(ms).unwrap_or(i64::MAX),
    ))
    .unwrap_or(now)
}

fn enqueue(hooks: &mut Webhooks, space: usize, state: &State, event: &Event, now: Timestamp) {
    let f = facts(state, event);
    let author_type = if state.integrations.iter().any(|i| i.id == f.author) {
        "bot"
    } else {
        "person"
    };
    let author = json!({"id": f.author, "type": author_type});
    for i in 0..hooks.subs.len() {
        let sub = &hooks.subs[i];
        if sub.space != space || !state.can_see(sub.integration, f.visible) {
            continue;
        }
        if let Some(types) = &sub.info.spec.event_types
            && !types.iter().any(|t| t == f.event_type)
        {
            continue;
        }
        let window = sub.info.spec.aggregation_window_ms;
        if window > 0 && f.event_type == "page.properties_updated" {
            let sub = &mut hooks.subs[i];
            let open = sub.queue.iter_mut().find(|p| {
                p.aggregating
                    && matches!(&p.body, Body::Event(e)
                        if e["entity"]["id"] == json!(f.entity_id) && e["type"] == f.event_type)
            });
            if let Some(Pending {
                body: Body::Event(e),
                ..
            }) = open
            {
                merge(e, &f, &author);
                continue;
            }
        }
        let (delay, jitter, drop_rate) = {
            let spec = &hooks.subs[i].info.spec;
            (spec.delay_ms, spec.out_of_order_ms, spec.drop_rate)
        };
        if drop_rate > 0.0 && hooks.rng.next_f64() < drop_rate {
            hooks.subs[i].info.stats.dropped += 1;
            continue;
        }
        let extra = if jitter > 0 {
            (hooks.rng.next_f64() * jitter as f64) as u64
        } else {
            0
        };
        let aggregating = window > 0 && f.event_type == "page.properties_updated";
        // From the change, not from when the emitter noticed it: a window closes on time.
        let at = f.timestamp.parse::<Timestamp>().unwrap_or(now);
        let due = after_ms(at, if aggregating { window } else { 0 } + delay + extra);
        let id = hooks.rng.uuid();
        let seq = hooks.next_seq();
        let sub = &mut hooks.subs[i];
        let envelope = json!({
            "id": id,
            "timestamp": notion_time(&f.timestamp),
            "workspace_id": state.workspace_id,
            "workspace_name": state.workspace_name,
            "subscription_id": sub.info.id,
            "integration_id": sub.info.integration_id,
            "type": f.event_type,
            "authors": [author.clone()],
            "api_version": sub.info.spec.api_version,
            "entity": {"id": f.entity_id, "type": f.entity_type},
            "data": f.data.clone(),
        });
        let Value::Object(envelope) = envelope else {
            continue;
        };
        sub.queue.push(Pending {
            seq,
            due,
            attempt: 1,
            aggregating,
            body: Body::Event(envelope),
        });
    }
}

/// Folds another `page.properties_updated` into an aggregating one: the union of the property
/// ids, every author once, the latest timestamp.
fn merge(envelope: &mut Map<String, Value>, f: &Facts, author: &Value) {
    if let Some(props) = envelope
        .get_mut("data")
        .and_then(|d| d.get_mut("updated_properties"))
        .and_then(Value::as_array_mut)
        && let Some(new) = f.data["updated_properties"].as_array()
    {
        for p in new {
            if !props.contains(p) {
                props.push(p.clone());
            }
        }
    }
    if let Some(authors) = envelope.get_mut("authors").and_then(Value::as_array_mut)
        && !authors.contains(author)
    {
        authors.push(author.clone());
    }
    envelope.insert("timestamp".into(), Value::String(notion_time(&f.timestamp)));
    envelope.insert("data".into(), {
        let mut data = f.data.clone();
        data["updated_properties"] = envelope["data"]["updated_properties"].clone();
        data
    });
}

/// Starts a sender for each idle subscription with deliveries due.
fn dispatch_due(shared: &Arc<Shared>, hooks: &mut Webhooks, client: &reqwest::Client) {
    let now = shared.clock.now();
    for sub in &mut hooks.subs {
        if sub.in_flight {
            continue;
        }
        let mut due: Vec<Pending> = Vec::new();
        let mut i = 0;
        while i < sub.queue.len() {
            if sub.queue[i].due <= now {
                due.push(sub.queue.swap_remove(i));
            } else {
                i += 1;
            }
        }
        if due.is_empty() {
            continue;
        }
        due.sort_by_key(|p| (p.due, p.seq));
        sub.in_flight = true;
        let target = Target {
            id: sub.info.id,
            url: sub.info.spec.url.clone(),
            token: sub.info.verification_token.clone(),
            max_attempts: sub.info.spec.max_attempts,
            backoff_ms: sub.info.spec.retry_backoff_ms,
        };
        tokio::spawn(send_all(Arc::clone(shared), client.clone(), target, due));
    }
}

struct Target {
    id: Uuid,
    url: String,
    token: String,
    max_attempts: u32,
    backoff_ms: u64,
}

/// HMAC-SHA256 of the raw body keyed by the token, as Notion's header carries it. Written here
/// rather than taken from the receiver's crate, so a test of the two together catches a misreading
/// in either.
fn signature(token: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(token.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends one subscription's due deliveries in order, one at a time, and records each answer.
async fn send_all(shared: Arc<Shared>, client: reqwest::Client, target: Target, due: Vec<Pending>) {
    for mut pending in due {
        let (bytes, event_id, event_type, signed) = match &mut pending.body {
            Body::Verification => (
                serde_json::to_vec(&json!({"verification_token": target.token}))
                    .unwrap_or_default(),
                None,
                "verification".to_owned(),
                false,
            ),
            Body::Event(envelope) => {
                envelope.insert("attempt_number".into(), json!(pending.attempt));
                let id = envelope
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok());
                let t = envelope
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                (
                    serde_json::to_vec(&*envelope).unwrap_or_default(),
                    id,
                    t,
                    true,
                )
            }
        };
        let mut request = client
            .post(&target.url)
            .header("content-type", "application/json")
            .header("user-agent", "notion-api");
        if signed {
            request = request.header("x-notion-signature", signature(&target.token, &bytes));
        }
        let status = match request.body(bytes).send().await {
            Ok(resp) => resp.status().as_u16(),
            Err(_) => 0,
        };
        let ok = (200..300).contains(&status);
        let now = shared.clock.now();
        let mut hooks = shared.webhooks();
        let seq = hooks.next_seq();
        let Some(sub) = hooks.subs.iter_mut().find(|s| s.info.id == target.id) else {
            return;
        };
        sub.info.stats.attempts += 1;
        if sub.info.deliveries.len() >= DELIVERY_LOG {
            sub.info.deliveries.remove(0);
        }
        sub.info.deliveries.push(DeliveryAttempt {
            event_id,
            event_type,
            attempt_number: pending.attempt,
            status,
        });
        let is_event = matches!(pending.body, Body::Event(_));
        if ok {
            if is_event {
                sub.info.stats.delivered += 1;
            }
        } else if is_event && pending.attempt < target.max_attempts {
            let wait = target
                .backoff_ms
                .saturating_mul(1u64 << (pending.attempt - 1).min(20));
            pending.due = after_ms(now, wait);
            pending.attempt += 1;
            pending.seq = seq;
            pending.aggregating = false;
            sub.queue.push(pending);
        } else if is_event {
            sub.info.stats.given_up += 1;
        }
    }
    let mut hooks = shared.webhooks();
    if let Some(sub) = hooks.subs.iter_mut().find(|s| s.info.id == target.id) {
        sub.in_flight = false;
    }
    drop(hooks);
    shared.webhook_wake.notify_one();
}
