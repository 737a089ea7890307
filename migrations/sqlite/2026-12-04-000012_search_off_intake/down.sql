DROP TRIGGER opinions_fts_delete;
DROP TRIGGER opinions_fts_update;
INSERT INTO opinions_fts(rowid, body, reason, location)
    SELECT id, body, reason, location FROM opinions WHERE id IN (SELECT opinion_id FROM search_backlog);
DROP TABLE search_backlog;
CREATE TRIGGER opinions_fts_insert AFTER INSERT ON opinions BEGIN
    INSERT INTO opinions_fts(rowid, body, reason, location) VALUES (new.id, new.body, new.reason, new.location);
END;
CREATE TRIGGER opinions_fts_delete AFTER DELETE ON opinions BEGIN
    INSERT INTO opinions_fts(opinions_fts, rowid, body, reason, location) VALUES ('delete', old.id, old.body, old.reason, old.location);
END;
CREATE TRIGGER opinions_fts_update AFTER UPDATE OF body, reason, location ON opinions BEGIN
    INSERT INTO opinions_fts(opinions_fts, rowid, body, reason, location) VALUES ('delete', old.id, old.body, old.reason, old.location);
    INSERT INTO opinions_fts(rowid, body, reason, location) VALUES (new.id, new.body, new.reason, new.location);
END;
