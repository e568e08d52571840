//! One logging set-up for every binary.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::LogFormat;

/// Installs the global tracing subscriber: logs go to stderr (stdout is for command output), filtered
/// by `RUST_LOG` (default `info`), as compact human lines or one JSON object per line.
///
/// Human lines are coloured only when stderr is a terminal and `NO_COLOR` is unset, so log files and
/// collectors never receive escape codes.
///
/// Calling it twice is harmless: the second call keeps the first subscriber.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::builder()
        .with_default_directive(tracing::Level::INFO.into())
        .from_env_lossy();
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Human => registry
            .with(
                fmt::layer()
                    .compact()
                    .with_ansi(use_colour())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // An error only means a subscriber is already installed (e.g. by a test harness).
    drop(result);
}

/// Colour only for a person at a terminal who has not opted out (<https://no-color.org>).
fn use_colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
