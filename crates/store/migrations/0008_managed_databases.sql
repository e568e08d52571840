-- Schema version 8: managed databases (issue 12). A database is `linked` (pages linked by hand,
-- the default: a database without a row here is linked) or `managed`: every election gets a page
-- there, found by its key property or created, and linked automatically. One row per database id
-- (a database belongs to one connection: connection_databases says which).

CREATE TABLE managed_databases (
    database_id         TEXT PRIMARY KEY NOT NULL,
    mode                TEXT NOT NULL DEFAULT 'linked' CHECK (mode IN ('linked', 'managed')),
    key_property        TEXT NOT NULL DEFAULT 'Election ID',
    include_existing    INTEGER NOT NULL DEFAULT 0 CHECK (include_existing IN (0, 1)),
    on_election_deleted TEXT NOT NULL DEFAULT 'keep' CHECK (on_election_deleted IN ('keep', 'trash')),
    -- Which of the election's fields a new page is created with (the key always is).
    create_title        INTEGER NOT NULL DEFAULT 1 CHECK (create_title IN (0, 1)),
    create_description  INTEGER NOT NULL DEFAULT 1 CHECK (create_description IN (0, 1)),
    create_window       INTEGER NOT NULL DEFAULT 1 CHECK (create_window IN (0, 1)),
    create_status       INTEGER NOT NULL DEFAULT 1 CHECK (create_status IN (0, 1)),
    -- When it last became managed: without include_existing, older elections get no page.
    managed_since       INTEGER,
    -- The delta cursor: elections updated at or after it are looked at by the next delta.
    delta_cursor        INTEGER,
    -- The last pass: its kind, when, and its counts (managed pages, orphans, duplicates, ...).
    last_pass_kind      TEXT CHECK (last_pass_kind IS NULL OR last_pass_kind IN ('delta', 'full')),
    last_pass_at        INTEGER,
    last_pass_complete  INTEGER CHECK (last_pass_complete IS NULL OR last_pass_complete IN (0, 1)),
    last_managed_pages  INTEGER,
    last_orphans        INTEGER,
    last_duplicates     INTEGER,
    last_created        INTEGER,
    last_linked         INTEGER,
    last_trashed        INTEGER,
    last_halted         TEXT, -- why the brake held the sweep back, for people
    last_full_pass      TEXT, -- JSON: the summary of the last full pass (a backfill)
    updated_at          INTEGER NOT NULL,
    CHECK (mode = 'linked' OR managed_since IS NOT NULL)
) STRICT;

-- The delta reads the elections changed since a cursor.
CREATE INDEX elections_by_updated_at ON elections (updated_at, id);
