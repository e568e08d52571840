//! The cycle and the daemon: phases on time, pulls, errors and backoff, faults, two drivers,
//! preview, and what each cycle costs in Notion requests (counted by the emulator).

use std::sync::Arc;
use std::time::Duration;

use notion_client::NotionVersion;
use notion_emulator::{EmulatorConfig, Fault, FaultRule, demo};
use serde_json::json;
use store::{LeaseKey, ListRequest};
use sync_driver::{
    CancellationToken, Clock, CycleOptions, DaemonOptions, DriverError, ManualClock,
};
use sync_engine::{ElectionId, ErrorClass, Trigger};
use uuid::Uuid;

use crate::common::*;

fn results(election: &ElectionId) -> String {
    format!("{BASE_URL}/e/{election}/results")
}

/// `n` elections linked to new pages; voting opens in `open_in` s and closes in `close_in` s.
async fn linked_elections(
    w: &World,
    n: usize,
    open_in: i64,
    close_in: i64,
) -> Vec<(ElectionId, Uuid)> {
    let mut out = Vec::new();
    for i in 0..n {
        let page = w.add_page(&format!("Election {i}"));
        let election = w.create_election(&format!("Election {i}"), open_in, close_in);
        w.link(&election, page).await;
        out.push((election, page));
    }
    out
}

#[tokio::test]
async fn an_election_goes_not_started_in_voting_done_on_time() {
    goes_not_started_in_voting_done_on_time(NotionVersion::V2025_09_03).await;
}

/// Under 2026-12-01, queries return only the title unless `filter_properties` names more: the
/// sync names every property it reads, so the same scenario holds.
#[tokio::test]
async fn an_election_goes_not_started_in_voting_done_on_time_under_2026_12_01() {
    goes_not_started_in_voting_done_on_time(NotionVersion::V2026_12_01).await;
}

async fn goes_not_started_in_voting_done_on_time(version: NotionVersion) {
    let w = World::with_version(EmulatorConfig::default(), version).await;
    let election = w.create_election("Board", 90, 300);
    w.link(&election, demo::BOARD_PRESIDENT).await;

    // Upcoming: the page already says "Not started": no write; the title comes from Notion.
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 0);
    assert_eq!(report.counts.pulled, 1);
    assert_eq!(w.election(&election).election.title, "Board President 2026");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );
    assert_eq!(w.results_link(demo::BOARD_PRESIDENT), None);

    w.advance(secs(90));
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 1, "{report:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    assert_eq!(
        w.results_link(demo::BOARD_PRESIDENT),
        Some(results(&election))
    );

    w.advance(secs(210));
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 1);
    assert_eq!(w.status(demo::BOARD_PRESIDENT).as_deref(), Some("Done"));
    let stored = w.election(&election);
    assert_eq!(stored.state().notion_done_set_at, Some(w.now()));
    assert_eq!(stored.state().notion_last_sync_error, None);

    // Every cycle left a finished run with its log.
    let runs = w.store.list_runs(&ListRequest::first(10)).unwrap().items;
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r.finished_at.is_some() && r.error.is_none())
    );
    let logs = w.store.get_run(runs[0].id).unwrap().logs;
    assert!(
        logs.iter()
            .any(|l| l.entry.action == store::LogAction::Wrote)
    );
}

#[tokio::test]
async fn notion_edits_flow_in_and_manual_status_edits_are_overwritten() {
    edits_flow_in_and_status_edits_are_overwritten(NotionVersion::V2025_09_03).await;
}

#[tokio::test]
async fn notion_edits_flow_in_and_manual_status_edits_are_overwritten_under_2026_12_01() {
    edits_flow_in_and_status_edits_are_overwritten(NotionVersion::V2026_12_01).await;
}

async fn edits_flow_in_and_status_edits_are_overwritten(version: NotionVersion) {
    let w = World::with_version(EmulatorConfig::default(), version).await;
    let election = w.create_election("Budget", -60, 3600);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    cycle(&w).await;
    assert_eq!(
        w.results_link(demo::BUDGET_REFERENDUM),
        Some(results(&election))
    );

    // A person changes the status, the title (in two segments) and the description in Notion.
    w.advance(secs(20));
    w.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({
                "Voting Status": {"status": {"name": "Done"}},
                "Name": {"title": [{"text": {"content": "Budget "}}, {"text": {"content": "2027"}, "annotations": {"italic": true}}]},
                "Description": {"rich_text": [{"text": {"content": "Approve the 2027 budget."}}]},
            }),
        )
        .unwrap();
    w.advance(secs(41));
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 1);
    assert_eq!(
        w.status(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
    let stored = w.election(&election).election;
    assert_eq!(stored.title, "Budget 2027");
    assert_eq!(stored.description, "Approve the 2027 budget.");

    // An emptied title in Notion does not erase ours.
    w.emu
        .update_page_as_user(demo::BUDGET_REFERENDUM, json!({"Name": {"title": []}}))
        .unwrap();
    w.advance(secs(61));
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 0);
    assert_eq!(w.election(&election).election.title, "Budget 2027");
}

