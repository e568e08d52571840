//! What every request handler shares.

use std::sync::Arc;

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
    /// OAuth ("Connect a Notion workspace"), when configured.
    pub oauth: Option<Arc<OAuthApp>>,
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

/// What the connection routes need of OAuth: the public integration's credentials (the token
/// exchange, revoke), the key tokens are sealed with, and where Notion's consent starts and ends.
pub struct OAuthApp {
    /// The public integration's client id (for the authorize URL; the secret and the token key
    /// stay with the sync driver, which exchanges, seals and revokes).
    pub client_id: String,
    /// Where Notion sends the admin back (`NOTION_OAUTH_REDIRECT_URI`).
    pub redirect_uri: String,
    /// Notion's authorize URL (`{NOTION_API_BASE}/v1/oauth/authorize`).
    pub authorize_url: String,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret or the key.
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The databases that may be searched and linked.
    pub fn allowlist(&self) -> &Allowlist {
        &self.driver.config().allowlist
    }
}
