//! Notion webhooks: `POST /webhooks/notion` (the receiver: no bearer token, the signature is the
//! authentication), `GET /admin/notion/webhooks` (tokens and health) and
//! `POST /admin/notion/webhooks/confirm` (an admin makes the pending token active).
//!
//! Events are signals: an accepted one is only stored (durably, before the 200) in the store's
//! inbox, once per event id; the sync processes the inbox. The receiver never calls Notion.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use notion_webhooks::{Incoming, MAX_BODY_BYTES, ParseError, parse_body, verify_signature};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use store::{ConnectionId, EventReceipt, NewWebhookEvent, WebhookHealth, WebhookToken};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorDetail, ErrorResponse};
use crate::responses::{PayloadTooLarge, TooManyFailedLogins, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;

/// Where Notion's subscriptions deliver.
pub(crate) const RECEIVER_PATH: &str = "/webhooks/notion";

/// Which connection's subscription a request is for.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WebhookConnectionQuery {
    /// The connection whose subscription this is: `internal` (omitted: the internal
    /// integration's) or an OAuth connection's id (`conn_` and 32 hex digits). Give each
    /// subscription in Notion the URL with its connection, so each has its own token.
    #[param(value_type = Option<String>, pattern = "^(internal|conn_[0-9a-f]{32})$", example = "internal")]
    pub connection: Option<String>,
}

/// The signature header, documented for the receiver.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the raw request (the exact bytes matter), declared for the document.
pub(crate) struct SignatureHeader {
    /// `sha256=<64 hex digits>`: the HMAC-SHA256 of the raw body keyed by the verification
    /// token. Every event carries it; the one-time verification POST does not.
    #[serde(rename = "X-Notion-Signature")]
    #[param(rename = "X-Notion-Signature", value_type = Option<String>, pattern = "^sha256=[0-9a-f]{64}$")]
    pub signature: Option<String>,
}

/// The one-time body Notion POSTs when a subscription is created (unsigned).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerificationBody {
    /// The token to paste into Notion's Verify dialog (after confirming it here).
    #[schema(
        min_length = 1,
        example = "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"
    )]
    pub verification_token: String,
}

/// The object an event is about.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EventEntity {
    /// Its id.
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
    )]
    pub id: String,
    /// `page`, `data_source`, `database`, `comment`, …
    #[serde(rename = "type")]
    pub kind: String,
}

/// A Notion webhook event (signed): a signal that something changed, not its content.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EventBody {
    /// The event id (the same on every delivery attempt).
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
    )]
    pub id: String,
    /// When the change happened.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// The workspace.
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
    )]
    pub workspace_id: String,
    /// The type (`page.properties_updated`, …); unknown types are accepted and ignored.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The object it is about.
    pub entity: EventEntity,
    /// Who made the change (`[{id, type: person|bot|agent}]`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub authors: Option<serde_json::Value>,
    /// The delivery attempt (1–8).
    #[serde(default)]
    pub attempt_number: Option<u32>,
    /// Type-specific data (`parent`, `updated_properties`, …).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// What Notion POSTs to the webhook URL: the verification body, or an event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum WebhookBody {
    /// The one-time verification POST.
    Verification(VerificationBody),
    /// An event.
    Event(EventBody),
}

/// The receiver's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReceivedResponse {
    /// Always `true`.
    pub success: bool,
    /// `verification` (a token stored as pending), `event` (stored), or `duplicate` (an event
    /// received before: only counted).
    #[schema(pattern = "^(verification|event|duplicate)$")]
    pub received: String,
    /// What happens next.
    pub message: String,
}

/// A verification token without its value (the active one is never shown again).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ActiveTokenJson {
    /// Where it came from (the sender's address when confirmed from a verification POST, or
    /// `environment` for `NOTION_WEBHOOK_VERIFICATION_TOKEN`).
    pub source: Option<String>,
    /// When it was received or set.
    pub received_at: Timestamp,
    /// When it became active.
    pub activated_at: Option<Timestamp>,
}

