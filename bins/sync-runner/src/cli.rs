//! The command line: every setting is a flag with an environment fallback (bin-support groups).

use bin_support::{DatabaseArgs, LogArgs, NotionArgs, OAuthArgs, PublicUrlArgs};
use clap::{Args, Parser, Subcommand};

#[cfg(test)]
use crate::exit_codes;

const ABOUT: &str = "The election ↔ Notion sync daemon and its operator CLI";

const LONG_ABOUT: &str = "\
The election ↔ Notion sync daemon and its operator CLI.

`run` keeps every linked Notion page in step with its election: the Status property follows the \
voting phase within about a second of each open/close instant, the results link appears when \
voting opens, and titles and descriptions edited in Notion flow back. The other commands inspect \
and steer it: preview what the next cycle would write, list runs and their logs, read or reset the \
change cursors, pause and resume, and backfill every linked page at once.

Command output goes to stdout (tables, or JSON with --json); logs go to stderr (RUST_LOG, \
--log-format json). Times are UTC, RFC 3339.";

const EXAMPLES: &str = "\
Examples:
  sync-runner run                    # the daemon (NOTION_API_KEY etc. from the environment)
  sync-runner once --preview         # what the next cycle would write and pull; writes nothing
  sync-runner status                 # a row per link: page, Notion status, last error
  sync-runner runs list --limit 5
  sync-runner pause --election elec_board_2026";

/// The text after `--help`: examples, then the exit codes from their one definition.
fn after_help() -> String {
    format!("{EXAMPLES}\n\n{}", crate::exit_codes::HELP)
}

/// `sync-runner`: parse with [`clap::Parser::parse`].
#[derive(Debug, Parser)]
#[command(
    name = "sync-runner",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = after_help()
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every command shares: the store and logging.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The store.
    #[command(flatten)]
    pub store: DatabaseArgs,
    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,
}

/// Settings of the commands that talk to Notion (`run`, `once`, `backfill`).
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Notion access and pacing.
    #[command(flatten)]
    pub notion: NotionArgs,

    /// OAuth connections (other Notion workspaces), when the api-server connects them.
    #[command(flatten)]
    pub oauth: OAuthArgs,

    /// The public URL the results links point at.
    #[command(flatten)]
    pub public: PublicUrlArgs,

    /// Minimum time between two scheduled syncs of one election; a phase change (open/close) is
    /// never held back by it. Durations: 30s, 5m, 1h.
    #[arg(
        long,
        env = "MIN_SYNC_INTERVAL",
        default_value = "60s",
        value_name = "DURATION"
    )]
    pub min_sync_interval: String,

    /// How often each database gets a full read of every linked page (the change query covers
    /// the time in between).
    #[arg(
        long,
        env = "SYNC_RECONCILE_EVERY",
        default_value = "1h",
        value_name = "DURATION"
    )]
    pub reconcile_every: String,

    /// How long the store's sync lease lasts unless renewed; a runner that dies keeps others
    /// waiting at most this long. At least 250s: twice the longest single wait of a Notion
    /// request (a 60 s Retry-After plus a 65 s timeout).
    #[arg(
        long,
        env = "SYNC_LEASE_TTL",
        default_value = "5m",
        value_name = "DURATION"
    )]
    pub lease_ttl: String,

    /// How many Notion connections a cycle syncs at the same time, each within its own budget
    /// (1 walks them one after another).
    #[arg(
        long,
        env = "SYNC_MAX_CONCURRENT_CONNECTIONS",
        default_value_t = sync_driver::DEFAULT_MAX_CONCURRENT_CONNECTIONS,
        value_parser = clap::builder::TypedValueParser::map(
            clap::value_parser!(u16).range(1..=1024),
            usize::from
        ),
        value_name = "N"
    )]
    pub max_concurrent_connections: usize,
}

/// The help heading of the store and logging flags in `run`, `once` and `backfill`.
const STORE_HEADING: &str = "Store and logging";

/// The help heading of the Notion and sync-tuning flags `run`, `once` and `backfill` share, so
/// that each command's own flags come first.
const SYNC_HEADING: &str = "Notion and sync";

