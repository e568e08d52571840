//! Workspace mutations shared by the REST API, the control API, the Rust API and the workspace loader.
//! Every mutation validates everything first and then applies, so a failed request changes nothing, and
//! reports an [`Event`] (the hook point for webhooks).

use std::collections::HashSet;

use jiff::Timestamp;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::model::{Actor, Block, DataSource, Database, Event, Page, Parent, PropSchema, State};
use crate::props::{self, WriteCtx, Writer};
use crate::richtext;
use crate::util::truncate_minute;

/// Block types accepted by append children.
pub(crate) const BLOCK_TYPES: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "code",
    "divider",
    "bookmark",
    "image",
    "video",
    "audio",
    "file",
    "pdf",
    "embed",
    "equation",
    "table_of_contents",
    "breadcrumb",
    "column_list",
    "column",
    "table",
    "table_row",
    "link_to_page",
    "synced_block",
    "transcription",
    "meeting_notes",
];

/// `(property id, value)` pairs.
pub(crate) type PropWrites = Vec<(String, Value)>;

fn ts_string(now: Timestamp) -> String {
    now.to_string()
}

/// Validates a page's property writes against its parent's schema; returns the new values and the
/// select options to create. Nothing is changed.
pub(crate) fn validate_props(
    state: &mut State,
    parent: Parent,
    input: &Value,
    writer: Writer,
) -> ApiResult<(PropWrites, PropWrites)> {
    let Some(obj) = input.as_object() else {
        return Err(ApiError::body_validation(
            "body.properties",
            "an object",
            input,
        ));
    };
    let schema: Vec<PropSchema> = match parent {
        Parent::DataSource(ds) => state
            .data_sources
            .get(&ds)
            .map(|d| d.properties.clone())
            .unwrap_or_default(),
        _ => vec![PropSchema {
            id: "title".to_owned(),
            name: "title".to_owned(),
            kind: "title".to_owned(),
            config: json!({}),
            description: None,
        }],
    };
    let known_users: HashSet<Uuid> = state
        .people
        .iter()
        .map(|p| p.id)
        .chain(state.integrations.iter().map(|i| i.id))
        .collect();
    let mut ctx = WriteCtx {
        rng: &mut state.rng,
        known_users: &known_users,
        writer,
        new_options: Vec::new(),
    };
    let mut out = Vec::new();
    for (key, val) in obj {
        let prop = schema
            .iter()
            .find(|p| p.matches(key))
            .ok_or_else(|| ApiError::validation(format!("{key} is not a property that exists.")))?;
        let path = format!("body.properties.{key}");
        let value = props::write_value(&mut ctx, prop, key, val, &path)?;
        out.push((prop.id.clone(), value));
    }
    Ok((out, ctx.new_options))
}

/// Checks a page's property writes as an API request would make them (under `parent`, whose
/// schema they must match), without applying anything: a handler that changes more than the
/// properties checks them first, so one bad property rejects the whole request.
pub fn check_api_props(state: &mut State, parent: Parent, input: &Value) -> ApiResult<()> {
    validate_props(state, parent, input, Writer::Api).map(|_| ())
}

fn add_options(state: &mut State, parent: Parent, new_options: Vec<(String, Value)>) {
    let Parent::DataSource(ds) = parent else {
        return;
    };
    let Some(ds) = state.data_sources.get_mut(&ds) else {
        return;
    };
    for (prop_id, opt) in new_options {
        if let Some(p) = ds.properties.iter_mut().find(|p| p.id == prop_id)
            && let Some(opts) = p.config.get_mut("options").and_then(Value::as_array_mut)
        {
            opts.push(opt);
        }
    }
}

/// What a new page is made of: a create-page request, a row of a workspace file, or a person's
/// new row.
pub struct NewPage<'a> {
    /// A fixed id (workspace files); `None` draws one from the workspace's seeded generator.
    pub id: Option<Uuid>,
    /// Where the page goes: a data source (a row), a page, or the workspace.
    pub parent: Parent,
    /// Property values in the API's write format (`null` for none).
    pub properties: &'a Value,
    /// The icon object, or `null`.
    pub icon: Value,
    /// The cover object, or `null`.
    pub cover: Value,
    /// Content blocks in the append-children request format.
    pub children: Option<&'a Value>,
    /// A creation time to keep (workspace files); `None` is now.
    pub created_time: Option<Timestamp>,
    /// A last edit time to keep (workspace files); `None` is the creation time.
    pub last_edited_time: Option<Timestamp>,
    /// Created in the trash.
    pub in_trash: bool,
    /// Loading a workspace file: read-only values and the file's shorthand are accepted.
    pub loading: bool,
}

