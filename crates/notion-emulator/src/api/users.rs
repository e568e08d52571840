//! `/v1/users` and `/v1/comments`.

use notion_workspace::model::{Comment, Event, State};
use notion_workspace::util::{fmt_id, parse_id};
use notion_workspace::{ApiError, ApiResult, render, richtext};
use serde_json::Value;
use uuid::Uuid;

use super::{Req, bad_cursor, body_id, need, not_found, page_size, path_id};

fn query_page_size(req: &Req<'_>) -> ApiResult<usize> {
    page_size(
        req.query_param("page_size")
            .map(|s| Value::String(s.to_owned()))
            .as_ref(),
        "query.page_size",
    )
}

/// Pages a list of ids where the cursor is the id of the next item.
fn page_by_id(all: &[Uuid], req: &Req<'_>) -> ApiResult<(std::ops::Range<usize>, Option<String>)> {
    let size = query_page_size(req)?;
    let start = match req.query_param("start_cursor") {
        None | Some("") => 0,
        Some(raw) => parse_id(raw)
            .and_then(|c| all.iter().position(|x| *x == c))
            .ok_or_else(|| bad_cursor("query.start_cursor", raw))?,
    };
    let end = (start + size).min(all.len());
    Ok((start..end, all.get(end).map(|n| fmt_id(*n))))
}

/// `GET /v1/users`: people, then bots.
pub(super) fn list(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    need(state, req, |c| c.read_users)?;
    let ids: Vec<Uuid> = state
        .people
        .iter()
        .map(|p| p.id)
        .chain(state.integrations.iter().map(|i| i.id))
        .collect();
    let (range, next) = page_by_id(&ids, req)?;
    let results = ids[range]
        .iter()
        .filter_map(|id| user(state, *id))
        .collect();
    Ok(render::list(results, next, "user"))
}

fn user(state: &State, id: Uuid) -> Option<Value> {
    if let Some(p) = state.people.iter().find(|p| p.id == id) {
        return Some(render::person(p));
    }
    state
        .integrations
        .iter()
        .position(|i| i.id == id)
        .map(|i| render::bot_user(state, i))
}

/// `GET /v1/users/{id}`.
pub(super) fn get(state: &mut State, req: &Req<'_>, raw: &str) -> ApiResult<Value> {
    let id = path_id(raw, "user_id")?;
    need(state, req, |c| c.read_users)?;
    user(state, id).ok_or_else(|| not_found(state, req, "user", id))
}

/// `GET /v1/comments?block_id=`.
pub(super) fn list_comments(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    let raw = req.query_param("block_id").ok_or_else(|| {
        ApiError::validation(
            "query failed validation: query.block_id should be defined, instead was `undefined`.",
        )
    })?;
    let block = parse_id(raw).ok_or_else(|| {
        ApiError::validation(format!("query failed validation: query.block_id should be a valid uuid, instead was `\"{raw}\"`."))
    })?;
    let known = state.pages.contains_key(&block) || state.blocks.contains_key(&block);
    if !known || !state.can_see(req.integration, block) {
        return Err(not_found(state, req, "block", block));
    }
    need(state, req, |c| c.read_comments)?;
    let ids: Vec<Uuid> = state
        .comments
        .iter()
        .filter(|c| c.parent == block)
        .map(|c| c.id)
        .collect();
    let (range, next) = page_by_id(&ids, req)?;
    let results = ids[range]
        .iter()
        .filter_map(|id| state.comments.iter().find(|c| c.id == *id))
        .map(render::comment)
        .collect();
    Ok(render::list(results, next, "comment"))
}

/// `GET /v1/comments/{id}`.
pub(super) fn get_comment(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    need(state, req, |c| c.read_comments)?;
    state
        .comments
        .iter()
        .find(|c| c.id == id && state.can_see(req.integration, c.parent))
        .map(render::comment)
        .ok_or_else(|| not_found(state, req, "comment", id))
}

/// `POST /v1/comments`: on a page (new discussion) or in an existing discussion.
pub(super) fn create_comment(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    need(state, req, |c| c.insert_comments)?;
    let body = req.body_obj();
    let rich_text = richtext::normalize(
        body.get("rich_text").ok_or_else(|| {
            ApiError::validation("body failed validation: body.rich_text should be defined, instead was `undefined`.")
        })?,
        "body.rich_text",
    )?;
    let (parent, parent_is_page, discussion_id) = if let Some(d) = body.get("discussion_id") {
        let d = body_id(Some(d), "body.discussion_id")?;
        let existing = state
            .comments
            .iter()
            .find(|c| c.discussion_id == d && state.can_see(req.integration, c.parent))
            .ok_or_else(|| not_found(state, req, "discussion", d))?;
        (existing.parent, existing.parent_is_page, d)
    } else {
        let parent = body.get("parent").unwrap_or(&Value::Null);
        let (id, is_page) = if let Some(p) = parent.get("page_id") {
            (body_id(Some(p), "body.parent.page_id")?, true)
        } else {
            (
                body_id(parent.get("block_id"), "body.parent.block_id")?,
                false,
            )
        };
        let known = if is_page {
            state.pages.contains_key(&id)
        } else {
            state.blocks.contains_key(&id)
        };
        if !known || !state.can_see(req.integration, id) {
            return Err(not_found(
                state,
                req,
                if is_page { "page" } else { "block" },
                id,
            ));
        }
        (id, is_page, state.new_id())
    };
    let id = state.new_id();
    let author = state.integrations[req.integration].id;
    let comment = Comment {
        id,
        parent,
        parent_is_page,
        discussion_id,
        rich_text,
        created_time: req.now,
        created_by: author,
        display_name: state.integrations[req.integration].name.clone(),
    };
    let out = render::comment(&comment);
    state.comments.push(comment);
    state.emit(Event::CommentCreated {
        comment_id: id,
        parent_id: parent,
        author,
        timestamp: req.now.to_string(),
    });
    Ok(out)
}
