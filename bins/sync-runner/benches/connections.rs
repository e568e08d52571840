//! Budgets are per connection (docs/PERFORMANCE.md, "sync-runner: two connections against one").
//!
//! The wall time of a full reconcile that must write every page, at Notion's default budget (180
//! requests a minute per connection, on the runner's pacer and on the emulator alike): N linked
//! elections through each of two connections (the internal one and a second, as an OAuth workspace
//! would be), against 2N through one connection. Since a cycle syncs its connections side by side,
//! each within its own budget, two connections should take about half as long.
//!
//! Run: `cargo bench -p sync-runner --bench connections` (N: `CONNECTIONS_BENCH_N`, default 1000;
//! about 17 minutes at 1000, nearly all of it waiting on the budget). Without `--bench` (as
//! `cargo test --all-targets` runs it) it does nothing.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use notion_client::NotionClient;
use notion_emulator::{
    DataSourceSpec, DatabaseSpec, Emulator, EmulatorConfig, IntegrationSpec, PageSpec, ParentSpec,
    RowSpec, Workspace,
};
use serde_json::{Map, json};
use store::{
    ConnectionId, NewElection, NewOAuthConnection, OpenMode, SharedStore, StoreLocation, open_store,
};
use sync_driver::{Allowlist, Connection, Connections, CycleOptions, DriverConfig, SyncDriver};
use sync_engine::{ElectionId, NotionLink};
use token_seal::TokenKey;
use uuid::Uuid;

const TOKEN_A: &str = "ntn_bench_connection_a";
const TOKEN_B: &str = "ntn_bench_connection_b";
const ROOT: Uuid = Uuid::from_u128(1);
const BASE_URL: &str = "https://vote.example.org";

/// The databases of the bench workspace: (database, data source, first page number).
const ONE: (Uuid, Uuid) = (Uuid::from_u128(0x10), Uuid::from_u128(0x11));
const A: (Uuid, Uuid) = (Uuid::from_u128(0x20), Uuid::from_u128(0x21));
const B: (Uuid, Uuid) = (Uuid::from_u128(0x30), Uuid::from_u128(0x31));

fn page_id(database: Uuid, i: usize) -> Uuid {
    Uuid::from_u128((database.as_u128() << 32) + i as u128)
}

