//! HTTP-level behaviour against wiremock (real sockets, real time, tiny waits). Timing under
//! tokio's paused clock is tested at the unit level (pacer, retry executor).

use std::time::Duration;

use futures::TryStreamExt;
use notion_client::{
    CreatePage, ErrorKind, Filter, NotionClient, NotionId, NotionVersion, OAuthCredentials,
    OptionCondition, Pacer, PageParent, PropertyValue, Query, SearchRequest, SecretString,
};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_json, body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ntn_test_token_0123456789";
const DS: &str = "393abc1e-edcd-8179-9372-000bd163e729";
const DB: &str = "3e631832-5efa-4702-8171-8b8a0e6651ba";

fn client_for(server: &MockServer, version: NotionVersion) -> NotionClient {
    NotionClient::builder()
        .token(SecretString::from(TOKEN))
        .base_url(server.uri())
        .notion_version(version)
        .pacer(Pacer::new(1000.0, 10).unwrap())
        .base_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
        .jitter(|| 0.5)
        .build()
        .unwrap()
}

fn client(server: &MockServer) -> NotionClient {
    client_for(server, NotionVersion::V2025_09_03)
}

fn id(s: &str) -> NotionId {
    s.parse().unwrap()
}

fn page_json(id: &str, created: &str) -> Value {
    json!({
        "object": "page", "id": id,
        "created_time": created, "last_edited_time": created,
        "parent": {"type": "data_source_id", "data_source_id": DS, "database_id": DB},
        "in_trash": false, "archived": false,
        "properties": {
            "Name": {"id": "title", "type": "title", "title": [
                {"type": "text", "text": {"content": "Mayor ", "link": null}, "plain_text": "Mayor ", "href": null},
                {"type": "text", "text": {"content": "2026", "link": null}, "plain_text": "2026", "href": null}
            ]},
            "Voting Status": {"id": "stat", "type": "status", "status": {"id": "1", "name": "In Voting", "color": "blue"}},
            "Results Link": {"id": "Z%3ClH", "type": "url", "url": null}
        },
        "url": "https://www.notion.so/x"
    })
}

fn pid(n: u32) -> String {
    format!("393abc1e-edcd-81f5-ae94-{n:012x}")
}

fn list(results: Vec<Value>, next: Option<&str>, has_more: bool) -> Value {
    json!({"object": "list", "results": results, "next_cursor": next, "has_more": has_more,
           "type": "page_or_data_source", "page_or_data_source": {}})
}

fn me() -> Value {
    json!({"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78", "name": "bot", "type": "bot", "bot": {}})
}

fn error_body(status: u16, code: &str) -> Value {
    json!({"object": "error", "status": status, "code": code, "message": format!("{code} happened"), "request_id": "req-1"})
}

