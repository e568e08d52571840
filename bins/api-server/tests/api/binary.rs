//! The compiled binary: refuses to start on bad configuration, naming the variable.

use std::process::Command;

fn api_server() -> Command {
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
