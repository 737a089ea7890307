DROP TABLE published_opinions;
ALTER TABLE submissions DROP COLUMN withdrawn_at;
