//! Links that survive real workspaces, end to end against the emulator: a property renamed in
//! Notion is followed by its id, and mapped fields beyond the source document's are written.

use serde_json::json;
use sync_engine::{PropertyRef, WindowMapping};

use crate::common::*;
use notion_emulator::demo;

#[tokio::test]
async fn renaming_the_status_property_in_notion_does_not_break_the_sync() {
    let w = World::new().await;
    let election = w.create_election("Board", 60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    cycle(&w).await;

    // Someone renames "Voting Status" in Notion.
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting Status": {"name": "Election state"}}}),
        )
        .unwrap();
    w.advance(secs(60));
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(report.counts.written, 1, "{report:?}");
    let page = w.emu.page(demo::BOARD_PRESIDENT).unwrap();
    assert_eq!(
        page["properties"]["Election state"]["status"]["name"], "In Voting",
        "{page}"
    );
    // The link now names the property as Notion does, so people see the current name.
    let record = w.election(&election);
    let link = record.link().unwrap();
    assert_eq!(link.mapping.status.property.name, "Election state");
    assert_eq!(record.state().notion_last_sync_error, None);
}

#[tokio::test]
async fn the_voting_window_is_written_and_follows_an_edit_of_close_at() {
    let w = World::new().await;
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting window": {"date": {}}}}),
        )
        .unwrap();
    let election = w.create_election("Board", 60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    // The admin maps the window (the API's mapping fields come with the links routes).
    let mut link = w.election(&election).link().cloned().unwrap();
    link.mapping.voting_window = Some(WindowMapping::Range {
        property: PropertyRef::named("Voting window"),
    });
    w.store.set_link(&election, &link, w.now()).unwrap();

    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    let window = |w: &World| {
        w.emu.page(demo::BOARD_PRESIDENT).unwrap()["properties"]["Voting window"]["date"].clone()
    };
    let stored = w.election(&election).election;
    let start: jiff::Timestamp = window(&w)["start"].as_str().unwrap().parse().unwrap();
    let end: jiff::Timestamp = window(&w)["end"].as_str().unwrap().parse().unwrap();
    assert_eq!((start, end), (stored.open_at, stored.close_at));

    // The close moves: the next cycle writes the new end.
    let later = stored.close_at + secs(3600);
    w.store
        .update_election(
            &election,
            &store::ElectionPatch {
                close_at: Some(later),
                ..Default::default()
            },
            w.now(),
        )
        .unwrap();
    w.advance(secs(60));
    let report = cycle(&w).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    let end: jiff::Timestamp = window(&w)["end"].as_str().unwrap().parse().unwrap();
    assert_eq!(end, later);

    // Nothing changes: no further write.
    w.advance(secs(120));
    let report = cycle(&w).await;
    assert_eq!(report.counts.written, 0, "{report:?}");
}
