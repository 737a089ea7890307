DROP TRIGGER opinion_search_follow ON opinions;
DROP FUNCTION opinion_search_follow();
DROP TABLE opinion_search;
DROP TABLE search_backlog;
CREATE INDEX opinions_body_trgm ON opinions USING gin (body gin_trgm_ops);
CREATE INDEX opinions_reason_trgm ON opinions USING gin (reason gin_trgm_ops);