/// Creates a page (validating every property first).
pub fn create_page(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    new: NewPage<'_>,
) -> ApiResult<Uuid> {
    let empty = json!({});
    let input = if new.properties.is_null() {
        &empty
    } else {
        new.properties
    };
    let (values, new_options) =
        validate_props(state, new.parent, input, Writer::of(actor, new.loading))?;
    if let Some(children) = new.children {
        validate_blocks(children, "body.children", 0)?;
    }
    let id = new.id.unwrap_or_else(|| state.new_id());
    if state.pages.contains_key(&id)
        || state.blocks.contains_key(&id)
        || state.databases.contains_key(&id)
    {
        return Err(ApiError::validation(format!(
            "An object with ID {id} already exists."
        )));
    }
    add_options(state, new.parent, new_options);
    let author = state.actor_id(actor);
    let seq = state.next_seq();
    let created = truncate_minute(new.created_time.unwrap_or(now));
    let page = Page {
        id,
        parent: new.parent,
        props: values.into_iter().collect(),
        created_time: created,
        last_edited_time: truncate_minute(new.last_edited_time.unwrap_or(created)),
        created_by: author,
        last_edited_by: author,
        in_trash: new.in_trash,
        is_archived: false,
        is_locked: false,
        icon: new.icon,
        cover: new.cover,
        seq,
    };
    state.pages.insert(id, page);
    match new.parent {
        Parent::DataSource(ds) => {
            if let Some(ds) = state.data_sources.get_mut(&ds) {
                ds.pages.push(id);
            }
        }
        Parent::Page(p) | Parent::Block(p) => {
            state.add_child(p, id, None);
        }
        _ => {}
    }
    if let Some(children) = new.children {
        append_blocks(state, actor, now, id, Parent::Page(id), children, None)?;
        // Initial content is part of the creation, not an edit.
        if let Some(p) = state.pages.get_mut(&id) {
            p.last_edited_time = truncate_minute(new.last_edited_time.unwrap_or(created));
        }
    }
    state.emit(Event::PageCreated {
        page_id: id,
        author,
        timestamp: ts_string(now),
    });
    Ok(id)
}

/// Writes page properties atomically; returns the ids written. A person's edit ([`Actor::Human`])
/// is not held to the API's per-request limits (a relation or people value may pass 100 items).
pub fn update_page_props(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    page_id: Uuid,
    input: &Value,
) -> ApiResult<Vec<String>> {
    let parent = state
        .pages
        .get(&page_id)
        .map(|p| p.parent)
        .ok_or_else(|| ApiError::validation(format!("Page {page_id} does not exist.")))?;
    let (values, new_options) = validate_props(state, parent, input, Writer::of(actor, false))?;
    add_options(state, parent, new_options);
    let author = state.actor_id(actor);
    let ids: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
    if let Some(page) = state.pages.get_mut(&page_id) {
        for (k, v) in values {
            page.props.insert(k, v);
        }
        if !ids.is_empty() {
            page.last_edited_time = truncate_minute(now);
            page.last_edited_by = author;
        }
    }
    if !ids.is_empty() {
        state.emit(Event::PagePropertiesUpdated {
            page_id,
            updated_properties: ids.clone(),
            author,
            timestamp: ts_string(now),
        });
    }
    Ok(ids)
}

/// Moves a page, database, data source or block to the trash or back. Returns false for unknown ids.
pub fn set_trash(state: &mut State, actor: Actor, now: Timestamp, id: Uuid, trash: bool) -> bool {
    let author = state.actor_id(actor);
    if let Some(page) = state.pages.get_mut(&id) {
        let changed = page.in_trash != trash;
        page.in_trash = trash;
        if changed {
            page.last_edited_time = truncate_minute(now);
            page.last_edited_by = author;
            let timestamp = ts_string(now);
            state.emit(if trash {
                Event::PageDeleted {
                    page_id: id,
                    author,
                    timestamp,
                }
            } else {
                Event::PageUndeleted {
                    page_id: id,
                    author,
                    timestamp,
                }
            });
        }
        return true;
    }
    if let Some(db) = state.databases.get_mut(&id) {
        db.in_trash = trash;
        db.last_edited_time = now;
        return true;
    }
    if let Some(ds) = state.data_sources.get_mut(&id) {
        ds.in_trash = trash;
        ds.last_edited_time = now;
        return true;
    }
    if let Some(b) = state.blocks.get_mut(&id) {
        b.in_trash = trash;
        b.last_edited_time = now;
        b.last_edited_by = author;
        return true;
    }
    false
}

