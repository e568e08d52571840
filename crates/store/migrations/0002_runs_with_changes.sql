-- The runs `list_runs_filtered` shows with `RunActivity::Changes`, newest first, without walking the
-- idle cycles in between. The WHERE clause must stay the same expression as `CHANGES_PREDICATE` in
-- src/runs.rs, or SQLite cannot use this index.
CREATE INDEX sync_runs_with_changes ON sync_runs (started_at DESC, id DESC)
WHERE finished_at IS NULL OR error IS NOT NULL OR read_count > 0 OR written_count > 0
    OR pulled_count > 0 OR failed_count > 0;
