//! `run`: phase changes on time, graceful stops, two runners, a runner killed mid-cycle.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_emulator::{Fault, FaultRule, demo};

use crate::support::{World, signal, wait_until, wait_with_timeout};

const GENEROUS: Duration = Duration::from_secs(40);

fn runs(world: &World) -> Vec<store::SyncRun> {
    world
        .store
        .list_runs(&store::ListRequest::first(1000))
        .unwrap()
        .items
}

#[test]
fn the_daemon_follows_open_and_close_and_stops_on_sigterm_with_exit_0() {
    let world = World::new();
    let now = Timestamp::now();
    world.election(
        "elec_daemon",
        demo::BUDGET_REFERENDUM,
        demo::ELECTIONS_DB,
        now + SignedDuration::from_secs(3),
        now + SignedDuration::from_secs(6),
    );
    // A long poll interval: the open and close wake-ups alone must drive the phase changes.
    let child = world.spawn(&["run", "--interval", "1h"]);
    wait_until("Not started", GENEROUS, || {
        world.status_of(demo::BUDGET_REFERENDUM).as_deref() == Some("Not started")
    });
    wait_until("In Voting", GENEROUS, || {
        world.status_of(demo::BUDGET_REFERENDUM).as_deref() == Some("In Voting")
    });
    assert!(
        world.results_link_of(demo::BUDGET_REFERENDUM).is_some(),
        "results link appears when voting opens"
    );
    wait_until("Done", GENEROUS, || {
        world.status_of(demo::BUDGET_REFERENDUM).as_deref() == Some("Done")
    });

    signal(&child, "TERM");
    let (status, stdout, stderr) = wait_with_timeout(child, GENEROUS);
    assert_eq!(
        status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let runs = runs(&world);
    assert!(
        runs.len() >= 3,
        "one cycle at start, one at open, one at close: {runs:?}"
    );
    assert!(
        runs.iter().all(|r| r.finished_at.is_some()),
        "a run was left unfinished"
    );
    assert_eq!(world.patches(), 3);
    // The lease is released at shutdown.
    assert!(
        world
            .store
            .get_lease(&store::LeaseKey::Global)
            .unwrap()
            .is_none()
    );
}

#[test]
fn two_runners_at_once_write_each_change_once_and_both_stop_gracefully() {
    let world = World::new();
    let now = Timestamp::now();
    let mut pages = vec![demo::BOARD_PRESIDENT];
    for i in 0..3 {
        pages.push(world.new_page(&format!("Race {i}"), "Not started"));
    }
    for (i, page) in pages.iter().enumerate() {
        world.election(
            &format!("elec_race_{i}"),
            *page,
            demo::ELECTIONS_DB,
            now + SignedDuration::from_millis(2500 + 300 * i as i64),
            now + SignedDuration::from_hours(1),
        );
    }
    let first = world.spawn(&["run", "--interval", "1s"]);
    let second = world.spawn(&["run", "--interval", "1s"]);
    wait_until("every page In Voting", GENEROUS, || {
        pages
            .iter()
            .all(|p| world.status_of(*p).as_deref() == Some("In Voting"))
    });
    // Let a few more cycles of both run: nothing more may be written.
    std::thread::sleep(Duration::from_secs(2));
    signal(&first, "INT");
    signal(&second, "TERM");
    for child in [first, second] {
        let (status, _, stderr) = wait_with_timeout(child, GENEROUS);
        assert_eq!(status.code(), Some(0), "{stderr}");
    }
    assert_eq!(
        world.patches(),
        pages.len() as u64,
        "a change was written twice"
    );
    assert!(runs(&world).iter().all(|r| r.finished_at.is_some()));
}

#[test]
fn a_runner_killed_mid_cycle_converges_after_restart() {
    let world = World::new();
    let mut pages = vec![demo::BOARD_PRESIDENT];
    for i in 0..4 {
        pages.push(world.new_page(&format!("Killed {i}"), "Not started"));
    }
    for (i, page) in pages.iter().enumerate() {
        world.open_election(&format!("elec_kill_{i}"), *page);
    }
    // Slow writes, so the kill lands between two of them.
    world.emu.set_fault(FaultRule {
        route: Some("PATCH /v1/pages/{page_id}".into()),
        path_contains: None,
        kind: Fault::LatencyMs(400),
        count: None,
        probability: None,
        retry_after_secs: None,
        retry_guidance: None,
    });
    let mut child = world.spawn(&["once"]);
    wait_until("a first write", GENEROUS, || world.patches() >= 1);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let written = world.patches();
    assert!(
        written < pages.len() as u64,
        "the kill came too late to test anything"
    );
    world.emu.clear_faults();

    // Until the dead runner's global lease lapses a new runner exits 6.
    let saw_lease_held = world.run(&["once"]).code == 6;
    // Its lease lapses (rather than waiting out SYNC_LEASE_TTL, at least 250 s): the first runner
    // to get it takes over the dead runner's write lease of the election whose page write was
    // in flight (rather than skipping it until that lease lapses too): it converges.
    let dead = world
        .store
        .get_lease(&store::LeaseKey::Global)
        .unwrap()
        .expect("held");
    let past = Timestamp::now() - SignedDuration::from_mins(10);
    world
        .store
        .renew_lease(
            &store::LeaseKey::Global,
            &dead.holder,
            SignedDuration::from_secs(10),
            past,
        )
        .unwrap();
    assert!(saw_lease_held, "the killed runner's lease was not honoured");
    let first = world.run(&["once"]);
    first.assert_code(0);
    assert!(
        first.stderr.contains("took over the expired sync lease"),
        "{}",
        first.stderr
    );
    for page in &pages {
        assert_eq!(
            world.status_of(*page).as_deref(),
            Some("In Voting"),
            "not converged on the first cycle after the lease lapsed:\n{}",
            first.stdout
        );
    }
    let runs = runs(&world);
    assert_eq!(
        runs.iter().filter(|r| r.finished_at.is_none()).count(),
        1,
        "the killed run stays unfinished"
    );
    let listed = world.run(&["runs", "list"]);
    assert!(listed.stdout.contains("unfinished"), "{}", listed.stdout);
    // Converged: another cycle writes nothing.
    let before = world.patches();
    world.run(&["once", "--force"]).assert_code(0);
    assert_eq!(world.patches(), before);
}

/// The holder of the global lease (`sync-runner:HOST:PID:START`), if any.
fn lease_holder(world: &World) -> Option<String> {
    world
        .store
        .get_lease(&store::LeaseKey::Global)
        .unwrap()
        .map(|lease| lease.holder)
}

/// Collects a child's stderr as it is written, so a test can wait for a log line.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::Arc<std::sync::Mutex<String>> {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("stderr piped");
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = std::sync::Arc::clone(&text);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

#[test]
fn a_standby_runner_logs_once_at_info_and_again_when_it_takes_over() {
    let world = World::new();
    world.open_election("elec_standby", demo::BOARD_PRESIDENT);
    let first = world.spawn(&["run", "--interval", "1s"]);
    let first_holder = format!(":{}:", first.id());
    wait_until("the first runner to hold the lease", GENEROUS, || {
        lease_holder(&world).is_some_and(|h| h.contains(&first_holder))
    });
    let mut second = world.spawn(&["run", "--interval", "1s"]);
    let second_holder = format!(":{}:", second.id());
    let stderr = stderr_lines(&mut second);
    let logged = |what: &str| stderr.lock().unwrap().contains(what);
    wait_until("the standby line", GENEROUS, || logged("standing by"));
    // Several more polls of the standby runner while the first one syncs: no more lines.
    std::thread::sleep(Duration::from_secs(3));
    signal(&first, "TERM");
    let (status, _, first_stderr) = wait_with_timeout(first, GENEROUS);
    assert_eq!(status.code(), Some(0), "{first_stderr}");
    wait_until("the standby runner to take over", GENEROUS, || {
        lease_holder(&world).is_some_and(|h| h.contains(&second_holder))
    });
    wait_until("the takeover line", GENEROUS, || {
        logged("took over the sync lease")
    });
    signal(&second, "TERM");
    let deadline = std::time::Instant::now() + GENEROUS;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second runner did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = stderr.lock().unwrap().clone();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let standing_by: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("is syncing; standing by until its lease expires at"))
        .collect();
    assert_eq!(standing_by.len(), 1, "once, not every poll:\n{stderr}");
    assert!(
        standing_by[0].contains("INFO") && standing_by[0].contains(&first_holder),
        "{stderr}"
    );
    let took_over: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("took over the sync lease from"))
        .collect();
    assert_eq!(took_over.len(), 1, "{stderr}");
    assert!(took_over[0].contains("INFO"), "{stderr}");
    assert!(!first_stderr.contains("standing by"), "{first_stderr}");
}

