//! The `/v1` REST API: routing, the shared request checks, and the handlers.

mod blocks;
mod databases;
mod markdown;
mod oauth;
mod pages;
mod search;
mod users;

use std::sync::Arc;

use jiff::Timestamp;
use notion_workspace::model::{Actor, Capabilities, CursorEntry, State};
use notion_workspace::util::{fmt_id, parse_id};
use notion_workspace::{ApiError, ApiResult, ApiVersion, render};
use serde_json::{Value, json};
use uuid::Uuid;

/// A matched route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    UsersList,
    UsersMe,
    UsersGet,
    Search,
    PagesCreate,
    PagesGet,
    PagesPatch,
    PagesMove,
    PagesMarkdownGet,
    PagesMarkdownPatch,
    PagePropertyGet,
    DatabasesCreate,
    DatabasesGet,
    DatabasesPatch,
    DatabasesQuery,
    DataSourcesCreate,
    DataSourcesGet,
    DataSourcesPatch,
    DataSourcesQuery,
    BlocksGet,
    BlocksPatch,
    BlocksDelete,
    ChildrenList,
    ChildrenAppend,
    CommentsList,
    CommentsCreate,
    CommentsGet,
    OAuthAuthorize,
    /// The consent page's answer (`POST /v1/oauth/authorize`, form-encoded).
    OAuthConsent,
    OAuthToken,
    OAuthRevoke,
    OAuthIntrospect,
}

impl Route {
    pub(crate) fn is_oauth(self) -> bool {
        matches!(
            self,
            Self::OAuthAuthorize
                | Self::OAuthConsent
                | Self::OAuthToken
                | Self::OAuthRevoke
                | Self::OAuthIntrospect
        )
    }
}