#[tokio::test]
async fn a_removed_status_option_records_a_clear_error_and_backs_off() {
    let w = World::new().await;
    let election = w.create_election("Board", 60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    cycle(&w).await;
    // The owner removes "In Voting" in Notion (the options list replaces the options); our
    // stored schema still lists it, so the write goes out and Notion rejects it with 400
    // validation_error.
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
    w.advance(secs(60));
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let state = w.election(&election).state();
    assert_eq!(state.error_class, Some(ErrorClass::Permanent));
    let error = state.notion_last_sync_error.unwrap();
    assert!(error.contains("status option is missing"), "{error}");
    assert!(error.contains("Notion 400 validation_error"), "{error}");
    assert!(error.contains("API cannot create options"), "{error}");
    assert_eq!(state.next_attempt_at, Some(w.now() + secs(60)));

    // Backing off: the next cycle 30 s later leaves it alone (no request at all).
    w.advance(secs(30));
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.counts.planned, 0);
    assert_eq!(w.emu.request_counts().total(), 0);

    // When the retry comes, the schema is re-read and the planner names the problem.
    w.advance(secs(30));
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 1);
    let state = w.election(&election).state();
    assert_eq!(state.consecutive_failures, 2);
    assert_eq!(state.next_attempt_at, Some(w.now() + secs(120)));
    assert!(
        state
            .notion_last_sync_error
            .unwrap()
            .contains("has no option 'In Voting'")
    );
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );
}

#[tokio::test]
async fn trashed_and_unshared_pages_break_the_link_without_stopping_others() {
    let w = World::new().await;
    let trashed = w.create_election("Budget", -60, 3600);
    w.link(&trashed, demo::BUDGET_REFERENDUM).await;
    let fine = w.create_election("Board", -60, 3600);
    w.link(&fine, demo::BOARD_PRESIDENT).await;
    cycle(&w).await;
    w.emu.trash_page(demo::BUDGET_REFERENDUM).unwrap();

    // The reconcile misses the page, reads it alone and finds it in the trash.
    w.advance(secs(61));
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled().only(trashed.clone()))
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "not seen by the change query yet");
    let report = w
        .driver
        .run_cycle(
            w.now(),
            CycleOptions {
                reconcile: true,
                ..CycleOptions::scheduled()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let state = w.election(&trashed).state();
    assert!(state.link_broken);
    assert!(state.notion_last_sync_error.unwrap().contains("in trash"));
    assert_eq!(w.election(&fine).state().notion_last_sync_error, None);

    // The integration loses access to everything: every election records the 404 and how to fix it.
    w.emu
        .unshare(demo::INTEGRATION_NAME, demo::ROOT_PAGE)
        .unwrap();
    w.advance(secs(3600));
    let report = cycle(&w).await;
    assert!(report.databases[0].error.is_some());
    let state = w.election(&fine).state();
    assert!(state.link_broken);
    let error = state.notion_last_sync_error.unwrap();
    assert!(error.contains("Notion 404 object_not_found"), "{error}");
    assert!(error.contains("Connections"), "{error}");
    assert!(report.error.is_some());
}

#[tokio::test]
async fn a_failing_database_does_not_stop_the_others() {
    let w = World::new().await;
    let board = w.create_election("Board", -60, 3600);
    w.link(&board, demo::BOARD_PRESIDENT).await;
    // A second allowlisted database, with all options, where Notion answers 503 to queries.
    let legacy = w.create_election("Treasurer", -60, 3600);
    w.emu
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
    w.driver
        .link(
            &legacy,
            World::request(demo::LEGACY_DB, demo::LEGACY_PAGE),
            w.now(),
        )
        .await
        .unwrap();
    w.emu.set_fault(FaultRule {
        route: Some(QUERY.to_owned()),
        kind: Fault::Status(503),
        count: Some(8),
        ..FaultRule::default()
    });
    let report = cycle(&w).await;
    // The first database queried (Elections) gets every 503 (retries included) and fails
    // transiently; Legacy Elections is synced.
    assert_eq!(report.counts.failed, 1, "{report:?}");
    assert_eq!(w.status(demo::LEGACY_PAGE).as_deref(), Some("In Voting"));
    let state = w.election(&board).state();
    assert_eq!(state.error_class, Some(ErrorClass::Transient));
    assert!(state.notion_last_sync_error.unwrap().contains("503"));
    // Next cycle: it converges.
    w.advance(secs(60));
    cycle(&w).await;
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    assert_eq!(w.election(&board).state().error_class, None);
}

#[tokio::test]
async fn thirty_percent_faults_still_converge_with_every_write_made_once() {
    let w = World::new().await;
    let elections = linked_elections(&w, 12, 60, 600).await;
    cycle(&w).await;
    w.emu.reset_counts();
    for (kind, retry_after) in [
        (Fault::Status(429), Some(0)),
        (Fault::Status(503), None),
        (Fault::Status(502), None),
    ] {
        w.emu.set_fault(FaultRule {
            route: None,
            kind,
            probability: Some(0.1),
            retry_after_secs: retry_after,
            ..FaultRule::default()
        });
    }
    for _ in 0..6 {
        w.advance(secs(60));
        cycle(&w).await;
    }
    w.emu.clear_faults();
    for (election, page) in &elections {
        assert_eq!(w.status(*page).as_deref(), Some("In Voting"), "{election}");
        assert_eq!(w.results_link(*page), Some(results(election)));
        assert_eq!(w.election(election).state().notion_last_sync_error, None);
    }
    // Faults fired, and yet each page got exactly one successful write.
    assert!(w.emu.request_counts().with_status(429) + w.emu.request_counts().with_status(503) > 0);
    assert_eq!(w.emu.request_counts().get(PATCH_PAGE, 200), 12);
}

#[tokio::test]
async fn two_drivers_on_one_store_write_each_change_once() {
    let w = World::new().await;
    let elections = linked_elections(&w, 5, 60, 600).await;
    let other = World::driver_for(&w.emu, &w.store, "driver-b");
    cycle(&w).await;
    w.advance(secs(60));
    w.emu.reset_counts();
    let now = w.now();
    let (a, b) = tokio::join!(
        w.driver.run_cycle(now, CycleOptions::scheduled()),
        other.run_cycle(now, CycleOptions::scheduled()),
    );
    let held = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(DriverError::LeaseHeld { .. })))
        .count();
    let ok = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(held + ok, 2);
    // Then both again, one after the other: nothing left to write.
    w.driver
        .run_cycle(now, CycleOptions::scheduled())
        .await
        .unwrap();
    other
        .run_cycle(now, CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(w.emu.request_counts().get(PATCH_PAGE, 200), 5);
    for (_, page) in &elections {
        assert_eq!(w.status(*page).as_deref(), Some("In Voting"));
    }

    // A manual sync racing a cycle on the same election never writes twice either.
    w.advance(secs(540));
    w.emu.reset_counts();
    let (election, _) = &elections[0];
    let now = w.now();
    let (manual, cycled) = tokio::join!(
        other.sync_now(election, now),
        w.driver.run_cycle(now, CycleOptions::scheduled()),
    );
    cycled.unwrap();
    assert!(manual.is_ok() || matches!(manual, Err(DriverError::LeaseHeld { .. })));
    assert_eq!(w.emu.request_counts().get(PATCH_PAGE, 200), 5);
}

