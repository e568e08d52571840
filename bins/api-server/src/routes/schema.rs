//! `/admin/notion/databases/{databaseId}/properties`: a database's schema, so the link form can
//! offer each role (status, results link, title, …) the properties of the right type.

use actix_web::{get, web};
use notion_client::Priority;

use crate::error::{ApiError, ErrorResponse};
use crate::models::{DatabasePath, PropertiesResponse};
use crate::responses::{NotionFailed, NotionUnavailable, TooManyFailedLogins, Unauthorized};
use crate::routes::notion::parse_notion_id;
use crate::state::AppState;

/// The properties of an allowlisted database (id, name, type, and the options of a status or
/// select), read from Notion through the sync driver.
#[utoipa::path(
    tag = "notion",
    params(DatabasePath),
    responses(
        (status = 200, description = "The database's properties, sorted by name", body = PropertiesResponse),
        (status = 400, description = "Malformed database id (`field`: `databaseId`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "Database not in NOTION_DATABASE_ALLOWLIST", body = ErrorResponse),
        (status = 404, description = "Database not found or not shared with the integration", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[get("/notion/databases/{databaseId}/properties")]
pub(crate) async fn database_properties(
    state: web::Data<AppState>,
    path: web::Path<DatabasePath>,
) -> Result<web::Json<PropertiesResponse>, ApiError> {
    let database_id = parse_notion_id("databaseId", &path.database_id)?;
    // An admin waits on the form: its Notion request goes ahead of sync work.
    let properties = Priority::Interactive
        .scope(state.driver.database_properties(&database_id))
        .await?;
    Ok(web::Json(PropertiesResponse {
        success: true,
        properties: properties.into_iter().map(Into::into).collect(),
    }))
}