/// The heading of a command's own flags after the shared groups: none, so they stay under clap's
/// `Options` (a heading set for a flattened group carries on to the fields after it).
const OWN_FLAGS: Option<&str> = None;

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sync daemon until SIGINT or SIGTERM.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Run one cycle now (or, with --preview, show what it would do and write nothing).
    #[command(after_help = ONCE_HELP)]
    Once(OnceArgs),
    /// Show every link of every election: page, phase, Notion status, last sync, error, paused.
    #[command(after_help = STATUS_HELP)]
    Status(StatusArgs),
    /// The history of sync cycles and what each did.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// The per-database change cursors.
    #[command(subcommand)]
    State(StateCommand),
    /// Stop syncing everything, or one election.
    #[command(after_help = PAUSE_HELP)]
    Pause(PauseArgs),
    /// Restart syncing everything (clears every pause), or one election.
    #[command(after_help = RESUME_HELP)]
    Resume(PauseArgs),
    /// Full reconcile of every linked page now, with progress.
    #[command(after_help = BACKFILL_HELP)]
    Backfill(BackfillArgs),
    /// Notion databases for managed mode.
    #[command(subcommand)]
    Database(DatabaseCommand),
}

impl Command {
    /// The settings shared by every command.
    pub fn common(&self) -> &CommonArgs {
        match self {
            Self::Run(a) => &a.common,
            Self::Once(a) => &a.common,
            Self::Status(a) => &a.common,
            Self::Runs(RunsCommand::List(a)) => &a.common,
            Self::Runs(RunsCommand::Logs(a)) => &a.common,
            Self::State(StateCommand::Get(a)) => &a.common,
            Self::State(StateCommand::Reset(a)) => &a.common,
            Self::Pause(a) | Self::Resume(a) => &a.common,
            Self::Backfill(a) => &a.common,
            Self::Database(DatabaseCommand::Create(a)) => &a.common,
        }
    }
}

const RUN_HELP: &str = "\
Cycles every --interval and also wakes at each upcoming open/close instant of a linked election. \
Stops gracefully on SIGINT or SIGTERM: the write in flight finishes and is recorded, then exit 0.

Examples:
  NOTION_API_KEY=ntn_… NOTION_DATABASE_ALLOWLIST='1a2b…:Elections' sync-runner run
  sync-runner run --interval 30s --reconcile-every 30m --log-format json";

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Store and logging.
    #[command(flatten, next_help_heading = STORE_HEADING)]
    pub common: CommonArgs,
    /// Notion and sync tuning.
    #[command(flatten, next_help_heading = SYNC_HEADING)]
    pub sync: SyncArgs,
    /// Time between two polling cycles (phase changes wake the daemon in between).
    #[arg(
        long,
        env = "SYNC_INTERVAL",
        help_heading = OWN_FLAGS,
        default_value = "60s",
        value_name = "DURATION"
    )]
    pub interval: String,
    /// Time between two polling cycles while Notion webhooks are healthy (an active
    /// verification token and an event within --webhook-healthy-window): events bring edits
    /// within seconds, and the poll only repairs what Notion dropped. The hourly reconcile stays.
    #[arg(
        long,
        env = "SYNC_POLL_INTERVAL_WITH_WEBHOOKS",
        help_heading = OWN_FLAGS,
        default_value = "10m",
        value_name = "DURATION"
    )]
    pub poll_interval_with_webhooks: String,
    /// How recent the last webhook event must be for webhooks to count as healthy.
    #[arg(
        long,
        env = "WEBHOOK_HEALTHY_WINDOW",
        help_heading = OWN_FLAGS,
        default_value = "30m",
        value_name = "DURATION"
    )]
    pub webhook_healthy_window: String,
}

const ONCE_HELP: &str = "\
Without --force, the cycle is the one the daemon would run now: elections synced less than \
--min-sync-interval ago, or backing off after a failure, are left alone. --election and --force sync \
regardless (like the admin API's \"Sync with Notion\" button). An election linked to several \
Notion pages is planned once per link: the preview has rows for each link (LINK, PAGE), and in \
--json each plan names its link_id.