#[tokio::test]
async fn preview_changes_nothing_in_notion_or_the_store() {
    let w = World::new().await;
    let election = w.create_election("Board", -60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    let before = w.election(&election);
    let notion_before = w.emu.page(demo::BOARD_PRESIDENT);
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled().preview())
        .await
        .unwrap();
    assert!(report.preview && report.run_id.is_none());
    let plan = &report.plans[0];
    let write = plan.page_write.as_ref().unwrap();
    assert_eq!(write.status().unwrap().to.to_string(), "In Voting");
    assert!(plan.election_update.is_some());
    assert_eq!(w.emu.request_counts().get(PATCH_PAGE, 200), 0);
    assert_eq!(w.emu.page(demo::BOARD_PRESIDENT), notion_before);
    assert_eq!(w.election(&election), before);
    assert!(
        w.store
            .list_runs(&ListRequest::first(10))
            .unwrap()
            .items
            .is_empty()
    );
    assert!(w.store.list_cursors().unwrap().is_empty());
    assert!(
        w.store
            .get_lease(&store::LeaseKey::Global)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn notion_cost_per_cycle() {
    let w = World::new().await;
    // 100 linked elections in one database; voting opens in 30 s for all of them.
    let elections = linked_elections(&w, 100, 150, 3600).await;
    let first = cycle(&w).await; // no cursor yet: a full read
    assert_eq!(first.counts.written, 0);

    // Steady state, nothing changed: one query request for the database, nothing else.
    w.advance(secs(61));
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.counts.planned, 100);
    assert_eq!(
        w.emu.request_counts().total(),
        1,
        "{:?}",
        w.emu.request_counts()
    );
    assert_eq!(w.served(QUERY), 1);
    assert_eq!(report.counts.notion_requests, 1);
    // The run log: one summary entry for the database, nothing per unchanged election.
    let logs = w.store.get_run(report.run_id.unwrap()).unwrap().logs;
    assert_eq!(logs.len(), 1, "{logs:?}");
    let summary = &logs[0].entry;
    assert_eq!(summary.action, store::LogAction::Read);
    assert_eq!(summary.election_id, None);
    let detail = summary.detail.as_ref().unwrap();
    assert_eq!(detail["database_id"], demo::ELECTIONS_DB.to_string());
    // (The rows were created in the minute of the first read, so they come back once more.)
    assert_eq!(detail["pages_read"], report.counts.read);
    assert_eq!(detail["notion_requests"], 1);
    assert_eq!(detail["planned"], 100);
    // The cursor moves to when this cycle's query started.
    let instant =
        |v: &serde_json::Value| -> jiff::Timestamp { v.as_str().unwrap().parse().unwrap() };
    let (from, to) = (
        instant(&detail["cursor_from"]),
        instant(&detail["cursor_to"]),
    );
    assert!(from >= t0() && from < t0() + secs(1), "{from}");
    assert!(to >= w.now() && to < w.now() + secs(1), "{to}");

    // 1% changed (a person set one page to "Done"): one query + one write.
    w.emu
        .update_page_as_user(
            elections[7].1,
            json!({"Voting Status": {"status": {"name": "Done"}}}),
        )
        .unwrap();
    w.advance(secs(61));
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(w.served(QUERY), 1);
    assert_eq!(w.served(PATCH_PAGE), 1);
    assert_eq!(w.emu.request_counts().total(), 2);
    // The summary (2 requests, the cursor moved to the edit) and the one write.
    let logs = w.store.get_run(report.run_id.unwrap()).unwrap().logs;
    let actions: Vec<_> = logs.iter().map(|l| l.entry.action).collect();
    assert_eq!(actions, [store::LogAction::Read, store::LogAction::Wrote]);
    let detail = logs[0].entry.detail.as_ref().unwrap();
    assert_eq!(detail["pages_read"], report.counts.read);
    assert_eq!(detail["notion_requests"], 2);
    assert_eq!(detail["written"], 1);
    assert_ne!(detail["cursor_to"], detail["cursor_from"]);
    assert_eq!(logs[1].entry.election_id, Some(elections[7].0.clone()));
    assert_eq!(w.status(elections[7].1).as_deref(), Some("Not started"));

    // Phase change with no Notion edits, right after a cycle: no read, one write per election.
    w.advance(secs(28));
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 100);
    assert_eq!(w.served(QUERY), 0);
    assert_eq!(w.served(GET_PAGE), 0);
    assert_eq!(w.served(PATCH_PAGE), 100);
    assert_eq!(w.emu.request_counts().total(), 100);

    // Reconcile: every page of the database (3 demo + 100 + 150 more = 253) in ceil(253/100) = 3
    // queries plus the schema read; nothing to write.
    for i in 0..150 {
        w.add_page(&format!("Unlinked {i}"));
    }
    w.advance(secs(61));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.trigger, Trigger::Reconcile);
    assert_eq!(report.counts.read, 253);
    assert_eq!(w.served(QUERY), 3);
    assert_eq!(w.served("GET /v1/data_sources/{data_source_id}"), 1);
    assert_eq!(w.served(PATCH_PAGE), 0);
    assert_eq!(w.served(GET_PAGE), 0);
}

