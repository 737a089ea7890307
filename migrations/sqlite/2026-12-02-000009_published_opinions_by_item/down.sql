DROP INDEX published_opinions_by_item;
ALTER TABLE published_opinions DROP COLUMN number;
ALTER TABLE published_opinions DROP COLUMN item_id;
