//! `/admin/sync/runs`: the history of sync cycles and their logs.

use actix_web::{get, web};
use store::{ListRequest, RunActivity, RunFilter};

use crate::error::{ApiError, ErrorResponse};
use crate::extract::parse_limit;
use crate::models::{LogEntryJson, RunJson, RunListQuery, RunListResponse, RunPath, RunResponse};
use crate::responses::{TooManyFailedLogins, Unauthorized};
use crate::state::AppState;

/// List sync runs, newest first: every run, or with `activity=changes` only those with changes.
///
/// The sync-runner records every cycle, most of them idle (one empty change query);
/// `activity=changes` leaves those out. Omitted, `activity` is `all`, as before it existed.
#[utoipa::path(
    tag = "sync",
    params(RunListQuery),
    responses(
        (status = 200, description = "A page of runs", body = RunListResponse),
        (status = 400, description = "`limit` not an integer from 1 to 200, `activity` not `all` or `changes`, or a cursor this API did not return", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/sync/runs")]
pub(crate) async fn list_runs(
    state: web::Data<AppState>,
    query: web::Query<RunListQuery>,
) -> Result<web::Json<RunListResponse>, ApiError> {
    let query = query.into_inner();
    let page = ListRequest {
        limit: parse_limit(query.limit.as_deref(), 50, 200)?,
        cursor: query.cursor.filter(|c| !c.trim().is_empty()),
    };
    // Exactly `all` or `changes`, as the OpenAPI document's pattern says: an empty `activity=` or
    // padded value is refused like any other, not read as the default.
    let activity = match query.activity.as_deref() {
        None => RunActivity::All,
        Some(text) => RunActivity::parse(text).ok_or_else(|| {
            ApiError::invalid(
                "activity",
                format!("activity must be `all` or `changes`, got {text:?}"),
            )
        })?,
    };
    let filter = RunFilter { activity };
    let page = state.store.list_runs_filtered(&filter, &page).await?;
    Ok(web::Json(RunListResponse {
        success: true,
        runs: page.items.iter().map(RunJson::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Read one sync run with its log.
#[utoipa::path(
    tag = "sync",
    params(RunPath),
    responses(
        (status = 200, description = "The run and its log", body = RunResponse),
        (status = 400, description = "The id is not a UUID (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such run", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[get("/sync/runs/{id}")]
pub(crate) async fn get_run(
    state: web::Data<AppState>,
    path: web::Path<RunPath>,
) -> Result<web::Json<RunResponse>, ApiError> {
    let id = store::parse_run_id(&path.id).map_err(|error| match error {
        store::StoreError::Invalid { message, .. } => ApiError::invalid("id", message),
        other => ApiError::from(other),
    })?;
    let run = state.store.get_run(id).await?;
    Ok(web::Json(RunResponse {
        success: true,
        run: RunJson::from(&run.run),
        logs: run.logs.iter().map(LogEntryJson::from).collect(),
    }))
}