#[tokio::test]
async fn daemon_wakes_at_the_phase_change_and_stops_cleanly() {
    let w = World::new().await;
    let election = w.create_election("Board", 90, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    let old_run = |age: i64| {
        let started = w.now() - secs(age);
        let run = w
            .store
            .start_run(Trigger::Scheduled, "old", started)
            .unwrap();
        w.store
            .finish_run(run.id, &Default::default(), None, started)
            .unwrap();
        run.id
    };
    let ancient = old_run(8 * 86_400);
    let recent = old_run(6 * 86_400);
    let clock = ManualClock::new(w.now());
    let shutdown = CancellationToken::new();
    let daemon = {
        let driver = w.driver.clone();
        let clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            driver
                .run_daemon(
                    clock,
                    shutdown,
                    DaemonOptions {
                        // Far apart: only the wake-up at open_at can explain a write at 90 s.
                        interval: Duration::from_secs(600),
                        reconcile_every: None,
                    },
                )
                .await
        })
    };
    let runs = |n: usize| {
        let store = Arc::clone(&w.store);
        async move {
            for _ in 0..500 {
                let mut items = store.list_runs(&ListRequest::first(10)).unwrap().items;
                items.retain(|r| r.holder != "old");
                if items.len() >= n && items.iter().all(|r| r.finished_at.is_some()) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the daemon did not run cycle {n}");
        }
    };
    runs(1).await;
    // The history older than 7 days was pruned at start; the rest stays.
    assert!(matches!(
        w.store.get_run(ancient),
        Err(store::StoreError::NotFound { .. })
    ));
    w.store.get_run(recent).unwrap();
    assert_eq!(w.next_wakeup().await, Some(w.now() + secs(90)));
    clock.advance(secs(90));
    w.emu.clock().advance(secs(90));
    runs(2).await;
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    shutdown.cancel();
    daemon.await.unwrap().unwrap();
    assert!(
        w.store
            .get_lease(&store::LeaseKey::Global)
            .unwrap()
            .is_none()
    );
}

impl World {
    async fn next_wakeup(&self) -> Option<jiff::Timestamp> {
        self.driver.next_wakeup(self.now()).await.unwrap()
    }
}

#[tokio::test]
async fn paused_elections_do_not_wake_the_daemon() {
    let w = World::new().await;
    let soon = w.create_election("Soon", 30, 600);
    w.link(&soon, demo::BOARD_PRESIDENT).await;
    let later = w.create_election("Later", 90, 600);
    w.link(&later, demo::BUDGET_REFERENDUM).await;
    assert_eq!(w.next_wakeup().await, Some(w.now() + secs(30)));
    w.store
        .pause(&store::PauseScope::Election(soon.clone()), w.now())
        .unwrap();
    assert_eq!(w.next_wakeup().await, Some(w.now() + secs(90)));
    w.store.pause(&store::PauseScope::All, w.now()).unwrap();
    assert_eq!(w.next_wakeup().await, None);
    w.store.resume(&store::PauseScope::All).unwrap();
    assert_eq!(w.next_wakeup().await, Some(w.now() + secs(30)));

    // Both syncs fail (the integration lost access) and back off for 60 s: the daemon wakes for
    // "Soon" opening at 30 s; with "Soon" paused, for the end of "Later"'s backoff.
    w.emu
        .unshare(demo::INTEGRATION_NAME, demo::ROOT_PAGE)
        .unwrap();
    assert_eq!(cycle(&w).await.counts.failed, 2);
    let retry = w.election(&later).state().next_attempt_at.unwrap();
    assert_eq!(retry, w.now() + secs(60));
    assert_eq!(w.next_wakeup().await, Some(w.now() + secs(30)));
    w.store
        .pause(&store::PauseScope::Election(soon.clone()), w.now())
        .unwrap();
    assert_eq!(w.next_wakeup().await, Some(retry));
}

#[tokio::test]
async fn a_cycle_counts_only_its_own_requests_on_a_shared_client() {
    let w = World::new().await;
    linked_elections(&w, 3, 600, 3600).await;
    cycle(&w).await;
    w.advance(secs(61));
    // The api-server shares one client between its admin routes and the sync loop: an admin
    // request burst runs during the cycle.
    let shared = w.driver.notion().clone();
    let before = shared.stats().requests;
    let admin = async {
        for _ in 0..5 {
            shared.me().await.unwrap();
            tokio::task::yield_now().await;
        }
    };
    let (report, ()) = tokio::join!(cycle(&w), admin);
    // Steady state: the cycle's one change query, exactly; the client saw all six.
    assert_eq!(report.counts.notion_requests, 1);
    assert_eq!(shared.stats().requests - before, 6);
    let run = w.store.get_run(report.run_id.unwrap()).unwrap().run;
    assert_eq!(run.counts.notion_requests, 1);

    // A manual sync beside admin requests: the page and schema reads, exactly.
    let (election, _) = {
        let linked = w.store.list_linked(&Default::default()).unwrap();
        (linked[0].election.id.clone(), ())
    };
    let admin = async {
        for _ in 0..3 {
            shared.me().await.unwrap();
            tokio::task::yield_now().await;
        }
    };
    w.advance(secs(1));
    let (manual, ()) = tokio::join!(w.driver.sync_now(&election, w.now()), admin);
    manual.unwrap();
    let runs = w.store.list_runs(&ListRequest::first(1)).unwrap().items;
    assert_eq!(runs[0].trigger, Trigger::Manual);
    assert_eq!(runs[0].counts.notion_requests, 2);
}

