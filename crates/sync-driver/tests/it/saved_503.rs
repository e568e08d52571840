//! A page write answered 503 although Notion saved it (`retry_guidance`, `committed_resource_id`):
//! the client does not send it again, the sync reads the page and records the write as done.

use notion_emulator::{Fault, FaultRule, demo};
use sync_driver::CycleOptions;

use crate::common::*;

#[tokio::test]
async fn a_503_saying_saved_leads_to_a_read_not_a_second_write() {
    let w = World::new().await;
    // Voting is open: the first cycle writes "In Voting".
    let election = w.create_election("Budget", -60, 3600);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    w.emu.set_fault(FaultRule::next(
        "PATCH /v1/pages/{page_id}",
        Fault::SavedThen503,
        1,
    ));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(report.counts.written, 1, "{report:?}");
    // One PATCH reached Notion (answered 503, but applied), then one read of the page.
    assert_eq!(w.served(PATCH_PAGE), 1);
    assert_eq!(
        w.status(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
    let state = w.election(&election).state();
    assert_eq!(state.notion_last_sync_error, None);
    assert!(state.notion_last_sync_at.is_some());
    assert_eq!(state.consecutive_failures, 0);

    // Nothing is left to write: the next cycle sends no PATCH.
    w.advance(secs(61));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(w.served(PATCH_PAGE), 0);
}

#[tokio::test]
async fn a_plain_503_on_a_write_is_retried_as_an_idempotent_write() {
    // The contrast: a 503 that says nothing about a save ("safe_to_retry") is sent again.
    let w = World::new().await;
    let election = w.create_election("Budget", -60, 3600);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    w.emu.set_fault(FaultRule::next(
        "PATCH /v1/pages/{page_id}",
        Fault::Status(503),
        1,
    ));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(w.served(PATCH_PAGE), 2);
    assert_eq!(
        w.status(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
}
