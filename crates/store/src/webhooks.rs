//! Notion webhooks: each connection's verification tokens (pending until an admin confirms, then
//! active), the event inbox (one row per event id, claimed and marked processed by the sync), and
//! the count of requests refused for their signature.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::error::corrupt;
use crate::time::{col, opt_col, to_ms};
use crate::{ConnectionId, Result, SqliteStore, StoreError};

/// Where a verification token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookTokenState {
    /// Received in a verification POST, shown to an admin, not trusted yet.
    Pending,
    /// Confirmed (or set by the operator): events are verified against it.
    Active,
}

impl WebhookTokenState {
    /// Stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
        }
    }
}

/// A verification token with where and when it came from. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct WebhookToken {
    /// The connection whose subscription it belongs to.
    pub connection_id: ConnectionId,
    /// Pending or active.
    pub state: WebhookTokenState,
    /// The token (the HMAC key of the subscription's events).
    pub token: SecretString,
    /// Where it came from: the address of the verification POST's sender, or `environment`.
    pub source: Option<String>,
    /// When it was received (or set).
    pub received_at: Timestamp,
    /// When it became active.
    pub activated_at: Option<Timestamp>,
}

/// A connection's tokens.
#[derive(Debug, Clone, Default)]
pub struct WebhookTokens {
    /// The latest verification POST's, waiting for an admin.
    pub pending: Option<WebhookToken>,
    /// The one events are verified against.
    pub active: Option<WebhookToken>,
}

/// An accepted event to store (its signature already verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEvent {
    /// Notion's event id (the same on every delivery attempt).
    pub event_id: String,
    /// The connection whose token verified it.
    pub connection_id: ConnectionId,
    /// Its `type` as sent (unknown types too).
    pub event_type: String,
    /// `entity.id`.
    pub entity_id: Option<String>,
    /// `entity.type`.
    pub entity_type: Option<String>,
    /// Its `timestamp`.
    pub event_at: Timestamp,
    /// Its `attempt_number`.
    pub attempt_number: u32,
    /// The raw body, as signed.
    pub body: Vec<u8>,
}

/// Whether [`SqliteStore::record_webhook_event`] stored a new event or counted a redelivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventReceipt {
    /// First time this event id was seen: stored.
    New,
    /// Seen before (a retry or a replay): only counted, the stored one is kept.
    Duplicate,
}

/// An event in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhookEvent {
    /// Notion's event id.
    pub event_id: String,
    /// The connection.
    pub connection_id: ConnectionId,
    /// Its type.
    pub event_type: String,
    /// `entity.id`.
    pub entity_id: Option<String>,
    /// `entity.type`.
    pub entity_type: Option<String>,
    /// Its `timestamp`.
    pub event_at: Timestamp,
    /// When it was first received.
    pub received_at: Timestamp,
    /// The `attempt_number` of the delivery stored.
    pub attempt_number: u32,
    /// How often it was received.
    pub deliveries: u32,
    /// The raw body.
    pub body: Vec<u8>,
    /// When it was processed.
    pub processed_at: Option<Timestamp>,
    /// What processing it came to (e.g. `read_page`, `ignored_own_write`).
    pub outcome: Option<String>,
}

/// What one event came to, for [`SqliteStore::mark_webhook_events_processed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOutcome {
    /// The event id.
    pub event_id: String,
    /// A short name of what it came to.
    pub outcome: String,
}

/// Events of one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTypeCount {
    /// The type.
    pub event_type: String,
    /// How many are stored.
    pub count: u64,
}

/// Requests refused for one reason on one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionCount {
    /// The connection the request was for.
    pub connection_id: ConnectionId,
    /// Why (`missing`, `malformed`, `mismatch`, `no_active_token`).
    pub reason: String,
    /// How many.
    pub count: u64,
    /// When the last one was.
    pub last_at: Timestamp,
}

