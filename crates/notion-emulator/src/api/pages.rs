//! `/v1/pages`.

use serde_json::{Value, json};
use uuid::Uuid;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use notion_workspace::model::{Parent, State};
use notion_workspace::util::{fmt_id, percent_decode, truncate_minute};
use notion_workspace::{ApiError, ApiResult, ops, render};

use super::{Req, bad_cursor, body_id, need, not_found, page_size};

/// Resolves a create-page `parent` to a data source, page or workspace, checking visibility.
fn resolve_parent(state: &State, req: &Req<'_>, parent: &Value) -> ApiResult<Parent> {
    let Some(obj) = parent.as_object() else {
        return Err(if parent.is_null() {
            ApiError::validation(
                "body failed validation: body.parent should be defined, instead was `undefined`.",
            )
        } else {
            ApiError::body_validation("body.parent", "an object", parent)
        });
    };
    if let Some(v) = obj.get("data_source_id") {
        let id = body_id(Some(v), "body.parent.data_source_id")?;
        if !state.data_sources.contains_key(&id) || !state.can_see(req.integration, id) {
            return Err(not_found(state, req, "data source", id));
        }
        return Ok(Parent::DataSource(id));
    }
    if let Some(v) = obj.get("database_id") {
        let id = body_id(Some(v), "body.parent.database_id")?;
        let Some(db) = state
            .databases
            .get(&id)
            .filter(|_| state.can_see(req.integration, id))
        else {
            return Err(not_found(state, req, "database", id));
        };
        let live: Vec<Uuid> = db
            .data_sources
            .iter()
            .copied()
            .filter(|d| state.data_sources.get(d).is_some_and(|d| !d.in_trash))
            .collect();
        if live.len() != 1 && req.version.has_data_sources() {
            return Err(ApiError::validation(format!(
                "Database {} has {} data sources; use a data_source_id parent.",
                fmt_id(id),
                live.len()
            )));
        }
        return live
            .first()
            .map(|d| Parent::DataSource(*d))
            .ok_or_else(|| not_found(state, req, "database", id));
    }
    if let Some(v) = obj.get("page_id") {
        let id = body_id(Some(v), "body.parent.page_id")?;
        if !state.pages.contains_key(&id) || !state.can_see(req.integration, id) {
            return Err(not_found(state, req, "page", id));
        }
        return Ok(Parent::Page(id));
    }
    if obj.get("workspace").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::validation(
            "body failed validation: internal integrations cannot create pages at the workspace level; use a page_id parent.",
        ));
    }
    Err(ApiError::validation(
        "body failed validation. Fix one:\nbody.parent.page_id should be defined, instead was `undefined`.\nbody.parent.database_id should be defined, instead was `undefined`.\nbody.parent.data_source_id should be defined, instead was `undefined`.",
    ))
}

/// `POST /v1/pages`.
pub(super) fn create(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    need(state, req, |c| c.insert_content)?;
    let body = req.body_obj();
    let parent = resolve_parent(state, req, body.get("parent").unwrap_or(&Value::Null))?;
    let null = Value::Null;
    let id = ops::create_page(
        state,
        req.actor(),
        req.now,
        ops::NewPage {
            id: None,
            parent,
            properties: body.get("properties").unwrap_or(&null),
            icon: body.get("icon").cloned().unwrap_or(Value::Null),
            cover: body.get("cover").cloned().unwrap_or(Value::Null),
            children: body.get("children"),
            created_time: None,
            last_edited_time: None,
            in_trash: false,
            loading: false,
        },
    )?;
    Ok(render::page(state, &state.pages[&id], req.version, None))
}

fn visible_page(state: &State, req: &Req<'_>, id: Uuid) -> ApiResult<()> {
    if state.pages.contains_key(&id) && state.can_see(req.integration, id) {
        Ok(())
    } else {
        Err(not_found(state, req, "page", id))
    }
}

