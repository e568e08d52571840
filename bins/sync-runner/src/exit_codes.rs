//! The process exit codes of `sync-runner`, in one place (documented in `--help` and
//! docs/OPERATIONS.md). Unexpected failures always exit with [`UNEXPECTED`].

/// Everything went as asked (for `once`/`backfill`: every election synced or had nothing to do).
pub const OK: u8 = 0;
/// An unexpected failure: store IO, a bug, anything not listed below.
pub const UNEXPECTED: u8 = 1;
/// Bad usage: unknown flag or command (clap's own code), or an argument that names nothing (an
/// unknown run id or election).
pub const USAGE: u8 = 2;
/// The configuration is missing or invalid; the message names the variable (e.g. `NOTION_API_KEY`).
/// The same code as the api-server's ([`bin_support::EXIT_CONFIG`], sysexits' `EX_CONFIG`).
pub const CONFIG_INVALID: u8 = bin_support::EXIT_CONFIG;
/// Notion refused the integration token (401/403): fix `NOTION_API_KEY` or the integration.
pub const NOTION_AUTH_FAILED: u8 = 4;
/// The cycle ran but some elections failed; `status` shows each one's `notion_last_sync_error`.
pub const PARTIAL_SYNC: u8 = 5;
/// Another runner holds the store's sync lease; nothing was done. Retry later (or stop the other).
pub const LEASE_HELD: u8 = 6;

/// The table shown at the end of `--help`.
pub const HELP: &str = "\
Exit codes:
  0  ok
  1  unexpected error
  2  usage error (bad flag, unknown run id or election)
  78 configuration missing or invalid (the message names the variable)
  4  Notion refused the token (401/403)
  5  partial sync: some elections failed (see `sync-runner status`)
  6  another runner holds the sync lease";
