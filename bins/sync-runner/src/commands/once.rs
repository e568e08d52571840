//! `once`: one cycle now, or a preview of it.

use jiff::Timestamp;
use serde::Serialize;
use store::LinkedFilter;
use sync_driver::{CycleOptions, CycleReport, DriverError};
use sync_engine::{SyncErrorKind, SyncPlan, Trigger, Verdict};

use crate::cli::OnceArgs;
use crate::commands::election_id;
use crate::commands::preview::{PlanLinks, plan_table};
use crate::config::sync_setup;
use crate::error::{Result, RunnerError};
use crate::exit_codes;
use crate::output::{duration, print, print_json};

/// Maps a driver failure to what the operator can do about it.
pub(crate) fn driver_error(error: DriverError) -> RunnerError {
    match error {
        DriverError::LeaseHeld { holder } => RunnerError::LeaseHeld { holder },
        DriverError::Notion(e)
            if matches!(
                e.kind(),
                notion_client::ErrorKind::Unauthorized | notion_client::ErrorKind::Restricted
            ) =>
        {
            RunnerError::NotionAuth(e.to_string())
        }
        DriverError::NotFound { what, id } => {
            RunnerError::Usage(format!("{what} '{id}' not found"))
        }
        DriverError::NotLinked(id) => RunnerError::Usage(format!(
            "election '{id}' is not linked to a Notion page: link it in the admin page or API first"
        )),
        other => RunnerError::Unexpected(anyhow::Error::new(other)),
    }
}

fn failed_kind(plan: &SyncPlan) -> Option<SyncErrorKind> {
    match &plan.outcome.verdict {
        Verdict::Failed { error, .. } => Some(error.kind),
        _ => None,
    }
}

/// The exit code of a finished cycle: auth failures first, then any failure.
pub(crate) fn cycle_exit_code(report: &CycleReport) -> u8 {
    if report
        .plans
        .iter()
        .any(|p| failed_kind(p) == Some(SyncErrorKind::Unauthorized))
    {
        exit_codes::NOTION_AUTH_FAILED
    } else if !report.preview && (report.counts.failed > 0 || report.error.is_some()) {
        exit_codes::PARTIAL_SYNC
    } else {
        exit_codes::OK
    }
}

/// Says on stderr why a cycle ends with a failure exit code (the table on stdout has the details).
/// A cycle that Notion's rate limit stopped early says until when, since running again before
/// then only sends requests Notion refuses.
pub(crate) fn explain_exit(code: u8, report: &CycleReport) {
    match code {
        exit_codes::PARTIAL_SYNC if report.rate_limited_until.is_some() => eprintln!(
            "error: Notion rate-limits this integration until {}: the cycle stopped early, the elections left are synced by a run after that instant (`sync-runner run` waits for it on its own)",
            report.rate_limited_until.unwrap_or_default()
        ),
        exit_codes::NOTION_AUTH_FAILED => eprintln!(
            "error: Notion refused the integration token (401/403): check NOTION_API_KEY and that the integration still exists and is shared with the databases"
        ),
        exit_codes::PARTIAL_SYNC => eprintln!(
            "error: some elections failed to sync; `sync-runner status` shows each one's last error"
        ),
        _ => {}
    }
}

/// A one-line summary of a cycle.
pub(crate) fn summary(report: &CycleReport, elapsed: jiff::SignedDuration) -> String {
    let c = report.counts;
    let what = match report.run_id {
        Some(id) => format!("Run {id} ({})", report.trigger),
        None => format!("Preview ({}), nothing written", report.trigger),
    };
    let mut text = format!(
        "{what}: read {} page(s), planned {}, wrote {}, pulled {}, failed {}; {} Notion request(s) in {}\n",
        c.read,
        c.planned,
        c.written,
        c.pulled,
        c.failed,
        c.notion_requests,
        duration(elapsed)
    );
    for (election, why) in &report.skipped {
        text.push_str(&format!("Skipped {election}: {why}\n"));
    }
    if let Some(error) = &report.error {
        text.push_str(&format!("Error: {error}\n"));
    }
    text
}

#[derive(Serialize)]
struct OnceJson<'a> {
    #[serde(flatten)]
    report: &'a CycleReport,
    exit_code: u8,
}

/// A cycle report as JSON with, in each plan, the link it is for (`link_id`, `primary`; `null`
/// for a link removed since): the planner's plans name their election and page only.
pub(crate) fn report_json(
    report: &impl Serialize,
    links: &PlanLinks,
    plans: &[SyncPlan],
) -> Result<serde_json::Value> {
    let mut json = serde_json::to_value(report).map_err(anyhow::Error::from)?;
    if let Some(rows) = json
        .get_mut("plans")
        .and_then(serde_json::Value::as_array_mut)
    {
        for (row, plan) in rows.iter_mut().zip(plans) {
            if let Some(row) = row.as_object_mut() {
                let link = links.of(plan);
                row.insert(
                    "link_id".to_owned(),
                    link.map(|(id, _)| id.to_string()).into(),
                );
                row.insert("primary".to_owned(), link.map(|(_, p)| p).into());
            }
        }
    }
    Ok(json)
}

/// Which link each plan of a finished cycle is for, from the store's links now (paused ones
/// included: `--election` plans a paused election too).
pub(crate) async fn plan_links(store: &store::SharedStore) -> Result<PlanLinks> {
    let filter = LinkedFilter {
        include_paused: true,
        ..LinkedFilter::default()
    };
    Ok(PlanLinks::new(&store.list_linked(&filter).await?))
}

/// `once`.
pub(crate) async fn once(args: OnceArgs) -> Result<u8> {
    let setup = sync_setup(&args.common.store, &args.sync).await?;
    let mut options = CycleOptions::scheduled();
    if args.force || args.election.is_some() {
        options.trigger = Trigger::Manual;
    }
    if let Some(text) = &args.election {
        let id = election_id(text)?;
        let record = setup.driver.store().get_election(&id).await?;
        if record.link().is_none() {
            return Err(RunnerError::Usage(format!(
                "election '{id}' is not linked to a Notion page: link it in the admin page or API first"
            )));
        }
        options = options.only(id);
    }
    if args.preview {
        options = options.preview();
    }
    let started = Timestamp::now();
    let report = setup
        .driver
        .run_cycle(started, options)
        .await
        .map_err(driver_error)?;
    let elapsed = Timestamp::now().duration_since(started);
    let code = cycle_exit_code(&report);
    let links = plan_links(setup.driver.store()).await?;
    if args.json {
        print_json(&report_json(
            &OnceJson {
                report: &report,
                exit_code: code,
            },
            &links,
            &report.plans,
        )?)?;
    } else {
        let mut text = plan_table(&report.plans, &links);
        text.push_str(&summary(&report, elapsed));
        print(&text).map_err(anyhow::Error::from)?;
    }
    explain_exit(code, &report);
    tracing::info!(
        preview = report.preview,
        written = report.counts.written,
        failed = report.counts.failed,
        requests = setup.notion.stats().requests,
        "cycle done"
    );
    Ok(code)
}
