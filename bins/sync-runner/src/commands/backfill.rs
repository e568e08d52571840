//! `backfill`: a full reconcile of every linked page now.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use store::LinkedFilter;
use sync_driver::CycleOptions;

use crate::cli::BackfillArgs;
use crate::commands::blocking;
use crate::commands::once::{cycle_exit_code, driver_error, explain_exit, plan_table, summary};
use crate::config::sync_setup;
use crate::error::Result;
use crate::output::{print, print_json};

/// `backfill`.
pub(crate) async fn backfill(args: BackfillArgs) -> Result<u8> {
    let setup = sync_setup(&args.common.store, &args.sync)?;
    let linked = blocking(setup.driver.store(), |s| {
        s.list_linked(&LinkedFilter::default())
    })
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

    let notion = setup.notion.clone();
    let before = notion.stats().requests;
    let started = Timestamp::now();
    let cycle = setup.driver.run_cycle(started, CycleOptions::reconcile());
    tokio::pin!(cycle);

    // The driver reports no progress while a cycle runs, so progress is the Notion requests sent
    // so far against the expected queries (ceil(N/100) per database) plus one write per election
    // at most.
    let message = |sent: u64| {
        format!(
            "{total} linked election(s) in {} database(s): {sent} Notion request(s) sent (≥ {queries} needed to read them)",
            databases.len()
        )
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} backfill [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message(0));
        Some(bar)
    } else {
        None
    };
    let mut ticker = tokio::time::interval(if bar.is_some() {
        Duration::from_millis(150)
    } else {
        Duration::from_secs(5)
    });
    ticker.tick().await;
    let result = loop {
        tokio::select! {
            result = &mut cycle => break result,
            _ = ticker.tick() => {
                let sent = notion.stats().requests - before;
                match &bar {
                    Some(bar) => {
                        bar.set_message(message(sent));
                        bar.tick();
                    }
                    None => tracing::info!(requests = sent, "backfill in progress"),
                }
            }
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result.map_err(driver_error)?;
    let elapsed = Timestamp::now().duration_since(started);
    let code = cycle_exit_code(&report);
    if args.json {
        print_json(&report)?;
    } else {
        let mut text = plan_table(&report.plans);
        text.push_str(&summary(&report, elapsed));
        print(&text).map_err(anyhow::Error::from)?;
    }
    explain_exit(code);
    Ok(code)
}
