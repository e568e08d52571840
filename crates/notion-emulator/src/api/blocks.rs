//! `/v1/blocks`: retrieve, update, delete (trash), list and append children.

use notion_workspace::model::{Parent, State};
use notion_workspace::util::{fmt_id, parse_id};
use notion_workspace::{ApiError, ApiResult, ApiVersion, ops, render};
use serde_json::Value;
use uuid::Uuid;

use super::{Req, bad_cursor, body_id, need, not_found, page_size};

fn exists(state: &State, id: Uuid) -> bool {
    state.blocks.contains_key(&id)
        || state.pages.contains_key(&id)
        || state.databases.contains_key(&id)
}

fn visible(state: &State, req: &Req<'_>, id: Uuid) -> ApiResult<()> {
    if exists(state, id) && state.can_see(req.integration, id) {
        Ok(())
    } else {
        Err(not_found(state, req, "block", id))
    }
}

fn rendered(state: &State, id: Uuid, v: ApiVersion) -> ApiResult<Value> {
    render::as_block(state, id, v).ok_or_else(ApiError::invalid_request_url)
}

/// `GET /v1/blocks/{id}`.
pub(super) fn get(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    rendered(state, id, req.version)
}

/// `PATCH /v1/blocks/{id}`: content of a block, or trash/restore of any block-addressable object.
pub(super) fn patch(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    let trash = req.trash_flag()?;
    if state.blocks.contains_key(&id) {
        ops::update_block(state, req.actor(), req.now, id, req.body_obj())?;
    }
    if let Some(t) = trash {
        ops::set_trash(state, req.actor(), req.now, id, t);
    }
    rendered(state, id, req.version)
}

/// `DELETE /v1/blocks/{id}`: moves a block, page or database to the trash.
pub(super) fn delete(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    ops::set_trash(state, req.actor(), req.now, id, true);
    rendered(state, id, req.version)
}

fn live_children(state: &State, id: Uuid) -> Vec<Uuid> {
    state
        .children
        .get(&id)
        .map(|c| {
            c.iter()
                .copied()
                .filter(|cid| {
                    state.blocks.get(cid).is_some_and(|b| !b.in_trash)
                        || state.pages.get(cid).is_some_and(|p| !p.in_trash)
                        || state.databases.get(cid).is_some_and(|d| !d.in_trash)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /v1/blocks/{id}/children`: cursors are block ids, as in the real API.
pub(super) fn children(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    let size = page_size(
        req.query_param("page_size")
            .map(|s| Value::String(s.to_owned()))
            .as_ref(),
        "query.page_size",
    )?;
    let all = live_children(state, id);
    let start = match req.query_param("start_cursor") {
        None | Some("") => 0,
        Some(raw) => parse_id(raw)
            .and_then(|c| all.iter().position(|x| *x == c))
            .ok_or_else(|| bad_cursor("query.start_cursor", raw))?,
    };
    let end = (start + size).min(all.len());
    let next = all.get(end).map(|n| fmt_id(*n));
    let results = all[start..end]
        .iter()
        .filter_map(|c| render::as_block(state, *c, req.version))
        .collect();
    Ok(render::list(results, next, "block"))
}

/// `PATCH /v1/blocks/{id}/children`.
pub(super) fn append(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    visible(state, req, id)?;
    need(state, req, |c| c.insert_content)?;
    let parent = if let Some(p) = state.pages.get(&id) {
        if state.page_trashed(p) {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        Parent::Page(id)
    } else if let Some(b) = state.blocks.get(&id) {
        if b.in_trash {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        Parent::Block(id)
    } else {
        return Err(ApiError::validation("Block does not support children."));
    };
    let body = req.body_obj();
    let children = body.get("children").ok_or_else(|| {
        ApiError::validation(
            "body failed validation: body.children should be defined, instead was `undefined`.",
        )
    })?;
    let mut after = None;
    if let Some(a) = body.get("after") {
        if req.version.uses_in_trash_and_position() {
            return Err(ApiError::validation(
                "body failed validation: body.after is not supported from Notion-Version 2026-03-11 on; use body.position.",
            ));
        }
        after = Some(body_id(Some(a), "body.after")?);
    }
    if let Some(pos) = body.get("position") {
        match pos.get("type").and_then(Value::as_str) {
            Some("end") => {}
            Some("start") => after = Some(Uuid::nil()),
            Some("after_block") => {
                after = Some(body_id(
                    pos.get("after_block").and_then(|a| a.get("id")),
                    "body.position.after_block.id",
                )?)
            }
            _ => {
                return Err(ApiError::body_validation(
                    "body.position.type",
                    "`\"start\"`, `\"end\"` or `\"after_block\"`",
                    pos.get("type").unwrap_or(&Value::Null),
                ));
            }
        }
    }
    if let Some(a) = after
        && a != Uuid::nil()
        && !state.children.get(&id).is_some_and(|c| c.contains(&a))
    {
        return Err(ApiError::validation(format!(
            "body failed validation: body.after should be the id of a child of block {}, instead was `\"{}\"`.",
            fmt_id(id),
            fmt_id(a)
        )));
    }
    let created = if after == Some(Uuid::nil()) {
        // Insert at the start: append, then move the new ids to the front.
        let ids = ops::append_blocks(state, req.actor(), req.now, id, parent, children, None)?;
        if let Some(list) = state.children.get_mut(&id) {
            list.retain(|c| !ids.contains(c));
            for (i, c) in ids.iter().enumerate() {
                list.insert(i, *c);
            }
        }
        ids
    } else {
        ops::append_blocks(state, req.actor(), req.now, id, parent, children, after)?
    };
    let results = created
        .iter()
        .filter_map(|c| render::as_block(state, *c, req.version))
        .collect();
    Ok(render::list(results, None, "block"))
}