fn block_type(obj: &Map<String, Value>) -> Option<String> {
    if let Some(t) = obj.get("type").and_then(Value::as_str) {
        return Some(t.to_owned());
    }
    obj.keys()
        .find(|k| !matches!(k.as_str(), "object" | "type" | "children"))
        .cloned()
}

/// Validates block requests (types, rich text, limits, nesting) without creating anything.
pub fn validate_blocks(children: &Value, path: &str, depth: usize) -> ApiResult<()> {
    let Some(list) = children.as_array() else {
        return Err(ApiError::body_validation(path, "an array", children));
    };
    if list.len() > 100 {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.length should be ≤ `100`, instead was `{}`.",
            list.len()
        )));
    }
    for (i, b) in list.iter().enumerate() {
        normalize_block(b, &format!("{path}[{i}]"), depth).map(|_| ())?;
    }
    Ok(())
}

/// Returns (type, content without children, nested children).
fn normalize_block(
    b: &Value,
    path: &str,
    depth: usize,
) -> ApiResult<(String, Value, Option<Value>)> {
    let Some(obj) = b.as_object() else {
        return Err(ApiError::body_validation(path, "an object", b));
    };
    let kind = block_type(obj).ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: {path}.type should be defined, instead was `undefined`."
        ))
    })?;
    if !BLOCK_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.type should be a supported block type, instead was `\"{kind}\"`."
        )));
    }
    let mut content = obj.get(&kind).cloned().unwrap_or_else(|| json!({}));
    let Some(c) = content.as_object_mut() else {
        return Err(ApiError::body_validation(
            &format!("{path}.{kind}"),
            "an object",
            &content,
        ));
    };
    let nested = c
        .remove("children")
        .or_else(|| obj.get("children").cloned());
    for key in ["rich_text", "caption"] {
        if let Some(rt) = c.get(key) {
            let norm = richtext::normalize(rt, &format!("{path}.{kind}.{key}"))?;
            c.insert(key.to_owned(), Value::Array(norm));
        }
    }
    let texty = matches!(
        kind.as_str(),
        "paragraph"
            | "heading_1"
            | "heading_2"
            | "heading_3"
            | "bulleted_list_item"
            | "numbered_list_item"
            | "to_do"
            | "toggle"
            | "quote"
            | "callout"
    );
    if texty {
        c.entry("rich_text").or_insert_with(|| json!([]));
        c.entry("color").or_insert_with(|| json!("default"));
    }
    if kind == "paragraph" {
        c.entry("icon").or_insert(Value::Null);
    }
    if kind == "to_do" {
        c.entry("checked").or_insert(json!(false));
    }
    if kind == "code" {
        c.entry("rich_text").or_insert_with(|| json!([]));
        c.entry("caption").or_insert_with(|| json!([]));
        c.entry("language").or_insert(json!("plain text"));
    }
    if let Some(n) = &nested {
        if depth >= 2 {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}.{kind}.children nests blocks more than two levels deep in one request."
            )));
        }
        validate_blocks(n, &format!("{path}.{kind}.children"), depth + 1)?;
    }
    Ok((kind, content, nested))
}

/// Creates blocks under `parent_id` (after `after`, or at the end). Validates first.
pub fn append_blocks(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    parent_id: Uuid,
    parent: Parent,
    children: &Value,
    after: Option<Uuid>,
) -> ApiResult<Vec<Uuid>> {
    validate_blocks(children, "body.children", 0)?;
    let author = state.actor_id(actor);
    let mut created = Vec::new();
    let mut anchor = after;
    for b in children.as_array().map(Vec::as_slice).unwrap_or_default() {
        let (kind, content, nested) = normalize_block(b, "body.children", 0)?;
        let id = state.new_id();
        state.blocks.insert(
            id,
            Block {
                id,
                parent,
                kind,
                content,
                in_trash: false,
                created_time: truncate_minute(now),
                last_edited_time: truncate_minute(now),
                created_by: author,
                last_edited_by: author,
            },
        );
        state.add_child(parent_id, id, anchor);
        if anchor.is_some() {
            anchor = Some(id);
        }
        if let Some(n) = nested {
            append_blocks(state, actor, now, id, Parent::Block(id), &n, None)?;
        }
        created.push(id);
    }
    if let Some(p) = state.pages.get_mut(&parent_id) {
        p.last_edited_time = truncate_minute(now);
    }
    Ok(created)
}

