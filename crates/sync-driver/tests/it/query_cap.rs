//! Notion's per-query result cap when no `created_time` window can narrow the query (more pages
//! than the cap created in one minute, as after a CSV import): the linked pages the capped query
//! did not return are read one by one, and no election fails.

use notion_emulator::EmulatorConfig;
use serde_json::json;
use sync_driver::CycleOptions;

use crate::common::*;

#[tokio::test]
async fn more_pages_than_the_cap_in_one_minute_are_read_one_by_one_and_no_election_fails() {
    // The emulator's clock is frozen: all 120 rows share one creation minute; the cap is 50.
    let w = World::with(EmulatorConfig::default().with_query_result_cap(50)).await;
    let mut linked = Vec::new();
    for i in 0..120 {
        let page = w.add_page(&format!("Row {i}"));
        let election = w.create_election(&format!("Row {i}"), 3600, 7200);
        w.link(&election, page).await;
        linked.push((election, page));
    }
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.error, None, "{:?}", report.counts);
    assert_eq!(report.counts.failed, 0, "{:?}", report.counts);

    // A bulk edit: every linked row is retitled in Notion.
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
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.error, None, "{:?}", report.counts);
    assert_eq!(report.counts.failed, 0, "{:?}", report.counts);
    assert_eq!(report.counts.pulled, 120, "{:?}", report.counts);
    for (i, (election, _)) in linked.iter().enumerate() {
        let record = w.election(election);
        assert_eq!(record.election.title, format!("Retitled {i}"));
        assert_eq!(record.state().notion_last_sync_error, None);
    }
    // 50 came with the capped query (one continuation from the same minute returns nothing
    // new), the other 70 were read alone.
    assert_eq!(w.served(GET_PAGE), 70);
    let logs = w.store.get_run(report.run_id.unwrap()).unwrap().logs;
    let summary = logs
        .iter()
        .find(|l| l.entry.action == store::LogAction::Read)
        .unwrap();
    let cap = &summary.entry.detail.as_ref().unwrap()["query_cap"];
    assert!(cap["unnarrowable_at"].is_string(), "{cap}");
    assert_eq!(cap["left_out_read_alone"], true, "{cap}");

    // A reconcile reads them all too.
    w.advance(secs(61));
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "{:?}", report.counts);
    // The demo database's 3 other rows come too: 50 with the query, the rest read alone.
    assert_eq!(report.counts.read, 123, "{:?}", report.counts);
}
