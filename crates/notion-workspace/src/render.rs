//! Response shapes: pages, databases, data sources, blocks, comments, users and lists as the
//! API answers them, per [`ApiVersion`].

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::model::{Block, Comment, DataSource, Database, Page, Parent, State, plain_text};
use crate::props::render_schema;
use crate::util::{fmt_id, fmt_millis, fmt_millis_offset, fmt_minute};
use crate::version::ApiVersion;

fn user_ref(id: Uuid) -> Value {
    json!({"object": "user", "id": fmt_id(id)})
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// An object's URL in the form Notion's current responses use (`https://app.notion.com/p/`, the
/// title's slug before the id for pages; recorded exchanges, 2026).
pub(crate) fn object_url(title: &str, id: Uuid) -> String {
    let s = slug(title);
    let hex = id.simple().to_string();
    if s.is_empty() {
        format!("https://app.notion.com/p/{hex}")
    } else {
        format!("https://app.notion.com/p/{s}-{hex}")
    }
}

/// The `parent` of a page, data-source aware.
pub(crate) fn page_parent(state: &State, parent: Parent, v: ApiVersion) -> Value {
    match parent {
        Parent::Workspace => json!({"type": "workspace", "workspace": true}),
        Parent::Page(id) => json!({"type": "page_id", "page_id": fmt_id(id)}),
        Parent::Block(id) => json!({"type": "block_id", "block_id": fmt_id(id)}),
        Parent::DataSource(ds) => {
            let db = state
                .data_sources
                .get(&ds)
                .map_or(Uuid::nil(), |d| d.database_id);
            if v.has_data_sources() {
                json!({"type": "data_source_id", "data_source_id": fmt_id(ds), "database_id": fmt_id(db)})
            } else {
                json!({"type": "database_id", "database_id": fmt_id(db)})
            }
        }
    }
}

fn people_value(state: &State, v: &Value) -> Value {
    let Some(items) = v.as_array() else {
        return json!([]);
    };
    Value::Array(
        items
            .iter()
            .map(|u| {
                let id = u.get("id").and_then(Value::as_str).unwrap_or_default();
                match state.people.iter().find(|p| fmt_id(p.id) == id) {
                    Some(p) => json!({"object": "user", "id": id, "name": p.name, "avatar_url": null, "type": "person", "person": {"email": p.email}}),
                    None => json!({"object": "user", "id": id}),
                }
            })
            .collect(),
    )
}

/// One property value in page-response shape.
pub fn property_value(state: &State, page: &Page, id: &str, kind: &str) -> Value {
    let stored = page.props.get(id);
    let value = match kind {
        "created_time" => json!(fmt_minute(page.created_time)),
        "last_edited_time" => json!(fmt_minute(page.last_edited_time)),
        "created_by" => user_ref(page.created_by),
        "last_edited_by" => user_ref(page.last_edited_by),
        "people" => people_value(state, stored.unwrap_or(&Value::Null)),
        _ => match stored {
            Some(v) => v.clone(),
            None => match kind {
                "title" | "rich_text" | "multi_select" | "files" | "relation" => json!([]),
                "checkbox" => json!(false),
                "formula" => json!({"type": "string", "string": null}),
                "rollup" => json!({"type": "number", "number": null, "function": "count"}),
                "unique_id" => json!({"prefix": null, "number": page.seq}),
                "button" => json!({}),
                "verification" => json!({"state": "unverified", "verified_by": null, "date": null}),
                _ => Value::Null,
            },
        },
    };
    let mut m = Map::new();
    m.insert("id".to_owned(), json!(id));
    m.insert("type".to_owned(), json!(kind));
    m.insert(kind.to_owned(), value);
    if kind == "relation" {
        m.insert("has_more".to_owned(), json!(false));
    }
    Value::Object(m)
}

/// How many page or person references a page response carries per property; Notion cuts longer
/// relation and people values there (use the property item endpoint for the rest).
pub const PAGE_RESPONSE_REFS: usize = 25;

/// Cuts a property value to what a page response carries: relations to the first
/// [`PAGE_RESPONSE_REFS`] references with `has_more: true` (as Notion documents), people to the
/// first [`PAGE_RESPONSE_REFS`] people (Notion "can't guarantee" more and documents no flag for them).
fn cut_for_page_response(mut value: Value, kind: &str) -> Value {
    if !matches!(kind, "relation" | "people") {
        return value;
    }
    let cut = value
        .get_mut(kind)
        .and_then(Value::as_array_mut)
        .filter(|items| items.len() > PAGE_RESPONSE_REFS)
        .map(|items| items.truncate(PAGE_RESPONSE_REFS))
        .is_some();
    if cut && kind == "relation" {
        value["has_more"] = json!(true);
    }
    value
}

/// Which properties to include (`filter_properties`), matched by name or id.
pub(crate) type PropFilter<'a> = Option<&'a [String]>;

fn wanted(filter: PropFilter<'_>, name: &str, id: &str) -> bool {
    filter.is_none_or(|keys| {
        // Decoded once per property, borrowed when there is nothing to decode.
        let decoded = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        keys.iter().any(|k| k == name || k == id || *k == *decoded)
    })
}

/// A page object as API responses carry it: long relation and people values are cut to
/// [`PAGE_RESPONSE_REFS`] items.
pub fn page(state: &State, page: &Page, v: ApiVersion, filter: PropFilter<'_>) -> Value {
    page_with(state, page, v, filter, true)
}

/// A page object with whole property values (the control API's view, like the Notion UI's).
pub fn page_whole(state: &State, page: &Page, v: ApiVersion) -> Value {
    page_with(state, page, v, None, false)
}

fn page_with(
    state: &State,
    page: &Page,
    v: ApiVersion,
    filter: PropFilter<'_>,
    api_limits: bool,
) -> Value {
    let render = |id: &str, kind: &str| {
        let value = property_value(state, page, id, kind);
        if api_limits {
            cut_for_page_response(value, kind)
        } else {
            value
        }
    };
    let mut props = Map::new();
    match page.parent {
        Parent::DataSource(ds_id) => {
            if let Some(ds) = state.data_sources.get(&ds_id) {
                for p in &ds.properties {
                    if wanted(filter, &p.name, &p.id) {
                        props.insert(p.name.clone(), render(&p.id, &p.kind));
                    }
                }
            }
        }
        _ => {
            if wanted(filter, "title", "title") {
                props.insert("title".to_owned(), render("title", "title"));
            }
        }
    }
    let trashed = state.page_trashed(page);
    let mut m = Map::new();
    m.insert("object".to_owned(), json!("page"));
    m.insert("id".to_owned(), json!(fmt_id(page.id)));
    m.insert(
        "created_time".to_owned(),
        json!(fmt_minute(page.created_time)),
    );
    m.insert(
        "last_edited_time".to_owned(),
        json!(fmt_minute(page.last_edited_time)),
    );
    m.insert("created_by".to_owned(), user_ref(page.created_by));
    m.insert("last_edited_by".to_owned(), user_ref(page.last_edited_by));
    m.insert("cover".to_owned(), page.cover.clone());
    m.insert("icon".to_owned(), page.icon.clone());
    m.insert("parent".to_owned(), page_parent(state, page.parent, v));
    m.insert("in_trash".to_owned(), json!(trashed));
    m.insert("is_archived".to_owned(), json!(page.is_archived));
    m.insert("is_locked".to_owned(), json!(page.is_locked));
    m.insert("properties".to_owned(), Value::Object(props));
    m.insert(
        "url".to_owned(),
        json!(object_url(&state.page_title(page), page.id)),
    );
    m.insert("public_url".to_owned(), Value::Null);
    if v.with_archived() {
        m.insert("archived".to_owned(), json!(trashed));
    }
    Value::Object(m)
}

fn database_common(state: &State, db: &Database, v: ApiVersion) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("object".to_owned(), json!("database"));
    m.insert("id".to_owned(), json!(fmt_id(db.id)));
    m.insert("title".to_owned(), Value::Array(db.title.clone()));
    m.insert(
        "description".to_owned(),
        Value::Array(db.description.clone()),
    );
    m.insert("parent".to_owned(), page_parent(state, db.parent, v));
    m.insert("is_inline".to_owned(), json!(db.is_inline));
    m.insert("in_trash".to_owned(), json!(db.in_trash));
    m.insert("is_locked".to_owned(), json!(db.is_locked));
    m.insert(
        "created_time".to_owned(),
        json!(fmt_millis_offset(db.created_time)),
    );
    m.insert(
        "last_edited_time".to_owned(),
        json!(fmt_millis_offset(db.last_edited_time)),
    );
    m.insert("icon".to_owned(), db.icon.clone());
    m.insert("cover".to_owned(), db.cover.clone());
    m.insert("url".to_owned(), json!(object_url("", db.id)));
    m.insert("public_url".to_owned(), Value::Null);
    if v.with_archived() {
        m.insert("archived".to_owned(), json!(db.in_trash));
    }
    m
}

