//! `/admin/notion/*` and `/admin/elections/{id}/notion/*`: the allowlist, page search and
//! validation, link, unlink and manual sync.

use actix_web::{get, web};

use crate::error::{ApiError, ErrorResponse};
use crate::models::{DatabaseJson, DatabasesResponse};
use crate::state::AppState;

/// The allowlisted databases, for the database dropdown.
#[utoipa::path(
    tag = "notion",
    responses(
        (status = 200, description = "The allowlist", body = DatabasesResponse),
        (status = 401, description = "Missing or wrong admin token", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[get("/notion/databases")]
pub(crate) async fn list_databases(
    state: web::Data<AppState>,
) -> Result<web::Json<DatabasesResponse>, ApiError> {
    Ok(web::Json(DatabasesResponse {
        success: true,
        databases: state
            .allowlist
            .entries()
            .iter()
            .map(|entry| DatabaseJson {
                id: entry.id.to_string(),
                name: entry.name.clone(),
            })
            .collect(),
    }))
}
