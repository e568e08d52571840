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

/// Renders the page: every workspace, one after the other.
pub(crate) fn render(states: &[State]) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>Notion emulator</title><style>\
         body{font-family:system-ui,sans-serif;margin:2rem;color:#37352f}\
         table{border-collapse:collapse;margin-bottom:2rem}td,th{border:1px solid #e9e9e7;padding:.3rem .6rem;text-align:left;vertical-align:top}\
         th{background:#f7f6f3}.badge{border-radius:4px;padding:0 .4rem;margin-right:.2rem;white-space:nowrap}\
         .muted{color:#9b9a97;font-size:.85em}.trash{opacity:.5;text-decoration:line-through}</style></head><body>",
    );
    for state in states {
        render_workspace(&mut out, state);
    }
    out.push_str("</body></html>");
    out
}

fn render_workspace(out: &mut String, state: &State) {
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
}

const CONSENT_STYLE: &str = "<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:36rem;color:#37352f}\
    fieldset{border:1px solid #e9e9e7;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}\
    label{display:block;margin:.25rem 0}.muted{color:#9b9a97;font-size:.85em}\
    button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem}</style>";

/// The OAuth consent page: choose a workspace, tick what to share, Allow or Cancel. Posts the
/// form back to `/v1/oauth/authorize`; a ticked object outside the chosen workspace is ignored.
pub(crate) fn consent_page(
    app_name: &str,
    client_id: &str,
    redirect_uri: Option<&str>,
    state_param: Option<&str>,
    workspaces: &[&State],
) -> String {
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            html_escape(value)
        )
    };
    let mut out = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Connect {0} to Notion</title>{CONSENT_STYLE}</head><body>\
         <h1>{0} wants to access your Notion workspace</h1>\
         <p class=\"muted\">Notion emulator · choose the workspace, then the pages and databases {0} may see.</p>\
         <form method=\"post\" action=\"/v1/oauth/authorize\" id=\"consent\">",
        html_escape(app_name)
    );
    out.push_str(&hidden("client_id", client_id));
    out.push_str(&hidden("redirect_uri", redirect_uri.unwrap_or_default()));
    out.push_str(&hidden("state", state_param.unwrap_or_default()));
    for (i, ws) in workspaces.iter().enumerate() {
        let ws_id = fmt_id(ws.workspace_id);
        out.push_str(&format!(
            "<fieldset data-workspace=\"{ws_id}\"><legend><label><input type=\"radio\" name=\"workspace_id\" value=\"{ws_id}\"{}> {}</label></legend>",
            if i == 0 { " checked" } else { "" },
            html_escape(&ws.workspace_name)
        ));
        let mut objects: Vec<(u64, String, &str, uuid::Uuid)> = ws
            .pages
            .values()
            .filter(|p| !matches!(p.parent, Parent::DataSource(_)) && !p.in_trash)
            .map(|p| (p.seq, ws.page_title(p), "page", p.id))
            .chain(ws.databases.values().filter(|d| !d.in_trash).map(|d| {
                (
                    d.seq,
                    plain_text(&Value::Array(d.title.clone())),
                    "database",
                    d.id,
                )
            }))
            .collect();
        objects.sort_by_key(|o| o.0);
        for (_, title, kind, id) in objects {
            out.push_str(&format!(
                "<label><input type=\"checkbox\" name=\"share\" value=\"{0}\"> {1} <span class=\"muted\">{kind} {0}</span></label>",
                fmt_id(id),
                html_escape(if title.is_empty() { "Untitled" } else { &title })
            ));
        }
        out.push_str("</fieldset>");
    }
    out.push_str(
        "<button type=\"submit\" name=\"action\" value=\"allow\" id=\"allow\">Allow access</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\">Cancel</button></form></body></html>",
    );
    out
}

/// Why an authorize request cannot go on (unknown client, unregistered redirect URI...): shown
/// instead of redirecting, as Notion does, so a bad redirect URI never receives anything.
pub(crate) fn oauth_error_page(message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Cannot connect to Notion</title>{CONSENT_STYLE}</head><body>\
         <h1>Cannot connect to Notion</h1><p id=\"error\">{}</p></body></html>",
        html_escape(message)
    )
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
