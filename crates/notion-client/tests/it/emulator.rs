//! The real client against the in-process Notion emulator over HTTP: every endpoint family, on
//! both API versions where they differ, Notion's errors, rate limiting and injected faults.
//!
//! Each test starts its own emulator (faults and counters are per emulator). The emulator clock
//! is frozen at [`T0`] unless a test needs it running; waits for `Retry-After` are about 1 s.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use jiff::{SignedDuration, Timestamp};
use notion_client::{
    CommentParent, CreateDatabase, CreatePage, DateCondition, DateValue, Direction, ErrorKind,
    Filter, NotionClient, NotionError, NotionId, NotionVersion, OAuthCredentials, OptionCondition,
    Pacer, PageParent, Parent, PropertyValue, Query, SearchObject, SearchRequest, SearchResult,
    SecretString, Sort, TextCondition, TimestampKind, plain_text, rich_text_from_str,
};
use notion_emulator::{
    Clock, Emulator, EmulatorConfig, Fault, FaultRule, RateLimit, Workspace, demo,
};
use serde_json::{Value, json};
use uuid::Uuid;

const T0: &str = "2026-05-01T10:00:30Z";
const V2025: NotionVersion = NotionVersion::V2025_09_03;
const LEGACY: NotionVersion = NotionVersion::V2022_06_28;

fn t0() -> Timestamp {
    T0.parse().unwrap()
}

fn nid(id: Uuid) -> NotionId {
    NotionId::from_bytes(*id.as_bytes())
}

/// The demo workspace, clock frozen at `T0`, no rate limit.
async fn emulator() -> Emulator {
    emulator_with(
        EmulatorConfig::default()
            .with_workspace(Workspace::demo())
            .with_clock(Clock::frozen_at(t0()))
            .without_rate_limit(),
    )
    .await
}

async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

fn builder(
    emu: &Emulator,
    version: NotionVersion,
    token: &str,
) -> notion_client::NotionClientBuilder {
    NotionClient::builder()
        .token(SecretString::from(token.to_owned()))
        .base_url(emu.base_url())
        .notion_version(version)
        .max_requests_per_second(1000.0)
        .burst(50)
        .base_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(10))
        .max_retry_wait(Duration::from_secs(5))
        .jitter(|| 0.5)
}

fn client(emu: &Emulator, version: NotionVersion) -> NotionClient {
    builder(emu, version, &emu.demo_token()).build().unwrap()
}

fn client_with_token(emu: &Emulator, version: NotionVersion, token: &str) -> NotionClient {
    builder(emu, version, token).build().unwrap()
}

/// The client's counters equal the emulator's, as `(method, route, status) → count`.
fn assert_counts_match(client: &NotionClient, emu: &Emulator) {
    assert_all_counts_match(&[client], emu);
}

/// The counters of several clients (separate tokens) add up to the emulator's.
fn assert_all_counts_match(clients: &[&NotionClient], emu: &Emulator) {
    let mut ours: BTreeMap<(String, String, u16), u64> = BTreeMap::new();
    for client in clients {
        for (k, n) in client.stats().by_endpoint {
            *ours
                .entry((k.method.to_owned(), k.path.to_owned(), k.status))
                .or_default() += n;
        }
    }
    let theirs: BTreeMap<(String, String, u16), u64> = emu
        .request_counts()
        .counts
        .into_iter()
        .map(|c| ((c.method, c.route, c.status), c.count))
        .collect();
    assert_eq!(ours, theirs, "client stats vs emulator counters");
    let sent: u64 = clients.iter().map(|c| c.stats().requests).sum();
    assert_eq!(sent, emu.request_counts().total());
}

/// Where the Elections rows live for a version (data source on 2025-09-03, database on 2022-06-28).
fn elections(version: NotionVersion) -> NotionId {
    if version.is_legacy() {
        nid(demo::ELECTIONS_DB)
    } else {
        nid(demo::ELECTIONS_DS)
    }
}

fn row_parent(version: NotionVersion) -> PageParent {
    if version.is_legacy() {
        PageParent::Database(nid(demo::ELECTIONS_DB))
    } else {
        PageParent::DataSource(nid(demo::ELECTIONS_DS))
    }
}

fn titles(pages: &[notion_client::Page]) -> Vec<String> {
    pages.iter().map(notion_client::Page::title).collect()
}

fn schema(props: Value) -> serde_json::Map<String, Value> {
    props.as_object().cloned().unwrap()
}

async fn create_row(
    client: &NotionClient,
    version: NotionVersion,
    title: &str,
) -> notion_client::Page {
    client
        .create_page(
            &CreatePage::new(row_parent(version))
                .property("Name", PropertyValue::title(title).unwrap())
                .property("Voting Status", PropertyValue::status_name("Not started")),
        )
        .await
        .unwrap()
}

// ----- pages -----

