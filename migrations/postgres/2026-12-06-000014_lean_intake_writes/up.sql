-- Less work for each stored submission (issue 16: PostgreSQL's own backends used half the
-- machine under API load, and each intake batch wrote every B-tree index of its rows).
--
-- Columns that are empty for almost every public submission get partial indexes, which a row
-- with NULL there does not enter: every query that uses them asks for a value (or for
-- IS NOT NULL), which implies the predicate, so their plans are unchanged.
DROP INDEX opinions_response_item;
CREATE INDEX opinions_response_item ON opinions (response_item_id) WHERE response_item_id IS NOT NULL;
DROP INDEX submissions_verification;
CREATE INDEX submissions_verification ON submissions (verification, received_at) WHERE verification IS NOT NULL;
ALTER TABLE submissions DROP CONSTRAINT submissions_idempotency_key_key;
CREATE UNIQUE INDEX submissions_idempotency_key ON submissions (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The searchable copy of an opinion is written only from the opinion itself (db::search and
-- the update trigger), and opinions are never deleted: checking its reference row by row
-- (a foreign-key trigger per indexed opinion) guarded nothing.
ALTER TABLE opinion_search DROP CONSTRAINT opinion_search_opinion_id_fkey;
-- Opinion text of ~2 KB and more is compressed as it is stored, twice (the opinion and its
-- searchable copy); pglz_compress was 5 % of the backends' CPU. lz4 is several times cheaper.
-- A server built without lz4 keeps pglz: the migration must not fail there.
DO $$
BEGIN
    ALTER TABLE opinions ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN reason SET COMPRESSION lz4;
    ALTER TABLE opinion_search ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN reason SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; opinion text stays compressed with pglz';
END
$$;
