//! The compiled binary: refuses to start on bad configuration, naming the variable.

use std::path::Path;
use std::process::Command;

use jiff::Timestamp;
use store::{NewElection, SqliteStore};

/// The api-server binary, with none of its settings inherited from the test's environment.
pub(crate) fn api_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_api-server"));
    for var in [
        "ADMIN_TOKEN",
        "NOTION_API_KEY",
        "NOTION_DATABASE_ALLOWLIST",
        "API_SERVER_DEMO",
        "LISTEN_ADDR",
        "DATABASE_URL",
        "API_WORKERS",
        "SYNC_INTERVAL",
        "MIN_SYNC_INTERVAL",
        "NOTION_MAX_RPS",
        "RUST_LOG_FORMAT",
        "EMBEDDED_SYNC",
        "NOTION_WEBHOOK_VERIFICATION_TOKEN",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn refuses_to_start_without_an_admin_token() {
    let output = api_server()
        .env("NOTION_API_KEY", "ntn_test")
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ADMIN_TOKEN"), "{stderr}");
}

#[test]
fn refuses_a_malformed_allowlist_naming_the_entry() {
    let output = api_server()
        .env("NOTION_API_KEY", "ntn_test")
        .env("ADMIN_TOKEN", "0123456789abcdef0123")
        .env(
            "NOTION_DATABASE_ALLOWLIST",
            "d0000000-0000-4000-8000-000000000001:Elections,not-an-id:Other",
        )
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NOTION_DATABASE_ALLOWLIST"), "{stderr}");
    assert!(
        stderr.contains("entry 2") && stderr.contains("not-an-id"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("0123456789abcdef0123"),
        "secret leaked: {stderr}"
    );
}

#[test]
fn logs_the_bound_address_once_and_stops_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let mut child = api_server()
        .args(["--demo", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(&db)
        .env("ADMIN_TOKEN", "binary-test-admin-token")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut addr = None;
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if let Some(at) = line.split("Listening at http://").nth(1) {
            addr = Some(at.trim().to_owned());
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("no 'Listening at' line: {seen:#?}"));
    assert!(!addr.ends_with(":0"), "the real port is logged: {addr}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit {exit:?}: {rest:#?}");
    assert!(
        rest.iter().any(|l| l.contains("gracefully shut down")),
        "{rest:#?}"
    );
    let all = seen
        .iter()
        .chain(rest.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(all.matches("Listening at").count(), 1, "{all}");
    assert!(
        !all.contains("binary-test-admin-token"),
        "the token must not be logged"
    );
}

#[test]
fn a_malformed_value_from_the_environment_exits_78_naming_the_variable() {
    for (variable, value, why) in [
        ("API_WORKERS", "abc", "invalid digit"),
        ("SYNC_INTERVAL", "xyz", "invalid duration"),
        ("MIN_SYNC_INTERVAL", "5x", "the unit must be"),
        ("NOTION_MAX_RPS", "abc", "invalid float"),
        ("RUST_LOG_FORMAT", "xml", "possible values: human, json"),
        ("API_SERVER_DEMO", "maybe", "possible values: true, false"),
        ("EMBEDDED_SYNC", "perhaps", "possible values: true, false"),
    ] {
        // Were the value accepted, the missing ADMIN_TOKEN would stop it (also 78, naming
        // ADMIN_TOKEN): it never starts serving.
        let output = api_server()
            .env("NOTION_API_KEY", "ntn_test")
            .env(variable, value)
            .output()
            .expect("binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(78), "{variable}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "configuration error: {variable}: invalid value \"{value}\""
            )),
            "{variable}: {stderr}"
        );
        assert!(stderr.contains(why), "{variable}: {stderr}");
        assert!(
            !stderr.contains("--"),
            "names the variable, not the flag: {stderr}"
        );
    }
}

#[test]
fn a_malformed_flag_stays_a_usage_error_naming_the_flag() {
    let output = api_server()
        .args(["--workers", "abc"])
        .env("NOTION_API_KEY", "ntn_test")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--workers"), "{stderr}");
}

/// A store holding one real election, as a production store would.
fn production_store(path: &Path) {
    let now: Timestamp = "2026-02-01T10:00:00Z".parse().unwrap();
    let store = SqliteStore::open(path).unwrap();
    store
        .create_election(
            NewElection {
                id: None,
                title: "Board election".into(),
                description: String::new(),
                open_at: "2026-03-01T09:00:00Z".parse().unwrap(),
                close_at: "2026-03-08T09:00:00Z".parse().unwrap(),
            },
            now,
        )
        .unwrap();
}

/// The elections of the store at `path`, and whether the demo marked it as its own.
fn store_contents(path: &Path) -> (Vec<String>, bool) {
    let store = SqliteStore::open(path).unwrap();
    let titles = store
        .list_elections(&store::ListRequest::first(100))
        .unwrap()
        .items
        .into_iter()
        .map(|record| record.election.title)
        .collect();
    (titles, store.is_demo_store().unwrap())
}

#[test]
fn without_a_notion_key_it_exits_78_naming_the_key_and_leaves_the_store_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("elections.db");
    production_store(&db);
    let output = api_server()
        .env("DATABASE_URL", format!("sqlite:{}", db.display()))
        .env("ADMIN_TOKEN", "0123456789abcdef0123")
        .env(
            "NOTION_DATABASE_ALLOWLIST",
            "d0000000-0000-4000-8000-000000000001:Elections",
        )
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("configuration error: NOTION_API_KEY (--notion-api-key): is not set"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Set NOTION_API_KEY") && stderr.contains("--demo"),
        "{stderr}"
    );
    assert_eq!(
        store_contents(&db),
        (vec!["Board election".to_owned()], false)
    );
}

#[test]
fn the_demo_refuses_a_store_it_did_not_create_and_changes_nothing_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("elections.db");
    production_store(&db);
    for demo in [&["--demo"][..], &[]] {
        let mut command = api_server();
        command
            .args(demo)
            .args(["--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", format!("sqlite:{}", db.display()));
        if demo.is_empty() {
            command.env("API_SERVER_DEMO", "true");
        }
        let output = command.output().expect("binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(78), "{stderr}");
        assert!(
            stderr.contains("configuration error: DATABASE_URL (--database-url):"),
            "{stderr}"
        );
        assert!(
            stderr.contains("holds data the demo did not create (elections: 1, sync runs: 0)"),
            "{stderr}"
        );
        assert!(stderr.contains("run without --demo"), "{stderr}");
        assert_eq!(
            store_contents(&db),
            (vec!["Board election".to_owned()], false)
        );
    }
}

#[test]
fn help_never_shows_the_values_of_secrets_set_in_the_environment() {
    let output = api_server()
        .arg("--help")
        .env("ADMIN_TOKEN", "admin-secret-in-the-environment")
        .env("NOTION_API_KEY", "ntn_secret_in_the_environment")
        .output()
        .expect("binary runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    for name in ["ADMIN_TOKEN", "NOTION_API_KEY"] {
        assert!(help.contains(&format!("[env: {name}]")), "{help}");
    }
    assert!(!help.contains("secret-in-the-environment"), "{help}");
    assert!(!help.contains("secret_in_the_environment"), "{help}");
    assert!(
        !help.contains("implied"),
        "demo mode is never implied: {help}"
    );
}

/// The settings every start below needs, and no store: each test names its own.
fn configured_server(dir: &Path) -> Command {
    let mut command = api_server();
    command
        .current_dir(dir)
        .env("NOTION_API_KEY", "ntn_test")
        .env("ADMIN_TOKEN", "0123456789abcdef0123")
        .env(
            "NOTION_DATABASE_ALLOWLIST",
            "d0000000-0000-4000-8000-000000000001:Elections",
        )
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("EMBEDDED_SYNC", "false")
        .env("RUST_LOG", "info");
    command
}

#[test]
fn a_database_url_of_another_kind_exits_78_without_echoing_the_password_or_creating_files() {
    for url in [
        "postgresql://u:PASS@localhost/db",
        "postgres://u:PASS@localhost:5432/db",
        "mysql://u:PASS@localhost/db",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = configured_server(dir.path())
            .env("DATABASE_URL", url)
            .output()
            .expect("binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(78), "{url}: {stderr}");
        assert!(
            stderr.contains("configuration error: DATABASE_URL"),
            "{stderr}"
        );
        assert!(
            stderr.contains("sqlite:PATH"),
            "names what is supported: {stderr}"
        );
        assert!(
            !stderr.contains("PASS"),
            "the password was printed: {stderr}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stdout.contains("PASS"), "{stdout}");
        let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(created.is_empty(), "{url}: created {created:?}");
    }
}

#[test]
fn a_sqlite_url_or_a_bare_path_opens_the_store_there() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    for url in ["sqlite:stores/a.db", "stores/b.db", "sqlite://stores/c.db"] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = configured_server(dir.path())
            .env("DATABASE_URL", url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let mut seen = Vec::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            let listening = line.contains("Listening at http://");
            seen.push(line);
            if listening {
                break;
            }
        }
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let exit = child.wait().unwrap();
        assert!(
            seen.iter().any(|l| l.contains("Listening at http://")),
            "{url}: {seen:#?}"
        );
        assert!(exit.success(), "{url}: {exit:?} {seen:#?}");
        let file = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = dir.path().join(file);
        assert!(path.is_file(), "{url}: no store at {}", path.display());
        assert!(
            seen.iter()
                .any(|l| l.contains("created a new, empty store") && l.contains(file)),
            "{url}: {seen:#?}"
        );
        let store = SqliteStore::open_existing(&path).expect("a store");
        assert!(!store.is_demo_store().unwrap());
    }
}
