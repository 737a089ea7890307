-- Less work for each stored submission: columns that are empty for almost every public
-- submission get partial indexes, which a row with NULL there does not enter. Every query
-- that uses them asks for a value (or for IS NOT NULL), which implies the predicate.
DROP INDEX opinions_response_item;
CREATE INDEX opinions_response_item ON opinions (response_item_id) WHERE response_item_id IS NOT NULL;
DROP INDEX submissions_verification;
CREATE INDEX submissions_verification ON submissions (verification, received_at) WHERE verification IS NOT NULL;
