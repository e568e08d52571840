-- An election's activity log (the admin page's Activity section) reads its run log entries newest
-- first; without this index every page of it scans the whole log of every run.
CREATE INDEX sync_run_logs_by_election ON sync_run_logs (election_id, seq DESC);
