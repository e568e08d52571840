//! Help, configuration errors, secrets, and the store-only commands.

use jiff::{SignedDuration, Timestamp};
use notion_emulator::demo;
use store::{RunCounts, SyncCursor};
use sync_engine::Trigger;

use crate::support::{World, redact};

const SUBCOMMANDS: &[&[&str]] = &[
    &["run"],
    &["once"],
    &["status"],
    &["runs", "list"],
    &["runs", "logs"],
    &["state", "get"],
    &["state", "reset"],
    &["pause"],
    &["resume"],
    &["backfill"],
];

#[test]
fn every_command_has_help_with_examples_and_the_top_level_lists_exit_codes() {
    let world = World::new();
    let top = world.run(&["--help"]);
    top.assert_code(0);
    for code in [
        "0  ok",
        "78 configuration",
        "4  Notion refused",
        "5  partial sync",
        "6  another runner",
    ] {
        assert!(
            top.stdout.contains(code),
            "{code} missing from:\n{}",
            top.stdout
        );
    }
    for sub in SUBCOMMANDS {
        let mut args = sub.to_vec();
        args.push("--help");
        let help = world.run(&args);
        help.assert_code(0);
        assert!(
            help.stdout.contains("Examples:"),
            "{sub:?}:\n{}",
            help.stdout
        );
        assert!(
            !help.stdout.contains(&world.token),
            "{sub:?} help shows the token"
        );
    }
    // Each command lists only the flags it uses: no Notion or public URL settings where no
    // cycle runs.
    for sub in [
        &["status"][..],
        &["pause"],
        &["resume"],
        &["runs", "list"],
        &["state", "reset"],
    ] {
        let mut args = sub.to_vec();
        args.push("--help");
        let help = world.run(&args).stdout;
        assert!(help.contains("--database-url"), "{sub:?}:\n{help}");
        for flag in [
            "--base-url",
            "--notion-api-key",
            "--notion-api-base",
            "--max-rps",
        ] {
            assert!(!help.contains(flag), "{sub:?} lists {flag}:\n{help}");
        }
    }
    for sub in ["run", "once", "backfill"] {
        let help = world.run(&[sub, "--help"]).stdout;
        assert!(
            help.contains("--base-url") && help.contains("--notion-api-key"),
            "{sub}:\n{help}"
        );
    }
    // Usage errors are clap's exit code 2.
    world.run(&["once", "--no-such-flag"]).assert_code(2);
    world.run(&["frobnicate"]).assert_code(2);
    // A bad value given as a flag stays a usage error, even where a variable could give it.
    world.run(&["once", "--max-rps", "abc"]).assert_code(2);
    world.run(&["status", "--log-format=xml"]).assert_code(2);
}

