//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};

use crate::error::{ApiError, ErrorResponse};
use crate::models::{HealthResponse, ReadyResponse};
use crate::state::AppState;

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

/// Readiness: the store answers and its schema is at the latest migration.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = ReadyResponse),
        (status = 503, description = "The store is unreachable or not migrated", body = ErrorResponse),
    )
)]
#[get("/readyz")]
pub(crate) async fn readyz(
    state: web::Data<AppState>,
) -> Result<web::Json<ReadyResponse>, ApiError> {
    let store = state.store.clone();
    let version = web::block(move || store.schema_version())
        .await
        .map_err(|_| ApiError::Unavailable("the store check could not run".into()))?
        .map_err(|error| {
            tracing::warn!(%error, "readiness check failed");
            ApiError::Unavailable(format!("the store is unreachable: {error}"))
        })?;
    if version != store::LATEST_SCHEMA_VERSION {
        return Err(ApiError::Unavailable(format!(
            "the store is at schema version {version}, expected {}",
            store::LATEST_SCHEMA_VERSION
        )));
    }
    Ok(web::Json(ReadyResponse {
        status: "ready".into(),
        schema_version: version,
    }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let stats = state.driver.notion().stats();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(Some(&stats)))
}
