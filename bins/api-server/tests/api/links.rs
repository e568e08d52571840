//! Several pages per election through the API, against the emulator: the links routes, and the
//! singular routes acting on the primary link.

use notion_emulator::demo;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

async fn open_election(t: &TestServer) -> String {
    let e = t
        .create_election("Treasurer", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    e["id"].as_str().unwrap().to_owned()
}

fn status_of(t: &TestServer, page: uuid::Uuid) -> Value {
    t.emulator.page_property(page, "Voting Status").unwrap()["status"]["name"].clone()
}

/// Gives the Legacy Elections data source the "In Voting" option it lacks in the demo.
fn complete_legacy_options(t: &TestServer) {
    t.emulator
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
}

fn link_body(db: uuid::Uuid, page: uuid::Uuid) -> Value {
    json!({"database_id": db.to_string(), "page_id": page.to_string()})
}

#[tokio::test]
async fn an_election_gets_a_second_page_listed_synced_and_removed_on_its_own() {
    let t = TestServer::start().await;
    complete_legacy_options(&t);
    let id = open_election(&t).await;
    let (status, first) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            link_body(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let primary_id = first["election"]["notion_links"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, added) = t
        .post(
            &format!("/admin/elections/{id}/notion/links"),
            link_body(demo::LEGACY_DB, demo::LEGACY_PAGE),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let second_id = added["link"]["id"].as_str().unwrap().to_owned();
    assert!(second_id.starts_with("lnk_"), "{added}");
    assert_eq!(added["link"]["primary"], false);
    assert_eq!(
        added["link"]["notion_page_id"],
        demo::LEGACY_PAGE.to_string()
    );
    // The election's flat fields stay the primary's.
    assert_eq!(
        added["election"]["notion_page_id"],
        demo::BOARD_PRESIDENT.to_string()
    );

    let (status, listed) = t.get(&format!("/admin/elections/{id}/notion/links")).await;
    assert_eq!(status, StatusCode::OK);
    let links = listed["links"].as_array().unwrap();
    assert_eq!(links.len(), 2, "{listed}");
    assert_eq!(links[0]["id"], primary_id.as_str());
    assert_eq!(links[0]["primary"], true);
    assert_eq!(links[1]["id"], second_id.as_str());

    // Syncing the second link writes its page only.
    let (status, synced) = t
        .post(
            &format!("/admin/elections/{id}/notion/links/{second_id}/sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{synced}");
    assert_eq!(status_of(&t, demo::LEGACY_PAGE), "In Voting");
    assert_eq!(status_of(&t, demo::BOARD_PRESIDENT), "Not started");
    // The singular sync acts on the primary.
    let (status, synced) = t
        .post(&format!("/admin/elections/{id}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{synced}");
    assert_eq!(status_of(&t, demo::BOARD_PRESIDENT), "In Voting");
    let links = synced["election"]["notion_links"].as_array().unwrap();
    assert!(
        links.iter().all(|l| l["notion_last_sync_at"].is_string()),
        "{synced}"
    );

    // Making the second primary moves the singular view to it.
    let (status, swapped) = t
        .post(
            &format!("/admin/elections/{id}/notion/links/{second_id}/primary"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{swapped}");
    assert_eq!(
        swapped["election"]["notion_page_id"],
        demo::LEGACY_PAGE.to_string()
    );

    // Removing it hands the primary role back; the page is left as it is.
    let (status, removed) = t
        .call(
            Method::DELETE,
            &format!("/admin/elections/{id}/notion/links/{second_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    let left = removed["election"]["notion_links"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], primary_id.as_str());
    assert_eq!(left[0]["primary"], true);
    assert_eq!(
        removed["election"]["notion_page_id"],
        demo::BOARD_PRESIDENT.to_string()
    );
    assert_eq!(status_of(&t, demo::LEGACY_PAGE), "In Voting");

    // A link it no longer has: 404; the singular unlink removes the last one.
    let (status, body) = t
        .call(
            Method::DELETE,
            &format!("/admin/elections/{id}/notion/links/{second_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = t
        .call(
            Method::DELETE,
            &format!("/admin/elections/{id}/notion/link"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["election"]["notion_links"], json!([]));
    assert!(body["election"]["notion_page_id"].is_null());
}

#[tokio::test]
async fn a_page_in_use_is_refused_by_the_links_route_too() {
    let t = TestServer::start().await;
    let first = open_election(&t).await;
    let second = open_election(&t).await;
    let body = link_body(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT);
    let (status, _) = t
        .post(
            &format!("/admin/elections/{first}/notion/links"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = t
        .post(
            &format!("/admin/elections/{second}/notion/links"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let message = assert_error(&refused, "page_already_linked")["message"]
        .as_str()
        .unwrap();
    assert!(message.contains(&first), "{message}");
    // The same election's second link to the same page: refused too.
    let (status, refused) = t
        .post(&format!("/admin/elections/{first}/notion/links"), body)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already linked"),
        "{refused}"
    );
}

#[tokio::test]
async fn malformed_and_unknown_link_ids_are_clear_errors() {
    let t = TestServer::start().await;
    let id = open_election(&t).await;
    let (status, body) = t
        .call(
            Method::DELETE,
            &format!("/admin/elections/{id}/notion/links/not-a-link"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(assert_error(&body, "invalid_input")["field"], "link_id");
    let unknown = format!("lnk_{}", "0".repeat(32));
    for (method, path) in [
        (
            Method::DELETE,
            format!("/admin/elections/{id}/notion/links/{unknown}"),
        ),
        (
            Method::POST,
            format!("/admin/elections/{id}/notion/links/{unknown}/primary"),
        ),
        (
            Method::POST,
            format!("/admin/elections/{id}/notion/links/{unknown}/sync"),
        ),
    ] {
        let (status, body) = t.call(method.clone(), &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&unknown),
            "{body}"
        );
    }
    let (status, body) = t
        .get("/admin/elections/no-such-election/notion/links")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The singular route sets the primary and says where adding goes.
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": demo::ELECTIONS_DB.to_string(),
                   "page_id": demo::BOARD_PRESIDENT.to_string(), "primary": false}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(assert_error(&body, "invalid_input")["field"], "primary");
}
