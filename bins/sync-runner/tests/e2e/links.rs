//! An election linked to several Notion pages: `status` and `once --preview` show a row per
//! link, and each link syncs (and fails) on its own.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_emulator::demo;
use serde_json::{Value, json};
use sync_engine::{NotionLink, TextDirection};

use crate::support::{BASE_URL, Ran, World, run_command, wait_until};

/// Runs the runner with both demo databases allowlisted (the second link is in Legacy Elections).
fn run(world: &World, args: &[&str]) -> Ran {
    let mut cmd = world.command(args);
    cmd.env(
        "NOTION_DATABASE_ALLOWLIST",
        format!(
            "{}:Elections,{}:Legacy Elections",
            demo::ELECTIONS_DB,
            demo::LEGACY_DB
        ),
    );
    run_command(cmd)
}

/// Sets the Legacy data source's status options.
fn legacy_options(world: &World, names: &[&str]) {
    let options: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
    world
        .emu
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": options}}}}),
        )
        .unwrap();
}

/// The lines of `text` naming `needle`.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn an_election_linked_to_two_pages_has_a_row_per_link_and_each_link_syncs_on_its_own() {
    let world = World::new();
    legacy_options(&world, &["Not started", "In Voting", "Done"]);
    let now = Timestamp::now();
    let open_at = now + SignedDuration::from_secs(2);
    let id = world.election(
        "elec_two",
        demo::BUDGET_REFERENDUM,
        demo::ELECTIONS_DB,
        open_at,
        now + SignedDuration::from_hours(2),
    );
    // The second page shows the election: its title and description are pushed there (two
    // links pulling into one election would take turns).
    let mut link = NotionLink::new(demo::LEGACY_DB.to_string(), demo::LEGACY_PAGE.to_string());
    link.mapping.title.direction = TextDirection::Push;
    link.mapping.description.direction = TextDirection::Push;
    let second = world.store.add_link(&id, &link, false, now).unwrap();
    let record = world.store.get_election(&id).unwrap();
    let first = record.primary().unwrap().id.clone();
    assert_ne!(first, second.id);
    let (budget, legacy) = (
        demo::BUDGET_REFERENDUM.to_string(),
        demo::LEGACY_PAGE.to_string(),
    );

    // `status`: one row per link, each naming its page, database and whether it is primary.
    let status = run(&world, &["status"]);
    status.assert_code(0);
    let rows = lines_with(&status.stdout, "elec_two");
    assert_eq!(rows.len(), 2, "{}", status.stdout);
    let budget_row = lines_with(&status.stdout, &budget);
    let legacy_row = lines_with(&status.stdout, &legacy);
    assert_eq!(
        (budget_row.len(), legacy_row.len()),
        (1, 1),
        "{}",
        status.stdout
    );
    assert!(budget_row[0].contains(&demo::ELECTIONS_DB.to_string()));
    assert!(legacy_row[0].contains(&demo::LEGACY_DB.to_string()));
    let short = |link: &store::LinkId| {
        let text = link.as_str();
        format!("lnk_…{}", &text[text.len() - 8..])
    };
    assert!(
        budget_row[0].contains(&format!("{}  yes", short(&first))),
        "{}",
        status.stdout
    );
    assert!(
        legacy_row[0].contains(&format!("{}  no", short(&second.id))),
        "{}",
        status.stdout
    );
    let json = run(&world, &["status", "--json"]).json();
    let links: Vec<(&str, bool, &str, &str)> = json["elections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["election_id"], "elec_two");
            assert_eq!(e["desired_status"], "Not started");
            (
                e["link_id"].as_str().unwrap(),
                e["primary"].as_bool().unwrap(),
                e["page_id"].as_str().unwrap(),
                e["database_id"].as_str().unwrap(),
            )
        })
        .collect();
    let (elections_db, legacy_db) = (demo::ELECTIONS_DB.to_string(), demo::LEGACY_DB.to_string());
    assert_eq!(
        links,
        [
            (first.as_str(), true, budget.as_str(), elections_db.as_str()),
            (
                second.id.as_str(),
                false,
                legacy.as_str(),
                legacy_db.as_str()
            ),
        ]
    );

    // Upcoming: Not started on both pages (the Budget page showed In Voting, Legacy already
    // shows Not started).
    run(&world, &["once"]).assert_code(0);
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("Not started")
    );
    assert_eq!(
        world.status_of(demo::LEGACY_PAGE).as_deref(),
        Some("Not started")
    );
    wait_until("voting opens", Duration::from_secs(10), || {
        Timestamp::now() > open_at
    });

    // The preview plans both links, a row group per page, and writes nothing.
    let patches = world.patches();
    let preview = run(&world, &["once", "--preview"]);
    preview.assert_code(0);
    let header = preview.stdout.lines().next().unwrap();
    assert!(
        header
            .split_whitespace()
            .take(3)
            .eq(["ELECTION", "LINK", "PAGE"]),
        "{}",
        preview.stdout
    );
    for (page, link, primary) in [(&budget, &first, true), (&legacy, &second.id, false)] {
        let rows = lines_with(&preview.stdout, page);
        let status_row = rows
            .iter()
            .find(|r| r.contains("Voting Status"))
            .unwrap_or_else(|| panic!("no status row for {page}:\n{}", preview.stdout));
        assert!(
            status_row.contains("Not started → In Voting"),
            "{}",
            preview.stdout
        );
        assert!(status_row.contains(&short(link)), "{}", preview.stdout);
        assert_eq!(
            status_row.contains("(primary)"),
            primary,
            "{}",
            preview.stdout
        );
        assert!(
            rows.iter().any(|r| r.contains("Results Link")),
            "{}",
            preview.stdout
        );
    }
    let json = run(&world, &["once", "--preview", "--json"]);
    json.assert_code(0);
    let json = json.json();
    let planned: Vec<(&str, &str, bool)> = json["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["link_id"].as_str().unwrap(),
                p["page_id"].as_str().unwrap(),
                p["primary"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(planned.len(), 2, "{json}");
    assert!(
        planned.contains(&(first.as_str(), budget.as_str(), true)),
        "{json}"
    );
    assert!(
        planned.contains(&(second.id.as_str(), legacy.as_str(), false)),
        "{json}"
    );
    assert_eq!(world.patches(), patches, "a preview wrote to Notion");
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("Not started")
    );
    assert_eq!(
        world.status_of(demo::LEGACY_PAGE).as_deref(),
        Some("Not started")
    );

    // Voting opened: both pages show it.
    let ran = run(&world, &["once"]);
    ran.assert_code(0);
    let results = format!("{BASE_URL}/e/elec_two/results");
    for page in [demo::BUDGET_REFERENDUM, demo::LEGACY_PAGE] {
        assert_eq!(
            world.status_of(page).as_deref(),
            Some("In Voting"),
            "{}",
            ran.stdout
        );
        assert_eq!(
            world.results_link_of(page).as_deref(),
            Some(results.as_str())
        );
    }

    // Someone removes "In Voting" from the Legacy database and sets the Budget page back: the
    // Budget page gets its status again, only the Legacy link fails.
    legacy_options(&world, &["Not started", "Done"]);
    world
        .emu
        .update_page_as_user(
            demo::BUDGET_REFERENDUM,
            json!({"Voting Status": {"status": {"name": "Not started"}}}),
        )
        .unwrap();
    let ran = run(&world, &["once", "--force"]);
    ran.assert_code(5);
    assert_eq!(
        world.status_of(demo::BUDGET_REFERENDUM).as_deref(),
        Some("In Voting"),
        "{}",
        ran.stdout
    );
    let status = run(&world, &["status"]);
    let budget_row = lines_with(&status.stdout, &budget);
    let legacy_row = lines_with(&status.stdout, &legacy);
    // The Budget row: In Voting shown and desired, not paused, no error.
    let words: Vec<&str> = budget_row[0].split_whitespace().collect();
    assert_eq!(words[words.len() - 2..], ["no", "-"], "{}", status.stdout);
    assert!(
        words
            .windows(4)
            .any(|w| w == ["In", "Voting", "In", "Voting"]),
        "{}",
        status.stdout
    );
    assert!(
        legacy_row[0].contains("A status option is missing in Notion"),
        "{}",
        status.stdout
    );
    let json = run(&world, &["status", "--json"]).json();
    let rows = json["elections"].as_array().unwrap();
    assert_eq!(rows[0]["link_id"], first.as_str());
    assert!(rows[0]["last_error"].is_null(), "{json}");
    assert_eq!(rows[0]["notion_status"], "In Voting");
    assert_eq!(rows[1]["link_id"], second.id.as_str());
    assert_eq!(rows[1]["error_class"], "permanent", "{json}");
    assert!(
        rows[1]["last_error"]
            .as_str()
            .unwrap()
            .contains("In Voting"),
        "{json}"
    );
}

