//! Checklist 27-30, 35: search, block children, comments, users, OAuth.

use base64::Engine;
use notion_emulator::demo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error};

fn titles(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| match o["object"].as_str() {
            Some("page") => o["properties"]
                .as_object()
                .unwrap()
                .values()
                .find(|p| p["type"] == "title")
                .map(|p| {
                    p["title"][0]["plain_text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .unwrap_or_default(),
            _ => o["title"][0]["plain_text"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn search_is_case_insensitive_over_shared_titles() {
    let ctx = Ctx::new().await;
    let r = ctx.post("/v1/search", json!({"query": "BUDGET"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["type"], "page_or_data_source");
    assert_eq!(titles(&r.body), ["Budget Referendum"]);
    let r = ctx.post("/v1/search", json!({"query": "ballot"})).await;
    assert_eq!(r.body["results"], json!([]), "unshared objects are missing");
    let r = ctx
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "data_source"}}),
        )
        .await;
    let mut t = titles(&r.body);
    t.sort();
    assert_eq!(t, ["Elections", "Legacy Elections"]);
    let r = ctx
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "database"}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    let r = ctx
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "page"}, "page_size": 2}),
        )
        .await;
    assert_eq!(r.body["has_more"], true);
    let next = ctx
        .post("/v1/search", json!({"filter": {"property": "object", "value": "page"}, "start_cursor": r.body["next_cursor"]}))
        .await;
    assert_eq!(next.status, 200);
    assert!(!next.body["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn search_sort_and_trash() {
    let ctx = Ctx::new().await;
    ctx.emu
        .clock()
        .advance(jiff::SignedDuration::from_secs(120));
    ctx.patch(
        &format!("/v1/pages/{}", demo::BOARD_PRESIDENT),
        json!({"properties": {"Results Link": {"url": "https://a"}}}),
    )
    .await;
    let r = ctx
        .post(
            "/v1/search",
            json!({"filter": {"value": "page", "property": "object"}}),
        )
        .await;
    assert_eq!(
        titles(&r.body)[0],
        "Board President 2026",
        "most recently edited first"
    );
    let r = ctx
        .post("/v1/search", json!({"filter": {"value": "page", "property": "object"}, "sort": {"direction": "ascending", "timestamp": "last_edited_time"}}))
        .await;
    assert_ne!(titles(&r.body)[0], "Board President 2026");
    ctx.delete(&format!("/v1/blocks/{}", demo::BOARD_PRESIDENT))
        .await;
    let r = ctx.post("/v1/search", json!({"query": "board"})).await;
    assert_eq!(r.body["results"], json!([]));
    let r = ctx.post("/v1/search", json!({"query": "board", "filter": {"property": "object", "value": "page", "in_trash": true}})).await;
    assert_eq!(titles(&r.body), ["Board President 2026"]);
}

#[tokio::test]
async fn legacy_search_lists_databases() {
    let ctx = Ctx::new().await.legacy();
    let r = ctx
        .post(
            "/v1/search",
            json!({"query": "elections", "filter": {"property": "object", "value": "database"}}),
        )
        .await;
    assert_eq!(r.body["type"], "page_or_database");
    assert_eq!(r.body["results"][0]["object"], "database");
}

#[tokio::test]
async fn block_children_append_list_nested_and_after() {
    let ctx = Ctx::new().await;
    let page = demo::BOARD_PRESIDENT;
    let r = ctx
        .patch(
            &format!("/v1/blocks/{page}/children"),
            json!({"children": [
                {"paragraph": {"rich_text": [{"text": {"content": "p0"}}]}},
                {"bulleted_list_item": {"rich_text": [{"text": {"content": "item"}}], "children": [
                    {"paragraph": {"rich_text": [{"text": {"content": "nested"}}]}}
                ]}},
                {"paragraph": {"rich_text": [{"text": {"content": "p2"}}]}}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["type"], "block");
    let ids: Vec<String> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(r.body["results"][1]["has_children"], true);
    let nested = ctx.get(&format!("/v1/blocks/{}/children", ids[1])).await;
    assert_eq!(
        nested.body["results"][0]["paragraph"]["rich_text"][0]["plain_text"],
        "nested"
    );
    let r = ctx
        .patch(
            &format!("/v1/blocks/{page}/children"),
            json!({"children": [{"paragraph": {"rich_text": []}}], "after": ids[0]}),
        )
        .await;
    let inserted = r.body["results"][0]["id"].as_str().unwrap().to_owned();
    let page1 = ctx
        .get(&format!("/v1/blocks/{page}/children?page_size=2"))
        .await;
    assert_eq!(page1.body["has_more"], true);
    assert_eq!(page1.body["results"][1]["id"], inserted);
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(cursor, ids[1], "block cursors are the next block's id");
    let page2 = ctx
        .get(&format!(
            "/v1/blocks/{page}/children?page_size=2&start_cursor={cursor}"
        ))
        .await;
    assert_eq!(page2.body["results"].as_array().unwrap().len(), 2);
    assert_eq!(page2.body["has_more"], false);
    let bad = ctx
        .get(&format!("/v1/blocks/{page}/children?start_cursor=nope"))
        .await;
    assert_error(&bad, 400, "validation_error");
    let too_many: Vec<Value> = (0..101).map(|_| json!({"divider": {}})).collect();
    let r = ctx
        .patch(
            &format!("/v1/blocks/{page}/children"),
            json!({"children": too_many}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    // Update and delete a block.
    let r = ctx
        .patch(
            &format!("/v1/blocks/{}", ids[0]),
            json!({"paragraph": {"rich_text": [{"text": {"content": "changed"}}]}}),
        )
        .await;
    assert_eq!(r.body["paragraph"]["rich_text"][0]["plain_text"], "changed");
    let r = ctx.delete(&format!("/v1/blocks/{}", ids[0])).await;
    assert_eq!(r.body["in_trash"], true);
    let r = ctx.get(&format!("/v1/blocks/{}", ids[0])).await;
    assert_eq!(r.body["type"], "paragraph");
}

#[tokio::test]
async fn position_replaces_after_in_2026() {
    let mut ctx = Ctx::new().await;
    ctx.version = "2026-03-11";
    let page = demo::ROOT_PAGE;
    let r = ctx
        .patch(
            &format!("/v1/blocks/{page}/children"),
            json!({"children": [{"divider": {}}], "position": {"type": "start"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = ctx.get(&format!("/v1/blocks/{page}/children")).await;
    assert_eq!(list.body["results"][0]["type"], "divider");
    let r = ctx
        .patch(
            &format!("/v1/blocks/{page}/children"),
            json!({"children": [{"divider": {}}], "after": r.body["results"][0]["id"]}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn comments_create_and_list() {
    let ctx = Ctx::new().await;
    let r = ctx
        .post("/v1/comments", json!({"parent": {"page_id": demo::BUDGET_REFERENDUM}, "rich_text": [{"text": {"content": "Voting opened."}}]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["object"], "comment");
    assert_eq!(
        r.body["display_name"],
        json!({"type": "integration", "resolved_name": "Election Sync (demo)"})
    );
    let discussion = r.body["discussion_id"].as_str().unwrap().to_owned();
    let r = ctx
        .post(
            "/v1/comments",
            json!({"discussion_id": discussion, "rich_text": [{"text": {"content": "Reply"}}]}),
        )
        .await;
    assert_eq!(r.body["discussion_id"], discussion);
    let list = ctx
        .get(&format!(
            "/v1/comments?block_id={}",
            demo::BUDGET_REFERENDUM
        ))
        .await;
    assert_eq!(list.body["type"], "comment");
    assert_eq!(list.body["results"].as_array().unwrap().len(), 2);
    let r = ctx
        .get(&format!("/v1/comments?block_id={}", demo::PRIVATE_PAGE))
        .await;
    assert_error(&r, 404, "object_not_found");
}

#[tokio::test]
async fn users_list_retrieve_me() {
    let ctx = Ctx::new().await;
    let r = ctx.get("/v1/users?page_size=1").await;
    assert_eq!(r.body["type"], "user");
    assert_eq!(r.body["results"][0]["type"], "person");
    assert_eq!(r.body["results"][0]["person"]["email"], "ada@example.org");
    assert_eq!(r.body["has_more"], true);
    let all = ctx.get("/v1/users").await;
    assert!(
        all.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["type"] == "bot")
    );
    let r = ctx.get(&format!("/v1/users/{}", demo::HUMAN_ID)).await;
    assert_eq!(r.body["name"], "Ada Admin");
    let r = ctx
        .get("/v1/users/00000000-0000-4000-8000-000000000099")
        .await;
    assert_error(&r, 404, "object_not_found");
    let r = ctx.get("/v1/users/me").await;
    assert_eq!(r.body["id"], demo::INTEGRATION_ID.to_string());
    assert_eq!(
        r.body["bot"]["owner"],
        json!({"type": "workspace", "workspace": true})
    );
}

#[tokio::test]
async fn oauth_code_refresh_rotation_revoke_introspect() {
    // Auto-consent: authorize redirects at once, as if a person had allowed the first workspace.
    let ctx = Ctx::with(
        crate::common::config().with_oauth_auto_consent(notion_emulator::AutoConsent::default()),
    )
    .await;
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(format!(
            "{}/v1/oauth/authorize?client_id=demo-oauth-client&response_type=code&owner=user&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Foauth%2Fcallback&state=xyz",
            ctx.emu.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://127.0.0.1:8080/oauth/callback?code="));
    assert!(location.ends_with("&state=xyz"));
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("demo-oauth-client:demo-oauth-secret")
    );
    let post = |path: &'static str, body: Value, auth: String| {
        let http = ctx.http.clone();
        let url = format!("{}{path}", ctx.emu.base_url());
        async move {
            let r = http
                .post(url)
                .header("authorization", auth)
                .header("Notion-Version", "2025-09-03")
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let redirect = "http://127.0.0.1:8080/oauth/callback";
    let (s, tok) = post(
        "/v1/oauth/token",
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}),
        basic.clone(),
    )
    .await;
    assert_eq!(s, 200, "{tok}");
    assert_eq!(tok["token_type"], "bearer");
    for key in [
        "access_token",
        "refresh_token",
        "bot_id",
        "workspace_id",
        "workspace_name",
        "owner",
        "duplicated_template_id",
        "request_id",
    ] {
        assert!(tok.get(key).is_some(), "{key}");
    }
    let access = tok["access_token"].as_str().unwrap().to_owned();
    let me = ctx
        .raw(
            Method::GET,
            "/v1/users/me",
            None,
            Some(&access),
            Some("2025-09-03"),
        )
        .await;
    assert_eq!(me.body["name"], "OAuth demo app");
    let (s, again) = post(
        "/v1/oauth/token",
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}),
        basic.clone(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(again["code"], "invalid_grant");
    let (s, rotated) = post(
        "/v1/oauth/token",
        json!({"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}),
        basic.clone(),
    )
    .await;
    assert_eq!(s, 200);
    assert_ne!(rotated["refresh_token"], tok["refresh_token"]);
    let old = ctx
        .raw(
            Method::GET,
            "/v1/users/me",
            None,
            Some(&access),
            Some("2025-09-03"),
        )
        .await;
    assert_eq!(
        old.status, 401,
        "the rotated-out access token stops working"
    );
    let (s, reuse) = post(
        "/v1/oauth/token",
        json!({"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}),
        basic.clone(),
    )
    .await;
    assert_eq!((s, reuse["code"].as_str()), (400, Some("invalid_grant")));
    let new_access = rotated["access_token"].clone();
    let (_, intro) = post(
        "/v1/oauth/introspect",
        json!({"token": new_access}),
        basic.clone(),
    )
    .await;
    assert_eq!(intro["active"], true);
    let (s, _) = post(
        "/v1/oauth/revoke",
        json!({"token": new_access}),
        basic.clone(),
    )
    .await;
    assert_eq!(s, 200);
    let (_, intro) = post(
        "/v1/oauth/introspect",
        json!({"token": new_access}),
        basic.clone(),
    )
    .await;
    assert_eq!(intro["active"], false);
    let (s, bad) = post(
        "/v1/oauth/token",
        json!({"grant_type": "refresh_token", "refresh_token": "x"}),
        "Basic bm9wZTpub3Bl".to_owned(),
    )
    .await;
    assert_eq!((s, bad["code"].as_str()), (401, Some("unauthorized")));
}
