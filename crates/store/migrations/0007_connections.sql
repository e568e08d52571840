-- Schema version 7: Notion connections. A connection is one authorization of one workspace: the
-- internal integration (its token comes from NOTION_API_KEY and is never stored) or an OAuth one
-- (its token pair stored sealed by token-seal, never in plain text). Each connection has its own
-- allowlist of databases; a link belongs to the connection of its database.

CREATE TABLE notion_connections (
    id                 TEXT PRIMARY KEY NOT NULL, -- 'internal', or conn_<32 hex>
    kind               TEXT NOT NULL CHECK (kind IN ('internal', 'oauth')),
    workspace_id       TEXT,
    workspace_name     TEXT,
    workspace_icon     TEXT,
    bot_id             TEXT,
    owner              TEXT, -- JSON: who authorized (Notion's `owner` object)
    created_by         TEXT, -- the admin who connected it
    state              TEXT NOT NULL DEFAULT 'active'
                       CHECK (state IN ('active', 'needs_reauthorization', 'revoked')),
    state_reason       TEXT, -- why it is not active, for people
    access_token       BLOB, -- sealed (token-seal), NULL for the internal connection
    refresh_token      BLOB, -- sealed
    access_expires_at  INTEGER,
    max_requests_per_second REAL CHECK (max_requests_per_second IS NULL OR max_requests_per_second > 0),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((kind = 'internal') = (id = 'internal')),
    CHECK (kind = 'internal' OR (workspace_id IS NOT NULL AND bot_id IS NOT NULL))
) STRICT;

-- Authorizing the same workspace again (same bot) replaces its token pair, never adds a duplicate.
CREATE UNIQUE INDEX notion_connections_by_workspace_bot
    ON notion_connections (workspace_id, bot_id) WHERE kind = 'oauth';

-- The databases an admin allowed on an OAuth connection (the internal connection's allowlist is
-- NOTION_DATABASE_ALLOWLIST), with who allowed each and when.
CREATE TABLE connection_databases (
    connection_id TEXT NOT NULL REFERENCES notion_connections (id) ON DELETE CASCADE,
    database_id   TEXT NOT NULL,
    name          TEXT,
    allowed_by    TEXT,
    allowed_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, database_id)
) STRICT;
CREATE INDEX connection_databases_by_database ON connection_databases (database_id);

-- OAuth `state` values minted for an authenticated admin: single use (deleted when used), expiring.
-- Only a hash is kept, so reading the store does not let anyone finish someone else's sign-in.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Each link belongs to a connection: the one whose allowlist has its database, else the
-- internal connection (every link made before connections). No foreign key: a link outlives the
-- connection it was made through, and then says so ("connection removed") until relinked.
ALTER TABLE notion_links ADD COLUMN connection_id TEXT NOT NULL DEFAULT 'internal';
CREATE INDEX notion_links_by_connection ON notion_links (connection_id, notion_database_id);

-- Notion's Retry-After penalty per connection (the internal one too), shared by every process that
-- uses the connection: a 429 one process met holds the others' requests to it until it ends.
CREATE TABLE connection_penalties (
    connection_id TEXT PRIMARY KEY NOT NULL,
    blocked_until INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
