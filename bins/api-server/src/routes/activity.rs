//! `GET /admin/elections/{id}/activity`: one election's activity log, from the run logs the store
//! keeps: every write, pull, failure, skip and manual no-change, newest first, with what triggered
//! it and the values before → after.

use actix_web::{get, web};
use serde::Serialize;
use serde_json::Value;
use store::{ActivityEntry, ListRequest, LogAction};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorResponse};
use crate::extract::{parse_election_id, parse_limit};
use crate::models::{ElectionPath, ListQuery};
use crate::responses::{TooManyFailedLogins, Unauthorized};
use crate::state::AppState;

/// Default and largest page sizes of an activity page.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// One value an entry changed (or, for a failure, meant to change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ActivityChangeJson {
    /// What changed: `status` or `results_link` (written to the Notion page), `title` or
    /// `description` (pulled from Notion into the election).
    #[schema(example = "status")]
    pub(crate) field: String,
    /// The Notion property, for the values written to the page.
    #[schema(example = "Voting Status")]
    pub(crate) property: Option<String>,
    /// The value before (`null`: empty).
    #[schema(example = "Not started")]
    pub(crate) before: Option<String>,
    /// The value after.
    #[schema(example = "In Voting")]
    pub(crate) after: Option<String>,
}

/// One entry of an election's activity.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ActivityEntryJson {
    /// Order within the store (newer entries have larger numbers).
    pub(crate) seq: i64,
    /// When it happened.
    #[serde(serialize_with = "crate::time::serialize")]
    pub(crate) at: jiff::Timestamp,
    /// `wrote` (the Notion page was updated), `pulled` (title or description taken from Notion),
    /// `no_change` (a manual sync found everything matching), `failed` or `skipped`.
    #[schema(example = "wrote")]
    pub(crate) action: String,
    /// Why the run ran: `scheduled` (a sync cycle), `manual` ("Sync with Notion", a link) or
    /// `reconcile` (a full read).
    #[schema(example = "scheduled")]
    pub(crate) trigger: String,
    /// The process that ran it.
    pub(crate) holder: String,
    /// The run, for `GET /admin/sync/runs/{id}`.
    pub(crate) run_id: String,
    /// The Notion page concerned.
    pub(crate) page_id: Option<String>,
    /// The values changed, before → after (empty for a failure before planning, a skip, or a
    /// no-change).
    pub(crate) changes: Vec<ActivityChangeJson>,
    /// Error text (failures) or the reason (skips).
    pub(crate) error: Option<String>,
    /// The entry's full detail as logged (the sync plan, or the error), any JSON.
    pub(crate) detail: Option<Value>,
}

/// A page of an election's activity, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ActivityResponse {
    /// Always `true`.
    pub(crate) success: bool,
    /// The entries, newest first.
    pub(crate) entries: Vec<ActivityEntryJson>,
    /// Pass as `cursor` for older entries; `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// The before → after pairs of a log detail: a sync plan (`page_write`, `election_update`), or an