/// A database object: a container (2025-09-03+) or a table with `properties` (2022-06-28).
pub fn database(state: &State, db: &Database, v: ApiVersion) -> Value {
    let mut m = database_common(state, db, v);
    if v.has_data_sources() {
        let list: Vec<Value> = db
            .data_sources
            .iter()
            .filter_map(|id| state.data_sources.get(id))
            .filter(|ds| !ds.in_trash)
            .map(|ds| json!({"id": fmt_id(ds.id), "name": plain_text(&Value::Array(ds.title.clone()))}))
            .collect();
        m.insert("data_sources".to_owned(), Value::Array(list));
    } else {
        let ds = db
            .data_sources
            .first()
            .and_then(|id| state.data_sources.get(id));
        let props: Map<String, Value> = ds
            .map(|ds| {
                ds.properties
                    .iter()
                    .map(|p| (p.name.clone(), render_schema(p)))
                    .collect()
            })
            .unwrap_or_default();
        m.insert("properties".to_owned(), Value::Object(props));
        m.insert("created_by".to_owned(), user_ref(db.created_by));
        m.insert("last_edited_by".to_owned(), user_ref(db.created_by));
    }
    Value::Object(m)
}

/// A data source object.
pub fn data_source(state: &State, ds: &DataSource, v: ApiVersion) -> Value {
    let db = state.databases.get(&ds.database_id);
    let mut m = Map::new();
    m.insert("object".to_owned(), json!("data_source"));
    m.insert("id".to_owned(), json!(fmt_id(ds.id)));
    m.insert("cover".to_owned(), Value::Null);
    m.insert("icon".to_owned(), ds.icon.clone());
    m.insert(
        "created_time".to_owned(),
        json!(fmt_minute(ds.created_time)),
    );
    m.insert("created_by".to_owned(), user_ref(ds.created_by));
    m.insert("last_edited_by".to_owned(), user_ref(ds.last_edited_by));
    m.insert(
        "last_edited_time".to_owned(),
        json!(fmt_minute(ds.last_edited_time)),
    );
    m.insert("title".to_owned(), Value::Array(ds.title.clone()));
    m.insert(
        "description".to_owned(),
        Value::Array(ds.description.clone()),
    );
    m.insert(
        "is_inline".to_owned(),
        json!(db.is_some_and(|d| d.is_inline)),
    );
    let props: Map<String, Value> = ds
        .properties
        .iter()
        .map(|p| (p.name.clone(), render_schema(p)))
        .collect();
    m.insert("properties".to_owned(), Value::Object(props));
    m.insert(
        "parent".to_owned(),
        json!({"type": "database_id", "database_id": fmt_id(ds.database_id)}),
    );
    m.insert(
        "database_parent".to_owned(),
        db.map_or(Value::Null, |d| page_parent(state, d.parent, v)),
    );
    m.insert("url".to_owned(), json!(object_url("", ds.database_id)));
    m.insert("public_url".to_owned(), Value::Null);
    let trashed = ds.in_trash || db.is_some_and(|d| d.in_trash);
    m.insert("in_trash".to_owned(), json!(trashed));
    if v.with_archived() {
        m.insert("archived".to_owned(), json!(trashed));
    }
    Value::Object(m)
}

