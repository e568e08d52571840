//! Checklist 14-18, 20, 21, 31: pages, property values, status rules, atomic updates, limits, trash.

use jiff::SignedDuration;
use notion_emulator::demo;
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error};

fn page_path(id: impl std::fmt::Display) -> String {
    format!("/v1/pages/{id}")
}

/// Creates a database with one property of every writable type; returns its data source id.
async fn all_types_ds(ctx: &Ctx) -> String {
    let r = ctx
        .post(
            "/v1/databases",
            json!({
                "parent": {"type": "page_id", "page_id": demo::ROOT_PAGE},
                "title": [{"text": {"content": "Everything"}}],
                "initial_data_source": {"properties": {
                    "Name": {"title": {}},
                    "Text": {"rich_text": {}},
                    "Count": {"number": {"format": "number"}},
                    "Kind": {"select": {"options": [{"name": "A", "color": "red"}]}},
                    "Tags": {"multi_select": {}},
                    "Stage": {"status": {}},
                    "When": {"date": {}},
                    "Who": {"people": {}},
                    "Files": {"files": {}},
                    "Done": {"checkbox": {}},
                    "Link": {"url": {}},
                    "Mail": {"email": {}},
                    "Phone": {"phone_number": {}},
                    "Formula": {"formula": {"expression": "1"}},
                    "Created": {"created_time": {}},
                    "Edited": {"last_edited_time": {}}
                }}
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["object"], "database");
    r.body["data_sources"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_and_read_every_property_type() {
    let ctx = Ctx::new().await;
    let ds = all_types_ds(&ctx).await;
    let r = ctx
        .post(
            "/v1/pages",
            json!({
                "parent": {"type": "data_source_id", "data_source_id": ds},
                "properties": {
                    "Name": {"title": [{"text": {"content": "Hello "}}, {"text": {"content": "world", "link": {"url": "https://x.org"}}, "annotations": {"bold": true}}]},
                    "Text": {"rich_text": [{"text": {"content": "Some text"}}]},
                    "Count": {"number": 42},
                    "Kind": {"select": {"name": "A"}},
                    "Tags": {"multi_select": [{"name": "x"}, {"name": "y"}]},
                    "Stage": {"status": {"name": "In progress"}},
                    "When": {"date": {"start": "2026-09-15", "end": null}},
                    "Who": {"people": [{"object": "user", "id": demo::HUMAN_ID}]},
                    "Files": {"files": [{"name": "r.pdf", "external": {"url": "https://x.org/r.pdf"}}]},
                    "Done": {"checkbox": true},
                    "Link": {"url": "https://example.org"},
                    "Mail": {"email": "a@example.org"},
                    "Phone": {"phone_number": "+1 555"}
                }
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body["properties"];
    assert_eq!(p["Name"]["id"], "title");
    assert_eq!(
        p["Name"]["title"].as_array().unwrap().len(),
        2,
        "segments are kept"
    );
    assert_eq!(p["Name"]["title"][1]["href"], "https://x.org");
    assert_eq!(p["Name"]["title"][1]["annotations"]["bold"], true);
    assert_eq!(p["Name"]["title"][0]["annotations"]["italic"], false);
    assert_eq!(p["Text"]["rich_text"][0]["plain_text"], "Some text");
    assert_eq!(p["Count"]["number"], 42);
    assert_eq!(p["Kind"]["select"]["name"], "A");
    assert_eq!(p["Tags"]["multi_select"].as_array().unwrap().len(), 2);
    assert_eq!(p["Stage"]["status"]["name"], "In progress");
    assert_eq!(p["When"]["date"]["start"], "2026-09-15");
    assert_eq!(p["Who"]["people"][0]["id"], demo::HUMAN_ID.to_string());
    assert_eq!(
        p["Files"]["files"][0]["external"]["url"],
        "https://x.org/r.pdf"
    );
    assert_eq!(p["Done"]["checkbox"], true);
    assert_eq!(p["Link"]["url"], "https://example.org");
    assert_eq!(p["Mail"]["email"], "a@example.org");
    assert_eq!(p["Phone"]["phone_number"], "+1 555");
    assert_eq!(p["Formula"]["type"], "formula");
    assert_eq!(p["Created"]["created_time"], "2026-05-01T10:00:00.000Z");
    assert_eq!(r.body["parent"]["type"], "data_source_id");
    assert_eq!(r.body["parent"]["data_source_id"], ds);
    assert_eq!(r.body["public_url"], Value::Null);
    assert!(r.body["url"].as_str().unwrap().starts_with("https://"));
    // Select may auto-create; multi_select too.
    let schema = ctx.get(&format!("/v1/data_sources/{ds}")).await;
    assert_eq!(
        schema.body["properties"]["Tags"]["multi_select"]["options"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = ctx
        .patch(
            &page_path(r.body["id"].as_str().unwrap()),
            json!({"properties": {"Kind": {"select": {"name": "B"}}}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let schema = ctx.get(&format!("/v1/data_sources/{ds}")).await;
    assert_eq!(
        schema.body["properties"]["Kind"]["select"]["options"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn unknown_property_and_type_mismatch_are_validation_errors() {
    let ctx = Ctx::new().await;
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Nope": {"url": "https://x"}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.message(), "Nope is not a property that exists.");
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Results Link": {"rich_text": []}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.message(), "Results Link is expected to be url.");
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Results Link": {"url": 5}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert!(
        r.message()
            .starts_with("body failed validation: body.properties.Results Link.url should be")
    );
}

#[tokio::test]
async fn unknown_status_rejects_the_whole_update() {
    let ctx = Ctx::new().await;
    let before = ctx.emu.page(demo::LEGACY_PAGE).unwrap();
    let r = ctx
        .patch(
            &page_path(demo::LEGACY_PAGE),
            json!({"properties": {
                "Results Link": {"url": "https://example.org/r"},
                "Voting Status": {"status": {"name": "In Voting"}}
            }}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert!(r.message().contains("In Voting"), "{}", r.message());
    let after = ctx.emu.page(demo::LEGACY_PAGE).unwrap();
    assert_eq!(before["properties"], after["properties"], "nothing changed");
    assert_eq!(before["last_edited_time"], after["last_edited_time"]);
    // The option was not created.
    let ds = ctx
        .get(&format!("/v1/data_sources/{}", demo::LEGACY_DS))
        .await;
    let names: Vec<&str> = ds.body["properties"]["Voting Status"]["status"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Not started", "Done"]);
}

#[tokio::test]
async fn status_by_name_or_id_and_null_resets_to_default() {
    let ctx = Ctx::new().await;
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Voting Status": {"status": {"name": "In Voting"}}}}),
        )
        .await;
    assert_eq!(
        r.body["properties"]["Voting Status"]["status"]["name"],
        "In Voting"
    );
    assert_eq!(
        r.body["properties"]["Voting Status"]["status"]["color"],
        "blue"
    );
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"v%3Ast": {"status": {"id": "5e000000-0000-4000-8000-000000000003"}}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["properties"]["Voting Status"]["status"]["name"],
        "Done"
    );
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Voting Status": {"status": null}}}),
        )
        .await;
    assert_eq!(
        r.body["properties"]["Voting Status"]["status"]["name"],
        "Not started"
    );
}

#[tokio::test]
async fn patch_semantics_omit_replace_clear() {
    let ctx = Ctx::new().await;
    let r = ctx
        .patch(
            &page_path(demo::AGM_MOTIONS),
            json!({"properties": {"Results Link": {"url": null}, "Description": {"rich_text": []}}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let p = &r.body["properties"];
    assert_eq!(p["Results Link"]["url"], Value::Null);
    assert_eq!(p["Description"]["rich_text"], json!([]));
    assert_eq!(
        p["Name"]["title"][0]["plain_text"], "Annual General Meeting Motions",
        "omitted is unchanged"
    );
    assert_eq!(p["Voting Status"]["status"]["name"], "Done");
}

#[tokio::test]
async fn times_are_minute_rounded_and_edits_bump_last_edited() {
    let ctx = Ctx::new().await;
    let created = ctx
        .post(
            "/v1/pages",
            json!({"parent": {"data_source_id": demo::ELECTIONS_DS}, "properties": {"Name": {"title": [{"text": {"content": "City Council"}}]}}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["created_time"], "2026-05-01T10:00:00.000Z");
    assert_eq!(
        created.body["properties"]["Voting Status"]["status"],
        Value::Null
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    ctx.emu.clock().advance(SignedDuration::from_secs(95));
    let r = ctx
        .patch(
            &page_path(&id),
            json!({"properties": {"Results Link": {"url": "https://r"}}}),
        )
        .await;
    assert_eq!(r.body["last_edited_time"], "2026-05-01T10:02:00.000Z");
    assert_eq!(r.body["created_time"], "2026-05-01T10:00:00.000Z");
    assert_eq!(
        r.body["last_edited_by"]["id"],
        demo::INTEGRATION_ID.to_string()
    );
}

#[tokio::test]
async fn size_limits_are_enforced() {
    let ctx = Ctx::new().await;
    let long = "x".repeat(2001);
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Description": {"rich_text": [{"text": {"content": long}}]}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert_eq!(
        r.message(),
        "body failed validation: body.properties.Description.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`."
    );
    let many: Vec<Value> = (0..101)
        .map(|_| json!({"text": {"content": "a"}}))
        .collect();
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Description": {"rich_text": many}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    let url = format!("https://x.org/{}", "a".repeat(2000));
    let r = ctx
        .patch(
            &page_path(demo::BOARD_PRESIDENT),
            json!({"properties": {"Results Link": {"url": url}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn trash_and_restore_by_patch_and_delete() {
    let ctx = Ctx::new().await;
    let r = ctx
        .patch(
            &page_path(demo::BUDGET_REFERENDUM),
            json!({"in_trash": true}),
        )
        .await;
    assert_eq!(r.body["in_trash"], true);
    assert_eq!(r.body["archived"], true);
    // A trashed page refuses property writes.
    let r = ctx
        .patch(
            &page_path(demo::BUDGET_REFERENDUM),
            json!({"properties": {"Results Link": {"url": null}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    let r = ctx
        .patch(
            &page_path(demo::BUDGET_REFERENDUM),
            json!({"archived": false}),
        )
        .await;
    assert_eq!(r.body["in_trash"], false);
    let r = ctx
        .delete(&format!("/v1/blocks/{}", demo::BUDGET_REFERENDUM))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["object"], "block");
    assert_eq!(r.body["type"], "child_page");
    assert_eq!(r.body["child_page"]["title"], "Budget Referendum");
    assert_eq!(r.body["in_trash"], true);
    assert_eq!(r.body["archived"], true);
    let q = ctx
        .post(
            &format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS),
            json!({}),
        )
        .await;
    assert_eq!(
        q.body["results"].as_array().unwrap().len(),
        2,
        "trashed pages drop out of queries"
    );
    let r = ctx
        .patch(
            &page_path(demo::BUDGET_REFERENDUM),
            json!({"in_trash": false}),
        )
        .await;
    assert_eq!(r.body["in_trash"], false);
    let q = ctx
        .post(
            &format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS),
            json!({}),
        )
        .await;
    assert_eq!(q.body["results"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn version_2026_drops_archived() {
    let mut ctx = Ctx::new().await;
    ctx.version = "2026-03-11";
    let r = ctx.get(&page_path(demo::BOARD_PRESIDENT)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("archived").is_none());
    assert_eq!(r.body["in_trash"], false);
    let r = ctx
        .patch(&page_path(demo::BOARD_PRESIDENT), json!({"archived": true}))
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn page_parented_pages_and_property_items() {
    let ctx = Ctx::new().await;
    let r = ctx
        .post(
            "/v1/pages",
            json!({"parent": {"page_id": demo::ROOT_PAGE.simple().to_string()}, "properties": {"title": [{"text": {"content": "Notes"}}]}, "children": []}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["parent"],
        json!({"type": "page_id", "page_id": demo::ROOT_PAGE.to_string()})
    );
    assert_eq!(r.body["properties"]["title"]["id"], "title");
    let item = ctx
        .get(&format!(
            "/v1/pages/{}/properties/title",
            demo::BOARD_PRESIDENT
        ))
        .await;
    assert_eq!(item.body["object"], "list");
    assert_eq!(item.body["type"], "property_item");
    assert_eq!(
        item.body["results"][0]["title"]["plain_text"],
        "Board President 2026"
    );
    let item = ctx
        .get(&format!(
            "/v1/pages/{}/properties/v%253Ast",
            demo::BOARD_PRESIDENT
        ))
        .await;
    assert_eq!(item.body["object"], "property_item", "{}", item.body);
    assert_eq!(item.body["status"]["name"], "Not started");
}

#[tokio::test]
async fn retrieve_page_with_filter_properties() {
    let ctx = Ctx::new().await;
    let r = ctx
        .get(&format!(
            "/v1/pages/{}?filter_properties=title&filter_properties=v%3Ast",
            demo::AGM_MOTIONS
        ))
        .await;
    let keys: Vec<&String> = r.body["properties"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Name", "Voting Status"]);
}

#[tokio::test]
async fn legacy_version_uses_database_parents() {
    let ctx = Ctx::new().await.legacy();
    let r = ctx
        .post(
            "/v1/pages",
            json!({"parent": {"database_id": demo::ELECTIONS_DB}, "properties": {"Name": {"title": [{"text": {"content": "Legacy"}}]}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["parent"],
        json!({"type": "database_id", "database_id": demo::ELECTIONS_DB.to_string()})
    );
}
