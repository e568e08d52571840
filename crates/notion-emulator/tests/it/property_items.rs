//! Checklist 24 for page property items, and Notion's size limits on relation and people values:
//! the paginated `property_item` list envelope, `page_size` and opaque cursors, the 25-reference
//! cut of page responses, and the 100-per-request limit that binds API writes but not people.

use notion_emulator::{PersonSpec, Workspace, demo};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Ctx, assert_error, config};

const ITEM_ROUTE: &str = "GET /v1/pages/{page_id}/properties/{property_id}";

fn item_path(page: Uuid, prop: &str) -> String {
    format!("/v1/pages/{page}/properties/{prop}")
}

/// The demo workspace with 30 extra people, and on Elections a relation `Related` (id `rel`) and a
/// people property `Voters` (id `who`).
async fn ctx_with_long_values() -> Ctx {
    let mut ws = Workspace::demo();
    ws.people.extend((1..=30).map(|i| PersonSpec {
        id: person(i),
        name: Some(format!("Voter {i}")),
        email: format!("voter{i}@example.org"),
    }));
    let ctx = Ctx::with(config().with_workspace(ws)).await;
    ctx.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {
                "Related": {"id": "rel", "relation": {"data_source_id": demo::ELECTIONS_DS.to_string(), "type": "single_property", "single_property": {}}},
                "Voters": {"id": "who", "people": {}}
            }}),
        )
        .expect("schema edit");
    ctx
}

fn person(i: u32) -> Uuid {
    Uuid::from_u128(0xa1000000_0000_4000_8000_000000000000 + u128::from(i))
}

/// `n` new Elections rows (created as a person), in creation order.
fn targets(ctx: &Ctx, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            ctx.emu
                .create_page_as_user(
                    demo::ELECTIONS_DS,
                    json!({"Name": {"title": [{"text": {"content": format!("Target {i}")}}]}}),
                )
                .expect("row created")
                .to_string()
        })
        .collect()
}

fn relation(ids: &[String]) -> Value {
    json!({"relation": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()})
}

