//! `/admin/notion/*` and `/admin/elections/{id}/notion/*`: the allowlist, page search and
//! validation, link, unlink and manual sync, all through the sync driver the runner uses.

use actix_web::{delete, get, post, web};
use jiff::Timestamp;
use notion_client::{NotionId, Priority};

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, parse_election_id};
use crate::models::{
    DatabaseJson, DatabasePath, DatabasesResponse, ElectionJson, ElectionPath, LinkRequestJson,
    LinkResponse, PageJson, PagePath, PageSearchQuery, PageSearchResponse, SyncResponse,
    SyncedJson, ValidateQuery, ValidationResponse, WrittenJson,
};
use crate::responses::{
    NotionFailed, NotionUnavailable, PayloadTooLarge, TooManyFailedLogins, Unauthorized,
    UnsupportedMediaType,
};
use crate::state::AppState;

pub(crate) fn parse_notion_id(field: &str, raw: &str) -> Result<NotionId, ApiError> {
    NotionId::parse(raw).map_err(|error| ApiError::invalid(field, error.to_string()))
}

/// The allowlisted databases, for the database dropdown: `NOTION_DATABASE_ALLOWLIST`, then the
/// databases allowed on each connected workspace (with its connection and workspace name).
#[utoipa::path(
    tag = "notion",
    responses(
        (status = 200, description = "The allowlist", body = DatabasesResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/notion/databases")]
pub(crate) async fn list_databases(
    state: web::Data<AppState>,
) -> Result<web::Json<DatabasesResponse>, ApiError> {
    let mut databases: Vec<DatabaseJson> = state
        .allowlist()
        .entries()
        .iter()
        .map(|entry| DatabaseJson {
            id: entry.id.to_string(),
            name: entry.name.clone(),
            connection_id: None,
            workspace_name: None,
        })
        .collect();
    for connection in state.store.list_connections().await? {
        if connection.id.is_internal() {
            continue;
        }
        for allowed in state.store.allowed_databases(&connection.id).await? {
            databases.push(DatabaseJson {
                name: allowed.name.unwrap_or_else(|| allowed.database_id.clone()),
                id: allowed.database_id,
                connection_id: Some(connection.id.to_string()),
                workspace_name: connection
                    .workspace_name
                    .clone()
                    .or(connection.workspace_id.clone()),
            });
        }
    }
    Ok(web::Json(DatabasesResponse {
        success: true,
        databases,
    }))
}

/// Search an allowlisted database's pages by title (case-insensitive), 20 at a time.
#[utoipa::path(
    tag = "notion",
    params(
        DatabasePath,
        PageSearchQuery,
    ),
    responses(
        (status = 200, description = "Up to 20 pages", body = PageSearchResponse),
        (status = 400, description = "Malformed database id, or a cursor Notion did not issue; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "Database not in NOTION_DATABASE_ALLOWLIST", body = ErrorResponse),
        (status = 404, description = "Database not found or not shared with the integration", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[get("/notion/databases/{databaseId}/pages")]
pub(crate) async fn search_pages(
    state: web::Data<AppState>,
    path: web::Path<DatabasePath>,
    query: web::Query<PageSearchQuery>,
) -> Result<web::Json<PageSearchResponse>, ApiError> {
    let database_id = parse_notion_id("databaseId", &path.database_id)?;
    let query = query.into_inner();
    let cursor = query.cursor.filter(|c| !c.trim().is_empty());
    // An admin waits on each of these handlers: its Notion requests go ahead of sync work.
    let result = Priority::Interactive
        .scope(state.driver.search_pages(
            &database_id,
            query.query.as_deref().unwrap_or(""),
            cursor.as_deref(),
        ))
        .await;
    let search = match result {
        Ok(search) => search,
        // Notion answers 400 for a cursor it did not issue: that is the caller's input.
        Err(sync_driver::DriverError::Notion(error))
            if cursor.is_some() && error.status() == Some(400) =>
        {
            return Err(ApiError::invalid(
                "cursor",
                "the cursor is not one this API returned: pass next_cursor unchanged, or omit it for the first page",
            ));
        }
        Err(error) => return Err(error.into()),
    };
    Ok(web::Json(PageSearchResponse {
        success: true,
        pages: search
            .pages
            .into_iter()
            .map(|page| PageJson {
                id: page.id.to_string(),
                title: page.title,
                url: page.url,
            })
            .collect(),
        next_cursor: search.next_cursor,
    }))
}

/// Check whether a page can be linked: shared, not in trash, in an allowlisted database, with a
/// Status property (default `Voting Status`) that has the "In Voting" and "Done" options.
#[utoipa::path(
    tag = "notion",
    params(
        PagePath,
        ValidateQuery,
    ),
    responses(
        (status = 200, description = "`{\"valid\": true}` or `{\"valid\": false, \"error\": \"…\"}`", body = ValidationResponse),
        (status = 400, description = "Malformed page id or database id (`field`: `pageId` or `database_id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "The page's database is not allowlisted", body = ErrorResponse),
        (status = 404, description = "The page's database is not shared with the integration", body = ErrorResponse),
        (status = 409, description = "The database's connection cannot be used (`connection_unavailable`: removed, or it needs re-authorization); the message says what to do", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[get("/notion/pages/{pageId}/validate")]
pub(crate) async fn validate_page(
    state: web::Data<AppState>,
    path: web::Path<PagePath>,
    query: web::Query<ValidateQuery>,
) -> Result<web::Json<ValidationResponse>, ApiError> {
    let page_id = parse_notion_id("pageId", &path.page_id)?;
    let query = query.into_inner();
    let database_id = match query.database_id.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(parse_notion_id("database_id", raw)?),
        _ => None,
    };
    let property = query.property_name.filter(|p| !p.trim().is_empty());
    let validation = match database_id {
        Some(database_id) => {
            Priority::Interactive
                .scope(
                    state
                        .driver
                        .validate_page_in(&database_id, &page_id, property.as_deref()),
                )
                .await?
        }
        None => {
            Priority::Interactive
                .scope(state.driver.validate_page(&page_id, property.as_deref()))
                .await?
        }
    };
    Ok(web::Json(ValidationResponse {
        success: true,
        valid: validation.valid,
        error: validation.error,
        warnings: validation.warnings,
    }))
}

/// Link (or re-link) an election to a page of an allowlisted database, after validating it.
#[utoipa::path(
    tag = "notion",
    params(ElectionPath),
    request_body = LinkRequestJson,
    responses(
        (status = 200, description = "Linked", body = LinkResponse),
        (status = 400, description = "Malformed election id, JSON, `database_id` or `page_id`, or an unknown or mistyped field; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "Database not in NOTION_DATABASE_ALLOWLIST", body = ErrorResponse),
        (status = 404, description = "No such election, or the page's database is not shared with the integration", body = ErrorResponse),
        (status = 409, description = "The page is already linked to another election (`page_already_linked`; the message names it): one page shows one election", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "The page fails validation; the message says what to fix", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/elections/{id}/notion/link")]
pub(crate) async fn link(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
    body: ApiJson<LinkRequestJson>,
) -> Result<web::Json<LinkResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let request = body.0;
    parse_notion_id("database_id", &request.database_id)?;
    parse_notion_id("page_id", &request.page_id)?;
    if request.primary == Some(false) {
        return Err(ApiError::invalid(
            "primary",
            "this route sets the election's primary link; to add another link, POST to /admin/elections/{id}/notion/links",
        ));
    }
    let now = Timestamp::now();
    let outcome = Priority::Interactive
        .scope(state.driver.link(&id, request.into(), now))
        .await?;
    Ok(web::Json(LinkResponse {
        success: true,
        election: ElectionJson::from_record(&outcome.record, now),
        warnings: outcome.warnings,
    }))
}

/// Unlink an election from its Notion page. Never touches the page.
#[utoipa::path(
    tag = "notion",
    params(ElectionPath),
    responses(
        (status = 200, description = "Unlinked (every Notion field is now null)", body = LinkResponse),
        (status = 400, description = "Malformed id (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[delete("/elections/{id}/notion/link")]
pub(crate) async fn unlink(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
) -> Result<web::Json<LinkResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let now = Timestamp::now();
    let record = state.driver.unlink(&id, now).await?;
    tracing::info!(election = %id, "unlinked from Notion");
    Ok(web::Json(LinkResponse {
        success: true,
        election: ElectionJson::from_record(&record, now),
        warnings: Vec::new(),
    }))
}

/// Sync one election with its Notion page now (status and results link out, title and
/// description in), through the same code as the sync runner; ignores the sync interval.
#[utoipa::path(
    tag = "notion",
    params(ElectionPath),
    responses(
        (status = 200, description = "Synced", body = SyncResponse),
        (status = 400, description = "Malformed id (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election", body = ErrorResponse),
        (status = 409, description = "The election is not linked, or a sync of it is running", body = ErrorResponse),
        (status = 422, description = "The page's content prevents the sync (e.g. a missing status option)", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/elections/{id}/notion/sync")]
pub(crate) async fn sync(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
) -> Result<web::Json<SyncResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let now = Timestamp::now();
    let result = Priority::Interactive
        .scope(state.driver.sync_now(&id, now))
        .await;
    sync_response(&state, result, now)
}

/// The answer to a manual sync, counted in the metrics: the pulled fields, what was written,
/// the election.
pub(crate) fn sync_response(
    state: &AppState,
    result: Result<sync_driver::ManualSync, sync_driver::DriverError>,
    now: Timestamp,
) -> Result<web::Json<SyncResponse>, ApiError> {
    let outcome = match result {
        Ok(outcome) => {
            state.metrics.record_sync(true);
            outcome
        }
        Err(error) => {
            if matches!(
                error,
                sync_driver::DriverError::Notion(_) | sync_driver::DriverError::Validation(_)
            ) {
                state.metrics.record_sync(false);
            }
            return Err(error.into());
        }
    };
    let election = &outcome.election.election;
    Ok(web::Json(SyncResponse {
        success: true,
        synced: SyncedJson {
            title: election.title.clone(),
            description: election.description.clone(),
            title_changed: outcome.synced.title.is_some(),
            description_changed: outcome.synced.description.is_some(),
        },
        written: WrittenJson {
            status: outcome.written.status,
            results_link: outcome.written.results_link,
        },
        election: ElectionJson::from_record(&outcome.election, now),
    }))
}