/// Updates a block's content (merging keys, validating rich text).
pub fn update_block(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    id: Uuid,
    body: &Map<String, Value>,
) -> ApiResult<()> {
    let author = state.actor_id(actor);
    let Some(block) = state.blocks.get(&id) else {
        return Ok(());
    };
    let kind = block.kind.clone();
    let mut content = block.content.clone();
    if let Some(update) = body.get(&kind) {
        let Some(update) = update.as_object() else {
            return Err(ApiError::body_validation(
                &format!("body.{kind}"),
                "an object",
                update,
            ));
        };
        for (k, v) in update {
            let v = if k == "rich_text" || k == "caption" {
                Value::Array(richtext::normalize(v, &format!("body.{kind}.{k}"))?)
            } else {
                v.clone()
            };
            content[k] = v;
        }
    } else if let Some(other) = body.keys().find(|k| BLOCK_TYPES.contains(&k.as_str())) {
        return Err(ApiError::validation(format!(
            "Block type {other} does not match existing block type {kind}."
        )));
    }
    if let Some(b) = state.blocks.get_mut(&id) {
        b.content = content;
        b.last_edited_time = truncate_minute(now);
        b.last_edited_by = author;
    }
    Ok(())
}

/// Builds a schema from `{name: definition}`; adds a `Name` title property if none is given.
pub fn build_properties(
    state: &mut State,
    defs: Option<&Value>,
    path: &str,
) -> ApiResult<Vec<PropSchema>> {
    let mut out: Vec<PropSchema> = Vec::new();
    if let Some(defs) = defs {
        let Some(obj) = defs.as_object() else {
            return Err(ApiError::body_validation(path, "an object", defs));
        };
        for (name, def) in obj {
            let p = props::build_schema(&mut state.rng, name, def, &format!("{path}.{name}"))?;
            if out.iter().any(|e| e.id == p.id) {
                return Err(ApiError::validation(format!(
                    "body failed validation: {path} should have exactly one title property."
                )));
            }
            out.push(p);
        }
    }
    if !out.iter().any(|p| p.kind == "title") {
        out.insert(
            0,
            PropSchema {
                id: "title".to_owned(),
                name: "Name".to_owned(),
                kind: "title".to_owned(),
                config: json!({}),
                description: None,
            },
        );
    }
    Ok(out)
}

/// What a new database (with its first data source) is made of.
pub struct NewDatabase {
    /// A fixed id (workspace files); `None` draws one.
    pub id: Option<Uuid>,
    /// A fixed id for its first data source; `None` draws one.
    pub data_source_id: Option<Uuid>,
    /// The page it lives on (or the workspace).
    pub parent: Parent,
    /// Title as rich text (the data source gets it too).
    pub title: Vec<Value>,
    /// Description as rich text.
    pub description: Vec<Value>,
    /// An inline database (shown inside its parent page).
    pub is_inline: bool,
    /// The icon object, or `null` (the data source gets it too).
    pub icon: Value,
    /// The cover object, or `null`.
    pub cover: Value,
    /// The data source's schema, as [`build_properties`] makes it.
    pub properties: Vec<PropSchema>,
}

/// Creates a database with one data source.
pub fn create_database(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    new: NewDatabase,
) -> (Uuid, Uuid) {
    let author = state.actor_id(actor);
    let id = new.id.unwrap_or_else(|| state.new_id());
    let ds_id = new.data_source_id.unwrap_or_else(|| state.new_id());
    let seq = state.next_seq();
    state.databases.insert(
        id,
        Database {
            id,
            parent: new.parent,
            title: new.title.clone(),
            description: new.description,
            data_sources: vec![ds_id],
            is_inline: new.is_inline,
            in_trash: false,
            is_locked: false,
            created_time: now,
            last_edited_time: now,
            created_by: author,
            icon: new.icon.clone(),
            cover: new.cover,
            seq,
        },
    );
    state.data_sources.insert(
        ds_id,
        DataSource {
            id: ds_id,
            database_id: id,
            title: new.title,
            description: Vec::new(),
            properties: new.properties,
            created_time: truncate_minute(now),
            last_edited_time: truncate_minute(now),
            created_by: author,
            last_edited_by: author,
            in_trash: false,
            icon: new.icon,
            pages: Vec::new(),
            seq,
        },
    );
    if let Some(p) = new.parent.id() {
        state.add_child(p, id, None);
    }
    (id, ds_id)
}

