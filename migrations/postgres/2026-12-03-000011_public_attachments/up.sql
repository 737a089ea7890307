-- Files the public attaches to a submission share the table with staff scans: no staff
-- member uploaded them, they carry their SHA-256 (shown on the receipt), they are published
-- only once staff mark them publishable, and the text read from them feeds the search.
ALTER TABLE attachments ALTER COLUMN uploaded_by DROP NOT NULL;
ALTER TABLE attachments ADD COLUMN sha256 TEXT;
ALTER TABLE attachments ADD COLUMN publishable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE attachments ADD COLUMN extracted_text TEXT;
CREATE INDEX attachments_submission ON attachments (submission_id);
