//! The Notion cost of a managed database (issue 12; docs/PERFORMANCE.md, "Managed databases").
//!
//! On the notion-emulator (in process, no rate limit), a database made by `database create`'s
//! driver call under the demo workspace's root page, switched to managed; then N new elections.
//! It counts the requests, by route, of: the first cycle (its managed delta creates every page and
//! the cycle syncs the new links), a steady-state cycle with no change, and a no-change backfill
//! (`backfill --database`), with the wall time of each at the bench's pacer. The time at the
//! default pacer (180 requests a minute) follows from the request count: the pacer is the bound.
//!
//! Run: `cargo bench -p sync-runner --bench managed_cost` (N: `MANAGED_COST_ELECTIONS`, default
//! 1000; the pacer: `MANAGED_COST_RPS`, default 10000). Without `--bench` (as `cargo test
//! --all-targets` runs it) it does nothing.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use notion_client::NotionClient;
use notion_emulator::{Emulator, EmulatorConfig, RequestCounts, demo};
use secrecy::SecretString;
use store::{DatabaseMode, ManagedSettings, NewElection, SharedStore, SqliteStore};
use sync_driver::{Allowlist, CycleOptions, DriverConfig, ManagedPassOptions, SyncDriver};

const BASE_URL: &str = "https://vote.example.org";
/// Notion's default budget per connection, requests per second (180 a minute).
const DEFAULT_RPS: f64 = 3.0;

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn client(emu: &Emulator, rps: f64) -> NotionClient {
    NotionClient::builder()
        .token(SecretString::from(demo::TOKEN))
        .base_url(emu.base_url())
        .max_requests_per_second(rps)
        .burst(50)
        .build()
        .expect("client")
}

/// `route: count` for every route that served a request, and the total.
fn describe(counts: &RequestCounts) -> String {
    let mut by_route: std::collections::BTreeMap<String, u64> = Default::default();
    for c in &counts.counts {
        *by_route
            .entry(format!("{} {}", c.method, c.route))
            .or_default() += c.count;
    }
    let parts: Vec<String> = by_route.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    format!("{} requests ({})", counts.total(), parts.join(", "))
}

fn report(what: &str, counts: &RequestCounts, took: Duration) {
    println!(
        "{what:<32} {}; {:.2} s here, {:.0} s at the default pacer",
        describe(counts),
        took.as_secs_f64(),
        counts.total() as f64 / DEFAULT_RPS
    );
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = env_number("MANAGED_COST_ELECTIONS", 1000);
    let rps: f64 = env_number("MANAGED_COST_RPS", 10_000.0);
    let emu = Emulator::start(EmulatorConfig::default().without_rate_limit())
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let store: SharedStore =
        std::sync::Arc::new(SqliteStore::open(dir.path().join("bench.db")).expect("store"));

    // An empty managed database, made as `sync-runner database create` makes it.
    let maker = SyncDriver::new(
        store.clone(),
        client(&emu, rps),
        DriverConfig::new(BASE_URL, Allowlist::default()),
    );
    let created = maker
        .create_managed_database(demo::ROOT_PAGE.into(), "Elections (bench)")
        .await
        .expect("database created");
    let database = created.database_id.to_string();
    let allowlist = Allowlist::parse(&format!("{database}:Bench")).expect("allowlist");
    let driver = SyncDriver::new(
        store.clone(),
        client(&emu, rps),
        DriverConfig::new(BASE_URL, allowlist),
    );
    let now = Timestamp::now();
    let settings = ManagedSettings {
        mode: DatabaseMode::Managed,
        ..ManagedSettings::default()
    };
    store
        .set_database_mode(&database, &settings, now)
        .await
        .expect("managed");
    for i in 0..n {
        store
            .create_election(
                NewElection {
                    id: None,
                    title: format!("Seat {i}"),
                    description: String::new(),
                    open_at: now - SignedDuration::from_hours(1),
                    close_at: now + SignedDuration::from_hours(24),
                },
                now,
            )
            .await
            .expect("election");
    }
    println!("managed_cost: {n} new elections into an empty managed database, pacer {rps} rps");

    emu.reset_counts();
    let started = Instant::now();
    let cycle = driver
        .run_cycle(Timestamp::now(), CycleOptions::scheduled())
        .await
        .expect("first cycle");
    report(
        "first cycle (creates)",
        &emu.request_counts(),
        started.elapsed(),
    );
    assert!(cycle.error.is_none(), "{:?}", cycle.error);

    emu.reset_counts();
    let started = Instant::now();
    driver
        .run_cycle(Timestamp::now(), CycleOptions::scheduled())
        .await
        .expect("steady cycle");
    report(
        "steady cycle, no change",
        &emu.request_counts(),
        started.elapsed(),
    );

    emu.reset_counts();
    let started = Instant::now();
    let backfill = driver
        .backfill_managed(&database, Timestamp::now(), ManagedPassOptions::default())
        .await
        .expect("backfill");
    report(
        "no-change backfill",
        &emu.request_counts(),
        started.elapsed(),
    );
    assert!(backfill.errors.is_empty(), "{:?}", backfill.errors);
    println!(
        "backfill: {} created, {} linked, {} trashed",
        backfill.created.len(),
        backfill.linked.len(),
        backfill.trashed.len()
    );
    let linked = store
        .list_linked(&store::LinkedFilter::default())
        .await
        .expect("links")
        .len();
    println!("elections linked: {linked} of {n}");
}