/// The fields every block shares.
struct BlockHead {
    id: Uuid,
    parent: Value,
    created: jiff::Timestamp,
    edited: jiff::Timestamp,
    created_by: Uuid,
    edited_by: Uuid,
    has_children: bool,
    in_trash: bool,
}

fn block_envelope(head: BlockHead, kind: &str, content: Value, v: ApiVersion) -> Value {
    let BlockHead {
        id,
        parent,
        created,
        edited,
        created_by,
        edited_by,
        has_children,
        in_trash,
    } = head;
    let mut m = Map::new();
    m.insert("object".to_owned(), json!("block"));
    m.insert("id".to_owned(), json!(fmt_id(id)));
    m.insert("parent".to_owned(), parent);
    m.insert("created_time".to_owned(), json!(fmt_minute(created)));
    m.insert("last_edited_time".to_owned(), json!(fmt_minute(edited)));
    m.insert("created_by".to_owned(), user_ref(created_by));
    m.insert("last_edited_by".to_owned(), user_ref(edited_by));
    m.insert("has_children".to_owned(), json!(has_children));
    m.insert("in_trash".to_owned(), json!(in_trash));
    m.insert("type".to_owned(), json!(kind));
    m.insert(kind.to_owned(), content);
    if v.with_archived() {
        m.insert("archived".to_owned(), json!(in_trash));
    }
    Value::Object(m)
}

fn block_parent(parent: Parent) -> Value {
    match parent {
        Parent::Page(id) => json!({"type": "page_id", "page_id": fmt_id(id)}),
        Parent::Block(id) => json!({"type": "block_id", "block_id": fmt_id(id)}),
        Parent::DataSource(id) => json!({"type": "data_source_id", "data_source_id": fmt_id(id)}),
        Parent::Workspace => json!({"type": "workspace", "workspace": true}),
    }
}

