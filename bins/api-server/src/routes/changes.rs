//! `GET /admin/changes?since=`: a long poll that answers once anything the admin pages show has
//! changed (an election created, edited, linked or synced, a run logged, a phase reached), so a
//! page updates itself without reloading on a timer.

use std::time::Duration;

use actix_web::{get, web};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorResponse};
use crate::responses::{TooManyFailedLogins, Unauthorized};
use crate::state::AppState;

/// The longest a request waits, and the default: under the 30 s many proxies allow an idle
/// response, and short enough that a stopped server is noticed soon.
pub(crate) const MAX_WAIT_SECS: u64 = 25;

/// How often a waiting request reads the token again. Phase changes are reached by the clock, not
/// announced by a write, so the wait has to look; one small read a second per open page is cheap.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The longest `since` a token can be (11 hex numbers and the dots between them).
const MAX_TOKEN_LEN: usize = 11 * 17;

/// Parameters of `GET /admin/changes`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesQuery {
    /// The `token` of the previous answer, unchanged. Omitted or empty: the current token at once
    /// (a page's first call). Anything other than a token this API returned is a 400.
    #[param(example = "4.18c2e0a5f00.0.0.2.1.1f.18c2e0a6a10.18c2e0a6a12.0.0")]
    pub(crate) since: Option<String>,
    /// How long to wait for a change, in whole seconds from 0 to 25 (omitted: 25). 0 answers at
    /// once.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 25, example = 25)]
    pub(crate) timeout: Option<String>,
}

/// `GET /admin/changes`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangesResponse {
    /// Always `true`.
    pub(crate) success: bool,
    /// The current token: pass it as `since` next time.
    #[schema(example = "4.18c2e0a5f00.0.0.2.1.1f.18c2e0a6a10.18c2e0a6a12.0.0")]
    pub(crate) token: String,
    /// Whether `token` differs from `since` (always `true` without `since`): refetch what the
    /// page shows. `false` when the wait ended with nothing changed: just ask again.
    pub(crate) changed: bool,
}

fn parse_since(raw: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(since) = raw.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let shaped = since.len() <= MAX_TOKEN_LEN
        && since.split('.').all(|part| {
            !part.is_empty() && part.len() <= 16 && part.bytes().all(|b| b.is_ascii_hexdigit())
        });
    if !shaped {
        return Err(ApiError::invalid(
            "since",
            "since must be the token of a previous answer of GET /admin/changes, unchanged; omit it to get the current token",
        ));
    }
    Ok(Some(since))
}

fn parse_timeout(raw: Option<&str>) -> Result<Duration, ApiError> {
    let Some(raw) = raw else {
        return Ok(Duration::from_secs(MAX_WAIT_SECS));
    };
    match raw.parse::<u64>() {
        Ok(secs) if secs <= MAX_WAIT_SECS => Ok(Duration::from_secs(secs)),
        _ => Err(ApiError::invalid(
            "timeout",
            format!(
                "timeout must be a whole number of seconds from 0 to {MAX_WAIT_SECS}, got {raw:?}"
            ),
        )),
    }
}

async fn current_token(state: &AppState) -> Result<String, ApiError> {
    Ok(state.store.change_token(Timestamp::now()).await?)
}

/// Wait until anything the admin pages show changes: answers at once when the current token
/// differs from `since` (or without `since`), else checks every second and answers when it
/// changes, or after `timeout` seconds (`changed: false`), or when the server stops.
#[utoipa::path(
    tag = "sync",
    params(ChangesQuery),
    responses(
        (status = 200, description = "The current token, and whether it differs from `since`", body = ChangesResponse),
        (status = 400, description = "`since` is not a token this API returned, or `timeout` not an integer from 0 to 25; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/changes")]
pub(crate) async fn changes(
    state: web::Data<AppState>,
    query: web::Query<ChangesQuery>,
) -> Result<web::Json<ChangesResponse>, ApiError> {
    let query = query.into_inner();
    let timeout = parse_timeout(query.timeout.as_deref())?;
    let since = parse_since(query.since)?;
    let answer = |token: String| {
        let changed = since.as_deref() != Some(token.as_str());
        web::Json(ChangesResponse {
            success: true,
            token,
            changed,
        })
    };
    let mut token = current_token(&state).await?;
    let Some(since_token) = since.as_deref() else {
        return Ok(answer(token));
    };
    let deadline = tokio::time::Instant::now() + timeout;
    while token == since_token {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            break;
        }
        let wake = deadline.min(now + CHECK_EVERY);
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            // A stopping server answers its waiting pages at once instead of holding the shutdown.
            () = state.shutdown.cancelled() => break,
        }
        token = current_token(&state).await?;
    }
    Ok(answer(token))
}
