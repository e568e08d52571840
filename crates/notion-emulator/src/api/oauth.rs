//! OAuth: authorize (a consent page, or opt-in auto-consent), the consent's answer, token
//! (authorization_code, rotating refresh_token), revoke, introspect. Grants span workspaces: a
//! public integration is installable in every workspace that lists its client.

use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use notion_workspace::ApiError;
use notion_workspace::render;
use notion_workspace::util::{fmt_id, parse_id};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Route;
use crate::html;
use crate::spaces::{Grant, OAuthApp, Spaces};

/// What an OAuth route answers.
pub(crate) enum OAuthOutcome {
    /// A JSON body with status 200.
    Json(Value),
    /// A 302 redirect to this URL.
    Redirect(String),
    /// An HTML page with this status (the consent page, or why authorize cannot go on).
    Html(u16, String),
}

fn client_from_basic(spaces: &Spaces, authorization: Option<&str>) -> Result<usize, ApiError> {
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
    spaces
        .oauth
        .apps
        .iter()
        .position(|c| c.client_id == id && c.client_secret == secret)
        .ok_or_else(invalid)
}

/// The owner of an authorization: the person who consented (the workspace's first person).
fn owner(spaces: &Spaces, workspace: usize) -> Value {
    match spaces.list[workspace].people.first() {
        Some(p) => {
            let mut user = render::person(p);
            // The token response's user carries only the email (oauth.d.ts).
            user["person"] = json!({"email": p.email});
            json!({"type": "user", "user": user})
        }
        None => json!({"type": "workspace", "workspace": true}),
    }
}

fn issue(spaces: &mut Spaces, grant: Grant, now: Timestamp) -> Value {
    let lifetime = spaces.oauth.settings.token_lifetime;
    let grant = Grant {
        issued_at: now,
        expires_at: lifetime.and_then(|l| {
            SignedDuration::try_from(l)
                .ok()
                .and_then(|d| now.checked_add(d).ok())
        }),
        ..grant
    };
    let state = &mut spaces.list[grant.workspace];
    let access = format!("ntn_oauth_{}", state.rng.token(40));
    let refresh = format!("nrt_{}", state.rng.token(40));
    state.tokens.insert(access.clone(), grant.integration);
    let bot = state.integrations[grant.integration].id;
    let mut body = json!({
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "bot_id": fmt_id(bot),
        "workspace_id": fmt_id(state.workspace_id),
        "workspace_name": state.workspace_name,
        "workspace_icon": state.workspace_icon,
        "owner": owner(spaces, grant.workspace),
        "duplicated_template_id": null,
    });
    if let Some(l) = lifetime {
        // Notion's documented response has no `expires_in`; the emulator adds it only when a
        // lifetime is set, as OAuth 2.0 servers with expiring tokens do.
        body["expires_in"] = json!(l.as_secs());
    }
    spaces
        .oauth
        .access_tokens
        .insert(access.clone(), grant.clone());
    spaces.oauth.refresh_tokens.insert(refresh, (grant, access));
    body
}

fn revoke_access(spaces: &mut Spaces, token: &str) {
    if let Some(g) = spaces.oauth.access_tokens.remove(token)
        && let Some(state) = spaces.list.get_mut(g.workspace)
    {
        state.tokens.remove(token);
    }
}

/// Whether a token the emulator issued has expired (tokens from the workspace file never do).
pub(crate) fn expired(spaces: &Spaces, token: &str, now: Timestamp) -> bool {
    spaces
        .oauth
        .access_tokens
        .get(token)
        .and_then(|g| g.expires_at)
        .is_some_and(|at| now >= at)
}

/// The rate-limit key of a token: an OAuth token counts against its connection (client,
/// workspace and bot), so a refresh does not start a fresh window; any other token is its own key.
pub(crate) fn connection_key(spaces: &Spaces, token: &str) -> String {
    match spaces.oauth.access_tokens.get(token) {
        Some(g) => format!(
            "oauth:{}:{}:{}",
            g.client_id,
            fmt_id(spaces.list[g.workspace].workspace_id),
            g.integration
        ),
        None => token.to_owned(),
    }
}

fn bad_page(message: &str) -> OAuthOutcome {
    OAuthOutcome::Html(400, html::oauth_error_page(message))
}