/// How webhooks are doing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookHealth {
    /// When the newest stored event was received.
    pub last_received_at: Option<Timestamp>,
    /// The newest stored event's `timestamp`.
    pub last_event_at: Option<Timestamp>,
    /// Stored events by type, most first.
    pub events_by_type: Vec<EventTypeCount>,
    /// Stored events in all.
    pub events_total: u64,
    /// Redeliveries of stored events (retries, replays), not stored again.
    pub duplicates: u64,
    /// Events not processed yet.
    pub unprocessed: u64,
    /// The oldest unprocessed event's `timestamp`.
    pub oldest_unprocessed_at: Option<Timestamp>,
    /// Requests refused for their signature, by connection and reason.
    pub rejected: Vec<RejectionCount>,
    /// Refused requests in all.
    pub rejected_total: u64,
    /// Event `timestamp` → processed, of the event processed last.
    pub last_lag: Option<SignedDuration>,
    /// The longest such lag among the events processed in the hour before `now`.
    pub max_lag_last_hour: Option<SignedDuration>,
}

const MAX_EVENT_ID: usize = 100;
const MAX_EVENT_TYPE: usize = 200;

fn invalid(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field,
        message: message.into(),
    }
}

fn check_token(token: &str) -> Result<()> {
    if token.trim().is_empty() {
        return Err(invalid("verification_token", "the token must not be empty"));
    }
    Ok(())
}

fn row_to_token(row: &Row<'_>) -> rusqlite::Result<WebhookToken> {
    let id: String = row.get(0)?;
    let connection_id =
        ConnectionId::parse(id).map_err(|e| crate::error::conversion(0, e.to_string()))?;
    let state = match row.get::<_, String>(1)?.as_str() {
        "pending" => WebhookTokenState::Pending,
        _ => WebhookTokenState::Active,
    };
    Ok(WebhookToken {
        connection_id,
        state,
        token: SecretString::from(row.get::<_, String>(2)?),
        source: row.get(3)?,
        received_at: col(row, 4)?,
        activated_at: opt_col(row, 5)?,
    })
}

const TOKEN_COLUMNS: &str = "connection_id, state, token, source, received_at, activated_at";

fn token_row(
    tx: &Transaction<'_>,
    connection: &ConnectionId,
    state: WebhookTokenState,
) -> Result<Option<WebhookToken>> {
    tx.query_row(
        &format!(
            "SELECT {TOKEN_COLUMNS} FROM webhook_tokens WHERE connection_id = ?1 AND state = ?2"
        ),
        params![connection.as_str(), state.as_str()],
        row_to_token,
    )
    .optional()
    .map_err(corrupt)
}

const EVENT_COLUMNS: &str = "event_id, connection_id, event_type, entity_id, entity_type, \
    event_at, received_at, attempt_number, deliveries, body, processed_at, outcome";

fn row_to_event(row: &Row<'_>) -> rusqlite::Result<StoredWebhookEvent> {
    let id: String = row.get(1)?;
    let connection_id =
        ConnectionId::parse(id).map_err(|e| crate::error::conversion(1, e.to_string()))?;
    Ok(StoredWebhookEvent {
        event_id: row.get(0)?,
        connection_id,
        event_type: row.get(2)?,
        entity_id: row.get(3)?,
        entity_type: row.get(4)?,
        event_at: col(row, 5)?,
        received_at: col(row, 6)?,
        attempt_number: row.get(7)?,
        deliveries: row.get(8)?,
        body: row.get(9)?,
        processed_at: opt_col(row, 10)?,
        outcome: row.get(11)?,
    })
}

fn ms_duration(ms: Option<i64>) -> Option<SignedDuration> {
    ms.map(SignedDuration::from_millis)
}

impl SqliteStore {
    /// A connection's verification tokens.
    pub fn webhook_tokens(&self, connection: &ConnectionId) -> Result<WebhookTokens> {
        self.read(|tx| {
            Ok(WebhookTokens {
                pending: token_row(tx, connection, WebhookTokenState::Pending)?,
                active: token_row(tx, connection, WebhookTokenState::Active)?,
            })
        })
    }

