-- Published opinions are read a page at a time per response item (the results page, the
-- item pages, the streamed downloads) instead of from one document holding them all.
ALTER TABLE published_opinions ADD COLUMN item_id BIGINT;
ALTER TABLE published_opinions ADD COLUMN number INTEGER;
CREATE INDEX published_opinions_by_item ON published_opinions (item_id, version, number);
