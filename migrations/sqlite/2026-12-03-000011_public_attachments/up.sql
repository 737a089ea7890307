-- Files the public attaches to a submission share the table with staff scans: no staff
-- member uploaded them, they carry their SHA-256 (shown on the receipt), they are published
-- only once staff mark them publishable, and the text read from them feeds the search.
-- SQLite cannot drop NOT NULL in place: the table is rebuilt (nothing refers to it).
CREATE TABLE attachments_new (
    id INTEGER PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    stored_name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by BIGINT REFERENCES staff_users(id),
    created_at TIMESTAMP NOT NULL,
    sha256 TEXT,
    publishable BOOLEAN NOT NULL DEFAULT FALSE,
    extracted_text TEXT
);
INSERT INTO attachments_new (id, submission_id, stored_name, original_name, content_type, size_bytes, uploaded_by, created_at)
    SELECT id, submission_id, stored_name, original_name, content_type, size_bytes, uploaded_by, created_at FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_submission ON attachments (submission_id);
