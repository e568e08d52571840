//! Health, readiness, metrics, the OpenAPI document and the docs page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use notion_emulator::demo;

use crate::support::TestServer;

#[tokio::test]
async fn health_and_readiness() {
    let t = TestServer::start().await;
    let body: Value = t
        .http
        .get(t.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"status": "ok"}));
    let body: Value = t
        .http
        .get(t.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["schema_version"], store::LATEST_SCHEMA_VERSION);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let t = TestServer::start().await;
    t.create_election("M", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let (status, _) = t.get("/admin/elections/elec_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
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
            r#"http_requests_total{method="GET",route="/admin/elections/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_requests_total{method="POST",route="/admin/elections",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(!text.contains(crate::support::TOKEN));
}

#[tokio::test]
async fn openapi_document_and_offline_docs_page() {
    let t = TestServer::start().await;
    let spec: Value = t
        .http
        .get(t.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for path in [
        "/admin/elections",
        "/admin/elections/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    let page = t.http.get(t.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load from the internet: {html}"
    );
}

/// A sync driver on its own `SqliteStore` over the server's file: what the sync-runner process is.
fn runner(t: &TestServer) -> sync_driver::SyncDriver {
    let store = std::sync::Arc::new(store::SqliteStore::open(t.db_path()).expect("store opens"));
    let notion = notion_client::NotionClient::builder()
        .token(notion_client::SecretString::from(demo::TOKEN))
        .base_url(t.emulator.base_url())
        .max_requests_per_second(500.0)
        .build()
        .expect("client");
    let allowlist = sync_driver::Allowlist::parse(&crate::support::allowlist()).expect("allowlist");
    sync_driver::SyncDriver::new(
        store,
        notion,
        sync_driver::DriverConfig::new("https://vote.example.org", allowlist),
    )
}

async fn get_json(t: &TestServer, path: &str) -> (StatusCode, Value) {
    crate::support::send(t.http.get(t.url(path))).await
}

async fn metrics_text(t: &TestServer) -> String {
    t.http
        .get(t.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of an unlabelled sample (or one with the labels given), `None` when absent.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn readyz_tells_sync_freshness_without_failing_readiness() {
    let t = TestServer::start().await;
    let (status, body) = get_json(&t, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["linked_elections"], 0);
    assert_eq!(body["last_run_finished_at"], Value::Null);
    assert_eq!(
        body["sync_stale"], false,
        "nothing linked, nothing to be stale"
    );
    assert_eq!(body["sync_stale_after_seconds"], 600);

    // Linked, and no runner has run: stale, and still ready.
    let election = t
        .create_election("Open", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let id = election["id"].as_str().unwrap();
    let (status, body) = t
        .post(
            &format!("/admin/elections/{id}/notion/link"),
            json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": demo::BOARD_PRESIDENT.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get_json(&t, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["linked_elections"], 1);
    assert_eq!(body["sync_stale"], true, "{body}");

    // The runner ran an hour ago: stale for the default window, fresh for a 2 h one.
    let driver = runner(&t);
    let hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    driver
        .run_cycle(hour_ago, sync_driver::CycleOptions::scheduled())
        .await
        .expect("cycle");
    let (status, body) = get_json(&t, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sync_stale"], true, "{body}");
    let finished: jiff::Timestamp = body["last_run_finished_at"]
        .as_str()
        .expect("a finished run")
        .parse()
        .unwrap();
    assert!(finished < jiff::Timestamp::now() - jiff::SignedDuration::from_mins(50));
    let (_, body) = get_json(&t, "/readyz?stale_after=2h").await;
    assert_eq!(body["sync_stale"], false, "{body}");
    assert_eq!(body["sync_stale_after_seconds"], 7200);

    // The runner runs now: fresh.
    driver
        .run_cycle(
            jiff::Timestamp::now(),
            sync_driver::CycleOptions::scheduled(),
        )
        .await
        .expect("cycle");
    let (_, body) = get_json(&t, "/readyz").await;
    assert_eq!(body["sync_stale"], false, "{body}");
    assert!(body["last_successful_sync_at"].is_string(), "{body}");

    let (status, body) = get_json(&t, "/readyz?stale_after=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "stale_after", "{body}");
}

#[tokio::test]
async fn metrics_show_the_sync_runners_health_from_the_store() {
    let t = TestServer::start().await;
    let text = metrics_text(&t).await;
    assert_eq!(
        sample(&text, "election_sync_health_up"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"election_sync_elections{state="linked"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "election_sync_last_run_finished_timestamp_seconds"),
        None,
        "no run yet: {text}"
    );

    let mut ids = Vec::new();
    for (title, page) in [
        ("Open", demo::BOARD_PRESIDENT),
        ("Also open", demo::BUDGET_REFERENDUM),
    ] {
        let e = t
            .create_election(title, "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
            .await;
        let id = e["id"].as_str().unwrap().to_owned();
        let (status, body) = t
            .post(
                &format!("/admin/elections/{id}/notion/link"),
                json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": page.to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(id);
    }
    let driver = runner(&t);
    let store = driver.store().clone();
    let paused = sync_engine::ElectionId::parse(ids[1].as_str()).unwrap();
    store
        .pause(&store::PauseScope::Election(paused), jiff::Timestamp::now())
        .await
        .unwrap();
    let hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    driver
        .run_cycle(hour_ago, sync_driver::CycleOptions::scheduled())
        .await
        .expect("cycle");
    let run = store
        .list_runs(&store::ListRequest::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    assert!(
        run.counts.written >= 1,
        "the open election's status was written: {run:?}"
    );

    let text = metrics_text(&t).await;
    for (state, value) in [
        ("linked", 2.0),
        ("error", 0.0),
        ("link_broken", 0.0),
        ("paused", 1.0),
    ] {
        assert_eq!(
            sample(
                &text,
                &format!(r#"election_sync_elections{{state="{state}"}}"#)
            ),
            Some(value),
            "{state}: {text}"
        );
    }
    assert_eq!(sample(&text, "election_sync_globally_paused"), Some(0.0));
    let finished = run.finished_at.expect("finished");
    assert_eq!(
        sample(&text, "election_sync_last_run_finished_timestamp_seconds"),
        Some(finished.as_millisecond() as f64 / 1000.0),
        "{text}"
    );
    let age = sample(&text, "election_sync_last_run_finished_age_seconds").expect("age");
    assert!(age >= 3000.0, "finished about an hour ago: {age}");
    assert!(
        sample(&text, "election_sync_last_success_age_seconds").expect("success age") >= 3000.0
    );
    assert_eq!(
        sample(&text, "election_sync_last_run_pages_written"),
        Some(run.counts.written as f64)
    );
    assert_eq!(
        sample(&text, "election_sync_last_run_elections_failed"),
        Some(run.counts.failed as f64)
    );
    assert_eq!(
        sample(&text, "election_sync_last_run_notion_requests"),
        Some(run.counts.notion_requests as f64)
    );
    assert_eq!(sample(&text, "election_sync_last_run_error"), Some(0.0));
    for name in [
        "election_sync_elections",
        "election_sync_last_run_finished_timestamp_seconds",
        "election_sync_last_run_finished_age_seconds",
        "election_sync_last_run_started_timestamp_seconds",
        "election_sync_last_success_timestamp_seconds",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
        assert!(
            text.contains(&format!("# TYPE {name} gauge")),
            "{name}: {text}"
        );
    }
}

/// `activity=changes` leaves out the idle cycles, page after page; `all` (the default) keeps them;
/// anything else is a 400 naming the field.
#[tokio::test]
async fn sync_runs_can_leave_out_idle_cycles() {
    let t = TestServer::start().await;
    let store = store::SqliteStore::open(t.db_path()).expect("store opens");
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let mut with_changes = Vec::new();
    for i in 0..12 {
        let at = start + jiff::SignedDuration::from_mins(i);
        let run = store
            .start_run(sync_engine::Trigger::Scheduled, "sync-runner:test", at)
            .unwrap();
        let counts = store::RunCounts {
            written: u64::from(i % 5 == 0),
            notion_requests: 1,
            ..store::RunCounts::default()
        };
        let run = store.finish_run(run.id, &counts, None, at).unwrap();
        if run.has_changes() {
            with_changes.push(run.id.to_string());
        }
    }
    with_changes.reverse();
    assert_eq!(with_changes.len(), 3);

    let ids = |body: &Value| -> Vec<String> {
        body["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, first) = t.get("/admin/sync/runs?activity=changes&limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = t
        .get(&format!(
            "/admin/sync/runs?activity=changes&limit=2&cursor={cursor}"
        ))
        .await;
    assert!(second["next_cursor"].is_null(), "{second}");
    let mut seen = ids(&first);
    seen.extend(ids(&second));
    assert_eq!(seen, with_changes);

    for path in ["/admin/sync/runs", "/admin/sync/runs?activity=all"] {
        let (status, body) = t.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(ids(&body).len(), 12, "{path}: every run");
    }
    // Anything but exactly `all` or `changes` is refused (found by the schemathesis run: an empty
    // `activity=` used to be read as the default although the schema's pattern forbids it).
    for path in [
        "/admin/sync/runs?activity=idle",
        "/admin/sync/runs?activity=",
        "/admin/sync/runs?activity=%20all",
    ] {
        let (status, body) = t.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{path}: {body}");
        assert_eq!(body["error"]["field"], "activity", "{path}: {body}");
    }
}

/// The `http_*` series in a `/metrics` body, and the body's size.
async fn http_series(t: &TestServer) -> (usize, usize) {
    let text = metrics_text(t).await;
    let series = text
        .lines()
        .filter(|line| line.starts_with("http_"))
        .count();
    (series, text.len())
}

/// Sends `count` requests with invented methods (and some known ones, in the wrong case) to
/// invented paths, half of them with the admin token.
async fn random_requests(t: &TestServer, count: usize) {
    use futures::StreamExt;
    use rand::Rng;
    use rand::distr::Alphanumeric;
    let prefixes = [
        "/",
        "/admin/",
        "/admin/elections/",
        "/ui/",
        "/docs/",
        "/nope/",
    ];
    let requests: Vec<_> = (0..count)
        .map(|i| {
            let mut rng = rand::rng();
            let word: String = (&mut rng)
                .sample_iter(Alphanumeric)
                .take(12)
                .map(char::from)
                .collect();
            let method = if i % 7 == 0 {
                "get".to_owned()
            } else {
                word.to_ascii_uppercase()
            };
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let path = format!("{}{word}/{i}", prefixes[i % prefixes.len()]);
            if i % 2 == 0 {
                t.request(method, &path)
            } else {
                t.http.request(method, t.url(&path))
            }
        })
        .collect();
    futures::stream::iter(requests)
        .for_each_concurrent(8, |request| async move {
            request.send().await.expect("request sent");
        })
        .await;
}

#[tokio::test]
async fn invented_methods_and_paths_do_not_grow_the_metrics() {
    let t = TestServer::start().await;
    // The scrape's own series (`GET /metrics`) appears from the second scrape on.
    metrics_text(&t).await;
    random_requests(&t, 240).await;
    let (series, size) = http_series(&t).await;
    random_requests(&t, 3000).await;
    let (series_after, size_after) = http_series(&t).await;
    assert_eq!(
        series_after, series,
        "every method outside the known set and every unmatched path share one label value"
    );
    // Only the counts' digits may grow.
    assert!(size_after < size + size / 10, "{size} → {size_after} bytes");
    let text = metrics_text(&t).await;
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    assert!(text.contains(r#"route="unmatched""#), "{text}");
}
