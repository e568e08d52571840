//! A linked page moved out of its database (`POST /v1/pages/{id}/move`): the sync notices it on
//! the page's own read, breaks the link with what to do, and writes nothing more to the page.

use notion_client::MoveTarget;
use notion_emulator::demo;
use sync_driver::{CycleOptions, DriverError};

use crate::common::*;

#[tokio::test]
async fn a_page_moved_out_of_its_database_breaks_the_link_and_is_no_longer_written() {
    let w = World::new().await;
    // Voting opens in 5 minutes: the status write is still to come when the page moves.
    let moved = w.create_election("Budget", 300, 3600);
    w.link(&moved, demo::BUDGET_REFERENDUM).await;
    let fine = w.create_election("Board", 300, 3600);
    w.link(&fine, demo::BOARD_PRESIDENT).await;
    w.driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();

    // Someone moves the row out of the Elections database, under a plain page.
    client(&w.emu)
        .move_page(
            id(demo::BUDGET_REFERENDUM),
            MoveTarget::Page(id(demo::ROOT_PAGE)),
        )
        .await
        .unwrap();

    // The reconcile's query no longer returns it; its own read finds it elsewhere.
    w.advance(secs(61));
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let state = w.election(&moved).state();
    assert!(state.link_broken);
    let error = state.notion_last_sync_error.unwrap();
    assert!(
        error.contains("moved out of the database 'Elections'"),
        "{error}"
    );
    assert!(error.contains("Move the page back"), "{error}");
    assert!(
        error.contains("link the election to another page"),
        "{error}"
    );
    assert_eq!(w.election(&fine).state().notion_last_sync_error, None);
    assert!(!w.election(&fine).state().link_broken);

    // Voting opens: the election still in the database gets its status, the moved page nothing.
    w.advance(secs(300));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.counts.written, 1, "{report:?}");
    assert_eq!(w.served(PATCH_PAGE), 1);
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    // Under a plain page the row's properties are gone; what matters is that no write went out.
    assert_ne!(
        w.status(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
    assert!(w.election(&moved).state().link_broken);

    // A manual sync says the same, as a validation error (nothing for Notion to retry).
    match w.driver.sync_now(&moved, w.now()).await {
        Err(DriverError::Validation(message)) => {
            assert!(message.contains("moved out of the database"), "{message}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(w.served(PATCH_PAGE), 1);
}

#[tokio::test]
async fn a_write_to_a_page_moved_since_its_last_read_is_the_last_one() {
    let w = World::new().await;
    // Voting is open and closes in 90 s; the page is moved into another database (one with a
    // "Done" status, so Notion accepts the closing write) before that.
    let election = w.create_election("Budget", -60, 90);
    w.link(&election, demo::BUDGET_REFERENDUM).await;
    w.driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    client(&w.emu)
        .move_page(
            id(demo::BUDGET_REFERENDUM),
            MoveTarget::DataSource(id(demo::LEGACY_DS)),
        )
        .await
        .unwrap();

    // The change query no longer returns the page; the close is planned from the stored
    // observation and written, and the write's answer shows where the page now is.
    w.advance(secs(90));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1, "{:?}", report.counts);
    assert_eq!(w.served(PATCH_PAGE), 1);
    let state = w.election(&election).state();
    assert!(state.link_broken, "{:?}", state.notion_last_sync_error);
    let error = state.notion_last_sync_error.unwrap();
    assert!(
        error.contains("moved out of the database 'Elections'"),
        "{error}"
    );

    // Nothing more is written to it, whatever comes (a reconcile, the close of voting).
    w.advance(secs(3600));
    w.emu.reset_counts();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1, "{:?}", report.counts);
    assert_eq!(w.served(PATCH_PAGE), 0);
    assert!(w.election(&election).state().link_broken);
}
