//! `GET`/`PATCH /v1/pages/{page_id}/markdown`: a page's content as Markdown, for the block types
//! that have a plain Markdown form. Markdown v1 ("enhanced markdown") separates blocks with one
//! newline and is the default before 2026-12-01; v2 (Notion-flavored) separates them with a blank
//! line, is the default from 2026-12-01 on, where `markdown_version: "v1"` and the
//! `replace_content_range` edit answer 400 (2026-12-01 upgrade guide).

use notion_workspace::model::{Parent, State, plain_text};
use notion_workspace::util::fmt_id;
use notion_workspace::{ApiError, ApiResult, ops};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Req, need, not_found};

/// The two Markdown dialects of the endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    V1,
    V2,
}

impl Dialect {
    fn separator(self) -> &'static str {
        match self {
            Self::V1 => "\n",
            Self::V2 => "\n\n",
        }
    }
}

/// The dialect a request asks for (`markdown_version` in the query or body), by version default.
fn dialect(req: &Req<'_>) -> ApiResult<Dialect> {
    let asked = req
        .query_param("markdown_version")
        .map(str::to_owned)
        .or_else(|| {
            req.body
                .get("markdown_version")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    match asked.as_deref() {
        None if req.version.lists_only_title() => Ok(Dialect::V2),
        None => Ok(Dialect::V1),
        Some("v2") => Ok(Dialect::V2),
        Some("v1") if req.version.lists_only_title() => Err(ApiError::validation(
            "markdown_version `\"v1\"` is not supported from Notion-Version 2026-12-01 on: send `\"v2\"` (Notion-flavored Markdown) or leave it out.",
        )),
        Some("v1") => Ok(Dialect::V1),
        Some(other) => Err(ApiError::validation(format!(
            "body failed validation: markdown_version should be `\"v1\"` or `\"v2\"`, instead was `\"{other}\"`."
        ))),
    }
}

fn page_checked(state: &State, req: &Req<'_>, id: Uuid) -> ApiResult<()> {
    if !state.pages.contains_key(&id) || !state.can_see(req.integration, id) {
        return Err(not_found(state, req, "page", id));
    }
    Ok(())
}

/// One block as Markdown, or `None` for a type without a plain Markdown form.
fn block_markdown(kind: &str, content: &Value) -> Option<String> {
    let text = || plain_text(content.get("rich_text").unwrap_or(&Value::Null));
    Some(match kind {
        "paragraph" => text(),
        "heading_1" => format!("# {}", text()),
        "heading_2" => format!("## {}", text()),
        "heading_3" => format!("### {}", text()),
        "bulleted_list_item" => format!("- {}", text()),
        "numbered_list_item" => format!("1. {}", text()),
        "to_do" => {
            let mark = if content["checked"] == true { "x" } else { " " };
            format!("- [{mark}] {}", text())
        }
        "quote" => format!("> {}", text()),
        "divider" => "---".to_owned(),
        "code" => format!(
            "```{}\n{}\n```",
            content["language"].as_str().unwrap_or_default(),
            text()
        ),
        _ => return None,
    })
}

/// The page's live top-level blocks rendered, with the ids of those that have no Markdown form.
fn render_page(state: &State, id: Uuid, d: Dialect) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut unknown = Vec::new();
    for cid in state
        .children
        .get(&id)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let Some(b) = state.blocks.get(cid).filter(|b| !b.in_trash) else {
            continue;
        };
        match block_markdown(&b.kind, &b.content) {
            Some(md) => parts.push(md),
            None => unknown.push(fmt_id(b.id)),
        }
    }
    (parts.join(d.separator()), unknown)
}

fn answer(state: &State, id: Uuid, d: Dialect) -> Value {
    let (markdown, unknown) = render_page(state, id, d);
    json!({
        "object": "page_markdown",
        "id": fmt_id(id),
        "markdown": markdown,
        "truncated": false,
        "unknown_block_ids": unknown,
    })
}

