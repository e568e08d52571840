//! A page write Notion applied whose answer never arrived (the connection dropped after Notion
//! saved it): impossible to provoke on demand over HTTP, so the driver's Notion operations are a
//! `mockall` mock here, over a real store file. The sync must record a transient failure (not
//! a broken link), and the next sync must see the write in Notion and not send it again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures::stream::BoxStream;
use notion_client::{
    DataSource, ListResponse, NotionClient, NotionError, NotionId, Page, Priority, PropertyValue,
    Query, QueryAllReport, decode_json,
};
use store::{NewElection, SqliteStore};
use sync_driver::{
    Allowlist, Connection, Connections, DriverConfig, DriverError, NotionOperations, SyncDriver,
};
use sync_engine::{ErrorClass, NotionLink};

use crate::common::{BASE_URL, secs, t0};

mockall::mock! {
    Notion {}

    #[async_trait]
    impl NotionOperations for Notion {
        async fn retrieve_page(
            &self,
            page_id: NotionId,
            filter_properties: Vec<String>,
        ) -> Result<Page, NotionError>;
        async fn update_page_properties(
            &self,
            page_id: NotionId,
            properties: Vec<(String, PropertyValue)>,
            priority: Priority,
        ) -> Result<Page, NotionError>;
        async fn retrieve_database_schema(
            &self,
            database_id: NotionId,
        ) -> Result<DataSource, NotionError>;
        async fn resolve_data_source(&self, database_id: NotionId) -> Result<NotionId, NotionError>;
        async fn retrieve_data_source(
            &self,
            data_source_id: NotionId,
        ) -> Result<DataSource, NotionError>;
        async fn create_page(&self, request: &notion_client::CreatePage) -> Result<Page, NotionError>;
        async fn trash_page(&self, page_id: NotionId) -> Result<Page, NotionError>;
        async fn query_database(
            &self,
            database_id: NotionId,
            query: &Query,
        ) -> Result<ListResponse<Page>, NotionError>;
        fn query_all_reporting(
            &self,
            data_source_id: NotionId,
            query: Query,
            report: QueryAllReport,
        ) -> BoxStream<'static, Result<Page, NotionError>>;
    }
}

const DATABASE: &str = "d0000000-0000-4000-8000-000000000001";
const PAGE_ID: &str = "e0000000-0000-4000-8000-000000000001";

