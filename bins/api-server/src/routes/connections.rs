//! `/admin/notion/connections*` and `GET /oauth/notion/callback`: the Notion connections (the
//! internal integration and the workspaces connected through OAuth), connecting a workspace,
//! disconnecting it, and the databases an admin allows on each.
//!
//! Tokens never leave this module unsealed except towards Notion: the answers carry none, and
//! the OAuth `state` is stored only as its SHA-256.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use jiff::{SignedDuration, Timestamp};
use notion_client::Priority;
use rand::Rng;
use sha2::{Digest, Sha256};
use store::{
    AllowedDatabase, ConnectionId, ConnectionRecord, ConnectionState, LinkedFilter, StoreErrorKind,
};

use crate::error::{ApiError, ErrorResponse};
use crate::models::{
    AllowDatabaseJson, AllowDatabaseResponse, AllowedDatabaseJson, ConnectResponse,
    ConnectionDatabaseJson, ConnectionDatabasePath, ConnectionDatabasesResponse, ConnectionJson,
    ConnectionPath, ConnectionResponse, ConnectionUpdateJson, ConnectionsResponse,
    DisconnectResponse, OAuthCallbackQuery,
};
use crate::responses::{
    NotionFailed, NotionUnavailable, PayloadTooLarge, TooManyFailedLogins, Unauthorized,
    UnsupportedMediaType,
};
use crate::routes::notion::parse_notion_id;
use crate::state::{AppState, OAuthApp};
use crate::web::{OAuthOutcome, oauth_page};

/// Where Notion sends the admin back after consent (the default redirect URI's path).
pub(crate) const CALLBACK_PATH: &str = "/oauth/notion/callback";

/// How long a minted `state` may be used: the admin has this long to consent at Notion.
const STATE_LIFETIME: SignedDuration = SignedDuration::from_mins(10);

/// Who acts through the admin API: there is one admin token, so one name.
const ADMIN: &str = "admin";

