//! Data source schemas and page property values: validation of writes, option handling.

use std::collections::HashSet;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::model::{Actor, PropSchema};
use crate::richtext;
use crate::util::{SplitMix, fmt_id, parse_id};

/// Every property type the emulator stores.
pub(crate) const PROPERTY_TYPES: &[&str] = &[
    "title",
    "rich_text",
    "number",
    "select",
    "multi_select",
    "status",
    "date",
    "people",
    "files",
    "checkbox",
    "url",
    "email",
    "phone_number",
    "formula",
    "relation",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
    "verification",
    "place",
];

/// Types whose values Notion computes; page writes cannot set them.
pub(crate) const READ_ONLY_TYPES: &[&str] = &[
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
    "verification",
];

/// Option colours Notion accepts.
pub(crate) const COLORS: &[&str] = &[
    "default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
];

/// A new short property id, URL-encoded like Notion's (`Z%3ClH`).
pub(crate) fn new_prop_id(rng: &mut SplitMix) -> String {
    const CHARS: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:;<=>?@[]^_`{|}~";
    let raw: String = (0..4)
        .map(|_| CHARS[(rng.next_u64() % CHARS.len() as u64) as usize] as char)
        .collect();
    percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn type_of(def: &Map<String, Value>) -> Option<String> {
    if let Some(t) = def.get("type").and_then(Value::as_str) {
        return Some(t.to_owned());
    }
    PROPERTY_TYPES
        .iter()
        .find(|t| def.contains_key(**t))
        .map(|t| (*t).to_owned())
}

fn new_option(rng: &mut SplitMix, given: &Value, path: &str) -> ApiResult<Value> {
    let name = given.get("name").and_then(Value::as_str).ok_or_else(|| {
        ApiError::body_validation(
            &format!("{path}.name"),
            "a string",
            given.get("name").unwrap_or(&Value::Null),
        )
    })?;
    if name.contains(',') {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.name should not contain commas, instead was `\"{name}\"`."
        )));
    }
    let color = given
        .get("color")
        .and_then(Value::as_str)
        .unwrap_or("default");
    if !COLORS.contains(&color) {
        return Err(ApiError::body_validation(
            &format!("{path}.color"),
            "a valid color",
            &json!(color),
        ));
    }
    let id = given
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| fmt_id(rng.uuid()), str::to_owned);
    Ok(json!({
        "id": id,
        "name": name,
        "color": color,
        "description": given.get("description").cloned().unwrap_or(Value::Null),
    }))
}

fn status_config(rng: &mut SplitMix, given: &Value, path: &str) -> ApiResult<Value> {
    let given_options = given.get("options").and_then(Value::as_array);
    let defaults = [
        ("Not started", "default", "To-do"),
        ("In progress", "blue", "In progress"),
        ("Done", "green", "Complete"),
    ];
    let mut options = Vec::new();
    let mut groups = vec![
        json!({"id": fmt_id(rng.uuid()), "name": "To-do", "color": "gray", "option_ids": []}),
        json!({"id": fmt_id(rng.uuid()), "name": "In progress", "color": "blue", "option_ids": []}),
        json!({"id": fmt_id(rng.uuid()), "name": "Complete", "color": "green", "option_ids": []}),
    ];
    match given_options {
        None => {
            for (name, color, group) in defaults {
                let opt = new_option(rng, &json!({"name": name, "color": color}), path)?;
                let gi = groups.iter().position(|g| g["name"] == group).unwrap_or(0);
                push_option_id(&mut groups[gi], &opt["id"]);
                options.push(opt);
            }
        }
        Some(list) => {
            for (i, o) in list.iter().enumerate() {
                options.push(new_option(rng, o, &format!("{path}.options[{i}]"))?);
            }
        }
    }
    if let Some(given_groups) = given.get("groups").and_then(Value::as_array) {
        groups = Vec::new();
        for g in given_groups {
            let refs: Vec<Value> = g
                .get("option_ids")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|r| {
                    let r = r.as_str()?;
                    options
                        .iter()
                        .find(|o| o["id"] == r || o["name"] == r)
                        .map(|o| o["id"].clone())
                })
                .collect();
            groups.push(json!({
                "id": g.get("id").and_then(Value::as_str).map_or_else(|| fmt_id(rng.uuid()), str::to_owned),
                "name": g.get("name").and_then(Value::as_str).unwrap_or("To-do"),
                "color": g.get("color").and_then(Value::as_str).unwrap_or("gray"),
                "option_ids": refs,
            }));
        }
    } else if given_options.is_some() {
        // Options created through the API land in the first (To-do) group.
        for o in &options {
            push_option_id(&mut groups[0], &o["id"]);
        }
    }
    Ok(json!({"options": options, "groups": groups}))
}

