//! Notion connections: the internal integration and OAuth authorizations of workspaces, each
//! with its sealed token pair, its state and its allowlist of databases; and the single-use OAuth
//! `state` values of sign-ins in progress.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use token_seal::SealedToken;

use crate::error::{conversion, corrupt};
use crate::time::{col, opt_col, to_ms};
use crate::{Result, SqliteStore, StoreError};

/// The id of a connection: `internal` for the internal integration (the token from
/// `NOTION_API_KEY`), `conn_` and 32 lowercase hex digits for an OAuth connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

impl ConnectionId {
    /// The internal connection's id.
    pub const INTERNAL: &'static str = "internal";
    /// The prefix of OAuth connection ids.
    pub const PREFIX: &'static str = "conn_";

    /// The internal connection.
    pub fn internal() -> Self {
        Self(Self::INTERNAL.to_owned())
    }

    /// Whether this is the internal connection.
    pub fn is_internal(&self) -> bool {
        self.0 == Self::INTERNAL
    }

    /// Parses a connection id, naming what is wrong with a malformed one.
    pub fn parse(text: impl Into<String>) -> Result<Self, InvalidConnectionId> {
        let text = text.into();
        let oauth = text
            .strip_prefix(Self::PREFIX)
            .is_some_and(crate::time::is_simple_uuid);
        if oauth || text == Self::INTERNAL {
            Ok(Self(text))
        } else {
            Err(InvalidConnectionId(text))
        }
    }

    /// Mints `conn_<uuid v7>` from `now` (random bits from the OS; no clock read).
    pub fn mint(now: Timestamp) -> Self {
        Self(format!(
            "{}{}",
            Self::PREFIX,
            crate::time::uuid_v7(now).simple()
        ))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where this connection's access token is sealed for (token-seal's context).
    pub fn access_token_context(&self) -> String {
        format!("connection:{}:access", self.0)
    }

    /// Where this connection's refresh token is sealed for.
    pub fn refresh_token_context(&self) -> String {
        format!("connection:{}:refresh", self.0)
    }
}

impl std::fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = InvalidConnectionId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> Self {
        id.0
    }
}

/// A connection id that is neither `internal` nor `conn_` and 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a connection id: use 'internal' or an id the connections listing shows ('conn_' and 32 hex digits)"
)]
pub struct InvalidConnectionId(pub String);

/// How a connection was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The internal integration: its token is `NOTION_API_KEY`, never stored.
    Internal,
    /// A public integration authorized by an admin through OAuth.
    Oauth,
}

impl ConnectionKind {
    /// Stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Oauth => "oauth",
        }
    }
}

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Its token works (as far as anyone knows).
    Active,
    /// Its refresh token was refused (`invalid_grant`): an admin must connect the workspace again.
    NeedsReauthorization,
    /// Disconnected: its token was revoked at Notion and forgotten.
    Revoked,
}

impl ConnectionState {
    /// Stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReauthorization => "needs_reauthorization",
            Self::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => Self::Active,
            "needs_reauthorization" => Self::NeedsReauthorization,
            "revoked" => Self::Revoked,
            _ => return None,
        })
    }
}

/// A connection as stored. Its tokens are sealed: only a holder of the key opens them.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRecord {
    /// Its id.
    pub id: ConnectionId,
    /// How it was made.
    pub kind: ConnectionKind,
    /// The workspace it authorizes (Notion's id), once known.
    pub workspace_id: Option<String>,
    /// The workspace's name, for people.
    pub workspace_name: Option<String>,
    /// The workspace's icon (a URL or an emoji), for display.
    pub workspace_icon: Option<String>,
    /// The bot (integration user) the token acts as.
    pub bot_id: Option<String>,
    /// Who authorized it at Notion (Notion's `owner` object).
    pub owner: Option<serde_json::Value>,
    /// The admin who connected it here.
    pub created_by: Option<String>,
    /// Whether it can be used.
    pub state: ConnectionState,
    /// Why it is not active, for people.
    pub state_reason: Option<String>,
    /// The sealed access token (`None` for the internal connection, or once revoked).
    pub access_token: Option<SealedToken>,
    /// The sealed refresh token.
    pub refresh_token: Option<SealedToken>,
    /// When the access token expires, if Notion said.
    pub access_expires_at: Option<Timestamp>,
    /// This connection's request budget, when set (else the process default).
    pub max_requests_per_second: Option<f64>,
    /// When it was first made.
    pub created_at: Timestamp,
    /// When it was last changed (tokens, state).
    pub updated_at: Timestamp,
}