/// 247 new rows, two created per minute (so a cap continuation restarts at a creation minute
/// shared by two rows), 250 with the 3 demo rows; the first 160 linked to elections whose
/// titles differ from the rows' (so every observed row shows as a pull).
async fn a_database_beyond_the_cap(w: &World) -> Vec<(ElectionId, Uuid)> {
    let mut pages = Vec::new();
    for i in 0..247 {
        if i % 2 == 0 {
            w.advance(secs(60));
        }
        pages.push(w.add_page(&format!("Row {i}")));
    }
    let mut linked = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let election = w.create_election(&format!("Election {i}"), 86_400, 172_800);
        if i < 160 {
            w.link(&election, *page).await;
            linked.push((election, *page));
        }
    }
    linked
}

#[tokio::test]
async fn reconcile_and_change_query_read_every_page_past_the_query_cap() {
    // Notion stops a query at 10,000 results; here at 150, with 250 rows and 160 linked.
    let w = World::with(EmulatorConfig::default().with_query_result_cap(150)).await;
    let linked = a_database_beyond_the_cap(&w).await;
    w.advance(secs(60));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.error, None);
    assert_eq!(report.counts.read, 250);
    assert_eq!(report.counts.pulled, 160, "every linked row was observed");
    for (election, _) in &linked {
        assert!(w.election(election).election.title.starts_with("Row "));
    }
    // Rows 1-100 and 101-150 (capped: incomplete), then from row 150's creation minute on: rows
    // 149-248 and 249-250 (the two rows already seen are skipped): 4 queries (3 without a cap),
    // plus the schema read of the reconcile.
    assert_eq!(w.served(QUERY), 4);
    assert_eq!(w.emu.request_counts().total(), 5);
    assert_eq!(report.counts.notion_requests, 5);
    // The run log says the cap was reached and the query continued past it.
    let logs = w.store.get_run(report.run_id.unwrap()).unwrap().logs;
    let summary = logs
        .iter()
        .find(|l| l.entry.action == store::LogAction::Read)
        .unwrap();
    let cap = &summary.entry.detail.as_ref().unwrap()["query_cap"];
    assert_eq!(cap["continued"], 1, "{cap}");
    assert_eq!(cap["unnarrowable_at"], serde_json::Value::Null, "{cap}");

    // A burst of edits: a person retitles the 160 linked rows within one minute. The change query
    // (edited since the minute floor of the reconcile's start minus 1 min) matches them and the
    // row created in that minute: 161 rows, more than the cap, and reads them all.
    w.advance(secs(60));
    for (i, (_, page)) in linked.iter().enumerate() {
        w.emu
            .update_page_as_user(
                *page,
                json!({"Name": {"title": [{"text": {"content": format!("Retitled {i}")}}]}}),
            )
            .unwrap();
    }
    w.advance(secs(61));
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.trigger, Trigger::Scheduled);
    assert_eq!(report.counts.pulled, 160, "{report:?}");
    for (i, (election, _)) in linked.iter().enumerate() {
        assert_eq!(w.election(election).election.title, format!("Retitled {i}"));
    }
    assert_eq!(report.counts.read, 161);
    // Rows 1-100, 101-150 (capped), then from row 150's creation minute on: 1 more request.
    assert_eq!(w.served(QUERY), 3);
    assert_eq!(w.emu.request_counts().total(), 3);
}

/// A driver clock that moves `step` forward each time the driver reads it, then lets the test
/// look at the store at that instant (as a second runner would).
struct SteppingClock {
    clock: ManualClock,
    step: std::sync::Mutex<Box<dyn FnMut(u32) -> jiff::SignedDuration + Send>>,
    reads: std::sync::atomic::AtomicU32,
    probe: Box<dyn Fn(jiff::Timestamp) + Send + Sync>,
}

impl Clock for SteppingClock {
    fn now(&self) -> jiff::Timestamp {
        let n = self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let step = (self.step.lock().unwrap())(n);
        self.clock.advance(step);
        let now = self.clock.now();
        (self.probe)(now);
        now
    }

    fn sleep_until(&self, deadline: jiff::Timestamp) -> sync_driver::SleepFuture<'_> {
        self.clock.sleep_until(deadline)
    }
}

const TTL: i64 = 60;

/// A driver with a 60 s lease and `clock`, on the world's store and emulator.
fn driver_with_clock(w: &World, clock: Arc<dyn Clock>) -> sync_driver::SyncDriver {
    let mut config = sync_driver::DriverConfig::new(BASE_URL, allowlist());
    config.holder = "driver-a".into();
    config.lease_ttl = secs(TTL);
    sync_driver::SyncDriver::new(w.store.clone(), client(&w.emu), config).with_clock(clock)
}

/// What a second runner gets when it tries to take the global lease at `now`.
fn second_runner_takes_lease(store: &store::SqliteStore, now: jiff::Timestamp) -> bool {
    store
        .claim_lease(&store::LeaseKey::Global, "driver-b", secs(TTL), now)
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_cycle_longer_than_the_lease_ttl_keeps_its_lease() {
    let w = World::new().await;
    let elections = linked_elections(&w, 20, -60, 3600).await;
    let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let clock = Arc::new(SteppingClock {
        clock: ManualClock::new(w.now()),
        // Each read of the clock: 10 s later (a slow, paced Notion).
        step: std::sync::Mutex::new(Box::new(|_| secs(10))),
        reads: Default::default(),
        probe: {
            let store = Arc::clone(&w.store);
            let attempts = Arc::clone(&attempts);
            Box::new(move |now| {
                attempts
                    .lock()
                    .unwrap()
                    .push(second_runner_takes_lease(&store, now))
            })
        },
    });
    let driver = driver_with_clock(&w, clock.clone());
    let report = driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.error, None);
    assert_eq!(report.counts.written, 20);
    for (_, page) in &elections {
        assert_eq!(w.status(*page).as_deref(), Some("In Voting"));
    }
    // The cycle lasted far longer than the 60 s lease (the query's start, 23 pages read, 20
    // written, the run's end: 46 reads of the clock, 460 s), and at each of those instants a
    // second runner was refused.
    let attempts = attempts.lock().unwrap();
    assert_eq!(attempts.len(), 46);
    assert!(clock.clock.now().duration_since(w.now()) > secs(TTL * 7));
    assert!(attempts.iter().all(|taken| !taken), "{attempts:?}");
}