#[tokio::test]
async fn sends_version_and_auth_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .and(header("Notion-Version", "2025-09-03"))
        .and(header("Authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(me()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .and(header("Notion-Version", "2022-06-28"))
        .respond_with(ResponseTemplate::new(200).set_body_json(me()))
        .expect(1)
        .mount(&server)
        .await;
    let user = client(&server).me().await.unwrap();
    assert_eq!(user.name.as_deref(), Some("bot"));
    client_for(&server, NotionVersion::V2022_06_28)
        .me()
        .await
        .unwrap();
}

#[tokio::test]
async fn streams_block_children_over_several_pages_and_stops_on_missing_cursor() {
    let server = MockServer::start().await;
    let block = |n: u32| {
        json!({"object": "block", "id": pid(n), "type": "paragraph", "has_children": false,
               "paragraph": {"rich_text": [{"type": "text", "text": {"content": format!("p{n}"), "link": null}, "plain_text": format!("p{n}")}]}})
    };
    let parent = pid(100);
    let p = format!("/v1/blocks/{parent}/children");
    Mock::given(method("GET"))
        .and(path(p.as_str()))
        .and(query_param_is_missing("start_cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            vec![block(1), block(2)],
            Some("c2"),
            true,
        )))
        .expect(2) // stream, then the tree walk
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(p.as_str()))
        .and(query_param("start_cursor", "c2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            vec![block(3)],
            Some("c3"),
            true,
        )))
        .expect(2) // stream, then the tree walk
        .mount(&server)
        .await;
    // has_more with a null cursor: the stream must stop, not loop.
    Mock::given(method("GET"))
        .and(path(p.as_str()))
        .and(query_param("start_cursor", "c3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(vec![block(4)], None, true)))
        .expect(2) // stream, then the tree walk
        .mount(&server)
        .await;
    let c = client(&server);
    let blocks: Vec<_> = c
        .block_children_stream(id(&parent))
        .try_collect()
        .await
        .unwrap();
    let texts: Vec<_> = blocks.iter().map(|b| b.plain_text().unwrap()).collect();
    assert_eq!(texts, ["p1", "p2", "p3", "p4"]);
    let tree = c.retrieve_block_tree(id(&parent), 3).await.unwrap();
    assert_eq!(tree.len(), 4);
    assert_eq!(c.stats().requests_to("/v1/blocks/{block_id}/children"), 6);
}

#[tokio::test]
async fn query_stream_follows_body_cursors_with_filters() {
    let server = MockServer::start().await;
    let p = format!("/v1/data_sources/{DS}/query");
    let filter = json!({"property": "Voting Status", "status": {"equals": "In Voting"}});
    Mock::given(method("POST"))
        .and(path(p.as_str()))
        .and(query_param("filter_properties", "Z<lH"))
        .and(body_json(json!({"filter": filter, "page_size": 2})))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            vec![
                page_json(&pid(1), "2026-01-01T00:00:00.000Z"),
                page_json(&pid(2), "2026-01-01T00:01:00.000Z"),
            ],
            Some("next-1"),
            true,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(p.as_str()))
        .and(body_json(
            json!({"filter": filter, "page_size": 2, "start_cursor": "next-1"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            vec![page_json(&pid(3), "2026-01-01T00:02:00.000Z")],
            None,
            false,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let query = Query::new()
        .filter(Filter::status(
            "Voting Status",
            OptionCondition::Equals("In Voting".into()),
        ))
        .page_size(2)
        .filter_properties(["Z%3ClH"]);
    let pages: Vec<_> = client(&server)
        .query_data_source_stream(id(DS), query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let first = &pages[0];
    assert_eq!(
        first.property("Name").unwrap().as_plain_text().as_deref(),
        Some("Mayor 2026")
    );
    assert_eq!(
        first.property("Voting Status").unwrap().as_status_name(),
        Some("In Voting")
    );
    assert_eq!(first.property("Results Link").unwrap().as_url(), None);
    assert_eq!(first.parent.data_source_id(), Some(id(DS)));
    assert_eq!(first.parent.database_id(), Some(id(DB)));
}

#[tokio::test]
async fn query_all_continues_past_the_result_cap() {
    let server = MockServer::start().await;
    let p = format!("/v1/data_sources/{DS}/query");
    let capped = |results: Vec<Value>| {
        let mut body = list(results, None, false);
        body["request_status"] =
            json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
        body
    };
    // The continuation: the caller's filter ANDed with created_time on_or_after the last seen.
    Mock::given(method("POST"))
        .and(path(p.as_str()))
        .and(body_partial_json(json!({"filter": {"and": [
            {"property": "Done", "checkbox": {"equals": false}},
            {"timestamp": "created_time", "created_time": {"on_or_after": "2026-01-01T00:01:00Z"}}
        ]}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            vec![
                page_json(&pid(2), "2026-01-01T00:01:00.000Z"),
                page_json(&pid(3), "2026-01-01T00:01:00.000Z"),
                page_json(&pid(4), "2026-01-01T00:05:00.000Z"),
            ],
            None,
            false,
        )))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(p.as_str()))
        .and(body_partial_json(json!({
            "filter": {"property": "Done", "checkbox": {"equals": false}},
            "sorts": [{"timestamp": "created_time", "direction": "ascending"}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(capped(vec![
            page_json(&pid(1), "2026-01-01T00:00:00.000Z"),
            page_json(&pid(2), "2026-01-01T00:01:00.000Z"),
        ])))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let pages: Vec<_> = client(&server)
        .query_all(id(DS), Query::new().filter(Filter::checkbox("Done", false)))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = pages.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, [pid(1), pid(2), pid(3), pid(4)]);
}

#[tokio::test]
async fn database_ids_work_on_both_versions() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/databases/{DB}")))
        .and(header("Notion-Version", "2025-09-03"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "database", "id": DB, "title": [], "data_sources": [{"id": DS, "name": "Elections"}]
        })))
        .expect(1) // resolved once, then cached
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/data_sources/{DS}/query")))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(vec![], None, false)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/databases/{DB}/query")))
        .and(header("Notion-Version", "2022-06-28"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(vec![], None, false)))
        .expect(1)
        .mount(&server)
        .await;
    let modern = client(&server);
    modern.query_database(id(DB), &Query::new()).await.unwrap();
    modern
        .clone()
        .query_database(id(DB), &Query::new())
        .await
        .unwrap();
    let legacy = client_for(&server, NotionVersion::V2022_06_28);
    legacy.query_database(id(DB), &Query::new()).await.unwrap();
}

#[tokio::test]
async fn legacy_schema_comes_from_the_database() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/databases/{DB}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "database", "id": DB, "title": [],
            "properties": {"Voting Status": {"id": "stat", "name": "Voting Status", "type": "status",
                "status": {"options": [{"id": "1", "name": "In Voting", "color": "blue"}], "groups": []}}}
        })))
        .mount(&server)
        .await;
    let schema = client_for(&server, NotionVersion::V2022_06_28)
        .retrieve_database_schema(id(DB))
        .await
        .unwrap();
    assert!(
        schema
            .property("Voting Status")
            .unwrap()
            .has_option("In Voting")
    );
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(error_body(429, "rate_limited")),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .respond_with(
            ResponseTemplate::new(529)
                .insert_header("Retry-After", "0")
                .set_body_json(error_body(529, "service_overload")),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(me()))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    c.me().await.unwrap();
    let stats = c.stats();
    assert_eq!(stats.requests, 3);
    assert_eq!(stats.retries, 2);
    assert_eq!(stats.rate_limit_waits, 2);
    assert_eq!(stats.rate_limit_wait_total, Duration::from_secs(1));
    assert_eq!(stats.requests_to("/v1/users/me"), 3);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "120")
                .set_body_json(error_body(429, "rate_limited")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).me().await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert!(err.to_string().contains("retry after 120 s"), "{err}");
}

