#![doc = include_str!("../README.md")]

mod args;
mod cli_error;
mod duration;
mod logging;
mod oauth;
mod settings;
mod shutdown;

pub use args::{DEFAULT_DATABASE_URL, DatabaseArgs, LogArgs, LogFormat, NotionArgs, PublicUrlArgs};
pub use cli_error::env_value_error;
pub use duration::{DurationError, parse_duration};
pub use logging::init_tracing;
pub use oauth::{OAuthArgs, OAuthConfig};
pub use settings::{ConfigError, NotionSettings};
pub use shutdown::shutdown_token;

/// The exit code of both binaries for a missing or invalid setting (the message names the
/// variable): `EX_CONFIG` of sysexits.h, so init systems and scripts read it the same way for both.
pub const EXIT_CONFIG: u8 = 78;
