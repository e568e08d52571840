-- Schema version 1: elections with their Notion link and sync state, per-database cursors,
-- sync runs and their logs, pause flags, leases.
-- Every instant is an INTEGER of milliseconds since the Unix epoch, UTC (see docs/DATA-MODEL.md).

CREATE TABLE elections (
    id                               TEXT PRIMARY KEY NOT NULL,
    title                            TEXT NOT NULL CHECK (length(trim(title)) > 0),
    description                      TEXT NOT NULL DEFAULT '',
    open_at                          INTEGER NOT NULL,
    close_at                         INTEGER NOT NULL,
    created_at                       INTEGER NOT NULL,
    updated_at                       INTEGER NOT NULL,

    -- The Notion link (SPEC §3 names). NULL database/page = not linked.
    notion_database_id               TEXT,
    notion_page_id                   TEXT,
    notion_page_url                  TEXT,
    notion_status_property_name      TEXT,
    notion_status_value_not_started  TEXT,
    notion_status_value_in_voting    TEXT,
    notion_status_value_done         TEXT,
    notion_results_property_name     TEXT,
    notion_title_property_name       TEXT,
    notion_description_property_name TEXT,
    notion_last_sync_at              INTEGER,
    notion_last_sync_error           TEXT,
    notion_done_set_at               INTEGER,

    -- Scheduling state of the sync (sync-engine's SyncState beyond the SPEC fields).
    sync_last_attempt_at             INTEGER,
    sync_consecutive_failures        INTEGER NOT NULL DEFAULT 0 CHECK (sync_consecutive_failures >= 0),
    sync_error_class                 TEXT CHECK (sync_error_class IN ('transient', 'permanent')),
    sync_next_attempt_at             INTEGER,
    sync_link_broken                 INTEGER NOT NULL DEFAULT 0 CHECK (sync_link_broken IN (0, 1)),
    sync_last_observation            TEXT, -- JSON of sync_engine::PageObservation
    sync_paused_at                   INTEGER, -- NOT NULL = this election is paused

    CHECK (close_at > open_at),
    CHECK ((notion_database_id IS NULL) = (notion_page_id IS NULL))
) STRICT;

CREATE INDEX elections_linked_by_database
    ON elections (notion_database_id, id) WHERE notion_page_id IS NOT NULL;
CREATE INDEX elections_open_at ON elections (open_at);
CREATE INDEX elections_close_at ON elections (close_at);

-- One row per linked Notion database: where the change query resumes.
CREATE TABLE sync_cursors (
    database_id            TEXT PRIMARY KEY NOT NULL,
    last_edited_cursor     INTEGER, -- last_edited_time already processed (before the overlap)
    last_full_reconcile_at INTEGER,
    updated_at             INTEGER NOT NULL
) STRICT;

CREATE TABLE sync_runs (
    id               TEXT PRIMARY KEY NOT NULL, -- UUID v7, text
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    trigger_kind     TEXT NOT NULL CHECK (trigger_kind IN ('scheduled', 'manual', 'reconcile')),
    holder           TEXT NOT NULL,
    read_count       INTEGER NOT NULL DEFAULT 0,
    planned_count    INTEGER NOT NULL DEFAULT 0,
    written_count    INTEGER NOT NULL DEFAULT 0,
    pulled_count     INTEGER NOT NULL DEFAULT 0,
    failed_count     INTEGER NOT NULL DEFAULT 0,
    notion_requests  INTEGER NOT NULL DEFAULT 0,
    error            TEXT
) STRICT;

CREATE INDEX sync_runs_newest ON sync_runs (started_at DESC, id DESC);

-- No foreign key to elections: the history outlives a deleted election.
CREATE TABLE sync_run_logs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    election_id TEXT,
    page_id     TEXT,
    action      TEXT NOT NULL,
    detail      TEXT, -- JSON
    error       TEXT
) STRICT;

CREATE INDEX sync_run_logs_by_run ON sync_run_logs (run_id, seq);

-- Global pause: a row means syncing is paused for everything.
CREATE TABLE sync_global_pause (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    paused_at INTEGER NOT NULL
) STRICT;

CREATE TABLE leases (
    name        TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