Examples:
  sync-runner once --preview                  # a row per link and property: current → desired
  sync-runner once --preview --json           # the same plans as JSON
  sync-runner once --election elec_board_2026
  sync-runner once --force";

/// `once`.
#[derive(Debug, Args)]
pub struct OnceArgs {
    /// Store and logging.
    #[command(flatten, next_help_heading = STORE_HEADING)]
    pub common: CommonArgs,
    /// Notion and sync tuning.
    #[command(flatten, next_help_heading = SYNC_HEADING)]
    pub sync: SyncArgs,
    /// Only this election (ignores the interval and backoff).
    #[arg(long, value_name = "ELECTION_ID", help_heading = OWN_FLAGS)]
    pub election: Option<String>,
    /// Read Notion and print the planned writes and pulls; write nothing (not Notion, not the store).
    #[arg(long, help_heading = OWN_FLAGS)]
    pub preview: bool,
    /// Sync every linked, unpaused election, ignoring the minimum interval and backoff.
    #[arg(long, help_heading = OWN_FLAGS)]
    pub force: bool,
    /// Print JSON instead of a table.
    #[arg(long, help_heading = OWN_FLAGS)]
    pub json: bool,
}

const STATUS_HELP: &str = "\
One row per link: an election linked to several Notion pages has a row for each, with the end of \
the link's id (the whole id is in --json) and whether it is the primary link. The Notion status \
is the last one observed (or written) by the sync, DESIRED the one the link's mapping gives the \
phase now. Paused is `yes` for an election paused by itself and `global` when everything is paused.

Examples:
  sync-runner status
  sync-runner status --json | jq '.elections[] | select(.last_error != null)'";

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Store and logging.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How recent the last webhook event must be for webhooks to count as healthy (as `run`).
    #[arg(
        long,
        env = "WEBHOOK_HEALTHY_WINDOW",
        default_value = "30m",
        value_name = "DURATION"
    )]
    pub webhook_healthy_window: String,
}

/// `runs …`.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// The most recent cycles with changes, newest first (`--all`: idle cycles too).
    #[command(
        after_help = "A cycle with changes read pages, wrote, pulled or failed something, failed as a whole, or is \
unfinished; the others are idle cycles (one empty change query), listed only with --all.\n\n\
Examples:\n  sync-runner runs list\n  sync-runner runs list --all --limit 100 --json"
    )]
    List(RunsListArgs),
    /// What one cycle did, election by election.
    #[command(
        after_help = "Examples:\n  sync-runner runs logs 01936f4e-8c2a-7c31-9d4e-2b7f3a1c0d55\n  sync-runner runs logs 01936f4e-8c2a-7c31-9d4e-2b7f3a1c0d55 --json"
    )]
    Logs(RunsLogsArgs),
}

/// `runs list`.
#[derive(Debug, Args)]
pub struct RunsListArgs {
    /// Store and logging.
    #[command(flatten)]
    pub common: CommonArgs,
    /// How many runs (1 to 1000).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
    /// List every run, idle cycles included (default: only the runs with changes).
    #[arg(long)]
    pub all: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `runs logs`.
#[derive(Debug, Args)]
pub struct RunsLogsArgs {
    /// Store and logging.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The run, as `runs list` prints it.
    pub run_id: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `state …`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Each linked database's change cursor and last full reconcile.
    #[command(after_help = "Examples:\n  sync-runner state get\n  sync-runner state get --json")]
    Get(StateGetArgs),
    /// Forget the change cursor of one database (or all), so the next cycle reads every page.
    #[command(
        after_help = "Examples:\n  sync-runner state reset                                        # every database\n  sync-runner state reset d0000000-0000-4000-8000-000000000001   # id, 32 hex or Notion URL"
    )]
    Reset(StateResetArgs),
}

