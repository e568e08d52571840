//! `POST /v1/search`: titles of everything shared with the integration.

use jiff::Timestamp;
use notion_workspace::model::{State, plain_text};
use notion_workspace::{ApiError, ApiResult, render};
use serde_json::Value;
use uuid::Uuid;

use super::databases::search_lists_databases;
use super::{Req, body_snapshot, need, page_size, slice_snapshot};

/// `POST /v1/search`.
pub(super) fn search(state: &mut State, req: &Req<'_>) -> ApiResult<Value> {
    need(state, req, |c| c.read_content)?;
    let body = req.body_obj();
    let size = page_size(body.get("page_size"), "body.page_size")?;
    let legacy = search_lists_databases(req.version);
    let scope = format!("search:{}", req.integration);
    let entry = body_snapshot(state, body, scope, || {
        let query = match body.get("query") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.to_lowercase(),
            Some(other) => {
                return Err(ApiError::body_validation("body.query", "a string", other));
            }
        };
        let filter = body.get("filter").filter(|f| !f.is_null());
        let object = match filter {
            None => None,
            Some(f) => {
                let value = f.get("value").and_then(Value::as_str);
                let allowed: &[&str] = if legacy {
                    &["page", "database"]
                } else {
                    &["page", "data_source"]
                };
                match value {
                    Some(v) if allowed.contains(&v) => Some(v.to_owned()),
                    _ => {
                        return Err(ApiError::body_validation(
                            "body.filter.value",
                            &format!("`\"{}\"` or `\"{}\"`", allowed[0], allowed[1]),
                            f.get("value").unwrap_or(&Value::Null),
                        ));
                    }
                }
            }
        };
        let in_trash = filter
            .and_then(|f| f.get("in_trash"))
            .or_else(|| body.get("in_trash"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let ascending = match body.get("sort").filter(|s| !s.is_null()) {
            None => false,
            Some(s) => {
                if let Some(ts) = s.get("timestamp")
                    && ts.as_str() != Some("last_edited_time")
                {
                    return Err(ApiError::body_validation(
                        "body.sort.timestamp",
                        "`\"last_edited_time\"`",
                        ts,
                    ));
                }
                match s.get("direction").and_then(Value::as_str) {
                    Some("ascending") => true,
                    Some("descending") | None => false,
                    Some(other) => {
                        return Err(ApiError::body_validation(
                            "body.sort.direction",
                            "`\"ascending\"` or `\"descending\"`",
                            &Value::String(other.to_owned()),
                        ));
                    }
                }
            }
        };
        let mut hits: Vec<(Timestamp, u64, Uuid)> = Vec::new();
        let matches = |title: &str| query.is_empty() || title.to_lowercase().contains(&query);
        if object.as_deref() != Some("data_source") && object.as_deref() != Some("database") {
            for p in state.pages.values() {
                if state.page_trashed(p) == in_trash
                    && matches(&state.page_title(p))
                    && state.can_see(req.integration, p.id)
                {
                    hits.push((p.last_edited_time, p.seq, p.id));
                }
            }
        }
        if object.as_deref() != Some("page") {
            if legacy {
                for d in state.databases.values() {
                    if d.in_trash == in_trash
                        && matches(&plain_text(&Value::Array(d.title.clone())))
                        && state.can_see(req.integration, d.id)
                    {
                        hits.push((d.last_edited_time, d.seq, d.id));
                    }
                }
            } else {
                for d in state.data_sources.values() {
                    let trashed = d.in_trash
                        || state
                            .databases
                            .get(&d.database_id)
                            .is_some_and(|db| db.in_trash);
                    if trashed == in_trash
                        && matches(&plain_text(&Value::Array(d.title.clone())))
                        && state.can_see(req.integration, d.id)
                    {
                        hits.push((d.last_edited_time, d.seq, d.id));
                    }
                }
            }
        }
        hits.sort_by(|a, b| {
            let o = a.0.cmp(&b.0).then(a.1.cmp(&b.1));
            if ascending { o } else { o.reverse() }
        });
        Ok((hits.into_iter().map(|h| h.2).collect(), false))
    })?;
    let slice = slice_snapshot(state, entry, size);
    let shown = req.version.list_properties(req.filter_properties());
    let results: Vec<Value> = slice
        .ids
        .iter()
        .filter_map(|id| {
            if let Some(p) = state.pages.get(id) {
                Some(render::page(state, p, req.version, shown.as_deref()))
            } else if let Some(d) = state.data_sources.get(id) {
                Some(render::data_source(state, d, req.version))
            } else {
                state
                    .databases
                    .get(id)
                    .map(|d| render::database(state, d, req.version))
            }
        })
        .collect();
    let kind = if legacy {
        "page_or_database"
    } else {
        "page_or_data_source"
    };
    Ok(render::list(results, slice.next_cursor, kind))
}