/// Matches a method and path; returns the route, its template and the path parameters.
pub(crate) fn route(method: &str, path: &str) -> Option<(Route, &'static str, Vec<String>)> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let p = |i: usize| segs.get(i).map(|s| (*s).to_owned()).unwrap_or_default();
    use Route::*;
    let (route, template, params) = match (method, segs.as_slice()) {
        ("GET", ["v1", "users"]) => (UsersList, "/v1/users", vec![]),
        ("GET", ["v1", "users", "me"]) => (UsersMe, "/v1/users/me", vec![]),
        ("GET", ["v1", "users", _]) => (UsersGet, "/v1/users/{user_id}", vec![p(2)]),
        ("POST", ["v1", "search"]) => (Search, "/v1/search", vec![]),
        ("POST", ["v1", "pages"]) => (PagesCreate, "/v1/pages", vec![]),
        ("GET", ["v1", "pages", _]) => (PagesGet, "/v1/pages/{page_id}", vec![p(2)]),
        ("PATCH", ["v1", "pages", _]) => (PagesPatch, "/v1/pages/{page_id}", vec![p(2)]),
        ("POST", ["v1", "pages", _, "move"]) => (PagesMove, "/v1/pages/{page_id}/move", vec![p(2)]),
        ("GET", ["v1", "pages", _, "markdown"]) => {
            (PagesMarkdownGet, "/v1/pages/{page_id}/markdown", vec![p(2)])
        }
        ("PATCH", ["v1", "pages", _, "markdown"]) => (
            PagesMarkdownPatch,
            "/v1/pages/{page_id}/markdown",
            vec![p(2)],
        ),
        ("GET", ["v1", "pages", _, "properties", _]) => (
            PagePropertyGet,
            "/v1/pages/{page_id}/properties/{property_id}",
            vec![p(2), p(4)],
        ),
        ("POST", ["v1", "databases"]) => (DatabasesCreate, "/v1/databases", vec![]),
        ("GET", ["v1", "databases", _]) => {
            (DatabasesGet, "/v1/databases/{database_id}", vec![p(2)])
        }
        ("PATCH", ["v1", "databases", _]) => {
            (DatabasesPatch, "/v1/databases/{database_id}", vec![p(2)])
        }
        ("POST", ["v1", "databases", _, "query"]) => (
            DatabasesQuery,
            "/v1/databases/{database_id}/query",
            vec![p(2)],
        ),
        ("POST", ["v1", "data_sources"]) => (DataSourcesCreate, "/v1/data_sources", vec![]),
        ("GET", ["v1", "data_sources", _]) => (
            DataSourcesGet,
            "/v1/data_sources/{data_source_id}",
            vec![p(2)],
        ),
        ("PATCH", ["v1", "data_sources", _]) => (
            DataSourcesPatch,
            "/v1/data_sources/{data_source_id}",
            vec![p(2)],
        ),
        ("POST", ["v1", "data_sources", _, "query"]) => (
            DataSourcesQuery,
            "/v1/data_sources/{data_source_id}/query",
            vec![p(2)],
        ),
        ("GET", ["v1", "blocks", _]) => (BlocksGet, "/v1/blocks/{block_id}", vec![p(2)]),
        ("PATCH", ["v1", "blocks", _]) => (BlocksPatch, "/v1/blocks/{block_id}", vec![p(2)]),
        ("DELETE", ["v1", "blocks", _]) => (BlocksDelete, "/v1/blocks/{block_id}", vec![p(2)]),
        ("GET", ["v1", "blocks", _, "children"]) => {
            (ChildrenList, "/v1/blocks/{block_id}/children", vec![p(2)])
        }
        ("PATCH", ["v1", "blocks", _, "children"]) => {
            (ChildrenAppend, "/v1/blocks/{block_id}/children", vec![p(2)])
        }
        ("GET", ["v1", "comments"]) => (CommentsList, "/v1/comments", vec![]),
        ("POST", ["v1", "comments"]) => (CommentsCreate, "/v1/comments", vec![]),
        ("GET", ["v1", "comments", _]) => (CommentsGet, "/v1/comments/{comment_id}", vec![p(2)]),
        ("GET", ["v1", "oauth", "authorize"]) => (OAuthAuthorize, "/v1/oauth/authorize", vec![]),
        ("POST", ["v1", "oauth", "authorize"]) => (OAuthConsent, "/v1/oauth/authorize", vec![]),
        ("POST", ["v1", "oauth", "token"]) => (OAuthToken, "/v1/oauth/token", vec![]),
        ("POST", ["v1", "oauth", "revoke"]) => (OAuthRevoke, "/v1/oauth/revoke", vec![]),
        ("POST", ["v1", "oauth", "introspect"]) => {
            (OAuthIntrospect, "/v1/oauth/introspect", vec![])
        }
        _ => return None,
    };
    Some((route, template, params))
}

/// A request that passed authentication and version checks.
pub(crate) struct Req<'a> {
    pub(crate) version: ApiVersion,
    pub(crate) integration: usize,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a Value,
    pub(crate) now: Timestamp,
    /// The `Host` header, for absolute URLs in responses (`next_url`).
    pub(crate) host: Option<&'a str>,
}

impl Req<'_> {
    pub(crate) fn actor(&self) -> Actor {
        Actor::Bot(self.integration)
    }

    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `filter_properties` and `filter_properties[]`, both repeatable.
    pub(crate) fn filter_properties(&self) -> Option<Vec<String>> {
        let keys: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| k == "filter_properties" || k == "filter_properties[]")
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect();
        if keys.is_empty() { None } else { Some(keys) }
    }

    pub(crate) fn body_obj(&self) -> &serde_json::Map<String, Value> {
        static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> =
            std::sync::OnceLock::new();
        self.body
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(serde_json::Map::new))
    }

    /// `in_trash`, or `archived` before 2026-03-11 (rejected from 2026-03-11 on).
    pub(crate) fn trash_flag(&self) -> ApiResult<Option<bool>> {
        let body = self.body_obj();
        if let Some(v) = body.get("in_trash") {
            return v
                .as_bool()
                .map(Some)
                .ok_or_else(|| ApiError::body_validation("body.in_trash", "a boolean", v));
        }
        if let Some(v) = body.get("archived") {
            if self.version.uses_in_trash_and_position() {
                return Err(ApiError::validation(
                    "body failed validation: body.archived is not supported from Notion-Version 2026-03-11 on; use body.in_trash.",
                ));
            }
            return v
                .as_bool()
                .map(Some)
                .ok_or_else(|| ApiError::body_validation("body.archived", "a boolean", v));
        }
        Ok(None)
    }
}

