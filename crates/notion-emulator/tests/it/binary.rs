//! The `notion-emulator` binary itself.

use std::process::Command;

#[test]
fn help_never_shows_the_token_set_in_the_environment() {
    let output = Command::new(env!("CARGO_BIN_EXE_notion-emulator"))
        .arg("--help")
        .env(
            "NOTION_EMULATOR_TOKEN",
            "ntn_secret_emulator_token_from_env",
        )
        .output()
        .expect("binary runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    assert!(help.contains("[env: NOTION_EMULATOR_TOKEN]"), "{help}");
    assert!(
        !help.contains("ntn_secret_emulator_token_from_env"),
        "{help}"
    );
}
