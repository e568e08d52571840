//! Checklist 9-10: rate limiting and fault injection; request counters.

use jiff::SignedDuration;
use notion_emulator::{Fault, FaultRule, RateLimit, demo};
use serde_json::json;

use crate::common::{Ctx, assert_error, config};

#[tokio::test]
async fn rate_limit_per_token_with_retry_after() {
    let ctx = Ctx::with(config().with_rate_limit(Some(RateLimit {
        requests: 3,
        window_secs: 60,
    })))
    .await;
    for _ in 0..3 {
        assert_eq!(ctx.get("/v1/users/me").await.status, 200);
    }
    ctx.emu.clock().advance(SignedDuration::from_secs(20));
    let r = ctx.get("/v1/users/me").await;
    assert_error(&r, 429, "rate_limited");
    assert_eq!(r.headers["retry-after"], "40");
    assert_eq!(
        r.body["additional_data"],
        json!({"rate_limit_reason": "public_api_request_rate_limit", "retry_after": "40"})
    );
    // Another token has its own budget.
    let mut admin = Ctx {
        token: demo::ADMIN_TOKEN.to_owned(),
        ..ctx
    };
    assert_eq!(admin.get("/v1/users/me").await.status, 200);
    admin.emu.clock().advance(SignedDuration::from_secs(40));
    admin.token = demo::TOKEN.to_owned();
    assert_eq!(
        admin.get("/v1/users/me").await.status,
        200,
        "the window reset"
    );
    admin.emu.set_rate_limit(None);
    for _ in 0..5 {
        assert_eq!(admin.get("/v1/users/me").await.status, 200);
    }
}

#[tokio::test]
async fn status_faults_by_count_on_a_route() {
    let ctx = Ctx::new().await;
    ctx.emu.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        kind: Fault::Status(503),
        count: Some(2),
        probability: None,
        ..FaultRule::default()
    });
    let path = format!("/v1/pages/{}", demo::BOARD_PRESIDENT);
    let body = json!({"properties": {"Voting Status": {"status": {"name": "In Voting"}}}});
    assert_eq!(
        ctx.get(&path).await.status,
        200,
        "other routes are untouched"
    );
    let r = ctx.patch(&path, body.clone()).await;
    assert_error(&r, 503, "service_unavailable");
    assert!(r.body["additional_data"]["retry_guidance"].is_string());
    assert_eq!(ctx.patch(&path, body.clone()).await.status, 503);
    assert_eq!(ctx.patch(&path, body.clone()).await.status, 200);
    let counts = ctx.emu.request_counts();
    assert_eq!(counts.get("PATCH /v1/pages/{page_id}", 503), 2);
    assert_eq!(counts.get("PATCH /v1/pages/{page_id}", 200), 1);
    assert_eq!(counts.get("GET /v1/pages/{page_id}", 200), 1);
    assert_eq!(counts.total(), 4);
    ctx.emu.reset_counts();
    assert_eq!(ctx.emu.request_counts().total(), 0);
}

#[tokio::test]
async fn every_status_fault_has_notions_body() {
    let ctx = Ctx::new().await;
    for (status, code) in [
        (409, "conflict_error"),
        (429, "rate_limited"),
        (500, "internal_server_error"),
        (502, "bad_gateway"),
        (503, "service_unavailable"),
        (504, "gateway_timeout"),
        (529, "service_overload"),
    ] {
        ctx.emu.set_fault(FaultRule {
            kind: Fault::Status(status),
            count: Some(1),
            retry_after_secs: Some(7),
            ..FaultRule::default()
        });
        let r = ctx.get("/v1/users/me").await;
        assert_error(&r, status, code);
        if matches!(status, 429 | 529) {
            assert_eq!(r.headers["retry-after"], "7");
            assert_eq!(r.body["additional_data"]["retry_after"], "7");
        }
    }
    assert_eq!(ctx.get("/v1/users/me").await.status, 200);
}

#[tokio::test]
async fn dropped_connections_and_latency() {
    let ctx = Ctx::new().await;
    ctx.emu
        .set_fault(FaultRule::next("/v1/users/me", Fault::Drop, 1));
    let err = ctx
        .http
        .get(format!("{}/v1/users/me", ctx.emu.base_url()))
        .bearer_auth(demo::TOKEN)
        .header("Notion-Version", "2025-09-03")
        .send()
        .await;
    assert!(err.is_err(), "the connection closes without a response");
    assert_eq!(ctx.emu.request_counts().get("GET /v1/users/me", 0), 1);
    ctx.emu
        .set_fault(FaultRule::next("GET /v1/users/me", Fault::LatencyMs(50), 1));
    let started = std::time::Instant::now();
    assert_eq!(ctx.get("/v1/users/me").await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(50));
}

