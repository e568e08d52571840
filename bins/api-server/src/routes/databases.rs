//! `GET` and `PATCH /admin/notion/databases/{databaseId}`: a database's mode (`linked`, pages
//! linked by hand, or `managed`, every election gets a page there by itself) with its options
//! and counts (issue 12).

use actix_web::{get, patch, web};
use jiff::Timestamp;
use notion_client::{NotionId, Priority};
use store::{
    ConnectionId, DatabaseMode, LinkedFilter, MAX_KEY_PROPERTY_LEN, ManagedDatabase,
    ManagedSettings,
};
use sync_engine::OnElectionDeleted;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::ApiJson;
use crate::models::{
    DatabaseCountsJson, DatabaseModeJson, DatabasePath, DatabaseStateJson, DatabaseStateResponse,
    DatabaseUpdateJson, ManagedPassJson, OnElectionDeletedJson, WrittenAtCreationJson,
};
use crate::responses::{
    NotionFailed, NotionUnavailable, PayloadTooLarge, TooManyFailedLogins, Unauthorized,
    UnsupportedMediaType,
};
use crate::routes::notion::parse_notion_id;
use crate::state::AppState;

fn mode_json(mode: DatabaseMode) -> DatabaseModeJson {
    match mode {
        DatabaseMode::Linked => DatabaseModeJson::Linked,
        DatabaseMode::Managed => DatabaseModeJson::Managed,
    }
}

fn on_deleted_json(on: OnElectionDeleted) -> OnElectionDeletedJson {
    match on {
        OnElectionDeleted::Keep => OnElectionDeletedJson::Keep,
        OnElectionDeleted::Trash => OnElectionDeletedJson::Trash,
    }
}

/// The answer for `database_id`: its stored state (the defaults of a linked database when it
/// was never switched) and its counts.
async fn database_state(
    state: &AppState,
    database_id: &NotionId,
    connection: &ConnectionId,
    stored: Option<ManagedDatabase>,
) -> Result<DatabaseStateResponse, ApiError> {
    let id = database_id.to_string();
    let filter = LinkedFilter {
        database_id: Some(id.clone()),
        include_paused: true,
        ..LinkedFilter::default()
    };
    let linked_elections = state.store.list_linked(&filter).await?.len() as u64;
    let settings = stored
        .as_ref()
        .map(|db| db.settings.clone())
        .unwrap_or_default();
    let full = stored.as_ref().and_then(|db| db.last_full_pass.as_ref());
    Ok(DatabaseStateResponse {
        success: true,
        database: DatabaseStateJson {
            id,
            connection_id: connection.to_string(),
            mode: mode_json(settings.mode),
            key_property: settings.key_property,
            include_existing: settings.include_existing,
            on_election_deleted: on_deleted_json(settings.on_election_deleted),
            written_at_creation: WrittenAtCreationJson {
                title: settings.created.title,
                description: settings.created.description,
                voting_window: settings.created.voting_window,
                status: settings.created.status,
            },
            managed_since: stored.as_ref().and_then(|db| db.managed_since),
            counts: DatabaseCountsJson {
                linked_elections,
                managed_pages: full.map(|p| p.managed_pages),
                orphans: full.map(|p| p.orphans),
                duplicates: full.map(|p| p.duplicates),
            },
            last_pass: stored
                .as_ref()
                .and_then(|db| db.last_pass.as_ref())
                .map(ManagedPassJson::from),
            last_full_pass: full.map(ManagedPassJson::from),
        },
    })
}

