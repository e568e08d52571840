//! The Notion cost of a sync cycle (docs/PERFORMANCE.md, "sync-runner: Notion cost of a cycle").
//!
//! For 100, 1,000 and 10,000 linked elections in one database, on the notion-emulator (run as a child
//! process, so this process's CPU time and peak RSS are the runner's alone), it counts the Notion
//! requests of: the first full read, a steady-state cycle with no change, a cycle where 1% of the
//! pages were edited in Notion, a full reconcile (backfill) after another 1% of edits, and the naive
//! way (retrieve every linked page every cycle) — with the wall time, CPU time and peak RSS of each.
//! Then it measures the time from `open_at` to the Notion write with the daemon on the system clock.
//!
//! Run: `cargo bench -p sync-runner --bench notion_cost` (sizes: `NOTION_COST_SIZES=100,1000`).
//! Without `--bench` (as `cargo test --all-targets` runs it) it does nothing.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use notion_client::{NotionClient, NotionId};
use notion_emulator::{
    Clock, DataSourceSpec, DatabaseSpec, Emulator, EmulatorConfig, IntegrationSpec, PageSpec,
    ParentSpec, RowSpec, Workspace,
};
use serde_json::{Map, Value, json};
use store::{NewElection, OpenMode, SharedStore, Store, StoreLocation, open_store};
use sync_driver::{
    Allowlist, CancellationToken, CycleOptions, DaemonOptions, DriverConfig, SyncDriver,
    SystemClock,
};
use sync_engine::{ElectionId, NotionLink};
use uuid::Uuid;

const TOKEN: &str = "ntn_bench_runner";
const BOT: Uuid = Uuid::from_u128(9);
const ROOT: Uuid = Uuid::from_u128(1);
const DATABASE: Uuid = Uuid::from_u128(2);
const DATA_SOURCE: Uuid = Uuid::from_u128(3);
const BASE_URL: &str = "https://vote.example.org";
/// Requests per second of the runner's pacer: high, so the figures are costs, not pacing.
const BENCH_RPS: f64 = 10_000.0;

fn page_id(i: usize) -> Uuid {
    Uuid::from_u128(0x1000_0000 + i as u128)
}

fn election_id(i: usize) -> String {
    format!("elec_bench_{i:05}")
}

fn results_url(i: usize) -> String {
    format!("{BASE_URL}/e/{}/results", election_id(i))
}

/// A workspace with one database of `n` rows. `in_sync`: rows already show `In Voting` and their
/// results link (the steady state); otherwise `Not started` with no link. `edited`: the newest
/// `last_edited_time`; with `spread`, row `i` was last edited `i` minutes before it (a workspace
/// edited over time), otherwise every row in that same minute (right after a bulk edit).
fn workspace(n: usize, in_sync: bool, edited: Option<Timestamp>, spread: bool) -> Workspace {
    let mut props = Map::new();
    props.insert("Name".into(), json!({"type": "title", "title": {}}));
    props.insert(
        "Description".into(),
        json!({"type": "rich_text", "rich_text": {}}),
    );
    props.insert(
        "Voting Status".into(),
        json!({"type": "status", "status": {"options": [
            {"name": "Not started"}, {"name": "In Voting", "color": "blue"}, {"name": "Done", "color": "green"}
        ], "groups": [
            {"name": "To-do", "option_ids": ["Not started"]}, {"name": "In progress", "option_ids": ["In Voting"]},
            {"name": "Complete", "option_ids": ["Done"]}
        ]}}),
    );
    props.insert("Results Link".into(), json!({"type": "url", "url": {}}));
    let pages = (0..n)
        .map(|i| {
            let mut p = Map::new();
            p.insert("Name".into(), json!(format!("Election {i}")));
            p.insert(
                "Description".into(),
                json!(format!("Description of election {i}.")),
            );
            if in_sync {
                p.insert("Voting Status".into(), json!("In Voting"));
                p.insert("Results Link".into(), json!(results_url(i)));
            } else {
                p.insert("Voting Status".into(), json!("Not started"));
            }
            let edited = edited.map(|at| {
                if spread {
                    at - SignedDuration::from_mins(i as i64)
                } else {
                    at
                }
            });
            RowSpec {
                id: page_id(i),
                properties: p,
                created_time: edited,
                last_edited_time: edited,
                in_trash: false,
                icon: None,
                children: vec![],
            }
        })
        .collect();
    Workspace {
        name: "Bench".into(),
        integrations: vec![IntegrationSpec {
            id: BOT,
            name: "bench runner".into(),
            tokens: vec![TOKEN.into()],
            capabilities: Default::default(),
            shared: vec![ROOT],
            all_access: false,
        }],
        pages: vec![PageSpec {
            id: ROOT,
            parent: ParentSpec::default(),
            title: "Root".into(),
            icon: None,
            children: vec![],
            in_trash: false,
        }],
        databases: vec![DatabaseSpec {
            id: DATABASE,
            parent: ParentSpec {
                page_id: Some(ROOT),
                workspace: None,
            },
            title: "Elections".into(),
            description: String::new(),
            is_inline: false,
            icon: None,
            data_sources: vec![DataSourceSpec {
                id: DATA_SOURCE,
                title: None,
                properties: props,
                pages,
            }],
        }],
        ..Workspace::default()
    }
}

