ALTER TABLE opinion_search ADD CONSTRAINT opinion_search_opinion_id_fkey FOREIGN KEY (opinion_id) REFERENCES opinions(id);
ALTER TABLE opinions ALTER COLUMN body SET COMPRESSION DEFAULT, ALTER COLUMN reason SET COMPRESSION DEFAULT;
ALTER TABLE opinion_search ALTER COLUMN body SET COMPRESSION DEFAULT, ALTER COLUMN reason SET COMPRESSION DEFAULT;
DROP INDEX submissions_idempotency_key;
ALTER TABLE submissions ADD CONSTRAINT submissions_idempotency_key_key UNIQUE (idempotency_key);
DROP INDEX submissions_verification;
CREATE INDEX submissions_verification ON submissions (verification, received_at);
DROP INDEX opinions_response_item;
CREATE INDEX opinions_response_item ON opinions (response_item_id);
