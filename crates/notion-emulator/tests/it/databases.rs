//! Checklist 11-13, 19: databases as containers or tables, data sources, schema updates.

use notion_emulator::demo;
use serde_json::{Value, json};

use crate::common::{Ctx, Resp, assert_error};

#[tokio::test]
async fn database_is_a_container_in_2025() {
    let ctx = Ctx::new().await;
    let r = ctx
        .get(&format!("/v1/databases/{}", demo::ELECTIONS_DB))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["object"], "database");
    assert!(r.body.get("properties").is_none());
    assert_eq!(
        r.body["data_sources"],
        json!([{"id": demo::ELECTIONS_DS.to_string(), "name": "Elections"}])
    );
}

#[tokio::test]
async fn database_is_a_table_in_2022() {
    let ctx = Ctx::new().await.legacy();
    let r = ctx
        .get(&format!("/v1/databases/{}", demo::ELECTIONS_DB))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("data_sources").is_none());
    assert_eq!(r.body["properties"]["Voting Status"]["type"], "status");
}

#[tokio::test]
async fn data_source_schema() {
    let ctx = Ctx::new().await;
    let r = ctx
        .get(&format!("/v1/data_sources/{}", demo::ELECTIONS_DS))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["object"], "data_source");
    let props = &r.body["properties"];
    assert_eq!(props["Name"]["id"], "title");
    assert_eq!(props["Voting Status"]["id"], "v%3Ast");
    let status = &props["Voting Status"]["status"];
    let opts: Vec<&str> = status["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(opts, ["Not started", "In Voting", "Done"]);
    let groups: Vec<&str> = status["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["To-do", "In progress", "Complete"]);
    assert_eq!(
        status["groups"][1]["option_ids"],
        json!(["5e000000-0000-4000-8000-000000000002"])
    );
    assert_eq!(
        r.body["parent"],
        json!({"type": "database_id", "database_id": demo::ELECTIONS_DB.to_string()})
    );
    assert_eq!(
        r.body["database_parent"]["page_id"],
        demo::ROOT_PAGE.to_string()
    );
}

#[tokio::test]
async fn create_database_defaults_a_title_property() {
    let ctx = Ctx::new().await;
    let r = ctx
        .post(
            "/v1/databases",
            json!({"parent": {"page_id": demo::ROOT_PAGE}, "title": [{"text": {"content": "T"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ds = r.body["data_sources"][0]["id"].as_str().unwrap();
    let s = ctx.get(&format!("/v1/data_sources/{ds}")).await;
    assert_eq!(s.body["properties"]["Name"]["type"], "title");
    // The parent must be a page.
    let r = ctx
        .post(
            "/v1/databases",
            json!({"parent": {"type": "workspace", "workspace": true}, "title": []}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn schema_updates_add_rename_remove_and_status_options_go_to_do() {
    let ctx = Ctx::new().await;
    let path = format!("/v1/data_sources/{}", demo::ELECTIONS_DS);
    let r = ctx
        .patch(
            &path,
            json!({"properties": {
                "Votes": {"number": {}},
                "Results Link": {"name": "Results"},
                "Description": null,
                "Voting Status": {"status": {"options": [
                    {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"},
                    {"name": "Cancelled", "color": "red"}
                ]}}
            }}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let props = r.body["properties"].as_object().unwrap();
    assert!(props.contains_key("Votes"));
    assert!(props.contains_key("Results"));
    assert!(!props.contains_key("Results Link"));
    assert!(!props.contains_key("Description"));
    let status = &props["Voting Status"]["status"];
    let cancelled = status["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Cancelled")
        .unwrap();
    assert!(
        status["groups"][0]["option_ids"]
            .as_array()
            .unwrap()
            .contains(&cancelled["id"])
    );
    let names: Vec<&str> = status["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Not started", "In Voting", "Done", "Cancelled"]);
    // Pages now write the new option.
    let r = ctx
        .patch(
            &format!("/v1/pages/{}", demo::BOARD_PRESIDENT),
            json!({"properties": {"Voting Status": {"status": {"name": "Cancelled"}}}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = ctx
        .patch(&path, json!({"properties": {"Name": null}}))
        .await;
    assert_error(&r, 400, "validation_error");
    let r = ctx.post("/v1/data_sources", json!({"parent": {"database_id": demo::ELECTIONS_DB}, "title": [{"text": {"content": "Second"}}]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let db = ctx
        .get(&format!("/v1/databases/{}", demo::ELECTIONS_DB))
        .await;
    assert_eq!(db.body["data_sources"].as_array().unwrap().len(), 2);
    // With two data sources a database_id parent is ambiguous.
    let r = ctx
        .post(
            "/v1/pages",
            json!({"parent": {"database_id": demo::ELECTIONS_DB}, "properties": {}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    let trashed = ctx
        .patch(
            &format!("/v1/data_sources/{}", demo::LEGACY_DS),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(trashed.body["in_trash"], true);
    let q = ctx
        .post(
            &format!("/v1/data_sources/{}/query", demo::LEGACY_DS),
            json!({}),
        )
        .await;
    assert_eq!(
        q.body["results"],
        json!([]),
        "rows of a trashed data source drop out"
    );
}

#[tokio::test]
async fn a_status_options_list_replaces_the_options_and_rows_fall_back() {
    let ctx = Ctx::new().await;
    let path = format!("/v1/data_sources/{}", demo::ELECTIONS_DS);
    let page = |id| format!("/v1/pages/{id}");
    let status_of = |r: &Resp| r.body["properties"]["Voting Status"]["status"].clone();
    let budget_before = ctx.get(&page(demo::BUDGET_REFERENDUM)).await;
    assert_eq!(status_of(&budget_before)["name"], "In Voting");
    ctx.emu.clock().advance(std::time::Duration::from_secs(600));

    // Keep "Not started" (by id), rename "Done" to "Closed" (by id), leave "In Voting" out
    // (removed) and add "Voting open" (it lands in To-do).
    let r = ctx
        .patch(
            &path,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"id": "5e000000-0000-4000-8000-000000000001"},
                {"id": "5e000000-0000-4000-8000-000000000003", "name": "Closed"},
                {"name": "Voting open", "color": "purple"}
            ]}}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let status = &r.body["properties"]["Voting Status"]["status"];
    let options = status["options"].as_array().unwrap();
    let names: Vec<&str> = options
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Not started", "Closed", "Voting open"]);
    let voting_open = options[2]["id"].clone();
    let groups: Vec<(&str, Vec<Value>)> = status["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap(),
                g["option_ids"].as_array().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (
                "To-do",
                vec![json!("5e000000-0000-4000-8000-000000000001"), voting_open]
            ),
            ("In progress", vec![]),
            (
                "Complete",
                vec![json!("5e000000-0000-4000-8000-000000000003")]
            ),
        ]
    );

    // The row that had "In Voting" falls back to the first To-do option; its last edit stays.
    let budget = ctx.get(&page(demo::BUDGET_REFERENDUM)).await;
    assert_eq!(status_of(&budget)["name"], "Not started");
    assert_eq!(
        status_of(&budget)["id"],
        "5e000000-0000-4000-8000-000000000001"
    );
    assert_eq!(
        budget.body["last_edited_time"],
        budget_before.body["last_edited_time"]
    );
    // The renamed option shows its new name; an untouched row is unchanged.
    let agm = ctx.get(&page(demo::AGM_MOTIONS)).await;
    assert_eq!(status_of(&agm)["name"], "Closed");
    let board = ctx.get(&page(demo::BOARD_PRESIDENT)).await;
    assert_eq!(status_of(&board)["name"], "Not started");
    // The removed option can no longer be written, by name or id; the rest of the page is kept.
    for value in [
        json!({"name": "In Voting"}),
        json!({"id": "5e000000-0000-4000-8000-000000000002"}),
    ] {
        let r = ctx
            .patch(
                &page(demo::BOARD_PRESIDENT),
                json!({"properties": {"Voting Status": {"status": value}}}),
            )
            .await;
        assert_error(&r, 400, "validation_error");
    }
    let r = ctx
        .patch(
            &page(demo::BOARD_PRESIDENT),
            json!({"properties": {"Voting Status": {"status": {"name": "Voting open"}}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Nothing left in To-do: rows of removed options get no status at all.
    let r = ctx
        .patch(
            &path,
            json!({"properties": {"Voting Status": {"status": {"options": [{"name": "Closed"}]}}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for id in [demo::BOARD_PRESIDENT, demo::BUDGET_REFERENDUM] {
        assert_eq!(status_of(&ctx.get(&page(id)).await), Value::Null);
    }
    assert_eq!(
        status_of(&ctx.get(&page(demo::AGM_MOTIONS)).await)["name"],
        "Closed"
    );
    // Also seen through the human-edit path (the Notion UI) and the control API's state.
    ctx.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [{"name": "Closed"}, {"name": "Open"}]}}}}),
        )
        .unwrap();
    assert_eq!(
        ctx.emu
            .page_property(demo::AGM_MOTIONS, "Voting Status")
            .unwrap()["status"]["name"],
        "Closed"
    );
}