/// `state get`.
#[derive(Debug, Args)]
pub struct StateGetArgs {
    /// Store and logging.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `state reset`.
#[derive(Debug, Args)]
pub struct StateResetArgs {
    /// Store and logging.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The Notion database (dashed UUID, 32 hex characters or its URL) of a linked election; all
    /// when absent.
    #[arg(value_name = "DATABASE_ID")]
    pub database: Option<String>,
}

const PAUSE_HELP: &str = "\
A paused election is skipped by every cycle (the admin API's manual sync still works). Pausing \
everything also stops the daemon's writes until `resume`.

Examples:
  sync-runner pause
  sync-runner pause --election elec_board_2026";

const RESUME_HELP: &str = "\
`resume` without --election clears the global pause and every per-election pause.

Examples:
  sync-runner resume
  sync-runner resume --election elec_board_2026";

/// `pause` and `resume`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Store and logging.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Only this election (every one of its links); everything when absent.
    #[arg(long, value_name = "ELECTION_ID")]
    pub election: Option<String>,
}

const BACKFILL_HELP: &str = "\
Reads every linked page of every database (ceil(N/100) queries per database), plans every \
unpaused election and writes what differs. Shows a progress bar on a terminal, log lines otherwise.

Examples:
  sync-runner backfill
  sync-runner backfill --json        # the run summary as JSON
  sync-runner backfill --database 1a2b… --preview  # plan a managed pass
  sync-runner backfill --database 1a2b… --allow-mass-delete";

/// `backfill`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Store and logging.
    #[command(flatten, next_help_heading = STORE_HEADING)]
    pub common: CommonArgs,
    /// Notion and sync tuning.
    #[command(flatten, next_help_heading = SYNC_HEADING)]
    pub sync: SyncArgs,
    /// Print the summary as JSON.
    #[arg(long, help_heading = OWN_FLAGS)]
    pub json: bool,
    /// The replace pass of this managed database only: read every page, give every election its
    /// page, then sweep the pages whose key names no election (issue 12).
    #[arg(long, value_name = "ID", help_heading = OWN_FLAGS)]
    pub database: Option<String>,
    /// With --database: print every create, update and trash, write nothing.
    #[arg(long, requires = "database", help_heading = OWN_FLAGS)]
    pub preview: bool,
    /// With --database: the most pages the sweep may trash before the brake halts it.
    #[arg(long, value_name = "N", default_value_t = sync_engine::DEFAULT_MAX_DELETES, requires = "database", help_heading = OWN_FLAGS)]
    pub max_deletes: usize,
    /// With --database: lift the brake (more than half of the managed pages, or more than
    /// --max-deletes) for this one run.
    #[arg(long, requires = "database", help_heading = OWN_FLAGS)]
    pub allow_mass_delete: bool,
}

/// `database …`.
#[derive(Debug, Subcommand)]
pub enum DatabaseCommand {
    /// Create a database with the schema a managed database needs (title, "Election ID",
    /// "Voting Status", "Results Link", "Voting Window", "Description") under a Notion page.
    #[command(after_help = DATABASE_CREATE_HELP)]
    Create(DatabaseCreateArgs),
}

const DATABASE_CREATE_HELP: &str = "\
The page must be shared with the integration (NOTION_API_KEY): in Notion, ••• → Connections. \
Prints the new database's id, then how to allow it (NOTION_DATABASE_ALLOWLIST) and switch it to \
managed.

Examples:
  sync-runner database create --parent 1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6
  sync-runner database create --parent 1a2b… --title 'Board elections'
  sync-runner database create --parent 1a2b… --json";

