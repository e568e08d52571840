//! Load benchmark: a data source of 10,000 pages, fully paginated 100 at a time, and page property
//! updates, each driven by several concurrent clients over loopback. Prints requests/second and
//! p50/p99 latency. Run: `cargo bench -p notion-emulator --bench emulator_load`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use notion_emulator::{
    DataSourceSpec, DatabaseSpec, Emulator, EmulatorConfig, IntegrationSpec, PageSpec, ParentSpec,
    RowSpec, Workspace,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

const PAGES: usize = 10_000;
const TOKEN: &str = "ntn_bench";
const VERSION: &str = "2025-09-03";

fn workspace() -> (Workspace, Uuid, Vec<Uuid>) {
    let root = Uuid::from_u128(1);
    let ds = Uuid::from_u128(3);
    let mut props = Map::new();
    props.insert("Name".into(), json!({"type": "title", "title": {}}));
    props.insert(
        "Description".into(),
        json!({"type": "rich_text", "rich_text": {}}),
    );
    props.insert(
        "Voting Status".into(),
        json!({"type": "status", "status": {"options": [
            {"name": "Not started", "color": "default"}, {"name": "In Voting", "color": "blue"}, {"name": "Done", "color": "green"}
        ], "groups": [
            {"name": "To-do", "option_ids": ["Not started"]}, {"name": "In progress", "option_ids": ["In Voting"]}, {"name": "Complete", "option_ids": ["Done"]}
        ]}}),
    );
    props.insert("Results Link".into(), json!({"type": "url", "url": {}}));
    let ids: Vec<Uuid> = (0..PAGES)
        .map(|i| Uuid::from_u128(0x1000_0000 + i as u128))
        .collect();
    let pages = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut p = Map::new();
            p.insert("Name".into(), json!(format!("Election {i}")));
            p.insert(
                "Description".into(),
                json!(format!(
                    "Description of election number {i}, long enough to look real."
                )),
            );
            p.insert(
                "Voting Status".into(),
                json!(["Not started", "In Voting", "Done"][i % 3]),
            );
            RowSpec {
                id: *id,
                properties: p,
                created_time: None,
                last_edited_time: None,
                in_trash: false,
                icon: None,
                children: vec![],
            }
        })
        .collect();
    let ws = Workspace {
        name: "Bench".into(),
        integrations: vec![IntegrationSpec {
            id: Uuid::from_u128(9),
            name: "bench".into(),
            tokens: vec![TOKEN.into()],
            capabilities: Default::default(),
            shared: vec![root],
            all_access: false,
        }],
        pages: vec![PageSpec {
            id: root,
            parent: ParentSpec::default(),
            title: "Root".into(),
            icon: None,
            children: vec![],
            in_trash: false,
        }],
        databases: vec![DatabaseSpec {
            id: Uuid::from_u128(2),
            parent: ParentSpec {
                page_id: Some(root),
                workspace: None,
            },
            title: "Elections".into(),
            description: String::new(),
            is_inline: false,
            icon: None,
            data_sources: vec![DataSourceSpec {
                id: ds,
                title: None,
                properties: props,
                pages,
            }],
        }],
        ..Workspace::default()
    };
    (ws, ds, ids)
}

