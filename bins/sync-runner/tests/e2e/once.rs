//! `once`, `backfill` and `--preview`: the rules of the sync as an operator sees them.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_emulator::{EmulatorConfig, Fault, FaultRule, demo};
use serde_json::json;
use store::ElectionPatch;

use crate::support::{BASE_URL, World, wait_until};

fn results_url(id: &str) -> String {
    format!("{BASE_URL}/e/{id}/results")
}

#[test]
fn an_election_goes_not_started_then_in_voting_then_done_on_time() {
    let world = World::new();
    let now = Timestamp::now();
    let open_at = now + SignedDuration::from_millis(1500);
    let id = world.election(
        "elec_phases",
        demo::BUDGET_REFERENDUM,
        demo::ELECTIONS_DB,
        open_at,
        now + SignedDuration::from_hours(2),
    );
    // The page shows In Voting in the demo; upcoming means Not started, and no results link yet.
    world.run(&["once"]).assert_code(0);
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("Not started")
    );
    assert_eq!(world.results_link_of(demo::BUDGET_REFERENDUM), None);

    wait_until("voting opens", Duration::from_secs(10), || {
        Timestamp::now() > open_at
    });
    let ran = world.run(&["once"]);
    ran.assert_code(0);
    assert!(ran.stdout.contains("In Voting"), "{}", ran.stdout);
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
    assert_eq!(
        world.results_link_of(demo::BUDGET_REFERENDUM),
        Some(results_url("elec_phases"))
    );

    // Closing early (close_at moved to now) is a phase change too.
    world
        .store
        .update_election(
            &id,
            &ElectionPatch {
                close_at: Some(Timestamp::now()),
                ..ElectionPatch::default()
            },
            Timestamp::now(),
        )
        .unwrap();
    world.run(&["once"]).assert_code(0);
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("Done")
    );
    let status = world.run(&["status", "--json"]).json();
    let e = &status["elections"][0];
    assert_eq!(e["phase"], "closed");
    assert_eq!(e["notion_status"], "Done");
    assert!(e["last_error"].is_null());

    // Three writes, each recorded in a finished run whose log says what was written.
    assert_eq!(world.patches(), 3);
    let runs = world.run(&["runs", "list", "--json"]).json();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| !r["finished_at"].is_null()));
    let newest = runs[0]["id"].as_str().unwrap();
    let logs = world.run(&["runs", "logs", newest]);
    assert!(
        logs.stdout.contains("wrote")
            && logs
                .stdout
                .contains(r#"Voting Status: "In Voting" → "Done""#),
        "{}",
        logs.stdout
    );
}