/// Whether an object has live children.
pub(crate) fn has_children(state: &State, id: Uuid) -> bool {
    state.children.get(&id).is_some_and(|c| {
        c.iter().any(|cid| {
            state.blocks.get(cid).is_some_and(|b| !b.in_trash)
                || state.pages.get(cid).is_some_and(|p| !p.in_trash)
                || state.databases.get(cid).is_some_and(|d| !d.in_trash)
        })
    })
}

/// Any block-addressable object (block, page as `child_page`, database as `child_database`) as a block.
pub fn as_block(state: &State, id: Uuid, v: ApiVersion) -> Option<Value> {
    if let Some(b) = state.blocks.get(&id) {
        return Some(block(state, b, v));
    }
    if let Some(p) = state.pages.get(&id) {
        let parent = match p.parent {
            Parent::DataSource(ds) => page_parent(state, Parent::DataSource(ds), v),
            other => block_parent(other),
        };
        return Some(block_envelope(
            BlockHead {
                id: p.id,
                parent,
                created: p.created_time,
                edited: p.last_edited_time,
                created_by: p.created_by,
                edited_by: p.last_edited_by,
                has_children: has_children(state, p.id),
                in_trash: state.page_trashed(p),
            },
            "child_page",
            json!({"title": state.page_title(p)}),
            v,
        ));
    }
    if let Some(d) = state.databases.get(&id) {
        return Some(block_envelope(
            BlockHead {
                id: d.id,
                parent: block_parent(d.parent),
                created: crate::util::truncate_minute(d.created_time),
                edited: crate::util::truncate_minute(d.last_edited_time),
                created_by: d.created_by,
                edited_by: d.created_by,
                has_children: false,
                in_trash: d.in_trash,
            },
            "child_database",
            json!({"title": plain_text(&Value::Array(d.title.clone()))}),
            v,
        ));
    }
    None
}

/// A content block.
pub(crate) fn block(state: &State, b: &Block, v: ApiVersion) -> Value {
    block_envelope(
        BlockHead {
            id: b.id,
            parent: block_parent(b.parent),
            created: b.created_time,
            edited: b.last_edited_time,
            created_by: b.created_by,
            edited_by: b.last_edited_by,
            has_children: has_children(state, b.id),
            in_trash: b.in_trash,
        },
        &b.kind,
        b.content.clone(),
        v,
    )
}

/// A comment.
pub fn comment(c: &Comment) -> Value {
    let parent = if c.parent_is_page {
        json!({"type": "page_id", "page_id": fmt_id(c.parent)})
    } else {
        json!({"type": "block_id", "block_id": fmt_id(c.parent)})
    };
    json!({
        "object": "comment",
        "id": fmt_id(c.id),
        "parent": parent,
        "discussion_id": fmt_id(c.discussion_id),
        "created_time": fmt_millis(crate::util::truncate_minute(c.created_time)),
        "last_edited_time": fmt_millis(crate::util::truncate_minute(c.created_time)),
        "created_by": user_ref(c.created_by),
        "rich_text": c.rich_text,
        "display_name": {"type": "integration", "resolved_name": c.display_name},
    })
}

/// A bot user (an integration).
pub fn bot_user(state: &State, integration: usize) -> Value {
    let i = &state.integrations[integration];
    json!({
        "object": "user",
        "id": fmt_id(i.id),
        "name": i.name,
        "avatar_url": null,
        "type": "bot",
        "bot": {
            "owner": {"type": "workspace", "workspace": true},
            "workspace_name": state.workspace_name,
            "workspace_id": fmt_id(state.workspace_id),
            "workspace_limits": {"max_file_upload_size_in_bytes": 5_242_880},
        },
    })
}

/// A person.
pub fn person(p: &crate::model::Person) -> Value {
    json!({
        "object": "user",
        "id": fmt_id(p.id),
        "name": p.name,
        "avatar_url": null,
        "type": "person",
        "person": {"email": p.email, "email_verified": true},
    })
}

/// The list envelope: `{object:"list", results, next_cursor, has_more, type, <type>:{}}`.
pub fn list(results: Vec<Value>, next_cursor: Option<String>, kind: &str) -> Value {
    let mut m = Map::new();
    m.insert("object".to_owned(), json!("list"));
    m.insert("results".to_owned(), Value::Array(results));
    m.insert("has_more".to_owned(), json!(next_cursor.is_some()));
    m.insert("next_cursor".to_owned(), json!(next_cursor));
    m.insert("type".to_owned(), json!(kind));
    m.insert(kind.to_owned(), json!({}));
    Value::Object(m)
}
