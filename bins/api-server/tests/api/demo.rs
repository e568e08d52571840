//! Demo mode: the built-in emulator, sample elections, the embedded sync loop, a generated token.

use std::time::Duration;

use api_server::{Cli, start};
use clap::Parser;
use notion_emulator::demo;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

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
    let expected = "http://localhost:8080/e/elec_demo_budget_referendum/results";
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
    assert_eq!(written, expected);
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
    ])
    .unwrap();
    let shutdown = CancellationToken::new();
    let server = start(cli.settings().unwrap(), shutdown.clone())
        .await
        .unwrap();
    assert!(!server.token_generated());
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
