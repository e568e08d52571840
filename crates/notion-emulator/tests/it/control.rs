//! The control API, human edits, workspace loading and the HTML view.

use notion_emulator::{Emulator, EmulatorConfig, Workspace, demo};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error};

async fn ctl(ctx: &Ctx, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = ctx
        .http
        .request(method, format!("{}/__emulator/{path}", ctx.emu.base_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn clock_control() {
    let ctx = Ctx::new().await;
    let (_, c) = ctl(&ctx, reqwest::Method::GET, "clock", None).await;
    assert_eq!(
        (c["now"].as_str(), c["frozen"].as_bool()),
        (Some("2026-05-01T10:00:30Z"), Some(true))
    );
    let (_, c) = ctl(
        &ctx,
        reqwest::Method::POST,
        "clock",
        Some(json!({"advance_secs": 60})),
    )
    .await;
    assert_eq!(c["now"], "2026-05-01T10:01:30Z");
    let (_, c) = ctl(
        &ctx,
        reqwest::Method::POST,
        "clock",
        Some(json!({"set": "2027-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(c["now"], "2027-01-01T00:00:00Z");
    let (s, _) = ctl(
        &ctx,
        reqwest::Method::POST,
        "clock",
        Some(json!({"set": "nope"})),
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn faults_rate_limit_and_counters_over_http() {
    let ctx = Ctx::new().await;
    let (s, _) = ctl(
        &ctx,
        reqwest::Method::POST,
        "faults",
        Some(json!({"route": "GET /v1/users/me", "kind": {"status": 502}, "count": 1})),
    )
    .await;
    assert_eq!(s, 200);
    assert_error(&ctx.get("/v1/users/me").await, 502, "bad_gateway");
    assert_eq!(ctx.get("/v1/users/me").await.status, 200);
    let (_, counters) = ctl(&ctx, reqwest::Method::GET, "counters", None).await;
    assert_eq!(counters["total"], 2);
    assert!(
        counters["counts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["route"] == "/v1/users/me" && c["status"] == 502)
    );
    ctl(&ctx, reqwest::Method::DELETE, "counters", None).await;
    let (_, counters) = ctl(&ctx, reqwest::Method::GET, "counters", None).await;
    assert_eq!(counters["total"], 0);
    ctl(
        &ctx,
        reqwest::Method::POST,
        "rate-limit",
        Some(json!({"requests": 1, "window_secs": 60})),
    )
    .await;
    assert_eq!(ctx.get("/v1/users/me").await.status, 200);
    assert_eq!(ctx.get("/v1/users/me").await.status, 429);
    ctl(
        &ctx,
        reqwest::Method::POST,
        "rate-limit",
        Some(json!({"off": true})),
    )
    .await;
    assert_eq!(ctx.get("/v1/users/me").await.status, 200);
}

#[tokio::test]
async fn human_edits_bypass_the_token() {
    let ctx = Ctx::new().await;
    let (s, page) = ctl(
        &ctx,
        reqwest::Method::PATCH,
        &format!("pages/{}", demo::BOARD_PRESIDENT),
        Some(json!({"properties": {"Name": {"title": [{"text": {"content": "Board President 2026 (edited)"}}]}}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(page["last_edited_by"]["id"], demo::HUMAN_ID.to_string());
    let r = ctx
        .get(&format!("/v1/pages/{}", demo::BOARD_PRESIDENT))
        .await;
    assert_eq!(
        r.body["properties"]["Name"]["title"][0]["plain_text"],
        "Board President 2026 (edited)"
    );
    // Same validation as the API.
    let (s, e) = ctl(
        &ctx,
        reqwest::Method::PATCH,
        &format!("pages/{}", demo::LEGACY_PAGE),
        Some(json!({"properties": {"Voting Status": {"status": {"name": "In Voting"}}}})),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("validation_error")));
    ctl(
        &ctx,
        reqwest::Method::POST,
        &format!("trash/{}", demo::AGM_MOTIONS),
        None,
    )
    .await;
    assert_eq!(
        ctx.get(&format!("/v1/pages/{}", demo::AGM_MOTIONS))
            .await
            .body["in_trash"],
        true
    );
    ctl(
        &ctx,
        reqwest::Method::POST,
        &format!("restore/{}", demo::AGM_MOTIONS),
        None,
    )
    .await;
    assert_eq!(
        ctx.get(&format!("/v1/pages/{}", demo::AGM_MOTIONS))
            .await
            .body["in_trash"],
        false
    );
    let (s, _) = ctl(
        &ctx,
        reqwest::Method::POST,
        "unshare",
        Some(json!({"integration": demo::INTEGRATION_NAME, "object_id": demo::ROOT_PAGE})),
    )
    .await;
    assert_eq!(s, 200);
    assert_error(
        &ctx.get(&format!("/v1/pages/{}", demo::AGM_MOTIONS)).await,
        404,
        "object_not_found",
    );
    ctl(
        &ctx,
        reqwest::Method::POST,
        "share",
        Some(json!({"integration": demo::INTEGRATION_NAME, "object_id": demo::ELECTIONS_DB})),
    )
    .await;
    assert_eq!(
        ctx.get(&format!("/v1/pages/{}", demo::AGM_MOTIONS))
            .await
            .status,
        200
    );
    assert_error(
        &ctx.get(&format!("/v1/pages/{}", demo::LEGACY_PAGE)).await,
        404,
        "object_not_found",
    );
}

#[tokio::test]
async fn rust_api_for_human_edits_and_events() {
    let ctx = Ctx::new().await;
    ctx.emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Voting Status": {"status": {"name": "Done"}}}),
        )
        .unwrap();
    assert_eq!(
        ctx.emu
            .page_property(demo::BUDGET_REFERENDUM, "Voting Status")
            .unwrap()["status"]["name"],
        "Done"
    );
    let err = ctx.emu.update_page_as_user(
        demo::BUDGET_REFERENDUM,
        json!({"Voting Status": {"status": {"name": "Nope"}}}),
    );
    assert!(err.is_err());
    let id = ctx
        .emu
        .create_page_as_user(
            demo::ELECTIONS_DS,
            json!({"Name": {"title": [{"text": {"content": "New"}}]}}),
        )
        .unwrap();
    ctx.emu.trash_page(id).unwrap();
    ctx.emu.restore_page(id).unwrap();
    let kinds: Vec<String> = ctx
        .emu
        .events()
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "page.properties_updated",
            "page.created",
            "page.deleted",
            "page.undeleted"
        ]
    );
    let state = ctx.emu.state();
    assert_eq!(state["databases"].as_array().unwrap().len(), 3);
    let (_, events) = ctl(&ctx, reqwest::Method::GET, "events", None).await;
    assert_eq!(events["events"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn load_and_reset_workspaces() {
    let ctx = Ctx::new().await;
    let ws = json!({
        "name": "Tiny",
        "people": [{"id": "a1000000-0000-4000-8000-000000000001", "name": "Pat", "email": "pat@example.org"}],
        "integrations": [{"id": "b1000000-0000-4000-8000-000000000001", "name": "Tiny bot", "tokens": ["ntn_tiny"], "shared": ["d1000000-0000-4000-8000-000000000001"]}],
        "pages": [{"id": "11000000-0000-4000-8000-000000000001", "title": "Home"}],
        "databases": [{"id": "d1000000-0000-4000-8000-000000000001", "parent": {"page_id": "11000000-0000-4000-8000-000000000001"}, "title": "Tasks",
            "data_sources": [{"id": "d6000000-0000-4000-8000-000000000001", "properties": {"Task": {"type": "title", "title": {}}, "Done": {"type": "checkbox", "checkbox": {}}},
                "pages": [{"id": "e1000000-0000-4000-8000-000000000001", "properties": {"Task": "Write docs", "Done": true}}]}]}]
    });
    let (s, _) = ctl(&ctx, reqwest::Method::POST, "workspace", Some(ws)).await;
    assert_eq!(s, 200);
    let r = ctx
        .raw(
            reqwest::Method::POST,
            "/v1/data_sources/d6000000-0000-4000-8000-000000000001/query",
            Some(&json!({})),
            Some("ntn_tiny"),
            Some("2025-09-03"),
        )
        .await;
    assert_eq!(r.body["results"][0]["properties"]["Done"]["checkbox"], true);
    assert_eq!(
        ctx.get("/v1/users/me").await.status,
        401,
        "the demo token is gone"
    );
    let (s, e) = ctl(
        &ctx,
        reqwest::Method::POST,
        "workspace",
        Some(json!({"databases": [{"id": "x"}]})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("workspace file is not valid")
    );
    ctx.emu.load_workspace(&Workspace::demo()).unwrap();
    ctx.patch(
        &format!("/v1/pages/{}", demo::BOARD_PRESIDENT),
        json!({"properties": {"Results Link": {"url": "https://x"}}}),
    )
    .await;
    let (s, _) = ctl(&ctx, reqwest::Method::POST, "reset", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        ctx.emu
            .page_property(demo::BOARD_PRESIDENT, "Results Link")
            .unwrap()["url"],
        Value::Null
    );
}

#[tokio::test]
async fn html_view_shows_databases_and_status_colours() {
    let ctx = Ctx::new().await;
    let r = ctx
        .http
        .get(format!("{}/__emulator/", ctx.emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = r.text().await.unwrap();
    assert!(html.contains("<table>"));
    assert!(html.contains("Budget Referendum"));
    assert!(html.contains("In Voting"));
    assert!(html.contains("#d3e5ef"), "blue status badge");
    assert!(!html.contains("<script"));
    // Like Notion's table view, the title column comes first, whatever the schema order.
    let name = html.find("<th>Name ").expect("a Name column");
    let description = html.find("<th>Description ").expect("a Description column");
    assert!(name < description, "title column first");
    assert!(
        html.contains("http-equiv=\"refresh\""),
        "the view refreshes itself"
    );
}

#[test]
fn starts_from_sync_code_and_from_a_current_thread_runtime() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.demo_token(), demo::TOKEN);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{}/v1/users/me", emu.base_url()))
            .bearer_auth(emu.demo_token())
            .header("Notion-Version", "2025-09-03")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let other = Emulator::start(EmulatorConfig::default().with_token("ntn_custom"))
            .await
            .unwrap();
        assert_eq!(other.demo_token(), "ntn_custom");
        other.shutdown().await;
    });
}
