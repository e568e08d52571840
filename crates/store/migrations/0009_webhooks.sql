-- Schema version 9 (0008 is the managed databases'): Notion webhooks. Each connection may have one
-- webhook subscription at Notion, whose verification token is both what the operator pastes into
-- Notion's Verify dialog and the key events are signed with.

-- The verification tokens, per connection: at most one pending (the latest verification POST, shown
-- to an admin, never trusted on its own) and one active (confirmed by an admin, or set by
-- NOTION_WEBHOOK_VERIFICATION_TOKEN). The token is kept in plain text: the api-server must read it
-- for every event, and it authenticates signals only (an event makes the sync read Notion, never
-- write what the event says). No foreign key: the internal connection's row may not exist yet.
CREATE TABLE webhook_tokens (
    connection_id TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active')),
    token         TEXT NOT NULL CHECK (token <> ''),
    source        TEXT, -- where it came from: the sender's address, or 'environment'
    received_at   INTEGER NOT NULL,
    activated_at  INTEGER,
    PRIMARY KEY (connection_id, state)
) STRICT;

-- The event inbox: every signed event accepted, stored before the receiver answers 200, once per
-- event id (Notion's retries carry the same id: a redelivery only counts). The processor claims
-- unprocessed events in Notion's timestamp order and marks each processed with its outcome.
CREATE TABLE webhook_events (
    event_id       TEXT PRIMARY KEY NOT NULL,
    connection_id  TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    entity_id      TEXT,
    entity_type    TEXT,
    event_at       INTEGER NOT NULL, -- the event's `timestamp`
    received_at    INTEGER NOT NULL, -- the first delivery
    attempt_number INTEGER NOT NULL,
    deliveries     INTEGER NOT NULL DEFAULT 1, -- how often it was received (retries, replays)
    body           BLOB NOT NULL,    -- the raw body, as signed
    claimed_by     TEXT,
    claimed_until  INTEGER,
    processed_at   INTEGER,
    outcome        TEXT
) STRICT;
CREATE INDEX webhook_events_unprocessed ON webhook_events (event_at, event_id)
    WHERE processed_at IS NULL;
CREATE INDEX webhook_events_by_received ON webhook_events (received_at);
CREATE INDEX webhook_events_by_processed ON webhook_events (processed_at)
    WHERE processed_at IS NOT NULL;

-- Requests refused for their signature (missing, malformed, mismatch, no active token), counted per
-- connection and reason; nothing of the request itself is kept.
CREATE TABLE webhook_rejections (
    connection_id TEXT NOT NULL,
    reason        TEXT NOT NULL,
    count         INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (connection_id, reason)
) STRICT;
