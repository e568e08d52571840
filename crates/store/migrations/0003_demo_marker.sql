-- A row means the api-server's demo created this store: the demo may empty and re-seed it at
-- every start, and refuses any store without the row that already holds data.
CREATE TABLE demo_marker (
    singleton  INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    created_at INTEGER NOT NULL
) STRICT;