/// The linked page as the 2025-09-03 API returns it, with `status` and `results` as its values.
fn page(status: &str, results: Option<&str>) -> Page {
    let json = serde_json::json!({
      "object": "page", "id": PAGE_ID,
      "created_time": "2026-01-05T09:00:00.000Z", "last_edited_time": "2026-03-01T08:00:00.000Z",
      "parent": {"type": "data_source_id", "data_source_id": "d5000000-0000-4000-8000-000000000001",
                 "database_id": DATABASE},
      "in_trash": false, "archived": false, "is_locked": false,
      "url": "https://app.notion.com/p/e0000000000040008000000000000001", "public_url": null,
      "properties": {
        "Name": {"id": "title", "type": "title", "title": [
          {"type": "text", "text": {"content": "Board", "link": null}, "plain_text": "Board", "href": null,
           "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}}]},
        "Description": {"id": "desc", "type": "rich_text", "rich_text": []},
        "Voting Status": {"id": "v%3Ast", "type": "status", "status": {"id": "o", "name": status, "color": "default"}},
        "Results Link": {"id": "link", "type": "url", "url": results}
      }
    });
    decode_json(json.to_string().as_bytes()).unwrap()
}

fn schema() -> DataSource {
    let json = serde_json::json!({
      "object": "data_source", "id": "d5000000-0000-4000-8000-000000000001",
      "title": [{"type": "text", "text": {"content": "Elections", "link": null}, "plain_text": "Elections", "href": null,
                 "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}}],
      "description": [],
      "parent": {"type": "database_id", "database_id": DATABASE},
      "properties": {
        "Name": {"id": "title", "name": "Name", "description": null, "type": "title", "title": {}},
        "Description": {"id": "desc", "name": "Description", "description": null, "type": "rich_text", "rich_text": {}},
        "Voting Status": {"id": "v%3Ast", "name": "Voting Status", "description": null, "type": "status",
          "status": {"options": [
            {"id": "o1", "name": "Not started", "color": "default", "description": null},
            {"id": "o2", "name": "In Voting", "color": "blue", "description": null},
            {"id": "o3", "name": "Done", "color": "green", "description": null}],
           "groups": []}},
        "Results Link": {"id": "link", "name": "Results Link", "description": null, "type": "url", "url": {}}
      }
    });
    decode_json(json.to_string().as_bytes()).unwrap()
}

fn lost_answer() -> NotionError {
    NotionError::transport(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset by peer after the request was sent",
    ))
}

#[tokio::test]
async fn a_write_whose_answer_was_lost_is_a_transient_failure_and_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("sync.sqlite3")).unwrap());
    let now = t0();
    let election = store
        .create_election(
            NewElection {
                id: None,
                title: "Board".into(),
                description: String::new(),
                open_at: now - secs(60),
                close_at: now + secs(3600),
            },
            now,
        )
        .unwrap()
        .election
        .id;
    store
        .set_link(&election, &NotionLink::new(DATABASE, PAGE_ID), now)
        .unwrap();
    let results = format!("{BASE_URL}/e/{election}/results");

    // Notion's side: the write is applied, and from then on the page reads as written.
    let applied = Arc::new(AtomicBool::new(false));
    let mut notion = MockNotion::new();
    let seen = Arc::clone(&applied);
    let link = results.clone();
    notion.expect_retrieve_page().returning(move |_, _| {
        Ok(if seen.load(Ordering::SeqCst) {
            page("In Voting", Some(&link))
        } else {
            page("Not started", None)
        })
    });
    notion
        .expect_retrieve_database_schema()
        .returning(|_| Ok(schema()));
    let saved = Arc::clone(&applied);
    let expected = results.clone();
    notion
        .expect_update_page_properties()
        .times(1)
        .returning(move |id, properties, priority| {
            assert_eq!(id, NotionId::parse(PAGE_ID).unwrap());
            assert_eq!(
                priority,
                Priority::Phase,
                "a phase change is the most urgent write"
            );
            let names: Vec<_> = properties.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["v%3Ast", "link"], "written by property id");
            assert_eq!(properties[1].1, PropertyValue::url(Some(expected.clone())));
            saved.store(true, Ordering::SeqCst);
            Err(lost_answer())
        });

    // The client is never asked for anything: it only brings the connection's pacer.
    let client = NotionClient::builder()
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let connection =
        Connection::new(client, Allowlist::default()).with_operations(Arc::new(notion));
    let driver = SyncDriver::with_connections(
        store.clone(),
        Connections::new(connection),
        DriverConfig::new(BASE_URL, Allowlist::default()),
    );

    let first = driver.sync_now(&election, now).await;
    assert!(
        matches!(&first, Err(DriverError::Notion(error)) if error.to_string().contains("connection reset")),
        "{first:?}"
    );
    let state = store.get_election(&election).unwrap().state();
    assert_eq!(state.consecutive_failures, 1);
    assert_eq!(state.error_class, Some(ErrorClass::Transient));
    assert!(!state.link_broken, "a lost answer is not a broken link");
    assert_eq!(
        state.notion_last_sync_at, None,
        "the write is not taken as done"
    );
    assert_eq!(
        state
            .last_observation
            .as_ref()
            .and_then(|o| o.status(&NotionLink::new(DATABASE, PAGE_ID).mapping)),
        Some("Not started"),
        "what the page held when it was read, not what the write meant it to hold"
    );

    // The next sync reads the page, finds the write there, and records success without a
    // second write (the mock allows one).
    let later = now + secs(60);
    let second = driver.sync_now(&election, later).await.unwrap();
    assert_eq!(second.written.status, None, "{second:?}");
    assert_eq!(second.written.results_link, None);
    assert!(second.plan.page_write.is_none());
    let state = store.get_election(&election).unwrap().state();
    assert_eq!(state.consecutive_failures, 0);
    assert_eq!(state.notion_last_sync_error, None);
    assert_eq!(state.notion_last_sync_at, Some(later));
    assert_eq!(
        state
            .last_observation
            .as_ref()
            .and_then(|o| o.status(&NotionLink::new(DATABASE, PAGE_ID).mapping)),
        Some("In Voting")
    );
}
