-- A link's field mapping: each mapped property by Notion's property id (stable through renames)
-- and name, the direction of title and description, and the optional mapped fields (voting
-- window, election id, phase select), as JSON (sync_engine::FieldMapping). The SPEC §3 name
-- columns stay, kept equal to the mapping's names, for people and tools reading the table.
ALTER TABLE elections ADD COLUMN notion_mapping TEXT;

-- Observations are now kept by property id. Those stored before cannot say which property a
-- value came from: forget them, so the next sync reads each linked page once.
UPDATE elections SET sync_last_observation = NULL;
