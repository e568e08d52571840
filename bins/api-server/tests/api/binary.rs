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