#[test]
fn status_shows_a_connection_that_needs_reauthorization_and_what_to_do() {
    use store::{ConnectionId, ConnectionState, NewOAuthConnection};
    let world = World::new();
    let now = Timestamp::now();
    let key = token_seal::TokenKey::generate();
    let id = ConnectionId::mint(now);
    let token = secrecy::SecretString::from("ntn_oauth_status_test".to_owned());
    world
        .store
        .save_oauth_connection(
            &NewOAuthConnection {
                id: id.clone(),
                workspace_id: "ws-second".into(),
                workspace_name: Some("Second Demo Workspace".into()),
                workspace_icon: None,
                bot_id: "bot-second".into(),
                owner: None,
                created_by: Some("admin".into()),
                access_token: key.seal(&token, &id.access_token_context()),
                refresh_token: None,
                access_expires_at: None,
            },
            now,
        )
        .unwrap();
    world
        .store
        .allow_database(&id, &demo::LEGACY_DB.to_string(), None, None, now)
        .unwrap();
    world.election(
        "elec_oauth",
        demo::LEGACY_PAGE,
        demo::LEGACY_DB,
        now + SignedDuration::from_hours(1),
        now + SignedDuration::from_hours(2),
    );
    world
        .store
        .set_connection_state(
            &id,
            ConnectionState::NeedsReauthorization,
            Some("Notion refused the refresh token (invalid_grant)"),
            now,
        )
        .unwrap();

    let status = run(&world, &["status"]);
    status.assert_code(0);
    let rows = lines_with(&status.stdout, id.as_str());
    assert_eq!(rows.len(), 1, "{}", status.stdout);
    assert!(rows[0].contains("needs_reauthorization"), "{}", rows[0]);
    assert!(rows[0].contains("Second Demo Workspace"), "{}", rows[0]);
    assert!(
        rows[0].contains("connect the workspace again"),
        "{}",
        rows[0]
    );
    let json = run(&world, &["status", "--json"]).json();
    let connection = json["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("no {id} in {json}"));
    assert_eq!(connection["state"], "needs_reauthorization");
    assert_eq!(connection["links"], 1);
    assert!(!json.to_string().contains("ntn_oauth_status_test"));
    let row = json["elections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["election_id"] == "elec_oauth")
        .unwrap();
    assert_eq!(row["connection_id"], id.as_str());
}