#[tokio::test]
async fn probabilistic_faults_are_reproducible_with_a_seed() {
    async fn run() -> Vec<u16> {
        let ctx = Ctx::with(config().with_seed(7)).await;
        ctx.emu.set_fault(FaultRule {
            kind: Fault::Status(500),
            probability: Some(0.5),
            ..FaultRule::default()
        });
        let mut out = Vec::new();
        for _ in 0..20 {
            out.push(ctx.get("/v1/users/me").await.status);
        }
        out
    }
    let a = run().await;
    assert_eq!(a, run().await);
    assert!(a.contains(&500) && a.contains(&200));
}

async fn as_demo(c: &Ctx) -> crate::common::Resp {
    c.raw(
        reqwest::Method::GET,
        "/v1/users/me",
        None,
        Some(demo::TOKEN),
        Some("2025-09-03"),
    )
    .await
}

#[tokio::test]
async fn workspace_budget_is_shared_by_every_integration() {
    let ctx = Ctx::with(config().with_workspace_rate_limit(Some(RateLimit {
        requests: 3,
        window_secs: 300,
    })))
    .await;
    let admin = Ctx {
        token: demo::ADMIN_TOKEN.to_owned(),
        ..ctx
    };
    assert_eq!(as_demo(&admin).await.status, 200);
    assert_eq!(as_demo(&admin).await.status, 200);
    // A third request from another integration spends the same workspace budget.
    assert_eq!(admin.get("/v1/users/me").await.status, 200);
    admin.emu.clock().advance(SignedDuration::from_secs(10));
    let r = admin.get("/v1/users/me").await;
    assert_error(&r, 429, "rate_limited");
    // The workspace window is five minutes: Retry-After exceeds a minute, as Notion's may.
    assert_eq!(r.headers["retry-after"], "290");
    assert_eq!(
        r.body["additional_data"],
        json!({"rate_limit_reason": "public_api_space_request_rate_limit", "retry_after": "290"})
    );
    assert_eq!(as_demo(&admin).await.status, 429);

    // The control API reads, changes and switches it off; a bad body is a 400 saying what to send.
    let control = |method: reqwest::Method, body: Option<serde_json::Value>| {
        let mut req = admin.http.request(
            method,
            format!("{}/__emulator/workspace-rate-limit", admin.emu.base_url()),
        );
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let resp = req.send().await.unwrap();
            (
                resp.status().as_u16(),
                resp.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = control(reqwest::Method::GET, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["workspace_rate_limit"],
        json!({"requests": 3, "window_secs": 300})
    );
    let (status, body) = control(reqwest::Method::POST, Some(json!({"requests": "many"}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("window_secs"),
        "{body}"
    );
    let (status, _) = control(reqwest::Method::POST, Some(json!({"off": true}))).await;
    assert_eq!(status, 200);
    for _ in 0..5 {
        assert_eq!(admin.get("/v1/users/me").await.status, 200);
    }
    let (status, body) = control(
        reqwest::Method::POST,
        Some(json!({"requests": 1, "window_secs": 120})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(admin.get("/v1/users/me").await.status, 200);
    assert_eq!(
        admin.get("/v1/users/me").await.headers["retry-after"],
        "120"
    );
}

#[tokio::test]
async fn fault_rules_answer_the_other_rate_limit_reasons() {
    let ctx = Ctx::new().await;
    // By the Rust API.
    ctx.emu.set_fault(FaultRule {
        retry_after_secs: Some(3600),
        ..FaultRule::next(
            "GET /v1/users/me",
            Fault::RateLimited("public_api_request_blocked".into()),
            1,
        )
    });
    let r = ctx.get("/v1/users/me").await;
    assert_error(&r, 429, "rate_limited");
    assert_eq!(r.headers["retry-after"], "3600");
    assert_eq!(
        r.body["additional_data"],
        json!({"rate_limit_reason": "public_api_request_blocked", "retry_after": "3600"})
    );
    // By the control API, as other tests' JSON rules do.
    let resp = ctx
        .http
        .post(format!("{}/__emulator/faults", ctx.emu.base_url()))
        .json(&json!({"route": "POST /v1/search", "kind": {"rate_limited": "public_api_endpoint_rate_limit"},
                      "count": 1, "retry_after_secs": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = ctx.post("/v1/search", json!({})).await;
    assert_error(&r, 429, "rate_limited");
    assert_eq!(
        r.body["additional_data"]["rate_limit_reason"],
        "public_api_endpoint_rate_limit"
    );
    assert_eq!(r.headers["retry-after"], "7");
    // A 429 rule without a reason keeps answering the per-connection reason.
    ctx.emu
        .set_fault(FaultRule::next("POST /v1/search", Fault::Status(429), 1));
    let r = ctx.post("/v1/search", json!({})).await;
    assert_eq!(
        r.body["additional_data"]["rate_limit_reason"],
        "public_api_request_rate_limit"
    );
    assert_eq!(ctx.post("/v1/search", json!({})).await.status, 200);
}