/// An OAuth authorization to store: what Notion's token exchange answered, sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOAuthConnection {
    /// The id to use when it is new (keep it with the tokens sealed for it: the tokens' context
    /// names it); an authorization of a workspace and bot already stored keeps that one's id, and
    /// the caller must then seal again for it (see [`crate::Store::save_oauth_connection`]).
    pub id: ConnectionId,
    /// Notion's workspace id.
    pub workspace_id: String,
    /// The workspace's name.
    pub workspace_name: Option<String>,
    /// The workspace's icon.
    pub workspace_icon: Option<String>,
    /// The bot id.
    pub bot_id: String,
    /// Notion's `owner` object.
    pub owner: Option<serde_json::Value>,
    /// The admin who connected it.
    pub created_by: Option<String>,
    /// The sealed access token (sealed for `id`).
    pub access_token: SealedToken,
    /// The sealed refresh token (sealed for `id`), if Notion gave one.
    pub refresh_token: Option<SealedToken>,
    /// When the access token expires.
    pub access_expires_at: Option<Timestamp>,
}

/// A database an admin allowed on a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedDatabase {
    /// The connection.
    pub connection_id: ConnectionId,
    /// The database (canonical Notion id).
    pub database_id: String,
    /// Its title when it was allowed, for people.
    pub name: Option<String>,
    /// The admin who allowed it.
    pub allowed_by: Option<String>,
    /// When.
    pub allowed_at: Timestamp,
}

/// An OAuth `state` being used up: who minted it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthStateRecord {
    /// The admin who started the sign-in.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it lapses.
    pub expires_at: Timestamp,
}

const CONNECTION_COLUMNS: &str = "id, kind, workspace_id, workspace_name, workspace_icon, bot_id, \
    owner, created_by, state, state_reason, access_token, refresh_token, access_expires_at, \
    max_requests_per_second, created_at, updated_at";

fn row_to_connection(row: &Row<'_>) -> rusqlite::Result<ConnectionRecord> {
    let id: String = row.get(0)?;
    let id = ConnectionId::parse(id).map_err(|e| conversion(0, e.to_string()))?;
    let kind = match row.get::<_, String>(1)?.as_str() {
        "internal" => ConnectionKind::Internal,
        "oauth" => ConnectionKind::Oauth,
        other => return Err(conversion(1, format!("unknown connection kind {other:?}"))),
    };
    let owner = row
        .get::<_, Option<String>>(6)?
        .map(|json| serde_json::from_str(&json).map_err(|e| conversion(6, format!("owner: {e}"))))
        .transpose()?;
    let state: String = row.get(8)?;
    let state = ConnectionState::parse(&state)
        .ok_or_else(|| conversion(8, format!("unknown connection state {state:?}")))?;
    let sealed = |idx| -> rusqlite::Result<Option<SealedToken>> {
        Ok(row
            .get::<_, Option<Vec<u8>>>(idx)?
            .map(SealedToken::from_bytes))
    };
    Ok(ConnectionRecord {
        id,
        kind,
        workspace_id: row.get(2)?,
        workspace_name: row.get(3)?,
        workspace_icon: row.get(4)?,
        bot_id: row.get(5)?,
        owner,
        created_by: row.get(7)?,
        state,
        state_reason: row.get(9)?,
        access_token: sealed(10)?,
        refresh_token: sealed(11)?,
        access_expires_at: opt_col(row, 12)?,
        max_requests_per_second: row.get(13)?,
        created_at: col(row, 14)?,
        updated_at: col(row, 15)?,
    })
}

fn connection_not_found(id: &ConnectionId) -> StoreError {
    StoreError::NotFound {
        what: "connection",
        id: id.to_string(),
    }
}