    /// Every active token, by connection: what a signed event may be verified against.
    pub fn active_webhook_tokens(&self) -> Result<Vec<WebhookToken>> {
        self.read(|tx| {
            let mut stmt = tx.prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM webhook_tokens WHERE state = 'active' \
                 ORDER BY connection_id"
            ))?;
            let rows = stmt.query_map([], row_to_token)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(corrupt)
        })
    }

    /// Stores the token of a verification POST as the connection's pending token (replacing an
    /// earlier pending one; the active token is untouched). Errors: `Invalid` (empty token).
    pub fn save_pending_webhook_token(
        &self,
        connection: &ConnectionId,
        token: &str,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<WebhookToken> {
        check_token(token)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhook_tokens (connection_id, state, token, source, received_at) \
                 VALUES (?1, 'pending', ?2, ?3, ?4) \
                 ON CONFLICT (connection_id, state) DO UPDATE SET token = excluded.token, \
                 source = excluded.source, received_at = excluded.received_at",
                params![connection.as_str(), token, source, to_ms(now)],
            )?;
            token_row(tx, connection, WebhookTokenState::Pending)?
                .ok_or_else(|| invalid("verification_token", "not stored"))
        })
    }

    /// Makes the connection's pending token its active one (replacing the active token), in one
    /// transaction. Errors: `NotFound` (no pending token).
    pub fn confirm_webhook_token(
        &self,
        connection: &ConnectionId,
        now: Timestamp,
    ) -> Result<WebhookToken> {
        self.write(|tx| {
            let Some(pending) = token_row(tx, connection, WebhookTokenState::Pending)? else {
                return Err(StoreError::NotFound {
                    what: "pending webhook verification token",
                    id: connection.to_string(),
                });
            };
            tx.execute(
                "DELETE FROM webhook_tokens WHERE connection_id = ?1",
                [connection.as_str()],
            )?;
            tx.execute(
                "INSERT INTO webhook_tokens \
                 (connection_id, state, token, source, received_at, activated_at) \
                 VALUES (?1, 'active', ?2, ?3, ?4, ?5)",
                params![
                    connection.as_str(),
                    secrecy::ExposeSecret::expose_secret(&pending.token),
                    pending.source,
                    to_ms(pending.received_at),
                    to_ms(now)
                ],
            )?;
            token_row(tx, connection, WebhookTokenState::Active)?
                .ok_or_else(|| invalid("verification_token", "not stored"))
        })
    }

    /// Sets the connection's active token directly (the operator already has one); the same
    /// token again changes nothing, not even its times. Errors: `Invalid` (empty token).
    pub fn set_active_webhook_token(
        &self,
        connection: &ConnectionId,
        token: &str,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<WebhookToken> {
        check_token(token)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhook_tokens \
                 (connection_id, state, token, source, received_at, activated_at) \
                 VALUES (?1, 'active', ?2, ?3, ?4, ?4) \
                 ON CONFLICT (connection_id, state) DO UPDATE SET token = excluded.token, \
                 source = excluded.source, received_at = excluded.received_at, \
                 activated_at = excluded.activated_at \
                 WHERE webhook_tokens.token <> excluded.token",
                params![connection.as_str(), token, source, to_ms(now)],
            )?;
            token_row(tx, connection, WebhookTokenState::Active)?
                .ok_or_else(|| invalid("verification_token", "not stored"))
        })
    }

    /// Stores an accepted event once per event id: a redelivery only counts (`Duplicate`), the
    /// first stored body is kept. Errors: `Invalid` (an empty or overlong id or type).
    pub fn record_webhook_event(
        &self,
        event: &NewWebhookEvent,
        now: Timestamp,
    ) -> Result<EventReceipt> {
        if event.event_id.is_empty() || event.event_id.len() > MAX_EVENT_ID {
            return Err(invalid(
                "id",
                format!("an event id is 1 to {MAX_EVENT_ID} characters"),
            ));
        }
        if event.event_type.is_empty() || event.event_type.len() > MAX_EVENT_TYPE {
            return Err(invalid(
                "type",
                format!("an event type is 1 to {MAX_EVENT_TYPE} characters"),
            ));
        }
        self.write(|tx| {
            let inserted = tx.execute(
                "INSERT INTO webhook_events (event_id, connection_id, event_type, entity_id, \
                 entity_type, event_at, received_at, attempt_number, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (event_id) DO NOTHING",
                params![
                    event.event_id,
                    event.connection_id.as_str(),
                    event.event_type,
                    event.entity_id,
                    event.entity_type,
                    to_ms(event.event_at),
                    to_ms(now),
                    event.attempt_number,
                    event.body,
                ],
            )?;
            if inserted == 1 {
                return Ok(EventReceipt::New);
            }
            tx.execute(
                "UPDATE webhook_events SET deliveries = deliveries + 1 WHERE event_id = ?1",
                [&event.event_id],
            )?;
            Ok(EventReceipt::Duplicate)
        })
    }

    /// Counts a request refused for its signature (`reason`: `missing`, `malformed`,
    /// `mismatch`, `no_active_token`).
    pub fn count_webhook_rejection(
        &self,
        connection: &ConnectionId,
        reason: &str,
        now: Timestamp,
    ) -> Result<()> {
        if reason.is_empty() {
            return Err(invalid("reason", "a rejection needs a reason"));
        }
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhook_rejections (connection_id, reason, count, last_at) \
                 VALUES (?1, ?2, 1, ?3) ON CONFLICT (connection_id, reason) \
                 DO UPDATE SET count = count + 1, last_at = excluded.last_at",
                params![connection.as_str(), reason, to_ms(now)],
            )?;
            Ok(())
        })
    }

    /// Claims up to `limit` unprocessed events for `holder` until `now + ttl`, oldest `timestamp`
    /// first (then by id); events another holder claimed are skipped until that claim lapses, so
    /// a processor that died leaves nothing stuck. Errors: `Invalid` (limit 0 or over 1,000,
    /// non-positive ttl, empty holder).
    pub fn claim_webhook_events(
        &self,
        holder: &str,
        limit: u32,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Vec<StoredWebhookEvent>> {
        if holder.is_empty() {
            return Err(invalid("holder", "a claim needs a holder"));
        }
        if !(1..=1000).contains(&limit) {
            return Err(invalid("limit", "claim 1 to 1000 events at a time"));
        }
        if !ttl.is_positive() {
            return Err(invalid("ttl", "a claim lasts a positive time"));
        }
        let until = now
            .checked_add(ttl)
            .map_err(|e| invalid("ttl", e.to_string()))?;
        self.write(|tx| {
            let ids: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT event_id FROM webhook_events WHERE processed_at IS NULL \
                     AND (claimed_until IS NULL OR claimed_until <= ?1 OR claimed_by = ?2) \
                     ORDER BY event_at, event_id LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![to_ms(now), holder, limit], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                tx.execute(
                    "UPDATE webhook_events SET claimed_by = ?2, claimed_until = ?3 \
                     WHERE event_id = ?1",
                    params![id, holder, to_ms(until)],
                )?;
                out.push(
                    tx.query_row(
                        &format!("SELECT {EVENT_COLUMNS} FROM webhook_events WHERE event_id = ?1"),
                        [&id],
                        row_to_event,
                    )
                    .map_err(corrupt)?,
                );
            }
            Ok(out)
        })
    }

    /// Marks events processed with their outcomes, in one transaction; returns how many were
    /// still unprocessed (an event processed already keeps its first outcome).
    pub fn mark_webhook_events_processed(
        &self,
        outcomes: &[WebhookOutcome],
        now: Timestamp,
    ) -> Result<usize> {
        self.write(|tx| {
            let mut changed = 0;
            for o in outcomes {
                changed += tx.execute(
                    "UPDATE webhook_events SET processed_at = ?2, outcome = ?3, \
                     claimed_by = NULL, claimed_until = NULL \
                     WHERE event_id = ?1 AND processed_at IS NULL",
                    params![o.event_id, to_ms(now), o.outcome],
                )?;
            }
            Ok(changed)
        })
    }

    /// Whether an unprocessed event is waiting that `holder` could claim at `now` (unclaimed,
    /// its claim lapsed, or its own): one read on the unprocessed index, no write, so a processor
    /// can ask every second.
    pub fn webhook_events_waiting(&self, holder: &str, now: Timestamp) -> Result<bool> {
        self.read(|tx| {
            Ok(tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM webhook_events WHERE processed_at IS NULL \
                 AND (claimed_until IS NULL OR claimed_until <= ?1 OR claimed_by = ?2))",
                params![to_ms(now), holder],
                |r| r.get::<_, bool>(0),
            )?)
        })
    }

    /// One stored event. Errors: `NotFound`.
    pub fn get_webhook_event(&self, event_id: &str) -> Result<StoredWebhookEvent> {
        self.read(|tx| {
            tx.query_row(
                &format!("SELECT {EVENT_COLUMNS} FROM webhook_events WHERE event_id = ?1"),
                [event_id],
                row_to_event,
            )
            .optional()
            .map_err(corrupt)?
            .ok_or_else(|| StoreError::NotFound {
                what: "webhook event",
                id: event_id.to_owned(),
            })
        })
    }

    /// Deletes processed events processed more than `older_than` before `now`; returns how many.
    /// Unprocessed events are never deleted. Errors: `Invalid` (negative `older_than`).
    pub fn prune_webhook_events(
        &self,
        older_than: SignedDuration,
        now: Timestamp,
    ) -> Result<usize> {
        if older_than.is_negative() {
            return Err(invalid("older_than", "must not be negative"));
        }
        let before = now
            .checked_sub(older_than)
            .map_err(|e| invalid("older_than", e.to_string()))?;
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM webhook_events WHERE processed_at IS NOT NULL AND processed_at < ?1",
                [to_ms(before)],
            )?)
        })
    }

    /// How webhooks are doing at `now`: last event, events by type, redeliveries, backlog,
    /// refused signatures, lag.
    pub fn webhook_health(&self, now: Timestamp) -> Result<WebhookHealth> {
        self.read(|tx| {
            let mut health = WebhookHealth::default();
            let (last_received, last_event, total, duplicates): (
                Option<i64>,
                Option<i64>,
                i64,
                Option<i64>,
            ) = tx.query_row(
                "SELECT MAX(received_at), MAX(event_at), COUNT(*), SUM(deliveries - 1) \
                 FROM webhook_events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let ts = |ms: Option<i64>| ms.and_then(|ms| Timestamp::from_millisecond(ms).ok());
            health.last_received_at = ts(last_received);
            health.last_event_at = ts(last_event);
            health.events_total = total.unsigned_abs();
            health.duplicates = duplicates.unwrap_or(0).unsigned_abs();
            {
                let mut stmt = tx.prepare(
                    "SELECT event_type, COUNT(*) FROM webhook_events GROUP BY event_type \
                     ORDER BY COUNT(*) DESC, event_type",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(EventTypeCount {
                        event_type: r.get(0)?,
                        count: r.get::<_, i64>(1)?.unsigned_abs(),
                    })
                })?;
                health.events_by_type = rows.collect::<rusqlite::Result<_>>()?;
            }
            let (unprocessed, oldest): (i64, Option<i64>) = tx.query_row(
                "SELECT COUNT(*), MIN(event_at) FROM webhook_events WHERE processed_at IS NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            health.unprocessed = unprocessed.unsigned_abs();
            health.oldest_unprocessed_at = ts(oldest);
            {
                let mut stmt = tx.prepare(
                    "SELECT connection_id, reason, count, last_at FROM webhook_rejections \
                     ORDER BY connection_id, reason",
                )?;
                let rows = stmt.query_map([], |r| {
                    let id: String = r.get(0)?;
                    Ok(RejectionCount {
                        connection_id: ConnectionId::parse(id)
                            .map_err(|e| crate::error::conversion(0, e.to_string()))?,
                        reason: r.get(1)?,
                        count: r.get::<_, i64>(2)?.unsigned_abs(),
                        last_at: col(r, 3)?,
                    })
                })?;
                health.rejected = rows.collect::<rusqlite::Result<_>>()?;
            }
            health.rejected_total = health.rejected.iter().map(|r| r.count).sum();
            health.last_lag = ms_duration(
                tx.query_row(
                    "SELECT processed_at - event_at FROM webhook_events \
                     WHERE processed_at IS NOT NULL ORDER BY processed_at DESC, event_id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?,
            );
            let hour_ago = to_ms(now) - 3_600_000;
            health.max_lag_last_hour = ms_duration(tx.query_row(
                "SELECT MAX(processed_at - event_at) FROM webhook_events \
                 WHERE processed_at IS NOT NULL AND processed_at > ?1",
                [hour_ago],
                |r| r.get(0),
            )?);
            Ok(health)
        })
    }
}