/// The client and the redirect URI of an authorize request, or the 400 page saying why not.
fn check_client(
    spaces: &Spaces,
    client_id: Option<&str>,
    redirect_uri: Option<&str>,
) -> Result<(usize, String), OAuthOutcome> {
    let client_id = client_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad_page("Missing client_id."))?;
    let app = spaces
        .oauth
        .apps
        .iter()
        .position(|c| c.client_id == client_id)
        .ok_or_else(|| bad_page(&format!("Unknown client_id {client_id}.")))?;
    let registered = &spaces.oauth.apps[app].redirect_uris;
    let redirect = match redirect_uri.filter(|r| !r.is_empty()) {
        Some(r) if registered.iter().any(|x| x == r) => r.to_owned(),
        Some(r) => {
            return Err(bad_page(&format!(
                "redirect_uri {r} is not registered for this integration."
            )));
        }
        None => registered
            .first()
            .cloned()
            .ok_or_else(|| bad_page("No redirect_uri is registered for this integration."))?,
    };
    Ok((app, redirect))
}

fn with_params(redirect: &str, params: &[(&str, &str)]) -> String {
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let encoded: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect();
    format!("{redirect}{sep}{}", encoded.join("&"))
}

/// Records the consent (shares `share` with the integration in `workspace`) and mints a code.
fn consent(
    spaces: &mut Spaces,
    app: usize,
    workspace: usize,
    share: &[Uuid],
    given_redirect: Option<String>,
    now: Timestamp,
) -> Result<String, OAuthOutcome> {
    let OAuthApp {
        client_id,
        installs,
        ..
    } = &spaces.oauth.apps[app];
    let client_id = client_id.clone();
    let integration = installs
        .iter()
        .find(|(w, _)| *w == workspace)
        .map(|(_, i)| *i)
        .ok_or_else(|| bad_page("This integration cannot be installed in that workspace."))?;
    let state = &mut spaces.list[workspace];
    for id in share {
        // Only objects of the chosen workspace can be shared; anything else is ignored.
        if state.pages.contains_key(id) || state.databases.contains_key(id) {
            state.integrations[integration].shared.insert(*id);
        }
    }
    let code = state.rng.token(32);
    spaces.oauth.codes.insert(
        code.clone(),
        (
            Grant {
                client_id,
                workspace,
                integration,
                issued_at: now,
                expires_at: None,
            },
            given_redirect,
        ),
    );
    Ok(code)
}

fn authorize_get(
    spaces: &mut Spaces,
    q: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
) -> OAuthOutcome {
    let (app, redirect) = match check_client(
        spaces,
        q("client_id").as_deref(),
        q("redirect_uri").as_deref(),
    ) {
        Ok(x) => x,
        Err(page) => return page,
    };
    if let Some(rt) = q("response_type")
        && rt != "code"
    {
        return bad_page(&format!(
            "response_type must be \"code\", instead was {rt:?}."
        ));
    }
    let installs: Vec<usize> = spaces.oauth.apps[app]
        .installs
        .iter()
        .map(|(w, _)| *w)
        .collect();
    if installs.is_empty() {
        return bad_page("This integration is not installable in any workspace.");
    }
    if let Some(auto) = spaces.oauth.settings.auto_consent.clone() {
        let workspace = match auto.workspace_id {
            Some(id) => match spaces.by_workspace_id(id) {
                Some(w) => w,
                None => return bad_page(&format!("Auto-consent names unknown workspace {id}.")),
            },
            None => installs[0],
        };
        let state = q("state");
        return match consent(spaces, app, workspace, &auto.share, q("redirect_uri"), now) {
            Ok(code) => {
                let mut params = vec![("code", code.as_str())];
                if let Some(s) = state.as_deref() {
                    params.push(("state", s));
                }
                OAuthOutcome::Redirect(with_params(&redirect, &params))
            }
            Err(page) => page,
        };
    }
    let app = &spaces.oauth.apps[app];
    let workspaces: Vec<&notion_workspace::model::State> =
        installs.iter().map(|w| &spaces.list[*w]).collect();
    OAuthOutcome::Html(
        200,
        html::consent_page(
            &app.name,
            &app.client_id,
            q("redirect_uri").as_deref(),
            q("state").as_deref(),
            &workspaces,
        ),
    )
}

