//! `GET /admin/sync/health/history`: the store's run history of the last hours, shaped for the
//! sync health charts (Notion requests per minute against the budget, sync latency, failures by
//! kind) with the numbers of its summary line.

use std::collections::{BTreeMap, HashSet};

use actix_web::{get, web};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{HISTORY_EVENT_LIMIT, HistoryEvent, LogAction, RunHistory};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorResponse};
use crate::responses::{TooManyFailedLogins, Unauthorized};
use crate::state::AppState;

/// Hours of history when `hours` is omitted.
const DEFAULT_HOURS: u32 = 6;
/// Most hours one request may ask for: the store keeps more, but a chart of more minutes than a
/// screen has pixels says nothing more.
const MAX_HOURS: u32 = 48;
/// The failure kind of a run that failed as a whole (not one election).
const CYCLE_KIND: &str = "cycle";

/// The query of `GET /admin/sync/health/history`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryQuery {
    /// How many hours back, a whole number from 1 to 48 (omitted: 6). Anything else, `hours=`
    /// included, is a 400.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 48, example = 6)]
    hours: Option<String>,
}

/// One minute with at least one run.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthMinute {
    /// The start of the minute.
    #[serde(serialize_with = "crate::time::serialize")]
    minute: Timestamp,
    /// Runs started in it.
    runs: u64,
    /// Notion requests those runs made.
    notion_requests: u64,
    /// Pages written.
    written: u64,
    /// Elections updated from Notion.
    pulled: u64,
    /// Elections whose sync failed.
    failed: u64,
    /// Runs that failed as a whole.
    cycle_errors: u64,
}

/// The failures logged in one minute, by kind.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthFailureMinute {
    /// The start of the minute.
    #[serde(serialize_with = "crate::time::serialize")]
    minute: Timestamp,
    /// All failures of the minute.
    total: u64,
    /// Per kind (`rate_limited`, `server`, `network`, `not_found_or_unshared`, … as the sync
    /// error kinds; `cycle` for a run that failed as a whole; `other` when the log does not say).
    #[schema(example = json!({"rate_limited": 2, "cycle": 1}))]
    by_kind: BTreeMap<String, u64>,
}

/// One latency sample.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthLatencySample {
    /// When the sync acted (the Notion write, or the pull into the app).
    #[serde(serialize_with = "crate::time::serialize")]
    at: Timestamp,
    /// How long after the change it acted, in seconds.
    #[schema(example = 2.1)]
    seconds: f64,
    /// The election.
    election_id: String,
}

/// The latency series. Each holds samples oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthLatency {
    /// Phase change → Notion: the sync loop's first status write after an election opened (or
    /// closed) inside the window, minus its `open_at` (or `close_at`). Manual syncs are left out.
    phase_to_notion: Vec<HealthLatencySample>,
    /// Edit → app: a pull of a title or description edited in Notion inside the window, minus
    /// the page's `last_edited_time` as the sync read it. Notion rounds that time down to the
    /// minute, so a sample can read up to a minute long.
    edit_to_app: Vec<HealthLatencySample>,
}

/// The numbers of the summary line.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthSummary {
    /// `idle` (no run in the window), `healthy`, `failing` (elections or whole runs failed) or
    /// `over_budget` (a minute used more Notion requests than the budget).
    #[schema(example = "healthy")]
    status: &'static str,
    /// Runs in the window.
    runs: u64,
    /// Notion requests in the window.
    notion_requests: u64,
    /// Notion requests of the busiest minute.
    peak_requests_per_minute: u64,
    /// Notion requests per minute over the whole window.
    mean_requests_per_minute: f64,
    /// Failures (elections and whole runs) in the window.
    failures: u64,
    /// Median of `latency.phase_to_notion`, `null` without samples.
    median_phase_to_notion_seconds: Option<f64>,
    /// Median of `latency.edit_to_app`, `null` without samples.
    median_edit_to_app_seconds: Option<f64>,
}

/// The run history of the last hours, ready to chart.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthHistoryResponse {
    /// Always `true`.
    success: bool,
    /// The window, in hours.
    #[schema(example = 6)]
    hours: u32,
    /// Its start: runs started at or after it are counted.
    #[serde(serialize_with = "crate::time::serialize")]
    since: Timestamp,
    /// Its end (now).
    #[serde(serialize_with = "crate::time::serialize")]
    until: Timestamp,
    /// The connection's budget of Notion requests per minute: this server's `NOTION_MAX_RPM`
    /// (default 180), or `NOTION_MAX_RPS` × 60 when that is set instead.
    #[schema(example = 180.0)]
    budget_per_minute: f64,
    /// Per minute with runs, oldest first (minutes without runs are left out: zero).
    minutes: Vec<HealthMinute>,
    /// The failure kinds seen in the window, most frequent first.
    failure_kinds: Vec<String>,
    /// Per minute with failures, oldest first, by the time the failure was logged.
    failures: Vec<HealthFailureMinute>,
    /// Sync latency samples.
    latency: HealthLatency,
    /// The summary line's numbers.
    summary: HealthSummary,
    /// `true` when the window held more than the events read (the newest are kept): the
    /// latency and failure series then start later than `since`.
    truncated: bool,
}

