//! Finishing touches applied to every `/v1` response body, where the answer depends on who asks
//! and with which version rather than on what was stored: mention text and links (a mention of a
//! page shows its title only to an integration that can see the page), and block type names that
//! changed between versions.

use serde_json::{Map, Value, json};

use crate::model::{State, plain_text};
use crate::render;
use crate::util::{fmt_id, parse_id};
use crate::version::ApiVersion;

/// What Notion shows for a mention of something the reader cannot see or that has no title.
const UNTITLED: &str = "Untitled";

/// Rewrites a response body in place for the integration and version that asked.
pub fn finish(state: &State, integration: usize, v: ApiVersion, body: &mut Value) {
    walk(state, integration, v, body, 0);
}

fn walk(state: &State, integration: usize, v: ApiVersion, value: &mut Value, depth: usize) {
    // Responses are a handful of levels deep; the bound only guards against pathological input.
    if depth > 64 {
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                walk(state, integration, v, item, depth + 1);
            }
        }
        Value::Object(obj) => {
            if obj.get("type").and_then(Value::as_str) == Some("mention") {
                resolve_mention(state, integration, obj);
            }
            if obj.get("object").and_then(Value::as_str) == Some("block") {
                fill_block_defaults(obj);
                rename_block_type(v, obj);
            }
            if obj.get("object").and_then(Value::as_str) == Some("user")
                && obj.get("name") == Some(&Value::Null)
                && !v.null_person_names()
            {
                obj.insert("name".to_owned(), json!(""));
            }
            for key in ["icon", "cover"] {
                if let Some(file) = obj.get_mut(key) {
                    name_file_type(file);
                }
            }
            for (_, child) in obj.iter_mut() {
                walk(state, integration, v, child, depth + 1);
            }
        }
        _ => {}
    }
}

/// `plain_text` and `href` of a page, database, user or date mention, as Notion renders them.
fn resolve_mention(state: &State, integration: usize, item: &mut Map<String, Value>) {
    let Some(mention) = item.get_mut("mention").and_then(Value::as_object_mut) else {
        return;
    };
    let kind = mention
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let target = mention
        .get(&kind)
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .and_then(parse_id);
    let (plain, href) = match kind.as_str() {
        "page" => {
            let Some(id) = target else { return };
            let visible = state.can_see(integration, id);
            let title = state
                .pages
                .get(&id)
                .filter(|_| visible)
                .map(|p| state.page_title(p))
                .unwrap_or_default();
            (non_empty(title), json!(render::object_url("", id)))
        }
        "database" => {
            let Some(id) = target else { return };
            let visible = state.can_see(integration, id);
            let title = state
                .databases
                .get(&id)
                .filter(|_| visible)
                .map(|d| plain_text(&Value::Array(d.title.clone())))
                .unwrap_or_default();
            (non_empty(title), json!(render::object_url("", id)))
        }
        "user" => {
            let Some(id) = target else { return };
            let person = state.people.iter().find(|p| p.id == id);
            let bot = state.integrations.iter().position(|i| i.id == id);
            let (user, name) = match (person, bot) {
                (Some(p), _) => (render::person(p), p.name.clone()),
                (None, Some(i)) => (
                    render::bot_user(state, i),
                    Some(state.integrations[i].name.clone()),
                ),
                (None, None) => (json!({"object": "user", "id": fmt_id(id)}), None),
            };
            mention.insert("user".to_owned(), user);
            // Notion prefixes the name with "@"; a user it cannot name shows as "@Anonymous".
            let shown = format!("@{}", name.unwrap_or_else(|| "Anonymous".to_owned()));
            (shown, Value::Null)
        }
        "date" => {
            let Some(date) = mention.get("date") else {
                return;
            };
            let start = date
                .get("start")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let shown = match date.get("end").and_then(Value::as_str) {
                Some(end) => format!("{start} → {end}"),
                None => start.to_owned(),
            };
            (shown, Value::Null)
        }
        _ => return,
    };
    item.insert("plain_text".to_owned(), Value::String(plain));
    item.insert("href".to_owned(), href);
}

fn non_empty(title: String) -> String {
    if title.is_empty() {
        UNTITLED.to_owned()
    } else {
        title
    }
}

/// Names the `type` of a file or icon object given only by its key (`{"emoji": "🗳"}` →
/// `{"type": "emoji", "emoji": "🗳"}`), as Notion answers it whatever the sender left out.
fn name_file_type(file: &mut Value) {
    let Some(obj) = file.as_object_mut() else {
        return;
    };
    if obj.contains_key("type") {
        return;
    }
    let kinds = [
        "emoji",
        "external",
        "file",
        "file_upload",
        "custom_emoji",
        "icon",
    ];
    if let Some(kind) = kinds.iter().find(|k| obj.contains_key(**k)) {
        obj.insert("type".to_owned(), json!(kind));
    }
}

/// Block types whose content is a file object with a caption.
const MEDIA_BLOCKS: &[&str] = &["image", "video", "file", "pdf", "audio"];

/// Fills a block's content with the defaults Notion returns for keys the sender left out.
fn fill_block_defaults(block: &mut Map<String, Value>) {
    let Some(kind) = block.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return;
    };
    let Some(content) = block.get_mut(&kind).and_then(Value::as_object_mut) else {
        return;
    };
    let mut default = |key: &str, value: Value| {
        content.entry(key.to_owned()).or_insert(value);
    };
    match kind.as_str() {
        "heading_1" | "heading_2" | "heading_3" => {
            default("rich_text", json!([]));
            default("is_toggleable", json!(false));
            default("color", json!("default"));
        }
        "paragraph" | "bulleted_list_item" | "numbered_list_item" | "toggle" | "quote" => {
            default("rich_text", json!([]));
            default("color", json!("default"));
        }
        "to_do" => {
            default("rich_text", json!([]));
            default("checked", json!(false));
            default("color", json!("default"));
        }
        "callout" => {
            default("rich_text", json!([]));
            default("icon", Value::Null);
            default("color", json!("default"));
        }
        "table_of_contents" => default("color", json!("default")),
        "bookmark" | "embed" => default("caption", json!([])),
        k if MEDIA_BLOCKS.contains(&k) => default("caption", json!([])),
        _ => {}
    }
    if MEDIA_BLOCKS.contains(&kind.as_str()) {
        let mut file = Value::Object(std::mem::take(content));
        name_file_type(&mut file);
        if let Value::Object(filled) = file {
            *content = filled;
        }
    }
}

/// The AI meeting-notes block is `transcription` before 2026-03-11 and `meeting_notes` from it on;
/// the emulator stores either name and answers the one the caller's version uses.
fn rename_block_type(v: ApiVersion, block: &mut Map<String, Value>) {
    let Some(kind) = block.get("type").and_then(Value::as_str) else {
        return;
    };
    let (from, to) = match (kind, v.uses_in_trash_and_position()) {
        ("transcription", true) => ("transcription", "meeting_notes"),
        ("meeting_notes", false) => ("meeting_notes", "transcription"),
        _ => return,
    };
    if let Some(content) = block.remove(from) {
        block.insert(to.to_owned(), content);
    }
    block.insert("type".to_owned(), Value::String(to.to_owned()));
}