fn get(tx: &Transaction<'_>, id: &ConnectionId) -> Result<ConnectionRecord> {
    tx.query_row(
        &format!("SELECT {CONNECTION_COLUMNS} FROM notion_connections WHERE id = ?1"),
        [id.as_str()],
        row_to_connection,
    )
    .optional()
    .map_err(corrupt)?
    .ok_or_else(|| connection_not_found(id))
}

fn sealed_bytes(token: Option<&SealedToken>) -> Option<&[u8]> {
    token.map(SealedToken::as_bytes)
}

fn check_oauth(new: &NewOAuthConnection) -> Result<()> {
    if new.id.is_internal() {
        return Err(StoreError::Invalid {
            field: "id",
            message: "an OAuth connection needs a conn_ id, not the internal connection's".into(),
        });
    }
    for (field, value) in [("workspace_id", &new.workspace_id), ("bot_id", &new.bot_id)] {
        if value.trim().is_empty() {
            return Err(StoreError::Invalid {
                field,
                message: format!("{field} must not be empty"),
            });
        }
    }
    Ok(())
}

/// The connection whose allowlist holds `database_id`, else the internal connection: the
/// connection a new link to a page of that database belongs to.
pub(crate) fn connection_for_database(
    tx: &Transaction<'_>,
    database_id: &str,
) -> Result<ConnectionId> {
    let found: Option<String> = tx
        .query_row(
            "SELECT d.connection_id FROM connection_databases d \
             JOIN notion_connections c ON c.id = d.connection_id \
             WHERE d.database_id = ?1 ORDER BY d.allowed_at, d.connection_id LIMIT 1",
            [database_id],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(id) => ConnectionId::parse(id).map_err(|e| StoreError::Corrupt {
            message: format!("connection id: {e}"),
        }),
        None => Ok(ConnectionId::internal()),
    }
}

