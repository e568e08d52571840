//! The api-server binary: parse flags, set up logging, run until SIGINT or SIGTERM.

use std::process::ExitCode;

use api_server::{Cli, start};
use clap::{CommandFactory, Parser};

use bin_support::EXIT_CONFIG;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            // A malformed value from the environment (`API_WORKERS=abc`) is configuration: exit 78
            // naming the variable, not clap's usage error (exit 2) naming the flag.
            if let Some(message) = bin_support::env_value_error(&Cli::command(), &error, &args) {
                eprintln!("api-server: configuration error: {message}");
                return ExitCode::from(EXIT_CONFIG);
            }
            error.exit();
        }
    };
    bin_support::init_tracing(cli.log.log_format);
    let settings = match cli.settings() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("api-server: configuration error: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let shutdown = bin_support::shutdown_token();
    let result = match start(settings, shutdown).await {
        Ok(server) => server.wait().await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => {
            tracing::info!("gracefully shut down");
            ExitCode::SUCCESS
        }
        // A setting that only start-up can check (the demo refusing a store that is not its own).
        Err(error) if error.downcast_ref::<api_server::ConfigError>().is_some() => {
            eprintln!("api-server: configuration error: {error}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(error) => {
            eprintln!("api-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}