/// `GET /v1/pages/{page_id}`.
pub(super) fn get(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible_page(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    let filter = req.filter_properties();
    let page = &state.pages[&id];
    if let (Some(keys), Parent::DataSource(ds)) = (&filter, page.parent)
        && let Some(ds) = state.data_sources.get(&ds)
        && let Some(bad) = keys.iter().find(|k| ds.prop(k).is_none())
    {
        return Err(ApiError::validation(format!(
            "Could not find property with name or id: {bad}"
        )));
    }
    Ok(render::page(state, page, req.version, filter.as_deref()))
}

/// `PATCH /v1/pages/{page_id}`: properties, trash/restore, icon, cover, lock. All or nothing.
pub(super) fn patch(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible_page(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    let body = req.body_obj();
    let trash = req.trash_flag()?;
    let parent = state.pages[&id].parent;
    let currently_trashed = state.page_trashed(&state.pages[&id]);
    let props = body.get("properties").filter(|p| !p.is_null());
    if let Some(p) = props {
        if currently_trashed && trash != Some(false) {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        // Validate before touching anything: one bad property rejects the whole update.
        ops::check_api_props(state, parent, p)?;
    }
    for key in ["is_locked", "is_archived"] {
        if let Some(v) = body.get(key)
            && !v.is_boolean()
        {
            return Err(ApiError::body_validation(
                &format!("body.{key}"),
                "a boolean",
                v,
            ));
        }
    }
    if trash == Some(false) {
        ops::set_trash(state, req.actor(), req.now, id, false);
    }
    if let Some(p) = props {
        ops::update_page_props(state, req.actor(), req.now, id, p)?;
    }
    if trash == Some(true) {
        ops::set_trash(state, req.actor(), req.now, id, true);
    }
    if let Some(page) = state.pages.get_mut(&id) {
        if let Some(icon) = body.get("icon") {
            page.icon = icon.clone();
        }
        if let Some(cover) = body.get("cover") {
            page.cover = cover.clone();
        }
        if let Some(v) = body.get("is_locked").and_then(Value::as_bool) {
            page.is_locked = v;
        }
        if let Some(v) = body.get("is_archived").and_then(Value::as_bool) {
            page.is_archived = v;
        }
    }
    Ok(render::page(state, &state.pages[&id], req.version, None))
}

/// `POST /v1/pages/{page_id}/move`: a new parent page or data source. The title carries over;
/// a row moved under a page keeps only its title, a page moved into a data source gets the
/// data source's defaults for every other property. A row moved out drops out of its queries.
pub(super) fn move_page(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible_page(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    let parent = req.body_obj().get("parent").cloned().unwrap_or(Value::Null);
    let target = match parent.as_object() {
        Some(obj) if obj.contains_key("page_id") => {
            let to = body_id(obj.get("page_id"), "body.parent.page_id")?;
            visible_page(state, req, to)?;
            if to == id {
                return Err(ApiError::validation("A page cannot be moved into itself."));
            }
            Parent::Page(to)
        }
        Some(obj) if obj.contains_key("data_source_id") => {
            let to = body_id(obj.get("data_source_id"), "body.parent.data_source_id")?;
            if !state.data_sources.contains_key(&to) || !state.can_see(req.integration, to) {
                return Err(not_found(state, req, "data source", to));
            }
            Parent::DataSource(to)
        }
        _ => {
            return Err(ApiError::validation(
                "body failed validation: body.parent should be `{page_id}` or `{data_source_id}`, instead was not.",
            ));
        }
    };
    let old = state.pages[&id].parent;
    let title_key = |state: &State, parent: Parent| match parent {
        Parent::DataSource(ds) => state
            .data_sources
            .get(&ds)
            .and_then(|d| d.title_prop())
            .map_or_else(|| "title".to_owned(), |p| p.id.clone()),
        _ => "title".to_owned(),
    };
    let (from_key, to_key) = (title_key(state, old), title_key(state, target));
    match old {
        Parent::DataSource(ds) => {
            if let Some(ds) = state.data_sources.get_mut(&ds) {
                ds.pages.retain(|p| *p != id);
            }
        }
        Parent::Page(p) | Parent::Block(p) => {
            if let Some(list) = state.children.get_mut(&p) {
                list.retain(|c| *c != id);
            }
        }
        Parent::Workspace => {}
    }
    match target {
        Parent::DataSource(ds) => {
            if let Some(ds) = state.data_sources.get_mut(&ds) {
                ds.pages.push(id);
            }
        }
        Parent::Page(p) | Parent::Block(p) => {
            state.add_child(p, id, None);
        }
        Parent::Workspace => {}
    }
    if let Some(page) = state.pages.get_mut(&id) {
        let title = page.props.remove(&from_key);
        page.props.clear();
        if let Some(title) = title {
            page.props.insert(to_key, title);
        }
        page.parent = target;
        page.last_edited_time = truncate_minute(req.now);
    }
    Ok(render::page(state, &state.pages[&id], req.version, None))
}

/// Property types whose item endpoint answers with a paginated list of property items.
const PAGINATED_TYPES: &[&str] = &["title", "rich_text", "relation", "people"];

/// The opaque cursor for the items of `prop_id` on `page` from `offset` on. Cursors are tied to
/// the page and property they were issued for; any other string is rejected.
fn item_cursor(page: Uuid, prop_id: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}{offset}", item_cursor_scope(page, prop_id)))
}

fn item_cursor_scope(page: Uuid, prop_id: &str) -> String {
    format!("property_item|{}|{prop_id}|", page.simple())
}

/// The offset a cursor from [`item_cursor`] resumes at, if it was issued for this page and property.
fn item_cursor_offset(raw: &str, page: Uuid, prop_id: &str) -> Option<usize> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    let offset = decoded.strip_prefix(&item_cursor_scope(page, prop_id))?;
    offset.parse().ok().filter(|n| *n > 0)
}

/// `GET /v1/pages/{page_id}/properties/{property_id}`: title, rich_text, relation and people as a
/// paginated list of property items (`page_size` 1–100, default 100; opaque `start_cursor`), any
/// other type as one property item.
pub(super) fn property(
    state: &mut State,
    req: &Req<'_>,
    id: Uuid,
    prop_key: &str,
) -> ApiResult<Value> {
    visible_page(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    let page = &state.pages[&id];
    let decoded = percent_decode(prop_key);
    let (prop_id, kind) = match page.parent {
        Parent::DataSource(ds) => {
            let ds = &state.data_sources[&ds];
            let p = ds
                .prop(prop_key)
                .or_else(|| ds.prop(&decoded))
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "Could not find property with name or id: {prop_key}"
                    ))
                })?;
            (p.id.clone(), p.kind.clone())
        }
        _ if decoded == "title" => ("title".to_owned(), "title".to_owned()),
        _ => {
            return Err(ApiError::validation(format!(
                "Could not find property with name or id: {prop_key}"
            )));
        }
    };
    let value = render::property_value(state, page, &prop_id, &kind);
    let inner = value.get(&kind).cloned().unwrap_or(Value::Null);
    if !PAGINATED_TYPES.contains(&kind.as_str()) {
        let mut item = json!({"object": "property_item", "id": prop_id, "type": kind});
        item[kind.as_str()] = inner;
        return Ok(item);
    }
    let raw_size = req.query_param("page_size");
    let size = page_size(
        raw_size.map(|s| Value::String(s.to_owned())).as_ref(),
        "query.page_size",
    )?;
    let all = match inner {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    let start = match req.query_param("start_cursor") {
        None | Some("") => 0,
        Some(raw) => item_cursor_offset(raw, id, &prop_id)
            .ok_or_else(|| bad_cursor("query.start_cursor", raw))?
            // The value may have shrunk since the cursor was issued: then nothing is left.
            .min(all.len()),
    };
    let end = start.saturating_add(size).min(all.len());
    let next_cursor = (end < all.len()).then(|| item_cursor(id, &prop_id, end));
    let next_url = next_cursor.as_ref().map(|cursor| {
        let origin = req.host.map_or_else(
            || "https://api.notion.com".to_owned(),
            |h| format!("http://{h}"),
        );
        let size = raw_size.map_or_else(String::new, |_| format!("&page_size={size}"));
        format!(
            "{origin}/v1/pages/{}/properties/{prop_key}?start_cursor={cursor}{size}",
            fmt_id(id)
        )
    });
    let items: Vec<Value> = all[start..end]
        .iter()
        .map(|v| json!({"object": "property_item", "type": kind, "id": prop_id, kind.clone(): v}))
        .collect();
    let mut list = render::list(items, next_cursor, "property_item");
    list["property_item"] =
        json!({"id": prop_id, "next_url": next_url, "type": kind, kind.clone(): {}});
    Ok(list)
}
