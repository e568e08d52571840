//! Demo mode: the built-in emulator, sample elections, the embedded sync loop, a generated token.

use std::time::Duration;

use api_server::{Cli, start};
use clap::Parser;
use notion_emulator::demo;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::support::TestServer;

#[tokio::test]
async fn demo_mode_runs_everything_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let cli = Cli::try_parse_from([
        "api-server",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.to_str().unwrap(),
        "--sync-interval",
        "1s",
        "--workers",
        "1",
    ])
    .unwrap();
    let settings = cli.settings().unwrap();
    assert!(settings.admin_token.is_none(), "no token configured");
    let shutdown = CancellationToken::new();
    let server = start(settings, shutdown.clone()).await.unwrap();
    assert!(server.token_generated());
    let token = server.admin_token().expose_secret().to_owned();
    assert!(token.len() >= 32);
    let http = reqwest::Client::new();

    let body: Value = http
        .get(format!("{}/admin/elections", server.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let elections = body["elections"].as_array().unwrap();
    let phases: Vec<&str> = elections
        .iter()
        .map(|e| e["phase"].as_str().unwrap())
        .collect();
    assert_eq!(elections.len(), 4, "{body}");
    for phase in ["upcoming", "open", "closed"] {
        assert!(phases.contains(&phase), "{phases:?}");
    }
    assert!(
        elections.iter().all(|e| e["notion_page_id"].is_string()),
        "{body}"
    );

    // The embedded sync loop writes the results link of the open election into the emulated page.
    let emulator = server.emulator().expect("demo mode runs the emulator");
    // BASE_URL is not set: the links point at the demo's real address, not localhost:8080.
    assert_eq!(server.results_base_url(), server.base_url());
    let expected = format!(
        "{}/e/elec_demo_budget_referendum/results",
        server.base_url()
    );
    let mut written = Value::Null;
    for _ in 0..100 {
        written = emulator
            .page_property(demo::BUDGET_REFERENDUM, "Results Link")
            .map(|p| p["url"].clone())
            .unwrap_or(Value::Null);
        if written == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(written, expected.as_str());

    // The link answers, with a page that says it is a placeholder.
    let admin_page = http
        .get(format!("{}/ui/", server.base_url()))
        .send()
        .await
        .unwrap();
    let results = http.get(&expected).send().await.unwrap();
    assert_eq!(results.status(), StatusCode::OK);
    for name in ["content-type", "content-security-policy", "x-frame-options"] {
        assert_eq!(
            results.headers()[name],
            admin_page.headers()[name],
            "{name}"
        );
    }
    let page = results.text().await.unwrap();
    for text in [
        "Budget Referendum",
        "Open",
        "Demo placeholder",
        "In a real deployment this link opens the voting app's results page (BASE_URL).",
    ] {
        assert!(page.contains(text), "{text:?} not in {page}");
    }
    for unknown in ["elec_demo_unknown", "not%20an%20id"] {
        let response = http
            .get(format!("{}/e/{unknown}/results", server.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{unknown}");
        assert!(response.text().await.unwrap().contains("No such election"));
    }
    let workspace_view = http
        .get(format!("{}/__emulator", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(workspace_view.status(), StatusCode::OK);

    // A second start on the same store keeps the existing elections.
    shutdown.cancel();
    server.wait().await.unwrap();
    let cli = Cli::try_parse_from([
        "api-server",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.to_str().unwrap(),
        "--admin-token",
        "a-chosen-demo-token-123",
        "--base-url",
        "https://vote.example.org/",
    ])
    .unwrap();
    let shutdown = CancellationToken::new();
    let server = start(cli.settings().unwrap(), shutdown.clone())
        .await
        .unwrap();
    assert!(!server.token_generated());
    assert_eq!(server.results_base_url(), "https://vote.example.org");
    let body: Value = http
        .get(format!("{}/admin/elections", server.base_url()))
        .bearer_auth("a-chosen-demo-token-123")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["elections"].as_array().unwrap().len(), 4);
    shutdown.cancel();
    server.wait().await.unwrap();
}

#[tokio::test]
async fn outside_demo_mode_results_links_are_not_served() {
    let t = TestServer::start().await;
    let election = t
        .create_election("Open vote", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let path = format!("/e/{}/results", election["id"].as_str().unwrap());
    let response = t.http.get(t.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("placeholder"));
}
