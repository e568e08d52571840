//! Elections CRUD, pagination and input validation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, assert_error};

const NOTION_FIELDS: [&str; 13] = [
    "notion_database_id",
    "notion_page_id",
    "notion_page_url",
    "notion_status_property_name",
    "notion_status_value_not_started",
    "notion_status_value_in_voting",
    "notion_status_value_done",
    "notion_results_property_name",
    "notion_title_property_name",
    "notion_description_property_name",
    "notion_last_sync_at",
    "notion_last_sync_error",
    "notion_done_set_at",
];

#[tokio::test]
async fn create_read_update_delete() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/admin/elections",
            json!({"title": "  Board election ", "description": "Choose the board", "open_at": "2020-03-01T09:00:00Z", "close_at": "2099-03-08T09:00:00+01:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["success"], true);
    let election = &body["election"];
    let id = election["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("elec_"), "{id}");
    assert_eq!(election["title"], "Board election");
    assert_eq!(election["description"], "Choose the board");
    assert_eq!(election["open_at"], "2020-03-01T09:00:00.000Z");
    assert_eq!(election["close_at"], "2099-03-08T08:00:00.000Z");
    assert_eq!(election["phase"], "open");
    assert_eq!(election["paused"], false);
    assert_eq!(election["notion_link_broken"], false);
    assert!(election["created_at"].is_string() && election["updated_at"].is_string());
    for field in NOTION_FIELDS {
        assert_eq!(
            election[field],
            Value::Null,
            "{field} of an unlinked election"
        );
    }

    let (status, read) = t.get(&format!("/admin/elections/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["election"]["title"], "Board election");

    // Moving close_at earlier closes the election early.
    let (status, patched) = t
        .call(
            Method::PATCH,
            &format!("/admin/elections/{id}"),
            Some(json!({"close_at": 1_600_000_000 + 86_400 * 200, "description": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["election"]["phase"], "closed");
    assert_eq!(patched["election"]["description"], "");
    assert_eq!(patched["election"]["title"], "Board election");

    let (status, deleted) = t
        .call(Method::DELETE, &format!("/admin/elections/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!({"success": true}));
    let (status, body) = t.get(&format!("/admin/elections/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
    let (status, _) = t
        .call(Method::DELETE, &format!("/admin/elections/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn phases_follow_the_server_clock_and_unix_seconds_are_accepted() {
    let t = TestServer::start().await;
    let upcoming = t
        .create_election("Later", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    assert_eq!(upcoming["phase"], "upcoming");
    let (status, body) = t
        .post(
            "/admin/elections",
            json!({"title": "Past", "open_at": 1_500_000_000, "close_at": 1_500_086_400}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["election"]["phase"], "closed");
    assert_eq!(body["election"]["open_at"], "2017-07-14T02:40:00.000Z");
    assert_eq!(body["election"]["description"], "");
}

#[tokio::test]
async fn the_list_is_paginated_with_a_cursor() {
    let t = TestServer::start().await;
    let mut created = Vec::new();
    for n in 0..5 {
        let e = t
            .create_election(
                &format!("E{n}"),
                "2098-01-01T00:00:00Z",
                "2099-01-01T00:00:00Z",
            )
            .await;
        created.push(e["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/admin/elections?limit=2&cursor={c}"),
            None => "/admin/elections?limit=2".to_owned(),
        };
        let (status, body) = t.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["success"], true);
        pages += 1;
        for e in body["elections"].as_array().unwrap() {
            seen.push(e["id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);

    let (status, body) = t.get("/admin/elections").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["elections"].as_array().unwrap().len(), 5);
    assert_eq!(body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_nothing_is_written() {
    let t = TestServer::start().await;
    let valid = json!({"title": "T", "open_at": "2098-01-01T00:00:00Z", "close_at": "2099-01-01T00:00:00Z"});
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases = [
        (with("title", json!("   ")), "title"),
        (with("title", json!(42)), "title"),
        (without("title"), "title"),
        (with("close_at", json!("2097-01-01T00:00:00Z")), "close_at"),
        (with("close_at", json!("2098-01-01T00:00:00Z")), "close_at"),
        (with("open_at", json!("next tuesday")), "open_at"),
        (with("open_at", json!("2098-01-01T00:00:00")), "open_at"),
        (with("open_at", json!(1.5)), "open_at"),
        (with("open_at", json!(null)), "open_at"),
        (without("close_at"), "close_at"),
        (with("description", json!(["x"])), "description"),
        (with("colour", json!("red")), "colour"),
    ];
    for (body, field) in cases {
        let (status, response) = t.post("/admin/elections", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {response}");
        let error = assert_error(&response, "invalid_input");
        assert_eq!(error["field"], field, "{body} → {response}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{body} → {response}"
        );
    }
    let (_, list) = t.get("/admin/elections").await;
    assert_eq!(list["elections"], json!([]));

    // PATCH: the merged election must still be valid.
    let e = t
        .create_election("Keep", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let id = e["id"].as_str().unwrap();
    for (body, field) in [
        (json!({"close_at": "2097-01-01T00:00:00Z"}), "close_at"),
        (json!({"title": ""}), "title"),
        (json!({"open_at": true}), "open_at"),
        (json!({"id": "elec_x"}), "id"),
    ] {
        let (status, response) = t
            .call(
                Method::PATCH,
                &format!("/admin/elections/{id}"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {response}");
        assert_eq!(assert_error(&response, "invalid_input")["field"], field);
    }
    let (_, read) = t.get(&format!("/admin/elections/{id}")).await;
    assert_eq!(read["election"]["title"], "Keep");
    assert_eq!(read["election"]["close_at"], "2099-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn control_characters_in_text_are_a_400_naming_the_field() {
    let t = TestServer::start().await;
    let body = |title: &str, description: &str| {
        serde_json::json!({"title": title, "description": description,
            "open_at": "2098-01-01T00:00:00Z", "close_at": "2099-01-01T00:00:00Z"})
    };
    for (title, description, field) in [
        (" \u{0}x", "", "title"),
        ("a\tb", "", "title"),
        ("line\nbreak", "", "title"),
        ("del\u{7f}", "", "title"),
        ("c1\u{85}", "", "title"),
        ("Fine", "nul\u{0}", "description"),
        ("Fine", "escape\u{1b}[31m", "description"),
    ] {
        let (status, reply) = t.post("/admin/elections", body(title, description)).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{title:?} {description:?}: {reply}"
        );
        let error = crate::support::assert_error(&reply, "invalid_input");
        assert_eq!(error["field"], field, "{reply}");
        assert!(
            error["message"].as_str().unwrap().contains("remove it"),
            "{reply}"
        );
    }
    // A description may have several lines.
    let (status, reply) = t
        .post("/admin/elections", body("Board", "line one\r\n\tline two"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let id = reply["election"]["id"].as_str().unwrap().to_owned();
    for (patch, field) in [
        (serde_json::json!({"title": " \u{0}x"}), "title"),
        (serde_json::json!({"description": "\u{0}"}), "description"),
    ] {
        let (status, reply) = t
            .call(
                reqwest::Method::PATCH,
                &format!("/admin/elections/{id}"),
                Some(patch),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
        assert_eq!(
            crate::support::assert_error(&reply, "invalid_input")["field"],
            field
        );
    }
    let (_, reply) = t.get(&format!("/admin/elections/{id}")).await;
    assert_eq!(reply["election"]["title"], "Board", "nothing half-written");
}
