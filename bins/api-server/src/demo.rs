//! Demo mode: the emulator's demo workspace plus one extra page, and sample elections linked to it.

use jiff::{SignedDuration, Timestamp};
use notion_client::NotionId;
use notion_emulator::{RowSpec, Workspace, demo};
use serde_json::json;
use store::{NewElection, StoreError};
use sync_driver::{LinkRequest, SyncDriver};
use sync_engine::ElectionId;
use uuid::{Uuid, uuid};

/// The demo page added to the workspace for the election that opens a minute after start.
pub const TREASURER_PAGE: Uuid = uuid!("e0000000-0000-4000-8000-0000000000d1");

/// The demo workspace with one more row ("Treasurer By-election", Not started).
pub fn workspace() -> Workspace {
    let mut workspace = Workspace::demo();
    let row = serde_json::from_value::<RowSpec>(json!({
        "id": TREASURER_PAGE,
        "properties": {
            "Name": "Treasurer By-election",
            "Description": "Opens a minute after the demo starts and closes three minutes later.",
            "Voting Status": "Not started"
        }
    }));
    let elections = workspace
        .databases
        .iter_mut()
        .find(|d| d.id == demo::ELECTIONS_DB)
        .and_then(|d| d.data_sources.first_mut());
    if let (Ok(row), Some(source)) = (row, elections) {
        source.pages.push(row);
    }
    workspace
}

struct Sample {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    page: Uuid,
    open_in: SignedDuration,
    close_in: SignedDuration,
}

fn samples() -> [Sample; 4] {
    let minutes = |m: i64| SignedDuration::from_mins(m);
    [
        Sample {
            id: "elec_demo_board_president",
            title: "Board President 2026",
            description: "Elect the board president for the 2026 term.",
            page: demo::BOARD_PRESIDENT,
            open_in: minutes(3 * 24 * 60),
            close_in: minutes(10 * 24 * 60),
        },
        Sample {
            id: "elec_demo_budget_referendum",
            title: "Budget Referendum",
            description: "Approve or reject the 2026 budget.",
            page: demo::BUDGET_REFERENDUM,
            open_in: minutes(-60),
            close_in: minutes(2 * 24 * 60),
        },
        Sample {
            id: "elec_demo_agm_motions",
            title: "Annual General Meeting Motions",
            description: "Motions for the annual general meeting.",
            page: demo::AGM_MOTIONS,
            open_in: minutes(-10 * 24 * 60),
            close_in: minutes(-3 * 24 * 60),
        },
        Sample {
            id: "elec_demo_treasurer",
            title: "Treasurer By-election",
            description: "Opens a minute after the demo starts and closes three minutes later.",
            page: TREASURER_PAGE,
            open_in: minutes(1),
            close_in: minutes(4),
        },
    ]
}

/// Creates the sample elections (upcoming, open, closed, and one opening a minute from `now`) and
/// links them to the demo pages. Elections that already exist are left as they are, so restarting
/// the demo keeps its store.
pub async fn seed(driver: &SyncDriver, now: Timestamp) -> anyhow::Result<()> {
    for sample in samples() {
        let id = ElectionId::parse(sample.id)?;
        let store = driver.store().clone();
        let new = NewElection {
            id: Some(id.clone()),
            title: sample.title.into(),
            description: sample.description.into(),
            open_at: now + sample.open_in,
            close_at: now + sample.close_in,
        };
        let created = tokio::task::spawn_blocking(move || match store.create_election(new, now) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(error) => Err(error),
        })
        .await??;
        if !created {
            continue;
        }
        let request = LinkRequest {
            database_id: demo::ELECTIONS_DB.to_string(),
            page_id: NotionId::from_bytes(*sample.page.as_bytes()).to_string(),
            ..LinkRequest::default()
        };
        match driver.link(&id, request, now).await {
            Ok(_) => tracing::info!(election = %id, "demo election created and linked"),
            Err(error) => tracing::warn!(election = %id, %error, "demo election not linked"),
        }
    }
    Ok(())
}