#[test]
fn notion_edits_status_overwritten_title_and_description_pulled_empty_title_ignored() {
    let world = World::new();
    world.emu.clock().freeze();
    let id = world.open_election("elec_edits", demo::BOARD_PRESIDENT);
    world.run(&["once"]).assert_code(0);
    assert_eq!(
        world.status_of(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );

    // A person edits the page a minute later: status by hand, a new title and description. (The
    // runner's clock has not moved: `--force` syncs within MIN_SYNC_INTERVAL.)
    world.emu.clock().advance(Duration::from_secs(60));
    world
        .emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({
                "Voting Status": {"status": {"name": "Done"}},
                "Name": {"title": [{"text": {"content": "Board President "}}, {"text": {"content": "2026 (final)"}}]},
                "Description": {"rich_text": [{"text": {"content": "Vote for the board president."}}]}
            }),
        )
        .unwrap();
    let ran = world.run(&["once", "--force"]);
    ran.assert_code(0);
    assert_eq!(
        world.status_of(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting"),
        "manual edit not overwritten:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    let election = world.store.get_election(&id).unwrap().election;
    assert_eq!(election.title, "Board President 2026 (final)");
    assert_eq!(election.description, "Vote for the board president.");

    // Emptying the title in Notion does not erase ours.
    world.emu.clock().advance(Duration::from_secs(60));
    world
        .emu
        .update_page_as_user(demo::BOARD_PRESIDENT, json!({"Name": {"title": []}}))
        .unwrap();
    world.run(&["once", "--force"]).assert_code(0);
    let election = world.store.get_election(&id).unwrap().election;
    assert_eq!(election.title, "Board President 2026 (final)");
}

#[test]
fn broken_links_record_clear_errors_in_status_and_back_off() {
    let world = World::new();
    let now = Timestamp::now();
    let (open, close) = (
        now - SignedDuration::from_hours(1),
        now + SignedDuration::from_hours(2),
    );
    // "Legacy Elections" has no "In Voting" option; a page Notion does not show the integration
    // (deleted, or not shared: Notion answers 404 for both).
    world.election(
        "elec_option",
        demo::LEGACY_PAGE,
        demo::LEGACY_DB,
        open,
        close,
    );
    let unshared = uuid::Uuid::from_u128(0xe000_0000_0000_4000_8000_0000_0000_00ff);
    world.election("elec_unshared", unshared, demo::ELECTIONS_DB, open, close);
    world.open_election("elec_trashed", demo::BUDGET_REFERENDUM);
    world.open_election("elec_fine", demo::BOARD_PRESIDENT);
    world.emu.trash_page(demo::BUDGET_REFERENDUM).unwrap();

    let ran = world.run(&["once"]);
    ran.assert_code(5);
    assert_eq!(
        world.status_of(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting"),
        "the others still sync"
    );

    let status = world.run(&["status"]);
    status.assert_code(0);
    let json = world.run(&["status", "--json"]).json();
    let error_of = |id: &str| -> String {
        json["elections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["election_id"] == id)
            .and_then(|e| e["last_error"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        error_of("elec_option").contains("In Voting"),
        "{}",
        error_of("elec_option")
    );
    assert!(
        error_of("elec_trashed").to_lowercase().contains("trash"),
        "{}",
        error_of("elec_trashed")
    );
    assert!(
        error_of("elec_unshared").to_lowercase().contains("shared"),
        "{}",
        error_of("elec_unshared")
    );
    assert_eq!(error_of("elec_fine"), "");
    for id in ["elec_option", "elec_trashed", "elec_unshared"] {
        assert!(
            status.stdout.contains(id) && status.stdout.contains("next attempt"),
            "{}",
            status.stdout
        );
    }

    // Backing off: the next scheduled cycle leaves them alone (no new attempt recorded).
    let attempts = |json: &serde_json::Value| -> Vec<u64> {
        json["elections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["consecutive_failures"].as_u64().unwrap())
            .collect()
    };
    let before = attempts(&json);
    world.run(&["once"]).assert_code(0);
    let after = attempts(&world.run(&["status", "--json"]).json());
    assert_eq!(
        before, after,
        "failed elections were retried during their backoff"
    );

    // Restoring the page and forcing a sync clears its error.
    world.emu.restore_page(demo::BUDGET_REFERENDUM).unwrap();
    world
        .run(&["once", "--election", "elec_trashed"])
        .assert_code(0);
    let json = world.run(&["status", "--json"]).json();
    let trashed = json["elections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["election_id"] == "elec_trashed")
        .unwrap()
        .clone();
    assert!(trashed["last_error"].is_null(), "{trashed}");
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting")
    );
}

/// Notion unreachable at a non-default `NOTION_API_BASE`: the stored error says so once, shows
/// the URL that failed and names the variable, never a host the runner did not use.
#[test]
fn an_unreachable_notion_is_recorded_once_naming_the_url_used() {
    let world = World::new();
    world.open_election("elec_offline", demo::BOARD_PRESIDENT);
    world.emu.set_fault(FaultRule {
        route: None,
        path_contains: None,
        kind: Fault::Drop,
        count: None,
        probability: None,
        retry_after_secs: None,
        retry_guidance: None,
    });
    world.run(&["once"]).assert_code(5);

    let json = world.run(&["status", "--json"]).json();
    let error = json["elections"][0]["last_error"]
        .as_str()
        .expect("an error is recorded")
        .to_owned();
    assert_eq!(
        error.to_lowercase().matches("reach notion").count(),
        1,
        "{error}"
    );
    assert!(error.starts_with("Could not reach Notion: "), "{error}");
    let host = world.emu.base_url();
    let host = host.trim_start_matches("http://").trim_end_matches('/');
    assert!(error.contains(host), "{error} does not name {host}");
    assert!(error.contains("NOTION_API_BASE"), "{error}");
    assert!(!error.contains("api.notion.com"), "{error}");
}

#[test]
fn thirty_percent_faults_still_converge_with_every_change_written_once() {
    let world = World::with(EmulatorConfig::default().without_rate_limit().with_seed(7));
    let mut pages = vec![
        demo::BOARD_PRESIDENT,
        demo::BUDGET_REFERENDUM,
        demo::AGM_MOTIONS,
    ];
    for i in 0..5 {
        pages.push(world.new_page(&format!("Extra {i}"), "Not started"));
    }
    for (i, page) in pages.iter().enumerate() {
        world.open_election(&format!("elec_fault_{i}"), *page);
    }
    for status in [500, 502, 503, 429] {
        world.emu.set_fault(FaultRule {
            route: None,
            path_contains: None,
            kind: Fault::Status(status),
            count: None,
            probability: Some(0.075),
            retry_after_secs: Some(1),
            retry_guidance: None,
        });
    }
    let mut attempts = 0;
    loop {
        attempts += 1;
        let ran = world.run(&["once", "--force"]);
        if ran.code == 0
            && pages
                .iter()
                .all(|p| world.status_of(*p).as_deref() == Some("In Voting"))
        {
            break;
        }
        assert!(
            attempts < 10,
            "no convergence after {attempts} cycles: {}",
            ran.stderr
        );
    }
    assert!(
        world.emu.request_counts().with_status(503) + world.emu.request_counts().with_status(500)
            > 0,
        "faults fired"
    );
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(
            world.results_link_of(*page),
            Some(results_url(&format!("elec_fault_{i}")))
        );
    }
    // AGM is Done with a results link in the demo: every page needed exactly one write.
    assert_eq!(
        world.patches(),
        pages.len() as u64,
        "each change written once"
    );
    world.emu.clear_faults();
    world.run(&["once", "--force"]).assert_code(0);
    assert_eq!(
        world.patches(),
        pages.len() as u64,
        "a converged store writes nothing more"
    );
}

#[test]
fn preview_changes_nothing_in_notion_or_the_store() {
    let world = World::new();
    world.open_election("elec_preview", demo::BOARD_PRESIDENT);
    world.emu.clock().freeze();
    world
        .emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Name": {"title": [{"text": {"content": "Renamed in Notion"}}]}}),
        )
        .unwrap();
    let snapshot = |world: &World| {
        let mut status = world.run(&["status", "--json"]).json();
        status.as_object_mut().unwrap().remove("now");
        (
            world.emu.state(),
            status,
            world.run(&["runs", "list", "--json"]).json(),
            world.run(&["state", "get", "--json"]).json(),
            world
                .store
                .list_elections(&store::ListRequest::first(100))
                .unwrap(),
        )
    };
    let before = snapshot(&world);

    let table = world.run(&["once", "--preview"]);
    table.assert_code(0);
    assert!(
        table
            .stdout
            .lines()
            .next()
            .is_some_and(|h| h.starts_with("ELECTION") && h.ends_with("CURRENT → DESIRED")),
        "{}",
        table.stdout
    );
    for expected in [
        "elec_preview",
        "Voting Status",
        "Not started → In Voting",
        "Results Link",
        "title",
        "Renamed in Notion",
        "nothing written",
    ] {
        assert!(
            table.stdout.contains(expected),
            "{expected} missing:\n{}",
            table.stdout
        );
    }
    let json = world.run(&["once", "--preview", "--json"]);
    json.assert_code(0);
    let json = json.json();
    assert_eq!(json["preview"], true);
    assert!(json["run_id"].is_null());
    let write = &json["plans"][0]["page_write"]["properties"][0];
    assert_eq!(write["role"], "status");
    assert_eq!(
        write["to"],
        serde_json::json!({"type": "status", "value": "In Voting"})
    );
    world
        .run(&["once", "--preview", "--election", "elec_preview"])
        .assert_code(0);

    assert_eq!(world.patches(), 0);
    assert_eq!(
        snapshot(&world),
        before,
        "a preview changed Notion or the store"
    );
    world
        .run(&["once", "--preview", "--election", "elec_missing"])
        .assert_code(2);
}

#[test]
fn backfill_reads_every_page_and_fixes_what_the_change_query_missed() {
    let world = World::new();
    world.open_election("elec_a", demo::BOARD_PRESIDENT);
    world.open_election("elec_b", demo::BUDGET_REFERENDUM);
    world.run(&["once"]).assert_code(0);
    // A person edits a page and back-dates it beyond the change cursor's overlap: the change
    // query misses it, the full reconcile does not.
    world.emu.clock().freeze();
    world
        .emu
        .clock()
        .set(Timestamp::now() - SignedDuration::from_hours(3));
    world
        .emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Voting Status": {"status": {"name": "Done"}}}),
        )
        .unwrap();
    let ran = world.run(&["backfill"]);
    ran.assert_code(0);
    assert!(ran.stdout.contains("(reconcile)"), "{}", ran.stdout);
    assert_eq!(
        world.status_of(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    let state = world.run(&["state", "get", "--json"]).json();
    assert!(!state["databases"][0]["last_full_reconcile_at"].is_null());
    let json = world.run(&["backfill", "--json"]).json();
    assert_eq!(json["trigger"], "reconcile");
}

#[test]
fn backfill_off_a_terminal_logs_its_progress_up_to_the_final_counts() {
    let world = World::new();
    let mut pages = Vec::new();
    for i in 0..4 {
        let page = world.new_page(&format!("Backfill {i}"), "Not started");
        world.open_election(&format!("elec_backfill_{i}"), page);
        pages.push(page);
    }
    let ran = world.run(&["backfill"]);
    ran.assert_code(0);
    let progress: Vec<&str> = ran
        .stderr
        .lines()
        .filter_map(|l| l.split_once("backfill progress: ").map(|(_, rest)| rest))
        .collect();
    // At the start, at each tenth of the elections planned (4 elections: each one), and when
    // the database is done; the counts only grow and end at the report's.
    assert_eq!(
        progress.first().copied(),
        Some(
            "0/4 election(s) planned, 0/0 page update(s) written, 0 page(s) read, 0/1 database(s) done"
        ),
        "{}",
        ran.stderr
    );
    let planned: Vec<u64> = progress
        .iter()
        .map(|l| l.split('/').next().unwrap().parse().unwrap())
        .collect();
    assert!(planned.windows(2).all(|w| w[0] <= w[1]), "{planned:?}");
    // Every page of the database is read: the 3 demo rows and these 4.
    assert_eq!(
        progress.last().copied(),
        Some(
            "4/4 election(s) planned, 4/4 page update(s) written, 7 page(s) read, 1/1 database(s) done"
        ),
        "{}",
        ran.stderr
    );
    assert_eq!(progress.len(), 1 + 4 + 1, "{}", ran.stderr);
    for page in pages {
        assert_eq!(world.status_of(page).as_deref(), Some("In Voting"));
    }
}

#[test]
fn a_nul_title_in_notion_never_freezes_its_database() {
    let world = World::new();
    let odd = world.open_election("elec_nul", demo::BOARD_PRESIDENT);
    let fine_page = world.new_page("Treasurer 2026", "Not started");
    let fine = world.open_election("elec_fine", fine_page);
    world
        .emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            json!({"Name": {"title": [{"text": {"content": " \u{0}"}}]}}),
        )
        .unwrap();
    for _ in 0..2 {
        let ran = world.run(&["once", "--force"]);
        ran.assert_code(0);
        assert!(
            !ran.stdout.contains("could not record") && !ran.stderr.contains("could not record"),
            "{}\n{}",
            ran.stdout,
            ran.stderr
        );
    }
    let odd = world.store.get_election(&odd).unwrap();
    assert_eq!(odd.election.title, "Election elec_nul");
    assert_eq!(odd.state().notion_last_sync_error, None);
    let fine = world.store.get_election(&fine).unwrap();
    assert_eq!(fine.election.title, "Treasurer 2026");
    assert_eq!(world.status_of(fine_page).as_deref(), Some("In Voting"));
    assert_eq!(
        world.status_of(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    let status = world.run(&["status"]);
    status.assert_code(0);
    assert!(!status.stdout.contains("SQLite"), "{}", status.stdout);
}

#[test]
fn once_under_a_long_rate_limit_stops_early_and_says_until_when() {
    let world = World::new();
    let election = world.open_election("elec_once_limited", demo::BOARD_PRESIDENT);
    world.emu.reset_counts();
    world.emu.set_fault(FaultRule {
        route: None,
        path_contains: None,
        kind: Fault::Status(429),
        count: Some(1),
        probability: None,
        retry_after_secs: Some(120),
        retry_guidance: None,
    });
    let ran = world.run(&["once"]);
    ran.assert_code(5);
    assert!(
        ran.stderr
            .contains("error: Notion rate-limits this integration until "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.contains("Error: rate limited by Notion until "),
        "{}",
        ran.stdout
    );
    // The request that got the 429 is the only one.
    assert_eq!(world.emu.request_counts().total(), 1);
    let state = world.store.get_election(&election).unwrap().state();
    assert!(
        state
            .notion_last_sync_error
            .as_deref()
            .unwrap_or_default()
            .contains("429"),
        "{state:?}"
    );
}