fn push_option_id(group: &mut Value, id: &Value) {
    if let Some(ids) = group.get_mut("option_ids").and_then(Value::as_array_mut) {
        ids.push(id.clone());
    }
}

fn default_config(rng: &mut SplitMix, kind: &str, given: &Value, path: &str) -> ApiResult<Value> {
    Ok(match kind {
        "status" => status_config(rng, given, path)?,
        "select" | "multi_select" => {
            let mut options = Vec::new();
            if let Some(list) = given.get("options").and_then(Value::as_array) {
                for (i, o) in list.iter().enumerate() {
                    options.push(new_option(rng, o, &format!("{path}.options[{i}]"))?);
                }
            }
            json!({"options": options})
        }
        "number" => {
            json!({"format": given.get("format").and_then(Value::as_str).unwrap_or("number")})
        }
        _ => {
            if given.is_object() {
                given.clone()
            } else {
                json!({})
            }
        }
    })
}

/// Builds a new schema property from a request definition (`{"status":{}}`, `{"type":"url","url":{}}`).
pub(crate) fn build_schema(
    rng: &mut SplitMix,
    name: &str,
    def: &Value,
    path: &str,
) -> ApiResult<PropSchema> {
    let Some(obj) = def.as_object() else {
        return Err(ApiError::body_validation(path, "an object", def));
    };
    let kind = type_of(obj).ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: {path}.type should be defined, instead was `undefined`."
        ))
    })?;
    if !PROPERTY_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.type should be a property type, instead was `\"{kind}\"`."
        )));
    }
    let given = obj.get(&kind).cloned().unwrap_or_else(|| json!({}));
    let id = if kind == "title" {
        "title".to_owned()
    } else {
        obj.get("id")
            .and_then(Value::as_str)
            .map_or_else(|| new_prop_id(rng), str::to_owned)
    };
    Ok(PropSchema {
        id,
        name: obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_owned(),
        config: default_config(rng, &kind, &given, &format!("{path}.{kind}"))?,
        kind,
        description: obj
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Applies a schema update to an existing property: rename, description, new options; for a
/// status, the `options` list replaces the options (see [`fix_removed_status`] for the pages).
pub(crate) fn update_schema(
    rng: &mut SplitMix,
    existing: &PropSchema,
    def: &Value,
    path: &str,
) -> ApiResult<PropSchema> {
    let Some(obj) = def.as_object() else {
        return Err(ApiError::body_validation(path, "an object or `null`", def));
    };
    let kind = type_of(obj).unwrap_or_else(|| existing.kind.clone());
    if kind != existing.kind {
        // A type change rebuilds the property under the same id.
        let mut rebuilt = build_schema(rng, &existing.name, def, path)?;
        if rebuilt.kind != "title" {
            rebuilt.id = existing.id.clone();
        }
        return Ok(rebuilt);
    }
    let mut updated = existing.clone();
    if let Some(name) = obj.get("name").and_then(Value::as_str) {
        updated.name = name.to_owned();
    }
    if let Some(d) = obj.get("description") {
        updated.description = d.as_str().map(str::to_owned);
    }
    if let Some(list) = obj
        .get(&kind)
        .and_then(|c| c.get("options"))
        .and_then(Value::as_array)
        && matches!(kind.as_str(), "select" | "multi_select" | "status")
    {
        if kind == "status" {
            // Notion: a status `options` list replaces the options; those left out are removed.
            let kept: Vec<&str> = list
                .iter()
                .filter_map(|o| {
                    let by_id = o.get("id").and_then(Value::as_str);
                    let by_name = o.get("name").and_then(Value::as_str);
                    updated
                        .options()
                        .iter()
                        .find(|e| match by_id {
                            Some(id) => e["id"] == id,
                            None => by_name.is_some_and(|n| e["name"] == n),
                        })
                        .and_then(|e| e["id"].as_str())
                })
                .collect();
            let kept: Vec<String> = kept.into_iter().map(str::to_owned).collect();
            let keep = |v: &Value| v.as_str().is_some_and(|id| kept.iter().any(|k| k == id));
            if let Some(opts) = updated
                .config
                .get_mut("options")
                .and_then(Value::as_array_mut)
            {
                opts.retain(|o| keep(&o["id"]));
            }
            if let Some(groups) = updated
                .config
                .get_mut("groups")
                .and_then(Value::as_array_mut)
            {
                for group in groups {
                    if let Some(ids) = group.get_mut("option_ids").and_then(Value::as_array_mut) {
                        ids.retain(|id| keep(id));
                    }
                }
            }
        }
        for (i, o) in list.iter().enumerate() {
            let by_id = o.get("id").and_then(Value::as_str);
            let by_name = o.get("name").and_then(Value::as_str);
            let known = updated.options().iter().position(|e| {
                by_id.is_some_and(|id| e["id"] == id)
                    || (by_id.is_none() && by_name.is_some_and(|n| e["name"] == n))
            });
            match known {
                Some(pos) => {
                    let opts = updated.config["options"]
                        .as_array_mut()
                        .ok_or_else(|| ApiError::validation("bad options"))?;
                    if let Some(n) = by_name {
                        opts[pos]["name"] = json!(n);
                    }
                    if let Some(c) = o.get("color").and_then(Value::as_str) {
                        opts[pos]["color"] = json!(c);
                    }
                }
                None => {
                    let opt = new_option(rng, o, &format!("{path}.{kind}.options[{i}]"))?;
                    if kind == "status"
                        && let Some(groups) = updated
                            .config
                            .get_mut("groups")
                            .and_then(Value::as_array_mut)
                        && let Some(first) = groups.first_mut()
                    {
                        push_option_id(first, &opt["id"]);
                    }
                    if let Some(opts) = updated
                        .config
                        .get_mut("options")
                        .and_then(Value::as_array_mut)
                    {
                        opts.push(opt);
                    }
                }
            }
        }
    }
    Ok(updated)
}

/// The schema property in response shape.
pub(crate) fn render_schema(p: &PropSchema) -> Value {
    let mut m = Map::new();
    m.insert("id".to_owned(), json!(p.id));
    m.insert("name".to_owned(), json!(p.name));
    m.insert("description".to_owned(), json!(p.description));
    m.insert("type".to_owned(), json!(p.kind));
    m.insert(p.kind.clone(), p.config.clone());
    Value::Object(m)
}

/// Who writes property values, which decides the rules that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// An integration through the API: Notion's per-request limits apply (at most
    /// [`MAX_REFS_PER_REQUEST`] related pages or people per value).
    Api,
    /// A person in the Notion UI: the API's per-request limits do not apply, so relations and
    /// people may grow past 100 (as they can in Notion).
    Person,
    /// Loading a workspace file: as a person, and read-only values and shorthand are allowed.
    File,
}

impl Writer {
    /// The writer behind an actor's edit (`loading` for workspace files).
    pub(crate) fn of(actor: Actor, loading: bool) -> Self {
        match actor {
            _ if loading => Self::File,
            Actor::Bot(_) => Self::Api,
            Actor::Human(_) => Self::Person,
        }
    }
}

/// Notion's per-request limit on related pages and people in one API write.
pub(crate) const MAX_REFS_PER_REQUEST: usize = 100;

/// Context for validating a property write.
pub(crate) struct WriteCtx<'a> {
    pub(crate) rng: &'a mut SplitMix,
    pub(crate) known_users: &'a HashSet<Uuid>,
    /// Who writes: decides the per-request limits and whether read-only values may be set.
    pub(crate) writer: Writer,
    /// New select/multi_select options to add to the schema: (property id, option).
    pub(crate) new_options: Vec<(String, Value)>,
}