/// The consent form's answer (`POST /v1/oauth/authorize`, form-encoded).
fn authorize_post(spaces: &mut Spaces, form: &[(String, String)], now: Timestamp) -> OAuthOutcome {
    let f = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let given_redirect = f("redirect_uri").filter(|r| !r.is_empty());
    let (app, redirect) =
        match check_client(spaces, f("client_id").as_deref(), given_redirect.as_deref()) {
            Ok(x) => x,
            Err(page) => return page,
        };
    let state = f("state").filter(|s| !s.is_empty());
    let mut params: Vec<(&str, String)> = Vec::new();
    match f("action").as_deref() {
        Some("allow") => {
            let Some(workspace) = f("workspace_id")
                .as_deref()
                .and_then(parse_id)
                .and_then(|id| spaces.by_workspace_id(id))
            else {
                return bad_page("Choose a workspace.");
            };
            let share: Vec<Uuid> = form
                .iter()
                .filter(|(k, _)| k == "share")
                .filter_map(|(_, v)| parse_id(v))
                .collect();
            match consent(spaces, app, workspace, &share, given_redirect, now) {
                Ok(code) => params.push(("code", code)),
                Err(page) => return page,
            }
        }
        Some("cancel") => params.push(("error", "access_denied".to_owned())),
        _ => return bad_page("Choose Allow or Cancel."),
    }
    if let Some(s) = state {
        params.push(("state", s));
    }
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    OAuthOutcome::Redirect(with_params(&redirect, &borrowed))
}

/// Handles an OAuth route. `form` is the raw request body (the consent form posts it encoded).
pub(crate) fn handle(
    spaces: &mut Spaces,
    route: Route,
    authorization: Option<&str>,
    query: &[(String, String)],
    body: &Value,
    form: &[(String, String)],
    now: Timestamp,
) -> Result<OAuthOutcome, ApiError> {
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match route {
        Route::OAuthAuthorize => Ok(authorize_get(spaces, &q, now)),
        Route::OAuthConsent => Ok(authorize_post(spaces, form, now)),
        Route::OAuthToken => {
            let client = client_from_basic(spaces, authorization)?;
            let client_id = spaces.oauth.apps[client].client_id.clone();
            match body.get("grant_type").and_then(Value::as_str) {
                Some("authorization_code") => {
                    let code = body.get("code").and_then(Value::as_str).unwrap_or_default();
                    let (grant, redirect) = spaces
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
                    spaces.oauth.codes.remove(code);
                    Ok(OAuthOutcome::Json(issue(spaces, grant, now)))
                }
                Some("refresh_token") => {
                    let token = body
                        .get("refresh_token")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    // Under the one lock, the first of two concurrent refreshes removes the token;
                    // the second finds nothing and loses with `invalid_grant`, as at Notion.
                    let (grant, access) = spaces
                        .oauth
                        .refresh_tokens
                        .get(token)
                        .cloned()
                        .filter(|(g, _)| g.client_id == client_id)
                        .ok_or_else(|| {
                            ApiError::new(400, "invalid_grant", "Invalid refresh token.")
                        })?;
                    // Rotation: the old refresh token and access token stop working.
                    spaces.oauth.refresh_tokens.remove(token);
                    revoke_access(spaces, &access);
                    Ok(OAuthOutcome::Json(issue(spaces, grant, now)))
                }
                other => Err(ApiError::body_validation(
                    "body.grant_type",
                    "`\"authorization_code\"` or `\"refresh_token\"`",
                    &other.map_or(Value::Null, |s| Value::String(s.to_owned())),
                )),
            }
        }
        Route::OAuthRevoke => {
            client_from_basic(spaces, authorization)?;
            let token = body
                .get("token")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            // An access token: it and the refresh token paired with it. A refresh token: it and
            // the access token it last issued.
            let access = spaces
                .oauth
                .refresh_tokens
                .remove(&token)
                .map_or(token.clone(), |(_, a)| a);
            revoke_access(spaces, &access);
            spaces.oauth.refresh_tokens.retain(|_, (_, a)| *a != access);
            Ok(OAuthOutcome::Json(json!({})))
        }
        Route::OAuthIntrospect => {
            client_from_basic(spaces, authorization)?;
            let token = body
                .get("token")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(OAuthOutcome::Json(
                match spaces.oauth.access_tokens.get(token) {
                    Some(g) if !expired(spaces, token, now) => {
                        json!({"active": true, "scope": "read_content update_content insert_content", "iat": g.issued_at.as_second()})
                    }
                    _ => json!({"active": false}),
                },
            ))
        }
        _ => Err(ApiError::invalid_request_url()),
    }
}
