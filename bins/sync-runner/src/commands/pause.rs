//! `pause` and `resume`.

use jiff::Timestamp;
use store::PauseScope;

use crate::cli::PauseArgs;
use crate::commands::election_id;
use crate::config::open_store;
use crate::error::Result;
use crate::exit_codes;
use crate::output::{print, time};

/// Pauses (`pause == true`) or resumes everything or one election.
pub(crate) async fn pause(args: PauseArgs, pause: bool) -> Result<u8> {
    let store = open_store(&args.common.store).await?;
    let scope = match &args.election {
        Some(id) => PauseScope::Election(election_id(id)?),
        None => PauseScope::All,
    };
    let now = Timestamp::now();
    if pause {
        store.pause(&scope, now).await?;
    } else {
        store.resume(&scope).await?;
    }
    let status = store.pause_status().await?;
    let mut text = match (&scope, pause) {
        (PauseScope::All, true) => format!(
            "Paused: no election is synced until `sync-runner resume` (paused since {}).\n",
            time(status.global_paused_at)
        ),
        (PauseScope::All, false) => {
            "Resumed: every election is synced again (global and per-election pauses cleared).\n"
                .to_owned()
        }
        (PauseScope::Election(id), true) => {
            format!(
                "Paused {id}: it is skipped by every cycle until `sync-runner resume --election {id}`.\n"
            )
        }
        (PauseScope::Election(id), false) => format!("Resumed {id}.\n"),
    };
    if !pause && matches!(scope, PauseScope::Election(_)) && status.global_paused_at.is_some() {
        text.push_str(
            "Note: everything is still paused globally; `sync-runner resume` lifts it.\n",
        );
    }
    print(&text).map_err(anyhow::Error::from)?;
    tracing::info!(?scope, pause, "pause flags changed");
    Ok(exit_codes::OK)
}