/// The pending token, in full: the admin pastes it into Notion's Verify dialog.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PendingTokenJson {
    /// The token from the verification POST.
    pub verification_token: String,
    /// Where the POST came from (its sender's address; `X-Forwarded-For` first when present).
    pub source: Option<String>,
    /// When it came.
    pub received_at: Timestamp,
}

/// One connection's webhook subscription as this server sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ConnectionWebhookJson {
    /// The connection.
    pub connection_id: String,
    /// The path to give its subscription in Notion (append it to this server's public URL).
    pub receiver_path: String,
    /// The latest verification POST's token, waiting for an admin to confirm it.
    pub pending: Option<PendingTokenJson>,
    /// The token events are verified against, if there is one.
    pub active: Option<ActiveTokenJson>,
}

/// Events of one type.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EventTypeCountJson {
    /// The type.
    pub event_type: String,
    /// How many are stored.
    pub count: u64,
}

/// Requests refused for their signature.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RejectionJson {
    /// The connection the request named.
    pub connection_id: String,
    /// `missing`, `malformed`, `mismatch` or `no_active_token`.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// When the last one came.
    pub last_at: Timestamp,
}

/// How webhooks are doing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookHealthJson {
    /// When the newest event was received.
    pub last_received_at: Option<Timestamp>,
    /// The newest event's `timestamp`.
    pub last_event_at: Option<Timestamp>,
    /// Stored events by type, most first.
    pub events_by_type: Vec<EventTypeCountJson>,
    /// Stored events in all.
    pub events_total: u64,
    /// Redeliveries (Notion's retries, replays) received and not stored again.
    pub duplicates: u64,
    /// Events the sync has not processed yet.
    pub unprocessed: u64,
    /// The oldest unprocessed event's `timestamp`.
    pub oldest_unprocessed_at: Option<Timestamp>,
    /// Requests refused for their signature, by connection and reason.
    pub rejected_signatures: Vec<RejectionJson>,
    /// Refused requests in all.
    pub rejected_signatures_total: u64,
    /// Seconds from the last processed event's `timestamp` to its processing.
    pub last_lag_seconds: Option<f64>,
    /// The longest such lag in the last hour, in seconds.
    pub max_lag_last_hour_seconds: Option<f64>,
}

/// `GET /admin/notion/webhooks`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhooksResponse {
    /// Always `true`.
    pub success: bool,
    /// Every connection's tokens, the internal connection first.
    pub connections: Vec<ConnectionWebhookJson>,
    /// Health of the event inbox (all connections).
    pub health: WebhookHealthJson,
}

/// `POST /admin/notion/webhooks/confirm`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ConfirmResponse {
    /// Always `true`.
    pub success: bool,
    /// The connection's tokens now.
    pub webhook: ConnectionWebhookJson,
    /// What to do next.
    pub message: String,
}

fn connection_of(query: &WebhookConnectionQuery) -> Result<ConnectionId, ApiError> {
    match query.connection.as_deref() {
        None => Ok(ConnectionId::internal()),
        Some(raw) => ConnectionId::parse(raw)
            .map_err(|error| ApiError::invalid("connection", error.to_string())),
    }
}

fn receiver_path(connection: &ConnectionId) -> String {
    if connection.is_internal() {
        RECEIVER_PATH.to_owned()
    } else {
        format!("{RECEIVER_PATH}?connection={connection}")
    }
}

fn active_json(token: &WebhookToken) -> ActiveTokenJson {
    ActiveTokenJson {
        source: token.source.clone(),
        received_at: token.received_at,
        activated_at: token.activated_at,
    }
}

fn connection_json(
    connection: &ConnectionId,
    tokens: store::WebhookTokens,
) -> ConnectionWebhookJson {
    ConnectionWebhookJson {
        connection_id: connection.to_string(),
        receiver_path: receiver_path(connection),
        pending: tokens.pending.map(|p| PendingTokenJson {
            verification_token: p.token.expose_secret().to_owned(),
            source: p.source,
            received_at: p.received_at,
        }),
        active: tokens.active.as_ref().map(active_json),
    }
}

