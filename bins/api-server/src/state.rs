//! What every request handler shares.

use std::sync::Arc;

use notion_client::NotionClient;
use secrecy::SecretString;
use store::Store;

use crate::allowlist::Allowlist;
use crate::metrics::Metrics;

/// The shared state of the app: the store, the admin token, the allowlist, the Notion client and
/// the metrics registry. Handlers receive it as `web::Data<AppState>`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The SQLite store (call it inside `web::block`).
    pub store: Arc<Store>,
    /// The bearer token of `/admin`.
    pub admin_token: SecretString,
    /// Databases that may be searched and linked.
    pub allowlist: Allowlist,
    /// The Notion client (its counters feed `/metrics`).
    pub notion: NotionClient,
    /// Public base URL of the voting app (results links).
    pub base_url: String,
    /// The metrics registry.
    pub metrics: Metrics,
}
