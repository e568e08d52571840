//! Checklist 1-6: auth, version header, error bodies, JSON, request ids, id forms.

use notion_emulator::demo;
use reqwest::Method;
use serde_json::json;

use crate::common::{Ctx, assert_error};

#[tokio::test]
async fn missing_or_unknown_token_is_unauthorized() {
    let ctx = Ctx::new().await;
    let r = ctx
        .raw(Method::GET, "/v1/users/me", None, None, Some("2025-09-03"))
        .await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(r.message(), "API token is invalid.");
    let r = ctx
        .raw(
            Method::GET,
            "/v1/users/me",
            None,
            Some("ntn_wrong"),
            Some("2025-09-03"),
        )
        .await;
    assert_error(&r, 401, "unauthorized");
}

#[tokio::test]
async fn missing_version_has_the_exact_message() {
    let ctx = Ctx::new().await;
    let r = ctx
        .raw(Method::GET, "/v1/users/me", None, Some(demo::TOKEN), None)
        .await;
    assert_error(&r, 400, "missing_version");
    assert_eq!(
        r.message(),
        "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`."
    );
}

#[tokio::test]
async fn unknown_version_lists_the_accepted_ones() {
    let ctx = Ctx::new().await;
    let r = ctx
        .raw(
            Method::GET,
            "/v1/users/me",
            None,
            Some(demo::TOKEN),
            Some("2099-01-01"),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    for v in notion_emulator::ACCEPTED_VERSIONS {
        assert!(r.message().contains(v), "{}", r.message());
    }
    assert!(r.message().contains("2099-01-01"));
}

#[tokio::test]
async fn unknown_route_and_wrong_method_are_invalid_request_url() {
    let ctx = Ctx::new().await;
    let r = ctx.get("/v1/invalid").await;
    assert_error(&r, 400, "invalid_request_url");
    assert_eq!(r.message(), "Invalid request URL.");
    let r = ctx
        .call(
            Method::DELETE,
            "/v1/pages/e0000000-0000-4000-8000-000000000001",
            None,
        )
        .await;
    assert_error(&r, 400, "invalid_request_url");
    assert_eq!(ctx.emu.request_counts().get("GET unknown", 400), 1);
}

#[tokio::test]
async fn malformed_json_is_invalid_json() {
    let ctx = Ctx::new().await;
    let r = ctx
        .http
        .post(format!("{}/v1/search", ctx.emu.base_url()))
        .bearer_auth(demo::TOKEN)
        .header("Notion-Version", "2025-09-03")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");
    assert_eq!(body["message"], "Error parsing JSON body.");
}

#[tokio::test]
async fn success_has_request_id_and_headers() {
    let ctx = Ctx::new().await;
    let r = ctx.get("/v1/users/me").await;
    assert_eq!(r.status, 200);
    assert!(r.body["request_id"].is_string());
    assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(
        r.headers["x-notion-request-id"].to_str().unwrap(),
        r.body["request_id"].as_str().unwrap()
    );
    assert_eq!(r.body["type"], "bot");
    assert_eq!(r.body["bot"]["workspace_name"], "Election Demo Workspace");
    assert!(r.body["bot"]["workspace_limits"].is_object());
}

#[tokio::test]
async fn ids_work_with_or_without_dashes_and_come_back_dashed() {
    let ctx = Ctx::new().await;
    let r = ctx.get("/v1/pages/E0000000000040008000000000000001").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], "e0000000-0000-4000-8000-000000000001");
    let r = ctx.get("/v1/pages/not-a-uuid").await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn unshared_objects_are_not_found_naming_the_integration() {
    let ctx = Ctx::new().await;
    for path in [
        format!("/v1/pages/{}", demo::PRIVATE_PAGE_ROW),
        format!("/v1/databases/{}", demo::PRIVATE_DB),
        format!("/v1/data_sources/{}", demo::PRIVATE_DS),
        format!("/v1/blocks/{}/children", demo::PRIVATE_PAGE),
    ] {
        let r = ctx.get(&path).await;
        assert_error(&r, 404, "object_not_found");
        assert!(r.message().contains("Make sure the relevant pages and databases are shared with your integration \"Election Sync (demo)\"."), "{}", r.message());
        assert_eq!(
            r.body["additional_data"]["integration_id"],
            demo::INTEGRATION_ID.to_string()
        );
    }
    let r = ctx
        .get(&format!("/v1/pages/{}", demo::PRIVATE_PAGE_ROW))
        .await;
    assert!(
        r.message()
            .starts_with("Could not find page with ID: e0000000-0000-4000-8000-000000000011.")
    );
    // A database id where a data source id is expected is not found either.
    let r = ctx
        .get(&format!("/v1/data_sources/{}", demo::ELECTIONS_DB))
        .await;
    assert_error(&r, 404, "object_not_found");
}

#[tokio::test]
async fn token_without_read_capability_is_restricted() {
    let mut ctx = Ctx::new().await;
    ctx.token = demo::NO_READ_TOKEN.to_owned();
    let r = ctx
        .get(&format!("/v1/pages/{}", demo::BOARD_PRESIDENT))
        .await;
    assert_error(&r, 403, "restricted_resource");
    let r = ctx
        .post(
            &format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS),
            json!({}),
        )
        .await;
    assert_error(&r, 403, "restricted_resource");
}

#[tokio::test]
async fn all_access_token_sees_unshared_objects() {
    let mut ctx = Ctx::new().await;
    ctx.token = demo::ADMIN_TOKEN.to_owned();
    let r = ctx
        .get(&format!("/v1/pages/{}", demo::PRIVATE_PAGE_ROW))
        .await;
    assert_eq!(r.status, 200);
}
