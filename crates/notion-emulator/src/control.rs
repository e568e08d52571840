//! The control API under `/__emulator/` (not a Notion route): workspace, clock, faults, rate limit,
//! counters, events, and edits "as a human in the Notion UI". Also the read-only HTML view.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use notion_workspace::model::{Actor, Parent, State};
use notion_workspace::util::{fmt_id, parse_id};
use notion_workspace::{ApiError, ApiVersion, Workspace, WorkspaceError, ops, render};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

use crate::faults::FaultRule;
use crate::html;
use crate::ratelimit::RateLimit;
use crate::server::{Outcome, Shared};
use crate::spaces::{AutoConsent, Blocked, OAuthClientRegistration, Spaces};

/// Why a control operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No such page, data source or integration.
    #[error("not found: {0}")]
    NotFound(String),
    /// The edit was refused, with Notion's code and message (e.g. `validation_error`).
    #[error("{code}: {message}")]
    Rejected {
        /// Notion error code.
        code: String,
        /// Notion error message.
        message: String,
    },
    /// The workspace could not be loaded.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

impl From<ApiError> for ControlError {
    fn from(e: ApiError) -> Self {
        Self::Rejected {
            code: e.code,
            message: e.message,
        }
    }
}

impl Shared {
    /// Replaces the workspace (and makes it the one `reset` returns to).
    pub(crate) fn load_workspace(&self, ws: &Workspace) -> Result<(), ControlError> {
        let cap = *self
            .query_result_cap
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut spaces = self.spaces();
        // OAuth settings and clients registered at run time outlive a reload.
        let settings = spaces.oauth.settings.clone();
        *spaces = Spaces::build(ws, self.seed, self.clock.now(), cap, settings)?;
        self.webhooks().workspaces_replaced();
        drop(spaces);
        *self
            .initial
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = ws.clone();
        Ok(())
    }

    /// Reloads the initial workspace and clears faults, counters and rate-limit windows.
    pub(crate) fn reset(&self) -> Result<(), ControlError> {
        let ws = self
            .initial
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        self.load_workspace(&ws)?;
        let mut knobs = self.knobs();
        knobs.faults.rules.clear();
        knobs.faults.reseed(self.seed);
        knobs.counters.reset();
        knobs.limiter.reset();
        knobs.workspace_limiter.reset();
        Ok(())
    }

    pub(crate) fn set_query_result_cap(&self, cap: usize) {
        *self
            .query_result_cap
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = cap;
        for state in &mut self.spaces().list {
            state.query_result_cap = cap;
        }
    }

    /// Registers a public integration installable in every workspace (kept across reloads).
    pub(crate) fn register_oauth_client(
        &self,
        reg: OAuthClientRegistration,
    ) -> Result<(), ControlError> {
        let mut spaces = self.spaces();
        spaces
            .install(&reg)
            .map_err(|message| ControlError::Rejected {
                code: "validation_error".to_owned(),
                message,
            })?;
        spaces.oauth.settings.registered.push(reg);
        Ok(())
    }

    /// Turns auto-consent on (with what it consents to) or off.
    pub(crate) fn set_oauth_auto_consent(&self, auto: Option<AutoConsent>) {
        self.spaces().oauth.settings.auto_consent = auto;
    }

    /// Sets the lifetime of access tokens issued from now on (`None`: they never expire).
    pub(crate) fn set_oauth_token_lifetime(&self, lifetime: Option<Duration>) {
        self.spaces().oauth.settings.token_lifetime = lifetime;
    }

    /// Replaces the set of blocked tokens and workspaces.
    pub(crate) fn set_blocked(&self, blocked: Blocked) {
        self.spaces().blocked = blocked;
    }

