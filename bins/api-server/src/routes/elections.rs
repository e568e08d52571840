//! `/admin/elections`: create, list, read, update, delete.

use std::time::Duration;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use jiff::Timestamp;
use notion_client::Priority;
use store::{ElectionPatch, ListRequest, NewElection};

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{ApiJson, parse_election_id, parse_limit};
use crate::models::{
    CreateElectionRequest, ElectionJson, ElectionListResponse, ElectionPath, ElectionResponse,
    ListQuery, SuccessResponse, UpdateElectionRequest,
};
use crate::responses::{PayloadTooLarge, TooManyFailedLogins, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;

/// Default and largest page sizes of the election list.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

fn election_response(record: &store::ElectionRecord) -> ElectionResponse {
    ElectionResponse {
        success: true,
        election: ElectionJson::from_record(record, Timestamp::now()),
    }
}

/// How long a create waits for its managed pages: past it the answer goes out and the next
/// cycle's delta finishes the job (a page made meanwhile is found by its key, not made twice).
const MANAGED_PAGES_WAIT: Duration = Duration::from_secs(10);

/// Gives a new election its page in every managed database at once (issue 12), and answers the
/// election as it then is (with those links). A Notion failure only logs: the election is
/// created all the same and the runner's next delta retries.
async fn give_managed_pages(
    state: &AppState,
    record: store::ElectionRecord,
    now: Timestamp,
) -> store::ElectionRecord {
    let id = record.election.id.clone();
    let pass = Priority::Interactive.scope(state.driver.manage_election(&id, now));
    let Ok(reports) = tokio::time::timeout(MANAGED_PAGES_WAIT, pass).await else {
        tracing::warn!(election = %id, "managed pages still pending: the next cycle makes them");
        return record;
    };
    for report in &reports {
        if !report.errors.is_empty() {
            tracing::warn!(election = %id, database = %report.database_id,
                errors = ?report.errors, "managed page not made yet: the next cycle retries");
        }
    }
    if reports
        .iter()
        .all(|r| r.created.is_empty() && r.linked.is_empty())
    {
        return record;
    }
    state.store.get_election(&id).await.unwrap_or(record)
}

/// Create an election. When a database is managed, the election's page there is made at once
/// (the answer's `links` show it); if Notion fails, the election is created all the same and
/// the sync-runner's next cycle makes the page.
#[utoipa::path(
    tag = "elections",
    request_body = CreateElectionRequest,
    responses(
        (status = 201, description = "Created. The links lead to the routes about the new election.", body = ElectionResponse, links(
            ("GetElection" = (operation_id = "get_election", parameters(("id" = "$response.body#/election/id")))),
            ("UpdateElection" = (operation_id = "update_election", parameters(("id" = "$response.body#/election/id")))),
            ("DeleteElection" = (operation_id = "delete_election", parameters(("id" = "$response.body#/election/id")))),
            ("LinkElection" = (operation_id = "link", parameters(("id" = "$response.body#/election/id")))),
            ("UnlinkElection" = (operation_id = "unlink", parameters(("id" = "$response.body#/election/id")))),
            ("SyncElection" = (operation_id = "sync", parameters(("id" = "$response.body#/election/id")))),
        )),
        (status = 400, description = "Malformed JSON, a missing, unknown or mistyped field, an empty title, or `close_at` not after `open_at`; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("bearer" = []))
)]
#[post("/elections")]
pub(crate) async fn create_election(
    state: web::Data<AppState>,
    body: ApiJson<CreateElectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let new = NewElection {
        id: None,
        title: request.title,
        description: request.description.unwrap_or_default(),
        open_at: request.open_at.0,
        close_at: request.close_at.0,
    };
    let now = Timestamp::now();
    let record = state.store.create_election(new, now).await?;
    tracing::info!(election = %record.election.id, "election created");
    let record = give_managed_pages(&state, record, now).await;
    Ok(HttpResponse::Created().json(election_response(&record)))
}

/// List elections, oldest first, `limit` at a time.
#[utoipa::path(
    tag = "elections",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of elections", body = ElectionListResponse),
        (status = 400, description = "`limit` not an integer from 1 to 200, or a cursor this API did not return", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/elections")]
pub(crate) async fn list_elections(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<ElectionListResponse>, ApiError> {
    let query = query.into_inner();
    let page = ListRequest {
        limit: parse_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: query.cursor.filter(|c| !c.trim().is_empty()),
    };
    let page = state.store.list_elections(&page).await?;
    let now = Timestamp::now();
    Ok(web::Json(ElectionListResponse {
        success: true,
        elections: page
            .items
            .iter()
            .map(|r| ElectionJson::from_record(r, now))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Read one election.
#[utoipa::path(
    tag = "elections",
    params(ElectionPath),
    responses(
        (status = 200, description = "The election", body = ElectionResponse),
        (status = 400, description = "Malformed id (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[get("/elections/{id}")]
pub(crate) async fn get_election(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
) -> Result<web::Json<ElectionResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let record = state.store.get_election(&id).await?;
    Ok(web::Json(election_response(&record)))
}

/// Update an election: only the fields present change; the result must still be valid.
#[utoipa::path(
    tag = "elections",
    params(ElectionPath),
    request_body = UpdateElectionRequest,
    responses(
        (status = 200, description = "The updated election", body = ElectionResponse),
        (status = 400, description = "Malformed id or JSON, an unknown or mistyped field, an empty title, or `close_at` not after `open_at` once applied; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
    security(("bearer" = []))
)]
#[patch("/elections/{id}")]
pub(crate) async fn update_election(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
    body: ApiJson<UpdateElectionRequest>,
) -> Result<web::Json<ElectionResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let request = body.0;
    let patch = ElectionPatch {
        title: request.title,
        description: request.description,
        open_at: request.open_at.map(|i| i.0),
        close_at: request.close_at.map(|i| i.0),
    };
    let record = state
        .store
        .update_election(&id, &patch, Timestamp::now())
        .await?;
    Ok(web::Json(election_response(&record)))
}

/// Delete an election. Never touches Notion.
#[utoipa::path(
    tag = "elections",
    params(ElectionPath),
    responses(
        (status = 200, description = "Deleted", body = SuccessResponse),
        (status = 400, description = "Malformed id (`field`: `id`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[delete("/elections/{id}")]
pub(crate) async fn delete_election(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
) -> Result<web::Json<SuccessResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    state.store.delete_election(&id).await?;
    tracing::info!(election = %id, "election deleted");
    Ok(web::Json(SuccessResponse { success: true }))
}
