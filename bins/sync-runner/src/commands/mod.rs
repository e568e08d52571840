//! One module per command. Each returns the process exit code or a [`RunnerError`].

mod backfill;
mod database;
mod inspect;
mod once;
mod pause;
mod preview;
mod run;

use crate::cli::{Command, DatabaseCommand, RunsCommand, StateCommand};
use crate::error::Result;

/// Runs the parsed command.
pub(crate) async fn dispatch(command: Command) -> Result<u8> {
    match command {
        Command::Run(args) => run::run(args).await,
        Command::Once(args) => once::once(args).await,
        Command::Status(args) => inspect::status(args).await,
        Command::Runs(RunsCommand::List(args)) => inspect::runs_list(args).await,
        Command::Runs(RunsCommand::Logs(args)) => inspect::runs_logs(args).await,
        Command::State(StateCommand::Get(args)) => inspect::state_get(args).await,
        Command::State(StateCommand::Reset(args)) => inspect::state_reset(args).await,
        Command::Pause(args) => pause::pause(args, true).await,
        Command::Resume(args) => pause::pause(args, false).await,
        Command::Backfill(args) => backfill::backfill(args).await,
        Command::Database(DatabaseCommand::Create(args)) => database::create(args).await,
    }
}

/// Parses an election id given on the command line.
pub(crate) fn election_id(text: &str) -> Result<sync_engine::ElectionId> {
    sync_engine::ElectionId::parse(text.trim())
        .map_err(|e| crate::error::RunnerError::Usage(format!("--election: {e}")))
}