/// Adds a data source to a database.
pub fn create_data_source(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    database_id: Uuid,
    title: Vec<Value>,
    properties: Vec<PropSchema>,
    icon: Value,
) -> Uuid {
    let author = state.actor_id(actor);
    let id = state.new_id();
    let seq = state.next_seq();
    state.data_sources.insert(
        id,
        DataSource {
            id,
            database_id,
            title,
            description: Vec::new(),
            properties,
            created_time: truncate_minute(now),
            last_edited_time: truncate_minute(now),
            created_by: author,
            last_edited_by: author,
            in_trash: false,
            icon,
            pages: Vec::new(),
            seq,
        },
    );
    if let Some(db) = state.databases.get_mut(&database_id) {
        db.data_sources.push(id);
    }
    id
}

/// Applies a schema/title/trash update to a data source, atomically.
pub fn update_data_source(
    state: &mut State,
    actor: Actor,
    now: Timestamp,
    id: Uuid,
    body: &Map<String, Value>,
) -> ApiResult<()> {
    let author = state.actor_id(actor);
    let Some(mut ds) = state.data_sources.get(&id).cloned() else {
        return Ok(());
    };
    let mut schema_changed = false;
    if let Some(title) = body.get("title") {
        ds.title = richtext::normalize(title, "body.title")?;
    }
    if let Some(d) = body.get("description") {
        ds.description = richtext::normalize(d, "body.description")?;
    }
    if let Some(icon) = body.get("icon") {
        ds.icon = icon.clone();
    }
    if let Some(defs) = body.get("properties") {
        let Some(defs) = defs.as_object() else {
            return Err(ApiError::body_validation(
                "body.properties",
                "an object",
                defs,
            ));
        };
        for (key, def) in defs {
            let path = format!("body.properties.{key}");
            let pos = ds.properties.iter().position(|p| p.matches(key));
            match (pos, def) {
                (Some(i), Value::Null) => {
                    if ds.properties[i].kind == "title" {
                        return Err(ApiError::validation("Cannot delete the title property."));
                    }
                    ds.properties.remove(i);
                }
                (None, Value::Null) => {
                    return Err(ApiError::validation(format!(
                        "{key} is not a property that exists."
                    )));
                }
                (Some(i), def) => {
                    let updated =
                        props::update_schema(&mut state.rng, &ds.properties[i], def, &path)?;
                    ds.properties[i] = updated;
                }
                (None, def) => {
                    let p = props::build_schema(&mut state.rng, key, def, &path)?;
                    if p.kind == "title" {
                        return Err(ApiError::validation(
                            "A data source has exactly one title property.",
                        ));
                    }
                    ds.properties.push(p);
                }
            }
            schema_changed = true;
        }
        let names: HashSet<&str> = ds.properties.iter().map(|p| p.name.as_str()).collect();
        if names.len() != ds.properties.len() {
            return Err(ApiError::validation("Property names must be unique."));
        }
    }
    if let Some(t) = body
        .get("in_trash")
        .or_else(|| body.get("archived"))
        .and_then(Value::as_bool)
    {
        ds.in_trash = t;
    }
    ds.last_edited_time = truncate_minute(now);
    ds.last_edited_by = author;
    if schema_changed {
        // Rows follow their status options: renamed ones show the new name, rows whose option
        // was removed fall back to the default (first To-do option, or none). Not an edit of
        // the rows, so their last_edited_time stays.
        for schema in ds.properties.iter().filter(|p| p.kind == "status") {
            for page_id in &ds.pages {
                if let Some(page) = state.pages.get_mut(page_id)
                    && let Some(value) = page.props.get_mut(&schema.id)
                {
                    *value = props::fix_removed_status(schema, value);
                }
            }
        }
    }
    state.data_sources.insert(id, ds);
    if schema_changed {
        state.emit(Event::DataSourceSchemaUpdated {
            data_source_id: id,
            author,
            timestamp: ts_string(now),
        });
    }
    Ok(())
}
