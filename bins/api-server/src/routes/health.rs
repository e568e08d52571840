//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::SyncHealth;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorResponse};
use crate::metrics::sync_health_exposition;
use crate::models::{HealthResponse, ReadyResponse};
use crate::state::AppState;

/// How long after the last finished run the sync counts as stale when `/readyz` is not told
/// otherwise.
const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// Liveness: the process is up. Checks nothing else.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Alive", body = HealthResponse))
)]
#[get("/healthz")]
pub(crate) async fn healthz() -> web::Json<HealthResponse> {
    web::Json(HealthResponse {
        status: "ok".into(),
    })
}

/// The query of `GET /readyz`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReadyQuery {
    /// How long after the last finished sync run `sync_stale` turns `true`: a whole number above
    /// zero with an optional unit, `ms`, `s` (the default unit; also `sec`, `secs`), `m` (`min`,
    /// `mins`), `h` (`hr`, `hrs`) or `d` (`day`, `days`), e.g. `30s`, `5m`, `1h` or `600`
    /// (omitted or empty: `10m`). Anything else is a 400.
    #[param(
        pattern = "^(|0*[1-9][0-9]{0,10}(ms|s|sec|secs|m|min|mins|h|hr|hrs|d|day|days)?)$",
        example = "15m"
    )]
    stale_after: Option<String>,
}

/// `GET /readyz`: ready (the store answers at the latest schema), and, for information only, how
/// fresh the sync is. Staleness never makes the server unready: it keeps serving the admin API
/// when the sync-runner is down.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReadinessResponse {
    #[serde(flatten)]
    ready: ReadyResponse,
    /// Elections linked to a Notion page.
    linked_elections: u64,
    /// When the newest finished sync run (any trigger, a manual sync included) finished; `null`
    /// when none has.
    #[serde(serialize_with = "crate::time::serialize_option")]
    last_run_finished_at: Option<Timestamp>,
    /// When an election last synced successfully; `null` when none has.
    #[serde(serialize_with = "crate::time::serialize_option")]
    last_successful_sync_at: Option<Timestamp>,
    /// `true` when elections are linked and no sync run finished within `sync_stale_after_seconds`
    /// (is the sync-runner running?). Information only: the status stays 200.
    sync_stale: bool,
    /// The window `sync_stale` uses, in seconds (`stale_after`, default 600).
    #[schema(example = 600)]
    sync_stale_after_seconds: u64,
}

/// Whether the sync is stale at `now`: elections are linked and no run finished in the window.
fn is_stale(health: &SyncHealth, now: Timestamp, window: Duration) -> bool {
    if health.linked == 0 {
        return false;
    }
    let finished = health
        .last_finished_run
        .as_ref()
        .and_then(|run| run.finished_at);
    match finished {
        None => true,
        Some(at) => now.duration_since(at).unsigned_abs() > window && at < now,
    }
}

/// Readiness: the store answers and its schema is at the latest migration (else 503). The body
/// also tells how fresh the sync is (`sync_stale`), without failing readiness for it.
#[utoipa::path(
    tag = "operations",
    params(ReadyQuery),
    responses(
        (status = 200, description = "Ready; the body says whether the sync is stale", body = ReadinessResponse),
        (status = 400, description = "`stale_after` is not a duration (`field`: `stale_after`)", body = ErrorResponse),
        (status = 503, description = "The store is unreachable or not migrated", body = ErrorResponse),
    )
)]
#[get("/readyz")]
pub(crate) async fn readyz(
    state: web::Data<AppState>,
    query: web::Query<ReadyQuery>,
) -> Result<web::Json<ReadinessResponse>, ApiError> {
    let window = match query.stale_after.as_deref() {
        None | Some("") => DEFAULT_STALE_AFTER,
        Some(text) => bin_support::parse_duration(text)
            .map_err(|error| ApiError::invalid("stale_after", error.to_string()))?,
    };
    let store = &state.store;
    let checked: store::Result<_> = async {
        let ours = store.health().await?;
        Ok((ours, store.sync_health().await?))
    }
    .await;
    let (ours, health) = checked.map_err(|error| {
        tracing::warn!(%error, "readiness check failed");
        if error.kind().is_unavailable() {
            crate::error::store_unavailable(&error)
        } else {
            ApiError::Unavailable(format!("the store is unreachable: {error}"))
        }
    })?;
    let version = ours.schema_version;
    if !ours.is_current() {
        return Err(ApiError::Unavailable(format!(
            "the store is at schema version {version}, expected {}",
            ours.latest_schema_version
        )));
    }
    let now = Timestamp::now();
    Ok(web::Json(ReadinessResponse {
        ready: ReadyResponse {
            status: "ready".into(),
            schema_version: version,
        },
        linked_elections: health.linked,
        last_run_finished_at: health
            .last_finished_run
            .as_ref()
            .and_then(|r| r.finished_at),
        last_successful_sync_at: health.last_successful_sync_at,
        sync_stale: is_stale(&health, now, window),
        sync_stale_after_seconds: window.as_secs(),
    }))
}

/// Prometheus metrics (text exposition format): the server's own counters, and the sync's health
/// read from the store now (elections linked, failing, broken, paused; the last run and success).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let stats = state.driver.notion().stats();
    let health = match state.store.sync_health().await {
        Ok(health) => Some(health),
        Err(error) => {
            tracing::warn!(%error, "the sync health could not be read for /metrics");
            None
        }
    };
    let mut body = state.metrics.render(Some(&stats));
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    body.push_str(&sync_health_exposition(health.as_ref(), Timestamp::now()));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn finished_at(when: &str) -> SyncHealth {
        SyncHealth {
            linked: 1,
            last_finished_run: Some(store::SyncRun {
                id: uuid::Uuid::nil(),
                started_at: at(when),
                finished_at: Some(at(when)),
                trigger: sync_engine::Trigger::Scheduled,
                holder: "runner".into(),
                counts: store::RunCounts::default(),
                error: None,
            }),
            ..SyncHealth::default()
        }
    }

    #[test]
    fn stale_only_with_linked_elections_and_no_run_in_the_window() {
        let now = at("2026-02-01T10:00:00Z");
        let ten = Duration::from_secs(600);
        assert!(
            !is_stale(&SyncHealth::default(), now, ten),
            "nothing linked"
        );
        let never = SyncHealth {
            linked: 2,
            ..SyncHealth::default()
        };
        assert!(is_stale(&never, now, ten), "linked, never ran");
        assert!(!is_stale(&finished_at("2026-02-01T09:55:00Z"), now, ten));
        assert!(
            !is_stale(&finished_at("2026-02-01T09:50:00Z"), now, ten),
            "at the edge"
        );
        assert!(is_stale(&finished_at("2026-02-01T09:49:59Z"), now, ten));
        assert!(
            !is_stale(&finished_at("2026-02-01T10:01:00Z"), now, ten),
            "clock skew"
        );
    }
}
