-- Schema version 6: a link is its own record. An election has zero or more links, each to one
-- Notion page, with its own field mapping and sync state; the election keeps only its own fields
-- and its pause. Existing links move over intact, each becoming its election's primary link.
-- (SQLite cannot drop columns named in a table CHECK, so the elections table is rebuilt.)

-- 1. Set the links aside, with everything stored about them.
CREATE TABLE links_moving AS
SELECT id AS election_id, updated_at,
       notion_database_id, notion_page_id, notion_page_url,
       notion_status_property_name, notion_status_value_not_started,
       notion_status_value_in_voting, notion_status_value_done,
       notion_results_property_name, notion_title_property_name,
       notion_description_property_name, notion_mapping,
       notion_last_sync_at, notion_last_sync_error, notion_done_set_at,
       sync_last_attempt_at, sync_consecutive_failures, sync_error_class,
       sync_next_attempt_at, sync_link_broken, sync_last_observation
FROM elections WHERE notion_page_id IS NOT NULL;

-- 2. Rebuild the elections without the link columns.
CREATE TABLE elections_rebuilt (
    id             TEXT PRIMARY KEY NOT NULL,
    title          TEXT NOT NULL CHECK (length(trim(title)) > 0),
    description    TEXT NOT NULL DEFAULT '',
    open_at        INTEGER NOT NULL,
    close_at       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    sync_paused_at INTEGER, -- NOT NULL = this election (all its links) is paused
    CHECK (close_at > open_at)
) STRICT;

INSERT INTO elections_rebuilt (id, title, description, open_at, close_at, created_at, updated_at,
                               sync_paused_at)
SELECT id, title, description, open_at, close_at, created_at, updated_at, sync_paused_at
FROM elections;

DROP TABLE elections;
ALTER TABLE elections_rebuilt RENAME TO elections;
CREATE INDEX elections_open_at ON elections (open_at);
CREATE INDEX elections_close_at ON elections (close_at);

-- 3. The links. The SPEC §3 name columns stay, kept equal to the mapping's names, for people
-- and tools reading the table; notion_mapping (sync_engine::FieldMapping as JSON) is what the
-- sync reads.
CREATE TABLE notion_links (
    id                               TEXT PRIMARY KEY NOT NULL, -- lnk_<32 hex>
    election_id                      TEXT NOT NULL REFERENCES elections (id) ON DELETE CASCADE,
    is_primary                       INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    created_at                       INTEGER NOT NULL,

    notion_database_id               TEXT NOT NULL,
    notion_page_id                   TEXT NOT NULL,
    notion_page_url                  TEXT,
    notion_status_property_name      TEXT NOT NULL,
    notion_status_value_not_started  TEXT NOT NULL,
    notion_status_value_in_voting    TEXT NOT NULL,
    notion_status_value_done         TEXT NOT NULL,
    notion_results_property_name     TEXT NOT NULL,
    notion_title_property_name       TEXT NOT NULL,
    notion_description_property_name TEXT NOT NULL,
    notion_mapping                   TEXT,
    notion_last_sync_at              INTEGER,
    notion_last_sync_error           TEXT,
    notion_done_set_at               INTEGER,

    sync_last_attempt_at             INTEGER,
    sync_consecutive_failures        INTEGER NOT NULL DEFAULT 0 CHECK (sync_consecutive_failures >= 0),
    sync_error_class                 TEXT CHECK (sync_error_class IN ('transient', 'permanent')),
    sync_next_attempt_at             INTEGER,
    sync_link_broken                 INTEGER NOT NULL DEFAULT 0 CHECK (sync_link_broken IN (0, 1)),
    sync_last_observation            TEXT -- JSON of sync_engine::PageObservation
) STRICT;

INSERT INTO notion_links (id, election_id, is_primary, created_at,
       notion_database_id, notion_page_id, notion_page_url,
       notion_status_property_name, notion_status_value_not_started,
       notion_status_value_in_voting, notion_status_value_done,
       notion_results_property_name, notion_title_property_name,
       notion_description_property_name, notion_mapping,
       notion_last_sync_at, notion_last_sync_error, notion_done_set_at,
       sync_last_attempt_at, sync_consecutive_failures, sync_error_class,
       sync_next_attempt_at, sync_link_broken, sync_last_observation)
SELECT 'lnk_' || lower(hex(randomblob(16))), election_id, 1, updated_at,
       notion_database_id, notion_page_id, notion_page_url,
       COALESCE(notion_status_property_name, 'Voting Status'),
       COALESCE(notion_status_value_not_started, 'Not started'),
       COALESCE(notion_status_value_in_voting, 'In Voting'),
       COALESCE(notion_status_value_done, 'Done'),
       COALESCE(notion_results_property_name, 'Results Link'),
       COALESCE(notion_title_property_name, 'Name'),
       COALESCE(notion_description_property_name, 'Description'),
       notion_mapping,
       notion_last_sync_at, notion_last_sync_error, notion_done_set_at,
       sync_last_attempt_at, sync_consecutive_failures, sync_error_class,
       sync_next_attempt_at, sync_link_broken, sync_last_observation
FROM links_moving;

DROP TABLE links_moving;

-- An election's links, primary first; at most one primary per election.
CREATE INDEX notion_links_by_election ON notion_links (election_id, is_primary DESC, created_at, id);
CREATE UNIQUE INDEX notion_links_one_primary ON notion_links (election_id) WHERE is_primary = 1;
-- A cycle reads one database's links.
CREATE INDEX notion_links_by_database ON notion_links (notion_database_id, election_id);
-- One page, one election: linking looks the page up (links made before that rule may still
-- share a page; new ones are refused).
CREATE INDEX notion_links_by_page ON notion_links (notion_page_id);