#[test]
fn bad_configuration_stops_with_exit_78_and_names_the_variable() {
    let world = World::new();
    let cases: &[(&str, &str, &[&str])] = &[
        ("NOTION_API_KEY", "", &["once"]),
        ("NOTION_API_KEY", "  ", &["backfill"]),
        ("NOTION_VERSION", "2019-01-01", &["once"]),
        (
            "NOTION_DATABASE_ALLOWLIST",
            "not-an-id:Elections",
            &["once"],
        ),
        ("NOTION_API_BASE", "ftp://example.org", &["once"]),
        ("NOTION_MAX_RPS", "0", &["once"]),
        // Values clap itself rejects (not a number, not a format) are configuration too.
        ("NOTION_MAX_RPS", "abc", &["once"]),
        ("RUST_LOG_FORMAT", "xml", &["status"]),
        ("SYNC_INTERVAL", "5 weeks", &["run"]),
        ("MIN_SYNC_INTERVAL", "0s", &["once"]),
        ("SYNC_RECONCILE_EVERY", "soon", &["once"]),
        ("SYNC_LEASE_TTL", "-1s", &["once"]),
        // Readable but too short for the sync to work.
        ("SYNC_LEASE_TTL", "1ms", &["once"]),
        ("SYNC_LEASE_TTL", "9s", &["backfill"]),
        // Below twice the longest single wait of a Notion request (60 s + 65 s).
        ("SYNC_LEASE_TTL", "249s", &["run"]),
        ("SYNC_INTERVAL", "500ms", &["run"]),
        ("MIN_SYNC_INTERVAL", "1ms", &["once"]),
        ("SYNC_RECONCILE_EVERY", "30s", &["run"]),
        ("BASE_URL", "vote.example.org", &["once"]),
    ];
    for (variable, value, args) in cases {
        let mut cmd = world.command(args);
        cmd.env(variable, value);
        let ran = crate::support::run_command(cmd);
        ran.assert_code(78);
        assert!(
            ran.stderr.contains(variable),
            "{variable}={value:?}: stderr does not name it:\n{}",
            ran.stderr
        );
    }
    // The minimum itself is fine, and a too-short value given as a flag names the variable too.
    let mut cmd = world.command(&["once", "--preview"]);
    cmd.env("SYNC_LEASE_TTL", "250s")
        .env("SYNC_RECONCILE_EVERY", "1m");
    crate::support::run_command(cmd).assert_code(0);
    let ran = world.run(&["once", "--lease-ttl", "1ms"]);
    ran.assert_code(78);
    assert!(
        ran.stderr
            .contains("SYNC_LEASE_TTL: \"1ms\" is too short: it must be at least 250s (twice the longest single wait of a Notion request"),
        "{}",
        ran.stderr
    );
    // A store path that cannot be created.
    let blocker = world.dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let mut cmd = world.command(&["status"]);
    cmd.env(
        "DATABASE_URL",
        format!("sqlite:{}/sub/elections.db", blocker.display()),
    );
    let ran = crate::support::run_command(cmd);
    ran.assert_code(78);
    assert!(ran.stderr.contains("DATABASE_URL"), "{}", ran.stderr);
}

#[test]
fn commands_that_do_not_need_notion_work_without_a_token_and_create_the_store_folder() {
    let world = World::new();
    let folder = world.dir.path().join("nested/data");
    // A read-only command never creates a store: it names the path it looked at (exit 78).
    let mut cmd = world.command(&["status"]);
    cmd.env_remove("NOTION_API_KEY").env(
        "DATABASE_URL",
        format!("sqlite:{}/elections.db", folder.display()),
    );
    let ran = crate::support::run_command(cmd);
    ran.assert_code(78);
    assert!(ran.stderr.contains("elections.db"), "{}", ran.stderr);
    assert!(!folder.join("elections.db").exists());
    // Writing commands create it; read-only commands then work on it.
    for args in [
        &["state", "reset"][..],
        &["pause"],
        &["resume"],
        &["status"],
        &["status", "--json"],
        &["runs", "list"],
        &["state", "get"],
    ] {
        let mut cmd = world.command(args);
        cmd.env_remove("NOTION_API_KEY").env(
            "DATABASE_URL",
            format!("sqlite:{}/elections.db", folder.display()),
        );
        crate::support::run_command(cmd).assert_code(0);
    }
    assert!(folder.join("elections.db").exists());
}

#[test]
fn the_token_never_appears_in_output_even_when_notion_refuses_it_or_logs_are_verbose() {
    let world = World::new();
    world.open_election("elec_token", demo::BOARD_PRESIDENT);
    let secret = "ntn_this_token_is_secret_and_wrong_1234567890";
    for args in [&["once"][..], &["run"], &["backfill"]] {
        let mut cmd = world.command(args);
        cmd.env("NOTION_API_KEY", secret).env("RUST_LOG", "trace");
        let ran = crate::support::run_command(cmd);
        ran.assert_code(4);
        assert!(ran.stderr.contains("refused"), "{args:?}: {}", ran.stderr);
        assert!(
            !ran.stdout.contains(secret) && !ran.stderr.contains(secret),
            "{args:?} printed the token"
        );
        assert!(
            !ran.stderr.contains("ntn_this"),
            "{args:?} printed part of the token"
        );
    }
    // With the right token, at trace level, through a whole cycle.
    let mut cmd = world.command(&["once", "--force"]);
    cmd.env("RUST_LOG", "trace");
    let ran = crate::support::run_command(cmd);
    ran.assert_code(0);
    assert!(!ran.stdout.contains(&world.token) && !ran.stderr.contains(&world.token));
}

