//! Several workspaces and OAuth over real HTTP: the consent page (Allow, Cancel, bad clients),
//! auto-consent, the token response, access-token lifetime, refresh rotation and its concurrent
//! loser, clients registered at run time, and the per-connection, per-workspace and blocked 429s.

use std::time::Duration;

use base64::Engine;
use notion_emulator::{AutoConsent, Blocked, RateLimit, demo};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Ctx, assert_error, config};

const REDIRECT: &str = demo::OAUTH_REDIRECT_URI;

fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn basic(client: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client}:{secret}"))
    )
}

fn demo_basic() -> String {
    basic(demo::OAUTH_CLIENT_ID, demo::OAUTH_CLIENT_SECRET)
}

fn authorize_url(ctx: &Ctx, client: &str, redirect: &str, state: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client)
        .append_pair("response_type", "code")
        .append_pair("owner", "user")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", state)
        .finish();
    format!("{}/v1/oauth/authorize?{query}", ctx.emu.base_url())
}

/// GET authorize: (status, body, Location).
async fn get_authorize(url: &str) -> (u16, String, Option<String>) {
    let r = no_redirect().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, r.text().await.unwrap(), location)
}

/// Submits the consent form as a browser would: (status, body, Location).
async fn submit_consent(ctx: &Ctx, fields: &[(&str, &str)]) -> (u16, String, Option<String>) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    let r = no_redirect()
        .post(format!("{}/v1/oauth/authorize", ctx.emu.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, r.text().await.unwrap(), location)
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let (_, q) = location.split_once('?')?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn oauth_post(ctx: &Ctx, path: &str, auth: &str, body: Value) -> (u16, Value) {
    let r = ctx
        .http
        .post(format!("{}{path}", ctx.emu.base_url()))
        .header("authorization", auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn exchange(ctx: &Ctx, code: &str) -> Value {
    let (s, tok) = oauth_post(
        ctx,
        "/v1/oauth/token",
        &demo_basic(),
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}),
    )
    .await;
    assert_eq!(s, 200, "{tok}");
    tok
}

async fn refresh(ctx: &Ctx, refresh_token: &Value) -> (u16, Value) {
    oauth_post(
        ctx,
        "/v1/oauth/token",
        &demo_basic(),
        json!({"grant_type": "refresh_token", "refresh_token": refresh_token}),
    )
    .await
}

async fn control(ctx: &Ctx, method: Method, path: &str, body: Value) -> crate::common::Resp {
    ctx.raw(method, path, Some(&body), None, None).await
}

async fn as_token(ctx: &Ctx, token: &str, method: Method, path: &str) -> crate::common::Resp {
    ctx.raw(method, path, None, Some(token), Some("2025-09-03"))
        .await
}

/// Consents through the page: the second workspace, sharing `share`; returns the code.
async fn consent_second_workspace(ctx: &Ctx, share: &[Uuid]) -> String {
    let ws = demo::SECOND_WORKSPACE_ID.to_string();
    let ids: Vec<String> = share.iter().map(Uuid::to_string).collect();
    let mut fields = vec![
        ("client_id", demo::OAUTH_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "st-1"),
        ("workspace_id", ws.as_str()),
        ("action", "allow"),
    ];
    fields.extend(ids.iter().map(|id| ("share", id.as_str())));
    let (status, body, location) = submit_consent(ctx, &fields).await;
    assert_eq!(status, 302, "{body}");
    let location = location.unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));
    query_param(&location, "code").expect("code in the redirect")
}

