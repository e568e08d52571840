//! A burst against the pacer (docs/PERFORMANCE.md, "notion-client: a burst of 1,000 writes"):
//! how fast 1,000 requests that became due at once drain through a per-window budget, whether any
//! is answered 429, and how long an interactive request waits while they do.
//!
//! On the in-process notion-emulator over loopback HTTP with the real clock and the emulator's
//! per-token rate limit set to the budget. The minute is scaled down so a run takes about half a
//! minute: by default 100 requests per 3 s window (2,000 per minute), the pacer's window padded
//! by 1/60 as [`Pacer::per_minute`] pads Notion's 60 s to 61 s.
//!
//! Run: `cargo bench -p notion-client --bench burst` (sizes: `BURST_REQUESTS=1000`,
//! `BURST_BUDGET=100`, `BURST_WINDOW_SECS=3`). Without `--bench` (as `cargo test --all-targets`
//! runs it) it does nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notion_client::{NotionClient, Pacer, Priority, SecretString};
use notion_emulator::{Emulator, EmulatorConfig, RateLimit, Workspace};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The most of `starts` (sorted) inside any window of `window`.
fn busiest(starts: &[Instant], window: Duration) -> usize {
    let (mut best, mut first) = (0, 0);
    for (i, t) in starts.iter().enumerate() {
        while *t - starts[first] >= window {
            first += 1;
        }
        best = best.max(i + 1 - first);
    }
    best
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let requests = setting("BURST_REQUESTS", 1000) as usize;
    let budget = setting("BURST_BUDGET", 100) as u32;
    let window_secs = setting("BURST_WINDOW_SECS", 3);
    let window = Duration::from_secs(window_secs);
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_workspace(Workspace::demo())
            .with_rate_limit(Some(RateLimit {
                requests: budget,
                window_secs,
            })),
    )
    .await
    .expect("emulator starts");
    let pacer = Pacer::per_window(budget, window.mul_f64(61.0 / 60.0)).unwrap();
    let client = NotionClient::builder()
        .token(SecretString::from(emu.demo_token()))
        .base_url(emu.base_url())
        .pacer(pacer.clone())
        // Never retried: a 429 would show as an error, not as a slower drain.
        .max_attempts(1)
        .build()
        .unwrap();
    let phase = client.with_priority(Priority::Phase);
    let starts = Arc::new(Mutex::new(Vec::with_capacity(requests)));
    let begin = Instant::now();
    let tasks: Vec<_> = (0..requests)
        .map(|_| {
            let c = phase.clone();
            let starts = Arc::clone(&starts);
            tokio::spawn(async move {
                // `me` stands for any one request; what is timed is its answer.
                let ok = c.me().await.is_ok();
                starts.lock().unwrap().push(Instant::now());
                ok
            })
        })
        .collect();
    // Halfway through the second window, an admin's request and a background one arrive.
    tokio::time::sleep(window.mul_f64(1.5)).await;
    let queued = pacer.waiting();
    let interactive = {
        let c = client.with_priority(Priority::Interactive);
        tokio::spawn(async move {
            let t = Instant::now();
            c.me().await.unwrap();
            t.elapsed()
        })
    };
    let background = {
        let c = client.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let ok = c.me().await.is_ok();
            (t.elapsed(), ok)
        })
    };
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    let drained = begin.elapsed();
    let interactive = interactive.await.unwrap();
    let (background, background_ok) = background.await.unwrap();
    let mut starts = starts.lock().unwrap().clone();
    starts.sort();
    let last_answer = *starts.last().unwrap() - begin;
    let limited = emu.request_counts().with_status(429);
    let per_second = f64::from(budget) / window.as_secs_f64();
    println!(
        "budget {budget} per {window_secs} s ({:.0}/min scaled), {requests} requests due at once",
        per_second * 60.0
    );
    println!(
        "drained in {:.2} s (last answer {:.2} s): {:.1} % of the budget (requests / drain time / budget rate)",
        drained.as_secs_f64(),
        last_answer.as_secs_f64(),
        requests as f64 / drained.as_secs_f64() / per_second * 100.0
    );
    println!(
        "sustained: {:.1} % of the budget (requests answered after the first window / the time after it)",
        starts.iter().filter(|s| **s - begin >= window).count() as f64
            / (last_answer.as_secs_f64() - window.as_secs_f64()).max(f64::EPSILON)
            / per_second
            * 100.0
    );
    println!(
        "busiest {window_secs} s window of answers: {} requests (budget {budget}); answered 429: {limited}; ok {ok}/{requests}",
        busiest(&starts, window)
    );
    println!(
        "with {queued} queued: interactive request answered in {:.3} s, background request in {:.2} s (ok: {background_ok})",
        interactive.as_secs_f64(),
        background.as_secs_f64()
    );
    emu.shutdown().await;
}