/// Seeds two runs, a cursor and a paused election, then snapshots what the operator reads.
#[test]
fn status_runs_state_and_pause_outputs() {
    let world = World::new();
    let now = Timestamp::now();
    let id = world.election(
        "elec_board_2026",
        demo::BOARD_PRESIDENT,
        demo::ELECTIONS_DB,
        now + SignedDuration::from_hours(24),
        now + SignedDuration::from_hours(48),
    );
    world.open_election("elec_budget", demo::BUDGET_REFERENDUM);
    let run = world
        .store
        .start_run(Trigger::Scheduled, "sync-runner:test:1", now)
        .unwrap();
    world
        .store
        .append_logs(
            run.id,
            &[store::NewLogEntry {
                at: now,
                election_id: Some(id.clone()),
                page_id: Some(demo::BOARD_PRESIDENT.to_string()),
                action: store::LogAction::Failed,
                detail: None,
                error: Some("Notion page not found: gone (Notion 404 object_not_found)".into()),
            }],
        )
        .unwrap();
    let counts = RunCounts {
        read: 2,
        planned: 2,
        written: 1,
        pulled: 0,
        failed: 1,
        notion_requests: 3,
    };
    world.store.finish_run(run.id, &counts, None, now).unwrap();
    // Then three idle cycles (one empty change query each): hidden unless --all.
    let idle = RunCounts {
        notion_requests: 1,
        ..RunCounts::default()
    };
    let mut idle_ids = Vec::new();
    for i in 1..=3 {
        let at = now + SignedDuration::from_secs(60 * i);
        let cycle = world
            .store
            .start_run(Trigger::Scheduled, "sync-runner:test:1", at)
            .unwrap();
        world.store.finish_run(cycle.id, &idle, None, at).unwrap();
        idle_ids.push(cycle.id.to_string());
    }
    world
        .store
        .set_cursor(&SyncCursor {
            database_id: demo::ELECTIONS_DB.to_string(),
            last_edited_cursor: Some(now),
            last_full_reconcile_at: Some(now),
            updated_at: now,
        })
        .unwrap();

    let status = world.run(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("status", redact(&status.stdout));

    world
        .run(&["pause", "--election", "elec_board_2026"])
        .assert_code(0);
    let json = world.run(&["status", "--json"]).json();
    let paused: Vec<(&str, &str)> = json["elections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["election_id"].as_str().unwrap(),
                e["paused"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(paused, [("elec_board_2026", "yes"), ("elec_budget", "no")]);
    let pause_all = world.run(&["pause"]);
    insta::assert_snapshot!("pause_all", redact(&pause_all.stdout));
    let status = world.run(&["status"]);
    insta::assert_snapshot!("status_paused", redact(&status.stdout));
    let resume_one = world.run(&["resume", "--election", "elec_board_2026"]);
    insta::assert_snapshot!("resume_one", redact(&resume_one.stdout));
    world.run(&["resume"]).assert_code(0);
    let json = world.run(&["status", "--json"]).json();
    assert!(json["paused_globally_since"].is_null());
    // No webhook subscription yet: not healthy, the daemon polls every interval.
    assert_eq!(json["webhooks"]["active_tokens"], 0);
    assert_eq!(json["webhooks"]["healthy"], false);
    assert_eq!(json["webhooks"]["events_total"], 0);
    assert!(
        json["elections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["paused"] == "no")
    );
    world
        .run(&["pause", "--election", "elec_nobody"])
        .assert_code(2);

    let runs = world.run(&["runs", "list"]);
    insta::assert_snapshot!("runs_list", redact(&runs.stdout));
    let runs_json = world
        .run(&["runs", "list", "--json", "--limit", "1"])
        .json();
    assert_eq!(runs_json["runs"][0]["id"], run.id.to_string());
    assert_eq!(runs_json["runs"][0]["counts"]["written"], 1);
    assert_eq!(runs_json["activity"], "changes");
    assert_eq!(runs_json["idle_cycles_hidden"], 3);
    let all = world.run(&["runs", "list", "--all"]);
    all.assert_code(0);
    assert_eq!(
        all.stdout.lines().count(),
        5,
        "a header and 4 runs:\n{}",
        all.stdout
    );
    assert!(!all.stdout.contains("hidden"), "{}", all.stdout);
    let all_json = world.run(&["runs", "list", "--all", "--json"]).json();
    let ids: Vec<&str> = all_json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = idle_ids.iter().rev().map(String::as_str).collect();
    let seeded = run.id.to_string();
    expected.push(&seeded);
    assert_eq!(ids, expected, "newest first, idle cycles included");
    assert_eq!(all_json["activity"], "all");
    assert_eq!(all_json["idle_cycles_hidden"], 0);
    let logs = world.run(&["runs", "logs", &run.id.to_string()]);
    insta::assert_snapshot!("runs_logs", redact(&logs.stdout));
    let logs_json = world
        .run(&["runs", "logs", &run.id.to_string(), "--json"])
        .json();
    assert_eq!(logs_json["logs"][0]["action"], "failed");
    world.run(&["runs", "logs", "not-a-run"]).assert_code(2);
    world
        .run(&["runs", "logs", "01936f4e-8c2a-7c31-9d4e-2b7f3a1c0d55"])
        .assert_code(2);

    let state = world.run(&["state", "get"]);
    insta::assert_snapshot!("state_get", redact(&state.stdout));
    let reset = world.run(&["state", "reset", &demo::ELECTIONS_DB.simple().to_string()]);
    insta::assert_snapshot!("state_reset", redact(&reset.stdout));
    let state = world.run(&["state", "get", "--json"]).json();
    assert!(state["databases"][0]["last_edited_cursor"].is_null());
    assert_eq!(state["databases"][0]["linked_elections"], 2);
    world.run(&["state", "reset", "nonsense"]).assert_code(2);
}

/// `runs logs` of real cycles: each action's detail reads for people, `--json` keeps the data.
#[test]
fn runs_logs_render_each_action_for_people() {
    let world = World::new();
    world.emu.clock().freeze();
    world.open_election("elec_logs", demo::BOARD_PRESIDENT);
    // First cycle: the whole database is read, status and results link written, title pulled.
    world.run(&["once"]).assert_code(0);
    // A person renames the page: the next cycle only pulls.
    world
        .emu
        .clock()
        .advance(std::time::Duration::from_secs(60));
    world
        .emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            serde_json::json!({"Name": {"title": [{"text": {"content": "Board President 2026 (final)"}}]}}),
        )
        .unwrap();
    // (`--force`: the runner's clock has not moved past MIN_SYNC_INTERVAL.)
    world.run(&["once", "--force"]).assert_code(0);

    let runs = world.run(&["runs", "list", "--json"]).json();
    let ids: Vec<String> = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{runs}");
    for (name, id) in [("runs_logs_write", &ids[0]), ("runs_logs_pull", &ids[1])] {
        let logs = world.run(&["runs", "logs", id]);
        logs.assert_code(0);
        assert!(!logs.stdout.contains('{'), "raw JSON in:\n{}", logs.stdout);
        insta::assert_snapshot!(name, redact(&logs.stdout));
    }
    // The JSON keeps the structured detail.
    let json = world.run(&["runs", "logs", &ids[1], "--json"]).json();
    let actions: Vec<&str> = json["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"read") && actions.contains(&"pulled"),
        "{json}"
    );
    let read = &json["logs"][0]["detail"];
    assert!(
        read["pages_read"].is_u64() && read["cursor_to"].is_string(),
        "{json}"
    );
}

#[test]
fn state_reset_of_a_database_no_election_uses_is_a_usage_error_listing_the_linked_ones() {
    let world = World::new();
    let other = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0";
    let ran = world.run(&["state", "reset", other]);
    ran.assert_code(2);
    assert!(
        ran.stderr
            .contains("no linked election uses the Notion database")
            && ran.stderr.contains("no election is linked to Notion yet"),
        "{}",
        ran.stderr
    );

    world.open_election("elec_reset", demo::BOARD_PRESIDENT);
    let ran = world.run(&["state", "reset", "0f1e2d3c4b5a49788796a5b4c3d2e1f0"]);
    ran.assert_code(2);
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr.contains(other) && ran.stderr.contains(&demo::ELECTIONS_DB.to_string()),
        "names the id and the linked databases:\n{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("next cycle"), "{}", ran.stderr);

    // A cursor left from an earlier link is still removed.
    let now = Timestamp::now();
    world
        .store
        .set_cursor(&SyncCursor {
            database_id: other.to_owned(),
            last_edited_cursor: Some(now),
            last_full_reconcile_at: Some(now),
            updated_at: now,
        })
        .unwrap();
    let ran = world.run(&["state", "reset", other]);
    ran.assert_code(0);
    assert!(
        ran.stdout.contains("no linked election uses any more"),
        "{}",
        ran.stdout
    );
    assert!(world.store.list_cursors().unwrap().is_empty());

    // A linked database keeps its behaviour.
    let ran = world.run(&["state", "reset", &demo::ELECTIONS_DB.to_string()]);
    ran.assert_code(0);
    assert!(
        ran.stdout.contains("next cycle reads every page"),
        "{}",
        ran.stdout
    );
}

/// `status` shows webhook health: an active token and a recent event make webhooks healthy.
#[test]
fn status_shows_webhook_health() {
    let world = World::new();
    world.run(&["status"]).assert_code(0);
    let now = jiff::Timestamp::now();
    let connection = store::ConnectionId::internal();
    world
        .store
        .set_active_webhook_token(&connection, "secret_webhook_token", None, now)
        .unwrap();
    let json = world.run(&["status", "--json"]).json();
    assert_eq!(json["webhooks"]["active_tokens"], 1);
    assert_eq!(json["webhooks"]["healthy"], false, "no event yet");
    world
        .store
        .record_webhook_event(
            &store::NewWebhookEvent {
                event_id: "3f0c9e5e-0000-4000-8000-000000000001".into(),
                connection_id: connection,
                event_type: "page.properties_updated".into(),
                entity_id: None,
                entity_type: None,
                event_at: now,
                attempt_number: 1,
                body: b"{}".to_vec(),
            },
            now,
        )
        .unwrap();
    let json = world.run(&["status", "--json"]).json();
    assert_eq!(json["webhooks"]["healthy"], true, "{json}");
    assert_eq!(json["webhooks"]["unprocessed"], 1);
    let text = world.run(&["status"]).stdout;
    assert!(text.contains("Notion webhooks: healthy"), "{text}");
    assert!(text.contains("1 waiting"), "{text}");
    // A window the event is already older than.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let json = crate::support::run_command({
        let mut cmd = world.command(&["status", "--json"]);
        cmd.env("WEBHOOK_HEALTHY_WINDOW", "1s");
        cmd
    })
    .json();
    assert_eq!(
        json["webhooks"]["healthy"], false,
        "the event is older than the window"
    );
}