/// Parses `hours`: 1 to [`MAX_HOURS`], omitted [`DEFAULT_HOURS`].
fn parse_hours(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_HOURS);
    };
    match raw.trim().parse::<u32>() {
        Ok(hours) if (1..=MAX_HOURS).contains(&hours) => Ok(hours),
        _ => Err(ApiError::invalid(
            "hours",
            format!(
                "hours must be a whole number of hours from 1 to {MAX_HOURS} (omit it for {DEFAULT_HOURS}), got {raw:?}"
            ),
        )),
    }
}

fn minute_of(at: Timestamp) -> Timestamp {
    let ms = at.as_millisecond();
    Timestamp::from_millisecond(ms - ms.rem_euclid(60_000)).unwrap_or(at)
}

fn seconds(d: SignedDuration) -> f64 {
    (d.as_millis() as f64 / 1000.0).max(0.0)
}

fn instant(value: &Value) -> Option<Timestamp> {
    value.as_str()?.parse().ok()
}

/// Whether a log entry's detail is a sync plan (the driver logs writes and most pulls and
/// failures with their plan; some pulls and failures carry only the update or the error).
fn is_plan(detail: &Value) -> bool {
    detail.get("outcome").is_some() && detail.get("trigger").is_some()
}

/// The failure kind of a `failed` entry: the sync error's kind, from the error itself or from the
/// failed plan's outcome.
fn failure_kind(event: &HistoryEvent) -> String {
    let kind = event.detail.as_ref().and_then(|detail| {
        if is_plan(detail) {
            detail.pointer("/outcome/result/error/kind")
        } else {
            detail.get("kind")
        }
    });
    kind.and_then(Value::as_str).unwrap_or("other").to_owned()
}

/// Whether a plan's page write sets the status (in the log shape of either version).
fn writes_status(detail: &Value) -> bool {
    let write = &detail["page_write"];
    match write["properties"].as_array() {
        Some(properties) => properties.iter().any(|p| p["role"] == "status"),
        None => !write["status"].is_null(),
    }
}

/// A phase-change latency sample: the sync loop's write of the status for the phase the election
/// entered, the first for that election and phase change, with the change inside the window.
fn phase_sample(
    event: &HistoryEvent,
    since: Timestamp,
    seen: &mut HashSet<(String, Timestamp)>,
) -> Option<HealthLatencySample> {
    let detail = event.detail.as_ref().filter(|d| is_plan(d))?;
    // Phase changes are the sync loop's work (a scheduled cycle, or the full reconcile a cycle
    // starts with); a manual sync's write is someone asking, at whatever time.
    if detail.get("trigger")?.as_str()? == "manual" || !writes_status(detail) {
        return None;
    }
    let changed_at = match detail.get("phase")?.as_str()? {
        "open" => event.open_at?,
        "closed" => event.close_at?,
        _ => return None,
    };
    if changed_at < since || changed_at > event.at {
        return None;
    }
    let election_id = event.election_id.as_ref()?.to_string();
    if !seen.insert((election_id.clone(), changed_at)) {
        return None;
    }
    Some(HealthLatencySample {
        at: event.at,
        seconds: seconds(event.at.duration_since(changed_at)),
        election_id,
    })
}

/// An edit latency sample: a plan that pulled fields from Notion, against the `last_edited_time`
/// of the page it read, when that edit falls inside the window: the first read of a page after
/// it was linked pulls edits of long ago, which say nothing about the sync's latency.
fn edit_sample(event: &HistoryEvent, since: Timestamp) -> Option<HealthLatencySample> {
    let detail = event.detail.as_ref().filter(|d| is_plan(d))?;
    if detail.get("election_update").is_none_or(Value::is_null) {
        return None;
    }
    let edited = instant(detail.pointer("/outcome/state/last_observation/last_edited_time")?)?;
    if edited < since {
        return None;
    }
    Some(HealthLatencySample {
        at: event.at,
        seconds: seconds(event.at.duration_since(edited)),
        election_id: event.election_id.as_ref()?.to_string(),
    })
}