#[tokio::test]
async fn a_cycle_that_loses_its_lease_stops_writing_and_records_what_it_did() {
    let w = World::new().await;
    let elections = linked_elections(&w, 20, -60, 3600).await;
    let stolen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clock = Arc::new(SteppingClock {
        clock: ManualClock::new(w.now()),
        // 10 s a read, but the 34th read comes 5 min later (the process was suspended): the
        // lease has expired and a second runner takes it.
        step: std::sync::Mutex::new(Box::new(|n| if n == 33 { secs(300) } else { secs(10) })),
        reads: Default::default(),
        probe: {
            let store = Arc::clone(&w.store);
            let stolen = Arc::clone(&stolen);
            Box::new(move |now| {
                if second_runner_takes_lease(&store, now) {
                    stolen.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            })
        },
    });
    let driver = driver_with_clock(&w, clock);
    w.emu.reset_counts();
    let report = driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert!(stolen.load(std::sync::atomic::Ordering::SeqCst));
    let error = report.error.unwrap();
    assert!(error.contains("the sync lease was lost"), "{error}");
    // Reads 1-25: the database, the query's start and its 23 pages; 26-33: eight elections
    // written; the 34th read finds the lease gone, so nothing more is written.
    assert_eq!(report.counts.written, 8);
    assert_eq!(w.served(PATCH_PAGE), 8);
    assert_eq!(report.skipped.len(), 12);
    // What was written is recorded; the rest is left for the runner that holds the lease.
    let synced: Vec<bool> = elections
        .iter()
        .map(|(e, _)| w.election(e).state().notion_last_sync_at.is_some())
        .collect();
    assert_eq!(synced.iter().filter(|s| **s).count(), 8);
    for ((election, page), synced) in elections.iter().zip(&synced) {
        let status = w.status(*page);
        assert_eq!(
            status.as_deref() == Some("In Voting"),
            *synced,
            "{election}"
        );
    }
    // The cursor did not move past the elections left behind.
    assert!(w.store.list_cursors().unwrap().is_empty());
    // The other runner holds the lease now.
    assert_eq!(
        w.store
            .get_lease(&store::LeaseKey::Global)
            .unwrap()
            .unwrap()
            .holder,
        "driver-b"
    );
}

#[tokio::test]
async fn a_database_never_shared_is_retried_on_the_backoff_schedule_not_every_cycle() {
    let w = World::new().await;
    let elections = linked_elections(&w, 2, -60, 86_400).await;
    // Linked, then the integration loses access before the first cycle: the database has no
    // cursor, and its first read keeps failing with 404.
    w.emu
        .unshare(demo::INTEGRATION_NAME, demo::ROOT_PAGE)
        .unwrap();
    let mut attempts = Vec::new();
    for minute in 0..66 {
        if minute > 0 {
            w.advance(secs(60));
        }
        w.emu.reset_counts();
        let report = cycle(&w).await;
        if w.emu.request_counts().total() > 0 {
            attempts.push(minute);
            assert_eq!(report.counts.failed, 2, "minute {minute}: {report:?}");
        } else {
            assert_eq!(report.counts.planned, 0, "minute {minute}: {report:?}");
            assert!(
                report.databases.is_empty(),
                "minute {minute}: not even read"
            );
        }
    }
    // Permanent (404 object_not_found): the backoff doubles from 1 min to at most 1 h.
    assert_eq!(attempts, [0, 1, 3, 7, 15, 31, 63]);
    let state = w.election(&elections[0].0).state();
    assert_eq!(state.error_class, Some(ErrorClass::Permanent));
    assert_eq!(state.consecutive_failures, 7);
    assert_eq!(
        state.next_attempt_at,
        Some(w.now() - secs(120) + secs(3600))
    );

    // An admin shares the database again and syncs one election by hand: it syncs at once; the
    // next cycles read the database for it (one full read, then the change query) while the
    // other election stays in its backoff.
    w.emu
        .share(demo::INTEGRATION_NAME, demo::ROOT_PAGE)
        .unwrap();
    w.driver.sync_now(&elections[0].0, w.now()).await.unwrap();
    assert_eq!(w.status(elections[0].1).as_deref(), Some("In Voting"));
    w.advance(secs(60));
    let report = cycle(&w).await;
    assert!(report.databases[0].reconciled && report.error.is_none());
    assert_eq!(report.counts.planned, 1, "{report:?}");
    assert_eq!(w.status(elections[1].1).as_deref(), Some("Not started"));
    assert_eq!(w.store.list_cursors().unwrap().len(), 1);
}

#[tokio::test]
async fn after_a_bulk_edit_the_change_query_settles_back_to_one_empty_request() {
    let w = World::new().await;
    let elections = linked_elections(&w, 150, 86_400, 172_800).await;
    cycle(&w).await;
    // A person retitles the 150 pages within one minute (09:05:10-09:05:40 on Notion's clock).
    w.advance(secs(280));
    for (i, (_, page)) in elections.iter().enumerate() {
        if i == 75 {
            w.advance(secs(30));
        }
        w.emu
            .update_page_as_user(
                *page,
                json!({"Name": {"title": [{"text": {"content": format!("Retitled {i}")}}]}}),
            )
            .unwrap();
    }
    // Cycles every 61 s from 09:05:40 on (the first in the edits' minute): (queries, pages).
    let mut costs = Vec::new();
    for _ in 0..6 {
        w.emu.reset_counts();
        let report = cycle(&w).await;
        costs.push((w.served(QUERY), report.counts.read));
        w.advance(secs(61));
    }
    for (election, _) in &elections {
        assert!(w.election(election).election.title.starts_with("Retitled"));
    }
    // The cycle that finds the edits, then at most two that see them again (their query starts
    // in the edits' minute: the cursor is the previous query's start minus the 1-min margin,
    // floored to the minute), then one empty query each cycle.
    assert_eq!(costs[0], (2, 150), "{costs:?}");
    let rereads = costs[1..].iter().filter(|(_, read)| *read > 0).count();
    assert!(rereads <= 2, "{costs:?}");
    assert_eq!(costs[3..], [(1, 0), (1, 0), (1, 0)], "{costs:?}");
}

#[tokio::test]
async fn an_edit_between_two_cycles_is_never_missed_even_in_the_minute_of_the_last_query() {
    // Notion's clock minus ours, in seconds: within the 60-s margin either way.
    for skew in [-50, 0, 50] {
        let w = World::new().await;
        w.emu.clock().advance(secs(skew));
        let election = w.create_election("Board", -60, 86_400);
        w.link(&election, demo::BOARD_PRESIDENT).await;
        cycle(&w).await;
        // The edit lands `offset` s after the previous cycle's query (09:00:30 + 61 s × n):
        // in the same minute as that query, on a minute boundary, or in the next minute.
        for (n, offset) in [0, 1, 15, 29, 30, 31, 45, 59, 60].into_iter().enumerate() {
            w.advance(secs(offset));
            let title = format!("Title {skew} {n}");
            w.emu
                .update_page_as_user(
                    demo::BOARD_PRESIDENT,
                    json!({"Name": {"title": [{"text": {"content": title}}]}}),
                )
                .unwrap();
            w.advance(secs(61 - offset));
            let report = cycle(&w).await;
            assert_eq!(report.counts.pulled, 1, "skew {skew}, offset {offset}");
            assert_eq!(w.election(&election).election.title, title);
        }
    }
}

#[tokio::test]
async fn progress_reports_only_grow_and_end_at_the_reports_counts() {
    let w = World::new().await;
    linked_elections(&w, 5, -60, 3600).await;
    let legacy = w.create_election("Treasurer", -60, 3600);
    w.emu
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
    w.driver
        .link(
            &legacy,
            World::request(demo::LEGACY_DB, demo::LEGACY_PAGE),
            w.now(),
        )
        .await
        .unwrap();
    for preview in [true, false] {
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = {
            let events = Arc::clone(&events);
            sync_driver::ProgressSink::new(move |p| events.lock().unwrap().push(p))
        };
        let mut options = CycleOptions::reconcile().with_progress(sink);
        options.preview = preview;
        let report = w.driver.run_cycle(w.now(), options).await.unwrap();
        let events = events.lock().unwrap();
        // One at the start, one per database read, per election planned, per database done.
        assert_eq!(events.len(), 1 + 2 + 6 + 2, "{events:?}");
        for pair in events.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert!(
                b.databases_done >= a.databases_done
                    && b.pages_read >= a.pages_read
                    && b.elections_planned >= a.elections_planned
                    && b.writes_done >= a.writes_done
                    && b.writes_planned >= a.writes_planned
                    && (b.databases_total, b.elections_total)
                        == (a.databases_total, a.elections_total),
                "{a:?} then {b:?}"
            );
        }
        assert_eq!(
            events[0],
            sync_driver::CycleProgress {
                databases_total: 2,
                elections_total: 6,
                ..Default::default()
            }
        );
        let last = *events.last().unwrap();
        assert_eq!(
            last,
            sync_driver::CycleProgress {
                databases_done: 2,
                databases_total: 2,
                pages_read: report.counts.read,
                elections_planned: report.counts.planned,
                elections_total: 6,
                writes_done: report.counts.written,
                writes_planned: 6,
            }
        );
        assert_eq!(report.counts.planned, 6);
        assert_eq!(report.counts.written, if preview { 0 } else { 6 });
    }
}

