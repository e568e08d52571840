//! `GET /admin/notion/databases/{databaseId}/properties` against the emulator: the schema the
//! link form offers, and the same refusals as the page search.

use notion_emulator::{Fault, FaultRule, demo};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

fn properties_path(database: impl std::fmt::Display) -> String {
    format!("/admin/notion/databases/{database}/properties")
}

fn property<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {body}"))
}

#[tokio::test]
async fn lists_a_databases_properties_with_their_types_and_options() {
    let t = TestServer::start().await;
    t.emulator
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {
                "Voting window": {"date": {}},
                "Stage": {"select": {"options": [{"name": "Soon"}, {"name": "Now"}]}}
            }}),
        )
        .unwrap();
    let (status, body) = t.get(&properties_path(demo::ELECTIONS_DB)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    let names: Vec<&str> = body["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Description",
            "Name",
            "Results Link",
            "Stage",
            "Voting Status",
            "Voting window"
        ]
    );
    assert_eq!(
        *property(&body, "Voting Status"),
        json!({"id": demo::PROP_VOTING_STATUS, "name": "Voting Status", "type": "status",
               "options": ["Not started", "In Voting", "Done"]})
    );
    assert_eq!(property(&body, "Name")["type"], "title");
    assert_eq!(property(&body, "Description")["type"], "rich_text");
    assert_eq!(property(&body, "Description")["id"], demo::PROP_DESCRIPTION);
    assert_eq!(
        *property(&body, "Results Link"),
        json!({"id": demo::PROP_RESULTS_LINK, "name": "Results Link", "type": "url", "options": []})
    );
    assert_eq!(property(&body, "Voting window")["type"], "date");
    assert_eq!(property(&body, "Stage")["options"], json!(["Soon", "Now"]));

    // The id in another form a user pastes; the Legacy database has its own options.
    let simple = demo::LEGACY_DB.to_string().replace('-', "");
    let (status, body) = t.get(&properties_path(simple)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        property(&body, "Voting Status")["options"],
        json!(["Not started", "Done"])
    );
}

#[tokio::test]
async fn refuses_as_the_page_search_does() {
    let t = TestServer::start().await;

    let (status, body) = t.get(&properties_path("not-an-id")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(assert_error(&body, "invalid_input")["field"], "databaseId");

    let (status, body) = t.get(&properties_path(demo::PRIVATE_DB)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let error = assert_error(&body, "not_allowlisted");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("NOTION_DATABASE_ALLOWLIST"),
        "{body}"
    );

    // Notion failing: 503 and 502 with Notion's code, as for every Notion route.
    for (fault, expected, code) in [
        (503, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
        (500, StatusCode::BAD_GATEWAY, "internal_server_error"),
    ] {
        t.emulator.set_fault(FaultRule {
            kind: Fault::Status(fault),
            ..FaultRule::default()
        });
        let (status, body) = t.get(&properties_path(demo::ELECTIONS_DB)).await;
        assert_eq!(status, expected, "{body}");
        assert_error(&body, code);
        t.emulator.clear_faults();
    }

    // An allowlisted database the integration no longer sees: 404, saying how to share it.
    t.emulator
        .unshare(demo::INTEGRATION_NAME, demo::ROOT_PAGE)
        .unwrap();
    let (status, body) = t.get(&properties_path(demo::LEGACY_DB)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let error = assert_error(&body, "object_not_found");
    assert!(
        error["message"].as_str().unwrap().contains("Connections"),
        "{body}"
    );
}