struct Report {
    name: &'static str,
    clients: usize,
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn print(&mut self) {
        self.latencies.sort();
        let pct =
            |p: f64| self.latencies[((self.latencies.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} |",
            self.name,
            self.clients,
            self.requests,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1000.0,
            pct(0.99).as_secs_f64() * 1000.0
        );
    }
}

async fn full_pagination(
    http: &reqwest::Client,
    base: &str,
    ds: Uuid,
    lat: &mut Vec<Duration>,
) -> usize {
    let mut cursor: Option<String> = None;
    let mut rows = 0;
    loop {
        let mut body = json!({"page_size": 100});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let t = Instant::now();
        let r: Value = http
            .post(format!("{base}/v1/data_sources/{ds}/query"))
            .bearer_auth(TOKEN)
            .header("Notion-Version", VERSION)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        lat.push(t.elapsed());
        rows += r["results"].as_array().map_or(0, Vec::len);
        match r["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(rows, PAGES, "a full pagination returns every page");
    rows
}

/// 4 clients each sending the same first-page query 50 times.
async fn repeated_query(
    http: &reqwest::Client,
    base: &Arc<String>,
    ds: Uuid,
    query_string: &'static str,
    body: Value,
    name: &'static str,
) {
    let clients = 4;
    let body = Arc::new(body);
    let t = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, base, body) = (http.clone(), Arc::clone(base), Arc::clone(&body));
            tokio::spawn(async move {
                let mut lat = Vec::new();
                for _ in 0..50 {
                    let t = Instant::now();
                    let r = http
                        .post(format!("{base}/v1/data_sources/{ds}/query?{query_string}"))
                        .bearer_auth(TOKEN)
                        .header("Notion-Version", VERSION)
                        .json(&*body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Report {
        name,
        clients,
        requests: latencies.len(),
        elapsed: t.elapsed(),
        latencies,
    }
    .print();
}

async fn run() {
    let (ws, ds, ids) = workspace();
    let started = Instant::now();
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_workspace(ws)
            .without_rate_limit(),
    )
    .await
    .unwrap();
    println!(
        "loaded {PAGES} pages in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    let base = Arc::new(emu.base_url());
    let http = reqwest::Client::new();
    println!(
        "| scenario | clients | requests | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|"
    );

    // Full pagination: each client reads the whole data source, 100 pages per request, 3 times.
    let clients = 4;
    let passes = 3;
    let t = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, base) = (http.clone(), Arc::clone(&base));
            tokio::spawn(async move {
                let mut lat = Vec::new();
                for _ in 0..passes {
                    full_pagination(&http, &base, ds, &mut lat).await;
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Report {
        name: "query 10k pages, page_size 100, full pagination",
        clients,
        requests: latencies.len(),
        elapsed: t.elapsed(),
        latencies,
    }
    .print();

    // Filtered and sorted query pages (status filter, last_edited_time sort).
    repeated_query(
        &http,
        &base,
        ds,
        "filter_properties=title",
        json!({"filter": {"property": "Voting Status", "status": {"equals": "In Voting"}},
               "sorts": [{"timestamp": "last_edited_time", "direction": "descending"}], "page_size": 100}),
        "filtered+sorted query (first page of 3,333 matches)",
    )
    .await;

    // The sync's pull query: only the mapped properties, rows edited since the last watermark (here
    // all 10,000), oldest edit first.
    repeated_query(
        &http,
        &base,
        ds,
        "filter_properties=title&filter_properties=Voting%20Status&filter_properties=Results%20Link",
        json!({"filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "2020-01-01T00:00:00Z"}},
               "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}], "page_size": 100}),
        "sync pull query (filter_properties + last_edited_time on_or_after, first page of 10,000)",
    )
    .await;

    // Property updates: status + url on random pages.
    let clients = 8;
    let per_client = 500;
    let ids = Arc::new(ids);
    let t = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, base, ids) = (http.clone(), Arc::clone(&base), Arc::clone(&ids));
            tokio::spawn(async move {
                let mut lat = Vec::new();
                for i in 0..per_client {
                    let id = ids[(c * 7919 + i * 104_729) % ids.len()];
                    let t = Instant::now();
                    let r = http
                        .patch(format!("{base}/v1/pages/{id}"))
                        .bearer_auth(TOKEN)
                        .header("Notion-Version", VERSION)
                        .json(&json!({"properties": {"Voting Status": {"status": {"name": "Done"}}, "Results Link": {"url": format!("https://example.org/r/{i}")}}}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Report {
        name: "PATCH page properties (status + url)",
        clients,
        requests: latencies.len(),
        elapsed: t.elapsed(),
        latencies,
    }
    .print();
    let counts = emu.request_counts();
    println!("served {} requests in total", counts.total());
    emu.shutdown().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}
