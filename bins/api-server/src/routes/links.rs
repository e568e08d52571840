//! `/admin/elections/{id}/notion/links*`: an election's several links, each to its own page with
//! its own mapping and sync state. The singular `…/notion/link` routes (in `notion.rs`) act on
//! the primary link.

use actix_web::{HttpResponse, delete, get, post, web};
use jiff::Timestamp;
use notion_client::Priority;
use store::LinkId;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, parse_election_id};
use crate::models::{
    AddLinkResponse, ElectionJson, ElectionPath, LinkJson, LinkPath, LinkRequestJson, LinkResponse,
    LinksResponse, SyncResponse,
};
use crate::responses::{
    NotionFailed, NotionUnavailable, PayloadTooLarge, TooManyFailedLogins, Unauthorized,
    UnsupportedMediaType,
};
use crate::routes::notion::{parse_notion_id, sync_response};
use crate::state::AppState;

fn parse_link_id(raw: &str) -> Result<LinkId, ApiError> {
    LinkId::parse(raw).map_err(|error| ApiError::invalid("link_id", error.to_string()))
}

/// An election's links to Notion pages, each with its mapping and sync state.
#[utoipa::path(
    tag = "notion",
    params(ElectionPath),
    responses(
        (status = 200, description = "The links, the primary first", body = LinksResponse),
        (status = 400, description = "Malformed id (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[get("/elections/{id}/notion/links")]
pub(crate) async fn list_links(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
) -> Result<web::Json<LinksResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let record = state.store.get_election(&id).await?;
    let now = Timestamp::now();
    Ok(web::Json(LinksResponse {
        success: true,
        links: record
            .links
            .iter()
            .map(|l| LinkJson::from_link(&record.election, l, now))
            .collect(),
    }))
}

/// Add a link of an election to another page of an allowlisted database, validated as the
/// singular link is. Each link is synced on its own: one page's error never blocks another's.
#[utoipa::path(
    tag = "notion",
    params(ElectionPath),
    request_body = LinkRequestJson,
    responses(
        (status = 201, description = "Linked; the new link and the election", body = AddLinkResponse),
        (status = 400, description = "Malformed election id, JSON, `database_id` or `page_id`, or an unknown or mistyped field; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "Database not in NOTION_DATABASE_ALLOWLIST", body = ErrorResponse),
        (status = 404, description = "No such election, or the page's database is not shared with the integration", body = ErrorResponse),
        (status = 409, description = "The page is already linked, to another election (`page_already_linked`, naming it) or by another link of this one", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "The page fails validation; the message says what to fix", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/elections/{id}/notion/links")]
pub(crate) async fn add_link(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
    body: ApiJson<LinkRequestJson>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_election_id(&path.id)?;
    let request = body.0;
    parse_notion_id("database_id", &request.database_id)?;
    parse_notion_id("page_id", &request.page_id)?;
    let primary = request.primary.unwrap_or(false);
    let now = Timestamp::now();
    let outcome = Priority::Interactive
        .scope(state.driver.add_link(&id, request.into(), primary, now))
        .await?;
    let record = &outcome.record;
    let link = record
        .find_link(&outcome.link_id)
        .map(|l| LinkJson::from_link(&record.election, l, now))
        .ok_or_else(|| ApiError::NotFound(format!("link '{}' not found", outcome.link_id)))?;
    tracing::info!(election = %id, link = %outcome.link_id, "added a Notion link");
    Ok(HttpResponse::Created().json(AddLinkResponse {
        success: true,
        link,
        election: ElectionJson::from_record(record, now),
        warnings: outcome.warnings,
    }))
}

/// Remove one link of an election (never touches the page). When it was the primary, the
/// oldest remaining link becomes primary.
#[utoipa::path(
    tag = "notion",
    params(LinkPath),
    responses(
        (status = 200, description = "Removed; the election with the links left", body = LinkResponse),
        (status = 400, description = "Malformed id (`field`: `id` or `link_id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election, or no such link of it", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[delete("/elections/{id}/notion/links/{link_id}")]
pub(crate) async fn remove_link(
    state: web::Data<AppState>,
    path: web::Path<LinkPath>,
) -> Result<web::Json<LinkResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let link_id = parse_link_id(&path.link_id)?;
    let now = Timestamp::now();
    let record = state.driver.remove_link(&id, &link_id, now).await?;
    tracing::info!(election = %id, link = %link_id, "removed a Notion link");
    Ok(web::Json(LinkResponse {
        success: true,
        election: ElectionJson::from_record(&record, now),
        warnings: Vec::new(),
    }))
}

/// Make one link the election's primary link: the one the singular routes act on and the
/// election's `notion_*` fields show.
#[utoipa::path(
    tag = "notion",
    params(LinkPath),
    responses(
        (status = 200, description = "Now primary", body = LinkResponse),
        (status = 400, description = "Malformed id (`field`: `id` or `link_id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election, or no such link of it", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[post("/elections/{id}/notion/links/{link_id}/primary")]
pub(crate) async fn make_primary(
    state: web::Data<AppState>,
    path: web::Path<LinkPath>,
) -> Result<web::Json<LinkResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let link_id = parse_link_id(&path.link_id)?;
    let now = Timestamp::now();
    let record = state.driver.make_primary(&id, &link_id, now).await?;
    Ok(web::Json(LinkResponse {
        success: true,
        election: ElectionJson::from_record(&record, now),
        warnings: Vec::new(),
    }))
}

/// Sync one link of an election with its page now, as `…/notion/sync` does for the primary.
#[utoipa::path(
    tag = "notion",
    params(LinkPath),
    responses(
        (status = 200, description = "Synced", body = SyncResponse),
        (status = 400, description = "Malformed id (`field`: `id` or `link_id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election, or no such link of it", body = ErrorResponse),
        (status = 409, description = "A sync of this link is running", body = ErrorResponse),
        (status = 422, description = "The page's content prevents the sync (e.g. a missing status option)", body = ErrorResponse),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/elections/{id}/notion/links/{link_id}/sync")]
pub(crate) async fn sync_link(
    state: web::Data<AppState>,
    path: web::Path<LinkPath>,
) -> Result<web::Json<SyncResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let link_id = parse_link_id(&path.link_id)?;
    let now = Timestamp::now();
    let result = Priority::Interactive
        .scope(state.driver.sync_link_now(&id, Some(&link_id), now))
        .await;
    sync_response(&state, result, now)
}
