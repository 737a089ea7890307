DROP INDEX submissions_verification;
CREATE INDEX submissions_verification ON submissions (verification, received_at);
DROP INDEX opinions_response_item;
CREATE INDEX opinions_response_item ON opinions (response_item_id);
