//! Managed databases through the binary (issue 12): `database create` makes a database that
//! validates and takes managed pages; switching the demo database to managed gives 5 new
//! elections one page each, none twice across a SIGKILLed runner or two runners started at once; a
//! deleted election's page is trashed only by a clean backfill (a failing query trashes nothing);
//! the backfill's brake halts a sweep of 60% and `--allow-mass-delete` lets it through once.

use std::process::Command;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_emulator::{Fault, FaultRule, demo};
use secrecy::SecretString;
use serde_json::{Value, json};
use store::{DatabaseMode, ManagedSettings, NewElection};
use sync_driver::{Allowlist, DriverConfig, SyncDriver};
use sync_engine::{ElectionId, OnElectionDeleted};
use uuid::Uuid;

use crate::support::{BASE_URL, World, run_command, wait_until};

const CREATE_PAGE: &str = "POST /v1/pages";
const GENEROUS: Duration = Duration::from_secs(40);

/// The demo database with its key property (added as a person would), switched to managed.
fn managed_demo(w: &World, on_deleted: OnElectionDeleted) {
    w.emu
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Election ID": {"rich_text": {}}}}),
        )
        .unwrap();
    switch_to_managed(w, &demo::ELECTIONS_DB.to_string(), on_deleted);
}

fn switch_to_managed(w: &World, database: &str, on_deleted: OnElectionDeleted) {
    let settings = ManagedSettings {
        mode: DatabaseMode::Managed,
        on_election_deleted: on_deleted,
        ..ManagedSettings::default()
    };
    w.store
        .set_database_mode(database, &settings, Timestamp::now())
        .unwrap();
}

/// Elections open now with no link (created after the switch: they get pages).
fn new_elections(w: &World, n: usize) -> Vec<ElectionId> {
    let now = Timestamp::now();
    (0..n)
        .map(|i| {
            w.store
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
                .unwrap()
                .election
                .id
        })
        .collect()
}

