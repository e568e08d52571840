//! OAuth: authorize (auto-consent), token (authorization_code, rotating refresh_token), revoke, introspect.

use base64::Engine;
use jiff::Timestamp;
use notion_workspace::ApiError;
use notion_workspace::model::{OAuthGrant, State};
use notion_workspace::util::fmt_id;
use serde_json::{Value, json};

use super::Route;

/// What an OAuth route answers.
pub(crate) enum OAuthOutcome {
    /// A JSON body with status 200.
    Json(Value),
    /// A 302 redirect to this URL.
    Redirect(String),
}

fn client_from_basic(state: &State, authorization: Option<&str>) -> Result<usize, ApiError> {
    let invalid = || {
        ApiError::new(
            401,
            "unauthorized",
            "Invalid client credentials: use HTTP Basic auth with client_id:client_secret.",
        )
    };
    let encoded = authorization
        .and_then(|a| {
            a.strip_prefix("Basic ")
                .or_else(|| a.strip_prefix("basic "))
        })
        .ok_or_else(invalid)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    state
        .oauth
        .clients
        .iter()
        .position(|c| c.client_id == id && c.client_secret == secret)
        .ok_or_else(invalid)
}

fn issue(state: &mut State, grant: OAuthGrant) -> Value {
    let access = format!("ntn_oauth_{}", state.rng.token(40));
    let refresh = format!("nrt_{}", state.rng.token(40));
    let integration = grant.integration;
    state.tokens.insert(access.clone(), integration);
    state
        .oauth
        .access_tokens
        .insert(access.clone(), grant.clone());
    state
        .oauth
        .refresh_tokens
        .insert(refresh.clone(), (grant, access.clone()));
    let bot = state.integrations[integration].id;
    json!({
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "bot_id": fmt_id(bot),
        "workspace_id": fmt_id(state.workspace_id),
        "workspace_name": state.workspace_name,
        "workspace_icon": null,
        "owner": {"type": "workspace", "workspace": true},
        "duplicated_template_id": null,
    })
}

fn revoke_access(state: &mut State, token: &str) {
    state.tokens.remove(token);
    state.oauth.access_tokens.remove(token);
}

/// Handles an OAuth route.
pub(crate) fn handle(
    state: &mut State,
    route: Route,
    authorization: Option<&str>,
    query: &[(String, String)],
    body: &Value,
    now: Timestamp,
) -> Result<OAuthOutcome, ApiError> {
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match route {
        Route::OAuthAuthorize => {
            let client_id = q("client_id").ok_or_else(|| ApiError::validation("query failed validation: query.client_id should be defined, instead was `undefined`."))?;
            let client = state
                .oauth
                .clients
                .iter()
                .find(|c| c.client_id == client_id)
                .cloned()
                .ok_or_else(|| {
                    ApiError::new(
                        400,
                        "invalid_request",
                        format!("Unknown client_id {client_id}."),
                    )
                })?;
            let redirect = match q("redirect_uri") {
                Some(r) if client.redirect_uris.contains(&r) => r,
                Some(r) => {
                    return Err(ApiError::new(
                        400,
                        "invalid_request",
                        format!("redirect_uri {r} is not registered for this client."),
                    ));
                }
                None => client.redirect_uris.first().cloned().ok_or_else(|| {
                    ApiError::new(400, "invalid_request", "No redirect_uri registered.")
                })?,
            };
            let code = state.rng.token(32);
            let given_redirect = q("redirect_uri");
            state.oauth.codes.insert(
                code.clone(),
                (
                    OAuthGrant {
                        client_id: client.client_id.clone(),
                        integration: client.integration,
                        issued_at: now,
                    },
                    given_redirect,
                ),
            );
            let sep = if redirect.contains('?') { '&' } else { '?' };
            let mut url = format!("{redirect}{sep}code={code}");
            if let Some(s) = q("state") {
                url.push_str("&state=");
                url.push_str(
                    &percent_encoding::utf8_percent_encode(&s, percent_encoding::NON_ALPHANUMERIC)
                        .to_string(),
                );
            }
            Ok(OAuthOutcome::Redirect(url))
        }
        Route::OAuthToken => {
            let client = client_from_basic(state, authorization)?;
            let client_id = state.oauth.clients[client].client_id.clone();
            match body.get("grant_type").and_then(Value::as_str) {
                Some("authorization_code") => {
                    let code = body.get("code").and_then(Value::as_str).unwrap_or_default();
                    let (grant, redirect) = state
                        .oauth
                        .codes
                        .get(code)
                        .cloned()
                        .filter(|(g, _)| g.client_id == client_id)
                        .ok_or_else(|| {
                            ApiError::new(
                                400,
                                "invalid_grant",
                                "Invalid code: this code has been revoked.",
                            )
                        })?;
                    if let Some(r) = redirect
                        && body.get("redirect_uri").and_then(Value::as_str) != Some(r.as_str())
                    {
                        return Err(ApiError::new(
                            400,
                            "invalid_grant",
                            "Invalid redirect_uri: it does not match the one used to authorize.",
                        ));
                    }
                    state.oauth.codes.remove(code);
                    Ok(OAuthOutcome::Json(issue(
                        state,
                        OAuthGrant {
                            issued_at: now,
                            ..grant
                        },
                    )))
                }
                Some("refresh_token") => {
                    let token = body
                        .get("refresh_token")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let (grant, access) = state
                        .oauth
                        .refresh_tokens
                        .get(token)
                        .cloned()
                        .filter(|(g, _)| g.client_id == client_id)
                        .ok_or_else(|| {
                            ApiError::new(400, "invalid_grant", "Invalid refresh token.")
                        })?;
                    // Rotation: the old refresh token and access token stop working.
                    state.oauth.refresh_tokens.remove(token);
                    revoke_access(state, &access);
                    Ok(OAuthOutcome::Json(issue(
                        state,
                        OAuthGrant {
                            issued_at: now,
                            ..grant
                        },
                    )))
                }
                other => Err(ApiError::body_validation(
                    "body.grant_type",
                    "`\"authorization_code\"` or `\"refresh_token\"`",
                    &other.map_or(Value::Null, |s| Value::String(s.to_owned())),
                )),
            }
        }
        Route::OAuthRevoke => {
            client_from_basic(state, authorization)?;
            let token = body
                .get("token")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            revoke_access(state, &token);
            state
                .oauth
                .refresh_tokens
                .retain(|_, (_, access)| *access != token);
            Ok(OAuthOutcome::Json(json!({})))
        }
        Route::OAuthIntrospect => {
            client_from_basic(state, authorization)?;
            let token = body
                .get("token")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(OAuthOutcome::Json(
                match state.oauth.access_tokens.get(token) {
                    Some(g) => {
                        json!({"active": true, "scope": "read_content update_content insert_content", "iat": g.issued_at.as_second()})
                    }
                    None => json!({"active": false}),
                },
            ))
        }
        _ => Err(ApiError::invalid_request_url()),
    }
}
