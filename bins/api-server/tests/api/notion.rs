//! The Notion routes against the emulator: allowlist, search, validate, link, sync, unlink, and
//! Notion failures.

use notion_emulator::{EmulatorConfig, Fault, FaultRule, demo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

fn db() -> String {
    demo::ELECTIONS_DB.to_string()
}

async fn open_election(t: &TestServer) -> String {
    let e = t
        .create_election("Open vote", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    e["id"].as_str().unwrap().to_owned()
}

fn status_of(t: &TestServer, page: uuid::Uuid) -> Value {
    t.emulator.page_property(page, "Voting Status").unwrap()["status"]["name"].clone()
}

#[tokio::test]
async fn the_allowlist_feeds_the_database_dropdown() {
    let t = TestServer::start().await;
    let (status, body) = t.get("/admin/notion/databases").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"success": true, "databases": [
            {"id": demo::ELECTIONS_DB.to_string(), "name": "Elections"},
            {"id": demo::LEGACY_DB.to_string(), "name": "Legacy Elections"},
        ]})
    );
}

#[tokio::test]
async fn search_is_case_insensitive_and_refuses_other_databases() {
    let t = TestServer::start().await;
    let (status, body) = t
        .get(&format!(
            "/admin/notion/databases/{}/pages?query=BUDGET",
            db()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true, "{body}");
    let pages = body["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1, "{body}");
    assert_eq!(pages[0]["id"], demo::BUDGET_REFERENDUM.to_string());
    assert_eq!(pages[0]["title"], "Budget Referendum");
    assert!(pages[0]["url"].as_str().unwrap().starts_with("http"));
    assert_eq!(body["next_cursor"], Value::Null);

    // Ids in every form a user pastes.
    let simple = db().replace('-', "");
    let (status, body) = t
        .get(&format!("/admin/notion/databases/{simple}/pages"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pages"].as_array().unwrap().len(), 3 + 1 - 1);

    let (status, body) = t
        .get(&format!(
            "/admin/notion/databases/{}/pages",
            demo::PRIVATE_DB
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let error = assert_error(&body, "not_allowlisted");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("NOTION_DATABASE_ALLOWLIST"),
        "{body}"
    );

    let (status, body) = t.get("/admin/notion/databases/not-an-id/pages").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "databaseId");

    let (status, body) = t
        .get(&format!(
            "/admin/notion/databases/{}/pages?cursor=bogus",
            db()
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(assert_error(&body, "invalid_input")["field"], "cursor");
}

#[tokio::test]
async fn search_pages_twenty_at_a_time_with_a_cursor() {
    let t = TestServer::start().await;
    for n in 0..45 {
        t.emulator
            .create_page_as_user(
                demo::ELECTIONS_DS,
                json!({"Name": {"title": [{"text": {"content": format!("Bulk ballot {n:02}")}}]}}),
            )
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/admin/notion/databases/{}/pages?query=bulk%20BALLOT", db());
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = t.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pages = body["pages"].as_array().unwrap();
        sizes.push(pages.len());
        seen.extend(
            pages
                .iter()
                .map(|p| p["title"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [20, 20, 5]);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 45);
    assert!(seen.iter().all(|t| t.starts_with("Bulk ballot")));
}

#[tokio::test]
async fn validate_reports_what_to_fix() {
    let t = TestServer::start().await;
    let validate = |page: String, property: Option<&str>| {
        let mut path = format!("/admin/notion/pages/{page}/validate");
        if let Some(p) = property {
            path.push_str(&format!("?property_name={}", p.replace(' ', "+")));
        }
        path
    };
    let (status, body) = t
        .get(&validate(
            demo::BOARD_PRESIDENT.to_string(),
            Some("Voting Status"),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"success": true, "valid": true}));

    let (status, body) = t
        .get(&validate(demo::BOARD_PRESIDENT.to_string(), Some("Name")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"success": true, "valid": false, "error": "The property 'Name' is not a Status property"})
    );

    let (_, body) = t.get(&validate(demo::LEGACY_PAGE.to_string(), None)).await;
    assert_eq!(body["valid"], false);
    let error = body["error"].as_str().unwrap();
    assert!(
        error.starts_with("The property 'Voting Status' has no 'In Voting' option"),
        "{error}"
    );

    let (_, body) = t
        .get(&validate(demo::PRIVATE_PAGE_ROW.to_string(), None))
        .await;
    assert_eq!(body["valid"], false);
    assert!(
        body["error"].as_str().unwrap().contains("not shared"),
        "{body}"
    );

    let (status, body) = t.get(&validate("12345".into(), None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "pageId");
}

#[tokio::test]
async fn link_validate_sync_unlink() {
    let t = TestServer::start().await;
    let id = open_election(&t).await;
    let page = demo::BOARD_PRESIDENT;
    assert_eq!(status_of(&t, page), "Not started");

    // Link, with the page id pasted as a Notion URL.
    let url = format!("https://www.notion.so/acme/Board-{}", page.simple());
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": db(), "page_id": url, "status_property_name": "Voting Status"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["warnings"], json!([]));
    let election = &body["election"];
    assert_eq!(election["notion_database_id"], db());
    assert_eq!(election["notion_page_id"], page.to_string());
    assert!(
        election["notion_page_url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );
    assert_eq!(election["notion_status_property_name"], "Voting Status");
    assert_eq!(election["notion_status_value_not_started"], "Not started");
    assert_eq!(election["notion_status_value_in_voting"], "In Voting");
    assert_eq!(election["notion_status_value_done"], "Done");
    assert_eq!(election["notion_results_property_name"], "Results Link");
    assert_eq!(election["notion_title_property_name"], "Name");
    assert_eq!(election["notion_description_property_name"], "Description");
    assert_eq!(election["notion_last_sync_at"], Value::Null);

    // Sync: status and results link out, title and description in.
    let (status, body) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["written"]["status"], "In Voting");
    assert_eq!(
        body["written"]["results_link"],
        format!("http://localhost:8080/e/{id}/results")
    );
    assert_eq!(body["synced"]["title"], "Board President 2026");
    assert_eq!(body["synced"]["title_changed"], true);
    assert_eq!(
        body["synced"]["description"],
        "Elect the board president for the 2026 term."
    );
    assert!(body["election"]["notion_last_sync_at"].is_string());
    assert_eq!(body["election"]["notion_last_sync_error"], Value::Null);
    assert_eq!(status_of(&t, page), "In Voting");
    assert_eq!(
        t.emulator.page_property(page, "Results Link").unwrap()["url"],
        format!("http://localhost:8080/e/{id}/results")
    );

    // Nothing differs any more: no write.
    let (_, body) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(
        body["written"],
        json!({"status": null, "results_link": null})
    );

    // The runs are recorded.
    let (status, runs) = t.get("/admin/sync/runs").await;
    assert_eq!(status, StatusCode::OK);
    let run_id = runs["runs"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(runs["runs"][0]["trigger"], "manual");
    let (status, run) = t.get(&format!("/admin/sync/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["run"]["id"], run_id);
    assert!(run["logs"].is_array());

    // Unlink: the fields clear, the page keeps its status.
    let (status, body) = t
        .call(
            Method::DELETE,
            &format!("/admin/elections/{id}/notion/link"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["election"]["notion_page_id"], Value::Null);
    assert_eq!(body["election"]["notion_last_sync_at"], Value::Null);
    assert_eq!(status_of(&t, page), "In Voting");

    let (status, body) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "not_linked");

    let text = t
        .http
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "notion_requests_total{method=\"PATCH\",path=\"/v1/pages/{page_id}\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(
        text.contains("syncs_total{outcome=\"success\"} 2"),
        "{text}"
    );
}

#[tokio::test]
async fn link_errors_have_honest_statuses_and_messages() {
    let t = TestServer::start().await;
    let id = open_election(&t).await;
    let link = |body: Value| {
        let path = format!("/admin/elections/{id}/notion/link");
        let t = &t;
        async move { t.post(&path, body).await }
    };
    let page = demo::BOARD_PRESIDENT.to_string();

    let (status, body) = t
        .post(
            "/admin/elections/elec_nope/notion/link",
            json!({"database_id": db(), "page_id": page}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "not_found");

    let (status, body) = link(json!({"database_id": demo::PRIVATE_DB.to_string(), "page_id": demo::PRIVATE_PAGE_ROW.to_string()})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        assert_error(&body, "not_allowlisted")["message"]
            .as_str()
            .unwrap()
            .contains("NOTION_DATABASE_ALLOWLIST")
    );

    let (status, body) = link(json!({"database_id": demo::LEGACY_DB.to_string(), "page_id": demo::LEGACY_PAGE.to_string()})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = assert_error(&body, "page_invalid")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with("The property 'Voting Status' has no 'In Voting' option")
            && message.contains("cannot create status options"),
        "{message}"
    );

    let (status, body) =
        link(json!({"database_id": db(), "page_id": page, "status_property_name": "Name"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        assert_error(&body, "page_invalid")["message"],
        "The property 'Name' is not a Status property"
    );

    let (status, body) =
        link(json!({"database_id": db(), "page_id": demo::LEGACY_PAGE.to_string()})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = link(json!({"database_id": db(), "page_id": "nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "page_id");
    let (status, body) = link(json!({"page_id": page})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "database_id");
    let (status, body) =
        link(json!({"database_id": db(), "page_id": page, "status_property": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        assert_error(&body, "invalid_input")["field"],
        "status_property"
    );

    // A missing "Not started" option links with a warning; custom option names are honoured.
    let (status, body) = link(json!({
        "database_id": db(), "page_id": page,
        "notion_status_value_not_started": "Upcoming", "notion_status_value_done": "Done"
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["election"]["notion_status_value_not_started"],
        "Upcoming"
    );
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(warnings[0].as_str().unwrap().contains("'Upcoming'"));

    // Nothing was written by the failed attempts.
    let (_, read) = t.get(&format!("/admin/elections/{id}")).await;
    assert_eq!(read["election"]["notion_page_id"], page);
}

#[tokio::test]
async fn notion_failures_are_502_or_503_with_notions_code() {
    let t = TestServer::start_with(EmulatorConfig::default().without_rate_limit(), &[]).await;
    let search = format!("/admin/notion/databases/{}/pages", db());
    // Warm the database → data source cache, so the fault hits the query itself.
    let (status, _) = t.get(&search).await;
    assert_eq!(status, StatusCode::OK);

    t.emulator.set_fault(FaultRule {
        route: Some("POST /v1/data_sources/{data_source_id}/query".into()),
        kind: Fault::Status(503),
        ..FaultRule::default()
    });
    let (status, body) = t.get(&search).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "service_unavailable");
    t.emulator.clear_faults();

    // A failed sync is a 502 carrying Notion's code, and is recorded on the election.
    let id = open_election(&t).await;
    let (status, _) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": db(), "page_id": demo::BUDGET_REFERENDUM.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    t.emulator.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        kind: Fault::Status(500),
        ..FaultRule::default()
    });
    let (status, body) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_error(&body, "internal_server_error");
    assert_eq!(body["error"]["notion_status"], 500);
    let (_, read) = t.get(&format!("/admin/elections/{id}")).await;
    assert!(
        read["election"]["notion_last_sync_error"].is_string(),
        "{read}"
    );
    t.emulator.clear_faults();

    // A 429 is a 503 with Notion's Retry-After; the penalty then holds every request of the
    // connection: the next search is answered at once and never reaches Notion.
    t.emulator.set_fault(FaultRule {
        route: Some("POST /v1/data_sources/{data_source_id}/query".into()),
        kind: Fault::Status(429),
        retry_after_secs: Some(120),
        ..FaultRule::default()
    });
    let response = t.request(Method::GET, &search).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "120");
    let body: Value = response.json().await.unwrap();
    let error = assert_error(&body, "rate_limited");
    assert_eq!(error["retry_after"], 120);
    assert_eq!(error["notion_status"], 429);
    t.emulator.clear_faults();
    let sent_before = t.emulator.request_counts().total();
    let (status, body) = t.get(&search).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "rate_limited");
    assert_eq!(
        t.emulator.request_counts().total(),
        sent_before,
        "sent inside the penalty"
    );
}

fn instant(value: &Value) -> jiff::Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not an instant: {value}"))
        .parse()
        .expect("RFC 3339")
}

#[tokio::test]
async fn the_election_says_what_notion_shows_and_what_the_sync_will_write() {
    let t = TestServer::start().await;
    let id = open_election(&t).await;
    let page = demo::BOARD_PRESIDENT;
    let observed_fields = [
        "notion_status_current",
        "notion_results_link_current",
        "notion_observed_at",
        "notion_status_desired",
        "notion_next_attempt_at",
    ];
    let (_, body) = t.get(&format!("/admin/elections/{id}")).await;
    for field in observed_fields {
        assert_eq!(body["election"][field], Value::Null, "unlinked: {field}");
    }
    let read = |path: String| {
        let t = &t;
        async move {
            let (status, body) = t.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["election"].clone()
        }
    };
    let path = format!("/admin/elections/{id}");

    // Linking reads the page: it shows "Not started", the open election wants "In Voting".
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": db(), "page_id": page.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let linked = &body["election"];
    assert_eq!(linked["notion_status_current"], "Not started", "{linked}");
    assert_eq!(linked["notion_status_desired"], "In Voting");
    assert_eq!(linked["notion_results_link_current"], Value::Null);
    assert_eq!(linked["notion_next_attempt_at"], Value::Null);
    let linked_at = instant(&linked["notion_observed_at"]);
    // The list carries the same fields.
    let (_, list) = t.get("/admin/elections").await;
    assert_eq!(list["elections"][0]["notion_status_current"], "Not started");
    assert_eq!(list["elections"][0]["notion_status_desired"], "In Voting");

    // After a sync, Notion shows what the sync wants.
    let (status, body) = t.post(&format!("{path}/notion/sync"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let synced = &body["election"];
    let results = format!("http://localhost:8080/e/{id}/results");
    assert_eq!(synced["notion_status_current"], "In Voting", "{synced}");
    assert_eq!(synced["notion_status_desired"], "In Voting");
    assert_eq!(synced["notion_results_link_current"], results.as_str());
    assert_eq!(synced["notion_next_attempt_at"], Value::Null);
    let synced_at = instant(&synced["notion_observed_at"]);
    assert!(synced_at >= linked_at, "{synced_at} < {linked_at}");

    // Someone sets the page back in Notion. Reading the election does not read Notion: it still
    // says what the page showed at the last read, and when that was.
    t.emulator
        .update_page_as_user(
            page,
            json!({"Voting Status": {"status": {"name": "Not started"}}}),
        )
        .unwrap();
    let election = read(path.clone()).await;
    assert_eq!(election["notion_status_current"], "In Voting");
    assert_eq!(instant(&election["notion_observed_at"]), synced_at);

    // The next sync reads the edit but Notion refuses the write: the election shows the edit,
    // the status the sync wants, and when the scheduled sync tries again.
    t.emulator.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        kind: Fault::Status(500),
        ..FaultRule::default()
    });
    let (status, _) = t.post(&format!("{path}/notion/sync"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let failing = read(path.clone()).await;
    assert_eq!(failing["notion_status_current"], "Not started", "{failing}");
    assert_eq!(failing["notion_status_desired"], "In Voting");
    assert_eq!(failing["notion_results_link_current"], results.as_str());
    assert!(failing["notion_last_sync_error"].is_string(), "{failing}");
    let observed_at = instant(&failing["notion_observed_at"]);
    assert!(observed_at >= synced_at);
    let next_attempt = instant(&failing["notion_next_attempt_at"]);
    assert!(
        next_attempt > observed_at,
        "{next_attempt} <= {observed_at}"
    );

    // Notion recovers: the next sync writes the status back, and the retry time clears.
    t.emulator.clear_faults();
    let (status, body) = t.post(&format!("{path}/notion/sync"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["written"]["status"], "In Voting");
    let recovered = &body["election"];
    assert_eq!(recovered["notion_status_current"], "In Voting");
    assert_eq!(recovered["notion_next_attempt_at"], Value::Null);
    assert_eq!(recovered["notion_last_sync_error"], Value::Null);
    assert_eq!(status_of(&t, page), "In Voting");

    // Closing the election early: "Done" is wanted, Notion shows "In Voting" until the next sync.
    let (status, body) = t
        .call(
            Method::PATCH,
            &path,
            Some(json!({"close_at": "2021-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let closed = &body["election"];
    assert_eq!(closed["phase"], "closed");
    assert_eq!(closed["notion_status_current"], "In Voting");
    assert_eq!(closed["notion_status_desired"], "Done");
    let (status, body) = t.post(&format!("{path}/notion/sync"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["election"]["notion_status_current"], "Done");
    assert_eq!(status_of(&t, page), "Done");

    // Unlinked again: nothing is observed or desired.
    let (status, body) = t
        .call(Method::DELETE, &format!("{path}/notion/link"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for field in observed_fields {
        assert_eq!(body["election"][field], Value::Null, "unlinked: {field}");
    }
}

#[tokio::test]
async fn an_upcoming_election_without_a_not_started_option_wants_no_status() {
    let t = TestServer::start().await;
    let e = t
        .create_election("Later vote", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let id = e["id"].as_str().unwrap();
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": db(), "page_id": demo::BUDGET_REFERENDUM.to_string(),
                   "notion_status_value_not_started": "Upcoming"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let election = &body["election"];
    assert_eq!(election["phase"], "upcoming");
    assert_eq!(election["notion_status_desired"], Value::Null, "{election}");
    assert!(election["notion_observed_at"].is_string(), "{election}");

    // With the default option, the upcoming election wants "Not started".
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": db(), "page_id": demo::BUDGET_REFERENDUM.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["election"]["notion_status_desired"], "Not started");
}

/// The error examples of docs/API.md's "Errors" section, as JSON.
fn documented_error_examples() -> Vec<Value> {
    let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md"));
    doc.split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("\"success\": false"))
        .map(|block| serde_json::from_str(block).unwrap_or_else(|e| panic!("{e}: {block}")))
        .collect()
}

/// A documented message matches the server's: equal, or with each `…` standing for any text
/// (what Notion said).
fn matches_documented(documented: &str, said: &str) -> bool {
    let mut parts = documented.split('…');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = said.strip_prefix(first) else {
        return false;
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[tokio::test]
async fn the_error_examples_of_api_md_are_what_the_server_says() {
    let t = TestServer::start().await;
    let examples = documented_error_examples();
    assert_eq!(examples.len(), 2, "{examples:#?}");
    for example in examples {
        let documented = &example["error"];
        let (status, body) = match documented["code"].as_str().unwrap() {
            "invalid_input" => {
                t.post(
                    "/admin/elections",
                    json!({"title": "Board election", "open_at": "2026-03-08T09:00:00Z", "close_at": "2026-03-01T09:00:00Z"}),
                )
                .await
            }
            "rate_limited" => {
                let search = format!("/admin/notion/databases/{}/pages", db());
                t.get(&search).await;
                t.emulator.set_fault(FaultRule {
                    route: Some("POST /v1/data_sources/{data_source_id}/query".into()),
                    kind: Fault::Status(429),
                    retry_after_secs: documented["retry_after"].as_u64(),
                    ..FaultRule::default()
                });
                let answer = t.get(&search).await;
                t.emulator.clear_faults();
                answer
            }
            other => panic!("docs/API.md shows an example of {other}: add its request here"),
        };
        assert!(
            status.is_client_error() || status.is_server_error(),
            "{body}"
        );
        let said = &body["error"];
        for (key, value) in documented.as_object().unwrap() {
            if key == "message" {
                let (documented, said) = (value.as_str().unwrap(), said[key].as_str().unwrap());
                assert!(
                    matches_documented(documented, said),
                    "docs/API.md says {documented:?}, the server {said:?}"
                );
            } else {
                assert_eq!(&said[key], value, "{key}: {body}");
            }
        }
        assert_eq!(body["success"], false);
    }
}

#[tokio::test]
async fn a_page_linked_to_one_election_is_refused_to_another_naming_it() {
    let t = TestServer::start().await;
    let first = open_election(&t).await;
    let second = open_election(&t).await;
    let body = json!({"database_id": db(), "page_id": demo::BOARD_PRESIDENT.to_string()});
    let (status, linked) = t
        .post(
            &format!("/admin/elections/{first}/notion/link"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{linked}");

    t.emulator.reset_counts();
    let (status, refused) = t
        .post(
            &format!("/admin/elections/{second}/notion/link"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let message = assert_error(&refused, "page_already_linked")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(&format!("election '{first}'")),
        "{message}"
    );
    assert!(message.contains("unlink it there first"), "{message}");
    assert_eq!(
        t.emulator.request_counts().total(),
        0,
        "refused before asking Notion"
    );
    let (_, second_now) = t.get(&format!("/admin/elections/{second}")).await;
    assert_eq!(second_now["election"]["id"], second.as_str());
    assert!(
        second_now["election"]["notion_page_id"].is_null(),
        "{second_now}"
    );

    // Re-linking the same election to its own page is fine; once unlinked, the page is free.
    let (status, _) = t
        .post(
            &format!("/admin/elections/{first}/notion/link"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .call(
            Method::DELETE,
            &format!("/admin/elections/{first}/notion/link"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, relinked) = t
        .post(&format!("/admin/elections/{second}/notion/link"), body)
        .await;
    assert_eq!(status, StatusCode::OK, "{relinked}");
}

#[tokio::test]
async fn a_link_maps_the_window_the_id_and_the_phase_and_can_push_the_title() {
    let t = TestServer::start().await;
    t.emulator
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {
                "Voting window": {"date": {}},
                "Election ref": {"rich_text": {}},
                "Stage": {"select": {}}
            }}),
        )
        .unwrap();
    let id = open_election(&t).await;
    let page = demo::BOARD_PRESIDENT;
    let link = |extra: Value| {
        let mut body = json!({"database_id": db(), "page_id": page.to_string()});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let path = format!("/admin/elections/{id}/notion/link");

    // Bad mapping input: 400 naming the field, or 422 naming the property; nothing stored.
    let (status, body) = t
        .post(&path, link(json!({"title_direction": "sideways"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        assert_error(&body, "invalid_input")["field"],
        "title_direction"
    );
    let (status, body) = t
        .post(
            &path,
            link(json!({"voting_opens_property": "Voting window"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        assert_error(&body, "invalid_input")["field"],
        "voting_closes_property"
    );
    let (status, body) = t
        .post(&path, link(json!({"phase_property": "Election ref"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message
            .contains("'Election ref' cannot hold the phase (it is rich_text, it must be Select)"),
        "{message}"
    );
    let (_, unlinked) = t.get(&format!("/admin/elections/{id}")).await;
    assert!(
        unlinked["election"]["notion_mapping"].is_null(),
        "{unlinked}"
    );

    let (status, body) = t
        .post(
            &path,
            link(json!({
                "voting_window_property": "Voting window",
                "election_id_property": "Election ref",
                "phase_property": "Stage",
                "phase_value_open": "Open now",
                "title_direction": "push"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mapping = &body["election"]["notion_mapping"];
    assert_eq!(mapping["voting_window"]["kind"], "range");
    assert_eq!(
        mapping["voting_window"]["property"]["name"],
        "Voting window"
    );
    assert!(mapping["status"]["property"]["id"].is_string(), "{mapping}");
    assert_eq!(mapping["title"]["direction"], "push");
    assert_eq!(mapping["phase"]["open"], "Open now");

    let (status, synced) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{synced}");
    let props = &t.emulator.page(page).unwrap()["properties"];
    assert_eq!(props["Stage"]["select"]["name"], "Open now", "{props}");
    assert_eq!(
        props["Election ref"]["rich_text"][0]["plain_text"],
        id.as_str()
    );
    assert_eq!(
        props["Voting window"]["date"]["start"].as_str().unwrap()[..10],
        *"2020-01-01"
    );
    assert_eq!(
        props["Voting window"]["date"]["end"].as_str().unwrap()[..10],
        *"2099-01-01"
    );
    // Pushed: the page now has the election's title, and the election kept its own.
    assert_eq!(props["Name"]["title"][0]["plain_text"], "Open vote");
    assert_eq!(synced["election"]["title"], "Open vote");
}
