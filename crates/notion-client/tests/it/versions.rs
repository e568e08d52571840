//! The version differences of 2026-03-11 and 2026-12-01, the real client against the emulator
//! over HTTP: only-title lists without `filter_properties`, `in_trash` writes, block `position`,
//! page moves.

use futures::TryStreamExt;
use notion_client::{
    BlockPosition, MoveTarget, NotionClient, NotionId, NotionVersion, Query, SearchRequest,
    SecretString,
};
use notion_emulator::{Emulator, EmulatorConfig, Workspace, demo};
use serde_json::json;
use uuid::Uuid;

fn nid(id: Uuid) -> NotionId {
    NotionId::from_bytes(*id.as_bytes())
}

async fn setup(version: NotionVersion) -> (Emulator, NotionClient) {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_workspace(Workspace::demo())
            .without_rate_limit(),
    )
    .await
    .expect("emulator starts");
    let client = NotionClient::builder()
        .token(SecretString::from(emu.demo_token()))
        .base_url(emu.base_url())
        .notion_version(version)
        .max_requests_per_second(1000.0)
        .burst(50)
        .build()
        .unwrap();
    (emu, client)
}

#[tokio::test]
async fn on_2026_12_01_queries_and_search_return_only_the_title_unless_properties_are_named() {
    let (_emu, client) = setup(NotionVersion::V2026_12_01).await;
    let ds = nid(demo::ELECTIONS_DS);
    let bare = client.query_data_source(ds, &Query::new()).await.unwrap();
    assert!(!bare.results.is_empty());
    for page in &bare.results {
        assert_eq!(page.properties.keys().collect::<Vec<_>>(), ["Name"]);
    }
    let named = client
        .query_data_source(
            ds,
            &Query::new()
                .with_property("title")
                .with_property(demo::PROP_VOTING_STATUS),
        )
        .await
        .unwrap();
    let page = &named.results[0];
    assert!(page.property("Voting Status").is_some());
    assert!(page.property("Results Link").is_none());

    let hits: Vec<_> = client
        .search_stream(SearchRequest::text("Budget").filter_properties(["title", "Results Link"]))
        .try_collect()
        .await
        .unwrap();
    let notion_client::SearchResult::Page(hit) = &hits[0] else {
        panic!("a page: {hits:?}")
    };
    assert!(hit.property("Results Link").is_some());
    assert!(hit.property("Voting Status").is_none());

    // 2026-03-11 still returns every property.
    let (_emu, older) = setup(NotionVersion::V2026_03_11).await;
    let all = older.query_data_source(ds, &Query::new()).await.unwrap();
    assert!(all.results[0].property("Results Link").is_some());
}

#[tokio::test]
async fn trash_and_block_positions_use_each_versions_form() {
    for version in NotionVersion::ALL {
        let (_emu, client) = setup(version).await;
        let page = nid(demo::BOARD_PRESIDENT);
        let trashed = client.trash_page(page).await.unwrap();
        assert!(trashed.is_trashed(), "{version}");
        assert_eq!(
            trashed.archived,
            version.responses_carry_archived(),
            "{version}"
        );
        assert!(!client.restore_page(page).await.unwrap().is_trashed());

        let para = |t: &str| json!({"paragraph": {"rich_text": [{"text": {"content": t}}]}});
        let root = nid(demo::ROOT_PAGE);
        let first = client
            .append_block_children(root, vec![para("one")])
            .await
            .unwrap();
        let one = first.results[0].id;
        client
            .append_block_children_at(root, vec![para("two")], BlockPosition::AfterBlock(one))
            .await
            .unwrap();
        let start = client
            .append_block_children_at(root, vec![para("zero")], BlockPosition::Start)
            .await;
        let texts: Vec<String> = client
            .block_children_stream(root)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .iter()
            .filter_map(|b| b.plain_text())
            .filter(|t| ["zero", "one", "two"].contains(&t.as_str()))
            .collect();
        if version >= NotionVersion::V2026_03_11 {
            start.unwrap();
            assert_eq!(texts, ["zero", "one", "two"], "{version}");
        } else {
            let err = start.unwrap_err();
            assert!(err.to_string().contains("2026-03-11"), "{err}");
            assert_eq!(texts, ["one", "two"], "{version}");
        }
    }
}

#[tokio::test]
async fn a_page_moved_out_of_a_data_source_leaves_its_queries() {
    for version in [NotionVersion::V2025_09_03, NotionVersion::V2026_12_01] {
        let (_emu, client) = setup(version).await;
        let ds = nid(demo::ELECTIONS_DS);
        let page = nid(demo::BUDGET_REFERENDUM);
        let moved = client
            .move_page(page, MoveTarget::Page(nid(demo::ROOT_PAGE)))
            .await
            .unwrap();
        assert_eq!(moved.parent.page_id(), Some(nid(demo::ROOT_PAGE)));
        assert_eq!(moved.title(), "Budget Referendum");
        let rows = client.query_data_source(ds, &Query::new()).await.unwrap();
        assert!(rows.results.iter().all(|p| p.id != page), "{version}");

        let back = client
            .move_page(page, MoveTarget::DataSource(ds))
            .await
            .unwrap();
        assert_eq!(back.parent.data_source_id(), Some(ds));
        let rows = client.query_data_source(ds, &Query::new()).await.unwrap();
        assert!(rows.results.iter().any(|p| p.id == page), "{version}");
    }
}
