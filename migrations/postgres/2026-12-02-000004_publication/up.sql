-- Publication a ministry can sign: who last corrected a transcription, who wrote and last
-- edited a response item, the content behind an idempotency key, redactions with their
-- suggestions, and a durable queue for background work other than email.
ALTER TABLE submissions ADD COLUMN corrected_by BIGINT REFERENCES staff_users(id);
ALTER TABLE submissions ADD COLUMN request_hash TEXT;
ALTER TABLE response_items ADD COLUMN created_by BIGINT REFERENCES staff_users(id);
ALTER TABLE response_items ADD COLUMN edited_by BIGINT REFERENCES staff_users(id);

CREATE TABLE redactions (
    id BIGSERIAL PRIMARY KEY,
    opinion_id BIGINT NOT NULL REFERENCES opinions(id),
    field TEXT NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    note TEXT,
    created_by BIGINT REFERENCES staff_users(id),
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES staff_users(id),
    decided_at TIMESTAMP
);
CREATE INDEX redactions_opinion ON redactions (opinion_id);
CREATE INDEX redactions_suggested ON redactions (opinion_id) WHERE status = 'suggested';

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_kind ON jobs (kind, id);

-- Every submission stored before this migration is scanned for personal data once.
INSERT INTO jobs (kind, payload, created_at)
SELECT 'scan_personal_data', '[' || id || ']', CURRENT_TIMESTAMP FROM submissions;