async fn pages_round_trip(version: NotionVersion) {
    let emu = emulator().await;
    let client = client(&emu, version);

    // filter_properties by id (URL-encoded as Notion returns it) and by name.
    let page = client
        .retrieve_page(
            nid(demo::BUDGET_REFERENDUM),
            &[demo::PROP_VOTING_STATUS, "Name"],
        )
        .await
        .unwrap();
    assert_eq!(
        page.properties.keys().collect::<Vec<_>>(),
        ["Name", "Voting Status"]
    );
    assert_eq!(page.title(), "Budget Referendum");
    assert_eq!(
        page.property("Voting Status").unwrap().as_status_name(),
        Some("In Voting")
    );
    assert_eq!(page.parent.database_id(), Some(nid(demo::ELECTIONS_DB)));

    // Create a row in Elections.
    let created = create_row(&client, version, "Mayor 2026").await;
    assert_eq!(created.title(), "Mayor 2026");
    assert_eq!(
        created.created_time,
        "2026-05-01T10:00:00Z".parse().unwrap()
    );
    match (&created.parent, version.is_legacy()) {
        (Parent::DatabaseId { database_id }, true) => {
            assert_eq!(*database_id, nid(demo::ELECTIONS_DB));
        }
        (
            Parent::DataSourceId {
                data_source_id,
                database_id,
            },
            false,
        ) => {
            assert_eq!(*data_source_id, nid(demo::ELECTIONS_DS));
            assert_eq!(*database_id, Some(nid(demo::ELECTIONS_DB)));
        }
        (other, _) => panic!("unexpected parent {other:?} on {version}"),
    }

    // Update: status by name, url, title, and a rich text longer than one 2000-character item.
    let long: String = (0..4500)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let updated = client
        .update_page_properties(
            created.id,
            [
                ("Voting Status", PropertyValue::status_name("In Voting")),
                (
                    "Results Link",
                    PropertyValue::url(Some("https://vote.example/e/1/results")),
                ),
                ("Name", PropertyValue::title("Mayor 2026 (runoff)").unwrap()),
                ("Description", PropertyValue::rich_text(&long).unwrap()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        updated.property("Voting Status").unwrap().as_status_name(),
        Some("In Voting")
    );
    assert_eq!(
        updated.property("Results Link").unwrap().as_url(),
        Some("https://vote.example/e/1/results")
    );
    assert_eq!(updated.title(), "Mayor 2026 (runoff)");
    let stored = emu
        .page_property(Uuid::from_bytes(*created.id.as_bytes()), "Description")
        .unwrap();
    assert_eq!(
        stored["rich_text"].as_array().unwrap().len(),
        3,
        "split in 3 items"
    );
    let read = client.retrieve_page(created.id, &[]).await.unwrap();
    assert_eq!(
        read.property("Description")
            .unwrap()
            .as_plain_text()
            .as_deref(),
        Some(long.as_str())
    );

    // Property items: the paginated kinds come back whole and joined.
    let description = client
        .retrieve_page_property_item(created.id, demo::PROP_DESCRIPTION)
        .await
        .unwrap();
    match &description {
        PropertyValue::RichText(items) => {
            assert_eq!(items.len(), 3);
            assert_eq!(plain_text(items), long);
        }
        other => panic!("rich text expected, got {other:?}"),
    }
    let title = client
        .retrieve_page_property_item(created.id, "title")
        .await
        .unwrap();
    assert_eq!(
        title.as_plain_text().as_deref(),
        Some("Mayor 2026 (runoff)")
    );
    let status = client
        .retrieve_page_property_item(created.id, demo::PROP_VOTING_STATUS)
        .await
        .unwrap();
    assert_eq!(status.as_status_name(), Some("In Voting"));

    // Trash and restore: a trashed row drops out of queries.
    let trashed = client.trash_page(created.id).await.unwrap();
    assert!(trashed.is_trashed());
    let rows: Vec<_> = client
        .query_data_source_stream(elections(version), Query::new())
        .try_collect()
        .await
        .unwrap();
    assert!(!rows.iter().any(|p| p.id == created.id));
    let restored = client.restore_page(created.id).await.unwrap();
    assert!(!restored.is_trashed());
    let rows: Vec<_> = client
        .query_data_source_stream(elections(version), Query::new())
        .try_collect()
        .await
        .unwrap();
    assert!(rows.iter().any(|p| p.id == created.id));

    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn pages_round_trip_2025() {
    pages_round_trip(V2025).await;
}

#[tokio::test]
async fn pages_round_trip_2022() {
    pages_round_trip(LEGACY).await;
}

/// A relation longer than a page response carries: 230 related pages, set by a person in the UI
/// (the API takes at most 100 per request), read back whole and in order through the property item
/// endpoint in three requests of 100, while the page response says it was cut at 25.
async fn long_relation_reads_whole(version: NotionVersion) {
    const ITEM_ROUTE: &str = "GET /v1/pages/{page_id}/properties/{property_id}";
    let emu = emulator().await;
    emu.update_data_source_as_user(
        demo::ELECTIONS_DS,
        json!({"properties": {"Related": {"relation": {
            "data_source_id": demo::ELECTIONS_DS.to_string(), "type": "single_property", "single_property": {}
        }}}}),
    )
    .unwrap();
    let related: Vec<Uuid> = (0..230)
        .map(|i| {
            emu.create_page_as_user(
                demo::ELECTIONS_DS,
                json!({"Name": {"title": [{"text": {"content": format!("Candidate {i}")}}]}}),
            )
            .unwrap()
        })
        .collect();
    let relation_json: Vec<Value> = related.iter().map(|id| json!({"id": id})).collect();
    emu.update_page_as_user(
        demo::BOARD_PRESIDENT,
        json!({"Related": {"relation": relation_json}}),
    )
    .unwrap();
    let want: Vec<NotionId> = related.iter().copied().map(nid).collect();
    let client = client(&emu, version);

    let page = client
        .retrieve_page(nid(demo::BOARD_PRESIDENT), &[])
        .await
        .unwrap();
    let prop = page.property("Related").expect("relation property");
    assert!(prop.is_truncated(), "230 relations exceed a page response");
    assert_eq!(prop.as_relation_ids().unwrap(), want[..25]);
    let untouched = page.property("Voting Status").unwrap();
    assert!(!untouched.is_truncated());

    // The id comes back URL-encoded; passed back as-is.
    let whole = client
        .retrieve_page_property_item(nid(demo::BOARD_PRESIDENT), &prop.id)
        .await
        .unwrap();
    assert_eq!(whole.as_relation_ids().unwrap(), want);
    assert_eq!(emu.request_counts().get(ITEM_ROUTE, 200), 3);

    // Query results carry the same cut value.
    let rows: Vec<_> = client
        .query_data_source_stream(elections(version), Query::new())
        .try_collect()
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|p| p.id == nid(demo::BOARD_PRESIDENT))
        .unwrap();
    assert!(row.property("Related").unwrap().is_truncated());

    // Through the API, a write is held to 100 related pages; Notion's error comes through.
    let err = client
        .update_page_properties(
            nid(demo::BUDGET_REFERENDUM),
            [("Related", PropertyValue::relation(want[..101].to_vec()))],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("validation_error"));
    let written = client
        .update_page_properties(
            nid(demo::BUDGET_REFERENDUM),
            [("Related", PropertyValue::relation(want[..100].to_vec()))],
        )
        .await
        .unwrap();
    assert!(written.property("Related").unwrap().is_truncated());
    assert_counts_match(&client, &emu);
}

#[tokio::test]
async fn long_relation_reads_whole_2025() {
    long_relation_reads_whole(V2025).await;
}

#[tokio::test]
async fn long_relation_reads_whole_2022() {
    long_relation_reads_whole(LEGACY).await;
}

// ----- databases and data sources -----

async fn databases_and_schemas(version: NotionVersion) {
    let emu = emulator().await;
    let client = client(&emu, version);
    let db_id = nid(demo::ELECTIONS_DB);

    let db = client.retrieve_database(db_id).await.unwrap();
    assert_eq!(db.title_text(), "Elections");
    if version.is_legacy() {
        assert!(db.data_sources.is_empty());
        assert!(db.properties["Voting Status"].has_option("In Voting"));
    } else {
        assert_eq!(db.data_sources.len(), 1);
        assert_eq!(db.data_sources[0].id, nid(demo::ELECTIONS_DS));
        assert!(db.properties.is_empty(), "schema lives on the data source");
    }

    // Resolution is cached: the second call sends nothing.
    let before = emu.request_counts().total();
    let ds = client.resolve_data_source(db_id).await.unwrap();
    assert_eq!(ds, elections(version));
    client.resolve_data_source(db_id).await.unwrap();
    let sent = emu.request_counts().total() - before;
    assert_eq!(sent, u64::from(!version.is_legacy()));

    let source = client.retrieve_data_source(ds).await.unwrap();
    assert_eq!(source.id, ds);
    assert_eq!(source.database_id(), Some(db_id));
    let status = source.property("Voting Status").unwrap();
    assert_eq!(status.id, demo::PROP_VOTING_STATUS);
    assert_eq!(status.option_names(), ["Not started", "In Voting", "Done"]);
    assert_eq!(
        status
            .groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["To-do", "In progress", "Complete"]
    );

    let schema_of_db = client.retrieve_database_schema(db_id).await.unwrap();
    assert_eq!(schema_of_db.id, ds);
    assert_eq!(schema_of_db.property("link").unwrap().property_type, "url");

    // Add a property; the schema read back has it.
    let changed = client
        .update_data_source_schema(ds, schema(json!({"Turnout": {"number": {}}})))
        .await
        .unwrap();
    assert_eq!(changed.property("Turnout").unwrap().property_type, "number");
    let reread = client.retrieve_database_schema(db_id).await.unwrap();
    assert!(reread.property("Turnout").is_some());
    assert!(reread.property("Voting Status").is_some(), "others kept");

    // Create a database, then a row in it through its resolved data source.
    let created = client
        .create_database(&CreateDatabase::new(
            nid(demo::ROOT_PAGE),
            rich_text_from_str("Council Elections").unwrap(),
            schema(json!({
                "Name": {"title": {}},
                "Voting Status": {"status": {}},
                "Results Link": {"url": {}}
            })),
        ))
        .await
        .unwrap();
    assert_eq!(created.title_text(), "Council Elections");
    assert_eq!(
        created.parent.as_ref().and_then(Parent::page_id),
        Some(nid(demo::ROOT_PAGE))
    );
    if version.is_legacy() {
        assert!(created.properties.contains_key("Results Link"));
    } else {
        assert_eq!(created.data_sources.len(), 1);
    }
    let new_ds = client.resolve_data_source(created.id).await.unwrap();
    let new_schema = client.retrieve_database_schema(created.id).await.unwrap();
    assert_eq!(new_schema.id, new_ds);
    assert_eq!(
        new_schema.property("Voting Status").unwrap().property_type,
        "status"
    );
    let parent = if version.is_legacy() {
        PageParent::Database(created.id)
    } else {
        PageParent::DataSource(new_ds)
    };
    let row = client
        .create_page(
            &CreatePage::new(parent).property("Name", PropertyValue::title("Ward 1").unwrap()),
        )
        .await
        .unwrap();
    let rows: Vec<_> = client
        .query_database_stream(created.id, Query::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(titles(&rows), ["Ward 1"]);
    assert_eq!(rows[0].id, row.id);

    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn databases_and_schemas_2025() {
    databases_and_schemas(V2025).await;
}

#[tokio::test]
async fn databases_and_schemas_2022() {
    databases_and_schemas(LEGACY).await;
}

// ----- queries -----

async fn typed_queries(version: NotionVersion) {
    let emu = emulator().await;
    let client = client(&emu, version);
    let db = nid(demo::ELECTIONS_DB);
    let ds = client.resolve_data_source(db).await.unwrap();
    client
        .update_data_source_schema(
            ds,
            schema(json!({"Certified": {"checkbox": {}}, "Opens": {"date": {}}})),
        )
        .await
        .unwrap();
    let board = nid(demo::BOARD_PRESIDENT);
    let budget = nid(demo::BUDGET_REFERENDUM);
    let agm = nid(demo::AGM_MOTIONS);
    client
        .update_page_properties(
            board,
            [
                ("Certified", PropertyValue::checkbox(true)),
                (
                    "Opens",
                    PropertyValue::date(Some(DateValue::from_iso("2026-06-01"))),
                ),
            ],
        )
        .await
        .unwrap();
    client
        .update_page_properties(
            budget,
            [(
                "Opens",
                PropertyValue::date(Some(DateValue::from_iso("2026-05-10"))),
            )],
        )
        .await
        .unwrap();
    client
        .update_page_properties(agm, [("Certified", PropertyValue::checkbox(true))])
        .await
        .unwrap();
    // One edit an hour later, for the last_edited_time filter.
    // Notion rounds last_edited_time down to the minute: 11:00:30 is stored as 11:00.
    emu.clock().advance(SignedDuration::from_hours(1));
    let later: Timestamp = "2026-05-01T11:00:00Z".parse().unwrap();
    client
        .update_page_properties(
            agm,
            [(
                "Description",
                PropertyValue::rich_text("Final motions").unwrap(),
            )],
        )
        .await
        .unwrap();

    let run = |filter: Filter| {
        let client = client.clone();
        async move {
            let pages: Vec<_> = client
                .query_database_stream(
                    db,
                    Query::new().filter(filter).sort(Sort::timestamp(
                        TimestampKind::CreatedTime,
                        Direction::Ascending,
                    )),
                )
                .try_collect()
                .await
                .unwrap();
            pages.iter().map(|p| p.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        run(Filter::title(
            "Name",
            TextCondition::Contains("budget".into())
        ))
        .await,
        [budget]
    );
    assert_eq!(
        run(Filter::status(
            "Voting Status",
            OptionCondition::Equals("Done".into())
        ))
        .await,
        [agm]
    );
    assert_eq!(run(Filter::checkbox("Certified", true)).await, [board, agm]);
    assert_eq!(
        run(Filter::date(
            "Opens",
            DateCondition::OnOrAfter("2026-05-15".into())
        ))
        .await,
        [board]
    );
    assert_eq!(
        run(Filter::last_edited_time(DateCondition::on_or_after(later))).await,
        [agm]
    );
    assert_eq!(
        run(Filter::and(vec![
            Filter::checkbox("Certified", true),
            Filter::status(
                "Voting Status",
                OptionCondition::Equals("Not started".into())
            ),
        ]))
        .await,
        [board]
    );
    assert_eq!(
        run(Filter::or(vec![
            Filter::title("Name", TextCondition::StartsWith("Board".into())),
            Filter::status("Voting Status", OptionCondition::Equals("In Voting".into())),
        ]))
        .await,
        [board, budget]
    );

    // Sorts: by a property, and by a timestamp descending.
    let by_name: Vec<_> = client
        .query_database_stream(
            db,
            Query::new().sort(Sort::property("Name", Direction::Ascending)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        titles(&by_name),
        [
            "Annual General Meeting Motions",
            "Board President 2026",
            "Budget Referendum"
        ]
    );
    let newest_first: Vec<_> = client
        .query_database_stream(
            db,
            Query::new().sort(Sort::timestamp(
                TimestampKind::CreatedTime,
                Direction::Descending,
            )),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        newest_first.iter().map(|p| p.id).collect::<Vec<_>>(),
        [agm, budget, board]
    );

    // filter_properties on a query.
    let one = client
        .query_database(db, &Query::new().page_size(1).filter_properties(["title"]))
        .await
        .unwrap();
    assert_eq!(one.results.len(), 1);
    assert_eq!(
        one.results[0].properties.keys().collect::<Vec<_>>(),
        ["Name"]
    );
    assert!(one.has_more && one.next_cursor.is_some());

    // Several pages of results through the stream.
    for n in 0..4 {
        create_row(&client, version, &format!("Extra {n}")).await;
    }
    let before = emu.request_counts().total();
    let all: Vec<_> = client
        .query_database_stream(db, Query::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all.iter().map(|p| p.id).collect::<HashSet<_>>().len(), 7);
    assert_eq!(
        emu.request_counts().total() - before,
        4,
        "7 rows in pages of 2"
    );

    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn typed_queries_2025() {
    typed_queries(V2025).await;
}

#[tokio::test]
async fn typed_queries_2022() {
    typed_queries(LEGACY).await;
}

async fn query_all_past_the_cap(version: NotionVersion) {
    let emu = emulator().await;
    let client = client(&emu, version);
    let mut expected: HashSet<NotionId> = [
        demo::BOARD_PRESIDENT,
        demo::BUDGET_REFERENDUM,
        demo::AGM_MOTIONS,
    ]
    .into_iter()
    .map(nid)
    .collect();
    // Created a minute apart (Notion rounds created_time to the minute); the last two share one.
    for n in 0..9 {
        if n < 8 {
            emu.clock().advance(SignedDuration::from_mins(1));
        }
        expected.insert(create_row(&client, version, &format!("Row {n}")).await.id);
    }
    emu.set_query_result_cap(3);

    // A plain query yields the rows up to the cap, then says it was cut off (not a silent end).
    let items: Vec<_> = client
        .query_data_source_stream(elections(version), Query::new().page_size(2))
        .collect()
        .await;
    assert_eq!(items.len(), 4);
    assert!(items[..3].iter().all(Result::is_ok));
    let cut = items[3].as_ref().unwrap_err();
    assert!(
        cut.to_string().contains("query_result_limit_reached"),
        "{cut}"
    );
    // One page at a time, the capped page exposes the reason.
    let first = client
        .query_data_source(elections(version), &Query::new().page_size(3))
        .await
        .unwrap();
    assert_eq!(
        first.incomplete_reason(),
        Some("query_result_limit_reached")
    );
    assert!(!first.has_more);

    // query_all goes past it and returns every row exactly once.
    let all: Vec<_> = client
        .query_all(elections(version), Query::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<NotionId> = all.iter().map(|p| p.id).collect();
    assert_eq!(ids.len(), 12, "{:?}", titles(&all));
    assert_eq!(ids.iter().copied().collect::<HashSet<_>>(), expected);

    // With a filter of its own, ANDed with the window.
    let filtered: Vec<_> = client
        .query_all(
            elections(version),
            Query::new().page_size(2).filter(Filter::title(
                "Name",
                TextCondition::StartsWith("Row".into()),
            )),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 9);
    assert_eq!(
        filtered.iter().map(|p| p.id).collect::<HashSet<_>>().len(),
        9
    );

    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn query_all_past_the_cap_2025() {
    query_all_past_the_cap(V2025).await;
}

#[tokio::test]
async fn query_all_past_the_cap_2022() {
    query_all_past_the_cap(LEGACY).await;
}

// ----- search, blocks, comments, users -----

async fn search_blocks_comments_users(version: NotionVersion) {
    let emu = emulator().await;
    let client = client(&emu, version);

    // Search: text, object filter, pagination.
    let found = client
        .search(&SearchRequest::text("budget").only(SearchObject::Page))
        .await
        .unwrap();
    assert_eq!(
        found
            .results
            .iter()
            .filter_map(SearchResult::id)
            .collect::<Vec<_>>(),
        [nid(demo::BUDGET_REFERENDUM)]
    );
    let sources = client
        .search(&SearchRequest::default().only(SearchObject::DataSource))
        .await
        .unwrap();
    let mut source_ids = Vec::new();
    for result in &sources.results {
        match (result, version.is_legacy()) {
            (SearchResult::Database(d), true) => source_ids.push(d.id),
            (SearchResult::DataSource(d), false) => source_ids.push(d.id),
            (other, _) => panic!("unexpected search result {other:?} on {version}"),
        }
    }
    let (elections_id, legacy_id, private_id) = if version.is_legacy() {
        (demo::ELECTIONS_DB, demo::LEGACY_DB, demo::PRIVATE_DB)
    } else {
        (demo::ELECTIONS_DS, demo::LEGACY_DS, demo::PRIVATE_DS)
    };
    assert!(source_ids.contains(&nid(elections_id)));
    assert!(source_ids.contains(&nid(legacy_id)));
    assert!(!source_ids.contains(&nid(private_id)), "not shared");
    let everything = client.search(&SearchRequest::default()).await.unwrap();
    assert!(!everything.has_more);
    let before = emu.request_counts().route("POST /v1/search");
    let paged: Vec<_> = client
        .search_stream({
            let mut request = SearchRequest::default();
            request.page_size = Some(2);
            request
        })
        .try_collect()
        .await
        .unwrap();
    let n = everything.results.len();
    assert!(n > 4, "{n} results");
    assert_eq!(
        paged
            .iter()
            .filter_map(SearchResult::id)
            .collect::<Vec<_>>(),
        everything
            .results
            .iter()
            .filter_map(SearchResult::id)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        emu.request_counts().route("POST /v1/search") - before,
        n.div_ceil(2) as u64
    );

    // Blocks: list, append with nested children, walk the tree.
    let root = nid(demo::ROOT_PAGE);
    let first = client
        .list_block_children(root, None, Some(1))
        .await
        .unwrap();
    assert_eq!(first.results.len(), 1);
    assert_eq!(
        first.results[0].plain_text().as_deref(),
        Some("Everything the election team plans lives here.")
    );
    assert!(first.has_more);
    let rest = client
        .list_block_children(root, first.next_cursor.as_deref(), None)
        .await
        .unwrap();
    assert!(
        rest.results
            .iter()
            .any(|b| b.block_type == "child_database")
    );
    let appended = client
        .append_block_children(
            root,
            vec![
                json!({"heading_2": {"rich_text": [{"text": {"content": "Timeline"}}]}}),
                json!({"bulleted_list_item": {
                    "rich_text": [{"text": {"content": "Nominations"}}],
                    "children": [{"paragraph": {
                        "rich_text": [{"text": {"content": "Open until June"}}],
                        "children": [{"paragraph": {"rich_text": [{"text": {"content": "Deep"}}]}}]
                    }}]
                }}),
            ],
        )
        .await
        .unwrap();
    assert_eq!(appended.results.len(), 2);
    let tree = client.retrieve_block_tree(root, 5).await.unwrap();
    let list_item = tree
        .iter()
        .find(|n| n.block.block_type == "bulleted_list_item")
        .expect("appended item");
    assert_eq!(list_item.block.plain_text().as_deref(), Some("Nominations"));
    assert_eq!(
        list_item.children[0].block.plain_text().as_deref(),
        Some("Open until June")
    );
    assert_eq!(
        list_item.children[0].children[0]
            .block
            .plain_text()
            .as_deref(),
        Some("Deep")
    );
    let child_db = tree
        .iter()
        .find(|n| n.block.block_type == "child_database")
        .unwrap();
    assert!(child_db.children.is_empty(), "databases are not entered");
    let shallow = client.retrieve_block_tree(root, 1).await.unwrap();
    assert!(shallow.iter().all(|n| n.children.is_empty()));

    // Comments: a new discussion, a reply, the list.
    let page = nid(demo::BUDGET_REFERENDUM);
    let comment = client
        .create_comment(
            CommentParent::Page(page),
            rich_text_from_str("Turnout looks low").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(comment.parent.page_id(), Some(page));
    assert_eq!(comment.created_by.id, nid(demo::INTEGRATION_ID));
    client
        .create_comment(
            CommentParent::Discussion(comment.discussion_id),
            rich_text_from_str("Reminder sent").unwrap(),
        )
        .await
        .unwrap();
    let comments: Vec<_> = client.comments_stream(page).try_collect().await.unwrap();
    assert_eq!(
        comments
            .iter()
            .map(|c| plain_text(&c.rich_text))
            .collect::<Vec<_>>(),
        ["Turnout looks low", "Reminder sent"]
    );
    assert!(
        comments
            .iter()
            .all(|c| c.discussion_id == comment.discussion_id)
    );

    // Users: list, retrieve, me.
    let users: Vec<_> = client.users_stream().try_collect().await.unwrap();
    let ada = users.iter().find(|u| u.id == nid(demo::HUMAN_ID)).unwrap();
    assert_eq!(ada.user_type.as_deref(), Some("person"));
    assert!(users.iter().any(|u| u.user_type.as_deref() == Some("bot")));
    let retrieved = client.retrieve_user(nid(demo::HUMAN_ID)).await.unwrap();
    assert_eq!(retrieved.name.as_deref(), Some("Ada Admin"));
    assert_eq!(
        retrieved.person.and_then(|p| p.email).as_deref(),
        Some("ada@example.org")
    );
    let me = client.me().await.unwrap();
    assert_eq!(me.id, nid(demo::INTEGRATION_ID));
    assert_eq!(me.user_type.as_deref(), Some("bot"));

    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn search_blocks_comments_users_2025() {
    search_blocks_comments_users(V2025).await;
}

#[tokio::test]
async fn search_blocks_comments_users_2022() {
    search_blocks_comments_users(LEGACY).await;
}

// ----- OAuth -----

async fn authorize(emu: &Emulator) -> String {
    // The emulator shows a consent page unless auto-consent is on: consent to the first workspace.
    emu.set_oauth_auto_consent(Some(notion_emulator::AutoConsent::default()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .get(format!("{}/v1/oauth/authorize", emu.base_url()))
        .query(&[
            ("client_id", "demo-oauth-client"),
            ("response_type", "code"),
            ("owner", "user"),
            ("redirect_uri", "http://127.0.0.1:8080/oauth/callback"),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code in the redirect")
}

#[tokio::test]
async fn oauth_code_exchange_refresh_rotation_introspect_revoke() {
    use secrecy::ExposeSecret;

    let emu = emulator().await;
    let oauth = NotionClient::builder()
        .base_url(emu.base_url())
        .max_requests_per_second(1000.0)
        .build()
        .unwrap();
    let creds = OAuthCredentials {
        client_id: "demo-oauth-client".into(),
        client_secret: SecretString::from("demo-oauth-secret"),
    };
    let redirect = Some("http://127.0.0.1:8080/oauth/callback");

    let code = authorize(&emu).await;
    let first = oauth
        .exchange_oauth_code(&creds, &code, redirect)
        .await
        .unwrap();
    assert_eq!(first.token_type, "bearer");
    assert_eq!(
        first.bot_id.as_deref(),
        Some("b0000000-0000-4000-8000-000000000004")
    );
    let access = first.access_token.expose_secret().to_owned();
    let as_app = client_with_token(&emu, V2025, &access);
    assert_eq!(
        as_app.me().await.unwrap().id.to_string(),
        "b0000000-0000-4000-8000-000000000004"
    );
    assert!(
        oauth
            .introspect_oauth_token(&creds, &first.access_token)
            .await
            .unwrap()
            .active
    );

    // A code is single-use.
    let reused = oauth
        .exchange_oauth_code(&creds, &code, redirect)
        .await
        .unwrap_err();
    assert_eq!(reused.kind(), &ErrorKind::Validation);
    assert_eq!(reused.code(), Some("invalid_grant"));

    // Refresh rotates both tokens.
    let refresh = first.refresh_token.clone().expect("refresh token");
    let second = oauth.refresh_oauth_token(&creds, &refresh).await.unwrap();
    assert_ne!(second.access_token.expose_secret(), access.as_str());
    assert_ne!(
        second.refresh_token.as_ref().unwrap().expose_secret(),
        refresh.expose_secret()
    );
    assert_eq!(
        as_app.me().await.unwrap_err().kind(),
        &ErrorKind::Unauthorized
    );
    assert!(
        !oauth
            .introspect_oauth_token(&creds, &first.access_token)
            .await
            .unwrap()
            .active
    );
    let stale = oauth
        .refresh_oauth_token(&creds, &refresh)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Some("invalid_grant"));

    // Revoke.
    let as_app = client_with_token(&emu, V2025, second.access_token.expose_secret());
    as_app.me().await.unwrap();
    oauth
        .revoke_oauth_token(&creds, &second.access_token)
        .await
        .unwrap();
    assert!(
        !oauth
            .introspect_oauth_token(&creds, &second.access_token)
            .await
            .unwrap()
            .active
    );
    assert_eq!(
        as_app.me().await.unwrap_err().kind(),
        &ErrorKind::Unauthorized
    );

    // Wrong client secret.
    let wrong = OAuthCredentials {
        client_id: "demo-oauth-client".into(),
        client_secret: SecretString::from("nope"),
    };
    let err = oauth
        .exchange_oauth_code(&wrong, &authorize(&emu).await, redirect)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    emu.shutdown().await;
}

// ----- errors -----

async fn errors_decode_into_kinds(version: NotionVersion) {
    let emu = emulator().await;
    let client = client(&emu, version);

    // An unknown status option fails the whole update and changes nothing.
    let page = nid(demo::LEGACY_PAGE);
    let before = emu.page(demo::LEGACY_PAGE).unwrap();
    let err = client
        .update_page_properties(
            page,
            [
                ("Voting Status", PropertyValue::status_name("In Voting")),
                (
                    "Results Link",
                    PropertyValue::url(Some("https://vote.example/x")),
                ),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("validation_error"));
    assert!(err.request_id().is_some());
    assert_eq!(
        emu.page(demo::LEGACY_PAGE).unwrap(),
        before,
        "page unchanged"
    );
    assert_eq!(
        client.stats().retries,
        0,
        "validation errors are not retried"
    );

    // Not shared: NotFound, with the sharing hint.
    let err = client
        .retrieve_page(nid(demo::PRIVATE_PAGE), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(err.code(), Some("object_not_found"));
    assert!(err.to_string().contains("Connections"), "{err}");
    assert_eq!(
        err.additional_data()
            .and_then(|d| d["integration_id"].as_str()),
        Some("b0000000-0000-4000-8000-000000000001")
    );
    let err = client
        .query_database(nid(demo::PRIVATE_DB), &Query::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);

    // A bad token, and a token without the read capability.
    let bad = client_with_token(&emu, version, "ntn_not_a_real_token");
    let err = bad.me().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("unauthorized"));
    assert!(!err.to_string().contains("ntn_not_a_real_token"));
    let no_read = client_with_token(&emu, version, demo::NO_READ_TOKEN);
    let err = no_read
        .retrieve_page(nid(demo::BUDGET_REFERENDUM), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Restricted);
    assert_eq!(err.code(), Some("restricted_resource"));

    // An unknown cursor.
    let mut query = Query::new();
    query.start_cursor = Some("not-a-cursor".into());
    let err = client
        .query_data_source(elections(version), &query)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation);

    assert_all_counts_match(&[&client, &bad, &no_read], &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn errors_decode_into_kinds_2025() {
    errors_decode_into_kinds(V2025).await;
}

#[tokio::test]
async fn errors_decode_into_kinds_2022() {
    errors_decode_into_kinds(LEGACY).await;
}

// ----- rate limiting, faults, pacing -----

/// Polls the emulator until it has answered `status` at least `n` times (bounded).
async fn wait_for_status(emu: &Emulator, status: u16, n: u64) {
    for _ in 0..500 {
        if emu.request_counts().with_status(status) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the emulator never answered {status} {n} times");
}

#[tokio::test]
async fn waits_for_retry_after_when_rate_limited() {
    let emu = emulator_with(
        EmulatorConfig::default()
            .with_clock(Clock::frozen_at(t0()))
            .with_rate_limit(Some(RateLimit {
                requests: 5,
                window_secs: 60,
            })),
    )
    .await;
    let client = client(&emu, V2025);
    for _ in 0..5 {
        client
            .retrieve_page(nid(demo::BUDGET_REFERENDUM), &[])
            .await
            .unwrap();
    }
    // One second before the window ends: the emulator asks for `Retry-After: 1`. Its clock is
    // frozen, so a side task moves it past the window once the 429 has been served.
    emu.clock().advance(SignedDuration::from_secs(59));
    let page = {
        let mover = async {
            wait_for_status(&emu, 429, 1).await;
            emu.clock().advance(SignedDuration::from_secs(1));
        };
        let (page, ()) = tokio::join!(client.retrieve_page(nid(demo::AGM_MOTIONS), &[]), mover);
        page.unwrap()
    };
    assert_eq!(page.title(), "Annual General Meeting Motions");
    let stats = client.stats();
    assert_eq!(stats.rate_limit_waits, 1);
    assert_eq!(stats.retries, 1);
    assert_eq!(stats.requests, 7);
    let counts = emu.request_counts();
    assert_eq!(counts.get("GET /v1/pages/{page_id}", 429), 1);
    assert_eq!(counts.get("GET /v1/pages/{page_id}", 200), 6);
    assert_counts_match(&client, &emu);

    // A wait longer than max_retry_wait comes back as RateLimited, carrying the wait.
    for _ in 0..4 {
        client.me().await.unwrap();
    }
    let err = client.me().await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn injected_faults_are_retried_only_when_safe() {
    let emu = emulator().await;
    let client = client(&emu, V2025);
    let page = nid(demo::BUDGET_REFERENDUM);

    // 503 then 502 on a read: retried, then served.
    emu.set_fault(FaultRule::next(
        "GET /v1/pages/{page_id}",
        Fault::Status(503),
        1,
    ));
    emu.set_fault(FaultRule::next(
        "GET /v1/pages/{page_id}",
        Fault::Status(502),
        1,
    ));
    let read = client.retrieve_page(page, &[]).await.unwrap();
    assert_eq!(read.title(), "Budget Referendum");
    let counts = emu.request_counts();
    assert_eq!(counts.get("GET /v1/pages/{page_id}", 503), 1);
    assert_eq!(counts.get("GET /v1/pages/{page_id}", 502), 1);
    assert_eq!(counts.get("GET /v1/pages/{page_id}", 200), 1);
    assert_eq!(client.stats().retries, 2);

    // 409 on a property update (absolute values): retried.
    emu.set_fault(FaultRule::next(
        "PATCH /v1/pages/{page_id}",
        Fault::Status(409),
        1,
    ));
    client
        .update_page_properties(
            page,
            [("Voting Status", PropertyValue::status_name("Done"))],
        )
        .await
        .unwrap();
    assert_eq!(
        emu.page_property(demo::BUDGET_REFERENDUM, "Voting Status")
            .unwrap()["status"]["name"],
        "Done"
    );

    // 500 on a create: not retried (it could create twice).
    emu.set_fault(FaultRule::next("POST /v1/pages", Fault::Status(500), 1));
    let err: NotionError = client
        .create_page(
            &CreatePage::new(row_parent(V2025))
                .property("Name", PropertyValue::title("Never").unwrap()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Server);
    assert_eq!(err.status(), Some(500));
    assert_eq!(emu.request_counts().route("POST /v1/pages"), 1);
    // 502 on an append: not retried either.
    emu.set_fault(FaultRule::next(
        "PATCH /v1/blocks/{block_id}/children",
        Fault::Status(502),
        1,
    ));
    let err = client
        .append_block_children(
            nid(demo::ROOT_PAGE),
            vec![json!({"paragraph": {"rich_text": [{"text": {"content": "x"}}]}})],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Server);
    assert_eq!(
        emu.request_counts()
            .route("PATCH /v1/blocks/{block_id}/children"),
        1
    );

    // 529 with Retry-After on a query: waited out and retried (once, ~1 s).
    emu.set_fault(FaultRule {
        retry_after_secs: Some(1),
        ..FaultRule::next(
            "POST /v1/data_sources/{data_source_id}/query",
            Fault::Status(529),
            1,
        )
    });
    let rows = client
        .query_data_source(nid(demo::ELECTIONS_DS), &Query::new())
        .await
        .unwrap();
    assert_eq!(rows.results.len(), 3);
    let stats = client.stats();
    assert_eq!(stats.rate_limit_waits, 1);
    assert!(stats.rate_limit_wait_total >= Duration::from_secs(1));
    assert_eq!(stats.retries, 4, "503, 502, 409, 529");
    assert_eq!(
        emu.request_counts()
            .get("POST /v1/data_sources/{data_source_id}/query", 529),
        1
    );
    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_pacer_spaces_requests_and_counters_agree() {
    // A running clock and a 1-second window: whatever the pacer lets through, every request ends
    // in success, and the client and the emulator count the same attempts.
    let emu = emulator_with(EmulatorConfig::default().with_rate_limit(Some(RateLimit {
        requests: 5,
        window_secs: 1,
    })))
    .await;
    let client = NotionClient::builder()
        .token(SecretString::from(emu.demo_token()))
        .base_url(emu.base_url())
        .pacer(Pacer::new(4.0, 1).unwrap())
        .max_retry_wait(Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..6 {
        client.me().await.unwrap();
    }
    let stats = client.stats();
    assert!(stats.pacer_wait_total > Duration::ZERO);
    assert_eq!(stats.requests, 6 + stats.retries);
    assert_eq!(
        stats.rate_limit_waits,
        emu.request_counts().with_status(429)
    );
    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_token_swap_applies_to_the_next_request_and_keeps_the_pacer_and_counters() {
    // An OAuth refresh replaces the access token of a live connection: the client (and every
    // clone of it) must send the new token from the next request on, without a new budget.
    let emu = emulator().await;
    let client = client(&emu, NotionVersion::default());
    let clone = client.clone();
    let pacer = client.pacer().clone();
    let before = client.me().await.unwrap();
    assert_eq!(before.id, nid(demo::INTEGRATION_ID));
    let data_source = client
        .resolve_data_source(nid(demo::ELECTIONS_DB))
        .await
        .unwrap();
    assert_eq!(before.name.as_deref(), Some(demo::INTEGRATION_NAME));

    client.set_token(SecretString::from(demo::ADMIN_TOKEN.to_owned()));
    let after = clone.me().await.unwrap();
    assert_eq!(
        after.name.as_deref(),
        Some("Workspace admin (emulator)"),
        "the emulator answers as the new integration"
    );
    assert_ne!(after.id, before.id);
    assert!(client.pacer().same_as(&pacer), "the pacer is kept");
    assert!(clone.pacer().same_as(&pacer));
    assert_eq!(
        clone
            .resolve_data_source(nid(demo::ELECTIONS_DB))
            .await
            .unwrap(),
        data_source
    );
    assert_eq!(
        client.stats().requests,
        3,
        "the counters are kept, and the data source cache (no second lookup)"
    );
    assert!(client.token_set());
    assert!(!format!("{client:?}").contains(demo::ADMIN_TOKEN));
    assert_counts_match(&client, &emu);
    emu.shutdown().await;
}

#[tokio::test]
async fn clients_built_apart_have_their_own_pacer_unless_given_one() {
    let emu = emulator().await;
    let a = client(&emu, NotionVersion::default());
    let b = client(&emu, NotionVersion::default());
    assert!(
        !a.pacer().same_as(b.pacer()),
        "same token, separate connections"
    );
    let c = builder(&emu, NotionVersion::default(), &emu.demo_token())
        .pacer(a.pacer().clone())
        .build()
        .unwrap();
    assert!(c.pacer().same_as(a.pacer()));
    emu.shutdown().await;
}