/// Child mode: `--serve-emulator N IN_SYNC CLOCK LAYOUT` serves the workspace until stdin closes.
fn serve(args: &[String]) {
    let n: usize = args[0].parse().expect("N");
    let in_sync = args[1] == "in-sync";
    let spread = args[3] == "spread";
    let (clock, edited) = match args[2].as_str() {
        "system" => (Clock::system(), None),
        at => {
            let at: Timestamp = at.parse().expect("clock instant");
            (
                Clock::frozen_at(at),
                Some(at - SignedDuration::from_hours(24)),
            )
        }
    };
    let emu = Emulator::start_blocking(
        EmulatorConfig::default()
            .with_workspace(workspace(n, in_sync, edited, spread))
            .without_rate_limit()
            .with_clock(clock)
            .with_worker_threads(1),
    )
    .expect("emulator");
    println!("{}", emu.base_url());
    std::io::stdout().flush().expect("flush");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(emu);
}

/// The emulator child and its control API.
struct Emu {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Emu {
    fn start(n: usize, in_sync: bool, clock: &str, spread: bool) -> Self {
        let exe = std::env::current_exe().expect("current exe");
        let mut child = Command::new(exe)
            .args([
                "--serve-emulator",
                &n.to_string(),
                if in_sync { "in-sync" } else { "fresh" },
                clock,
                if spread { "spread" } else { "same-minute" },
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn emulator child");
        let mut base = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut base)
            .expect("emulator url");
        Self {
            child,
            base: base.trim().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/__emulator/{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    async fn set_clock(&self, at: Timestamp) {
        self.control(
            reqwest::Method::POST,
            "clock",
            Some(json!({"set": at.to_string()})),
        )
        .await;
    }

    async fn reset_counts(&self) {
        self.control(reqwest::Method::DELETE, "counters", None)
            .await;
    }

    /// Requests by "METHOD route", and the total.
    async fn counts(&self) -> (u64, Vec<(String, u64)>) {
        let v = self.control(reqwest::Method::GET, "counters", None).await;
        let mut by_route: Vec<(String, u64)> = Vec::new();
        for c in v["counts"].as_array().into_iter().flatten() {
            let key = format!(
                "{} {}",
                c["method"].as_str().unwrap_or(""),
                c["route"].as_str().unwrap_or("")
            );
            let n = c["count"].as_u64().unwrap_or(0);
            match by_route.iter_mut().find(|(k, _)| *k == key) {
                Some((_, total)) => *total += n,
                None => by_route.push((key, n)),
            }
        }
        (v["total"].as_u64().unwrap_or(0), by_route)
    }

    async fn edit_status_as_person(&self, page: Uuid, status: &str) {
        self.control(
            reqwest::Method::PATCH,
            &format!("pages/{page}"),
            Some(json!({"properties": {"Voting Status": {"status": {"name": status}}}})),
        )
        .await;
    }

    async fn events(&self) -> Vec<Value> {
        let v = self.control(reqwest::Method::GET, "events", None).await;
        v["events"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) of this process, from /proc (the workspace forbids `unsafe`, so no
/// `getrusage` call; same counters, 10 ms resolution).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of /proc/PID/stat (utime, stime), counted from 3 after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Peak RSS in MiB since the last [`reset_peak_rss`] (`VmHWM`).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Measure {
    scenario: &'static str,
    n: usize,
    requests: u64,
    by_route: Vec<(String, u64)>,
    writes: u64,
    wall: Duration,
    cpu: Duration,
    rss: f64,
}

async fn measure<F, Fut>(emu: &Emu, scenario: &'static str, n: usize, f: F) -> Measure
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    emu.reset_counts().await;
    reset_peak_rss();
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let writes = f().await;
    let wall = t0.elapsed();
    let cpu = cpu_time().saturating_sub(cpu0);
    let rss = peak_rss_mib();
    let (requests, by_route) = emu.counts().await;
    Measure {
        scenario,
        n,
        requests,
        by_route,
        writes,
        wall,
        cpu,
        rss,
    }
}

async fn seed(
    store: &dyn Store,
    n: usize,
    open_at: Timestamp,
    close_at: Timestamp,
    now: Timestamp,
) {
    for i in 0..n {
        let record = store
            .create_election(
                NewElection {
                    id: Some(ElectionId::parse(election_id(i)).expect("id")),
                    title: format!("Election {i}"),
                    description: format!("Description of election {i}."),
                    open_at: open_at + SignedDuration::from_millis(250 * i as i64),
                    close_at,
                },
                now,
            )
            .await
            .expect("create");
        let link = NotionLink::new(DATABASE.to_string(), page_id(i).to_string());
        store
            .set_link(&record.election.id, &link, now)
            .await
            .expect("link");
    }
}

fn client(base: &str) -> NotionClient {
    NotionClient::builder()
        .token(TOKEN.to_owned().into())
        .base_url(base)
        .max_requests_per_second(BENCH_RPS)
        .burst(100)
        .build()
        .expect("client")
}

/// A new SQLite store at `path`, as the runner opens it.
async fn bench_store(path: std::path::PathBuf) -> SharedStore {
    open_store(&StoreLocation::Sqlite(path), OpenMode::CreateIfMissing)
        .await
        .expect("store")
}

fn driver(store: SharedStore, notion: NotionClient) -> SyncDriver {
    let allowlist = Allowlist::parse(&format!("{DATABASE}:Elections")).expect("allowlist");
    SyncDriver::new(store, notion, DriverConfig::new(BASE_URL, allowlist))
}

async fn cost(n: usize, spread: bool) -> Vec<Measure> {
    let t0 = Timestamp::now().round(jiff::Unit::Minute).expect("round");
    let emu = Emu::start(n, true, &t0.to_string(), spread);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = bench_store(dir.path().join("bench.db")).await;
    seed(
        &*store,
        n,
        t0 - SignedDuration::from_hours(1),
        t0 + SignedDuration::from_hours(24 * 30),
        t0,
    )
    .await;
    let notion = client(&emu.base);
    let driver = driver(SharedStore::clone(&store), notion.clone());
    let at = |secs: i64| t0 + SignedDuration::from_secs(secs);
    let cycle = |now: Timestamp, options: CycleOptions| {
        let driver = driver.clone();
        async move {
            let report = driver.run_cycle(now, options).await.expect("cycle");
            assert_eq!(report.counts.failed, 0, "{:?}", report.error);
            report.counts.written
        }
    };
    let mut out = Vec::new();
    out.push(
        measure(
            &emu,
            "first cycle: full read, pages already right",
            n,
            || cycle(at(0), CycleOptions::scheduled()),
        )
        .await,
    );
    emu.set_clock(at(61)).await;
    if !spread {
        out.push(
            measure(
                &emu,
                "steady state, no change, every page last edited in one minute",
                n,
                || cycle(at(61), CycleOptions::scheduled()),
            )
            .await,
        );
        return out;
    }
    out.push(
        measure(&emu, "steady state, no change", n, || {
            cycle(at(61), CycleOptions::scheduled())
        })
        .await,
    );

    // 1% of the pages get a manual status edit in Notion: the change query finds them.
    let changed = (n / 100).max(1);
    emu.set_clock(at(90)).await;
    for i in 0..changed {
        emu.edit_status_as_person(page_id(i * 100), "Done").await;
    }
    emu.set_clock(at(122)).await;
    out.push(
        measure(&emu, "1% of pages edited in Notion", n, || {
            cycle(at(122), CycleOptions::scheduled())
        })
        .await,
    );

    // Another 1% edited, then a full reconcile (backfill).
    emu.set_clock(at(150)).await;
    for i in 0..changed {
        emu.edit_status_as_person(page_id(i * 100 + 50), "Not started")
            .await;
    }
    emu.set_clock(at(183)).await;
    out.push(
        measure(&emu, "full reconcile (backfill), 1% edited", n, || {
            cycle(at(183), CycleOptions::reconcile())
        })
        .await,
    );
    emu.set_clock(at(250)).await;
    out.push(
        measure(
            &emu,
            "next cycle: re-reads pages edited in the minute before the previous read started",
            n,
            || cycle(at(250), CycleOptions::scheduled()),
        )
        .await,
    );

    // The naive way: read every linked page, every cycle (no writes needed: all pages match).
    let naive_client = notion.clone();
    out.push(
        measure(
            &emu,
            "naive: retrieve every linked page",
            n,
            || async move {
                for i in 0..n {
                    let page = naive_client
                        .retrieve_page(NotionId::from_bytes(*page_id(i).as_bytes()), &[])
                        .await
                        .expect("retrieve");
                    std::hint::black_box(page);
                }
                0
            },
        )
        .await,
    );
    out
}

/// Time from `open_at` to the Notion write, with the daemon on the system clock.
async fn open_latency(elections: usize) -> Vec<Duration> {
    let emu = Emu::start(elections, false, "system", true);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = bench_store(dir.path().join("latency.db")).await;
    let now = Timestamp::now();
    let first_open = now + SignedDuration::from_secs(3);
    seed(
        &*store,
        elections,
        first_open,
        now + SignedDuration::from_hours(1),
        now,
    )
    .await;
    let driver = driver(SharedStore::clone(&store), client(&emu.base));
    let shutdown = CancellationToken::new();
    let options = DaemonOptions {
        interval: Duration::from_secs(60),
        reconcile_every: None,
    };
    let daemon = {
        let driver = driver.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            driver
                .run_daemon(Arc::new(SystemClock), shutdown, options)
                .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut written: Vec<Option<Timestamp>> = vec![None; elections];
    while written.iter().any(Option::is_none) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        for event in emu.events().await {
            if event["type"] != "page.properties_updated" || event["author"] != BOT.to_string() {
                continue;
            }
            let (Some(page), Some(at)) = (event["page_id"].as_str(), event["timestamp"].as_str())
            else {
                continue;
            };
            let Ok(page) = page.parse::<Uuid>() else {
                continue;
            };
            let index = (page.as_u128() - 0x1000_0000) as usize;
            if index < elections && written[index].is_none() {
                written[index] = at.parse().ok();
            }
        }
    }
    shutdown.cancel();
    daemon.await.expect("daemon task").expect("daemon");
    written
        .iter()
        .enumerate()
        .map(|(i, at)| {
            let at = at.unwrap_or_else(|| panic!("election {i} was not written within 60 s"));
            let open_at = first_open + SignedDuration::from_millis(250 * i as i64);
            Duration::try_from(at.duration_since(open_at)).unwrap_or_default()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(sizes: Vec<usize>) {
    println!(
        "Notion cost of a cycle (emulator in a child process, no rate limit, runner pacer {BENCH_RPS} req/s)\n"
    );
    println!(
        "| linked elections | scenario | Notion requests | by route | writes | wall | CPU | peak RSS |"
    );
    println!("|---:|---|---:|---|---:|---:|---:|---:|");
    for n in sizes {
        let mut measures = cost(n, true).await;
        measures.extend(cost(n, false).await);
        for m in measures {
            let routes = m
                .by_route
                .iter()
                .map(|(r, c)| format!("{r} ×{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "| {} | {} | {} | {} | {} | {:.0} ms | {:.0} ms | {:.1} MiB |",
                m.n,
                m.scenario,
                m.requests,
                routes,
                m.writes,
                m.wall.as_secs_f64() * 1000.0,
                m.cpu.as_secs_f64() * 1000.0,
                m.rss
            );
        }
    }
    let elections = 40;
    let mut latencies = open_latency(elections).await;
    latencies.sort();
    println!(
        "\nopen_at → Notion write, daemon on the system clock, {elections} elections opening 250 ms apart: \
         p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 50.0).as_secs_f64() * 1000.0,
        percentile(&latencies, 99.0).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--serve-emulator") {
        serve(&args[at + 1..]);
        return;
    }
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list") {
        // `cargo test --all-targets` and test listers run bench targets: nothing to test here.
        return;
    }
    let sizes: Vec<usize> = std::env::var("NOTION_COST_SIZES")
        .unwrap_or_else(|_| "100,1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(sizes));
}