fn expected(key: &str, kind: &str) -> ApiError {
    ApiError::validation(format!("{key} is expected to be {kind}."))
}

/// Expands the workspace-file shorthand (`"Name": "Board President"`) into a write value.
fn expand_shorthand(kind: &str, val: &Value) -> Option<Value> {
    let s = val.as_str();
    Some(match (kind, val) {
        ("title" | "rich_text", Value::String(s)) => json!({ kind: [{"text": {"content": s}}] }),
        ("url" | "email" | "phone_number", Value::String(_)) => json!({ kind: val }),
        ("select" | "status", Value::String(_)) => json!({ kind: {"name": s} }),
        ("number", Value::Number(_)) => json!({ "number": val }),
        ("checkbox", Value::Bool(_)) => json!({ "checkbox": val }),
        ("date", Value::String(_)) => json!({ "date": {"start": s} }),
        ("multi_select", Value::Array(a)) if a.iter().all(Value::is_string) => {
            json!({ "multi_select": a.iter().map(|n| json!({"name": n})).collect::<Vec<_>>() })
        }
        _ => return None,
    })
}

/// Validates one property write and returns the stored (read-shape) value.
pub(crate) fn write_value(
    ctx: &mut WriteCtx<'_>,
    schema: &PropSchema,
    key: &str,
    raw: &Value,
    path: &str,
) -> ApiResult<Value> {
    let kind = schema.kind.as_str();
    let expanded;
    let mut val = raw;
    let loading = ctx.writer == Writer::File;
    if loading && let Some(v) = expand_shorthand(kind, raw) {
        expanded = v;
        val = &expanded;
    }
    // Title and rich text may be given as the bare array.
    let wrapped;
    if val.is_array() && matches!(kind, "title" | "rich_text") {
        wrapped = json!({ kind: val });
        val = &wrapped;
    }
    let Some(obj) = val.as_object() else {
        return Err(ApiError::body_validation(path, "an object", val));
    };
    let given_kind = type_of(obj).ok_or_else(|| expected(key, kind))?;
    if given_kind != kind {
        return Err(expected(key, kind));
    }
    if READ_ONLY_TYPES.contains(&kind) && !loading {
        return Err(ApiError::validation(format!(
            "{key} is a {kind} property and cannot be written: its value is computed by Notion."
        )));
    }
    let inner = obj.get(kind).unwrap_or(&Value::Null);
    let ipath = format!("{path}.{kind}");
    match kind {
        "title" | "rich_text" => Ok(Value::Array(richtext::normalize(inner, &ipath)?)),
        "number" => match inner {
            Value::Null | Value::Number(_) => Ok(inner.clone()),
            other => Err(ApiError::body_validation(
                &ipath,
                "a number or `null`",
                other,
            )),
        },
        "checkbox" => match inner {
            Value::Bool(_) => Ok(inner.clone()),
            other => Err(ApiError::body_validation(&ipath, "a boolean", other)),
        },
        "url" | "email" | "phone_number" => write_short_text(kind, inner, &ipath),
        "select" => match inner {
            Value::Null => Ok(Value::Null),
            Value::Object(_) => select_option(ctx, schema, inner, &ipath, true),
            other => Err(ApiError::body_validation(
                &ipath,
                "an object or `null`",
                other,
            )),
        },
        "multi_select" => write_multi_select(ctx, schema, inner, &ipath),
        "status" => match inner {
            Value::Null => Ok(default_status(schema)),
            Value::Object(_) => select_option(ctx, schema, inner, &ipath, false),
            other => Err(ApiError::body_validation(
                &ipath,
                "an object or `null`",
                other,
            )),
        },
        "date" => write_date(inner, &ipath),
        "people" | "relation" => write_references(ctx, kind, inner, &ipath),
        "files" => write_files(inner, &ipath),
        // Loading a workspace: read-only values are stored as given.
        _ => Ok(inner.clone()),
    }
}