    /// The served workspaces: id, name and integrations (bot id, name).
    pub(crate) fn workspaces_json(&self) -> Value {
        let spaces = self.spaces();
        let list: Vec<Value> = spaces
            .list
            .iter()
            .map(|s| {
                json!({
                    "id": fmt_id(s.workspace_id),
                    "name": s.workspace_name,
                    "integrations": s.integrations.iter().map(|i| json!({
                        "id": fmt_id(i.id), "name": i.name, "all_access": i.all_access,
                        "shared": i.shared.iter().map(|id| fmt_id(*id)).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"workspaces": list})
    }

    /// The public integrations (without secrets) and the workspaces each is installable in.
    pub(crate) fn oauth_clients_json(&self) -> Value {
        let spaces = self.spaces();
        let clients: Vec<Value> = spaces
            .oauth
            .apps
            .iter()
            .map(|a| {
                json!({
                    "client_id": a.client_id,
                    "name": a.name,
                    "redirect_uris": a.redirect_uris,
                    "installs": a.installs.iter().map(|(w, i)| json!({
                        "workspace_id": fmt_id(spaces.list[*w].workspace_id),
                        "bot_id": fmt_id(spaces.list[*w].integrations[*i].id),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"clients": clients})
    }

    fn human(state: &State) -> Actor {
        Actor::Human(state.human())
    }

    pub(crate) fn page_json(&self, id: Uuid) -> Option<Value> {
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(id);
        state
            .pages
            .get(&id)
            .map(|p| render::page_whole(state, p, ApiVersion::V2025_09_03))
    }

    pub(crate) fn data_source_json(&self, id: Uuid) -> Option<Value> {
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(id);
        state
            .data_sources
            .get(&id)
            .map(|d| render::data_source(state, d, ApiVersion::V2025_09_03))
    }

    /// Writes page properties as a person would in the UI (the API's validation, without its
    /// per-request limits: relations and people may exceed 100).
    pub(crate) fn update_page_as_user(
        &self,
        id: Uuid,
        properties: &Value,
    ) -> Result<Value, ControlError> {
        let now = self.clock.now();
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(id);
        if !state.pages.contains_key(&id) {
            return Err(ControlError::NotFound(format!("page {id}")));
        }
        let actor = Self::human(state);
        ops::update_page_props(state, actor, now, id, properties)?;
        Ok(render::page_whole(
            state,
            &state.pages[&id],
            ApiVersion::V2025_09_03,
        ))
    }

    /// Creates a row in a data source as a person.
    pub(crate) fn create_page_as_user(
        &self,
        data_source: Uuid,
        properties: &Value,
    ) -> Result<Uuid, ControlError> {
        let now = self.clock.now();
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(data_source);
        if !state.data_sources.contains_key(&data_source) {
            return Err(ControlError::NotFound(format!("data source {data_source}")));
        }
        let actor = Self::human(state);
        Ok(ops::create_page(
            state,
            actor,
            now,
            ops::NewPage {
                id: None,
                parent: Parent::DataSource(data_source),
                properties,
                icon: Value::Null,
                cover: Value::Null,
                children: None,
                created_time: None,
                last_edited_time: None,
                in_trash: false,
                loading: false,
            },
        )?)
    }

    /// Trashes or restores any object as a person.
    pub(crate) fn set_trash_as_user(&self, id: Uuid, trash: bool) -> Result<(), ControlError> {
        let now = self.clock.now();
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(id);
        let actor = Self::human(state);
        if ops::set_trash(state, actor, now, id, trash) {
            Ok(())
        } else {
            Err(ControlError::NotFound(format!("object {id}")))
        }
    }

    /// Edits a data source's schema as a person (e.g. add a status option).
    pub(crate) fn update_data_source_as_user(
        &self,
        id: Uuid,
        body: &Value,
    ) -> Result<Value, ControlError> {
        let now = self.clock.now();
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(id);
        if !state.data_sources.contains_key(&id) {
            return Err(ControlError::NotFound(format!("data source {id}")));
        }
        let actor = Self::human(state);
        let obj = body.as_object().cloned().unwrap_or_default();
        ops::update_data_source(state, actor, now, id, &obj)?;
        Ok(render::data_source(
            state,
            &state.data_sources[&id],
            ApiVersion::V2025_09_03,
        ))
    }

    /// Shares (or unshares) an object with an integration, by integration name or bot id.
    pub(crate) fn set_shared(
        &self,
        integration: &str,
        object: Uuid,
        shared: bool,
    ) -> Result<(), ControlError> {
        // The integration of that name in the workspace holding the object (names repeat across
        // workspaces: the OAuth demo app is installed in both demo workspaces).
        let mut spaces = self.spaces();
        let state = spaces.holding_or_first(object);
        let idx = state
            .integrations
            .iter()
            .position(|i| i.name == integration || fmt_id(i.id) == integration)
            .ok_or_else(|| ControlError::NotFound(format!("integration {integration}")))?;
        let set = &mut state.integrations[idx].shared;
        if shared {
            set.insert(object);
        } else {
            set.remove(&object);
        }
        Ok(())
    }

    /// A JSON overview of every database, data source and row (2025-09-03 shapes).
    pub(crate) fn state_json(&self) -> Value {
        let spaces = self.spaces();
        let mut out = Self::workspace_state_json(spaces.first());
        out["workspaces"] =
            Value::Array(spaces.list.iter().map(Self::workspace_state_json).collect());
        out
    }

    fn workspace_state_json(state: &State) -> Value {
        let v = ApiVersion::V2025_09_03;
        let mut dbs: Vec<_> = state.databases.values().collect();
        dbs.sort_by_key(|d| d.seq);
        let databases: Vec<Value> = dbs
            .iter()
            .map(|db| {
                let sources: Vec<Value> = db
                    .data_sources
                    .iter()
                    .filter_map(|id| state.data_sources.get(id))
                    .map(|ds| {
                        let mut out = render::data_source(state, ds, v);
                        out["pages"] = Value::Array(
                            ds.pages
                                .iter()
                                .filter_map(|p| state.pages.get(p))
                                .map(|p| render::page_whole(state, p, v))
                                .collect(),
                        );
                        out
                    })
                    .collect();
                let mut out = render::database(state, db, v);
                out["data_sources"] = Value::Array(sources);
                out
            })
            .collect();
        json!({"workspace_id": state.workspace_id, "workspace_name": state.workspace_name, "databases": databases})
    }
}

fn ok(v: Value) -> Outcome {
    Outcome::json(200, v, uuid::Uuid::new_v4().to_string())
}

fn err(status: u16, message: impl Into<String>) -> Outcome {
    Outcome::json(
        status,
        json!({"error": message.into()}),
        uuid::Uuid::new_v4().to_string(),
    )
}

fn control_err(e: ControlError) -> Outcome {
    match e {
        ControlError::NotFound(m) => err(404, format!("not found: {m}")),
        ControlError::Rejected { code, message } => Outcome::json(
            400,
            json!({"error": message, "code": code}),
            uuid::Uuid::new_v4().to_string(),
        ),
        ControlError::Workspace(w) => err(400, w.to_string()),
    }
}

fn json_body(body: &[u8]) -> Result<Value, Outcome> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| err(400, format!("invalid JSON body: {e}")))
}

fn id_param(raw: &str) -> Result<Uuid, Outcome> {
    parse_id(raw).ok_or_else(|| err(400, format!("{raw:?} is not a UUID")))
}

fn clock_json(shared: &Shared) -> Value {
    json!({"now": shared.clock.now().to_string(), "frozen": shared.clock.is_frozen()})
}

/// Handles a control request.
pub(crate) fn handle(
    shared: &Arc<Shared>,
    method: &str,
    path: &str,
    _query: &[(String, String)],
    body: &[u8],
) -> Outcome {
    match route(shared, method, path, body) {
        Ok(o) | Err(o) => o,
    }
}

fn route(shared: &Arc<Shared>, method: &str, path: &str, body: &[u8]) -> Result<Outcome, Outcome> {
    let rest = path.trim_start_matches("/__emulator").trim_matches('/');
    let segs: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    Ok(match (method, segs.as_slice()) {
        ("GET", []) => Outcome::html(html::render(&shared.spaces().list)),
        ("GET", ["workspaces"]) => ok(shared.workspaces_json()),
        ("GET", ["oauth", "clients"]) => ok(shared.oauth_clients_json()),
        ("POST", ["oauth", "clients"]) => {
            let reg: OAuthClientRegistration = serde_json::from_slice(body).map_err(|e| {
                err(
                    400,
                    format!(
                        "oauth client is not valid: {e}; send {{\"client_id\", \"client_secret\", \"redirect_uris\": [...], \"name\"?}}"
                    ),
                )
            })?;
            shared
                .register_oauth_client(reg.clone())
                .map_err(control_err)?;
            Outcome::json(
                201,
                json!({"client_id": reg.client_id, "redirect_uris": reg.redirect_uris,
                       "name": reg.name.unwrap_or(reg.client_id.clone())}),
                uuid::Uuid::new_v4().to_string(),
            )
        }
        ("GET", ["oauth", "auto_consent"]) => ok(json!({
            "auto_consent": shared.spaces().oauth.settings.auto_consent
        })),
        ("POST" | "PUT", ["oauth", "auto_consent"]) => {
            let b = json_body(body)?;
            let auto = if b.get("off").and_then(Value::as_bool) == Some(true) {
                None
            } else {
                Some(serde_json::from_value::<AutoConsent>(b).map_err(|e| {
                    err(
                        400,
                        format!(
                            "auto-consent is not valid: {e}; send {{\"workspace_id\"?, \"share\": [ids]}} or {{\"off\": true}}"
                        ),
                    )
                })?)
            };
            shared.set_oauth_auto_consent(auto.clone());
            ok(json!({"auto_consent": auto}))
        }
        ("GET", ["oauth", "token_lifetime"]) => ok(json!({
            "secs": shared.spaces().oauth.settings.token_lifetime.map(|d| d.as_secs())
        })),
        ("POST" | "PUT", ["oauth", "token_lifetime"]) => {
            let b = json_body(body)?;
            let lifetime = if b.get("off").and_then(Value::as_bool) == Some(true) {
                None
            } else {
                let secs = b.get("secs").and_then(Value::as_u64).filter(|s| *s > 0).ok_or_else(|| {
                    err(400, "send {\"secs\": 3600} (a positive number of seconds) or {\"off\": true}")
                })?;
                Some(Duration::from_secs(secs))
            };
            shared.set_oauth_token_lifetime(lifetime);
            ok(json!({"secs": lifetime.map(|d| d.as_secs())}))
        }
        ("GET", ["blocked"]) => ok(json!(shared.spaces().blocked)),
        ("POST" | "PUT", ["blocked"]) => {
            let b = json_body(body)?;
            let blocked: Blocked = serde_json::from_value(b).map_err(|e| {
                err(
                    400,
                    format!(
                        "blocked is not valid: {e}; send {{\"tokens\": [...], \"workspace_ids\": [...]}}"
                    ),
                )
            })?;
            shared.set_blocked(blocked.clone());
            ok(json!(blocked))
        }
        ("DELETE", ["blocked"]) => {
            shared.set_blocked(Blocked::default());
            ok(json!(Blocked::default()))
        }
        ("GET", ["health"]) => ok(json!({"ok": true})),
        ("GET", ["state"]) => ok(shared.state_json()),
        ("POST" | "PUT", ["workspace"]) => {
            let ws: Workspace = serde_json::from_slice(body)
                .map_err(|e| err(400, format!("workspace file is not valid: {e}")))?;
            shared.load_workspace(&ws).map_err(control_err)?;
            ok(json!({"loaded": true}))
        }
        ("POST", ["reset"]) => {
            shared.reset().map_err(control_err)?;
            ok(json!({"reset": true}))
        }
        ("GET", ["clock"]) => ok(clock_json(shared)),
        ("POST", ["clock"]) => {
            let b = json_body(body)?;
            if let Some(f) = b.get("freeze").and_then(Value::as_bool) {
                if f {
                    shared.clock.freeze()
                } else {
                    shared.clock.resume()
                }
            }
            if let Some(set) = b.get("set") {
                let ts: Timestamp = set.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    err(
                        400,
                        "clock.set must be an RFC 3339 timestamp, e.g. 2026-05-01T10:00:00Z",
                    )
                })?;
                shared.clock.set(ts);
            }
            if let Some(secs) = b.get("advance_secs") {
                let secs = secs
                    .as_f64()
                    .ok_or_else(|| err(400, "advance_secs must be a number of seconds"))?;
                shared.clock.advance(SignedDuration::from_secs_f64(secs));
            }
            ok(clock_json(shared))
        }
        ("GET", ["faults"]) => ok(json!({"faults": shared.knobs().faults.rules})),
        ("POST", ["faults"]) => {
            let b = json_body(body)?;
            let rules: Vec<FaultRule> = if b.is_array() {
                serde_json::from_value(b)
            } else {
                serde_json::from_value(b).map(|r| vec![r])
            }
            .map_err(|e| err(400, format!("fault rule is not valid: {e}")))?;
            let mut knobs = shared.knobs();
            knobs.faults.rules.extend(rules);
            ok(json!({"faults": knobs.faults.rules}))
        }
        ("DELETE", ["faults"]) => {
            shared.knobs().faults.rules.clear();
            ok(json!({"faults": []}))
        }
        ("GET", ["rate-limit"]) => ok(json!({"rate_limit": shared.knobs().rate_limit})),
        ("POST" | "PUT", ["rate-limit"]) => {
            let b = json_body(body)?;
            let limit = if b.get("off").and_then(Value::as_bool) == Some(true) || b.is_null() {
                None
            } else {
                Some(
                    serde_json::from_value::<RateLimit>(b)
                        .map_err(|e| err(400, format!("rate limit is not valid: {e}")))?,
                )
            };
            let mut knobs = shared.knobs();
            knobs.rate_limit = limit;
            knobs.limiter.reset();
            ok(json!({"rate_limit": limit}))
        }
        ("GET", ["workspace-rate-limit"]) => ok(json!({
            "workspace_rate_limit": shared.knobs().workspace_rate_limit
        })),
        ("POST" | "PUT", ["workspace-rate-limit"]) => {
            let b = json_body(body)?;
            let limit = if b.get("off").and_then(Value::as_bool) == Some(true) || b.is_null() {
                None
            } else {
                let limit = serde_json::from_value::<RateLimit>(b).map_err(|e| {
                    err(
                        400,
                        format!(
                            "workspace rate limit is not valid: {e}; send {{\"requests\": 1000, \"window_secs\": 300}} or {{\"off\": true}}"
                        ),
                    )
                })?;
                if limit.requests == 0 || limit.window_secs == 0 {
                    return Err(err(
                        400,
                        "workspace rate limit: requests and window_secs must be positive"
                            .to_owned(),
                    ));
                }
                Some(limit)
            };
            let mut knobs = shared.knobs();
            knobs.workspace_rate_limit = limit;
            knobs.workspace_limiter.reset();
            ok(json!({"workspace_rate_limit": limit}))
        }
        ("GET", ["counters"]) => {
            let snap = shared.knobs().counters.snapshot();
            ok(json!({"total": snap.total(), "counts": snap.counts}))
        }
        ("DELETE", ["counters"]) => {
            shared.knobs().counters.reset();
            ok(json!({"total": 0, "counts": []}))
        }
        ("GET", ["webhooks"]) => ok(json!({"subscriptions": shared.webhook_subscriptions()})),
        ("POST", ["webhooks"]) => {
            let spec: crate::webhooks::WebhookSpec = serde_json::from_slice(body)
                .map_err(|e| err(400, format!("webhook subscription is not valid: {e}")))?;
            let sub = shared.subscribe_webhook(spec).map_err(control_err)?;
            Outcome::json(200, json!(sub), uuid::Uuid::new_v4().to_string())
        }
        ("DELETE", ["webhooks"]) => {
            shared.delete_all_webhooks();
            ok(json!({"subscriptions": []}))
        }
        ("GET", ["webhooks", id]) => {
            let id = id_param(id)?;
            let sub = shared
                .webhook_subscriptions()
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| err(404, format!("not found: webhook subscription {id}")))?;
            ok(json!(sub))
        }
        ("DELETE", ["webhooks", id]) => {
            let id = id_param(id)?;
            if !shared.delete_webhook(id) {
                return Err(err(404, format!("not found: webhook subscription {id}")));
            }
            ok(json!({"deleted": id}))
        }
        ("POST", ["webhooks", id, "resend"]) => {
            let id = id_param(id)?;
            shared.resend_verification(id).map_err(control_err)?;
            ok(json!({"resent": id}))
        }
        ("GET", ["events"]) => {
            let spaces = shared.spaces();
            let events: Vec<_> = spaces.list.iter().flat_map(|s| s.events.iter()).collect();
            ok(json!({ "events": events }))
        }
        ("POST", ["query-cap"]) => {
            let b = json_body(body)?;
            let cap = b
                .get("cap")
                .and_then(Value::as_u64)
                .ok_or_else(|| err(400, "cap must be a positive integer"))?;
            shared.set_query_result_cap(cap.max(1) as usize);
            ok(json!({"cap": cap}))
        }
        ("GET", ["pages", id]) => {
            let id = id_param(id)?;
            shared
                .page_json(id)
                .map(ok)
                .ok_or_else(|| err(404, format!("not found: page {id}")))?
        }
        ("PATCH", ["pages", id]) => {
            let id = id_param(id)?;
            let b = json_body(body)?;
            if let Some(t) = b.get("in_trash").and_then(Value::as_bool) {
                shared.set_trash_as_user(id, t).map_err(control_err)?;
            }
            if let Some(props) = b.get("properties") {
                shared.update_page_as_user(id, props).map_err(control_err)?;
            }
            shared
                .page_json(id)
                .map(ok)
                .ok_or_else(|| err(404, format!("not found: page {id}")))?
        }
        ("POST", ["pages"]) => {
            let b = json_body(body)?;
            let ds = b
                .get("parent")
                .and_then(|p| p.get("data_source_id"))
                .and_then(Value::as_str)
                .and_then(parse_id)
                .ok_or_else(|| err(400, "parent.data_source_id is required"))?;
            let id = shared
                .create_page_as_user(ds, b.get("properties").unwrap_or(&json!({})))
                .map_err(control_err)?;
            shared
                .page_json(id)
                .map(ok)
                .ok_or_else(|| err(500, "page vanished"))?
        }
        ("POST", ["trash", id]) => {
            shared
                .set_trash_as_user(id_param(id)?, true)
                .map_err(control_err)?;
            ok(json!({"in_trash": true}))
        }
        ("POST", ["restore", id]) => {
            shared
                .set_trash_as_user(id_param(id)?, false)
                .map_err(control_err)?;
            ok(json!({"in_trash": false}))
        }
        ("PATCH", ["data_sources", id]) => {
            let id = id_param(id)?;
            let b = json_body(body)?;
            ok(shared
                .update_data_source_as_user(id, &b)
                .map_err(control_err)?)
        }
        ("POST", [verb @ ("share" | "unshare")]) => {
            let b = json_body(body)?;
            let integration = b
                .get("integration")
                .and_then(Value::as_str)
                .ok_or_else(|| err(400, "integration (name or bot id) is required"))?;
            let object = b
                .get("object_id")
                .and_then(Value::as_str)
                .and_then(parse_id)
                .ok_or_else(|| err(400, "object_id must be a UUID"))?;
            shared
                .set_shared(integration, object, *verb == "share")
                .map_err(control_err)?;
            ok(json!({"shared": *verb == "share"}))
        }
        _ => err(
            404,
            format!("no control route {method} {path}; see docs/EMULATOR.md"),
        ),
    })
}
