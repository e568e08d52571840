//! Demo mode: the built-in emulator, sample elections, the embedded sync loop, a generated token.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use api_server::demo::TREASURER_PAGE;
use api_server::{Cli, start};
use clap::Parser;
use jiff::Timestamp;
use notion_emulator::demo;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::binary::api_server;
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

    // A second start on the same store starts over with the four sample elections.
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

/// One `api-server --demo` process started in `folder`, and what its banner printed.
struct DemoProcess {
    child: Child,
    base: String,
    emulator: String,
    token: String,
}

impl DemoProcess {
    /// Starts the demo with default settings (so the store is `data/demo.db` in `folder`) and a
    /// short timeline, and reads the addresses and the generated token from its banner.
    fn start(folder: &std::path::Path) -> Self {
        let mut child = api_server()
            .current_dir(folder)
            .args(["--demo", "--listen", "127.0.0.1:0", "--demo-step", "3s"])
            .stdout(Stdio::piped())
            // Its log goes to the test's output: shown when the test fails.
            .stderr(Stdio::inherit())
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().unwrap();
        let (mut base, mut emulator, mut token) = (None, None, None);
        let mut seen = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let value = |label: &str| {
                line.trim()
                    .strip_prefix(label)
                    .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
            };
            if let Some(url) = value("Admin page") {
                base = url.strip_suffix("/admin").map(str::to_owned);
            }
            emulator = emulator.or_else(|| value("Emulated Notion"));
            if let Some(found) = value("Admin token") {
                token = Some(found);
                break;
            }
            seen.push(line);
        }
        // Keep reading what the demo prints after its banner: a closed pipe would make its next
        // line on stdout fail (EPIPE) and stop the demo mid-test.
        std::thread::spawn(move || lines.for_each(drop));
        let missing = || format!("the banner lacks a line: {seen:#?}");
        Self {
            child,
            base: base.unwrap_or_else(|| panic!("{}", missing())),
            emulator: emulator.unwrap_or_else(|| panic!("{}", missing())),
            token: token.unwrap_or_else(|| panic!("{}", missing())),
        }
    }

    /// The Treasurer By-election as the admin API shows it.
    async fn treasurer(&self, http: &reqwest::Client) -> Value {
        let body: Value = http
            .get(format!("{}/admin/elections/elec_demo_treasurer", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["election"].clone()
    }

    /// The Voting Status of the Treasurer By-election's page in the emulated workspace.
    async fn treasurer_status(&self, http: &reqwest::Client) -> String {
        let page: Value = http
            .get(format!("{}/pages/{TREASURER_PAGE}", self.emulator))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["properties"]["Voting Status"]["status"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Stops the process as Ctrl-C would and waits for it.
    fn stop(mut self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "{exit:?}");
    }
}

/// Each run of the demo in the same folder tells the whole story again: the Treasurer
/// By-election is re-seeded relative to the new start and its fresh emulated page goes from
/// Not started to In Voting to Done. (Before, the second run reused the first run's elections: the
/// fresh page went straight to Done, and the app showed Notion values the emulator did not have.)
#[tokio::test]
async fn every_demo_run_in_the_same_folder_plays_the_whole_story_again() {
    let folder = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut previous_close: Option<Timestamp> = None;
    for run in 1..=2 {
        let demo = DemoProcess::start(folder.path());
        let election = demo.treasurer(&http).await;
        let open_at: Timestamp = election["open_at"].as_str().unwrap().parse().unwrap();
        let close_at: Timestamp = election["close_at"].as_str().unwrap().parse().unwrap();
        if let Some(previous_close) = previous_close {
            assert!(
                open_at > previous_close,
                "run {run}: seeded again relative to its start: {election}"
            );
        }
        previous_close = Some(close_at);

        // Every distinct status the page shows, in order, until Done (generous overall bound).
        let mut statuses: Vec<String> = Vec::new();
        for _ in 0..2400 {
            let status = demo.treasurer_status(&http).await;
            if statuses.last() != Some(&status) {
                statuses.push(status.clone());
            }
            if status == "Done" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // "Not started" is the fresh page's own value, seen unless this poll came late.
        let story = ["Not started", "In Voting", "Done"];
        assert!(
            statuses == story || statuses == story[1..],
            "run {run}: the page's statuses in order: {statuses:?}"
        );
        let election = demo.treasurer(&http).await;
        assert_eq!(election["phase"], "closed", "run {run}: {election}");
        demo.stop();
    }
    assert!(folder.path().join("data/demo.db").is_file());
}

/// Opening the bare address (what the banner and the log print) leads to the admin page, not to
/// a JSON 404.
#[tokio::test]
async fn the_bare_address_leads_to_the_admin_page() {
    let t = TestServer::start().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects.get(t.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/ui/");
    let page = t.http.get(t.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.url().path().starts_with("/ui/"), "{}", page.url());
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        page.headers()
    );
}

/// The demo subscribes the emulator to its own receiver and confirms the token: an edit in the
/// emulator's workspace reaches the election through the webhook, long before the next poll.
#[tokio::test]
async fn in_demo_mode_an_edit_in_the_emulator_reaches_the_election_through_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo-webhooks.db");
    let cli = Cli::try_parse_from([
        "api-server",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.to_str().unwrap(),
        // Only the first cycle polls within this test: the edit comes by webhook.
        "--sync-interval",
        "1h",
        "--workers",
        "1",
    ])
    .unwrap();
    let shutdown = CancellationToken::new();
    let server = start(cli.settings().unwrap(), shutdown.clone())
        .await
        .unwrap();
    let token = server.admin_token().expose_secret().to_owned();
    let http = reqwest::Client::new();
    let hooks: Value = http
        .get(format!("{}/admin/notion/webhooks", server.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        hooks["connections"][0]["active"].is_object(),
        "the demo confirmed the emulator's token: {hooks}"
    );
    let emulator = server.emulator().expect("demo mode runs the emulator");
    // The first cycle has synced the open election (its results link is written).
    for _ in 0..150 {
        if emulator
            .page_property(demo::BUDGET_REFERENDUM, "Results Link")
            .is_some_and(|p| p["url"].is_string())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    emulator
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            serde_json::json!({"Name": {"title": [{"text": {"content": "Budget 2027"}}]}}),
        )
        .unwrap();
    let mut title = Value::Null;
    for _ in 0..150 {
        let body: Value = http
            .get(format!("{}/admin/elections", server.base_url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        title = body["elections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "elec_demo_budget_referendum")
            .map(|e| e["title"].clone())
            .unwrap_or(Value::Null);
        if title == "Budget 2027" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(title, "Budget 2027");
    shutdown.cancel();
    server.wait().await.unwrap();
}