fn seconds(d: SignedDuration) -> f64 {
    d.as_secs_f64()
}

fn health_json(h: WebhookHealth) -> WebhookHealthJson {
    WebhookHealthJson {
        last_received_at: h.last_received_at,
        last_event_at: h.last_event_at,
        events_by_type: h
            .events_by_type
            .into_iter()
            .map(|t| EventTypeCountJson {
                event_type: t.event_type,
                count: t.count,
            })
            .collect(),
        events_total: h.events_total,
        duplicates: h.duplicates,
        unprocessed: h.unprocessed,
        oldest_unprocessed_at: h.oldest_unprocessed_at,
        rejected_signatures: h
            .rejected
            .into_iter()
            .map(|r| RejectionJson {
                connection_id: r.connection_id.to_string(),
                reason: r.reason,
                count: r.count,
                last_at: r.last_at,
            })
            .collect(),
        rejected_signatures_total: h.rejected_total,
        last_lag_seconds: h.last_lag.map(seconds),
        max_lag_last_hour_seconds: h.max_lag_last_hour.map(seconds),
    }
}

/// A JSON error of the receiver. Not [`ApiError::Unauthorized`]: its challenge names the admin
/// bearer token, which is not what this route wants.
fn refuse(status: StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status).json(ErrorResponse {
        success: false,
        error: ErrorDetail {
            code: code.to_owned(),
            message,
            field: None,
            notion_status: None,
            retry_after: None,
        },
    })
}

fn bad_body(message: String) -> HttpResponse {
    refuse(StatusCode::BAD_REQUEST, "invalid_input", message)
}

fn too_large() -> HttpResponse {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is over {MAX_BODY_BYTES} bytes; Notion's webhook bodies are far smaller"),
    )
}

/// Where a request came from, for the admin deciding whether to trust a verification token.
fn source_of(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(200).collect::<String>());
    match (forwarded, peer) {
        (Some(f), Some(p)) => Some(format!("{f} (via {p})")),
        (Some(f), None) => Some(f),
        (None, p) => p,
    }
}

/// Reads the raw body (the signature is over its exact bytes), refusing more than
/// [`MAX_BODY_BYTES`] without reading the rest.
async fn read_body(mut payload: web::Payload) -> Result<Vec<u8>, HttpResponse> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| bad_body(format!("the request body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Receive a Notion webhook: the verification POST or a signed event.
///
/// The one-time verification POST (`{"verification_token"}`, unsigned) is stored as the
/// connection's *pending* token, never trusted on its own: an admin confirms it
/// (`POST /admin/notion/webhooks/confirm`) and pastes it into Notion's Verify dialog. An event must
/// carry `X-Notion-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body keyed by the
/// connection's active token; it is stored in the inbox (once per event id: a retry or replay is
/// only counted) before the 200. Unknown event types are accepted and stored (the sync ignores
/// them). No bearer token: the signature is the authentication.
#[utoipa::path(
    tag = "webhooks",
    params(WebhookConnectionQuery, SignatureHeader),
    request_body(content = WebhookBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The verification token was stored as pending, or the event was stored (or was a redelivery of a stored one)", body = ReceivedResponse),
        (status = 400, description = "Not a Notion webhook body: malformed JSON, an event without its required fields, an empty token, or a `connection` that is not a connection id", body = ErrorResponse),
        (status = 401, description = "An event without a valid signature (`invalid_signature`: missing, malformed, or not the HMAC of the body under the connection's active token), or the connection has no active token yet (`no_active_token`); nothing was stored", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, description = "The store cannot take the event now (`store_unavailable`): Notion retries", body = ErrorResponse),
    )
)]
#[post("/webhooks/notion")]
pub(crate) async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<WebhookConnectionQuery>,
    payload: web::Payload,
) -> HttpResponse {
    let connection = match connection_of(&query) {
        Ok(c) => c,
        Err(error) => return actix_web::ResponseError::error_response(&error),
    };
    if !crate::extract::is_json_content_type(&req) {
        state.metrics.record_webhook("malformed");
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Notion's webhook bodies are JSON: send Content-Type: application/json".into(),
        );
    }
    let body = match read_body(payload).await {
        Ok(body) => body,
        Err(response) => {
            state.metrics.record_webhook("too_large");
            return response;
        }
    };
    let now = Timestamp::now();
    match handle(&state, &req, &connection, &body, now).await {
        Ok(response) | Err(response) => response,
    }
}

