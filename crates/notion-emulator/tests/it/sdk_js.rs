//! The official Notion JavaScript SDK (tests/sdk-js/scenario.mjs) against the in-process emulator.

use std::path::PathBuf;
use std::process::Command;

use notion_emulator::{Emulator, demo};

use crate::common::config;

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/sdk-js")
}

/// Runs the scenario with the SDK sending this `Notion-Version`.
async fn scenario_passes_on(version: &str) {
    let dir = sdk_dir();
    if !dir.join("node_modules/@notionhq/client").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the SDK test (scripts/test installs it)");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    let emu = Emulator::start(config()).await.unwrap();
    let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = tokio::process::Command::new("node")
        .arg(dir.join("scenario.mjs"))
        .current_dir(&repo_root)
        .env("NOTION_BASE_URL", emu.base_url())
        .env("NOTION_TOKEN", emu.demo_token())
        .env("NOTION_VERSION", version)
        .env("NOTION_DATABASE_ID", demo::ELECTIONS_DB.to_string())
        .env("NOTION_DATA_SOURCE_ID", demo::ELECTIONS_DS.to_string())
        .env("NOTION_PAGE_ID", demo::BOARD_PRESIDENT.to_string())
        .env("NOTION_LEGACY_PAGE_ID", demo::LEGACY_PAGE.to_string())
        .env(
            "NOTION_UNSHARED_PAGE_ID",
            demo::PRIVATE_PAGE_ROW.to_string(),
        )
        .output()
        .await
        .expect("node is needed for the SDK test (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "SDK scenario failed on {version}:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("sdk-js scenario: ok"), "{stdout}");
    // The scenario's requests were counted.
    assert!(
        emu.request_counts()
            .route("POST /v1/data_sources/{data_source_id}/query")
            >= 3
    );
    assert_eq!(
        emu.page_property(demo::BOARD_PRESIDENT, "Voting Status")
            .unwrap()["status"]["name"],
        "Done"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn official_js_sdk_scenario_passes() {
    scenario_passes_on("2025-09-03").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn official_js_sdk_scenario_passes_on_2026_03_11() {
    scenario_passes_on("2026-03-11").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn official_js_sdk_scenario_passes_on_2026_12_01() {
    scenario_passes_on("2026-12-01").await;
}
