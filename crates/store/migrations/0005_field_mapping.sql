-- A link's field mapping: each mapped property by Notion's property id (stable through renames)
-- and name, the direction of title and description, and the optional mapped fields (voting
-- window, election id, phase select), as JSON (sync_engine::FieldMapping). The SPEC §3 name
-- columns stay, kept equal to the mapping's names, for people and tools reading the table.
ALTER TABLE elections ADD COLUMN notion_mapping TEXT;

-- Observations are now kept by property id. Those stored before cannot say which property a
-- value came from: forget them, and make each database's next read a full one, so that the
-- pages come back from ceil(N/100) queries rather than N reads of one page each.
UPDATE elections SET sync_last_observation = NULL;
UPDATE sync_cursors SET last_full_reconcile_at = NULL;

-- One page, one election: linking looks the page up (links made before this rule may still
-- share a page; new ones are refused).
CREATE INDEX elections_by_notion_page ON elections (notion_page_id) WHERE notion_page_id IS NOT NULL;
