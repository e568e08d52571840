//! `GET` / `PATCH /admin/notion/databases/{databaseId}` against the emulator (managed databases,
//! issue 12), and a new election's managed page made at once by `POST /admin/elections`.

use notion_emulator::{Fault, FaultRule, demo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

const CREATE_PAGE: &str = "POST /v1/pages";

fn path(database: impl std::fmt::Display) -> String {
    format!("/admin/notion/databases/{database}")
}

async fn patch(
    t: &TestServer,
    database: impl std::fmt::Display,
    body: Value,
) -> (StatusCode, Value) {
    t.call(Method::PATCH, &path(database), Some(body)).await
}

/// The demo database with its key property, added as a person would in Notion.
fn add_key_property(t: &TestServer) {
    t.emulator
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Election ID": {"rich_text": {}}}}),
        )
        .unwrap();
}

/// The pages (not trashed) of the demo database whose key is `id`.
fn pages_with_key(t: &TestServer, id: &str) -> usize {
    let state = t.emulator.state();
    let mut found = 0;
    for database in state["databases"].as_array().into_iter().flatten() {
        for source in database["data_sources"].as_array().into_iter().flatten() {
            for page in source["pages"].as_array().into_iter().flatten() {
                let key = page["properties"]["Election ID"]["rich_text"][0]["plain_text"].as_str();
                if key == Some(id) && !page["in_trash"].as_bool().unwrap_or(false) {
                    found += 1;
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn a_database_never_switched_is_linked_with_the_defaults() {
    let t = TestServer::start().await;
    let (status, body) = t.get(&path(demo::ELECTIONS_DB)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let db = &body["database"];
    assert_eq!(db["id"], demo::ELECTIONS_DB.to_string());
    assert_eq!(db["connection_id"], "internal");
    assert_eq!(db["mode"], "linked");
    assert_eq!(db["key_property"], "Election ID");
    assert_eq!(db["include_existing"], false);
    assert_eq!(db["on_election_deleted"], "keep");
    assert_eq!(db["managed_since"], Value::Null);
    assert_eq!(
        db["counts"],
        json!({"linked_elections": 0, "managed_pages": null, "orphans": null, "duplicates": null})
    );
    assert_eq!(db["last_pass"], Value::Null);
}

#[tokio::test]
async fn switching_to_managed_checks_the_key_property_and_keeps_what_is_left_out() {
    let t = TestServer::start().await;
    // The demo database has no "Election ID" yet: the error says what to add.
    let (status, body) = patch(&t, demo::ELECTIONS_DB, json!({"mode": "managed"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = assert_error(&body, "invalid_input");
    assert_eq!(error["field"], "key_property");
    assert!(
        error["message"].as_str().unwrap().contains("Election ID"),
        "{error}"
    );
    // Not rich text.
    let (status, body) = patch(
        &t,
        demo::ELECTIONS_DB,
        json!({"mode": "managed", "key_property": "Results Link"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        assert_error(&body, "invalid_input")["field"],
        "key_property"
    );
    let (status, _) = t.get(&path(demo::ELECTIONS_DB)).await;
    assert_eq!(status, StatusCode::OK);

    add_key_property(&t);
    let (status, body) = patch(
        &t,
        demo::ELECTIONS_DB,
        json!({"mode": "managed", "include_existing": true, "on_election_deleted": "trash"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let db = &body["database"];
    assert_eq!(db["mode"], "managed");
    assert_eq!(db["key_property"], "Election ID");
    assert_eq!(db["include_existing"], true);
    assert_eq!(db["on_election_deleted"], "trash");
    assert!(db["managed_since"].is_string(), "{db}");

    // Only the delete option changes; the rest stays.
    let (status, body) = patch(
        &t,
        demo::ELECTIONS_DB,
        json!({"on_election_deleted": "keep"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["mode"], "managed");
    assert_eq!(body["database"]["include_existing"], true);
    assert_eq!(body["database"]["on_election_deleted"], "keep");
    let (_, got) = t.get(&path(demo::ELECTIONS_DB)).await;
    assert_eq!(got["database"], body["database"]);

    // Back to linked needs no key check.
    let (status, body) = patch(&t, demo::ELECTIONS_DB, json!({"mode": "linked"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["mode"], "linked");
}

#[tokio::test]
async fn bad_bodies_and_databases_name_what_is_wrong() {
    let t = TestServer::start().await;
    for (body, field) in [
        (json!({"mode": "auto"}), "mode"),
        (
            json!({"on_election_deleted": "archive"}),
            "on_election_deleted",
        ),
        (json!({"key_property": "  "}), "key_property"),
        (json!({"key_property": "x".repeat(101)}), "key_property"),
        (json!({"include_existing": "yes"}), "include_existing"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let (status, answer) = patch(&t, demo::ELECTIONS_DB, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(
            assert_error(&answer, "invalid_input")["field"],
            field,
            "{body} → {answer}"
        );
    }
    let (status, body) = patch(&t, "not-an-id", json!({"mode": "linked"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(assert_error(&body, "invalid_input")["field"], "databaseId");
    // Not allowed on any connection: 403, for GET and PATCH alike.
    let stranger = "0123456789abcdef0123456789abcdef";
    let (status, body) = t.get(&path(stranger)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "not_allowlisted");
    let (status, body) = patch(&t, stranger, json!({"mode": "managed"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "not_allowlisted");
}

#[tokio::test]
async fn a_new_election_gets_its_managed_page_at_once_and_a_notion_failure_does_not_fail_it() {
    let t = TestServer::start().await;
    add_key_property(&t);
    let (status, body) = patch(&t, demo::ELECTIONS_DB, json!({"mode": "managed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    t.emulator.reset_counts();
    let election = t
        .create_election("Board", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let id = election["id"].as_str().unwrap();
    assert_eq!(t.emulator.request_counts().route(CREATE_PAGE), 1);
    assert_eq!(pages_with_key(&t, id), 1);
    // The answer already shows the page it is linked to.
    assert_eq!(
        election["notion_database_id"],
        demo::ELECTIONS_DB.to_string(),
        "{election}"
    );
    assert!(election["notion_page_id"].is_string(), "{election}");
    let (_, body) = t.get(&path(demo::ELECTIONS_DB)).await;
    assert_eq!(body["database"]["counts"]["linked_elections"], 1, "{body}");
    assert_eq!(body["database"]["last_pass"]["created"], 1, "{body}");

    // Notion fails: the election is created all the same, with no page yet.
    t.emulator
        .set_fault(FaultRule::next(CREATE_PAGE, Fault::Status(400), 1));
    let other = t
        .create_election("Treasurer", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(other["notion_page_id"], Value::Null, "{other}");
    assert_eq!(pages_with_key(&t, other_id), 0);
    let (status, _) = t.get(&format!("/admin/elections/{other_id}")).await;
    assert_eq!(status, StatusCode::OK);
}

/// The title (plain text) of the demo database's page whose key is `id`.
fn title_of_page_with_key(t: &TestServer, id: &str) -> Option<String> {
    let state = t.emulator.state();
    for database in state["databases"].as_array().into_iter().flatten() {
        for source in database["data_sources"].as_array().into_iter().flatten() {
            for page in source["pages"].as_array().into_iter().flatten() {
                let key = page["properties"]["Election ID"]["rich_text"][0]["plain_text"].as_str();
                if key == Some(id) {
                    let title = page["properties"]["Name"]["title"]
                        .as_array()
                        .map(|parts| {
                            parts
                                .iter()
                                .filter_map(|p| p["plain_text"].as_str())
                                .collect::<String>()
                        })
                        .unwrap_or_default();
                    return Some(title);
                }
            }
        }
    }
    None
}

#[tokio::test]
async fn what_a_new_page_is_created_with_is_set_shown_and_used() {
    let t = TestServer::start().await;
    add_key_property(&t);
    let (_, body) = t.get(&path(demo::ELECTIONS_DB)).await;
    assert_eq!(
        body["database"]["written_at_creation"],
        json!({"title": true, "description": true, "voting_window": true, "status": true}),
        "{body}"
    );
    let (status, body) = patch(
        &t,
        demo::ELECTIONS_DB,
        json!({"mode": "managed", "written_at_creation": {"title": false}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["database"]["written_at_creation"],
        json!({"title": false, "description": true, "voting_window": true, "status": true}),
        "the others keep their value: {body}"
    );
    let (status, body) = patch(
        &t,
        demo::ELECTIONS_DB,
        json!({"written_at_creation": {"colour": true}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let election = t
        .create_election("Board", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let id = election["id"].as_str().unwrap();
    assert_eq!(
        title_of_page_with_key(&t, id).as_deref(),
        Some(""),
        "created without the title"
    );
    let (_, body) = patch(
        &t,
        demo::ELECTIONS_DB,
        json!({"written_at_creation": {"title": true}}),
    )
    .await;
    assert_eq!(body["database"]["written_at_creation"]["title"], true);
    let other = t
        .create_election("Treasurer", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    assert_eq!(
        title_of_page_with_key(&t, other["id"].as_str().unwrap()).as_deref(),
        Some("Treasurer")
    );
}