/// election update on its own. A sync that writes the page and pulls text logs both a `wrote` and a
/// `pulled` entry with the same plan, so each entry shows its own side only: a `pulled` entry the
/// pulled title and description, any other the values written (or meant to be) to the page.
pub(crate) fn changes(action: LogAction, detail: Option<&Value>) -> Vec<ActivityChangeJson> {
    let Some(detail) = detail.filter(|d| d.is_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if action == LogAction::Pulled {
        pulled(detail, &mut out);
        return out;
    }
    let write = &detail["page_write"];
    if let Some(properties) = write["properties"].as_array() {
        for change in properties {
            out.push(ActivityChangeJson {
                field: text(&change["role"]).unwrap_or_default(),
                property: text(&change["property"]),
                before: written_value(&change["from"]),
                after: written_value(&change["to"]),
            });
        }
        return out;
    }
    // Logs written before field mappings: a status and a results link, as plain strings.
    for (key, field) in [("status", "status"), ("results_url", "results_link")] {
        let change = &write[key];
        if change.is_object() {
            out.push(ActivityChangeJson {
                field: field.to_owned(),
                property: text(&change["property"]),
                before: text(&change["from"]),
                after: text(&change["to"]),
            });
        }
    }
    out
}

/// A written value (`{"type", "value"}`) as text: the option, URL or text itself; a date as its
/// start, or `start → end` for a range.
fn written_value(value: &Value) -> Option<String> {
    let inner = &value["value"];
    if let Some(text) = inner.as_str() {
        return Some(text.to_owned());
    }
    let start = inner["start"].as_str()?;
    Some(match inner["end"].as_str() {
        Some(end) => format!("{start} → {end}"),
        None => start.to_owned(),
    })
}

fn pulled(detail: &Value, out: &mut Vec<ActivityChangeJson>) {
    let update = if detail["election_update"].is_object() {
        &detail["election_update"]
    } else {
        detail
    };
    for field in ["title", "description"] {
        let change = &update[field];
        if change.is_object() && change.get("to").is_some() {
            out.push(ActivityChangeJson {
                field: field.to_owned(),
                property: None,
                before: text(&change["from"]),
                after: text(&change["to"]),
            });
        }
    }
}

impl From<&ActivityEntry> for ActivityEntryJson {
    fn from(entry: &ActivityEntry) -> Self {
        let log = &entry.log;
        Self {
            seq: log.seq,
            at: log.entry.at,
            action: log.entry.action.as_str().to_owned(),
            trigger: entry.trigger.as_str().to_owned(),
            holder: entry.holder.clone(),
            run_id: log.run_id.to_string(),
            page_id: log.entry.page_id.clone(),
            changes: changes(log.entry.action, log.entry.detail.as_ref()),
            error: log.entry.error.clone(),
            detail: log.entry.detail.clone(),
        }
    }
}

/// One election's activity, newest first, `limit` at a time: every write to its Notion page,
/// every pull of its title or description, every failure and skip, with the run's trigger and the
/// values before → after. The entries outlive the election: a deleted election's activity stays
/// readable until the runs' retention removes it.
#[utoipa::path(
    tag = "sync",
    params(ElectionPath, ListQuery),
    responses(
        (status = 200, description = "A page of the election's activity", body = ActivityResponse),
        (status = 400, description = "Malformed id, `limit` not an integer from 1 to 200, or a cursor this API did not return; `field` names it", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
        (status = 404, description = "No such election, and no activity logged under that id", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
#[get("/elections/{id}/activity")]
pub(crate) async fn election_activity(
    state: web::Data<AppState>,
    path: web::Path<ElectionPath>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<ActivityResponse>, ApiError> {
    let id = parse_election_id(&path.id)?;
    let query = query.into_inner();
    let page = ListRequest {
        limit: parse_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: query.cursor.filter(|c| !c.trim().is_empty()),
    };
    let first = page.cursor.is_none();
    let store = &state.store;
    let page = store.election_activity(&id, &page).await?;
    // An empty history of an id that names no election is most likely a wrong id: say so (404)
    // rather than answer an empty list. A deleted election with history still answers.
    if first && page.items.is_empty() {
        store.get_election(&id).await?;
    }
    Ok(web::Json(ActivityResponse {
        success: true,
        entries: page.items.iter().map(ActivityEntryJson::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_mapped_plan_lists_every_property_written() {
        let plan = json!({
            "page_write": {
                "page_id": "p",
                "properties": [
                    {"role": "status", "property": "Voting Status", "property_id": "st",
                     "from": {"type": "status", "value": "Not started"},
                     "to": {"type": "status", "value": "In Voting"}},
                    {"role": "voting_window", "property": "Window", "property_id": "w",
                     "from": null,
                     "to": {"type": "date", "value": {"start": "2026-03-01T09:00:00Z", "end": "2026-03-08T09:00:00Z"}}}
                ]
            }
        });
        let got = changes(LogAction::Wrote, Some(&plan));
        let pairs: Vec<_> = got
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("status", Some("Not started"), Some("In Voting")),
                (
                    "voting_window",
                    None,
                    Some("2026-03-01T09:00:00Z → 2026-03-08T09:00:00Z")
                ),
            ]
        );
    }

    #[test]
    fn a_plan_and_a_lone_update_both_give_their_changes() {
        let plan = json!({
            "page_write": {
                "page_id": "p",
                "status": {"property": "Voting Status", "from": "Not started", "to": "In Voting"},
                "results_url": {"property": "Results Link", "from": null, "to": "https://x/e/1/results"}
            },
            "election_update": {"title": {"from": "Old", "to": "New"}, "description": null}
        });
        let got = changes(LogAction::Wrote, Some(&plan));
        let fields: Vec<_> = got.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["status", "results_link"]);
        assert_eq!(got[0].property.as_deref(), Some("Voting Status"));
        assert_eq!(got[1].before, None);
        let got = changes(LogAction::Pulled, Some(&plan));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field, "title");
        assert_eq!(got[0].after.as_deref(), Some("New"));

        let update = json!({"title": null, "description": {"from": "", "to": "Text"}});
        let got = changes(LogAction::Pulled, Some(&update));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field, "description");
        assert_eq!(got[0].before.as_deref(), Some(""));

        // A failure's detail (an error object) and no detail at all change nothing.
        let error = json!({"kind": "notion", "message": "boom"});
        assert!(changes(LogAction::Failed, Some(&error)).is_empty());
        assert!(changes(LogAction::Skipped, None).is_empty());
    }
}