/// A url, email or phone number value: a string within its length limit, or null.
fn write_short_text(kind: &str, inner: &Value, ipath: &str) -> ApiResult<Value> {
    match inner {
        Value::Null => Ok(Value::Null),
        Value::String(s) => {
            let limit = if kind == "url" {
                richtext::MAX_URL
            } else {
                200
            };
            let len = s.chars().count();
            if len > limit {
                return Err(ApiError::validation(format!(
                    "body failed validation: {ipath}.length should be ≤ `{limit}`, instead was `{len}`."
                )));
            }
            Ok(inner.clone())
        }
        other => Err(ApiError::body_validation(
            ipath,
            "a string or `null`",
            other,
        )),
    }
}

/// A multi-select value: at most 100 options, each by name or id (new names create options).
fn write_multi_select(
    ctx: &mut WriteCtx<'_>,
    schema: &PropSchema,
    inner: &Value,
    ipath: &str,
) -> ApiResult<Value> {
    let Some(items) = inner.as_array() else {
        return Err(ApiError::body_validation(ipath, "an array", inner));
    };
    if items.len() > 100 {
        return Err(ApiError::validation(format!(
            "body failed validation: {ipath}.length should be ≤ `100`, instead was `{}`.",
            items.len()
        )));
    }
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        out.push(select_option(
            ctx,
            schema,
            it,
            &format!("{ipath}[{i}]"),
            true,
        )?);
    }
    Ok(Value::Array(out))
}