/// `database create`.
#[derive(Debug, Args)]
pub struct DatabaseCreateArgs {
    /// Store and logging.
    #[command(flatten, next_help_heading = STORE_HEADING)]
    pub common: CommonArgs,
    /// Notion and sync tuning.
    #[command(flatten, next_help_heading = SYNC_HEADING)]
    pub sync: SyncArgs,
    /// The Notion page the database goes in: its id (32 hex characters or a dashed UUID) or URL.
    #[arg(long, value_name = "PAGE_ID", help_heading = OWN_FLAGS)]
    pub parent: String,
    /// The database's title.
    #[arg(long, default_value = "Elections", help_heading = OWN_FLAGS)]
    pub title: String,
    /// Print the result as JSON.
    #[arg(long, help_heading = OWN_FLAGS)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_the_exit_codes_of_the_exit_codes_module() {
        assert!(after_help().ends_with(exit_codes::HELP));
    }

    /// Each command's help lists only the flags it uses: the store and logging everywhere, Notion
    /// and the public base URL only where a cycle runs.
    #[test]
    fn each_command_shows_only_the_flags_it_uses() {
        use clap::CommandFactory;

        let mut cli = Cli::command();
        cli.build();
        let flags = |path: &[&str]| -> Vec<String> {
            let mut command = &cli;
            for name in path {
                command = command.find_subcommand(name).expect("subcommand");
            }
            command
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect()
        };
        let syncing = [
            "--base-url",
            "--notion-api-key",
            "--notion-api-base",
            "--max-rps",
            "--max-rpm",
        ];
        for path in [
            &["run"][..],
            &["once"],
            &["backfill"],
            &["database", "create"],
        ] {
            let flags = flags(path);
            for flag in syncing.iter().chain(&["--database-url", "--log-format"]) {
                assert!(
                    flags.contains(&flag[2..].to_owned()),
                    "{path:?} lacks {flag}"
                );
            }
        }
        for path in [
            &["status"][..],
            &["runs", "list"],
            &["runs", "logs"],
            &["state", "get"],
            &["state", "reset"],
            &["pause"],
            &["resume"],
        ] {
            let flags = flags(path);
            assert!(flags.contains(&"database-url".to_owned()), "{path:?}");
            for flag in syncing {
                assert!(
                    !flags.contains(&flag[2..].to_owned()),
                    "{path:?} lists {flag}"
                );
            }
        }
    }

    /// The commands that talk to Notion list their own flags first, then the shared groups under
    /// their headings, so the long Notion group does not bury them.
    #[test]
    fn syncing_commands_group_the_shared_flags_under_headings() {
        use clap::CommandFactory;

        let mut cli = Cli::command();
        cli.build();
        for (name, own) in [
            ("run", &["--interval"][..]),
            ("once", &["--election", "--preview", "--force", "--json"]),
            ("backfill", &["--json"]),
        ] {
            let help = cli
                .find_subcommand_mut(name)
                .expect("subcommand")
                .render_long_help()
                .to_string();
            let at = |text: &str| {
                help.find(text)
                    .unwrap_or_else(|| panic!("{name}: {text:?} missing:\n{help}"))
            };
            let store = at("\nStore and logging:\n");
            let notion = at("\nNotion and sync:\n");
            assert!(
                at("Options:\n") < store && store < notion,
                "{name}:\n{help}"
            );
            assert!(store < at("--database-url") && at("--database-url") < notion);
            assert!(notion < at("--notion-api-key") && notion < at("--lease-ttl"));
            for flag in own {
                assert!(
                    at(&format!("      {flag}")) < store,
                    "{name}: {flag}\n{help}"
                );
            }
        }
    }

    #[test]
    fn the_top_help_says_what_the_commands_do_without_citing_another_tool() {
        use clap::CommandFactory;

        let help = Cli::command().render_long_help().to_string();
        assert!(!help.contains("ntn "), "{help}");
        assert!(
            help.contains("preview what the next cycle would write"),
            "{help}"
        );
    }

    /// clap wraps help text at 100 columns: an example line longer than that used to continue
    /// its comment on an unindented line of its own, which reads like another command.
    #[test]
    fn example_lines_fit_the_help_width_unwrapped() {
        use clap::CommandFactory;

        fn check(command: &mut clap::Command, path: &str) {
            let help = command.render_long_help().to_string();
            let mut in_examples = false;
            for line in help.lines() {
                if line == "Examples:" {
                    in_examples = true;
                } else if line.is_empty() || line.ends_with(':') {
                    in_examples = false;
                } else if in_examples {
                    assert!(
                        line.starts_with("  sync-runner ")
                            || line.starts_with("  NOTION_API_KEY=")
                            || line.starts_with("       "),
                        "{path}: an example line was wrapped: {line:?}\n{help}"
                    );
                }
            }
            for sub in command.get_subcommands_mut() {
                let name = sub.get_name().to_owned();
                check(sub, &format!("{path} {name}"));
            }
        }
        let mut command = Cli::command().term_width(100);
        command.build();
        check(&mut command, "sync-runner");
    }
}
