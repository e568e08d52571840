//! Recording a cycle: one election the store refuses never fails its database's batch, and
//! pulled text with control characters never reaches the store.

use serde_json::json;
use sync_driver::CycleOptions;

use crate::common::*;

#[tokio::test]
async fn a_record_the_store_refuses_fails_only_its_election_and_is_recorded_on_it() {
    let w = World::new().await;
    let mut linked = Vec::new();
    for name in ["Alpha", "Bravo", "Charlie"] {
        let page = w.add_page(&format!("{name} in Notion"));
        let election = w.create_election(name, -60, 3600);
        w.link(&election, page).await;
        linked.push((election, page));
    }
    let refused = linked[1].0.clone();
    // A store failure that is hard to provoke otherwise: SQLite refuses Bravo's pulled title.
    let sqlite = rusqlite::Connection::open(w.db_path()).unwrap();
    sqlite
        .execute_batch(&format!(
            "CREATE TRIGGER refuse_bravo BEFORE UPDATE OF title ON elections \
             WHEN NEW.id = '{refused}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
        ))
        .unwrap();
    drop(sqlite);

    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    for (election, page) in [&linked[0], &linked[2]] {
        let stored = w.election(election);
        assert_eq!(w.status(*page).as_deref(), Some("In Voting"));
        assert!(stored.election.title.ends_with(" in Notion"), "{stored:?}");
        assert_eq!(stored.state().notion_last_sync_error, None);
        assert!(stored.state().notion_last_sync_at.is_some());
    }
    let stored = w.election(&refused);
    assert_eq!(stored.election.title, "Bravo");
    let error = stored
        .state()
        .notion_last_sync_error
        .expect("error recorded");
    assert!(
        error.contains("could not record the sync") && error.contains("refused by the test"),
        "{error}"
    );
    let run_error = report.error.expect("the run names the election");
    assert!(run_error.contains(refused.as_str()), "{run_error}");
    // The cursor was saved: the next cycle reads only changes.
    assert_eq!(w.store.list_cursors().unwrap().len(), 1);
}

#[tokio::test]
async fn a_nul_title_in_notion_keeps_ours_and_the_database_syncs() {
    let w = World::new().await;
    let odd_page = w.add_page("Odd");
    let fine_page = w.add_page("Fine in Notion");
    let odd = w.create_election("Odd election", -60, 3600);
    let fine = w.create_election("Fine", -60, 3600);
    w.link(&odd, odd_page).await;
    w.link(&fine, fine_page).await;
    w.emu
        .update_page_as_user(
            odd_page,
            json!({"Name": {"title": [{"text": {"content": " \u{0}"}}]},
                   "Description": {"rich_text": [{"text": {"content": "Line\u{0} one\nLine two"}}]}}),
        )
        .unwrap();
    let report = w
        .driver
        .run_cycle(w.now(), CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.error, None, "{report:?}");
    let odd = w.election(&odd);
    assert_eq!(odd.election.title, "Odd election");
    assert_eq!(odd.election.description, "Line one\nLine two");
    assert_eq!(odd.state().notion_last_sync_error, None);
    assert_eq!(w.status(odd_page).as_deref(), Some("In Voting"));
    let fine = w.election(&fine);
    assert_eq!(fine.election.title, "Fine in Notion");
    assert_eq!(w.status(fine_page).as_deref(), Some("In Voting"));
}
