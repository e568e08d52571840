//! A read-only HTML view of the workspace: each data source as a table, status shown in its colour.

use notion_workspace::model::{Parent, State, plain_text};
use notion_workspace::render::property_value;
use notion_workspace::util::{fmt_id, fmt_minute};
use serde_json::Value;

fn color(name: &str) -> &'static str {
    match name {
        "gray" => "#e3e2e0",
        "brown" => "#eee0da",
        "orange" => "#fadec9",
        "yellow" => "#fdecc8",
        "green" => "#dbeddb",
        "blue" => "#d3e5ef",
        "purple" => "#e8deee",
        "pink" => "#f5e0e9",
        "red" => "#ffe2dd",
        _ => "#f1f1ef",
    }
}

fn badge(v: &Value) -> String {
    let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
    let c = v.get("color").and_then(Value::as_str).unwrap_or("default");
    format!(
        "<span class=\"badge\" style=\"background:{}\">{}</span>",
        color(c),
        html_escape(name)
    )
}

fn cell(kind: &str, v: &Value) -> String {
    match kind {
        "title" | "rich_text" => html_escape(&plain_text(v)),
        "status" | "select" if v.is_object() => badge(v),
        "multi_select" => v
            .as_array()
            .map(|a| a.iter().map(badge).collect::<String>())
            .unwrap_or_default(),
        "url" => v
            .as_str()
            .map(|u| format!("<a href=\"{0}\">{0}</a>", html_escape(u)))
            .unwrap_or_default(),
        "checkbox" => {
            if v.as_bool() == Some(true) {
                "☑".to_owned()
            } else {
                "☐".to_owned()
            }
        }
        "date" => v
            .get("start")
            .and_then(Value::as_str)
            .map(html_escape)
            .unwrap_or_default(),
        _ => match v {
            Value::Null => String::new(),
            Value::String(s) => html_escape(s),
            Value::Array(a) if a.is_empty() => String::new(),
            other => html_escape(&other.to_string()),
        },
    }
}

/// Renders the page.
pub(crate) fn render(state: &State) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>Notion emulator</title><style>\
         body{font-family:system-ui,sans-serif;margin:2rem;color:#37352f}\
         table{border-collapse:collapse;margin-bottom:2rem}td,th{border:1px solid #e9e9e7;padding:.3rem .6rem;text-align:left;vertical-align:top}\
         th{background:#f7f6f3}.badge{border-radius:4px;padding:0 .4rem;margin-right:.2rem;white-space:nowrap}\
         .muted{color:#9b9a97;font-size:.85em}.trash{opacity:.5;text-decoration:line-through}</style></head><body>",
    );
    out.push_str(&format!(
        "<h1>{}</h1><p class=\"muted\">Notion emulator · workspace {} · read-only view, refreshed every 10 s</p>",
        html_escape(&state.workspace_name),
        fmt_id(state.workspace_id)
    ));
    out.push_str("<h2>Integrations</h2><ul>");
    for i in &state.integrations {
        let shared: Vec<String> = i.shared.iter().map(|id| fmt_id(*id)).collect();
        out.push_str(&format!(
            "<li>{} <span class=\"muted\">{}{}</span></li>",
            html_escape(&i.name),
            if i.all_access {
                "all access"
            } else {
                "shared: "
            },
            html_escape(&shared.join(", "))
        ));
    }
    out.push_str("</ul>");
    let mut dbs: Vec<_> = state.databases.values().collect();
    dbs.sort_by_key(|d| d.seq);
    for db in dbs {
        let sharers: Vec<&str> = (0..state.integrations.len())
            .filter(|i| !state.integrations[*i].all_access && state.can_see(*i, db.id))
            .map(|i| state.integrations[i].name.as_str())
            .collect();
        out.push_str(&format!(
            "<h2 class=\"{}\">{}</h2><p class=\"muted\">database {} · shared with: {}</p>",
            if db.in_trash { "trash" } else { "" },
            html_escape(&plain_text(&Value::Array(db.title.clone()))),
            fmt_id(db.id),
            html_escape(&if sharers.is_empty() {
                "nobody".to_owned()
            } else {
                sharers.join(", ")
            })
        ));
        for ds_id in &db.data_sources {
            let Some(ds) = state.data_sources.get(ds_id) else {
                continue;
            };
            out.push_str(&format!(
                "<p class=\"muted\">data source {}</p><table><tr>",
                fmt_id(ds.id)
            ));
            // Title first, as Notion shows a table; the rest in schema order.
            let columns: Vec<_> = ds
                .properties
                .iter()
                .filter(|p| p.kind == "title")
                .chain(ds.properties.iter().filter(|p| p.kind != "title"))
                .collect();
            for p in &columns {
                out.push_str(&format!(
                    "<th>{} <span class=\"muted\">{}</span></th>",
                    html_escape(&p.name),
                    html_escape(&p.kind)
                ));
            }
            out.push_str("<th>last edited</th><th>id</th></tr>");
            for pid in &ds.pages {
                let Some(page) = state.pages.get(pid) else {
                    continue;
                };
                let trashed = state.page_trashed(page);
                out.push_str(&format!(
                    "<tr class=\"{}\">",
                    if trashed { "trash" } else { "" }
                ));
                for p in &columns {
                    let v = property_value(state, page, &p.id, &p.kind);
                    out.push_str(&format!(
                        "<td>{}</td>",
                        cell(&p.kind, v.get(&p.kind).unwrap_or(&Value::Null))
                    ));
                }
                out.push_str(&format!(
                    "<td class=\"muted\">{}</td><td class=\"muted\">{}</td></tr>",
                    fmt_minute(page.last_edited_time),
                    fmt_id(page.id)
                ));
            }
            out.push_str("</table>");
        }
    }
    let standalone: Vec<_> = {
        let mut v: Vec<_> = state
            .pages
            .values()
            .filter(|p| !matches!(p.parent, Parent::DataSource(_)))
            .collect();
        v.sort_by_key(|p| p.seq);
        v
    };
    out.push_str("<h2>Pages</h2><ul>");
    for p in standalone {
        out.push_str(&format!(
            "<li class=\"{}\">{} <span class=\"muted\">{}</span></li>",
            if p.in_trash { "trash" } else { "" },
            html_escape(&state.page_title(p)),
            fmt_id(p.id)
        ));
    }
    out.push_str("</ul>");
    out.push_str("</body></html>");
    out
}

/// Escapes text for HTML.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