/// A date value: `start` (and an optional `end`) as ISO 8601, a `time_zone` resolved to an offset.
fn write_date(inner: &Value, ipath: &str) -> ApiResult<Value> {
    match inner {
        Value::Null => Ok(Value::Null),
        Value::Object(d) => {
            let start = d.get("start").and_then(Value::as_str).ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: {ipath}.start should be defined, instead was `undefined`."
            ))
        })?;
            if crate::query::parse_date(start).is_none() {
                return Err(ApiError::validation(format!(
                    "body failed validation: {ipath}.start should be a valid ISO 8601 date string, instead was `\"{start}\"`."
                )));
            }
            let end = d.get("end").cloned().unwrap_or(Value::Null);
            if let Some(e) = end.as_str()
                && crate::query::parse_date(e).is_none()
            {
                return Err(ApiError::validation(format!(
                    "body failed validation: {ipath}.end should be a valid ISO 8601 date string, instead was `\"{e}\"`."
                )));
            }
            resolve_time_zone(d, start, end, ipath)
        }
        other => Err(ApiError::body_validation(
            ipath,
            "an object or `null`",
            other,
        )),
    }
}

/// A people or relation value: ids (people must be users of the workspace), at most
/// `MAX_REFS_PER_REQUEST` in one API request.
fn write_references(
    ctx: &mut WriteCtx<'_>,
    kind: &str,
    inner: &Value,
    ipath: &str,
) -> ApiResult<Value> {
    let Some(items) = inner.as_array() else {
        return Err(ApiError::body_validation(ipath, "an array", inner));
    };
    if ctx.writer == Writer::Api && items.len() > MAX_REFS_PER_REQUEST {
        return Err(ApiError::validation(format!(
            "body failed validation: {ipath}.length should be ≤ `{MAX_REFS_PER_REQUEST}`, instead was `{}`.",
            items.len()
        )));
    }
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let id = it
            .get("id")
            .and_then(Value::as_str)
            .and_then(parse_id)
            .ok_or_else(|| {
                ApiError::body_validation(
                    &format!("{ipath}[{i}].id"),
                    "a valid uuid",
                    it.get("id").unwrap_or(&Value::Null),
                )
            })?;
        if kind == "people" {
            if !ctx.known_users.contains(&id) {
                return Err(ApiError::validation(format!(
                    "body failed validation: {ipath}[{i}].id should be a user in this workspace, instead was `\"{}\"`.",
                    fmt_id(id)
                )));
            }
            out.push(json!({"object": "user", "id": fmt_id(id)}));
        } else {
            out.push(json!({"id": fmt_id(id)}));
        }
    }
    Ok(Value::Array(out))
}

/// A files value: external (or already uploaded) files by URL, stored as external files.
fn write_files(inner: &Value, ipath: &str) -> ApiResult<Value> {
    let Some(items) = inner.as_array() else {
        return Err(ApiError::body_validation(ipath, "an array", inner));
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let url = it
            .get("external")
            .and_then(|e| e.get("url"))
            .or_else(|| it.get("file").and_then(|e| e.get("url")))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: {ipath}[{i}].external should be defined, instead was `undefined`."
                ))
            })?;
        let name = it.get("name").and_then(Value::as_str).unwrap_or(url);
        out.push(json!({"name": name, "type": "external", "external": {"url": url}}));
    }
    Ok(Value::Array(out))
}

/// A page's status value after a schema update of that property: unchanged while its option
/// exists (renamed options show their new name), else the default (first To-do option, or null).
pub(crate) fn fix_removed_status(schema: &PropSchema, value: &Value) -> Value {
    let Some(id) = value.get("id") else {
        return value.clone();
    };
    match schema.options().iter().find(|o| o["id"] == *id) {
        Some(o) => option_value(o),
        None => default_status(schema),
    }
}