/// Parses a path id, or 400 like Notion.
pub(crate) fn path_id(raw: &str, name: &str) -> ApiResult<Uuid> {
    parse_id(raw).ok_or_else(|| {
        ApiError::validation(format!(
            "path failed validation: path.{name} should be a valid uuid, instead was `\"{raw}\"`."
        ))
    })
}

/// Parses a body id.
pub(crate) fn body_id(v: Option<&Value>, path: &str) -> ApiResult<Uuid> {
    match v {
        Some(Value::String(s)) => {
            parse_id(s).ok_or_else(|| ApiError::body_validation(path, "a valid uuid", &json!(s)))
        }
        Some(other) => Err(ApiError::body_validation(path, "a valid uuid", other)),
        None => Err(ApiError::validation(format!(
            "body failed validation: {path} should be defined, instead was `undefined`."
        ))),
    }
}

/// The 404 for a missing or unshared object.
pub(crate) fn not_found(state: &State, req: &Req<'_>, kind: &str, id: Uuid) -> ApiError {
    let i = &state.integrations[req.integration];
    ApiError::not_found(
        kind,
        &fmt_id(id),
        &i.name,
        &state.integration_id_str(req.integration),
    )
}

/// 403 unless the integration has the capability.
pub(crate) fn need(state: &State, req: &Req<'_>, cap: fn(&Capabilities) -> bool) -> ApiResult<()> {
    if cap(&state.integrations[req.integration].capabilities) {
        Ok(())
    } else {
        Err(ApiError::restricted())
    }
}

/// Parses `page_size` (1–100, default 100) from a JSON value or query string.
pub(crate) fn page_size(raw: Option<&Value>, path: &str) -> ApiResult<usize> {
    let Some(raw) = raw else { return Ok(100) };
    let n = match raw {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Null => return Ok(100),
        _ => None,
    }
    .ok_or_else(|| ApiError::body_validation(path, "a number", raw))?;
    if n > 100 {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should be ≤ `100`, instead was `{n}`."
        )));
    }
    if n < 1 {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should be ≥ `1`, instead was `{n}`."
        )));
    }
    Ok(n as usize)
}

/// An invalid `start_cursor`.
pub(crate) fn bad_cursor(path: &str, raw: &str) -> ApiError {
    ApiError::validation(format!(
        "body failed validation: {path} should be a valid cursor returned by a previous request, instead was `\"{raw}\"`."
    ))
}

/// One page of a result snapshot: the ids, the next cursor, and whether the cap cut the results.
pub(crate) struct Slice {
    pub(crate) ids: Vec<Uuid>,
    pub(crate) next_cursor: Option<String>,
    pub(crate) incomplete: bool,
}

/// Pages through a snapshot, registering an opaque cursor for the rest.
pub(crate) fn slice_snapshot(state: &mut State, entry: CursorEntry, size: usize) -> Slice {
    let end = (entry.offset + size).min(entry.ids.len());
    let ids = entry.ids[entry.offset..end].to_vec();
    let has_more = end < entry.ids.len();
    let next_cursor = has_more.then(|| {
        let token = state.rng.token(24);
        state.cursors.insert(
            token.clone(),
            CursorEntry {
                scope: entry.scope.clone(),
                ids: Arc::clone(&entry.ids),
                offset: end,
                capped: entry.capped,
            },
        );
        token
    });
    Slice {
        ids,
        next_cursor,
        incomplete: !has_more && entry.capped,
    }
}