fn properties() -> Map<String, serde_json::Value> {
    let mut props = Map::new();
    props.insert("Name".into(), json!({"type": "title", "title": {}}));
    props.insert(
        "Description".into(),
        json!({"type": "rich_text", "rich_text": {}}),
    );
    props.insert(
        "Voting Status".into(),
        json!({"type": "status", "status": {"options": [
            {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"}
        ], "groups": [
            {"name": "To-do", "option_ids": ["Not started"]}, {"name": "In progress", "option_ids": ["In Voting"]},
            {"name": "Complete", "option_ids": ["Done"]}
        ]}}),
    );
    props.insert("Results Link".into(), json!({"type": "url", "url": {}}));
    props
}

/// A database of `n` rows, all `Not started` (their elections are open: each needs a write).
fn database((id, data_source): (Uuid, Uuid), title: &str, n: usize) -> DatabaseSpec {
    let pages = (0..n)
        .map(|i| {
            let mut p = Map::new();
            p.insert("Name".into(), json!(format!("{title} {i}")));
            p.insert("Voting Status".into(), json!("Not started"));
            RowSpec {
                id: page_id(id, i),
                properties: p,
                created_time: None,
                last_edited_time: None,
                in_trash: false,
                icon: None,
                children: vec![],
            }
        })
        .collect();
    DatabaseSpec {
        id,
        parent: ParentSpec {
            page_id: Some(ROOT),
            workspace: None,
        },
        title: title.into(),
        description: String::new(),
        is_inline: false,
        icon: None,
        data_sources: vec![DataSourceSpec {
            id: data_source,
            title: None,
            properties: properties(),
            pages,
        }],
    }
}

fn integration(id: u128, token: &str) -> IntegrationSpec {
    IntegrationSpec {
        id: Uuid::from_u128(id),
        name: format!("bench {token}"),
        tokens: vec![token.into()],
        capabilities: Default::default(),
        shared: vec![ROOT],
        all_access: false,
    }
}

fn workspace(n: usize) -> Workspace {
    Workspace {
        name: "Bench".into(),
        integrations: vec![integration(9, TOKEN_A), integration(10, TOKEN_B)],
        pages: vec![PageSpec {
            id: ROOT,
            parent: ParentSpec::default(),
            title: "Root".into(),
            icon: None,
            children: vec![],
            in_trash: false,
        }],
        databases: vec![
            database(ONE, "One", 2 * n),
            database(A, "A", n),
            database(B, "B", n),
        ],
        ..Workspace::default()
    }
}

/// A client at Notion's default budget (180 requests a minute).
fn client(base: &str, token: &str) -> NotionClient {
    NotionClient::builder()
        .token(token.to_owned().into())
        .base_url(base)
        .build()
        .expect("client")
}

async fn link_elections(
    store: &SharedStore,
    database: Uuid,
    n: usize,
    prefix: &str,
    now: Timestamp,
) {
    for i in 0..n {
        let record = store
            .create_election(
                NewElection {
                    id: Some(ElectionId::parse(format!("elec_{prefix}_{i:05}")).expect("id")),
                    title: format!("{prefix} {i}"),
                    description: String::new(),
                    open_at: now - SignedDuration::from_hours(1),
                    close_at: now + SignedDuration::from_hours(24 * 30),
                },
                now,
            )
            .await
            .expect("create");
        let link = NotionLink::new(database.to_string(), page_id(database, i).to_string());
        store
            .set_link(&record.election.id, &link, now)
            .await
            .expect("link");
    }
}

/// The second connection, stored as an OAuth connection would be, allowing database B.
async fn second_connection(store: &SharedStore, now: Timestamp) -> ConnectionId {
    let id = ConnectionId::mint(now);
    let key = TokenKey::generate();
    store
        .save_oauth_connection(
            NewOAuthConnection {
                id: id.clone(),
                workspace_id: "bench-workspace".into(),
                workspace_name: Some("Bench".into()),
                workspace_icon: None,
                bot_id: Uuid::from_u128(10).to_string(),
                owner: None,
                created_by: Some("bench".into()),
                access_token: key.seal(&TOKEN_B.to_owned().into(), &id.access_token_context()),
                refresh_token: None,
                access_expires_at: None,
            },
            now,
        )
        .await
        .expect("connection");
    store
        .allow_database(&id, &B.0.to_string(), Some("B"), Some("bench"), now)
        .await
        .expect("allow");
    id
}

/// One full reconcile, timed; returns (wall time, pages written, Notion requests).
async fn reconcile(driver: &SyncDriver) -> (Duration, u64, u64) {
    let started = Instant::now();
    let report = driver
        .run_cycle(Timestamp::now(), CycleOptions::scheduled())
        .await
        .expect("cycle");
    assert_eq!(report.counts.failed, 0, "{:?}", report.error);
    (
        started.elapsed(),
        report.counts.written,
        report.counts.notion_requests,
    )
}

async fn run(n: usize) {
    let emu = Emulator::start_blocking(
        EmulatorConfig::default()
            .with_workspace(workspace(n))
            .with_worker_threads(1),
    )
    .expect("emulator");
    let base = emu.base_url();
    let now = Timestamp::now();
    let dir = tempfile::tempdir().expect("tempdir");

    // One connection holding all 2N.
    let store = open_store(
        &StoreLocation::Sqlite(dir.path().join("one.db")),
        OpenMode::CreateIfMissing,
    )
    .await
    .expect("store");
    link_elections(&store, ONE.0, 2 * n, "one", now).await;
    let allowlist = Allowlist::parse(&format!("{}:One", ONE.0)).expect("allowlist");
    let one = SyncDriver::new(
        store,
        client(&base, TOKEN_A),
        DriverConfig::new(BASE_URL, allowlist),
    );
    let (one_wall, one_written, one_requests) = reconcile(&one).await;

    // Two connections holding N each (fresh clients: fresh budgets).
    let store = open_store(
        &StoreLocation::Sqlite(dir.path().join("two.db")),
        OpenMode::CreateIfMissing,
    )
    .await
    .expect("store");
    let second = second_connection(&store, now).await;
    link_elections(&store, A.0, n, "a", now).await;
    link_elections(&store, B.0, n, "b", now).await;
    let mut connections = Connections::new(Connection::new(
        client(&base, TOKEN_A),
        Allowlist::parse(&format!("{}:A", A.0)).expect("allowlist"),
    ));
    connections.insert(
        second,
        Connection::new(
            client(&base, TOKEN_B),
            Allowlist::parse(&format!("{}:B", B.0)).expect("allowlist"),
        ),
    );
    let two = SyncDriver::with_connections(
        store,
        connections,
        DriverConfig::new(BASE_URL, Allowlist::default()),
    );
    let (two_wall, two_written, two_requests) = reconcile(&two).await;

    println!("| layout | elections | pages written | Notion requests | wall time |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| one connection | {} | {one_written} | {one_requests} | {:.1} s |",
        2 * n,
        one_wall.as_secs_f64()
    );
    println!(
        "| two connections × {n} | {} | {two_written} | {two_requests} | {:.1} s |",
        2 * n,
        two_wall.as_secs_f64()
    );
    println!(
        "two connections take {:.2} of the time of one",
        two_wall.as_secs_f64() / one_wall.as_secs_f64()
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = std::env::var("CONNECTIONS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(n));
}
