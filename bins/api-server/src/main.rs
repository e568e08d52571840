//! The api-server binary: parse flags, set up logging, run until SIGINT or SIGTERM.

use std::process::ExitCode;

use api_server::{Cli, start};
use clap::Parser;

/// Exit code for a missing or malformed setting.
const EXIT_CONFIG: u8 = 78;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Err(error) => {
            eprintln!("api-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}