#[tokio::test]
async fn a_runner_taking_over_a_dead_runners_lease_syncs_its_in_flight_election_at_once() {
    let w = World::new().await;
    let elections = linked_elections(&w, 3, -60, 3600).await;
    let now = w.now();
    let lease = |key: &LeaseKey, holder: &str, ttl: i64, at: jiff::Timestamp| {
        w.store
            .claim_lease(key, holder, secs(ttl), at)
            .unwrap()
            .unwrap();
    };
    // "driver-x" was killed mid-cycle: its global lease (5 min) and the write lease of the
    // election whose page write was in flight, taken 10 s later, remain.
    lease(&LeaseKey::Global, "driver-x", 300, now);
    let link_of = |id: &ElectionId| w.store.get_linked(id).unwrap().link_id;
    let in_flight = LeaseKey::Link(link_of(&elections[0].0));
    let x_cycle = store::cycle_lease_holder("driver-x");
    lease(&in_flight, &x_cycle, 300, now + secs(10));
    // Manual syncs (an api-server's, even one in the same process as driver-x) hold theirs.
    let manual = LeaseKey::Link(link_of(&elections[1].0));
    lease(&manual, "driver-x", 600, now);

    // While driver-x's lease is live, nobody else runs a cycle.
    w.advance(secs(299));
    let held = w.driver.run_cycle(w.now(), CycleOptions::scheduled()).await;
    assert!(matches!(held, Err(DriverError::LeaseHeld { holder }) if holder == "driver-x"));
    // The first cycle after it lapses takes over its cycle write lease and syncs that election
    // (its write lease had 10 s left); the manual sync's election is left to the manual sync.
    w.advance(secs(1));
    let report = cycle(&w).await;
    assert_eq!(w.status(elections[0].1).as_deref(), Some("In Voting"));
    assert_eq!(w.status(elections[2].1).as_deref(), Some("In Voting"));
    assert_eq!(w.status(elections[1].1).as_deref(), Some("Not started"));
    assert_eq!(report.counts.written, 2);
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert!(report.skipped[0].1.contains("another process is syncing"));
    assert_eq!(w.store.get_lease(&in_flight).unwrap(), None);
    assert_eq!(
        w.store.get_lease(&manual).unwrap().unwrap().holder,
        "driver-x"
    );
}

