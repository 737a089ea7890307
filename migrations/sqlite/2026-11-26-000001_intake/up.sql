CREATE TABLE consultations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    code TEXT NOT NULL,
    parent_code TEXT,
    position INTEGER NOT NULL,
    title_ja TEXT,
    title_en TEXT,
    UNIQUE (consultation_id, code)
);

CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    receipt_number TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    channel TEXT NOT NULL,
    locale TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    late BOOLEAN NOT NULL,
    submitter_name TEXT,
    organization TEXT,
    email TEXT,
    postal_address TEXT,
    phone TEXT,
    publish_organization BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX submissions_consultation ON submissions (consultation_id, received_at);

CREATE TABLE opinions (
    id INTEGER PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    draft_id BIGINT REFERENCES drafts(id),
    position INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    reason TEXT,
    triage_state TEXT NOT NULL DEFAULT 'new',
    UNIQUE (submission_id, position)
);
CREATE INDEX opinions_draft ON opinions (draft_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    submission_id BIGINT REFERENCES submissions(id),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    message_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
