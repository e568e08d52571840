//! What every request handler shares.

use secrecy::SecretString;
use store::SharedStore;
use sync_driver::{Allowlist, SyncDriver};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// The shared state of the app: the store, the admin token, the sync driver (with the Notion client
/// and the allowlist) and the metrics registry. Handlers receive it as `web::Data<AppState>`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store (async: `state.store.get_election(&id).await`).
    pub store: SharedStore,
    /// The bearer token of `/admin`.
    pub admin_token: SecretString,
    /// The sync shell shared with the sync-runner: search, validate, link, unlink, sync.
    pub driver: SyncDriver,
    /// The metrics registry.
    pub metrics: Metrics,
    /// Demo mode: the server also answers the results links (`/e/{election_id}/results`) with a
    /// placeholder page.
    pub demo: bool,
    /// In demo mode, where the built-in emulator shows a page: the admin page links the linked
    /// page there (`{this}{page id}`) instead of to notion.so, which has no such page.
    pub notion_page_view_base: Option<String>,
    /// Cancelled when the server stops: long polls (`GET /admin/changes`) answer at once then.
    pub shutdown: CancellationToken,
}

impl AppState {
    /// The databases that may be searched and linked.
    pub fn allowlist(&self) -> &Allowlist {
        &self.driver.config().allowlist
    }
}