/// Looks up a cursor for `scope` (the route and object it was issued for).
pub(crate) fn resume_cursor(
    state: &State,
    scope: &str,
    raw: &str,
    path: &str,
) -> ApiResult<CursorEntry> {
    state
        .cursors
        .get(raw)
        .filter(|c| c.scope == scope)
        .cloned()
        .ok_or_else(|| bad_cursor(path, raw))
}

/// The snapshot a body's `start_cursor` resumes, or without one a fresh snapshot of the ids (and
/// whether the result cap cut them) that `fresh` computes.
pub(crate) fn body_snapshot(
    state: &State,
    body: &serde_json::Map<String, Value>,
    scope: String,
    fresh: impl FnOnce() -> ApiResult<(Vec<Uuid>, bool)>,
) -> ApiResult<CursorEntry> {
    match body.get("start_cursor") {
        Some(Value::String(c)) => resume_cursor(state, &scope, c, "body.start_cursor"),
        Some(Value::Null) | None => {
            let (ids, capped) = fresh()?;
            Ok(CursorEntry {
                scope,
                ids: Arc::new(ids),
                offset: 0,
                capped,
            })
        }
        Some(other) => Err(ApiError::body_validation(
            "body.start_cursor",
            "a string",
            other,
        )),
    }
}

/// Runs a handler for a route.
pub(crate) fn handle(
    state: &mut State,
    route: Route,
    params: &[String],
    req: &Req<'_>,
) -> ApiResult<Value> {
    use Route::*;
    let p0 = params.first().map_or("", String::as_str);
    match route {
        UsersList => users::list(state, req),
        UsersMe => Ok(render::bot_user(state, req.integration)),
        UsersGet => users::get(state, req, p0),
        Search => search::search(state, req),
        PagesCreate => pages::create(state, req),
        PagesGet => pages::get(state, req, path_id(p0, "page_id")?),
        PagesPatch => pages::patch(state, req, path_id(p0, "page_id")?),
        PagesMove => pages::move_page(state, req, path_id(p0, "page_id")?),
        PagesMarkdownGet => markdown::get(state, req, path_id(p0, "page_id")?),
        PagesMarkdownPatch => markdown::patch(state, req, path_id(p0, "page_id")?),
        PagePropertyGet => pages::property(
            state,
            req,
            path_id(p0, "page_id")?,
            params.get(1).map_or("", String::as_str),
        ),
        DatabasesCreate => databases::create_database(state, req),
        DatabasesGet => databases::get_database(state, req, path_id(p0, "database_id")?),
        DatabasesPatch => databases::patch_database(state, req, path_id(p0, "database_id")?),
        DatabasesQuery => databases::query_database(state, req, path_id(p0, "database_id")?),
        DataSourcesCreate => databases::create_data_source(state, req),
        DataSourcesGet => databases::get_data_source(state, req, path_id(p0, "data_source_id")?),
        DataSourcesPatch => {
            databases::patch_data_source(state, req, path_id(p0, "data_source_id")?)
        }
        DataSourcesQuery => {
            databases::query_data_source(state, req, path_id(p0, "data_source_id")?)
        }
        BlocksGet => blocks::get(state, req, path_id(p0, "block_id")?),
        BlocksPatch => blocks::patch(state, req, path_id(p0, "block_id")?),
        BlocksDelete => blocks::delete(state, req, path_id(p0, "block_id")?),
        ChildrenList => blocks::children(state, req, path_id(p0, "block_id")?),
        ChildrenAppend => blocks::append(state, req, path_id(p0, "block_id")?),
        CommentsList => users::list_comments(state, req),
        CommentsCreate => users::create_comment(state, req),
        CommentsGet => users::get_comment(state, req, path_id(p0, "comment_id")?),
        OAuthAuthorize | OAuthConsent | OAuthToken | OAuthRevoke | OAuthIntrospect => {
            Err(ApiError::invalid_request_url())
        }
    }
}

pub(crate) use oauth::{OAuthOutcome, connection_key, expired, handle as handle_oauth};