async fn handle(
    state: &AppState,
    req: &HttpRequest,
    connection: &ConnectionId,
    body: &[u8],
    now: Timestamp,
) -> Result<HttpResponse, HttpResponse> {
    let store_error =
        |error: store::StoreError| actix_web::ResponseError::error_response(&ApiError::from(error));
    let signature = req
        .headers()
        .get(notion_webhooks::SIGNATURE_HEADER)
        .map(|v| v.as_bytes());
    // Notion's header is always well formed (and absent only from the verification POST): one
    // that is not is refused whatever the body, as the document says.
    if signature.is_some_and(|s| !notion_webhooks::is_well_formed(s)) {
        return Err(reject(
            state,
            connection,
            "malformed",
            "invalid_signature",
            "X-Notion-Signature is not of the form sha256=<64 lowercase hex digits>; nothing was \
             stored"
                .into(),
            now,
        )
        .await);
    }
    let incoming = parse_body(body).map_err(|error| {
        state.metrics.record_webhook("malformed");
        match error {
            ParseError::TooLarge { .. } => too_large(),
            _ => bad_body(format!(
                "{error}; Notion sends {{\"verification_token\": \"…\"}} once, then signed events"
            )),
        }
    })?;
    let event = match incoming {
        Incoming::Verification { verification_token } => {
            let source = source_of(req);
            state
                .store
                .save_pending_webhook_token(connection, &verification_token, source.as_deref(), now)
                .await
                .map_err(store_error)?;
            tracing::info!(%connection, source = source.as_deref().unwrap_or("unknown"),
                "a webhook verification token arrived; confirm it in the admin page");
            state.metrics.record_webhook("verification");
            return Ok(HttpResponse::Ok().json(ReceivedResponse {
                success: true,
                received: "verification".into(),
                message: "stored as pending: confirm it with POST /admin/notion/webhooks/confirm \
                          (or on the admin page), then paste it into Notion's Verify dialog"
                    .into(),
            }));
        }
        Incoming::Event(event) => event,
    };
    let active = state
        .store
        .webhook_tokens(connection)
        .await
        .map_err(store_error)?
        .active;
    let refusal = match &active {
        None => Some((
            "no_active_token",
            "no_active_token",
            format!(
                "connection {connection} has no active webhook verification token: confirm the \
                 pending one (POST /admin/notion/webhooks/confirm) or set \
                 NOTION_WEBHOOK_VERIFICATION_TOKEN; nothing was stored"
            ),
        )),
        Some(token) => verify_signature(token.token.expose_secret().as_bytes(), body, signature)
            .err()
            .map(|error| {
                (
                    error.as_str(),
                    "invalid_signature",
                    format!("{error}; nothing was stored"),
                )
            }),
    };
    if let Some((reason, code, message)) = refusal {
        return Err(reject(state, connection, reason, code, message, now).await);
    }
    let new = NewWebhookEvent {
        event_id: event.id.to_string(),
        connection_id: connection.clone(),
        event_type: event.event_type.as_str().to_owned(),
        entity_id: Some(event.entity.id.to_string()),
        entity_type: Some(event.entity.kind.chars().take(100).collect()),
        event_at: event.timestamp,
        attempt_number: event.attempt_number,
        body: body.to_vec(),
    };
    let receipt = state
        .store
        .record_webhook_event(new, now)
        .await
        .map_err(store_error)?;
    let (received, message) = match receipt {
        EventReceipt::New => ("event", "stored; the sync reads what it names"),
        EventReceipt::Duplicate => ("duplicate", "received before: counted, not stored again"),
    };
    state.metrics.record_webhook(received);
    Ok(HttpResponse::Ok().json(ReceivedResponse {
        success: true,
        received: received.into(),
        message: message.into(),
    }))
}