impl SqliteStore {
    /// Makes sure the internal connection exists (made at `now` the first time) and returns it.
    pub fn ensure_internal_connection(&self, now: Timestamp) -> Result<ConnectionRecord> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO notion_connections (id, kind, created_at, updated_at) \
                 VALUES ('internal', 'internal', ?1, ?1) ON CONFLICT (id) DO NOTHING",
                [to_ms(now)],
            )?;
            get(tx, &ConnectionId::internal())
        })
    }

    /// Records what the internal connection's token says about itself (`GET /v1/users/me`): its
    /// workspace and bot, for display. Errors: `NotFound` until it exists.
    pub fn describe_internal_connection(
        &self,
        workspace_name: Option<&str>,
        bot_id: Option<&str>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE notion_connections SET workspace_name = ?1, bot_id = ?2, updated_at = ?3 \
                 WHERE id = 'internal'",
                params![workspace_name, bot_id, to_ms(now)],
            )?;
            if changed == 0 {
                return Err(connection_not_found(&ConnectionId::internal()));
            }
            get(tx, &ConnectionId::internal())
        })
    }

    /// Stores an OAuth authorization. A workspace and bot already stored keeps its id and gets
    /// the new token pair (and becomes active again) instead of a duplicate: then `Ok((record,
    /// true))` and, when `new.id` differs from the stored id, the tokens are NOT stored (their
    /// sealing names another id) — the caller seals them for `record.id` and calls
    /// [`SqliteStore::store_tokens`]. Errors: `Invalid` (the internal id, an empty workspace or
    /// bot id).
    pub fn save_oauth_connection(
        &self,
        new: &NewOAuthConnection,
        now: Timestamp,
    ) -> Result<(ConnectionRecord, bool)> {
        check_oauth(new)?;
        let owner = new
            .owner
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Invalid {
                field: "owner",
                message: e.to_string(),
            })?;
        self.write(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT id FROM notion_connections \
                     WHERE kind = 'oauth' AND workspace_id = ?1 AND bot_id = ?2",
                    params![new.workspace_id, new.bot_id],
                    |r| r.get(0),
                )
                .optional()?;
            let replaced = existing.is_some();
            match existing {
                Some(id) => {
                    let same_id = id == new.id.as_str();
                    tx.execute(
                        "UPDATE notion_connections SET workspace_name = ?2, workspace_icon = ?3, \
                         owner = ?4, created_by = COALESCE(?5, created_by), state = 'active', \
                         state_reason = NULL, \
                         access_token = CASE WHEN ?9 THEN ?6 ELSE access_token END, \
                         refresh_token = CASE WHEN ?9 THEN ?7 ELSE refresh_token END, \
                         access_expires_at = CASE WHEN ?9 THEN ?8 ELSE access_expires_at END, \
                         updated_at = ?10 WHERE id = ?1",
                        params![
                            id,
                            new.workspace_name,
                            new.workspace_icon,
                            owner,
                            new.created_by,
                            sealed_bytes(Some(&new.access_token)),
                            sealed_bytes(new.refresh_token.as_ref()),
                            new.access_expires_at.map(to_ms),
                            same_id,
                            to_ms(now),
                        ],
                    )?;
                    let id = ConnectionId::parse(id).map_err(|e| StoreError::Corrupt {
                        message: format!("connection id: {e}"),
                    })?;
                    Ok((get(tx, &id)?, replaced))
                }
                None => {
                    tx.execute(
                        "INSERT INTO notion_connections (id, kind, workspace_id, workspace_name, \
                         workspace_icon, bot_id, owner, created_by, state, access_token, \
                         refresh_token, access_expires_at, created_at, updated_at) \
                         VALUES (?1, 'oauth', ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, ?10, ?11, ?11)",
                        params![
                            new.id.as_str(),
                            new.workspace_id,
                            new.workspace_name,
                            new.workspace_icon,
                            new.bot_id,
                            owner,
                            new.created_by,
                            sealed_bytes(Some(&new.access_token)),
                            sealed_bytes(new.refresh_token.as_ref()),
                            new.access_expires_at.map(to_ms),
                            to_ms(now),
                        ],
                    )?;
                    Ok((get(tx, &new.id)?, replaced))
                }
            }
        })
    }

    /// Stores a connection's new token pair (after a refresh, which rotates both) and makes it
    /// active. Errors: `NotFound`, `Invalid` (the internal connection has no stored token).
    pub fn store_tokens(
        &self,
        id: &ConnectionId,
        access: &SealedToken,
        refresh: Option<&SealedToken>,
        access_expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        if id.is_internal() {
            return Err(StoreError::Invalid {
                field: "id",
                message: "the internal connection's token is NOTION_API_KEY; it is not stored"
                    .into(),
            });
        }
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE notion_connections SET access_token = ?2, \
                 refresh_token = COALESCE(?3, refresh_token), access_expires_at = ?4, \
                 state = 'active', state_reason = NULL, updated_at = ?5 WHERE id = ?1",
                params![
                    id.as_str(),
                    access.as_bytes(),
                    refresh.map(SealedToken::as_bytes),
                    access_expires_at.map(to_ms),
                    to_ms(now)
                ],
            )?;
            if changed == 0 {
                return Err(connection_not_found(id));
            }
            get(tx, id)
        })
    }

    /// Sets a connection's state, with why for people (`None` when active). A revoked
    /// connection's tokens are forgotten in the same transaction. Errors: `NotFound`.
    pub fn set_connection_state(
        &self,
        id: &ConnectionId,
        state: ConnectionState,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE notion_connections SET state = ?2, state_reason = ?3, updated_at = ?4, \
                 access_token = CASE WHEN ?2 = 'revoked' THEN NULL ELSE access_token END, \
                 refresh_token = CASE WHEN ?2 = 'revoked' THEN NULL ELSE refresh_token END \
                 WHERE id = ?1",
                params![id.as_str(), state.as_str(), reason, to_ms(now)],
            )?;
            if changed == 0 {
                return Err(connection_not_found(id));
            }
            get(tx, id)
        })
    }

    /// Sets a connection's request budget (`None`: the process default). Errors: `NotFound`,
    /// `Invalid` (not a positive number).
    pub fn set_connection_budget(
        &self,
        id: &ConnectionId,
        max_requests_per_second: Option<f64>,
        now: Timestamp,
    ) -> Result<ConnectionRecord> {
        if let Some(rate) = max_requests_per_second
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(StoreError::Invalid {
                field: "max_requests_per_second",
                message: format!("a request budget must be a positive number, got {rate}"),
            });
        }
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE notion_connections SET max_requests_per_second = ?2, updated_at = ?3 \
                 WHERE id = ?1",
                params![id.as_str(), max_requests_per_second, to_ms(now)],
            )?;
            if changed == 0 {
                return Err(connection_not_found(id));
            }
            get(tx, id)
        })
    }

    /// One connection. Errors: `NotFound`.
    pub fn get_connection(&self, id: &ConnectionId) -> Result<ConnectionRecord> {
        self.read(|tx| get(tx, id))
    }

    /// Every connection: the internal one first, then by when they were made.
    pub fn list_connections(&self) -> Result<Vec<ConnectionRecord>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {CONNECTION_COLUMNS} FROM notion_connections \
                 ORDER BY kind = 'oauth', created_at, id"
            ))?;
            stmt.query_map([], row_to_connection)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(corrupt)
        })
    }

    /// Deletes an OAuth connection and its allowlist (revoke it at Notion first). The links made
    /// through it keep their fields and their connection id, and show that the connection is
    /// gone until relinked. Errors: `NotFound`, `Invalid` (the internal connection cannot go).
    pub fn delete_connection(&self, id: &ConnectionId) -> Result<()> {
        if id.is_internal() {
            return Err(StoreError::Invalid {
                field: "id",
                message: "the internal connection is NOTION_API_KEY's; unset it to stop using it"
                    .into(),
            });
        }
        self.write(|tx| {
            match tx.execute(
                "DELETE FROM notion_connections WHERE id = ?1",
                [id.as_str()],
            )? {
                0 => Err(connection_not_found(id)),
                _ => Ok(()),
            }
        })
    }

    /// Allows a database on an OAuth connection (again: updates who and when). Errors:
    /// `NotFound` (connection), `Invalid` (the internal connection's allowlist is
    /// `NOTION_DATABASE_ALLOWLIST`; an empty id), `Conflict` (another connection allows it).
    pub fn allow_database(
        &self,
        id: &ConnectionId,
        database_id: &str,
        name: Option<&str>,
        allowed_by: Option<&str>,
        now: Timestamp,
    ) -> Result<AllowedDatabase> {
        if id.is_internal() {
            return Err(StoreError::Invalid {
                field: "connection_id",
                message: "the internal connection's databases are NOTION_DATABASE_ALLOWLIST".into(),
            });
        }
        if database_id.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "database_id",
                message: "database_id must not be empty".into(),
            });
        }
        self.write(|tx| {
            get(tx, id)?;
            let other: Option<String> = tx
                .query_row(
                    "SELECT connection_id FROM connection_databases \
                     WHERE database_id = ?1 AND connection_id != ?2",
                    params![database_id, id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = other {
                return Err(StoreError::Conflict {
                    message: format!(
                        "the database '{database_id}' is already allowed on connection '{other}': a database syncs through one connection; disallow it there first"
                    ),
                });
            }
            tx.execute(
                "INSERT INTO connection_databases (connection_id, database_id, name, allowed_by, allowed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (connection_id, database_id) DO UPDATE SET \
                 name = excluded.name, allowed_by = excluded.allowed_by, allowed_at = excluded.allowed_at",
                params![id.as_str(), database_id, name, allowed_by, to_ms(now)],
            )?;
            Ok(AllowedDatabase {
                connection_id: id.clone(),
                database_id: database_id.to_owned(),
                name: name.map(str::to_owned),
                allowed_by: allowed_by.map(str::to_owned),
                allowed_at: crate::stored_precision(now),
            })
        })
    }

    /// Disallows a database on a connection; returns whether it was allowed.
    pub fn disallow_database(&self, id: &ConnectionId, database_id: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM connection_databases WHERE connection_id = ?1 AND database_id = ?2",
                params![id.as_str(), database_id],
            )? > 0)
        })
    }

    /// The databases allowed on connection `id`, by when they were allowed.
    pub fn allowed_databases(&self, id: &ConnectionId) -> Result<Vec<AllowedDatabase>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT connection_id, database_id, name, allowed_by, allowed_at \
                 FROM connection_databases WHERE connection_id = ?1 ORDER BY allowed_at, database_id",
            )?;
            stmt.query_map([id.as_str()], |row| {
                let connection: String = row.get(0)?;
                Ok(AllowedDatabase {
                    connection_id: ConnectionId::parse(connection)
                        .map_err(|e| conversion(0, e.to_string()))?,
                    database_id: row.get(1)?,
                    name: row.get(2)?,
                    allowed_by: row.get(3)?,
                    allowed_at: col(row, 4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(corrupt)
        })
    }

    /// The connection a page of `database_id` is reached through: the OAuth connection that
    /// allows it, else the internal one.
    pub fn connection_for_database(&self, database_id: &str) -> Result<ConnectionId> {
        self.read(|tx| connection_for_database(tx, database_id))
    }

    /// Records an OAuth `state` (its hash) minted for `created_by`, valid until `expires_at`;
    /// lapsed ones are deleted on the way. Errors: `Invalid` (empty hash or admin), `Conflict`
    /// (the hash exists: mint another).
    pub fn mint_oauth_state(
        &self,
        state_hash: &str,
        created_by: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        for (field, value) in [("state_hash", state_hash), ("created_by", created_by)] {
            if value.trim().is_empty() {
                return Err(StoreError::Invalid {
                    field,
                    message: format!("{field} must not be empty"),
                });
            }
        }
        self.write(|tx| {
            tx.execute(
                "DELETE FROM oauth_states WHERE expires_at <= ?1",
                [to_ms(now)],
            )?;
            let inserted = tx.execute(
                "INSERT INTO oauth_states (state_hash, created_by, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (state_hash) DO NOTHING",
                params![state_hash, created_by, to_ms(now), to_ms(expires_at)],
            )?;
            if inserted == 0 {
                return Err(StoreError::Conflict {
                    message: "that OAuth state is already in use; mint another".into(),
                });
            }
            Ok(())
        })
    }

    /// Uses up an OAuth `state`: deletes it and returns who minted it. Errors: `NotFound`
    /// (unknown, already used, or lapsed: a lapsed one is deleted too).
    pub fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> Result<OAuthStateRecord> {
        self.write(|tx| {
            let found = tx
                .query_row(
                    "DELETE FROM oauth_states WHERE state_hash = ?1 \
                     RETURNING created_by, created_at, expires_at",
                    [state_hash],
                    |row| {
                        Ok(OAuthStateRecord {
                            created_by: row.get(0)?,
                            created_at: col(row, 1)?,
                            expires_at: col(row, 2)?,
                        })
                    },
                )
                .optional()
                .map_err(corrupt)?;
            match found {
                Some(state) if state.expires_at > now => Ok(state),
                _ => Err(StoreError::NotFound {
                    what: "OAuth state",
                    id: "(this sign-in)".into(),
                }),
            }
        })
    }

    /// Records that Notion holds connection `id`'s requests until `until` (a `Retry-After`),
    /// keeping the later end when one is already recorded.
    pub fn note_connection_penalty(
        &self,
        id: &ConnectionId,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO connection_penalties (connection_id, blocked_until, updated_at) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (connection_id) DO UPDATE SET \
                 blocked_until = MAX(blocked_until, excluded.blocked_until), \
                 updated_at = excluded.updated_at",
                params![id.as_str(), to_ms(until), to_ms(now)],
            )?;
            Ok(())
        })
    }

    /// Until when Notion holds connection `id`'s requests, if that is after `now`.
    pub fn connection_penalty(
        &self,
        id: &ConnectionId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        self.read(|tx| {
            tx.query_row(
                "SELECT blocked_until FROM connection_penalties \
                 WHERE connection_id = ?1 AND blocked_until > ?2",
                params![id.as_str(), to_ms(now)],
                |r| col(r, 0),
            )
            .optional()
            .map_err(corrupt)
        })
    }
}
