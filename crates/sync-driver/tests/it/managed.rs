//! Managed databases end to end against the emulator: every election gets one page by itself
//! (never two, across runners, crashes and a 503 after the write), the backfill's sweep only
//! after a clean final page, and the brake.

use notion_emulator::{Fault, FaultRule, demo};
use serde_json::json;
use store::{DatabaseMode, ManagedSettings, Store};
use sync_driver::ManagedPassOptions;
use sync_engine::{ElectionId, OnElectionDeleted};

use crate::common::*;

const CREATE_PAGE: &str = "POST /v1/pages";

fn db() -> String {
    demo::ELECTIONS_DB.to_string()
}

/// The demo database switched to managed, with its key property added as a person would.
async fn managed_world(on_deleted: OnElectionDeleted) -> World {
    let w = World::new().await;
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Election ID": {"rich_text": {}}}}),
        )
        .unwrap();
    let settings = ManagedSettings {
        mode: DatabaseMode::Managed,
        include_existing: true,
        on_election_deleted: on_deleted,
        ..ManagedSettings::default()
    };
    Store::set_database_mode(&*w.store, &db(), &settings, w.now())
        .await
        .unwrap();
    w
}

/// The pages (not in the trash) of the demo database whose key is `id`.
fn pages_with_key(w: &World, id: &ElectionId) -> Vec<String> {
    let state = w.emu.state();
    let mut found = Vec::new();
    for database in state["databases"].as_array().into_iter().flatten() {
        for source in database["data_sources"].as_array().into_iter().flatten() {
            for page in source["pages"].as_array().into_iter().flatten() {
                let key = page["properties"]["Election ID"]["rich_text"][0]["plain_text"].as_str();
                if key == Some(id.as_str()) && !page["in_trash"].as_bool().unwrap_or(false) {
                    found.push(page["id"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
    }
    found
}

fn elections(w: &World, n: usize) -> Vec<ElectionId> {
    (0..n)
        .map(|i| w.create_election(&format!("Seat {i}"), -60, 3600))
        .collect()
}

#[tokio::test]
async fn new_elections_get_one_page_each_in_one_cycle_synced_with_no_second_write() {
    let w = managed_world(OnElectionDeleted::Keep).await;
    let ids = elections(&w, 5);
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(w.served(CREATE_PAGE), 5);
    assert_eq!(w.served(PATCH_PAGE), 0, "created with what the sync writes");
    assert_eq!(w.served(GET_PAGE), 0, "no per-page reads");
    for id in &ids {
        let record = w.election(id);
        assert_eq!(record.links.len(), 1, "{record:?}");
        let link = &record.links[0];
        assert!(
            link.state.notion_last_sync_at.is_some(),
            "synced in the same cycle: {link:?}"
        );
        let page: uuid::Uuid = link.link.notion_page_id.parse().unwrap();
        assert_eq!(w.status(page).as_deref(), Some("In Voting"));
        assert!(w.results_link(page).is_some());
        assert_eq!(pages_with_key(&w, id).len(), 1);
    }
    // A steady state: the next poll creates nothing and reads one query at most.
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.error, None);
    assert_eq!(w.served(CREATE_PAGE), 0);
    assert!(w.served(QUERY) <= 1, "{:?}", w.emu.request_counts());
}

#[tokio::test]
async fn two_runners_and_a_crash_after_create_still_make_one_page_per_election() {
    let w = managed_world(OnElectionDeleted::Keep).await;
    let ids = elections(&w, 5);
    let other = World::driver_for(&w.emu, &w.store, "driver-b");
    let now = w.now();
    let (a, b) = tokio::join!(
        w.driver.run_managed_deltas(now, false),
        other.run_managed_deltas(now, false)
    );
    let created: usize = a.iter().chain(&b).map(|r| r.created.len()).sum();
    assert_eq!(created, 5, "{a:?} {b:?}");
    for id in &ids {
        assert_eq!(pages_with_key(&w, id).len(), 1, "{id}");
    }
    // A crash between create and record: the page exists in Notion, the store knows nothing.
    let lost = w.create_election("Lost", -60, 3600);
    let record = w.election(&lost);
    let page = w
        .emu
        .create_page_as_user(
            demo::ELECTIONS_DS,
            json!({"Name": {"title": [{"text": {"content": "Lost"}}]},
                   "Election ID": {"rich_text": [{"text": {"content": lost.as_str()}}]}}),
        )
        .unwrap();
    assert!(record.links.is_empty());
    w.emu.reset_counts();
    let reports = other.run_managed_deltas(w.now(), false).await;
    assert_eq!(w.served(CREATE_PAGE), 0, "{reports:?}");
    assert_eq!(
        w.election(&lost).links[0].link.notion_page_id,
        page.to_string()
    );
}

#[tokio::test]
async fn a_503_after_the_create_is_looked_up_by_key_not_created_again() {
    let w = managed_world(OnElectionDeleted::Keep).await;
    let id = w.create_election("Retry", -60, 3600);
    w.emu
        .set_fault(FaultRule::next(CREATE_PAGE, Fault::SavedThen503, 1));
    w.emu.reset_counts();
    let reports = w.driver.run_managed_deltas(w.now(), false).await;
    assert!(reports[0].errors.is_empty(), "{reports:?}");
    assert_eq!(w.served(CREATE_PAGE), 1);
    assert_eq!(pages_with_key(&w, &id).len(), 1);
    assert_eq!(w.election(&id).links.len(), 1);
}

fn full(allow: bool) -> ManagedPassOptions {
    ManagedPassOptions {
        allow_mass_delete: allow,
        ..ManagedPassOptions::default()
    }
}

async fn backfill(w: &World, options: ManagedPassOptions) -> sync_driver::ManagedPassReport {
    w.driver
        .backfill_managed(&db(), w.now(), options)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deleted_elections_page_is_trashed_only_by_a_clean_backfill() {
    let w = managed_world(OnElectionDeleted::Trash).await;
    let ids = elections(&w, 5);
    cycle(&w).await;
    let gone = ids[0].clone();
    let page = pages_with_key(&w, &gone);
    Store::delete_election(&*w.store, &gone).await.unwrap();
    // The cycle never sweeps.
    cycle(&w).await;
    assert_eq!(pages_with_key(&w, &gone), page);
    // A backfill whose last query fails trashes nothing.
    w.emu
        .set_fault(FaultRule::next(QUERY, Fault::Status(500), 20));
    let report = backfill(&w, full(false)).await;
    assert!(report.trashed.is_empty(), "{report:?}");
    assert!(!report.errors.is_empty());
    w.emu.clear_faults();
    // The preview plans the trash and writes nothing.
    let preview = backfill(
        &w,
        ManagedPassOptions {
            preview: true,
            ..full(false)
        },
    )
    .await;
    assert_eq!(
        preview.plan.as_ref().unwrap().trashes.len(),
        1,
        "{preview:?}"
    );
    assert_eq!(pages_with_key(&w, &gone), page);
    // A clean pass trashes it.
    let report = backfill(&w, full(false)).await;
    assert_eq!(report.trashed, page, "{report:?}");
    assert!(pages_with_key(&w, &gone).is_empty());
    let state = Store::get_managed_database(&*w.store, &db())
        .await
        .unwrap()
        .unwrap();
    let last = state.last_full_pass.unwrap();
    assert!(last.complete && last.trashed == 1, "{last:?}");
}

#[tokio::test]
async fn the_brake_halts_a_sweep_of_sixty_percent_and_allow_mass_delete_lets_it_through() {
    let w = managed_world(OnElectionDeleted::Trash).await;
    let ids = elections(&w, 5);
    cycle(&w).await;
    for id in &ids[..3] {
        Store::delete_election(&*w.store, id).await.unwrap();
    }
    let report = backfill(&w, full(false)).await;
    assert!(report.trashed.is_empty());
    let halted = report.halted().unwrap();
    assert!(
        halted.contains("3 of 5") && halted.contains("--allow-mass-delete"),
        "{halted}"
    );
    let report = backfill(&w, full(true)).await;
    assert_eq!(report.trashed.len(), 3, "{report:?}");
    // Once: the next pass has nothing left to sweep and the brake is back.
    let again = backfill(&w, full(false)).await;
    assert!(again.halted().is_none() && again.trashed.is_empty());
}

#[tokio::test]
async fn a_no_change_backfill_reads_and_writes_nothing_else() {
    let w = managed_world(OnElectionDeleted::Keep).await;
    elections(&w, 3);
    cycle(&w).await;
    w.emu.reset_counts();
    let report = backfill(&w, full(false)).await;
    assert!(
        report.errors.is_empty() && report.created.is_empty(),
        "{report:?}"
    );
    assert_eq!(w.served(CREATE_PAGE) + w.served(PATCH_PAGE), 0);
    assert_eq!(w.served(QUERY), 1, "ceil(N/100) queries");
}
