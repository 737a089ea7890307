ALTER TABLE opinions ADD COLUMN assignee_id BIGINT REFERENCES staff_users(id);
ALTER TABLE opinions ADD COLUMN triage_reason TEXT;
ALTER TABLE opinions ADD COLUMN duplicate_of BIGINT REFERENCES opinions(id);
ALTER TABLE opinions ADD COLUMN response_item_id BIGINT;
ALTER TABLE opinions ADD COLUMN original_draft_id BIGINT REFERENCES drafts(id);
CREATE INDEX opinions_triage ON opinions (triage_state);
CREATE INDEX opinions_response_item ON opinions (response_item_id);

CREATE TABLE opinion_tags (
    opinion_id BIGINT NOT NULL REFERENCES opinions(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (opinion_id, tag)
);
CREATE INDEX opinion_tags_tag ON opinion_tags (tag);

CREATE TABLE opinion_notes (
    id INTEGER PRIMARY KEY,
    opinion_id BIGINT NOT NULL REFERENCES opinions(id),
    author_id BIGINT NOT NULL REFERENCES staff_users(id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX opinion_notes_opinion ON opinion_notes (opinion_id);

CREATE TABLE response_items (
    id INTEGER PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    draft_id BIGINT REFERENCES drafts(id),
    position INTEGER NOT NULL,
    summary_ja TEXT NOT NULL,
    summary_en TEXT NOT NULL,
    view_ja TEXT NOT NULL,
    view_en TEXT NOT NULL,
    changed BOOLEAN NOT NULL,
    change_ja TEXT NOT NULL,
    change_en TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_by BIGINT REFERENCES staff_users(id),
    approved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX response_items_consultation ON response_items (consultation_id, draft_id, position);

CREATE TABLE result_versions (
    id INTEGER PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    version INTEGER NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by BIGINT NOT NULL REFERENCES staff_users(id),
    content TEXT NOT NULL,
    UNIQUE (consultation_id, version)
);

CREATE TRIGGER result_versions_no_update BEFORE UPDATE ON result_versions
BEGIN
    SELECT RAISE(ABORT, 'published results are immutable');
END;
CREATE TRIGGER result_versions_no_delete BEFORE DELETE ON result_versions
BEGIN
    SELECT RAISE(ABORT, 'published results are immutable');
END;

-- Full-text search that works for Japanese and English alike: trigrams, no dictionary.
CREATE VIRTUAL TABLE opinions_fts USING fts5(body, reason, location, content='opinions', content_rowid='id', tokenize='trigram');
INSERT INTO opinions_fts(opinions_fts) VALUES ('rebuild');
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