/// Markdown to block requests: headings, list items, to-dos, quotes, dividers, fenced code and
/// paragraphs. v1 starts a block at every line; v2 joins consecutive plain lines into one paragraph.
fn parse(markdown: &str, d: Dialect) -> Vec<Value> {
    let rt = |s: &str| json!([{"text": {"content": s}}]);
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Value>| {
        if !paragraph.is_empty() {
            blocks.push(json!({"paragraph": {"rich_text": rt(&paragraph.join("\n"))}}));
            paragraph.clear();
        }
    };
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        let block = if trimmed.is_empty() {
            None
        } else if let Some(lang) = trimmed.strip_prefix("```") {
            let mut code = Vec::new();
            for l in lines.by_ref() {
                if l.trim_end() == "```" {
                    break;
                }
                code.push(l);
            }
            let lang = if lang.is_empty() { "plain text" } else { lang };
            Some(json!({"code": {"rich_text": rt(&code.join("\n")), "language": lang}}))
        } else if let Some(t) = trimmed.strip_prefix("### ") {
            Some(json!({"heading_3": {"rich_text": rt(t)}}))
        } else if let Some(t) = trimmed.strip_prefix("## ") {
            Some(json!({"heading_2": {"rich_text": rt(t)}}))
        } else if let Some(t) = trimmed.strip_prefix("# ") {
            Some(json!({"heading_1": {"rich_text": rt(t)}}))
        } else if let Some(t) = trimmed.strip_prefix("- [ ] ") {
            Some(json!({"to_do": {"rich_text": rt(t), "checked": false}}))
        } else if let Some(t) = trimmed.strip_prefix("- [x] ") {
            Some(json!({"to_do": {"rich_text": rt(t), "checked": true}}))
        } else if let Some(t) = trimmed.strip_prefix("- ") {
            Some(json!({"bulleted_list_item": {"rich_text": rt(t)}}))
        } else if let Some(t) = trimmed.strip_prefix("> ") {
            Some(json!({"quote": {"rich_text": rt(t)}}))
        } else if trimmed == "---" {
            Some(json!({"divider": {}}))
        } else if let Some((n, t)) = trimmed.split_once(". ")
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
        {
            Some(json!({"numbered_list_item": {"rich_text": rt(t)}}))
        } else {
            if d == Dialect::V1 {
                Some(json!({"paragraph": {"rich_text": rt(trimmed)}}))
            } else {
                paragraph.push(trimmed);
                continue;
            }
        };
        flush(&mut paragraph, &mut blocks);
        if let Some(b) = block {
            blocks.push(b);
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// `GET /v1/pages/{page_id}/markdown`.
pub(super) fn get(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    page_checked(state, req, id)?;
    need(state, req, |c| c.read_content)?;
    let d = dialect(req)?;
    Ok(answer(state, id, d))
}

fn content_arg<'a>(body: &'a Value, op: &str, key: &str) -> ApiResult<&'a str> {
    body.get(op)
        .and_then(|o| o.get(key))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: body.{op}.{key} should be a string, instead was `undefined`."
            ))
        })
}

/// `PATCH /v1/pages/{page_id}/markdown`: `insert_content` (appends) and `replace_content`
/// (replaces every block). `replace_content_range` answers 400 from 2026-12-01 on.
pub(super) fn patch(state: &mut State, req: &Req<'_>, id: Uuid) -> ApiResult<Value> {
    page_checked(state, req, id)?;
    need(state, req, |c| c.update_content)?;
    let d = dialect(req)?;
    if state.pages.get(&id).is_some_and(|p| state.page_trashed(p)) {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    let op = req
        .body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (markdown, replace) = match op {
        "insert_content" => (content_arg(req.body, op, "content")?, false),
        "replace_content" => (content_arg(req.body, op, "new_str")?, true),
        "replace_content_range" if req.version.lists_only_title() => {
            return Err(ApiError::validation(
                "replace_content_range is not supported from Notion-Version 2026-12-01 on: use update_content.",
            ));
        }
        other => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.type should be `\"insert_content\"` or `\"replace_content\"`, instead was `\"{other}\"`."
            )));
        }
    };
    let blocks = Value::Array(parse(markdown, d));
    ops::validate_blocks(&blocks, "body.content", 0)?;
    if replace {
        let old: Vec<Uuid> = state
            .children
            .get(&id)
            .map(|c| {
                c.iter()
                    .copied()
                    .filter(|b| state.blocks.contains_key(b))
                    .collect()
            })
            .unwrap_or_default();
        for b in old {
            ops::set_trash(state, req.actor(), req.now, b, true);
        }
    }
    ops::append_blocks(
        state,
        req.actor(),
        req.now,
        id,
        Parent::Page(id),
        &blocks,
        None,
    )?;
    Ok(answer(state, id, d))
}