/// A 401 for a refused signature, counted in the store and the metrics.
async fn reject(
    state: &AppState,
    connection: &ConnectionId,
    reason: &'static str,
    code: &str,
    message: String,
    now: Timestamp,
) -> HttpResponse {
    state.metrics.record_webhook_rejection(reason);
    if let Err(error) = state
        .store
        .count_webhook_rejection(connection, reason, now)
        .await
    {
        return actix_web::ResponseError::error_response(&ApiError::from(error));
    }
    tracing::warn!(%connection, reason, "a webhook event was refused");
    refuse(StatusCode::UNAUTHORIZED, code, message)
}

async fn all_connections(state: &AppState) -> Result<Vec<ConnectionWebhookJson>, ApiError> {
    let mut ids: Vec<ConnectionId> = state
        .store
        .list_connections()
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if !ids.iter().any(ConnectionId::is_internal) {
        ids.insert(0, ConnectionId::internal());
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let tokens = state.store.webhook_tokens(&id).await?;
        out.push(connection_json(&id, tokens));
    }
    Ok(out)
}

/// Webhook tokens and health: each connection's pending token (in full, with when and from where
/// it came, to paste into Notion's Verify dialog) and whether it has an active one; the inbox's
/// last event, events by type, redeliveries, backlog, refused signatures and lag.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "Tokens and health", body = WebhooksResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/notion/webhooks")]
pub(crate) async fn webhooks(
    state: web::Data<AppState>,
) -> Result<web::Json<WebhooksResponse>, ApiError> {
    let connections = all_connections(&state).await?;
    let health = state.store.webhook_health(Timestamp::now()).await?;
    Ok(web::Json(WebhooksResponse {
        success: true,
        connections,
        health: health_json(health),
    }))
}

/// Confirm a connection's pending verification token: events are verified against it from now
/// on (it replaces the active token). Paste the same token into Notion's Verify dialog.
#[utoipa::path(
    tag = "webhooks",
    params(WebhookConnectionQuery),
    responses(
        (status = 200, description = "The pending token is now active", body = ConfirmResponse),
        (status = 400, description = "`connection` is not a connection id", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 404, description = "No pending token for this connection: create the subscription in Notion (or press Resend token) so that it POSTs one to the receiver", body = ErrorResponse),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[post("/notion/webhooks/confirm")]
pub(crate) async fn confirm(
    state: web::Data<AppState>,
    query: web::Query<WebhookConnectionQuery>,
) -> Result<web::Json<ConfirmResponse>, ApiError> {
    let connection = connection_of(&query)?;
    state
        .store
        .confirm_webhook_token(&connection, Timestamp::now())
        .await
        .map_err(|error| match error.kind() {
            store::StoreErrorKind::NotFound => ApiError::NotFound(format!(
                "connection {connection} has no pending webhook verification token: create the \
                 subscription in Notion (or press Resend token there) with the URL \
                 {}, then confirm",
                receiver_path(&connection)
            )),
            _ => ApiError::from(error),
        })?;
    let tokens = state.store.webhook_tokens(&connection).await?;
    Ok(web::Json(ConfirmResponse {
        success: true,
        webhook: connection_json(&connection, tokens),
        message: "active: paste the same token into Notion's Verify dialog; events signed with it \
                  are accepted from now on"
            .into(),
    }))
}
