//! Rich text: validation of request items and the response shape Notion echoes back.

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};

/// Notion's limits on rich text.
pub(crate) const MAX_TEXT_CONTENT: usize = 2000;
pub(crate) const MAX_ARRAY: usize = 100;
pub(crate) const MAX_URL: usize = 2000;

/// The mention types Notion accepts in requests.
const MENTION_TYPES: &[&str] = &[
    "page",
    "database",
    "user",
    "date",
    "link_preview",
    "template_mention",
    "custom_emoji",
];

fn default_annotations() -> Map<String, Value> {
    let mut m = Map::new();
    for key in ["bold", "italic", "strikethrough", "underline", "code"] {
        m.insert(key.to_owned(), Value::Bool(false));
    }
    m.insert("color".to_owned(), Value::String("default".to_owned()));
    m
}

fn length_error(path: &str, limit: usize, actual: usize) -> ApiError {
    ApiError::validation(format!(
        "body failed validation: {path}.length should be ≤ `{limit}`, instead was `{actual}`."
    ))
}

/// Validates an array of rich text request items and returns them in response shape.
pub fn normalize(value: &Value, path: &str) -> ApiResult<Vec<Value>> {
    let Some(items) = value.as_array() else {
        return Err(ApiError::body_validation(path, "an array", value));
    };
    if items.len() > MAX_ARRAY {
        return Err(length_error(path, MAX_ARRAY, items.len()));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| normalize_item(item, &format!("{path}[{i}]")))
        .collect()
}

/// A plain-text rich text array (for workspace files and human edits).
pub(crate) fn from_plain(text: &str) -> Vec<Value> {
    if text.is_empty() {
        return Vec::new();
    }
    vec![json!({
        "type": "text",
        "text": {"content": text, "link": null},
        "annotations": Value::Object(default_annotations()),
        "plain_text": text,
        "href": null,
    })]
}

fn normalize_item(item: &Value, path: &str) -> ApiResult<Value> {
    let Some(obj) = item.as_object() else {
        return Err(ApiError::body_validation(path, "an object", item));
    };
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            ["text", "mention", "equation"]
                .iter()
                .find(|k| obj.contains_key(**k))
                .map(|k| (*k).to_owned())
        })
        .ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: {path}.text should be defined, instead was `undefined`."
            ))
        })?;
    let mut annotations = default_annotations();
    if let Some(given) = obj.get("annotations") {
        let Some(given) = given.as_object() else {
            return Err(ApiError::body_validation(
                &format!("{path}.annotations"),
                "an object",
                given,
            ));
        };
        for (k, v) in given {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let (content_value, plain, href) = match kind.as_str() {
        "text" => {
            let text = obj.get("text").and_then(Value::as_object).ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: {path}.text should be defined, instead was `undefined`."
                ))
            })?;
            let content = match text.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(ApiError::body_validation(
                        &format!("{path}.text.content"),
                        "a string",
                        other,
                    ));
                }
                None => {
                    return Err(ApiError::validation(format!(
                        "body failed validation: {path}.text.content should be defined, instead was `undefined`."
                    )));
                }
            };
            let len = content.chars().count();
            if len > MAX_TEXT_CONTENT {
                return Err(length_error(
                    &format!("{path}.text.content"),
                    MAX_TEXT_CONTENT,
                    len,
                ));
            }
            let link = match text.get("link") {
                None | Some(Value::Null) => Value::Null,
                Some(Value::Object(l)) => {
                    let url = l.get("url").and_then(Value::as_str).ok_or_else(|| {
                        ApiError::validation(format!(
                            "body failed validation: {path}.text.link.url should be defined, instead was `undefined`."
                        ))
                    })?;
                    if url.chars().count() > MAX_URL {
                        return Err(length_error(
                            &format!("{path}.text.link.url"),
                            MAX_URL,
                            url.chars().count(),
                        ));
                    }
                    json!({ "url": url })
                }
                Some(other) => {
                    return Err(ApiError::body_validation(
                        &format!("{path}.text.link"),
                        "an object or `null`",
                        other,
                    ));
                }
            };
            let href = link.get("url").cloned().unwrap_or(Value::Null);
            (json!({ "content": content, "link": link }), content, href)
        }
        "equation" => {
            let expr = obj
                .get("equation")
                .and_then(|e| e.get("expression"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "body failed validation: {path}.equation.expression should be defined, instead was `undefined`."
                    ))
                })?;
            if expr.chars().count() > 1000 {
                return Err(length_error(
                    &format!("{path}.equation.expression"),
                    1000,
                    expr.chars().count(),
                ));
            }
            (json!({ "expression": expr }), expr.to_owned(), Value::Null)
        }
        "mention" => {
            let mut mention = obj.get("mention").cloned().unwrap_or_else(|| json!({}));
            // Notion names the mention's type even when the sender only gave its key.
            if let Some(m) = mention.as_object_mut()
                && !m.contains_key("type")
                && let Some(kind) = MENTION_TYPES.iter().find(|k| m.contains_key(**k))
            {
                m.insert("type".to_owned(), json!(kind));
            }
            if let Some(date) = mention.get_mut("date").and_then(Value::as_object_mut) {
                date.entry("end").or_insert(Value::Null);
                date.entry("time_zone").or_insert(Value::Null);
                if let Some(start) = date.get("start").and_then(Value::as_str) {
                    let start = start.to_owned();
                    let end = date.get("end").cloned().unwrap_or(Value::Null);
                    let resolved = crate::props::resolve_time_zone(
                        date,
                        &start,
                        end,
                        &format!("{path}.mention.date"),
                    )?;
                    if let Value::Object(resolved) = resolved {
                        *date = resolved;
                    }
                }
            }
            let plain = obj
                .get("plain_text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    mention
                        .get("date")
                        .and_then(|d| d.get("start"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "Untitled".to_owned());
            (mention, plain, Value::Null)
        }
        other => {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}.type should be `\"text\"`, `\"mention\"` or `\"equation\"`, instead was `\"{other}\"`."
            )));
        }
    };
    let mut out = Map::new();
    out.insert("type".to_owned(), Value::String(kind.clone()));
    out.insert(kind, content_value);
    out.insert("annotations".to_owned(), Value::Object(annotations));
    out.insert("plain_text".to_owned(), Value::String(plain));
    out.insert("href".to_owned(), href);
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_segments_with_defaults() {
        let out = normalize(
            &json!([{"text": {"content": "Hello "}}, {"type": "text", "text": {"content": "world", "link": {"url": "https://x.org"}}, "annotations": {"bold": true}}]),
            "body.x",
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["plain_text"], "Hello ");
        assert_eq!(out[0]["annotations"]["bold"], false);
        assert_eq!(out[1]["annotations"]["bold"], true);
        assert_eq!(out[1]["href"], "https://x.org");
    }

    #[test]
    fn rejects_long_content() {
        let long = "a".repeat(2001);
        let err = normalize(&json!([{"text": {"content": long}}]), "body.p").unwrap_err();
        assert_eq!(
            err.message,
            "body failed validation: body.p[0].text.content.length should be ≤ `2000`, instead was `2001`."
        );
    }
}
