//! Checklist 22-26: filters, sorts, cursors, page size, the result cap, filter_properties.

use jiff::SignedDuration;
use notion_emulator::{EmulatorConfig, demo};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, config};

fn qpath() -> String {
    format!("/v1/data_sources/{}/query", demo::ELECTIONS_DS)
}

fn names(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["properties"]["Name"]["title"][0]["plain_text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn empty_query_lists_all_in_creation_order() {
    let ctx = Ctx::new().await;
    let r = ctx.post(&qpath(), json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["type"], "page_or_data_source");
    assert_eq!(r.body["page_or_data_source"], json!({}));
    assert_eq!(r.body["has_more"], false);
    assert_eq!(
        names(&r.body),
        [
            "Board President 2026",
            "Budget Referendum",
            "Annual General Meeting Motions"
        ]
    );
}

#[tokio::test]
async fn text_filters() {
    let ctx = Ctx::new().await;
    let cases = [
        (
            json!({"property": "Name", "title": {"contains": "budget"}}),
            vec!["Budget Referendum"],
        ),
        (
            json!({"property": "Name", "title": {"equals": "Budget Referendum"}}),
            vec!["Budget Referendum"],
        ),
        (
            json!({"property": "Name", "title": {"starts_with": "Board"}}),
            vec!["Board President 2026"],
        ),
        (
            json!({"property": "Name", "title": {"ends_with": "Motions"}}),
            vec!["Annual General Meeting Motions"],
        ),
        (
            json!({"property": "Name", "title": {"does_not_contain": "e"}}),
            vec![],
        ),
        (
            json!({"property": "Results Link", "url": {"is_not_empty": true}}),
            vec!["Annual General Meeting Motions"],
        ),
        (
            json!({"property": "Results Link", "url": {"is_empty": true}}),
            vec!["Board President 2026", "Budget Referendum"],
        ),
        (
            json!({"property": "desc", "rich_text": {"contains": "BUDGET"}}),
            vec!["Budget Referendum"],
        ),
    ];
    for (filter, want) in cases {
        let r = ctx.post(&qpath(), json!({"filter": filter})).await;
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        assert_eq!(names(&r.body), want, "{filter}");
    }
}

#[tokio::test]
async fn status_checkbox_date_and_compound_filters() {
    let ctx = Ctx::new().await;
    let r = ctx
        .post(
            &qpath(),
            json!({"filter": {"property": "Voting Status", "status": {"equals": "In Voting"}}}),
        )
        .await;
    assert_eq!(names(&r.body), ["Budget Referendum"]);
    let r = ctx
        .post(
            &qpath(),
            json!({"filter": {"property": "Voting Status", "status": {"does_not_equal": "Done"}}}),
        )
        .await;
    assert_eq!(names(&r.body).len(), 2);
    let r = ctx
        .post(
            &qpath(),
            json!({"filter": {"or": [
                {"property": "Voting Status", "status": {"equals": "Done"}},
                {"and": [
                    {"property": "Name", "title": {"contains": "Board"}},
                    {"timestamp": "created_time", "created_time": {"before": "2026-01-06T00:00:00Z"}}
                ]}
            ]}}),
        )
        .await;
    assert_eq!(
        names(&r.body),
        ["Board President 2026", "Annual General Meeting Motions"]
    );
    // A data source with checkbox and date properties.
    let db = ctx
        .post(
            "/v1/databases",
            json!({"parent": {"page_id": demo::ROOT_PAGE}, "title": [], "initial_data_source": {"properties": {
                "Name": {"title": {}}, "Done": {"checkbox": {}}, "Due": {"date": {}}}}}),
        )
        .await;
    let ds = db.body["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, done, due) in [
        ("a", true, "2026-01-01"),
        ("b", false, "2026-02-01T10:00:00Z"),
        ("c", false, "2026-03-01"),
    ] {
        let r = ctx
            .post(
                "/v1/pages",
                json!({"parent": {"data_source_id": ds}, "properties": {"Name": {"title": [{"text": {"content": name}}]}, "Done": {"checkbox": done}, "Due": {"date": {"start": due}}}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let q = format!("/v1/data_sources/{ds}/query");
    let r = ctx
        .post(
            &q,
            json!({"filter": {"property": "Done", "checkbox": {"equals": true}}}),
        )
        .await;
    assert_eq!(names(&r.body), ["a"]);
    let r = ctx
        .post(
            &q,
            json!({"filter": {"property": "Due", "date": {"on_or_after": "2026-02-01"}}}),
        )
        .await;
    assert_eq!(names(&r.body), ["b", "c"]);
    let r = ctx
        .post(
            &q,
            json!({"filter": {"property": "Due", "date": {"equals": "2026-02-01"}}}),
        )
        .await;
    assert_eq!(names(&r.body), ["b"]);
    let r = ctx
        .post(
            &q,
            json!({"filter": {"property": "Due", "date": {"before": "2026-02-01T10:00:00Z"}}}),
        )
        .await;
    assert_eq!(names(&r.body), ["a"]);
    let r = ctx.post(&q, json!({"filter": {"property": "Due", "date": {"on_or_before": "2026-02-01T10:00:00Z"}}})).await;
    assert_eq!(names(&r.body), ["a", "b"]);
    let r = ctx
        .post(
            &q,
            json!({"filter": {"property": "Due", "date": {"after": "2026-02-01T10:00:00Z"}}}),
        )
        .await;
    assert_eq!(names(&r.body), ["c"]);
}

#[tokio::test]
async fn last_edited_time_watermark_filter() {
    let ctx = Ctx::new().await;
    ctx.emu.clock().advance(SignedDuration::from_secs(3600));
    let r = ctx
        .patch(
            &format!("/v1/pages/{}", demo::AGM_MOTIONS),
            json!({"properties": {"Results Link": {"url": "https://new"}}}),
        )
        .await;
    assert_eq!(r.body["last_edited_time"], "2026-05-01T11:00:00.000Z");
    for (op, want) in [
        ("on_or_after", vec!["Annual General Meeting Motions"]),
        ("after", vec![]),
        ("equals", vec!["Annual General Meeting Motions"]),
        ("before", vec!["Board President 2026", "Budget Referendum"]),
        (
            "on_or_before",
            vec![
                "Board President 2026",
                "Budget Referendum",
                "Annual General Meeting Motions",
            ],
        ),
    ] {
        let r = ctx
            .post(&qpath(), json!({"filter": {"timestamp": "last_edited_time", "last_edited_time": {op: "2026-05-01T11:00:00Z"}}}))
            .await;
        assert_eq!(names(&r.body), want, "{op}");
    }
}

#[tokio::test]
async fn filter_errors() {
    let ctx = Ctx::new().await;
    let r = ctx
        .post(
            &qpath(),
            json!({"filter": {"property": "Nope", "title": {"equals": "x"}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.message(), "Could not find property with name or id: Nope");
    let r = ctx
        .post(
            &qpath(),
            json!({"filter": {"property": "Voting Status", "select": {"equals": "x"}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
    let r = ctx
        .post(
            &qpath(),
            json!({"filter": {"property": "Name", "title": {"sounds_like": "x"}}}),
        )
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn sorts_by_property_and_timestamp() {
    let ctx = Ctx::new().await;
    let r = ctx
        .post(
            &qpath(),
            json!({"sorts": [{"property": "Name", "direction": "ascending"}]}),
        )
        .await;
    assert_eq!(
        names(&r.body),
        [
            "Annual General Meeting Motions",
            "Board President 2026",
            "Budget Referendum"
        ]
    );
    let r = ctx
        .post(
            &qpath(),
            json!({"sorts": [{"timestamp": "created_time", "direction": "descending"}]}),
        )
        .await;
    assert_eq!(
        names(&r.body),
        [
            "Annual General Meeting Motions",
            "Budget Referendum",
            "Board President 2026"
        ]
    );
    let r = ctx
        .post(
            &qpath(),
            json!({"sorts": [{"property": "Voting Status", "direction": "descending"}]}),
        )
        .await;
    assert_eq!(
        names(&r.body),
        [
            "Annual General Meeting Motions",
            "Budget Referendum",
            "Board President 2026"
        ]
    );
    let r = ctx
        .post(&qpath(), json!({"sorts": [{"property": "Nope"}]}))
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn pagination_with_opaque_cursors() {
    let ctx = Ctx::new().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"page_size": 2});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let r = ctx.post(&qpath(), body).await;
        seen.extend(names(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(r.body["has_more"], true);
                assert!(
                    uuid::Uuid::parse_str(c).is_err(),
                    "query cursors are not raw ids"
                );
                cursor = Some(c.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let r = ctx.post(&qpath(), json!({"start_cursor": "bogus"})).await;
    assert_error(&r, 400, "validation_error");
    let r = ctx.post(&qpath(), json!({"page_size": 101})).await;
    assert_error(&r, 400, "validation_error");
    let r = ctx.post(&qpath(), json!({"page_size": 0})).await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn result_cap_reports_incomplete() {
    let ctx = Ctx::with(EmulatorConfig { ..config() }.with_query_result_cap(2)).await;
    let r = ctx.post(&qpath(), json!({"page_size": 1})).await;
    assert_eq!(r.body["has_more"], true);
    assert!(r.body.get("request_status").is_none());
    let r = ctx
        .post(
            &qpath(),
            json!({"page_size": 1, "start_cursor": r.body["next_cursor"]}),
        )
        .await;
    assert_eq!(r.body["has_more"], false);
    assert_eq!(r.body["next_cursor"], Value::Null);
    assert_eq!(
        r.body["request_status"],
        json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"})
    );
    let r = ctx.post(&qpath(), json!({})).await;
    assert_eq!(r.body["results"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["request_status"]["type"], "incomplete");
}

#[tokio::test]
async fn filter_properties_both_forms_by_id_or_name() {
    let ctx = Ctx::new().await;
    for query in [
        "filter_properties=title&filter_properties=v%3Ast",
        "filter_properties[]=Name&filter_properties[]=Voting%20Status",
        "filter_properties%5B%5D=title&filter_properties=v%253Ast",
    ] {
        let r = ctx.post(&format!("{}?{query}", qpath()), json!({})).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        let keys: Vec<&String> = r.body["results"][0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["Name", "Voting Status"], "{query}");
    }
    let r = ctx
        .post(&format!("{}?filter_properties=zzz", qpath()), json!({}))
        .await;
    assert_error(&r, 400, "validation_error");
}

#[tokio::test]
async fn legacy_database_query() {
    let ctx = Ctx::new().await.legacy();
    let r = ctx
        .post(
            &format!("/v1/databases/{}/query", demo::ELECTIONS_DB),
            json!({"page_size": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["type"], "page_or_database");
    assert_eq!(r.body["has_more"], true);
    assert_eq!(r.body["results"][0]["parent"]["type"], "database_id");
    // The data source endpoints are not part of 2022-06-28, and the legacy query is not part of 2025-09-03.
    let r = ctx.post(&qpath(), json!({})).await;
    assert_error(&r, 400, "invalid_request_url");
    let modern = Ctx::new().await;
    let r = modern
        .post(
            &format!("/v1/databases/{}/query", demo::ELECTIONS_DB),
            json!({}),
        )
        .await;
    assert_error(&r, 400, "invalid_request_url");
}