fn default_status(schema: &PropSchema) -> Value {
    let first_group_option = schema
        .config
        .get("groups")
        .and_then(Value::as_array)
        .and_then(|g| g.first())
        .and_then(|g| g.get("option_ids"))
        .and_then(Value::as_array)
        .and_then(|ids| ids.first())
        .cloned();
    first_group_option
        .and_then(|id| schema.options().iter().find(|o| o["id"] == id).cloned())
        .map_or(Value::Null, |o| option_value(&o))
}

fn option_value(o: &Value) -> Value {
    json!({"id": o["id"], "name": o["name"], "color": o["color"]})
}

fn select_option(
    ctx: &mut WriteCtx<'_>,
    schema: &PropSchema,
    given: &Value,
    path: &str,
    may_create: bool,
) -> ApiResult<Value> {
    let by_id = given.get("id").and_then(Value::as_str);
    let by_name = given.get("name").and_then(Value::as_str);
    if by_id.is_none() && by_name.is_none() {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.name should be defined, instead was `undefined`."
        )));
    }
    let found = schema
        .options()
        .iter()
        .chain(
            ctx.new_options
                .iter()
                .filter(|(p, _)| *p == schema.id)
                .map(|(_, o)| o),
        )
        .find(|o| match (by_id, by_name) {
            (Some(id), _) => o["id"] == id,
            (None, Some(n)) => o["name"] == n,
            (None, None) => false,
        })
        .cloned();
    if let Some(o) = found {
        return Ok(option_value(&o));
    }
    if !may_create || by_name.is_none() {
        let wanted = by_name.or(by_id).unwrap_or_default();
        let names: Vec<String> = schema
            .options()
            .iter()
            .filter_map(|o| o["name"].as_str().map(|n| format!("'{n}'")))
            .collect();
        return Err(ApiError::validation(format!(
            "Invalid {} value for property '{}': '{}'. Value must be one of the following: {}.",
            schema.kind,
            schema.name,
            wanted,
            names.join(", ")
        )));
    }
    let opt = new_option(
        ctx.rng,
        &json!({"name": by_name, "color": given.get("color").cloned().unwrap_or(json!("default"))}),
        path,
    )?;
    ctx.new_options.push((schema.id.clone(), opt.clone()));
    Ok(option_value(&opt))
}

/// A date value with its `time_zone` applied the way Notion answers it: the public API renders the
/// zone as a UTC offset on `start` and `end` and returns `time_zone: null` (Notion changelog, "Time
/// zone support"). With a zone, `start`/`end` must be date-times without an offset.
pub(crate) fn resolve_time_zone(
    d: &serde_json::Map<String, Value>,
    start: &str,
    end: Value,
    path: &str,
) -> ApiResult<Value> {
    let zone = match d.get("time_zone") {
        None | Some(Value::Null) => {
            return Ok(json!({"start": start, "end": end, "time_zone": null}));
        }
        Some(Value::String(z)) => z,
        Some(other) => {
            return Err(ApiError::body_validation(
                &format!("{path}.time_zone"),
                "a string or `null`",
                other,
            ));
        }
    };
    let tz = jiff::tz::TimeZone::get(zone).map_err(|_| {
        ApiError::validation(format!(
            "body failed validation: {path}.time_zone should be an IANA time zone such as `\"Europe/Berlin\"`, instead was `\"{zone}\"`."
        ))
    })?;
    let start = in_zone(start, &tz, &format!("{path}.start"))?;
    let end = match end.as_str() {
        Some(e) => json!(in_zone(e, &tz, &format!("{path}.end"))?),
        None => Value::Null,
    };
    Ok(json!({"start": start, "end": end, "time_zone": null}))
}

fn in_zone(raw: &str, tz: &jiff::tz::TimeZone, path: &str) -> ApiResult<String> {
    let Some((_, time)) = raw.split_once('T') else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} must include a time when time_zone is set, instead was `\"{raw}\"`."
        )));
    };
    if time.ends_with(['Z', 'z']) || time.contains(['+', '-']) {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} must not include a UTC offset when time_zone is set, instead was `\"{raw}\"`."
        )));
    }
    let civil: jiff::civil::DateTime = raw.parse().map_err(|_| {
        ApiError::validation(format!(
            "body failed validation: {path} should be a valid ISO 8601 date string, instead was `\"{raw}\"`."
        ))
    })?;
    let zoned = tz.to_zoned(civil).map_err(|_| {
        ApiError::validation(format!(
            "body failed validation: {path} is not a valid time in its time_zone, instead was `\"{raw}\"`."
        ))
    })?;
    Ok(zoned.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
}