fn median(samples: &[HealthLatencySample]) -> Option<f64> {
    let mut values: Vec<f64> = samples.iter().map(|s| s.seconds).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Shapes a run history into the chart series and the summary.
fn shape(
    history: RunHistory,
    hours: u32,
    since: Timestamp,
    until: Timestamp,
    budget_per_minute: f64,
) -> HealthHistoryResponse {
    let limit = HISTORY_EVENT_LIMIT as usize;
    let truncated = history.events.len() >= limit || history.cycle_errors.len() >= limit;
    let mut failures: BTreeMap<Timestamp, BTreeMap<String, u64>> = BTreeMap::new();
    let mut kind_totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut count_failure = |at: Timestamp, kind: String| {
        *kind_totals.entry(kind.clone()).or_default() += 1;
        *failures
            .entry(minute_of(at))
            .or_default()
            .entry(kind)
            .or_default() += 1;
    };
    let mut phase_to_notion = Vec::new();
    let mut edit_to_app = Vec::new();
    let mut seen = HashSet::new();
    for event in &history.events {
        match event.action {
            LogAction::Failed => count_failure(event.at, failure_kind(event)),
            LogAction::Wrote | LogAction::Pulled => {
                if event.action == LogAction::Wrote
                    && let Some(sample) = phase_sample(event, since, &mut seen)
                {
                    phase_to_notion.push(sample);
                }
                if let Some(sample) = edit_sample(event, since) {
                    edit_to_app.push(sample);
                }
            }
            _ => {}
        }
    }
    for error in &history.cycle_errors {
        count_failure(error.at, CYCLE_KIND.to_owned());
    }
    let mut failure_kinds: Vec<(String, u64)> = kind_totals.into_iter().collect();
    failure_kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let failure_total: u64 = failure_kinds.iter().map(|(_, n)| n).sum();

    let runs: u64 = history.minutes.iter().map(|m| m.runs).sum();
    let notion_requests: u64 = history.minutes.iter().map(|m| m.notion_requests).sum();
    let peak = history
        .minutes
        .iter()
        .map(|m| m.notion_requests)
        .max()
        .unwrap_or(0);
    let status = if runs == 0 {
        "idle"
    } else if failure_total > 0 {
        "failing"
    } else if peak as f64 > budget_per_minute {
        "over_budget"
    } else {
        "healthy"
    };
    let summary = HealthSummary {
        status,
        runs,
        notion_requests,
        peak_requests_per_minute: peak,
        mean_requests_per_minute: notion_requests as f64 / (f64::from(hours) * 60.0),
        failures: failure_total,
        median_phase_to_notion_seconds: median(&phase_to_notion),
        median_edit_to_app_seconds: median(&edit_to_app),
    };
    HealthHistoryResponse {
        success: true,
        hours,
        since,
        until,
        budget_per_minute,
        minutes: history
            .minutes
            .iter()
            .map(|m| HealthMinute {
                minute: m.minute,
                runs: m.runs,
                notion_requests: m.notion_requests,
                written: m.written,
                pulled: m.pulled,
                failed: m.failed,
                cycle_errors: m.cycle_errors,
            })
            .collect(),
        failure_kinds: failure_kinds.into_iter().map(|(kind, _)| kind).collect(),
        failures: failures
            .into_iter()
            .map(|(minute, by_kind)| HealthFailureMinute {
                minute,
                total: by_kind.values().sum(),
                by_kind,
            })
            .collect(),
        latency: HealthLatency {
            phase_to_notion,
            edit_to_app,
        },
        summary,
        truncated,
    }
}

/// The sync's run history of the last hours, for the health charts: Notion requests per minute
/// and the budget, failures per minute by kind, latency samples (phase change → Notion write,
/// Notion edit → app) and the summary's numbers.
#[utoipa::path(
    tag = "sync",
    params(HistoryQuery),
    responses(
        (status = 200, description = "The history, ready to chart", body = HealthHistoryResponse),
        (status = 400, description = "`hours` is not a whole number from 1 to 48 (`field`: `hours`)", body = ErrorResponse),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyFailedLogins),
    ),
    security(("bearer" = []))
)]
#[get("/sync/health/history")]
pub(crate) async fn health_history(
    state: web::Data<AppState>,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<HealthHistoryResponse>, ApiError> {
    let hours = parse_hours(query.hours.as_deref())?;
    let until = Timestamp::now();
    let since = until - SignedDuration::from_hours(i64::from(hours));
    let budget_per_minute = state.driver.notion().pacer().budget_per_minute();
    let history = state.store.run_history(since).await?;
    Ok(web::Json(shape(
        history,
        hours,
        since,
        until,
        budget_per_minute,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_one_to_forty_eight() {
        assert_eq!(parse_hours(None).unwrap(), 6);
        assert_eq!(parse_hours(Some("48")).unwrap(), 48);
        assert_eq!(parse_hours(Some("1")).unwrap(), 1);
        for bad in ["", "0", "49", "-1", "2.5", "six"] {
            assert!(parse_hours(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn failures_take_the_error_kind_from_the_error_or_the_failed_plan() {
        let event = |detail: Value| HistoryEvent {
            at: Timestamp::UNIX_EPOCH,
            action: LogAction::Failed,
            election_id: None,
            detail: Some(detail),
            error: None,
            open_at: None,
            close_at: None,
        };
        assert_eq!(
            failure_kind(&event(
                serde_json::json!({"kind": "server", "message": "x"})
            )),
            "server"
        );
        assert_eq!(
            failure_kind(&event(serde_json::json!({
                "trigger": "scheduled",
                "outcome": {"result": {"kind": "failed", "error": {"kind": "page_trashed"}}}
            }))),
            "page_trashed"
        );
        assert_eq!(failure_kind(&event(Value::Null)), "other");
    }
}
