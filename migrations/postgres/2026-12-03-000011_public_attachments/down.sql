DROP INDEX attachments_submission;
ALTER TABLE attachments DROP COLUMN extracted_text;
ALTER TABLE attachments DROP COLUMN publishable;
ALTER TABLE attachments DROP COLUMN sha256;
DELETE FROM attachments WHERE uploaded_by IS NULL;
ALTER TABLE attachments ALTER COLUMN uploaded_by SET NOT NULL;
