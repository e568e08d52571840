//! `backfill`: a full reconcile of every linked page now.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use store::LinkedFilter;
use sync_driver::{CycleOptions, CycleProgress, ProgressSink};

use crate::cli::BackfillArgs;
use crate::commands::once::{cycle_exit_code, driver_error, explain_exit, report_json, summary};
use crate::commands::preview::{PlanLinks, plan_table};
use crate::config::sync_setup;
use crate::error::Result;
use crate::output::{print, print_json};

/// `backfill`.
pub(crate) async fn backfill(args: BackfillArgs) -> Result<u8> {
    let setup = sync_setup(&args.common.store, &args.sync).await?;
    if let Some(database) = &args.database {
        return managed_backfill(&setup.driver, database, &args).await;
    }
    let linked = setup
        .driver
        .store()
        .list_linked(&LinkedFilter::default())
        .await?;
    let total = linked.len() as u64;
    let databases: std::collections::BTreeSet<&str> = linked
        .iter()
        .map(|e| e.link.notion_database_id.as_str())
        .collect();
    let queries: u64 = databases
        .iter()
        .map(|db| {
            let n = linked
                .iter()
                .filter(|e| e.link.notion_database_id == *db)
                .count() as u64;
            n.div_ceil(100).max(1)
        })
        .sum();
    tracing::info!(
        elections = total,
        databases = databases.len(),
        "backfill: reading every linked page"
    );

    let started = Timestamp::now();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} backfill [{elapsed_precise}] {bar:30} {pos}/{len} elections planned · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{queries} quer(ies) needed to read them"));
        bar.enable_steady_tick(Duration::from_millis(150));
        bar
    });
    let sink = match &bar {
        Some(bar) => {
            let bar = bar.clone();
            ProgressSink::new(move |p: CycleProgress| {
                bar.set_length(p.elections_total);
                bar.set_position(p.elections_planned);
                bar.set_message(written_and_read(&p));
            })
        }
        None => log_progress(),
    };
    let result = setup
        .driver
        .run_cycle(started, CycleOptions::reconcile().with_progress(sink))
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result.map_err(driver_error)?;
    let elapsed = Timestamp::now().duration_since(started);
    let code = cycle_exit_code(&report);
    let links = PlanLinks::new(&linked);
    if args.json {
        print_json(&report_json(&report, &links, &report.plans)?)?;
    } else {
        let mut text = plan_table(&report.plans, &links);
        text.push_str(&summary(&report, elapsed));
        print(&text).map_err(anyhow::Error::from)?;
    }
    explain_exit(code, &report);
    Ok(code)
}

/// Writes, pages and databases so far, for people.
fn written_and_read(p: &CycleProgress) -> String {
    format!(
        "{}/{} page update(s) written, {} page(s) read, {}/{} database(s) done",
        p.writes_done, p.writes_planned, p.pages_read, p.databases_done, p.databases_total
    )
}

/// Progress as log lines, when stderr is not a terminal: at the start, each time another tenth of
/// the elections is planned, and when a database is done. Driven by the cycle's own progress, so
/// a log shows how far a backfill got however fast or slow Notion is.
fn log_progress() -> ProgressSink {
    let last: Mutex<Option<(u64, u64)>> = Mutex::new(None);
    ProgressSink::new(move |p: CycleProgress| {
        let tenth = (p.elections_planned * 10)
            .checked_div(p.elections_total)
            .unwrap_or(10);
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let step = (tenth, p.databases_done);
        if last.is_some_and(|(t, d)| t >= step.0 && d >= step.1) {
            return;
        }
        *last = Some(step);
        tracing::info!(
            "backfill progress: {}/{} election(s) planned, {}",
            p.elections_planned,
            p.elections_total,
            written_and_read(&p)
        );
    })
}

/// `backfill --database ID`: the replace pass of one managed database. Exit 5 when something
/// failed or the brake halted the sweep (nothing was trashed then), 0 otherwise.
async fn managed_backfill(
    driver: &sync_driver::SyncDriver,
    database: &str,
    args: &BackfillArgs,
) -> Result<u8> {
    let options = sync_driver::ManagedPassOptions {
        full: true,
        preview: args.preview,
        max_deletes: args.max_deletes,
        allow_mass_delete: args.allow_mass_delete,
    };
    let report = driver
        .backfill_managed(database, Timestamp::now(), options)
        .await
        .map_err(driver_error)?;
    let halted = report.halted();
    let failed = !report.errors.is_empty() || halted.is_some();
    if args.json {
        print_json(&report)?;
    } else {
        let mut text = String::new();
        let verb = |done: &str, planned: &str| {
            if args.preview {
                planned.to_owned()
            } else {
                done.to_owned()
            }
        };
        if let Some(plan) = &report.plan {
            for id in &plan.creates {
                text.push_str(&format!("{} page for {id}\n", verb("created", "create")));
            }
            for (id, page) in &plan.links {
                text.push_str(&format!(
                    "{} page {page} for {id} (found by key, linked)\n",
                    verb("updated", "update")
                ));
            }
            for trash in plan.trashes.iter().chain(if args.preview {
                &plan.withheld[..]
            } else {
                &[]
            }) {
                text.push_str(&format!(
                    "{} page {} (key {} names no election)\n",
                    verb("trashed", "trash"),
                    trash.page_id,
                    trash.key
                ));
            }
            for duplicate in &plan.duplicates {
                text.push_str(&format!(
                    "duplicate key {}: kept {}, also on {}\n",
                    duplicate.key,
                    duplicate.kept,
                    duplicate.others.join(", ")
                ));
            }
            text.push_str(&format!(
                "{}: {} managed pages, {} orphans, {} created, {} linked, {} trashed{}\n",
                report.database_id,
                plan.managed_pages,
                plan.orphans.len(),
                report.created.len(),
                report.linked.len(),
                report.trashed.len(),
                if args.preview {
                    " (preview: nothing written)"
                } else {
                    ""
                },
            ));
        }
        if let Some(reason) = &halted {
            text.push_str(&format!("halted: {reason}\n"));
        }
        for error in &report.errors {
            text.push_str(&format!("error: {error}\n"));
        }
        print(&text).map_err(anyhow::Error::from)?;
    }
    Ok(if failed {
        crate::exit_codes::PARTIAL_SYNC
    } else {
        crate::exit_codes::OK
    })
}