fn relation_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["relation"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn title_items_come_as_a_list_envelope_and_page_through_segments() {
    let ctx = Ctx::new().await;
    let r = ctx.get(&item_path(demo::BOARD_PRESIDENT, "title")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut body = r.body.clone();
    let results = body["results"].take();
    body.as_object_mut().unwrap().remove("request_id");
    assert_eq!(
        body,
        json!({
            "object": "list", "results": null, "next_cursor": null, "has_more": false,
            "type": "property_item",
            "property_item": {"id": "title", "next_url": null, "type": "title", "title": {}}
        })
    );
    assert_eq!(results.as_array().unwrap().len(), 1);
    assert_eq!(results[0]["object"], "property_item");
    assert_eq!(results[0]["id"], "title");
    assert_eq!(results[0]["type"], "title");
    assert_eq!(results[0]["title"]["plain_text"], "Board President 2026");

    // Three rich text segments, two per page.
    let r = ctx
        .patch(
            &format!("/v1/pages/{}", demo::BOARD_PRESIDENT),
            json!({"properties": {"Description": {"rich_text": [
                {"text": {"content": "one "}}, {"text": {"content": "two "}}, {"text": {"content": "three"}}
            ]}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first = ctx
        .get(&format!(
            "{}?page_size=2",
            item_path(demo::BOARD_PRESIDENT, "desc")
        ))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["has_more"], true);
    assert_eq!(first.body["property_item"]["type"], "rich_text");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = ctx
        .get(&format!(
            "{}?page_size=2&start_cursor={cursor}",
            item_path(demo::BOARD_PRESIDENT, "desc")
        ))
        .await;
    assert_eq!(second.body["has_more"], false);
    assert_eq!(second.body["next_cursor"], Value::Null);
    assert_eq!(second.body["property_item"]["next_url"], Value::Null);
    let text: Vec<&str> = first.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["results"].as_array().unwrap())
        .map(|i| i["rich_text"]["plain_text"].as_str().unwrap())
        .collect();
    assert_eq!(text, ["one ", "two ", "three"]);

    // Other types answer one property item, whatever the paging parameters.
    let r = ctx
        .get(&format!(
            "{}?page_size=1",
            item_path(demo::BOARD_PRESIDENT, "v%253Ast")
        ))
        .await;
    assert_eq!(r.body["object"], "property_item", "{}", r.body);
    assert_eq!(r.body["status"]["name"], "Not started");
}

#[tokio::test]
async fn a_long_relation_pages_by_cursor_and_next_url_in_order() {
    let ctx = ctx_with_long_values().await;
    let ids = targets(&ctx, 120);
    ctx.emu
        .update_page_as_user(demo::BOARD_PRESIDENT, json!({"Related": relation(&ids)}))
        .expect("a person may relate 120 pages");
    ctx.emu.reset_counts();

    let path = item_path(demo::BOARD_PRESIDENT, "rel");
    let first = ctx.get(&format!("{path}?page_size=50")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["object"], "list");
    assert_eq!(first.body["type"], "property_item");
    assert_eq!(first.body["has_more"], true);
    assert_eq!(first.body["results"].as_array().unwrap().len(), 50);
    assert_eq!(first.body["results"][0]["object"], "property_item");
    assert_eq!(first.body["results"][0]["type"], "relation");
    assert_eq!(first.body["results"][0]["id"], "rel");
    assert_eq!(first.body["property_item"]["id"], "rel");
    assert_eq!(first.body["property_item"]["type"], "relation");
    assert_eq!(first.body["property_item"]["relation"], json!({}));
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert!(
        Uuid::parse_str(&cursor).is_err() && !cursor.contains("50"),
        "cursors are opaque: {cursor}"
    );
    let next_url = first.body["property_item"]["next_url"].as_str().unwrap();
    assert_eq!(
        next_url,
        format!(
            "{}{path}?start_cursor={cursor}&page_size=50",
            ctx.emu.base_url()
        )
    );

    // Following next_url as given.
    let second = ctx
        .http
        .get(next_url)
        .bearer_auth(&ctx.token)
        .header("Notion-Version", ctx.version)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(second["has_more"], true);
    let cursor = second["next_cursor"].as_str().unwrap();
    let third = ctx
        .get(&format!("{path}?page_size=50&start_cursor={cursor}"))
        .await;
    assert_eq!(third.body["has_more"], false);
    assert_eq!(third.body["next_cursor"], Value::Null);
    assert_eq!(third.body["property_item"]["next_url"], Value::Null);
    let mut all = relation_ids(&first.body["results"]);
    all.extend(relation_ids(&second["results"]));
    all.extend(relation_ids(&third.body["results"]));
    assert_eq!(all, ids);
    assert_eq!(ctx.emu.request_counts().get(ITEM_ROUTE, 200), 3);

    // Without page_size, 100 per page.
    let r = ctx.get(&path).await;
    assert_eq!(r.body["results"].as_array().unwrap().len(), 100);
    assert_eq!(r.body["has_more"], true);
    let r = ctx
        .get(&format!(
            "{path}?start_cursor={}",
            r.body["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(relation_ids(&r.body["results"]), ids[100..]);
    assert_eq!(r.body["has_more"], false);

    // A cursor over a value that shrank since resumes at its end.
    let first = ctx.get(&format!("{path}?page_size=100")).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    ctx.emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Related": relation(&ids[..10])}),
        )
        .unwrap();
    let r = ctx.get(&format!("{path}?start_cursor={cursor}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["results"], json!([]));
    assert_eq!(r.body["has_more"], false);
}

#[tokio::test]
async fn page_size_and_cursors_are_validated() {
    let ctx = ctx_with_long_values().await;
    let ids = targets(&ctx, 30);
    for page in [demo::BOARD_PRESIDENT, demo::BUDGET_REFERENDUM] {
        ctx.emu
            .update_page_as_user(
                page,
                json!({"Related": relation(&ids), "Voters": {"people": (1..=30).map(|i| json!({"id": person(i)})).collect::<Vec<_>>()}}),
            )
            .unwrap();
    }
    let path = item_path(demo::BOARD_PRESIDENT, "rel");
    for bad in ["0", "101", "-1", "ten"] {
        let r = ctx.get(&format!("{path}?page_size={bad}")).await;
        assert_error(&r, 400, "validation_error");
        assert!(r.message().contains("page_size"), "{}", r.message());
    }
    let r = ctx.get(&format!("{path}?page_size=100")).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let relation_cursor = ctx.get(&format!("{path}?page_size=5")).await.body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let people_cursor = ctx
        .get(&format!(
            "{}?page_size=5",
            item_path(demo::BOARD_PRESIDENT, "who")
        ))
        .await
        .body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_page = item_path(demo::BUDGET_REFERENDUM, "rel");
    for (target, cursor) in [
        (path.as_str(), "not-a-cursor"),
        (path.as_str(), "e0000000-0000-4000-8000-000000000002"),
        (path.as_str(), people_cursor.as_str()),
        (other_page.as_str(), relation_cursor.as_str()),
    ] {
        let r = ctx.get(&format!("{target}?start_cursor={cursor}")).await;
        assert_error(&r, 400, "validation_error");
        assert!(r.message().contains("start_cursor"), "{}", r.message());
    }
    let r = ctx
        .get(&format!(
            "{path}?page_size=5&start_cursor={relation_cursor}"
        ))
        .await;
    assert_eq!(relation_ids(&r.body["results"]), ids[5..10]);
}

#[tokio::test]
async fn api_writes_keep_the_100_limit_and_people_in_the_ui_do_not() {
    let ctx = ctx_with_long_values().await;
    let ids = targets(&ctx, 150);
    let page = format!("/v1/pages/{}", demo::BOARD_PRESIDENT);
    let r = ctx
        .patch(
            &page,
            json!({"properties": {"Related": relation(&ids[..101])}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert_eq!(
        r.message(),
        "body failed validation: body.properties.Related.relation.length should be ≤ `100`, instead was `101`."
    );
    let r = ctx
        .post(
            "/v1/pages",
            json!({"parent": {"data_source_id": demo::ELECTIONS_DS}, "properties": {"Related": relation(&ids[..101])}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    let r = ctx
        .patch(
            &page,
            json!({"properties": {"Related": relation(&ids[..100])}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The control API edits as a person: 150 related pages.
    let r = ctx
        .http
        .patch(format!(
            "{}/__emulator/pages/{}",
            ctx.emu.base_url(),
            demo::BOARD_PRESIDENT
        ))
        .json(&json!({"properties": {"Related": relation(&ids)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let whole = ctx
        .emu
        .page_property(demo::BOARD_PRESIDENT, "Related")
        .unwrap();
    assert_eq!(whole["relation"].as_array().unwrap().len(), 150);
    assert_eq!(whole["has_more"], false);

    // A person creating a row is not held to the limit either.
    let row = ctx
        .emu
        .create_page_as_user(demo::ELECTIONS_DS, json!({"Related": relation(&ids)}))
        .unwrap();
    let r = ctx
        .get(&format!("{}?page_size=100", item_path(row, "rel")))
        .await;
    assert_eq!(r.body["has_more"], true);
}

#[tokio::test]
async fn page_responses_cut_relations_and_people_at_25() {
    let ctx = ctx_with_long_values().await;
    let ids = targets(&ctx, 40);
    let people: Vec<Value> = (1..=30).map(|i| json!({"id": person(i)})).collect();
    ctx.emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Related": relation(&ids), "Voters": {"people": people}}),
        )
        .unwrap();
    ctx.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Related": relation(&ids[..25]), "Voters": {"people": &people[..25]}}),
        )
        .unwrap();

    let check = |page: &Value, long: bool| {
        let related = &page["properties"]["Related"];
        assert_eq!(related["has_more"], long, "{related}");
        let got: Vec<&str> = related["relation"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids[..25]);
        let voters = &page["properties"]["Voters"];
        assert_eq!(voters["people"].as_array().unwrap().len(), 25);
        assert_eq!(voters["people"][0]["id"], person(1).to_string());
        // Notion documents no flag for cut people values.
        assert!(voters.get("has_more").is_none(), "{voters}");
    };
    let r = ctx
        .get(&format!("/v1/pages/{}", demo::BOARD_PRESIDENT))
        .await;
    check(&r.body, true);
    let r = ctx
        .get(&format!("/v1/pages/{}", demo::BUDGET_REFERENDUM))
        .await;
    check(&r.body, false);

    // Query results are page responses too, on both versions.
    let r = ctx
        .post(
            &format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS),
            json!({"filter": {"property": "Name", "title": {"equals": "Board President 2026"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    check(&r.body["results"][0], true);
    let r = ctx
        .raw(
            Method::POST,
            &format!("/v1/databases/{}/query", demo::ELECTIONS_DB),
            Some(&json!({"filter": {"property": "Name", "title": {"equals": "Board President 2026"}}})),
            Some(&ctx.token),
            Some("2022-06-28"),
        )
        .await;
    check(&r.body["results"][0], true);

    // The item endpoint and the emulator's own view have every value.
    let r = ctx.get(&item_path(demo::BOARD_PRESIDENT, "who")).await;
    assert_eq!(r.body["results"].as_array().unwrap().len(), 30);
    assert_eq!(
        r.body["results"][29]["people"]["id"],
        person(30).to_string()
    );
    assert_eq!(r.body["results"][29]["people"]["name"], "Voter 30");
    let whole = ctx.emu.page(demo::BOARD_PRESIDENT).unwrap();
    assert_eq!(
        whole["properties"]["Related"]["relation"]
            .as_array()
            .unwrap()
            .len(),
        40
    );
}
