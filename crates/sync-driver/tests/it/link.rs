//! Linking (SPEC §3): search, validation, link, unlink, manual sync.

use notion_emulator::demo;
use serde_json::json;
use sync_driver::{DriverError, LinkRequest};
use sync_engine::ElectionId;

use crate::common::*;

fn validation_message(result: Result<sync_driver::LinkOutcome, DriverError>) -> String {
    match result {
        Err(DriverError::Validation(message)) => message,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn link_stores_the_link_and_a_first_observation() {
    let w = World::new().await;
    let election = w.create_election("Board President", 3600, 7200);
    let outcome = w
        .driver
        .link(
            &election,
            LinkRequest {
                // Ids in the forms people paste: undashed and as a URL.
                database_id: demo::ELECTIONS_DB.simple().to_string(),
                page_id: format!(
                    "https://www.notion.so/acme/Board-President-2026-{}",
                    demo::BOARD_PRESIDENT.simple()
                ),
                ..LinkRequest::default()
            },
            w.now(),
        )
        .await
        .unwrap();
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    let link = outcome.record.link().unwrap();
    assert_eq!(link.notion_database_id, demo::ELECTIONS_DB.to_string());
    assert_eq!(link.notion_page_id, demo::BOARD_PRESIDENT.to_string());
    assert_eq!(link.mapping.status.property.name, "Voting Status");
    // Linking learnt every mapped property's id, so renames are followed from the start.
    for (role, property) in link.mapping.properties() {
        assert!(property.id.is_some(), "{role}: {property:?}");
    }
    assert!(link.notion_page_url.as_ref().unwrap().contains("notion"));
    let observation = outcome.record.state().last_observation.unwrap();
    let title = observation.value_of(&link.mapping, sync_engine::PropertyRole::Title);
    assert_eq!(
        title.and_then(sync_engine::ObservedValue::as_text),
        Some("Board President 2026")
    );
    assert_eq!(observation.status(&link.mapping), Some("Not started"));
    assert_eq!(
        observation
            .schema
            .resolve(&link.mapping.status.property)
            .unwrap()
            .options,
        ["Not started", "In Voting", "Done"]
    );

    // Re-linking replaces the link (and its sync state).
    let outcome = w
        .driver
        .link(
            &election,
            World::request(demo::ELECTIONS_DB, demo::BUDGET_REFERENDUM),
            w.now(),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.record.link().unwrap().notion_page_id,
        demo::BUDGET_REFERENDUM.to_string()
    );
}

#[tokio::test]
async fn link_refuses_what_it_cannot_sync_with_messages_that_say_what_to_fix() {
    let w = World::new().await;
    let election = w.create_election("Board President", 3600, 7200);
    let now = w.now();
    let link = |request: LinkRequest| w.driver.link(&election, request, now);

    // Unknown election: 404 before anything else.
    let missing = ElectionId::parse("elec_missing").unwrap();
    let result = w
        .driver
        .link(
            &missing,
            World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
            now,
        )
        .await;
    assert!(
        matches!(
            result,
            Err(DriverError::NotFound {
                what: "election",
                ..
            })
        ),
        "{result:?}"
    );

    // Not an id.
    let result = link(LinkRequest {
        page_id: "nope".into(),
        ..World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT)
    })
    .await;
    assert!(
        matches!(
            result,
            Err(DriverError::InvalidInput {
                field: "page_id",
                ..
            })
        ),
        "{result:?}"
    );

    // Not allowlisted: 403 naming the allowlist.
    let error = link(World::request(demo::PRIVATE_DB, demo::PRIVATE_PAGE_ROW))
        .await
        .unwrap_err();
    assert!(matches!(error, DriverError::NotAllowlisted { .. }));
    assert!(
        error
            .to_string()
            .contains("Elections (d0000000-0000-4000-8000-000000000001)")
    );

    // Not shared with the integration: Notion says 404; we say how to share.
    let message =
        validation_message(link(World::request(demo::ELECTIONS_DB, demo::PRIVATE_PAGE_ROW)).await);
    assert!(
        message.contains("not shared with the integration"),
        "{message}"
    );
    assert!(message.contains("Connections"), "{message}");

    // A page of another database.
    let message =
        validation_message(link(World::request(demo::ELECTIONS_DB, demo::LEGACY_PAGE)).await);
    assert!(
        message.contains("is not in the database 'Elections'"),
        "{message}"
    );

    // The status property is missing, or not a Status.
    let message = validation_message(
        link(LinkRequest {
            status_property_name: Some("Stage".into()),
            ..World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT)
        })
        .await,
    );
    assert!(
        message.starts_with("The property 'Stage' does not exist on this page"),
        "{message}"
    );
    let message = validation_message(
        link(LinkRequest {
            status_property_name: Some("Results Link".into()),
            ..World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT)
        })
        .await,
    );
    assert_eq!(
        message,
        "The property 'Results Link' is not a Status property"
    );

    // The demo "Legacy Elections" database has no "In Voting" option.
    let message =
        validation_message(link(World::request(demo::LEGACY_DB, demo::LEGACY_PAGE)).await);
    assert!(message.contains("has no 'In Voting' option"), "{message}");
    assert!(
        message.contains("API cannot create status options"),
        "{message}"
    );

    // Custom values: both required options missing are named.
    let message = validation_message(
        link(LinkRequest {
            status_value_in_voting: Some("Open".into()),
            status_value_done: Some("Closed".into()),
            ..World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT)
        })
        .await,
    );
    assert!(
        message.contains("has no 'Open' and 'Closed' options"),
        "{message}"
    );

    // The results property exists but is not a URL.
    let message = validation_message(
        link(LinkRequest {
            results_property_name: Some("Description".into()),
            ..World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT)
        })
        .await,
    );
    assert!(
        message.contains("'Description' is not a URL property"),
        "{message}"
    );

    // A page in the trash.
    w.emu.trash_page(demo::AGM_MOTIONS).unwrap();
    let message =
        validation_message(link(World::request(demo::ELECTIONS_DB, demo::AGM_MOTIONS)).await);
    assert!(message.contains("trash"), "{message}");

    // Nothing was stored by any refused link.
    assert!(w.election(&election).link().is_none());
}