/// A database's mode (`linked` or `managed`), options and counts: the elections linked to its
/// pages, and the managed pages, orphans and duplicates the last backfill saw. A database never
/// switched is `linked` with the default options. Reads only the store.
#[utoipa::path(
    tag = "notion",
    params(DatabasePath),
    responses(
        (status = 200, description = "The database's mode, options and counts", body = DatabaseStateResponse),
        (status = 400, description = "Malformed database id (`field`: `databaseId`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "The database is allowed on no connection (not in NOTION_DATABASE_ALLOWLIST nor allowed on a connected workspace)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[get("/notion/databases/{databaseId}")]
pub(crate) async fn get_database(
    state: web::Data<AppState>,
    path: web::Path<DatabasePath>,
) -> Result<web::Json<DatabaseStateResponse>, ApiError> {
    let database_id = parse_notion_id("databaseId", &path.database_id)?;
    let connection = state.driver.allowed_connection(&database_id).await?;
    let stored = state
        .store
        .get_managed_database(&database_id.to_string())
        .await?;
    Ok(web::Json(
        database_state(&state, &database_id, &connection, stored).await?,
    ))
}

/// Switch a database to `managed` (every election gets one page there, found by its key
/// property or created, and linked; the next cycle, or at once for an election created through
/// this API) or back to `linked`, and set its options. Fields left out keep their value. To
/// turn managed, the database must be allowed on its connection and have the key property as a
/// Text property: its schema is read from Notion.
#[utoipa::path(
    tag = "notion",
    params(DatabasePath),
    request_body = DatabaseUpdateJson,
    responses(
        (status = 200, description = "The database with its new mode and options", body = DatabaseStateResponse),
        (status = 400, description = "Malformed database id or body, an unknown `mode` or `on_election_deleted`, or a `key_property` that is empty, too long, missing from the database or not a Text property; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 403, description = "The database is allowed on no connection", body = ErrorResponse),
        (status = 404, description = "The database is not found in Notion or not shared with the integration", body = ErrorResponse),
        (status = 409, description = "The connected workspace the database is allowed on is not usable (`connection_unavailable`)", body = ErrorResponse),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 502, response = NotionFailed),
        (status = 503, response = NotionUnavailable),
    ),
    security(("bearer" = []))
)]
#[patch("/notion/databases/{databaseId}")]
pub(crate) async fn update_database(
    state: web::Data<AppState>,
    path: web::Path<DatabasePath>,
    body: ApiJson<DatabaseUpdateJson>,
) -> Result<web::Json<DatabaseStateResponse>, ApiError> {
    let database_id = parse_notion_id("databaseId", &path.database_id)?;
    let body = body.0;
    let key_property = match body.key_property {
        Some(key) => {
            let key = key.trim().to_owned();
            if key.is_empty() {
                return Err(ApiError::invalid(
                    "key_property",
                    "must name the Text property holding each page's election id (default \"Election ID\"), not be empty",
                ));
            }
            if key.chars().count() > MAX_KEY_PROPERTY_LEN || key.chars().any(char::is_control) {
                return Err(ApiError::invalid(
                    "key_property",
                    format!(
                        "must be a Notion property name of at most {MAX_KEY_PROPERTY_LEN} characters without control characters"
                    ),
                ));
            }
            Some(key)
        }
        None => None,
    };
    let connection = state.driver.allowed_connection(&database_id).await?;
    let id = database_id.to_string();
    let current = state
        .store
        .get_managed_database(&id)
        .await?
        .map(|db| db.settings)
        .unwrap_or_default();
    let settings = ManagedSettings {
        mode: match body.mode {
            Some(DatabaseModeJson::Managed) => DatabaseMode::Managed,
            Some(DatabaseModeJson::Linked) => DatabaseMode::Linked,
            None => current.mode,
        },
        key_property: key_property.unwrap_or(current.key_property),
        include_existing: body.include_existing.unwrap_or(current.include_existing),
        on_election_deleted: match body.on_election_deleted {
            Some(OnElectionDeletedJson::Keep) => OnElectionDeleted::Keep,
            Some(OnElectionDeletedJson::Trash) => OnElectionDeleted::Trash,
            None => current.on_election_deleted,
        },
        created: match body.written_at_creation {
            Some(written) => sync_engine::CreatedProperties {
                title: written.title.unwrap_or(current.created.title),
                description: written.description.unwrap_or(current.created.description),
                voting_window: written
                    .voting_window
                    .unwrap_or(current.created.voting_window),
                status: written.status.unwrap_or(current.created.status),
            },
            None => current.created,
        },
    };
    let now = Timestamp::now();
    if settings.mode == DatabaseMode::Managed {
        // An admin waits on the form: its Notion request goes ahead of sync work.
        Priority::Interactive
            .scope(
                state
                    .driver
                    .check_managed_schema(&database_id, &settings.key_property, now),
            )
            .await?;
    }
    let stored = state.store.set_database_mode(&id, &settings, now).await?;
    tracing::info!(database = %id, mode = %settings.mode, key = %settings.key_property,
        "database mode set");
    Ok(web::Json(
        database_state(&state, &database_id, &connection, Some(stored)).await?,
    ))
}