/// The pages (not in the trash) of any database whose key is `id`.
fn pages_with_key(w: &World, id: &str) -> Vec<String> {
    let state = w.emu.state();
    let mut found = Vec::new();
    for database in state["databases"].as_array().into_iter().flatten() {
        for source in database["data_sources"].as_array().into_iter().flatten() {
            for page in source["pages"].as_array().into_iter().flatten() {
                let key = page["properties"]["Election ID"]["rich_text"][0]["plain_text"].as_str();
                if key == Some(id) && !page["in_trash"].as_bool().unwrap_or(false) {
                    found.push(page["id"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
    }
    found
}

/// A runner command whose allowlist also holds `database`.
fn command_allowing(w: &World, database: &str, args: &[&str]) -> Command {
    let mut cmd = w.command(args);
    cmd.env(
        "NOTION_DATABASE_ALLOWLIST",
        format!("{}:Elections,{database}:Created", demo::ELECTIONS_DB),
    );
    cmd
}

#[test]
fn database_create_makes_a_database_that_validates_and_takes_managed_pages() {
    let w = World::new();
    let parent = demo::ROOT_PAGE.to_string();
    let ran = w.run(&[
        "database",
        "create",
        "--parent",
        &parent,
        "--title",
        "Board elections",
    ]);
    ran.assert_code(0);
    let first = ran.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Created the database 'Board elections': "),
        "{}",
        ran.stdout
    );
    let id = first.rsplit(' ').next().unwrap().to_owned();
    assert!(
        ran.stdout
            .contains("has the options Not started, In Voting and Done"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(&format!(
            "NOTION_DATABASE_ALLOWLIST='{}:Elections,{id}:Board elections'",
            demo::ELECTIONS_DB
        )),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains(&format!("/admin/notion/databases/{id}"))
    );

    // Its schema, as Notion holds it.
    let schema = w
        .emu
        .state()
        .get("databases")
        .and_then(Value::as_array)
        .and_then(|dbs| dbs.iter().find(|d| d["id"] == id.as_str()).cloned())
        .expect("the database exists");
    let props = &schema["data_sources"][0]["properties"];
    for (name, kind) in [
        ("Name", "title"),
        ("Election ID", "rich_text"),
        ("Voting Status", "status"),
        ("Results Link", "url"),
        ("Voting Window", "date"),
        ("Description", "rich_text"),
    ] {
        assert_eq!(props[name]["type"], kind, "{name}: {props}");
    }

    // A page in it passes the link validation (status property and options, results link).
    let data_source: Uuid = schema["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let page = w
        .emu
        .create_page_as_user(
            data_source,
            json!({"Name": {"title": [{"text": {"content": "By hand"}}]}}),
        )
        .unwrap();
    let validation = validate(&w, &id, page);
    assert!(validation.valid, "{validation:?}");
    assert!(validation.warnings.is_empty(), "{validation:?}");

    // Allowed and switched to managed, it gives a new election its page, synced.
    switch_to_managed(&w, &id, OnElectionDeleted::Keep);
    let ids = new_elections(&w, 1);
    let ran = run_command(command_allowing(&w, &id, &["once"]));
    ran.assert_code(0);
    let record = w.store.get_election(&ids[0]).unwrap();
    assert_eq!(record.links.len(), 1, "{record:?}");
    let page: Uuid = record.links[0].link.notion_page_id.parse().unwrap();
    assert_eq!(w.status_of(page).as_deref(), Some("In Voting"));
    assert!(w.results_link_of(page).is_some());

    // --json, and a parent the integration cannot see.
    let ran = w.run(&["database", "create", "--parent", &parent, "--json"]);
    ran.assert_code(0);
    let created = ran.json();
    assert_eq!(created["title"], "Elections");
    assert_eq!(created["missing_status_options"], json!([]));
    let private = demo::PRIVATE_PAGE.to_string();
    let ran = w.run(&["database", "create", "--parent", &private]);
    ran.assert_code(2);
    assert!(
        ran.stderr.contains("not shared with the integration"),
        "{}",
        ran.stderr
    );
    let ran = w.run(&["database", "create", "--parent", "nope"]);
    ran.assert_code(2);
    assert!(ran.stderr.contains("--parent"), "{}", ran.stderr);
}

/// `validate_page` as the admin page runs it, through a driver allowing `database`.
fn validate(w: &World, database: &str, page: Uuid) -> sync_driver::PageValidation {
    let allowlist = Allowlist::parse(&format!("{database}:Created")).unwrap();
    let client = notion_client::NotionClient::builder()
        .token(SecretString::from(w.token.clone()))
        .base_url(w.emu.base_url())
        .build()
        .unwrap();
    let driver = SyncDriver::new(
        w.store.clone() as store::SharedStore,
        client,
        DriverConfig::new(BASE_URL, allowlist),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(driver.validate_page(&page.into(), None))
        .unwrap()
}

#[test]
fn five_new_elections_get_one_page_each_across_a_sigkilled_runner() {
    let w = World::new();
    managed_demo(&w, OnElectionDeleted::Keep);
    let ids = new_elections(&w, 5);
    // Slow creates, so the kill lands between two of them.
    w.emu.set_fault(FaultRule {
        route: Some(CREATE_PAGE.into()),
        kind: Fault::LatencyMs(400),
        ..FaultRule::default()
    });
    let mut child = w.spawn(&["once"]);
    wait_until("a first managed page", GENEROUS, || {
        ids.iter()
            .any(|id| !pages_with_key(&w, id.as_str()).is_empty())
    });
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    w.emu.clear_faults();
    let made_before: usize = ids
        .iter()
        .map(|id| pages_with_key(&w, id.as_str()).len())
        .sum();
    assert!(
        (1..5).contains(&made_before),
        "the kill landed mid-pass: {made_before}"
    );

    // Until the dead runner's leases lapse (at least 250 s), a new runner waits: lapse them
    // rather than wait. Its creation leases name the elections it was making pages for.
    let database = demo::ELECTIONS_DB.to_string();
    let mut leases = vec![store::LeaseKey::Global];
    leases.extend(ids.iter().map(|id| store::LeaseKey::ManagedCreate {
        database_id: database.clone(),
        election_id: id.clone(),
    }));
    let past = Timestamp::now() - SignedDuration::from_mins(10);
    let mut lapsed = 0;
    for key in &leases {
        if let Some(dead) = w.store.get_lease(key).unwrap() {
            w.store
                .renew_lease(key, &dead.holder, SignedDuration::from_secs(10), past)
                .unwrap();
            lapsed += 1;
        }
    }
    assert!(lapsed >= 2, "the killed runner held its creation leases");
    w.run(&["once"]).assert_code(0);
    for id in &ids {
        let pages = pages_with_key(&w, id.as_str());
        assert_eq!(pages.len(), 1, "{id}: {pages:?}");
        let record = w.store.get_election(id).unwrap();
        assert_eq!(record.links.len(), 1);
        assert_eq!(record.links[0].link.notion_page_id, pages[0]);
    }
    // And a steady state creates nothing more.
    w.emu.reset_counts();
    w.run(&["once"]).assert_code(0);
    assert_eq!(w.emu.request_counts().route(CREATE_PAGE), 0);
}

#[test]
fn the_brake_halts_a_sweep_of_sixty_percent_and_allow_mass_delete_lets_it_through_once() {
    let w = World::new();
    managed_demo(&w, OnElectionDeleted::Trash);
    let ids = new_elections(&w, 5);
    w.run(&["once"]).assert_code(0);
    let pages: Vec<String> = ids
        .iter()
        .map(|id| pages_with_key(&w, id.as_str()).pop().expect("a page"))
        .collect();
    for id in &ids[..3] {
        w.store.delete_election(id).unwrap();
    }
    let database = demo::ELECTIONS_DB.to_string();

    let preview = w.run(&["backfill", "--database", &database, "--preview"]);
    for page in &pages[..3] {
        assert!(
            preview.stdout.contains(&format!("trash page {page}")),
            "{}",
            preview.stdout
        );
    }
    let halted = w.run(&["backfill", "--database", &database]);
    halted.assert_code(5);
    let said = format!("{}{}", halted.stdout, halted.stderr);
    assert!(
        said.contains("3 of 5") && said.contains("--allow-mass-delete"),
        "{said}"
    );
    for id in &ids[..3] {
        assert_eq!(
            pages_with_key(&w, id.as_str()).len(),
            1,
            "nothing trashed yet"
        );
    }

    let through = w.run(&["backfill", "--database", &database, "--allow-mass-delete"]);
    through.assert_code(0);
    for id in &ids[..3] {
        assert!(
            pages_with_key(&w, id.as_str()).is_empty(),
            "{}",
            through.stdout
        );
    }
    for id in &ids[3..] {
        assert_eq!(pages_with_key(&w, id.as_str()).len(), 1);
    }
    // Once: the next pass has nothing to sweep, and the brake is back for the next deletes.
    w.run(&["backfill", "--database", &database]).assert_code(0);
    w.store.delete_election(&ids[3]).unwrap();
    w.store.delete_election(&ids[4]).unwrap();
    w.run(&["backfill", "--database", &database]).assert_code(5);
}

#[test]
fn two_runners_started_at_once_make_one_page_per_election() {
    let w = World::new();
    managed_demo(&w, OnElectionDeleted::Keep);
    let ids = new_elections(&w, 5);
    // Slow creates, so both runners are at work at the same time.
    w.emu.set_fault(FaultRule {
        route: Some(CREATE_PAGE.into()),
        kind: Fault::LatencyMs(200),
        ..FaultRule::default()
    });
    let first = w.spawn(&["once"]);
    let second = w.spawn(&["once"]);
    let (first, _, first_err) = crate::support::wait_with_timeout(first, GENEROUS);
    let (second, _, second_err) = crate::support::wait_with_timeout(second, GENEROUS);
    // One runner syncs; the other finds the sync lease held (exit 6) or has nothing left to do.
    for (status, stderr) in [(first, &first_err), (second, &second_err)] {
        assert!(matches!(status.code(), Some(0 | 6)), "{status}: {stderr}");
    }
    for id in &ids {
        assert_eq!(pages_with_key(&w, id.as_str()).len(), 1, "{id}");
        assert_eq!(w.store.get_election(id).unwrap().links.len(), 1, "{id}");
    }
    assert_eq!(w.emu.request_counts().route(CREATE_PAGE), 5);
}

#[test]
fn a_deleted_elections_page_is_trashed_only_by_a_clean_backfill() {
    let w = World::new();
    managed_demo(&w, OnElectionDeleted::Trash);
    let ids = new_elections(&w, 5);
    w.run(&["once"]).assert_code(0);
    w.store.delete_election(&ids[0]).unwrap();
    let database = demo::ELECTIONS_DB.to_string();

    // A cycle's delta never sweeps.
    w.run(&["once"]).assert_code(0);
    assert_eq!(pages_with_key(&w, ids[0].as_str()).len(), 1);

    // A backfill whose query fails (Notion keeps answering 500) trashes nothing.
    w.emu.set_fault(FaultRule {
        route: Some("POST /v1/data_sources/{data_source_id}/query".into()),
        kind: Fault::Status(500),
        ..FaultRule::default()
    });
    let failed = w.run(&["backfill", "--database", &database]);
    assert_ne!(failed.code, 0, "{}{}", failed.stdout, failed.stderr);
    assert_eq!(
        pages_with_key(&w, ids[0].as_str()).len(),
        1,
        "{}{}",
        failed.stdout,
        failed.stderr
    );
    w.emu.clear_faults();

    // A clean one does, and only that page.
    w.run(&["backfill", "--database", &database]).assert_code(0);
    assert!(pages_with_key(&w, ids[0].as_str()).is_empty());
    for id in &ids[1..] {
        assert_eq!(pages_with_key(&w, id.as_str()).len(), 1, "{id}");
    }
}