#[tokio::test]
async fn optional_parts_missing_link_with_warnings() {
    let w = World::new().await;
    let election = w.create_election("Board President", 3600, 7200);
    let outcome = w
        .driver
        .link(
            &election,
            LinkRequest {
                status_value_not_started: Some("Upcoming".into()),
                results_property_name: Some("Results".into()),
                ..World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT)
            },
            w.now(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.warnings.len(), 2, "{:?}", outcome.warnings);
    assert!(outcome.warnings[0].contains("no 'Upcoming' option"));
    assert!(outcome.warnings[1].contains("no 'Results' property"));
    assert!(outcome.record.link().is_some());
}

#[tokio::test]
async fn validate_page_reports_instead_of_failing() {
    let w = World::new().await;
    let page = id(demo::BOARD_PRESIDENT);
    let valid = w.driver.validate_page(&page, None).await.unwrap();
    assert!(valid.valid, "{valid:?}");
    assert_eq!(valid.error, None);

    let wrong = w
        .driver
        .validate_page(&page, Some("Results Link"))
        .await
        .unwrap();
    assert!(!wrong.valid);
    assert_eq!(
        wrong.error.as_deref(),
        Some("The property 'Results Link' is not a Status property")
    );

    let legacy = w
        .driver
        .validate_page(&id(demo::LEGACY_PAGE), Some("Voting Status"))
        .await
        .unwrap();
    assert!(!legacy.valid);
    assert!(legacy.error.unwrap().contains("'In Voting'"));

    let unshared = w
        .driver
        .validate_page(&id(demo::PRIVATE_PAGE_ROW), None)
        .await
        .unwrap();
    assert!(!unshared.valid);
    assert!(unshared.error.unwrap().contains("not shared"));

    // A page that is not a database row.
    let root = w
        .driver
        .validate_page(&id(demo::ROOT_PAGE), None)
        .await
        .unwrap();
    assert!(!root.valid);
    assert!(root.error.unwrap().contains("not a row of a database"));
}

