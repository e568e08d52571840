//! Demo mode: the emulator's demo workspace plus one extra page, and sample elections linked to it.
//!
//! Every demo run starts over: the built-in emulator starts fresh, so the demo empties its own
//! store and seeds the elections again relative to the new start, and the story ("Not started",
//! then "In Voting", then "Done") plays again. It never touches a store it did not create.

use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_client::NotionId;
use notion_emulator::{RowSpec, Workspace, demo};
use serde_json::json;
use store::{DemoClaim, NewElection, SharedStore, StoreErrorKind};
use sync_driver::{LinkRequest, SyncDriver};
use sync_engine::ElectionId;
use uuid::{Uuid, uuid};

use crate::config::{ConfigError, DEMO_DATABASE_PATH};

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

/// `workspace` with `redirect_uri` added to the demo OAuth app's redirect URIs (in every workspace
/// that lists it), so that the emulator sends the admin back to this server's own callback.
pub fn with_oauth_redirect(mut workspace: Workspace, redirect_uri: &str) -> Workspace {
    fn add(workspace: &mut Workspace, redirect_uri: &str) {
        for client in &mut workspace.oauth_clients {
            if client.client_id == demo::OAUTH_CLIENT_ID
                && !client.redirect_uris.iter().any(|u| u == redirect_uri)
            {
                client.redirect_uris.push(redirect_uri.to_owned());
            }
        }
        for inner in &mut workspace.workspaces {
            add(inner, redirect_uri);
        }
    }
    add(&mut workspace, redirect_uri);
    workspace
}

/// Deletes the OAuth connections an earlier demo run made: their tokens belonged to that run's
/// emulator. The internal connection stays.
pub async fn forget_connections(store: &SharedStore) -> anyhow::Result<()> {
    for connection in store.list_connections().await? {
        if !connection.id.is_internal() {
            store.delete_connection(&connection.id).await?;
        }
    }
    Ok(())
}

struct Sample {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    page: Uuid,
    open_in: SignedDuration,
    close_in: SignedDuration,
}

/// The samples; the one that opens soon opens one `step` after start and closes four after.
fn samples(step: SignedDuration) -> [Sample; 4] {
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
            open_in: step,
            close_in: step * 4,
        },
    ]
}

/// Makes the store at `path` ready for a fresh demo run: empties it if an earlier demo run created
/// it, marks it as the demo's if it is empty, and refuses (a [`ConfigError`] naming
/// `DATABASE_URL`) a store that holds anything else, changing nothing in it.
pub async fn claim_store(store: &SharedStore, path: &Path, now: Timestamp) -> anyhow::Result<()> {
    let claim = store.claim_for_demo(now).await?;
    match claim {
        DemoClaim::Marked => tracing::info!(store = %path.display(), "new demo store"),
        DemoClaim::Reset { elections } => tracing::info!(
            store = %path.display(),
            elections,
            "demo store emptied: the demo starts over"
        ),
        DemoClaim::Refused { elections, runs } => {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "--database-url",
                format!(
                    "{} holds data the demo did not create (elections: {elections}, sync runs: {runs}): the demo empties its store at every start, so it only runs on a store of its own. Leave DATABASE_URL unset (the demo then uses {DEMO_DATABASE_PATH}) or point it at a new file; to serve this store, run without --demo and set NOTION_API_KEY",
                    path.display()
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// Creates the sample elections (upcoming, open, closed, and one opening one `step` after `now`,
/// closing four steps after it) and links them to the demo pages. Run on a store
/// [`claim_store`] emptied: an election that exists already is left as it is.
pub async fn seed(driver: &SyncDriver, now: Timestamp, step: Duration) -> anyhow::Result<()> {
    let step = SignedDuration::try_from(step)?;
    for sample in samples(step) {
        let id = ElectionId::parse(sample.id)?;
        let new = NewElection {
            id: Some(id.clone()),
            title: sample.title.into(),
            description: sample.description.into(),
            open_at: now + sample.open_in,
            close_at: now + sample.close_in,
        };
        let created = match driver.store().create_election(new, now).await {
            Ok(_) => true,
            Err(error) if error.kind() == StoreErrorKind::Conflict => false,
            Err(error) => return Err(error.into()),
        };
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

/// Subscribes the built-in emulator to this server's own webhook receiver (`url`) and confirms
/// the token once its verification POST arrived, as an admin would paste it into Notion: from
/// then on an edit in the emulator's workspace reaches its election within seconds (the
/// embedded sync loop processes the events at once). The subscription has no realism knobs:
/// events arrive at once, in order, none dropped.
pub async fn subscribe_webhooks(
    emulator: &notion_emulator::Emulator,
    store: &SharedStore,
    url: String,
) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;

    let subscription = emulator
        .subscribe_webhook(notion_emulator::WebhookSpec::new(url))
        .map_err(|e| {
            anyhow::anyhow!("cannot subscribe the emulator to the webhook receiver: {e}")
        })?;
    let connection = store::ConnectionId::internal();
    // The verification POST arrives over HTTP: wait for it (a few milliseconds, normally).
    for _ in 0..200 {
        let tokens = store.webhook_tokens(&connection).await?;
        if tokens
            .pending
            .is_some_and(|p| p.token.expose_secret() == subscription.verification_token)
        {
            store
                .confirm_webhook_token(&connection, Timestamp::now())
                .await?;
            tracing::info!(
                "demo: the emulator's webhook subscription is confirmed; edits reach the elections within seconds"
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the emulator's webhook verification POST did not arrive within 10 s")
}