#[tokio::test]
async fn blocked_requests_are_not_retried() {
    // Notion sends `public_api_request_blocked` on a 429 (and on a 403): never retried, and
    // reported as its own kind with what to do instead of a wait.
    for status in [429, 403] {
        let server = MockServer::start().await;
        let mut body = error_body(status, "rate_limited");
        body["additional_data"] =
            json!({"rate_limit_reason": "public_api_request_blocked", "retry_after": "1"});
        Mock::given(method("GET"))
            .and(path("/v1/users/me"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("retry-after", "1")
                    .set_body_json(body),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = client(&server);
        let err = client.me().await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::RequestBlocked, "{status}");
        assert_eq!(
            err.retry_after(),
            None,
            "no wait is offered: waiting does not help"
        );
        assert!(err.to_string().contains("retrying will not help"), "{err}");
        assert_eq!(client.stats().requests, 1);
        assert_eq!(client.pacer().blocked_for(), Duration::ZERO);
    }
}

#[tokio::test]
async fn server_errors_retry_reads_and_page_updates_but_not_creates() {
    let server = MockServer::start().await;
    let page = pid(7);
    Mock::given(method("GET"))
        .and(path(format!("/v1/pages/{page}")))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/pages/{page}")))
        .and(query_param("filter_properties", "title"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page_json(&page, "2026-01-01T00:00:00.000Z")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/pages/{page}")))
        .and(body_json(json!({"properties": {
            "Results Link": {"url": "https://vote.example/e/1/results"},
            "Voting Status": {"status": {"name": "Done"}}
        }})))
        .respond_with(ResponseTemplate::new(409).set_body_json(error_body(409, "conflict_error")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/pages/{page}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page_json(&page, "2026-01-01T00:00:00.000Z")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pages"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(error_body(500, "internal_server_error")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let got = c.retrieve_page(id(&page), &["title"]).await.unwrap();
    assert_eq!(got.title(), "Mayor 2026");
    c.update_page_properties(
        id(&page),
        [
            ("Voting Status", PropertyValue::status_name("Done")),
            (
                "Results Link",
                PropertyValue::url(Some("https://vote.example/e/1/results")),
            ),
        ],
    )
    .await
    .unwrap();
    let err = c
        .create_page(
            &CreatePage::new(PageParent::DataSource(id(DS)))
                .property("Name", PropertyValue::title("x").unwrap()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Server);
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.operation(), Some("POST /v1/pages"));
    let stats = c.stats();
    assert_eq!(stats.retries, 3);
    assert_eq!(stats.rate_limit_waits, 0);
}

#[tokio::test]
async fn errors_keep_notion_details_and_never_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-notion-request-id", "hdr-req")
                .set_body_json(
                    json!({"object": "error", "status": 404, "code": "object_not_found",
                                      "message": "Could not find page with ID: x."}),
                ),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.retrieve_page(id(&pid(1)), &[]).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(err.request_id(), Some("hdr-req"));
    assert_eq!(err.operation(), Some("GET /v1/pages/{page_id}"));
    for text in [err.to_string(), format!("{err:?}"), format!("{c:?}")] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
}

#[tokio::test]
async fn property_items_are_fetched_whole() {
    let server = MockServer::start().await;
    let page = pid(9);
    let p = format!("/v1/pages/{page}/properties/rel%3A1");
    let item = |n: u32| json!({"object": "property_item", "id": "rel%3A1", "type": "relation", "relation": {"id": pid(n)}});
    let envelope = |items: Vec<Value>, next: Option<&str>| {
        json!({"object": "list", "results": items, "next_cursor": next, "has_more": next.is_some(),
               "type": "property_item", "property_item": {"id": "rel%3A1", "next_url": null, "type": "relation", "relation": {}}})
    };
    Mock::given(method("GET"))
        .and(path(p.as_str()))
        .and(query_param_is_missing("start_cursor"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(envelope((0..25).map(item).collect(), Some("cur"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(p.as_str()))
        .and(query_param("start_cursor", "cur"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(envelope((25..30).map(item).collect(), None)),
        )
        .mount(&server)
        .await;
    let value = client(&server)
        .retrieve_page_property_item(id(&page), "rel%3A1")
        .await
        .unwrap();
    assert_eq!(value.as_relation_ids().unwrap().len(), 30);

    // The recorded title property item.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/notion/recorded/test_pages_properties_retrieve.json"),
    )
    .unwrap();
    let recorded: Value = serde_json::from_str(&text).unwrap();
    let ex = &recorded["interactions"][1];
    Mock::given(method("GET"))
        .and(path(ex["path"].as_str().unwrap()))
        .respond_with(ResponseTemplate::new(200).set_body_json(ex["response_body"].clone()))
        .mount(&server)
        .await;
    let title = client(&server)
        .retrieve_page_property_item(id("393abc1e-edcd-8138-85a7-fac7f6c92a45"), "title")
        .await
        .unwrap();
    assert_eq!(
        title.as_plain_text().as_deref(),
        Some("Test 2026-07-04 11:08:21.300571")
    );
}

#[tokio::test]
async fn search_and_oauth_requests_have_the_documented_shape() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .and(body_json(
            json!({"query": "Mayor", "filter": {"property": "object", "value": "page"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(
            vec![page_json(&pid(1), "2026-01-01T00:00:00.000Z")],
            None,
            false,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .and(header("Authorization", "Basic Y2lkOmNzZWNyZXQ="))
        .and(body_json(json!({"grant_type": "authorization_code", "code": "the-code", "redirect_uri": "https://app/cb"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "ntn_oauth_access", "token_type": "bearer", "refresh_token": null,
            "bot_id": "b", "workspace_id": "w", "workspace_name": "W", "owner": {"type": "workspace", "workspace": true}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(error_body(500, "internal_server_error")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/introspect"))
        .and(header("Authorization", "Basic Y2lkOmNzZWNyZXQ="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": true, "iat": 1})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let results = c
        .search(&SearchRequest::text("Mayor").only(notion_client::SearchObject::Page))
        .await
        .unwrap();
    assert_eq!(results.results.len(), 1);
    let creds = OAuthCredentials {
        client_id: "cid".into(),
        client_secret: SecretString::from("csecret"),
    };
    let token = c
        .exchange_oauth_code(&creds, "the-code", Some("https://app/cb"))
        .await
        .unwrap();
    assert_eq!(token.workspace_id.as_deref(), Some("w"));
    assert!(token.refresh_token.is_none());
    assert!(!format!("{token:?}").contains("ntn_oauth_access"));
    // A failed token exchange is not retried (the code is single-use).
    let err = c
        .exchange_oauth_code(&creds, "other", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Server);
    let active = c
        .introspect_oauth_token(&creds, &SecretString::from("t"))
        .await
        .unwrap();
    assert!(active.active);
}

#[tokio::test]
async fn transport_errors_retry_reads() {
    // Nothing listens on this port once the listener is dropped.
    let uri = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let c = NotionClient::builder()
        .token(SecretString::from(TOKEN))
        .base_url(uri)
        .pacer(Pacer::new(1000.0, 10).unwrap())
        .base_backoff(Duration::from_millis(1))
        .max_attempts(3)
        .build()
        .unwrap();
    let err = c.me().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Transport);
    assert!(err.to_string().contains("could not reach Notion"), "{err}");
    assert_eq!(c.stats().requests, 3);
}

#[tokio::test]
async fn query_all_refuses_sorts_and_reports_a_window_it_cannot_advance() {
    let server = MockServer::start().await;
    let mut capped = list(
        vec![
            page_json(&pid(1), "2026-01-01T00:00:00.000Z"),
            page_json(&pid(2), "2026-01-01T00:00:00.000Z"),
        ],
        None,
        false,
    );
    capped["request_status"] =
        json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
    Mock::given(method("POST"))
        .and(path(format!("/v1/data_sources/{DS}/query")))
        .respond_with(ResponseTemplate::new(200).set_body_json(capped))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c
        .query_all(
            id(DS),
            Query::new().sort(notion_client::Sort::property(
                "Name",
                notion_client::Direction::Ascending,
            )),
        )
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidRequest);
    let mut stream = c.query_all(id(DS), Query::new());
    let mut seen = Vec::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(p)) => seen.push(p.id),
            Ok(None) => panic!("must not end silently"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen.len(), 2, "pages are not repeated");
    assert!(err.to_string().contains("share created_time"), "{err}");
}

#[tokio::test]
async fn trash_uses_the_version_specific_flag() {
    let server = MockServer::start().await;
    let page = pid(5);
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/pages/{page}")))
        .and(body_json(json!({"in_trash": true})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page_json(&page, "2026-01-01T00:00:00.000Z")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/pages/{page}")))
        .and(body_json(json!({"archived": false})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page_json(&page, "2026-01-01T00:00:00.000Z")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pages"))
        .and(body_partial_json(
            json!({"parent": {"type": "database_id", "database_id": DB}}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page_json(&page, "2026-01-01T00:00:00.000Z")),
        )
        .expect(1)
        .mount(&server)
        .await;
    client(&server).trash_page(id(&page)).await.unwrap();
    let legacy = client_for(&server, NotionVersion::V2022_06_28);
    legacy.restore_page(id(&page)).await.unwrap();
    legacy
        .create_page(&CreatePage::new(PageParent::DataSource(id(DB))))
        .await
        .unwrap();
}

#[tokio::test]
async fn stats_scopes_count_each_users_requests_exactly() {
    let server = MockServer::start().await;
    // The first /v1/users/me answers 503 once (a GET: retried), so one scope also sees a retry.
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(error_body(503, "service_unavailable")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(me()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/pages/{}", pid(1))))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page_json(&pid(1), "2026-01-01T00:00:00.000Z")),
        )
        .mount(&server)
        .await;
    let shared = client(&server);
    shared.me().await.unwrap(); // 2 attempts (503 then 200), before any scope exists
    let cycle = shared.with_stats_scope();
    let admin = shared.with_stats_scope();
    // A clone of a scoped client counts into the same scope (e.g. a stream that clones it).
    let cycle_clone = cycle.clone();
    let nested = cycle.with_stats_scope();

    // Two users sending at once through the one client (one pacer, one connection pool).
    let cycle_work = async {
        for _ in 0..5 {
            cycle.retrieve_page(id(&pid(1)), &[]).await.unwrap();
        }
        cycle_clone.me().await.unwrap();
        nested.me().await.unwrap();
    };
    let admin_work = async {
        for _ in 0..3 {
            admin.me().await.unwrap();
        }
    };
    tokio::join!(cycle_work, admin_work);
    shared.me().await.unwrap(); // the shared client itself, in no scope

    // Each scope counts exactly its own requests; the shared counters count everything.
    assert_eq!(cycle.scope_stats().requests, 7);
    assert_eq!(cycle.scope_stats().requests_to("/v1/pages/{page_id}"), 5);
    assert_eq!(cycle_clone.scope_stats(), cycle.scope_stats());
    assert_eq!(nested.scope_stats().requests, 1);
    assert_eq!(admin.scope_stats().requests, 3);
    assert_eq!(admin.scope_stats().requests_to("/v1/pages/{page_id}"), 0);
    assert_eq!(admin.scope_stats().retries, 0);
    let all = shared.stats();
    assert_eq!(all.requests, 2 + 7 + 3 + 1);
    assert_eq!(all.retries, 1);
    assert_eq!(
        cycle.stats(),
        all,
        "stats() stays the shared view on a scoped clone"
    );
    // Without a scope, scope_stats is the shared view.
    assert_eq!(shared.scope_stats(), all);
}