#[tokio::test]
async fn each_token_acts_only_in_its_own_workspace() {
    let ctx = Ctx::new().await;
    let second = demo::SECOND_TOKEN;
    let me = as_token(&ctx, second, Method::GET, "/v1/users/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.body["bot"]["workspace_name"],
        demo::SECOND_WORKSPACE_NAME
    );
    assert_eq!(
        me.body["bot"]["workspace_id"],
        demo::SECOND_WORKSPACE_ID.to_string()
    );
    let q = ctx
        .raw(
            Method::POST,
            &format!("/v1/data_sources/{}/query", demo::BOARD_ELECTIONS_DS),
            Some(&json!({})),
            Some(second),
            Some("2025-09-03"),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let titles: Vec<&str> = q.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["properties"]["Name"]["title"][0]["plain_text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"Chair 2026") && titles.contains(&"Bylaw Amendment"));
    // The same property shape as "Elections".
    let ds = as_token(
        &ctx,
        second,
        Method::GET,
        &format!("/v1/data_sources/{}", demo::BOARD_ELECTIONS_DS),
    )
    .await;
    assert_eq!(
        ds.body["properties"]["Voting Status"]["id"],
        demo::PROP_VOTING_STATUS
    );
    // Neither workspace's token reaches the other's objects, even the all-access ones.
    let other = as_token(
        &ctx,
        second,
        Method::GET,
        &format!("/v1/databases/{}", demo::ELECTIONS_DB),
    )
    .await;
    assert_error(&other, 404, "object_not_found");
    let other = as_token(
        &ctx,
        demo::ADMIN_TOKEN,
        Method::GET,
        &format!("/v1/pages/{}", demo::BOARD_CHAIR),
    )
    .await;
    assert_error(&other, 404, "object_not_found");
    let mine = as_token(
        &ctx,
        demo::SECOND_ADMIN_TOKEN,
        Method::GET,
        &format!("/v1/pages/{}", demo::BOARD_CHAIR),
    )
    .await;
    assert_eq!(mine.status, 200);
    // The control API finds objects in whichever workspace holds them.
    let page = ctx.emu.page(demo::BYLAW_AMENDMENT).expect("page");
    assert_eq!(
        page["properties"]["Voting Status"]["status"]["name"],
        "In Voting"
    );
    let ws = control(&ctx, Method::GET, "/__emulator/workspaces", json!({})).await;
    assert_eq!(ws.body["workspaces"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_file_of_listed_workspaces_loads_and_single_files_keep_loading() {
    let ctx = Ctx::new().await;
    let file = json!({"workspaces": [
        {"id": "0e1ec710-0000-4000-8000-0000000000a1", "name": "A",
         "integrations": [{"id": "b0000000-0000-4000-8000-0000000000a1", "name": "a", "tokens": ["ntn_a"], "all_access": true}],
         "pages": [{"id": "10000000-0000-4000-8000-0000000000a1", "title": "A home"}]},
        {"id": "0e1ec710-0000-4000-8000-0000000000b1", "name": "B",
         "integrations": [{"id": "b0000000-0000-4000-8000-0000000000b1", "name": "b", "tokens": ["ntn_b"], "all_access": true}],
         "pages": [{"id": "10000000-0000-4000-8000-0000000000b1", "title": "B home"}]}
    ]});
    let r = control(&ctx, Method::POST, "/__emulator/workspace", file).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = as_token(
        &ctx,
        "ntn_a",
        Method::GET,
        "/v1/pages/10000000-0000-4000-8000-0000000000a1",
    )
    .await;
    assert_eq!(a.status, 200);
    let b = as_token(
        &ctx,
        "ntn_b",
        Method::GET,
        "/v1/pages/10000000-0000-4000-8000-0000000000a1",
    )
    .await;
    assert_error(&b, 404, "object_not_found");
    assert_eq!(ctx.emu.demo_token(), "ntn_a");
    // A token in two workspaces is refused.
    let dup = json!({"workspaces": [
        {"name": "A", "integrations": [{"id": "b0000000-0000-4000-8000-0000000000a1", "name": "a", "tokens": ["t"]}]},
        {"name": "B", "integrations": [{"id": "b0000000-0000-4000-8000-0000000000b1", "name": "b", "tokens": ["t"]}]}
    ]});
    let r = control(&ctx, Method::POST, "/__emulator/workspace", dup).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Today's one-workspace format.
    let single = json!({"name": "Solo", "integrations": [{"id": "b0000000-0000-4000-8000-0000000000c1", "name": "c", "tokens": ["ntn_c"]}]});
    let r = control(&ctx, Method::POST, "/__emulator/workspace", single).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let me = as_token(&ctx, "ntn_c", Method::GET, "/v1/users/me").await;
    assert_eq!(me.body["bot"]["workspace_name"], "Solo");
}

#[tokio::test]
async fn the_consent_page_chooses_a_workspace_and_what_to_share() {
    let ctx = Ctx::new().await;
    let (status, page, location) = get_authorize(&authorize_url(
        &ctx,
        demo::OAUTH_CLIENT_ID,
        REDIRECT,
        "st-1",
    ))
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(location, None, "no redirect before consent");
    for text in [
        "OAuth demo app",
        "Election Demo Workspace",
        demo::SECOND_WORKSPACE_NAME,
        "Board Elections",
        "Board Room",
        "Elections",
        "name=\"action\" value=\"allow\"",
        "name=\"action\" value=\"cancel\"",
    ] {
        assert!(page.contains(text), "{text} missing from the consent page");
    }
    let code = consent_second_workspace(&ctx, &[demo::BOARD_ELECTIONS_DB]).await;
    let tok = exchange(&ctx, &code).await;
    assert_eq!(tok["token_type"], "bearer");
    assert_eq!(tok["workspace_id"], demo::SECOND_WORKSPACE_ID.to_string());
    assert_eq!(tok["workspace_name"], demo::SECOND_WORKSPACE_NAME);
    assert_eq!(tok["workspace_icon"], "🏛️");
    assert_eq!(tok["bot_id"], demo::SECOND_OAUTH_BOT_ID.to_string());
    assert_eq!(tok["duplicated_template_id"], Value::Null);
    assert!(tok["request_id"].is_string());
    assert!(tok["refresh_token"].is_string());
    assert!(
        tok.get("expires_in").is_none(),
        "no lifetime, no expires_in"
    );
    assert_eq!(tok["owner"]["type"], "user");
    assert_eq!(tok["owner"]["user"]["object"], "user");
    assert_eq!(tok["owner"]["user"]["type"], "person");
    assert_eq!(tok["owner"]["user"]["name"], "Cleo Chair");
    assert_eq!(tok["owner"]["user"]["person"]["email"], "cleo@example.org");
    let access = tok["access_token"].as_str().unwrap();
    // What was ticked is shared; the rest of the workspace, and the other workspace, are not.
    let row = as_token(
        &ctx,
        access,
        Method::GET,
        &format!("/v1/pages/{}", demo::BOARD_CHAIR),
    )
    .await;
    assert_eq!(row.status, 200, "{}", row.body);
    let room = as_token(
        &ctx,
        access,
        Method::GET,
        &format!("/v1/pages/{}", demo::BOARD_ROOM_PAGE),
    )
    .await;
    assert_error(&room, 404, "object_not_found");
    let first = as_token(
        &ctx,
        access,
        Method::GET,
        &format!("/v1/pages/{}", demo::BOARD_PRESIDENT),
    )
    .await;
    assert_error(&first, 404, "object_not_found");
    // An object of another workspace ticked in the form is ignored.
    let code = consent_second_workspace(&ctx, &[demo::PRIVATE_DB]).await;
    let tok = exchange(&ctx, &code).await;
    let private = as_token(
        &ctx,
        tok["access_token"].as_str().unwrap(),
        Method::GET,
        &format!("/v1/databases/{}", demo::PRIVATE_DB),
    )
    .await;
    assert_error(&private, 404, "object_not_found");
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_no_code() {
    let ctx = Ctx::new().await;
    let ws = demo::WORKSPACE_ID.to_string();
    let (status, _, location) = submit_consent(
        &ctx,
        &[
            ("client_id", demo::OAUTH_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st-9"),
            ("workspace_id", ws.as_str()),
            ("action", "cancel"),
        ],
    )
    .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(REDIRECT));
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-9"));
    assert_eq!(query_param(&location, "code"), None);
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_get_a_400_page_never_a_redirect() {
    let ctx = Ctx::new().await;
    for url in [
        authorize_url(&ctx, "nobody", REDIRECT, "s"),
        authorize_url(&ctx, demo::OAUTH_CLIENT_ID, "http://evil.example/cb", "s"),
    ] {
        let (status, page, location) = get_authorize(&url).await;
        assert_eq!(status, 400, "{page}");
        assert_eq!(location, None);
        assert!(page.contains("Cannot connect"), "{page}");
    }
    // The form's answer is checked again: a forged redirect URI is refused there too.
    let ws = demo::WORKSPACE_ID.to_string();
    let (status, _, location) = submit_consent(
        &ctx,
        &[
            ("client_id", demo::OAUTH_CLIENT_ID),
            ("redirect_uri", "http://evil.example/cb"),
            ("workspace_id", ws.as_str()),
            ("action", "allow"),
        ],
    )
    .await;
    assert_eq!((status, location), (400, None));
    // Auto-consent does not skip the checks either.
    ctx.emu.set_oauth_auto_consent(Some(AutoConsent::default()));
    let (status, _, location) = get_authorize(&authorize_url(&ctx, "nobody", REDIRECT, "s")).await;
    assert_eq!((status, location), (400, None));
}

#[tokio::test]
async fn auto_consent_from_the_control_api_redirects_at_once() {
    let ctx = Ctx::new().await;
    let r = control(
        &ctx,
        Method::POST,
        "/__emulator/oauth/auto_consent",
        json!({"workspace_id": demo::SECOND_WORKSPACE_ID, "share": [demo::BOARD_ROOM_PAGE]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (status, _, location) =
        get_authorize(&authorize_url(&ctx, demo::OAUTH_CLIENT_ID, REDIRECT, "s-2")).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert_eq!(query_param(&location, "state").as_deref(), Some("s-2"));
    let tok = exchange(&ctx, &query_param(&location, "code").unwrap()).await;
    assert_eq!(tok["workspace_id"], demo::SECOND_WORKSPACE_ID.to_string());
    // The shared page's descendants come with it.
    let row = as_token(
        &ctx,
        tok["access_token"].as_str().unwrap(),
        Method::GET,
        &format!("/v1/pages/{}", demo::BYLAW_AMENDMENT),
    )
    .await;
    assert_eq!(row.status, 200, "{}", row.body);
    let r = control(
        &ctx,
        Method::POST,
        "/__emulator/oauth/auto_consent",
        json!({"off": true}),
    )
    .await;
    assert_eq!(r.body["auto_consent"], Value::Null);
    let (status, _, _) =
        get_authorize(&authorize_url(&ctx, demo::OAUTH_CLIENT_ID, REDIRECT, "s-3")).await;
    assert_eq!(status, 200, "the consent page again");
}

#[tokio::test]
async fn an_expired_access_token_answers_401_and_refresh_gives_a_working_one() {
    let ctx = Ctx::with(
        config()
            .with_oauth_auto_consent(AutoConsent::default())
            .with_oauth_token_lifetime(Some(Duration::from_secs(60))),
    )
    .await;
    let (_, _, location) =
        get_authorize(&authorize_url(&ctx, demo::OAUTH_CLIENT_ID, REDIRECT, "s")).await;
    let tok = exchange(&ctx, &query_param(&location.unwrap(), "code").unwrap()).await;
    assert_eq!(tok["expires_in"], 60);
    let access = tok["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        as_token(&ctx, &access, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
    ctx.emu.clock().advance(Duration::from_secs(59));
    assert_eq!(
        as_token(&ctx, &access, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
    ctx.emu.clock().advance(Duration::from_secs(1));
    let expired = as_token(&ctx, &access, Method::GET, "/v1/users/me").await;
    assert_error(&expired, 401, "unauthorized");
    let (_, intro) = oauth_post(
        &ctx,
        "/v1/oauth/introspect",
        &demo_basic(),
        json!({"token": access}),
    )
    .await;
    assert_eq!(intro["active"], false);
    let (s, fresh) = refresh(&ctx, &tok["refresh_token"]).await;
    assert_eq!(s, 200, "{fresh}");
    let fresh_access = fresh["access_token"].as_str().unwrap();
    assert_eq!(
        as_token(&ctx, fresh_access, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
    // The control API changes the lifetime of tokens issued from then on.
    let r = control(
        &ctx,
        Method::POST,
        "/__emulator/oauth/token_lifetime",
        json!({"off": true}),
    )
    .await;
    assert_eq!(r.body["secs"], Value::Null);
    let (_, longer) = refresh(&ctx, &fresh["refresh_token"]).await;
    assert!(longer.get("expires_in").is_none());
    ctx.emu.clock().advance(Duration::from_secs(86_400));
    let still = as_token(
        &ctx,
        longer["access_token"].as_str().unwrap(),
        Method::GET,
        "/v1/users/me",
    )
    .await;
    assert_eq!(still.status, 200);
    let r = control(
        &ctx,
        Method::POST,
        "/__emulator/oauth/token_lifetime",
        json!({"secs": 5}),
    )
    .await;
    assert_eq!(r.body["secs"], 5);
}

#[tokio::test]
async fn two_concurrent_refreshes_one_wins_the_other_gets_invalid_grant() {
    let ctx = Ctx::with(config().with_oauth_auto_consent(AutoConsent::default())).await;
    let (_, _, location) =
        get_authorize(&authorize_url(&ctx, demo::OAUTH_CLIENT_ID, REDIRECT, "s")).await;
    let tok = exchange(&ctx, &query_param(&location.unwrap(), "code").unwrap()).await;
    let old_access = tok["access_token"].as_str().unwrap().to_owned();
    // Two connections, so the requests are really in flight together.
    let auth = demo_basic();
    let (a, b) = tokio::join!(
        oauth_post(
            &ctx,
            "/v1/oauth/token",
            &auth,
            json!({"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
        ),
        async {
            let other = reqwest::Client::new();
            let r = other
                .post(format!("{}/v1/oauth/token", ctx.emu.base_url()))
                .header("authorization", &auth)
                .json(
                    &json!({"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}),
                )
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    );
    let (winner, loser) = match (a.0, b.0) {
        (200, 400) => (a.1, b.1),
        (400, 200) => (b.1, a.1),
        other => panic!(
            "expected one 200 and one 400, got {other:?}: {} / {}",
            a.1, b.1
        ),
    };
    assert_eq!(loser["code"], "invalid_grant");
    assert_ne!(winner["refresh_token"], tok["refresh_token"]);
    // The winner's pair works; the old access token and refresh token are dead.
    let new_access = winner["access_token"].as_str().unwrap();
    assert_eq!(
        as_token(&ctx, new_access, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
    assert_error(
        &as_token(&ctx, &old_access, Method::GET, "/v1/users/me").await,
        401,
        "unauthorized",
    );
    let (s, again) = refresh(&ctx, &tok["refresh_token"]).await;
    assert_eq!((s, again["code"].as_str()), (400, Some("invalid_grant")));
    let (s, next) = refresh(&ctx, &winner["refresh_token"]).await;
    assert_eq!(s, 200, "{next}");
    // Revoking by refresh token ends the pair it issued.
    let (s, _) = oauth_post(
        &ctx,
        "/v1/oauth/revoke",
        &demo_basic(),
        json!({"token": next["refresh_token"]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        as_token(
            &ctx,
            next["access_token"].as_str().unwrap(),
            Method::GET,
            "/v1/users/me"
        )
        .await
        .status,
        401
    );
    assert_eq!(refresh(&ctx, &next["refresh_token"]).await.0, 400);
}

#[tokio::test]
async fn a_client_registered_at_run_time_authorizes_to_its_own_callback() {
    let ctx = Ctx::new().await;
    let callback = "http://127.0.0.1:45678/oauth/notion/callback";
    let reg = json!({"client_id": "test-app", "client_secret": "test-secret",
                     "redirect_uris": [callback], "name": "Test App"});
    let r = control(&ctx, Method::POST, "/__emulator/oauth/clients", reg.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let again = control(&ctx, Method::POST, "/__emulator/oauth/clients", reg).await;
    assert_eq!(again.status, 400, "a client id is registered once");
    let bad = control(
        &ctx,
        Method::POST,
        "/__emulator/oauth/clients",
        json!({"client_id": "x"}),
    )
    .await;
    assert_eq!(bad.status, 400);
    let list = control(&ctx, Method::GET, "/__emulator/oauth/clients", json!({})).await;
    let app = list.body["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "test-app")
        .cloned()
        .unwrap();
    assert_eq!(
        app["installs"].as_array().unwrap().len(),
        2,
        "installable in both workspaces"
    );
    assert!(app.get("client_secret").is_none());

    let (status, page, _) = get_authorize(&authorize_url(&ctx, "test-app", callback, "s")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Test App") && page.contains(demo::SECOND_WORKSPACE_NAME));
    let ws = demo::WORKSPACE_ID.to_string();
    let db = demo::ELECTIONS_DB.to_string();
    let (status, _, location) = submit_consent(
        &ctx,
        &[
            ("client_id", "test-app"),
            ("redirect_uri", callback),
            ("state", "s"),
            ("workspace_id", ws.as_str()),
            ("share", db.as_str()),
            ("action", "allow"),
        ],
    )
    .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(callback));
    let (s, tok) = oauth_post(
        &ctx,
        "/v1/oauth/token",
        &basic("test-app", "test-secret"),
        json!({"grant_type": "authorization_code", "code": query_param(&location, "code"), "redirect_uri": callback}),
    )
    .await;
    assert_eq!(s, 200, "{tok}");
    assert_eq!(tok["workspace_id"], demo::WORKSPACE_ID.to_string());
    let access = tok["access_token"].as_str().unwrap();
    let me = as_token(&ctx, access, Method::GET, "/v1/users/me").await;
    assert_eq!(me.body["name"], "Test App");
    let q = ctx
        .raw(
            Method::POST,
            &format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS),
            Some(&json!({})),
            Some(access),
            Some("2025-09-03"),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    // The demo client's secret does not open the registered client's codes.
    let (s, _) = oauth_post(
        &ctx,
        "/v1/oauth/token",
        &basic("test-app", "wrong"),
        json!({"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}),
    )
    .await;
    assert_eq!(s, 401);
    // A reset keeps registered clients.
    ctx.emu.reset().unwrap();
    let (status, _, _) = get_authorize(&authorize_url(&ctx, "test-app", callback, "s")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_connection_window_and_the_workspace_window_are_separate_and_say_why() {
    let ctx = Ctx::with(
        config()
            .with_rate_limit(Some(RateLimit {
                requests: 2,
                window_secs: 60,
            }))
            .with_workspace_rate_limit(Some(RateLimit {
                requests: 3,
                window_secs: 300,
            })),
    )
    .await;
    let me = |token: &'static str| {
        let ctx = &ctx;
        async move { as_token(ctx, token, Method::GET, "/v1/users/me").await }
    };
    assert_eq!(me(demo::TOKEN).await.status, 200);
    assert_eq!(me(demo::TOKEN).await.status, 200);
    let connection = me(demo::TOKEN).await;
    assert_error(&connection, 429, "rate_limited");
    assert_eq!(
        connection.body["additional_data"]["rate_limit_reason"],
        "public_api_request_rate_limit"
    );
    // Another connection of the same workspace has its own window, until the workspace's is spent.
    assert_eq!(me(demo::ADMIN_TOKEN).await.status, 200);
    let workspace = me(demo::ADMIN_TOKEN).await;
    assert_error(&workspace, 429, "rate_limited");
    assert_eq!(
        workspace.body["additional_data"]["rate_limit_reason"],
        "public_api_space_request_rate_limit"
    );
    let secs: u64 = workspace.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(secs > 60, "the workspace window is five minutes: {secs}");
    // The other workspace keeps its pace.
    assert_eq!(me(demo::SECOND_TOKEN).await.status, 200);
    assert_eq!(me(demo::SECOND_ADMIN_TOKEN).await.status, 200);
}

#[tokio::test]
async fn blocked_tokens_and_workspaces_answer_public_api_request_blocked() {
    let ctx = Ctx::new().await;
    let r = control(
        &ctx,
        Method::POST,
        "/__emulator/blocked",
        json!({"tokens": [demo::SECOND_TOKEN]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let blocked = as_token(&ctx, demo::SECOND_TOKEN, Method::GET, "/v1/users/me").await;
    assert_error(&blocked, 429, "rate_limited");
    assert_eq!(
        blocked.body["additional_data"]["rate_limit_reason"],
        "public_api_request_blocked"
    );
    assert_eq!(
        as_token(&ctx, demo::SECOND_ADMIN_TOKEN, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
    ctx.emu.set_blocked(Blocked {
        tokens: vec![],
        workspace_ids: vec![demo::WORKSPACE_ID],
    });
    for token in [demo::TOKEN, demo::ADMIN_TOKEN] {
        let r = as_token(&ctx, token, Method::GET, "/v1/users/me").await;
        assert_eq!(
            r.body["additional_data"]["rate_limit_reason"],
            "public_api_request_blocked"
        );
    }
    assert_eq!(
        as_token(&ctx, demo::SECOND_TOKEN, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
    let r = control(&ctx, Method::DELETE, "/__emulator/blocked", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        as_token(&ctx, demo::TOKEN, Method::GET, "/v1/users/me")
            .await
            .status,
        200
    );
}
