//! `/v1/databases` and `/v1/data_sources`, including queries.

use notion_workspace::model::{Parent, State};
use notion_workspace::{ApiError, ApiResult, ApiVersion, ops, query, render, richtext};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Req, body_id, body_snapshot, need, not_found, page_size, slice_snapshot};

fn require_data_sources(req: &Req<'_>) -> ApiResult<()> {
    if req.version.has_data_sources() {
        Ok(())
    } else {
        Err(ApiError::invalid_request_url())
    }
}

fn visible_db(state: &State, req: &Req<'_>, id: Uuid) -> ApiResult<()> {
    if state.databases.contains_key(&id) && state.can_see(req.integration, id) {
        Ok(())
    } else {
        Err(not_found(state, req, "database", id))
    }
}

fn visible_ds(state: &State, req: &Req<'_>, id: Uuid) -> ApiResult<()> {
    if state.data_sources.contains_key(&id) && state.can_see(req.integration, id) {
        Ok(())
    } else {
        Err(not_found(state, req, "data source", id))
    }
}

fn rich_text_field(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> ApiResult<Option<Vec<Value>>> {
    body.get(key)
        .map(|v| richtext::normalize(v, &format!("body.{key}")))
        .transpose()
}

/// `POST /v1/databases`.
pub(super) fn create_database(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    need(state, req, |c| c.insert_content)?;
    let body = req.body_obj();
    let parent = body.get("parent").unwrap_or(&Value::Null);
    let page_id = body_id(parent.get("page_id"), "body.parent.page_id")?;
    if !state.pages.contains_key(&page_id) || !state.can_see(req.integration, page_id) {
        return Err(not_found(state, req, "page", page_id));
    }
    let title = rich_text_field(body, "title")?.unwrap_or_default();
    let description = rich_text_field(body, "description")?.unwrap_or_default();
    let defs = if req.version.has_data_sources() {
        body.get("initial_data_source")
            .and_then(|d| d.get("properties"))
    } else {
        body.get("properties")
    };
    let path = if req.version.has_data_sources() {
        "body.initial_data_source.properties"
    } else {
        "body.properties"
    };
    let properties = ops::build_properties(state, defs, path)?;
    let (id, _) = ops::create_database(
        state,
        req.actor(),
        req.now,
        ops::NewDatabase {
            id: None,
            data_source_id: None,
            parent: Parent::Page(page_id),
            title,
            description,
            is_inline: body
                .get("is_inline")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            icon: body.get("icon").cloned().unwrap_or(Value::Null),
            cover: body.get("cover").cloned().unwrap_or(Value::Null),
            properties,
        },
    );
    Ok(render::database(state, &state.databases[&id], req.version))
}

/// `GET /v1/databases/{id}`.
pub(super) fn get_database(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible_db(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    Ok(render::database(state, &state.databases[&id], req.version))
}

/// `PATCH /v1/databases/{id}`: container fields; in 2022-06-28 also the schema.
pub(super) fn patch_database(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible_db(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    let body = req.body_obj();
    let title = rich_text_field(body, "title")?;
    let description = rich_text_field(body, "description")?;
    let trash = req.trash_flag()?;
    if body.contains_key("properties") {
        if req.version.has_data_sources() {
            return Err(ApiError::validation(
                "body failed validation: body.properties is not supported for databases in this Notion-Version; update the data source instead.",
            ));
        }
        let first = state.databases[&id].data_sources.first().copied();
        if let Some(ds) = first {
            let mut sub = serde_json::Map::new();
            sub.insert("properties".to_owned(), body["properties"].clone());
            ops::update_data_source(state, req.actor(), req.now, ds, &sub)?;
        }
    }
    let db = state
        .databases
        .get_mut(&id)
        .ok_or_else(ApiError::invalid_request_url)?;
    if let Some(t) = title {
        db.title = t.clone();
        if !req.version.has_data_sources()
            && let Some(ds) = db.data_sources.first().copied()
            && let Some(ds) = state.data_sources.get_mut(&ds)
        {
            ds.title = t;
        }
    }
    let db = state
        .databases
        .get_mut(&id)
        .ok_or_else(ApiError::invalid_request_url)?;
    if let Some(d) = description {
        db.description = d;
    }
    if let Some(v) = body.get("icon") {
        db.icon = v.clone();
    }
    if let Some(v) = body.get("cover") {
        db.cover = v.clone();
    }
    if let Some(v) = body.get("is_inline").and_then(Value::as_bool) {
        db.is_inline = v;
    }
    if let Some(v) = body.get("is_locked").and_then(Value::as_bool) {
        db.is_locked = v;
    }
    if let Some(t) = trash {
        db.in_trash = t;
    }
    db.last_edited_time = req.now;
    Ok(render::database(state, &state.databases[&id], req.version))
}

/// `POST /v1/databases/{id}/query` (2022-06-28 only).
pub(super) fn query_database(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    if req.version.has_data_sources() {
        return Err(ApiError::invalid_request_url());
    }
    visible_db(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    let ds = state.databases[&id]
        .data_sources
        .first()
        .copied()
        .ok_or_else(|| not_found(state, req, "database", id))?;
    run_query(state, req, ds, "page_or_database")
}

/// `POST /v1/data_sources`.
pub(super) fn create_data_source(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    require_data_sources(req)?;
    need(state, req, |c| c.insert_content)?;
    let body = req.body_obj();
    let db_id = body_id(
        body.get("parent").and_then(|p| p.get("database_id")),
        "body.parent.database_id",
    )?;
    visible_db(state, req, db_id)?;
    let title = rich_text_field(body, "title")?.unwrap_or_default();
    let properties = ops::build_properties(state, body.get("properties"), "body.properties")?;
    let icon = body.get("icon").cloned().unwrap_or(Value::Null);
    let id = ops::create_data_source(state, req.actor(), req.now, db_id, title, properties, icon);
    Ok(render::data_source(
        state,
        &state.data_sources[&id],
        req.version,
    ))
}

/// `GET /v1/data_sources/{id}`.
pub(super) fn get_data_source(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    require_data_sources(req)?;
    visible_ds(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    Ok(render::data_source(
        state,
        &state.data_sources[&id],
        req.version,
    ))
}

/// `PATCH /v1/data_sources/{id}`.
pub(super) fn patch_data_source(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    require_data_sources(req)?;
    visible_ds(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    req.trash_flag()?;
    ops::update_data_source(state, req.actor(), req.now, id, req.body_obj())?;
    Ok(render::data_source(
        state,
        &state.data_sources[&id],
        req.version,
    ))
}

/// `POST /v1/data_sources/{id}/query`.
pub(super) fn query_data_source(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    require_data_sources(req)?;
    visible_ds(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    run_query(state, req, id, "page_or_data_source")
}

/// Filters, sorts, caps and pages a data source's rows.
fn run_query(state: &mut State, req: &Req<'_>, ds_id: Uuid, list_type: &str) -> ApiResult<Value> {
    let body = req.body_obj();
    let size = page_size(body.get("page_size"), "body.page_size")?;
    let filter_props = req.filter_properties();
    {
        let ds = &state.data_sources[&ds_id];
        if let Some(keys) = &filter_props
            && let Some(bad) = keys.iter().find(|k| ds.prop(k).is_none())
        {
            return Err(ApiError::validation(format!(
                "Could not find property with name or id: {bad}"
            )));
        }
    }
    let scope = format!("query:{ds_id}");
    let entry = body_snapshot(state, body, scope, || {
        query::run(state, ds_id, body, req.version)
    })?;
    let slice = slice_snapshot(state, entry, size);
    let shown = req.version.list_properties(filter_props);
    let results: Vec<Value> = slice
        .ids
        .iter()
        .filter_map(|id| state.pages.get(id))
        .map(|p| render::page(state, p, req.version, shown.as_deref()))
        .collect();
    let mut list = render::list(results, slice.next_cursor, list_type);
    if slice.incomplete {
        list["request_status"] =
            json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
    }
    Ok(list)
}

/// Used by search: whether the version lists databases (legacy) or data sources.
pub(super) fn search_lists_databases(v: ApiVersion) -> bool {
    !v.has_data_sources()
}
