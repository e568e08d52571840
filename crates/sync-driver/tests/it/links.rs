//! Several pages per election, end to end against the emulator: each link is synced on its own
//! by the cycle, and one link's error never blocks another's.

use serde_json::json;

use crate::common::*;
use notion_emulator::demo;

#[tokio::test]
async fn an_election_linked_to_pages_in_two_databases_gets_both_updated_on_time() {
    let w = World::new().await;
    complete_legacy_options(&w);
    let election = w.create_election("Treasurer", 60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    let second = w
        .driver
        .add_link(
            &election,
            World::request(demo::LEGACY_DB, demo::LEGACY_PAGE),
            false,
            w.now(),
        )
        .await
        .unwrap();
    let record = &second.record;
    assert_eq!(record.links.len(), 2);
    assert!(record.links[0].primary && !record.links[1].primary);
    assert_eq!(record.links[1].id, second.link_id);

    // Before open_at: both pages say "Not started".
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );
    assert_eq!(w.status(demo::LEGACY_PAGE).as_deref(), Some("Not started"));

    // At open_at, one cycle (one query per database) moves both.
    w.advance(secs(60));
    w.emu.reset_counts();
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(report.counts.written, 2, "{report:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    assert_eq!(w.status(demo::LEGACY_PAGE).as_deref(), Some("In Voting"));
    assert!(w.results_link(demo::LEGACY_PAGE).is_some());
    assert!(
        w.served(QUERY) <= 2,
        "at most one query per database: {:?}",
        w.emu.request_counts()
    );
    let record = w.election(&election);
    for link in &record.links {
        assert!(link.state.notion_last_sync_at.is_some(), "{link:?}");
        assert_eq!(link.state.notion_last_sync_error, None);
    }

    // Removing the second link stops its writes; the primary goes on.
    w.driver
        .remove_link(&election, &second.link_id, w.now())
        .await
        .unwrap();
    w.advance(secs(3600));
    cycle(&w).await;
    assert_eq!(w.status(demo::BOARD_PRESIDENT).as_deref(), Some("Done"));
    assert_eq!(w.status(demo::LEGACY_PAGE).as_deref(), Some("In Voting"));
}

#[tokio::test]
async fn a_status_option_removed_from_one_database_fails_that_link_only() {
    let w = World::new().await;
    complete_legacy_options(&w);
    let election = w.create_election("Treasurer", 60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    let second = w
        .driver
        .add_link(
            &election,
            World::request(demo::LEGACY_DB, demo::LEGACY_PAGE),
            false,
            w.now(),
        )
        .await
        .unwrap();
    cycle(&w).await;

    // Someone removes "In Voting" from the Legacy database again.
    w.emu
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
    w.advance(secs(60));
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 1, "{report:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    let record = w.election(&election);
    let primary = record.primary().unwrap();
    assert_eq!(primary.state.notion_last_sync_error, None);
    let failing = record.find_link(&second.link_id).unwrap();
    let error = failing.state.notion_last_sync_error.as_deref().unwrap();
    assert!(error.contains("In Voting"), "{error}");

    // The manual sync of that link says so; the primary's manual sync succeeds.
    let refused = w
        .driver
        .sync_link_now(&election, Some(&second.link_id), w.now())
        .await;
    assert!(
        matches!(refused, Err(sync_driver::DriverError::Validation(_))),
        "{refused:?}"
    );
    w.driver.sync_now(&election, w.now()).await.unwrap();
}

#[tokio::test]
async fn only_the_primary_link_pulls_the_title_so_two_pages_never_take_turns() {
    let w = World::new().await;
    complete_legacy_options(&w);
    let election = w.create_election("Treasurer", 60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    w.driver
        .add_link(
            &election,
            World::request(demo::LEGACY_DB, demo::LEGACY_PAGE),
            false,
            w.now(),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        let report = cycle(&w).await;
        assert_eq!(report.counts.failed, 0, "{report:?}");
        assert_eq!(
            w.election(&election).election.title,
            "Board President 2026",
            "the primary page's title, every cycle"
        );
        w.advance(secs(61));
    }
    // The secondary page keeps its own title.
    assert_eq!(
        w.prop(demo::LEGACY_PAGE, "Name")["title"][0]["plain_text"],
        "Treasurer 2025"
    );
}
