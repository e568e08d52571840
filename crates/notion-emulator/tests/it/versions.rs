//! The 2026-03-11 and 2026-12-01 differences over real HTTP: only-title lists without
//! `filter_properties`, the result cap answered the same way, page moves.

use notion_emulator::demo;
use serde_json::json;

use crate::common::{Ctx, assert_error};

fn ds_query() -> String {
    format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS)
}

#[tokio::test]
async fn on_2026_12_01_lists_carry_only_the_title_unless_properties_are_named() {
    let mut ctx = Ctx::new().await;
    ctx.version = "2026-12-01";
    let bare = ctx.post(&ds_query(), json!({})).await;
    assert_eq!(bare.status, 200, "{:?}", bare.body);
    let props = bare.body["results"][0]["properties"].as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["Name"]);
    assert!(bare.body["results"][0].get("archived").is_none());
    let named = ctx
        .post(
            &format!(
                "{}?filter_properties=title&filter_properties=link",
                ds_query()
            ),
            json!({}),
        )
        .await;
    let props = named.body["results"][0]["properties"].as_object().unwrap();
    assert_eq!(props.len(), 2, "{props:?}");
    let search = ctx.post("/v1/search", json!({"query": "Budget"})).await;
    let props = search.body["results"][0]["properties"].as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["Name"]);

    ctx.version = "2026-03-11";
    let all = ctx.post(&ds_query(), json!({})).await;
    assert!(
        all.body["results"][0]["properties"]
            .as_object()
            .unwrap()
            .len()
            > 1
    );
}

#[tokio::test]
async fn the_lowered_cap_is_answered_as_notion_does_on_every_version() {
    let mut ctx = Ctx::new().await;
    ctx.emu.set_query_result_cap(2);
    for version in ["2025-09-03", "2026-03-11", "2026-12-01"] {
        ctx.version = version;
        let r = ctx.post(&ds_query(), json!({"page_size": 5})).await;
        assert_eq!(r.body["results"].as_array().unwrap().len(), 2, "{version}");
        assert_eq!(r.body["has_more"], false, "{version}");
        assert_eq!(
            r.body["request_status"],
            json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}),
            "{version}"
        );
    }
}

#[tokio::test]
async fn a_moved_page_changes_parent_and_leaves_its_data_source() {
    let ctx = Ctx::new().await;
    let path = format!("/v1/pages/{}/move", demo::BUDGET_REFERENDUM);
    let r = ctx
        .post(
            &path,
            json!({"parent": {"type": "page_id", "page_id": demo::ROOT_PAGE.to_string()}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["parent"]["page_id"], demo::ROOT_PAGE.to_string());
    assert_eq!(
        r.body["properties"]["title"]["title"][0]["plain_text"],
        "Budget Referendum"
    );
    let rows = ctx.post(&ds_query(), json!({})).await;
    let ids: Vec<&str> = rows.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(!ids.contains(&demo::BUDGET_REFERENDUM.to_string().as_str()));
    let bad = ctx.post(&path, json!({"parent": {}})).await;
    assert_error(&bad, 400, "validation_error");
}
