#![doc = include_str!("../README.md")]

pub mod cli;
mod commands;
mod config;
mod error;
pub mod exit_codes;
mod output;

use std::process::ExitCode;

use clap::Parser;

pub use cli::Cli;
pub use error::RunnerError;

/// The whole program: parse the command line, set up logging, run the command, and turn the
/// outcome into an exit code ([`exit_codes`]). Errors are printed on stderr with their causes.
pub fn main_impl() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            // A malformed value from the environment is configuration (exit 78, naming the
            // variable), not a usage error naming the flag.
            let command = <Cli as clap::CommandFactory>::command();
            if let Some(message) = bin_support::env_value_error(&command, &error, &args) {
                eprintln!("error: {message}");
                return ExitCode::from(exit_codes::CONFIG_INVALID);
            }
            error.exit();
        }
    };
    bin_support::init_tracing(cli.command.common().log.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(exit_codes::UNEXPECTED);
        }
    };
    let outcome = runtime.block_on(commands::dispatch(cli.command));
    // Do not wait for blocking store calls or a signal listener left behind.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(error.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        crate::Cli::command().debug_assert();
    }
}
