//! OAuth connections as the driver uses them: opened from the store when first needed (the
//! token unsealed, a client with a pacer of its own), refreshed single-flight across processes,
//! and marked for re-authorization when Notion refuses the refresh token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use jiff::{SignedDuration, Timestamp};
use notion_client::{
    NotionClient, NotionClientBuilder, NotionError, NotionId, OAuthCredentials, OAuthToken,
    SearchObject, SearchRequest, SearchResult,
};
use secrecy::SecretString;
use store::{
    ConnectionId, ConnectionRecord, ConnectionState, LeaseKey, NewOAuthConnection, SealedToken,
    StoreErrorKind,
};
use token_seal::TokenKey;

use crate::{Allowlist, AllowlistEntry, Connection, DriverError, SyncDriver};

/// How long before its expiry an access token is refreshed, so a request never starts with a
/// token about to lapse.
const REFRESH_AHEAD: SignedDuration = SignedDuration::from_secs(60);

/// How long a refresh may hold its lease; a refresh is one Notion request.
const REFRESH_LEASE_TTL: SignedDuration = SignedDuration::from_secs(30);

/// What a process needs to use OAuth connections: the public integration's credentials, the key
/// tokens are sealed with, and the template of every connection's client (base URL, Notion
/// version, retry policy, default budget).
pub struct OAuthSettings {
    /// The public integration's client id and secret (`NOTION_OAUTH_CLIENT_ID` / `_SECRET`).
    pub credentials: OAuthCredentials,
    /// The key tokens are sealed with (`TOKEN_ENCRYPTION_KEY`).
    pub token_key: Arc<TokenKey>,
    /// The template each connection's client is built from (without a token; a connection's
    /// stored budget replaces the template's).
    pub client_template: NotionClientBuilder,
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// The OAuth side of a driver: its settings and the clients opened so far (one per connection,
/// each with its own pacer, kept for the life of the process so budgets persist), each with the
/// budget it was built with.
pub(crate) struct OAuthConnections {
    pub(crate) settings: OAuthSettings,
    clients: Mutex<HashMap<ConnectionId, (Option<f64>, NotionClient)>>,
}

impl OAuthConnections {
    pub(crate) fn new(settings: OAuthSettings) -> Self {
        Self {
            settings,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client of connection `id` with `token`: the one opened before (its token replaced, so
    /// a token another process refreshed is used), or a new one from the template, also when an
    /// admin changed the connection's budget since (in this process or another).
    fn client(
        &self,
        record: &ConnectionRecord,
        token: SecretString,
    ) -> Result<NotionClient, DriverError> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((budget, client)) = clients.get(&record.id)
            && *budget == record.max_requests_per_second
        {
            client.set_token(token);
            return Ok(client.clone());
        }
        let mut builder = self.settings.client_template.clone().token(token);
        if let Some(rate) = record.max_requests_per_second {
            builder = builder.max_requests_per_second(rate);
        }
        let client = builder.build()?;
        clients.insert(
            record.id.clone(),
            (record.max_requests_per_second, client.clone()),
        );
        Ok(client)
    }
}

/// When a token Notion just issued expires, if Notion said (`expires_in`).
fn expiry(token: &OAuthToken, now: Timestamp) -> Option<Timestamp> {
    token
        .expires_in
        .and_then(|s| i64::try_from(s).ok())
        .map(|s| now + SignedDuration::from_secs(s))
}

/// `token`'s access and refresh tokens sealed for connection `id`.
fn seal_pair(
    key: &TokenKey,
    token: &OAuthToken,
    id: &ConnectionId,
) -> (SealedToken, Option<SealedToken>) {
    (
        key.seal(&token.access_token, &id.access_token_context()),
        token
            .refresh_token
            .as_ref()
            .map(|t| key.seal(t, &id.refresh_token_context())),
    )
}

/// Why connection `id` cannot be used, for people: what happened and what to do.
fn unavailable(id: &ConnectionId, reason: impl Into<String>) -> DriverError {
    DriverError::ConnectionUnavailable {
        id: id.clone(),
        reason: reason.into(),
    }
}

fn state_reason(record: &ConnectionRecord) -> Option<String> {
    let workspace = record
        .workspace_name
        .as_deref()
        .or(record.workspace_id.as_deref())
        .unwrap_or("the workspace");
    match record.state {
        ConnectionState::Active => None,
        ConnectionState::NeedsReauthorization => Some(format!(
            "the Notion connection to {workspace} needs re-authorization ({}): connect the workspace again from the Connections page",
            record
                .state_reason
                .as_deref()
                .unwrap_or("Notion refused its token")
        )),
        ConnectionState::Revoked => Some(format!(
            "the Notion connection to {workspace} was disconnected: connect the workspace again from the Connections page, then relink"
        )),
    }
}

impl SyncDriver {
    /// The same driver with OAuth connections: a link through one is synced with that
    /// connection's own token, budget and allowlist.
    pub fn with_oauth(self, settings: OAuthSettings) -> Self {
        let mut driver = self.rebuilt(self.inner.connections.clone(), self.inner.clock.clone());
        if let Some(inner) = Arc::get_mut(&mut driver.inner) {
            inner.oauth = Some(Arc::new(OAuthConnections::new(settings)));
        }
        driver
    }

    /// The connection `id` ready to use at `now`: the internal one, or an OAuth one opened from
    /// the store (its access token refreshed first when it is about to expire), with the
    /// databases an admin allowed on it. Errors: `ConnectionUnavailable` (removed, needs
    /// re-authorization, OAuth not configured here, a token that does not open), saying what to
    /// do; `Store`.
    pub async fn open_connection(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<Connection, DriverError> {
        if id.is_internal() {
            return Ok(self.inner.connections.default_connection().clone());
        }
        if let Some(connection) = self.inner.connections.get(id) {
            return Ok(connection.clone());
        }
        let oauth = self.inner.oauth.as_ref().ok_or_else(|| {
            unavailable(
                id,
                "this process has no OAuth settings: set NOTION_OAUTH_CLIENT_ID, NOTION_OAUTH_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY",
            )
        })?;
        let mut record = self.connection_record(id).await?;
        if record
            .access_expires_at
            .is_some_and(|at| at <= now + REFRESH_AHEAD)
        {
            record = self.refresh_connection(id, now).await?;
        }
        if let Some(reason) = state_reason(&record) {
            return Err(unavailable(id, reason));
        }
        let sealed = record.access_token.as_ref().ok_or_else(|| {
            unavailable(
                id,
                "the connection has no token: connect the workspace again",
            )
        })?;
        let token = oauth
            .settings
            .token_key
            .open(sealed, &id.access_token_context())
            .map_err(|e| unavailable(id, e.to_string()))?;
        let client = oauth.client(&record, token)?;
        let allowlist = self.oauth_allowlist(id).await?;
        Ok(Connection::new(client, allowlist))
    }

    /// Exchanges an authorization code Notion sent back after consent for the connection's
    /// tokens (`redirect_uri` as sent to the authorize endpoint). Errors: `ConnectionUnavailable`
    /// (OAuth not configured here), `Notion` (the exchange was refused).
    pub async fn exchange_authorization_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthToken, DriverError> {
        let oauth = self.oauth_settings()?;
        Ok(self
            .notion()
            .exchange_oauth_code(&oauth.settings.credentials, code, Some(redirect_uri))
            .await?)
    }

    /// Stores the authorization `token` (from [`SyncDriver::exchange_authorization_code`]) as a
    /// connection, its tokens sealed. A workspace connected before keeps its connection and id
    /// and gets the new pair (`true`). Errors: `InvalidInput` (Notion named no workspace or bot),
    /// `ConnectionUnavailable` (OAuth not configured), `Store`.
    pub async fn store_authorization(
        &self,
        token: &OAuthToken,
        created_by: Option<&str>,
        now: Timestamp,
    ) -> Result<(ConnectionRecord, bool), DriverError> {
        let key = &self.oauth_settings()?.settings.token_key;
        let (Some(workspace_id), Some(bot_id)) = (token.workspace_id.clone(), token.bot_id.clone())
        else {
            return Err(DriverError::InvalidInput {
                field: "token",
                message: "Notion's token answer names no workspace or bot".into(),
            });
        };
        let id = ConnectionId::mint(now);
        let expires_at = expiry(token, now);
        let (access, refresh) = seal_pair(key, token, &id);
        let new = NewOAuthConnection {
            id: id.clone(),
            workspace_id,
            workspace_name: token.workspace_name.clone(),
            workspace_icon: token.workspace_icon.clone(),
            bot_id,
            owner: token.owner.clone(),
            created_by: created_by.map(str::to_owned),
            access_token: access,
            refresh_token: refresh,
            access_expires_at: expires_at,
        };
        let store = &self.inner.store;
        let (mut record, replaced) = store.save_oauth_connection(new, now).await?;
        if record.id != id {
            // The workspace was connected before: its tokens are sealed for its own id.
            let (access, refresh) = seal_pair(key, token, &record.id);
            record = store
                .store_tokens(&record.id, &access, refresh.as_ref(), expires_at, now)
                .await?;
        }
        tracing::info!(connection = %record.id, replaced, "Notion workspace connected");
        Ok((record, replaced))
    }

    /// Revokes connection `record`'s access token at Notion. `Err` says, for people, why it
    /// could not (OAuth off here, no token, a token that does not open, Notion's refusal).
    pub async fn revoke_at_notion(&self, record: &ConnectionRecord) -> Result<(), String> {
        let oauth = self.oauth_settings().map_err(|_| {
            "OAuth is off on this server, so the token could not be revoked at Notion: remove the connection in the workspace's Notion settings".to_owned()
        })?;
        let sealed = record
            .access_token
            .as_ref()
            .ok_or_else(|| "the connection had no token to revoke".to_owned())?;
        let token = oauth
            .settings
            .token_key
            .open(sealed, &record.id.access_token_context())
            .map_err(|error| format!("the stored token could not be opened: {error}"))?;
        self.notion()
            .revoke_oauth_token(&oauth.settings.credentials, &token)
            .await
            .map_err(|error| format!("Notion did not revoke the token: {error}"))
    }

    fn oauth_settings(&self) -> Result<&OAuthConnections, DriverError> {
        self.inner.oauth.as_deref().ok_or_else(|| {
            unavailable(
                &ConnectionId::internal(),
                "this process has no OAuth settings: set NOTION_OAUTH_CLIENT_ID, NOTION_OAUTH_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY",
            )
        })
    }

    /// Sets the request budget of OAuth connection `id` (`None`: the process default, the
    /// `NOTION_MAX_RPM` / `NOTION_MAX_RPS` of the internal connection's settings): its pacer
    /// spaces requests at this rate from its next use, in every process. The internal
    /// connection's budget is the process setting itself. Errors: `ConnectionUnavailable` for the
    /// internal connection; `Store` (`NotFound`, `Invalid` for a rate that is not positive).
    pub async fn set_connection_budget(
        &self,
        id: &ConnectionId,
        max_requests_per_second: Option<f64>,
        now: Timestamp,
    ) -> Result<ConnectionRecord, DriverError> {
        if id.is_internal() {
            return Err(unavailable(
                id,
                "the internal connection's budget is set by NOTION_MAX_RPM or NOTION_MAX_RPS",
            ));
        }
        Ok(self
            .inner
            .store
            .set_connection_budget(id, max_requests_per_second, now)
            .await?)
    }

    /// The databases connection `id` can see (Notion's search for data sources, with its token),
    /// by id. Errors: `ConnectionUnavailable`, `Notion` (after one refresh on a 401).
    pub async fn visible_databases(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<Vec<crate::VisibleDatabase>, DriverError> {
        self.on_connection(id, now, |driver| async move {
            let results: Vec<SearchResult> = driver
                .notion()
                .search_stream(SearchRequest::default().only(SearchObject::DataSource))
                .try_collect()
                .await?;
            let mut databases = std::collections::BTreeMap::new();
            for result in results {
                let (id, title, url) = match result {
                    SearchResult::DataSource(source) => (
                        source.database_id().unwrap_or(source.id),
                        source.title_text(),
                        source.url.clone(),
                    ),
                    SearchResult::Database(database) => {
                        (database.id, database.title_text(), database.url.clone())
                    }
                    _ => continue,
                };
                databases
                    .entry(id)
                    .or_insert(crate::VisibleDatabase { id, title, url });
            }
            Ok(databases.into_values().collect())
        })
        .await
    }

    /// Database `database_id` as connection `id` sees it (Notion answers 404 when it was not
    /// shared with it). Errors: `ConnectionUnavailable`, `Notion` (after one refresh on a 401).
    pub async fn database_on(
        &self,
        id: &ConnectionId,
        database_id: NotionId,
        now: Timestamp,
    ) -> Result<crate::VisibleDatabase, DriverError> {
        self.on_connection(id, now, |driver| async move {
            let database = driver.notion().retrieve_database(database_id).await?;
            Ok(crate::VisibleDatabase {
                id: database_id,
                title: database.title_text(),
                url: database.url,
            })
        })
        .await
    }

    /// Runs `op` on the handle of database `database_id`'s connection (see
    /// [`SyncDriver::on_connection`]).
    pub(crate) async fn on_database<T, F, Fut>(
        &self,
        database_id: &NotionId,
        now: Timestamp,
        op: F,
    ) -> Result<T, DriverError>
    where
        F: Fn(Self) -> Fut,
        Fut: std::future::Future<Output = Result<T, DriverError>>,
    {
        let connection = self
            .inner
            .store
            .connection_for_database(&database_id.to_string())
            .await?;
        self.on_connection(&connection, now, op).await
    }

    /// Runs `op` on the handle of connection `id`. When Notion refuses an OAuth connection's
    /// token (401, e.g. revoked early or expired without notice), the token is refreshed once and
    /// `op` runs again with the new one; a refresh that does not leave the connection active
    /// keeps the first answer (the connection's state says why).
    pub(crate) async fn on_connection<T, F, Fut>(
        &self,
        id: &ConnectionId,
        now: Timestamp,
        op: F,
    ) -> Result<T, DriverError>
    where
        F: Fn(Self) -> Fut,
        Fut: std::future::Future<Output = Result<T, DriverError>>,
    {
        let first = op(self.for_connection(id, now).await?).await;
        let refused = matches!(&first, Err(DriverError::Notion(e)) if e.status() == Some(401));
        if id.is_internal() || !refused {
            return first;
        }
        match self.refresh_connection(id, now).await {
            Ok(record) if record.state == ConnectionState::Active => {
                op(self.for_connection(id, now).await?).await
            }
            _ => first,
        }
    }

    /// The connection database `database_id` is allowed on: the OAuth connection an admin
    /// allowed it on, else the internal one when `NOTION_DATABASE_ALLOWLIST` holds it. Errors:
    /// `NotAllowlisted` (403) when no connection allows it; `Store`.
    pub async fn allowed_connection(
        &self,
        database_id: &NotionId,
    ) -> Result<ConnectionId, DriverError> {
        let connection = self
            .inner
            .store
            .connection_for_database(&database_id.to_string())
            .await?;
        if connection.is_internal() {
            self.check_allowlisted(database_id)?;
        }
        Ok(connection)
    }

    /// The handle to reach database `database_id` with: this one when the database is the
    /// internal connection's, else one on the OAuth connection that allows it (opened at `now`).
    pub(crate) async fn for_database(
        &self,
        database_id: &NotionId,
        now: Timestamp,
    ) -> Result<Self, DriverError> {
        let connection = self
            .inner
            .store
            .connection_for_database(&database_id.to_string())
            .await?;
        self.for_connection(&connection, now).await
    }

    /// [`SyncDriver::validate_page`] for a page of database `database_id`, through the
    /// connection that database belongs to (the internal one unless an OAuth connection allows
    /// it), as linking it would. Errors: as `validate_page`, and `ConnectionUnavailable`.
    pub async fn validate_page_in(
        &self,
        database_id: &NotionId,
        page_id: &NotionId,
        property_name: Option<&str>,
    ) -> Result<crate::PageValidation, DriverError> {
        self.on_database(database_id, self.clock_now(), |driver| async move {
            driver.validate_page(page_id, property_name).await
        })
        .await
    }

    /// The handle to reach Notion through connection `id` with.
    pub(crate) async fn for_connection(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<Self, DriverError> {
        if id.is_internal() {
            return Ok(self.clone());
        }
        let opened = self.open_connection(id, now).await?;
        Ok(self.rebuilt(crate::Connections::new(opened), self.inner.clock.clone()))
    }

    /// Applies the `Retry-After` penalty another process recorded for connection `id` to this
    /// handle's client, so its requests wait for it too instead of meeting another 429.
    /// `now` is read (a clock read) only when there is a penalty.
    pub(crate) async fn import_penalty(
        &self,
        id: &ConnectionId,
        since: Timestamp,
        now: impl Fn() -> Timestamp,
    ) {
        match self.inner.store.connection_penalty(id, since).await {
            Ok(Some(until)) => {
                let wait = until.duration_since(now());
                if let Ok(wait) = std::time::Duration::try_from(wait) {
                    self.notion().pacer().block_for(wait);
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(connection = %id, %error, "could not read the connection's rate-limit penalty");
            }
        }
    }

    /// Records the `Retry-After` penalty this handle's client is under, if any, for every other
    /// process using connection `id`.
    /// `now` is read only when there is a penalty.
    pub(crate) async fn export_penalty(&self, id: &ConnectionId, now: impl Fn() -> Timestamp) {
        let blocked = self.notion().pacer().blocked_for();
        if blocked.is_zero() {
            return;
        }
        let now = now();
        let Ok(blocked) = SignedDuration::try_from(blocked) else {
            return;
        };
        let until = now.checked_add(blocked).unwrap_or(Timestamp::MAX);
        if let Err(error) = self
            .inner
            .store
            .note_connection_penalty(id, until, now)
            .await
        {
            tracing::warn!(connection = %id, %error, "could not share the connection's rate-limit penalty");
        }
    }

    /// The time, for the operations that take none (the admin's search): the driver's clock if
    /// it has one, else the system's.
    pub(crate) fn clock_now(&self) -> Timestamp {
        match &self.inner.clock {
            Some(clock) => clock.now(),
            None => crate::Clock::now(&crate::SystemClock),
        }
    }

    /// The databases allowed on OAuth connection `id`, as an allowlist.
    async fn oauth_allowlist(&self, id: &ConnectionId) -> Result<Allowlist, DriverError> {
        let allowed = self.inner.store.allowed_databases(id).await?;
        Ok(Allowlist::from_entries(allowed.into_iter().filter_map(
            |d| {
                let id = NotionId::parse(&d.database_id).ok()?;
                Some(AllowlistEntry {
                    id,
                    name: d.name.unwrap_or_else(|| d.database_id.clone()),
                })
            },
        )))
    }

    async fn connection_record(&self, id: &ConnectionId) -> Result<ConnectionRecord, DriverError> {
        match self.inner.store.get_connection(id).await {
            Ok(record) => Ok(record),
            Err(e) if e.kind() == StoreErrorKind::NotFound => Err(unavailable(
                id,
                "the Notion connection this link was made through was removed: connect the workspace again and relink",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Refreshes OAuth connection `id`'s token pair, once across every process: the holder of
    /// the connection's refresh lease asks Notion (which rotates both tokens) and stores the
    /// new pair before anyone uses it; a process that finds the lease held waits for it and
    /// reads the new pair. Notion refusing the refresh token (`invalid_grant`, e.g. a second
    /// refresh with a used token) marks the connection as needing re-authorization, once: no
    /// retry storm. Returns the connection as stored afterwards.
    pub async fn refresh_connection(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<ConnectionRecord, DriverError> {
        let oauth = self
            .inner
            .oauth
            .as_ref()
            .ok_or_else(|| unavailable(id, "this process has no OAuth settings"))?;
        let store = &self.inner.store;
        let key = LeaseKey::ConnectionRefresh(id.clone());
        let holder = &self.inner.config.holder;
        let before = self.connection_record(id).await?;
        let mut waited = 0;
        while store
            .claim_lease(&key, holder, REFRESH_LEASE_TTL, now)
            .await?
            .is_none()
        {
            // Another process is refreshing: wait for its pair rather than spending a refresh
            // token it just rotated.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
            let current = self.connection_record(id).await?;
            if current.updated_at != before.updated_at || waited >= 300 {
                return Ok(current);
            }
        }
        let result = self.refresh_holding_lease(oauth, id, &before, now).await;
        store.release_lease(&key, holder).await?;
        result
    }

    async fn refresh_holding_lease(
        &self,
        oauth: &OAuthConnections,
        id: &ConnectionId,
        before: &ConnectionRecord,
        now: Timestamp,
    ) -> Result<ConnectionRecord, DriverError> {
        let store = &self.inner.store;
        // Someone refreshed between our read and our lease: use theirs.
        let current = self.connection_record(id).await?;
        if current.updated_at != before.updated_at || current.state != ConnectionState::Active {
            return Ok(current);
        }
        let key = &oauth.settings.token_key;
        let sealed = current.refresh_token.as_ref().ok_or_else(|| {
            unavailable(
                id,
                "the connection has no refresh token: connect the workspace again",
            )
        })?;
        let refresh = key
            .open(sealed, &id.refresh_token_context())
            .map_err(|e| unavailable(id, e.to_string()))?;
        let notion = self.inner.connections.default_connection().client.clone();
        match notion
            .refresh_oauth_token(&oauth.settings.credentials, &refresh)
            .await
        {
            Ok(token) => {
                let (access, refresh) = seal_pair(key, &token, id);
                let expires_at = expiry(&token, now);
                // Persisted before anyone uses it: the old refresh token is already dead.
                let record = store
                    .store_tokens(id, &access, refresh.as_ref(), expires_at, now)
                    .await?;
                tracing::info!(connection = %id, "refreshed the Notion connection's token");
                Ok(record)
            }
            Err(error) if is_invalid_grant(&error) => {
                let reason = format!(
                    "Notion refused the refresh token ({})",
                    error.code().unwrap_or("invalid_grant")
                );
                tracing::warn!(connection = %id, %error, "the Notion connection needs re-authorization");
                Ok(store
                    .set_connection_state(
                        id,
                        ConnectionState::NeedsReauthorization,
                        Some(&reason),
                        now,
                    )
                    .await?)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Whether Notion refused a refresh token for good (not a transient failure).
fn is_invalid_grant(error: &NotionError) -> bool {
    error.code() == Some("invalid_grant")
        || (error.status() == Some(400) && error.to_string().contains("invalid_grant"))
}