/// The SHA-256 of a `state`, in hex: what the store keeps (a leaked store row cannot be replayed).
fn state_hash(state: &str) -> String {
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random `state`: 32 bytes from the OS generator, in hex.
fn mint_state() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_connection_id(raw: &str) -> Result<ConnectionId, ApiError> {
    ConnectionId::parse(raw.trim()).map_err(|error| ApiError::invalid("id", error.to_string()))
}

/// The OAuth settings, or a 409 saying how to turn OAuth on.
fn oauth_app(state: &AppState) -> Result<&Arc<OAuthApp>, ApiError> {
    state.oauth.as_ref().ok_or_else(|| ApiError::Conflict {
        code: "oauth_not_configured",
        message: "OAuth connections are off on this server: set NOTION_OAUTH_CLIENT_ID and \
                  NOTION_OAUTH_CLIENT_SECRET (the public integration's), and \
                  TOKEN_ENCRYPTION_KEY, then restart it"
            .into(),
    })
}

/// How many links go through each connection.
async fn link_counts(state: &AppState) -> Result<HashMap<ConnectionId, u64>, ApiError> {
    let filter = LinkedFilter {
        include_paused: true,
        ..LinkedFilter::default()
    };
    let mut counts = HashMap::new();
    for linked in state.store.list_linked(&filter).await? {
        *counts.entry(linked.connection_id).or_insert(0) += 1;
    }
    Ok(counts)
}

fn allowed_json(database: &AllowedDatabase) -> AllowedDatabaseJson {
    AllowedDatabaseJson {
        id: database.database_id.clone(),
        name: database
            .name
            .clone()
            .unwrap_or_else(|| database.database_id.clone()),
        allowed_by: database.allowed_by.clone(),
        allowed_at: Some(database.allowed_at),
    }
}

/// The databases allowed on a connection: `NOTION_DATABASE_ALLOWLIST` for the internal one.
async fn databases_allowed(
    state: &AppState,
    id: &ConnectionId,
) -> Result<Vec<AllowedDatabaseJson>, ApiError> {
    if id.is_internal() {
        return Ok(state
            .allowlist()
            .entries()
            .iter()
            .map(|entry| AllowedDatabaseJson {
                id: entry.id.to_string(),
                name: entry.name.clone(),
                allowed_by: None,
                allowed_at: None,
            })
            .collect());
    }
    Ok(state
        .store
        .allowed_databases(id)
        .await?
        .iter()
        .map(allowed_json)
        .collect())
}

async fn connection_json(
    state: &AppState,
    record: ConnectionRecord,
    links: u64,
) -> Result<ConnectionJson, ApiError> {
    let databases_allowed = databases_allowed(state, &record.id).await?;
    Ok(ConnectionJson {
        id: record.id.to_string(),
        kind: record.kind.as_str().to_owned(),
        workspace_id: record.workspace_id,
        workspace_name: record.workspace_name,
        workspace_icon: record.workspace_icon,
        bot_id: record.bot_id,
        owner: record.owner,
        state: record.state.as_str().to_owned(),
        state_reason: record.state_reason,
        created_by: record.created_by,
        created_at: record.created_at,
        updated_at: record.updated_at,
        access_expires_at: record.access_expires_at,
        databases_allowed,
        links,
        max_requests_per_second: record.max_requests_per_second,
    })
}

/// The Notion connections: the internal integration and each connected workspace, with their
/// state, allowed databases and link counts. Never a token.
#[utoipa::path(
    tag = "connections",
    responses(
        (status = 200, description = "The connections, the internal one first", body = ConnectionsResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/notion/connections")]
pub(crate) async fn list_connections(
    state: web::Data<AppState>,
) -> Result<web::Json<ConnectionsResponse>, ApiError> {
    let counts = link_counts(&state).await?;
    let mut connections = Vec::new();
    for record in state.store.list_connections().await? {
        let links = counts.get(&record.id).copied().unwrap_or(0);
        connections.push(connection_json(&state, record, links).await?);
    }
    Ok(web::Json(ConnectionsResponse {
        success: true,
        oauth_enabled: state.oauth.is_some(),
        connections,
    }))
}

/// Start connecting a Notion workspace: mints a single-use `state` (valid 10 minutes) and
/// answers Notion's authorize URL, where the admin's browser goes to consent. Notion then sends
/// the browser to `GET /oauth/notion/callback`.
#[utoipa::path(
    tag = "connections",
    responses(
        (status = 200, description = "Send the browser to `authorize_url`", body = ConnectResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 409, description = "OAuth is off on this server (`oauth_not_configured`): the message names the variables to set", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[post("/notion/connections")]
pub(crate) async fn connect(
    state: web::Data<AppState>,
) -> Result<web::Json<ConnectResponse>, ApiError> {
    let app = oauth_app(&state)?;
    let now = Timestamp::now();
    let value = mint_state();
    state
        .store
        .mint_oauth_state(&state_hash(&value), ADMIN, now, now + STATE_LIFETIME)
        .await?;
    let mut url = url::Url::parse(&app.authorize_url).map_err(ApiError::internal)?;
    url.query_pairs_mut()
        .append_pair("client_id", &app.client_id)
        .append_pair("response_type", "code")
        .append_pair("owner", "user")
        .append_pair("redirect_uri", &app.redirect_uri)
        .append_pair("state", &value);
    tracing::info!("an admin started connecting a Notion workspace");
    Ok(web::Json(ConnectResponse {
        success: true,
        authorize_url: url.to_string(),
    }))
}

/// The highest per-connection budget accepted, requests per second: far above any Notion plan
/// (10 a second on Business and Enterprise), so only a typo is refused.
const MAX_BUDGET: f64 = 100.0;

/// Set a connected workspace's own request budget (its pacer spaces its requests at this rate
/// from its next use, in the api-server and every runner), or go back to the server's default
/// with `null`. The internal connection's budget is `NOTION_MAX_RPM` / `NOTION_MAX_RPS`.
#[utoipa::path(
    tag = "connections",
    params(ConnectionPath),
    request_body = ConnectionUpdateJson,
    responses(
        (status = 200, description = "The connection with its new budget", body = ConnectionResponse),
        (status = 400, description = "Malformed id or body, a budget out of range, or the internal connection; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such connection", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("bearer" = []))
)]
#[patch("/notion/connections/{id}")]
pub(crate) async fn update_connection(
    state: web::Data<AppState>,
    path: web::Path<ConnectionPath>,
    body: web::Bytes,
) -> Result<web::Json<ConnectionResponse>, ApiError> {
    let id = parse_connection_id(&path.id)?;
    let body: ConnectionUpdateJson = crate::extract::decode_json(&body)?;
    if id.is_internal() {
        return Err(ApiError::invalid(
            "id",
            "the internal connection's budget is NOTION_MAX_RPM (or NOTION_MAX_RPS): change that setting instead",
        ));
    }
    if let Some(rate) = body.max_requests_per_second
        && !(rate.is_finite() && rate > 0.0 && rate <= MAX_BUDGET)
    {
        return Err(ApiError::invalid(
            "max_requests_per_second",
            format!(
                "must be above 0 and at most {MAX_BUDGET} requests per second (got {rate}), or null for the server's default"
            ),
        ));
    }
    let record = state
        .driver
        .set_connection_budget(&id, body.max_requests_per_second, Timestamp::now())
        .await?;
    tracing::info!(connection = %id, budget = ?body.max_requests_per_second, "connection budget changed");
    let links = link_counts(&state).await?.get(&id).copied().unwrap_or(0);
    Ok(web::Json(ConnectionResponse {
        success: true,
        connection: connection_json(&state, record, links).await?,
    }))
}

/// Disconnect a workspace: its token is revoked at Notion (a failure is reported, and the
/// connection is removed all the same), then forgotten with its allowed databases. Its links
/// keep their fields and their sync error says the connection was removed, until relinked.
#[utoipa::path(
    tag = "connections",
    params(ConnectionPath),
    responses(
        (status = 200, description = "Disconnected; `revoked` says whether Notion confirmed", body = DisconnectResponse),
        (status = 400, description = "Malformed id, or the internal connection (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such connection", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[delete("/notion/connections/{id}")]
pub(crate) async fn disconnect(
    state: web::Data<AppState>,
    path: web::Path<ConnectionPath>,
) -> Result<web::Json<DisconnectResponse>, ApiError> {
    let id = parse_connection_id(&path.id)?;
    if id.is_internal() {
        return Err(ApiError::invalid(
            "id",
            "the internal connection is the integration of NOTION_API_KEY: it cannot be disconnected here (unset or change NOTION_API_KEY instead)",
        ));
    }
    let record = state.store.get_connection(&id).await?;
    let links = link_counts(&state).await?.get(&id).copied().unwrap_or(0);
    let revoke_error = Priority::Interactive
        .scope(state.driver.revoke_at_notion(&record))
        .await
        .err();
    if let Some(error) = &revoke_error {
        tracing::warn!(connection = %id, %error, "disconnecting without a revocation at Notion");
    }
    let now = Timestamp::now();
    state
        .store
        .set_connection_state(
            &id,
            ConnectionState::Revoked,
            Some("disconnected by an admin"),
            now,
        )
        .await?;
    state.store.delete_connection(&id).await?;
    tracing::info!(connection = %id, links, "Notion connection disconnected");
    Ok(web::Json(DisconnectResponse {
        success: true,
        revoked: revoke_error.is_none(),
        revoke_error,
        links,
    }))
}

/// What a connection can see (Notion's search for databases, with its token), each with whether
/// it is allowed, then the allowed databases it no longer sees.
#[utoipa::path(
    tag = "connections",
    params(ConnectionPath),
    responses(
        (status = 200, description = "Its databases", body = ConnectionDatabasesResponse),
        (status = 400, description = "Malformed id (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such connection", body = ErrorResponse),
        (status = 409, description = "The connection cannot be used (`connection_unavailable`: it needs re-authorization, or OAuth is off on this server); the message says what to do", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[get("/notion/connections/{id}/databases")]
pub(crate) async fn connection_databases(
    state: web::Data<AppState>,
    path: web::Path<ConnectionPath>,
) -> Result<web::Json<ConnectionDatabasesResponse>, ApiError> {
    let id = parse_connection_id(&path.id)?;
    state.store.get_connection(&id).await?;
    let visible = Priority::Interactive
        .scope(state.driver.visible_databases(&id, Timestamp::now()))
        .await?;
    let allowed = databases_allowed(&state, &id).await?;
    let mut databases: Vec<ConnectionDatabaseJson> = visible
        .into_iter()
        .map(|database| {
            let entry = allowed.iter().find(|a| a.id == database.id.to_string());
            ConnectionDatabaseJson {
                id: database.id.to_string(),
                name: database.title,
                url: database.url,
                allowed: entry.is_some(),
                visible: true,
                allowed_by: entry.and_then(|a| a.allowed_by.clone()),
                allowed_at: entry.and_then(|a| a.allowed_at),
            }
        })
        .collect();
    databases.sort_by_key(|d| d.name.to_lowercase());
    for entry in &allowed {
        if !databases.iter().any(|d| d.id == entry.id) {
            databases.push(ConnectionDatabaseJson {
                id: entry.id.clone(),
                name: entry.name.clone(),
                url: None,
                allowed: true,
                visible: false,
                allowed_by: entry.allowed_by.clone(),
                allowed_at: entry.allowed_at,
            });
        }
    }
    Ok(web::Json(ConnectionDatabasesResponse {
        success: true,
        connection_id: id.to_string(),
        databases,
    }))
}

/// Allow a database on a connected workspace: its pages may then be searched and linked, through
/// that connection. The connection must see it. Body optional: `{"name"}` (default: its title).
#[utoipa::path(
    tag = "connections",
    params(ConnectionDatabasePath),
    request_body(content = Option<AllowDatabaseJson>, description = "Optional: the name to show"),
    responses(
        (status = 200, description = "Allowed", body = AllowDatabaseResponse),
        (status = 400, description = "Malformed id or body, or the internal connection (its allowlist is NOTION_DATABASE_ALLOWLIST); `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such connection, or the connection cannot see the database (not shared at consent)", body = ErrorResponse),
        (status = 409, description = "Another connection (or NOTION_DATABASE_ALLOWLIST) allows the database, or the connection cannot be used (`connection_unavailable`)", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[put("/notion/connections/{id}/databases/{databaseId}")]
pub(crate) async fn allow_database(
    state: web::Data<AppState>,
    path: web::Path<ConnectionDatabasePath>,
    body: web::Bytes,
) -> Result<web::Json<AllowDatabaseResponse>, ApiError> {
    let id = parse_connection_id(&path.id)?;
    let database_id = parse_notion_id("databaseId", &path.database_id)?;
    let body: AllowDatabaseJson = if body.iter().all(u8::is_ascii_whitespace) {
        AllowDatabaseJson::default()
    } else {
        crate::extract::decode_json(&body)?
    };
    if id.is_internal() {
        return Err(ApiError::invalid(
            "id",
            "the internal connection's databases are NOTION_DATABASE_ALLOWLIST: change that variable instead",
        ));
    }
    if state.allowlist().contains(&database_id) {
        return Err(ApiError::Conflict {
            code: "conflict",
            message: format!(
                "database {database_id} is in NOTION_DATABASE_ALLOWLIST: it belongs to the internal connection"
            ),
        });
    }
    state.store.get_connection(&id).await?;
    let now = Timestamp::now();
    // Also proves the connection sees the database (Notion answers 404 otherwise).
    let database = Priority::Interactive
        .scope(state.driver.database_on(&id, database_id, now))
        .await?;
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or(database.title);
    let allowed = state
        .store
        .allow_database(&id, &database_id.to_string(), Some(&name), Some(ADMIN), now)
        .await?;
    tracing::info!(connection = %id, database = %database_id, "database allowed on a connection");
    Ok(web::Json(AllowDatabaseResponse {
        success: true,
        database: ConnectionDatabaseJson {
            id: allowed.database_id,
            name,
            url: database.url,
            allowed: true,
            visible: true,
            allowed_by: allowed.allowed_by,
            allowed_at: Some(allowed.allowed_at),
        },
    }))
}

/// Disallow a database on a connected workspace: its pages can no longer be searched or linked
/// (links made before stay, and fail their sync until the database is allowed again).
#[utoipa::path(
    tag = "connections",
    params(ConnectionDatabasePath),
    responses(
        (status = 200, description = "Disallowed", body = AllowDatabaseResponse),
        (status = 400, description = "Malformed id (`field` names it)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such connection, or the database is not allowed on it", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[delete("/notion/connections/{id}/databases/{databaseId}")]
pub(crate) async fn disallow_database(
    state: web::Data<AppState>,
    path: web::Path<ConnectionDatabasePath>,
) -> Result<web::Json<AllowDatabaseResponse>, ApiError> {
    let id = parse_connection_id(&path.id)?;
    let database_id = parse_notion_id("databaseId", &path.database_id)?.to_string();
    state.store.get_connection(&id).await?;
    let previous = state
        .store
        .allowed_databases(&id)
        .await?
        .into_iter()
        .find(|d| d.database_id == database_id);
    if !state.store.disallow_database(&id, &database_id).await? {
        return Err(ApiError::NotFound(format!(
            "database {database_id} is not allowed on connection {id}"
        )));
    }
    tracing::info!(connection = %id, database = %database_id, "database disallowed on a connection");
    Ok(web::Json(AllowDatabaseResponse {
        success: true,
        database: ConnectionDatabaseJson {
            name: previous
                .and_then(|p| p.name)
                .unwrap_or_else(|| database_id.clone()),
            id: database_id,
            url: None,
            allowed: false,
            visible: true,
            allowed_by: None,
            allowed_at: None,
        },
    }))
}

/// A 400 page for a sign-in that stored nothing.
fn refused(title: &str, message: impl Into<String>) -> HttpResponse {
    oauth_page(
        StatusCode::BAD_REQUEST,
        OAuthOutcome::failed(title, message.into()),
    )
}

/// Where Notion sends the admin's browser after consent. No bearer token (the browser comes from
/// Notion): the single-use `state` minted by an authenticated `POST /admin/notion/connections`
/// proves who started it. Exchanges the code, seals both tokens and stores the connection
/// (connecting a workspace again replaces its tokens), then shows it. A wrong, used or expired
/// `state`, a denied consent or a failed exchange answer a 400 page and store nothing.
#[utoipa::path(
    tag = "connections",
    params(OAuthCallbackQuery),
    responses(
        (status = 200, description = "An HTML page showing the new connection, linking to the Connections page", content_type = "text/html"),
        (status = 400, description = "An HTML page: the state is wrong, used or expired, the consent was denied, or Notion refused the code exchange; nothing was stored", content_type = "text/html"),
        (status = 503, description = "An HTML page: the store cannot take the request now", content_type = "text/html"),
    )
)]
#[get("/oauth/notion/callback")]
pub(crate) async fn oauth_callback(
    state: web::Data<AppState>,
    query: web::Query<OAuthCallbackQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let Some(app) = state.oauth.clone() else {
        return refused(
            "OAuth is not configured",
            "This server has no OAuth settings: set NOTION_OAUTH_CLIENT_ID, NOTION_OAUTH_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY, restart it, and connect the workspace from the Connections page.",
        );
    };
    let Some(value) = query
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return refused(
            "This sign-in cannot be used",
            "Notion's answer carries no state, so this server cannot tell who started it. Start again with \"Connect a Notion workspace\" on the Connections page.",
        );
    };
    let now = Timestamp::now();
    match state
        .store
        .consume_oauth_state(&state_hash(value), now)
        .await
    {
        Ok(_) => {}
        Err(error) if error.kind() == StoreErrorKind::NotFound => {
            tracing::info!("an OAuth callback with an unknown, used or expired state was refused");
            return refused(
                "This sign-in link is not valid",
                "Its state is unknown, was used already, or expired (a sign-in must be finished within 10 minutes). Nothing was stored. Start again with \"Connect a Notion workspace\" on the Connections page.",
            );
        }
        Err(error) => return store_failed(&error),
    }
    if let Some(error) = query.error.as_deref().filter(|e| !e.trim().is_empty()) {
        let message = if error == "access_denied" {
            "The workspace was not connected: access was denied at Notion's consent page (Cancel). Nothing was stored. To connect it, start again and choose Allow.".to_owned()
        } else {
            format!(
                "The workspace was not connected: Notion answered {error:?}. Nothing was stored. Start again from the Connections page."
            )
        };
        return refused("Notion did not connect the workspace", message);
    }
    let Some(code) = query
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return refused(
            "Notion did not connect the workspace",
            "Notion's answer carries no authorization code. Nothing was stored. Start again from the Connections page.",
        );
    };
    let token = match Priority::Interactive
        .scope(
            state
                .driver
                .exchange_authorization_code(code, &app.redirect_uri),
        )
        .await
    {
        Ok(token) => token,
        Err(error) => {
            tracing::warn!(%error, "the OAuth code exchange failed");
            return refused(
                "Notion refused the sign-in",
                format!(
                    "The authorization code could not be exchanged for a token ({error}). Nothing was stored. Start again from the Connections page; if it keeps failing, check NOTION_OAUTH_CLIENT_ID, NOTION_OAUTH_CLIENT_SECRET and that NOTION_OAUTH_REDIRECT_URI ({}) is one of the integration's redirect URIs.",
                    app.redirect_uri
                ),
            );
        }
    };
    let (record, replaced) = match state
        .driver
        .store_authorization(&token, Some(ADMIN), now)
        .await
    {
        Ok(saved) => saved,
        Err(sync_driver::DriverError::InvalidInput { .. }) => {
            return refused(
                "Notion refused the sign-in",
                "Notion's token answer names no workspace or bot. Nothing was stored.",
            );
        }
        Err(sync_driver::DriverError::Store(error)) => return store_failed(&error),
        Err(error) => {
            tracing::error!(%error, "the OAuth callback could not store the connection");
            return refused(
                "The workspace could not be connected",
                format!("{error}. Nothing was stored. Start again from the Connections page."),
            );
        }
    };
    oauth_page(
        StatusCode::OK,
        OAuthOutcome::connected(
            record.id.to_string(),
            record
                .workspace_name
                .clone()
                .or(record.workspace_id.clone())
                .unwrap_or_default(),
            replaced,
        ),
    )
}

fn store_failed(error: &store::StoreError) -> HttpResponse {
    tracing::error!(%error, "the OAuth callback could not use the store");
    oauth_page(
        StatusCode::SERVICE_UNAVAILABLE,
        OAuthOutcome::failed(
            "The connection could not be saved",
            "The store cannot take the request now; nothing was stored. Try again in a moment from the Connections page.".to_owned(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_random_and_stored_as_their_sha256() {
        let (a, b) = (mint_state(), mint_state());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(
            state_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