#[tokio::test]
async fn a_cycle_whose_global_lease_was_taken_writes_nothing_more() {
    let w = World::new().await;
    let elections = linked_elections(&w, 5, -60, 3600).await;
    let write_leases: Vec<LeaseKey> = elections
        .iter()
        .map(|(e, _)| LeaseKey::Link(w.store.get_linked(e).unwrap().link_id))
        .collect();
    let taken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clock = Arc::new(SteppingClock {
        clock: ManualClock::new(w.now()),
        // 1 s a read: the cycle never needs to renew its 60-s lease, so it does not notice.
        step: std::sync::Mutex::new(Box::new(|_| secs(1))),
        reads: Default::default(),
        probe: {
            let store = Arc::clone(&w.store);
            let taken = Arc::clone(&taken);
            Box::new(move |now| {
                // Once a first election is being written (its write lease is held until the
                // batch commits), another runner gets the global lease (taken from under the
                // holder, as after a long suspension) and takes over its cycle write leases.
                if !taken.load(std::sync::atomic::Ordering::SeqCst)
                    && write_leases
                        .iter()
                        .any(|key| store.get_lease(key).unwrap().is_some())
                {
                    store.release_lease(&LeaseKey::Global, "driver-a").unwrap();
                    store
                        .claim_lease(&LeaseKey::Global, "driver-b", secs(TTL), now)
                        .unwrap()
                        .unwrap();
                    taken.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            })
        },
    });
    let driver = driver_with_clock(&w, clock);
    w.emu.reset_counts();
    let report = driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert!(taken.load(std::sync::atomic::Ordering::SeqCst));
    // The first election was written; every later one checks the global lease after taking its
    // write lease, finds it gone and skips.
    assert_eq!(w.served(PATCH_PAGE), 1);
    assert_eq!(report.counts.written, 1);
    assert_eq!(report.skipped.len(), 4, "{report:?}");
    assert!(
        report
            .skipped
            .iter()
            .all(|(_, why)| why.contains("sync lease was lost"))
    );
}

/// A run record says when the work ended, not when it began: with Notion answering slowly, a
/// cycle's and a manual sync's `finished_at` come at least that much after `started_at`.
#[tokio::test]
async fn runs_are_stamped_finished_when_their_work_ends() {
    let w = World::new().await;
    let election = w.create_election("Slow Notion", -60, 3_600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    let slow = Duration::from_millis(300);
    for route in [QUERY, GET_PAGE, PATCH_PAGE] {
        w.emu.set_fault(FaultRule {
            route: Some(route.to_owned()),
            kind: Fault::LatencyMs(300),
            ..FaultRule::default()
        });
    }

    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.written, 1, "{report:?}");
    w.driver.sync_now(&election, w.now()).await.unwrap();

    let runs = w.store.list_runs(&ListRequest::first(10)).unwrap().items;
    assert_eq!(runs.len(), 2);
    for run in runs {
        let finished = run.finished_at.expect("finished");
        let took = run.started_at.duration_until(finished);
        assert!(
            took >= jiff::SignedDuration::try_from(slow).unwrap(),
            "{:?} run took {took:?} by its record",
            run.trigger
        );
    }
}

#[tokio::test]
async fn a_title_edited_in_notion_is_pulled_at_the_next_poll_within_the_minimum_interval() {
    let w = World::new().await;
    let election = w.create_election("Budget", -60, 3600);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    cycle(&w).await;
    let synced_at = w.election(&election).state().notion_last_sync_at;

    // Ten seconds later (the minimum interval is a minute) someone renames the page and
    // changes its status by hand.
    w.advance(secs(5));
    w.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({
                "Name": {"title": [{"text": {"content": "Budget 2027"}}]},
                "Voting Status": {"status": {"name": "Done"}},
            }),
        )
        .unwrap();
    w.advance(secs(5));
    let report = cycle(&w).await;
    // The title comes in at once; the corrective status write waits for the interval.
    assert_eq!(w.election(&election).election.title, "Budget 2027");
    assert_eq!(report.counts.pulled, 1, "{report:?}");
    assert_eq!(report.counts.written, 0, "{report:?}");
    assert_eq!(w.status(demo::BUDGET_REFERENDUM).as_deref(), Some("Done"));
    let state = w.election(&election).state();
    assert_eq!(state.notion_last_sync_at, synced_at, "not a sync");
    let activity = w
        .store
        .election_activity(&election, &ListRequest::first(10))
        .unwrap();
    assert_eq!(activity.items[0].log.entry.action, store::LogAction::Pulled);

    // Once the interval has passed, the status is put back.
    w.advance(secs(60));
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 1, "{report:?}");
    assert_eq!(
        w.status(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
}