#[tokio::test]
async fn search_is_case_insensitive_and_paginates_by_20() {
    let w = World::new().await;
    for n in 0..25 {
        w.add_page(&format!("Ward {n} Council"));
    }
    let db = id(demo::ELECTIONS_DB);
    let first = w.driver.search_pages(&db, "WARD", None).await.unwrap();
    assert_eq!(first.pages.len(), 20);
    assert!(first.pages.iter().all(|p| p.title.contains("Ward")));
    let cursor = first.next_cursor.expect("a second page");
    let second = w
        .driver
        .search_pages(&db, "ward", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.pages.len(), 5);
    assert_eq!(second.next_cursor, None);
    let mut all: Vec<_> = first
        .pages
        .iter()
        .chain(&second.pages)
        .map(|p| p.id)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 25);

    let budget = w.driver.search_pages(&db, "budget", None).await.unwrap();
    assert_eq!(budget.pages.len(), 1);
    assert_eq!(budget.pages[0].id, id(demo::BUDGET_REFERENDUM));
    assert_eq!(budget.pages[0].title, "Budget Referendum");

    let refused = w
        .driver
        .search_pages(&id(demo::PRIVATE_DB), "", None)
        .await
        .unwrap_err();
    assert!(matches!(refused, DriverError::NotAllowlisted { .. }));
}

#[tokio::test]
async fn unlink_clears_the_link_without_touching_notion() {
    let w = World::new().await;
    let election = w.create_election("Board President", 3600, 7200);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    w.emu.reset_counts();
    let record = w.driver.unlink(&election, w.now()).await.unwrap();
    assert!(record.link().is_none());
    assert_eq!(w.emu.request_counts().total(), 0);
    let missing = ElectionId::parse("elec_missing").unwrap();
    assert!(matches!(
        w.driver.unlink(&missing, w.now()).await,
        Err(DriverError::NotFound { .. })
    ));
    assert!(matches!(
        w.driver.sync_now(&election, w.now()).await,
        Err(DriverError::NotLinked(_))
    ));
}

#[tokio::test]
async fn sync_now_writes_status_and_link_and_pulls_the_title() {
    let w = World::new().await;
    // Open now: voting started a minute ago.
    let election = w.create_election("Board", -60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    w.emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Description": {"rich_text": [
                {"text": {"content": "Elect the "}},
                {"text": {"content": "president"}, "annotations": {"bold": true}}
            ]}}),
        )
        .unwrap();
    let sync = w.driver.sync_now(&election, w.now()).await.unwrap();
    assert_eq!(sync.written.status.as_deref(), Some("In Voting"));
    let results = format!("{BASE_URL}/e/{election}/results");
    assert_eq!(sync.written.results_link.as_deref(), Some(results.as_str()));
    assert_eq!(sync.synced.title.as_deref(), Some("Board President 2026"));
    assert_eq!(
        sync.synced.description.as_deref(),
        Some("Elect the president")
    );
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    assert_eq!(w.results_link(demo::BOARD_PRESIDENT), Some(results));
    let stored = w.election(&election);
    assert_eq!(stored.election.title, "Board President 2026");
    assert_eq!(stored.election.description, "Elect the president");
    assert_eq!(stored.state().notion_last_sync_at, Some(w.now()));
    assert_eq!(sync.election, stored);
    let runs = w.store.list_runs(&store::ListRequest::first(10)).unwrap();
    assert_eq!(runs.items.len(), 1);
    assert_eq!(runs.items[0].trigger, sync_engine::Trigger::Manual);
    assert_eq!(runs.items[0].counts.written, 1);

    // Again: nothing differs, nothing written.
    w.emu.reset_counts();
    let again = w.driver.sync_now(&election, w.now()).await.unwrap();
    assert_eq!(again.written, Default::default());
    assert_eq!(w.served(PATCH_PAGE), 0);
}

#[tokio::test]
async fn sync_now_reports_a_missing_status_option_and_records_it() {
    let w = World::new().await;
    let election = w.create_election("Board", -60, 3600);
    w.link(&election, demo::BOARD_PRESIDENT).await;
    // Someone removes the "In Voting" option in Notion after the link.
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
    let error = w.driver.sync_now(&election, w.now()).await.unwrap_err();
    let DriverError::Validation(message) = error else {
        panic!("{error:?}")
    };
    assert!(message.contains("no option 'In Voting'"), "{message}");
    let stored = w.election(&election);
    assert_eq!(
        stored.state().notion_last_sync_error.as_deref(),
        Some(message.as_str())
    );
    assert_eq!(
        stored.state().error_class,
        Some(sync_engine::ErrorClass::Permanent)
    );
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );
}
