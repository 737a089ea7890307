DROP TABLE jobs;
DROP TABLE redactions;
ALTER TABLE response_items DROP COLUMN edited_by;
ALTER TABLE response_items DROP COLUMN created_by;
ALTER TABLE submissions DROP COLUMN request_hash;
ALTER TABLE submissions DROP COLUMN corrected_by;
