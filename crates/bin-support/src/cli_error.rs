//! Invalid values read from environment variables, reported as configuration errors.
//!
//! clap checks a flag's value whether it came from the command line or from its `env` fallback,
//! and reports both as a usage error naming the flag (`invalid value 'abc' for '--max-rps'`, exit
//! 2). A malformed `NOTION_MAX_RPS` in a service's environment file is a configuration error:
//! [`env_value_error`] recognises it so the binary can name the variable and exit with its
//! configuration code.

use std::error::Error as _;
use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// When `error` (from parsing `args` with `command`) is an invalid value that came from an
/// environment variable rather than from the command line, `NAME: what is wrong`; else `None`.
pub fn env_value_error(
    command: &clap::Command,
    error: &clap::Error,
    args: &[OsString],
) -> Option<String> {
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let ContextValue::String(shown) = error.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let long = shown.split_whitespace().next()?.strip_prefix("--")?;
    let flag = format!("--{long}");
    let on_command_line = args.iter().skip(1).any(|a| {
        let a = a.to_string_lossy();
        a == flag || a.starts_with(&format!("{flag}="))
    });
    if on_command_line {
        return None;
    }
    let variable = find_env(command, long)?;
    let value = match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value.clone(),
        _ => std::env::var(&variable).unwrap_or_default(),
    };
    let mut message = format!("{variable}: invalid value {value:?}");
    if let Some(source) = error.source() {
        message.push_str(&format!(": {source}"));
    }
    if let Some(ContextValue::Strings(valid)) = error.get(ContextKind::ValidValue) {
        message.push_str(&format!(" (possible values: {})", valid.join(", ")));
    }
    Some(message)
}

/// The environment variable of the argument `--long` in `command` or any subcommand.
fn find_env(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .or_else(|| {
            command
                .get_subcommands()
                .find_map(|sub| find_env(sub, long))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogFormat;
    use clap::{CommandFactory, Parser};

    // Variables of their own, so no other test sees them.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Sub {
        Go {
            #[arg(long = "rate", env = "BIN_SUPPORT_TEST_RATE", default_value_t = 2.5)]
            rate: f64,
            #[arg(long = "format", env = "BIN_SUPPORT_TEST_FORMAT", value_enum, default_value_t = LogFormat::Human)]
            format: LogFormat,
        },
    }

    fn check(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let error = Cli::try_parse_from(&args).expect_err("invalid");
        env_value_error(&Cli::command(), &error, &args)
    }

    // The environment cases are tested on the binaries (tests/e2e of sync-runner): a test here
    // cannot set variables (no `unsafe`), so only what must stay clap's own error is checked.
    #[test]
    fn command_line_mistakes_stay_usage_errors() {
        assert_eq!(check(&["x", "go", "--rate", "abc"]), None);
        assert_eq!(check(&["x", "go", "--rate=2", "--format=xml"]), None);
        assert_eq!(check(&["x", "nope"]), None);
    }
}