#[test]
fn two_runners_with_one_host_and_pid_hold_distinct_leases_and_write_each_change_once() {
    let world = World::new();
    let now = Timestamp::now();
    let mut pages = vec![demo::BOARD_PRESIDENT];
    for i in 0..3 {
        pages.push(world.new_page(&format!("Twin {i}"), "Not started"));
    }
    for (i, page) in pages.iter().enumerate() {
        world.election(
            &format!("elec_twin_{i}"),
            *page,
            demo::ELECTIONS_DB,
            now + SignedDuration::from_millis(4000 + 300 * i as i64),
            now + SignedDuration::from_hours(1),
        );
    }
    // Two containers, both PID 1 under one hostname (the hidden test-only override).
    let twin = || {
        let mut cmd = world.command(&["run", "--interval", "1s"]);
        cmd.env("SYNC_RUNNER_TEST_HOST_PID", "box:1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("spawn sync-runner")
    };
    let first = twin();
    wait_until("the first runner to hold the lease", GENEROUS, || {
        lease_holder(&world).is_some()
    });
    let first_holder = lease_holder(&world).unwrap();
    assert!(
        first_holder.starts_with("sync-runner:box:1:"),
        "{first_holder}"
    );
    let second = twin();
    wait_until("every page In Voting", GENEROUS, || {
        pages
            .iter()
            .all(|p| world.status_of(*p).as_deref() == Some("In Voting"))
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        world.patches(),
        pages.len() as u64,
        "a change was written twice"
    );
    signal(&first, "TERM");
    let (status, _, stderr) = wait_with_timeout(first, GENEROUS);
    assert_eq!(status.code(), Some(0), "{stderr}");
    wait_until("the second runner to take over", GENEROUS, || {
        lease_holder(&world).is_some_and(|h| h != first_holder)
    });
    let second_holder = lease_holder(&world).unwrap();
    assert!(
        second_holder.starts_with("sync-runner:box:1:"),
        "{second_holder}"
    );
    signal(&second, "TERM");
    let (status, _, stderr) = wait_with_timeout(second, GENEROUS);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        world.patches(),
        pages.len() as u64,
        "written after takeover"
    );
    let holders: std::collections::BTreeSet<String> =
        runs(&world).into_iter().map(|r| r.holder).collect();
    assert_eq!(
        holders,
        [first_holder, second_holder].into_iter().collect(),
        "every run is one of the two runners'"
    );
}

#[test]
fn a_long_rate_limit_is_recorded_and_the_daemon_sends_nothing_until_it_ends() {
    let world = World::new();
    world.open_election("elec_limited", demo::BOARD_PRESIDENT);
    world.emu.reset_counts();
    // Notion asks for 120 s, more than the runner waits out (60 s), on the first request.
    world.emu.set_fault(FaultRule {
        route: None,
        path_contains: None,
        kind: Fault::Status(429),
        count: Some(1),
        probability: None,
        retry_after_secs: Some(120),
        retry_guidance: None,
    });
    // A 1 s poll: a daemon that did not wait for the penalty's end would run a cycle a second.
    let child = world.spawn(&["run", "--interval", "1s"]);
    let limited = |r: &store::SyncRun| {
        r.error
            .as_deref()
            .is_some_and(|e| e.starts_with("rate limited by Notion until "))
    };
    wait_until("a run recorded as rate limited", GENEROUS, || {
        runs(&world)
            .iter()
            .any(|r| r.finished_at.is_some() && limited(r))
    });
    // Nothing more for three poll intervals: no request reaches Notion, no cycle runs.
    std::thread::sleep(Duration::from_secs(3));
    let counts = world.emu.request_counts();
    assert_eq!(
        counts.total(),
        1,
        "only the request that got the 429: {counts:?}"
    );
    assert_eq!(counts.with_status(429), 1);
    let recorded = runs(&world);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    // The instant is absolute and in the penalty's future; `runs list` shows it.
    let error = recorded[0].error.clone().unwrap();
    let until: Timestamp = error["rate limited by Notion until ".len()..]
        .split(':')
        .take(3)
        .collect::<Vec<_>>()
        .join(":")
        .parse()
        .unwrap_or_else(|e| panic!("{error}: {e}"));
    assert!(
        until > Timestamp::now() + SignedDuration::from_secs(100),
        "{error}"
    );
    let listed = world.run(&["runs", "list"]);
    listed.assert_code(0);
    assert!(
        listed
            .stdout
            .contains(&format!("rate limited by Notion until {until}")),
        "{}",
        listed.stdout
    );
    assert_eq!(
        world.status_of(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );

    signal(&child, "TERM");
    let (status, _, stderr) = wait_with_timeout(child, GENEROUS);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("the next cycle waits until the penalty ends"),
        "{stderr}"
    );
}
