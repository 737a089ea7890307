CREATE TABLE staff_users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_sessions (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES staff_users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

CREATE TABLE sign_in_attempts (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX sign_in_attempts_username ON sign_in_attempts (username, at);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, at);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    client TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

ALTER TABLE submissions ADD COLUMN postmark_date DATE;
ALTER TABLE submissions ADD COLUMN transcribed_by BIGINT REFERENCES staff_users(id);
ALTER TABLE submissions ADD COLUMN verification TEXT;
ALTER TABLE submissions ADD COLUMN verified_by BIGINT REFERENCES staff_users(id);
ALTER TABLE submissions ADD COLUMN verification_comment TEXT;
ALTER TABLE submissions ADD COLUMN late_accepted_by BIGINT REFERENCES staff_users(id);
ALTER TABLE submissions ADD COLUMN late_acceptance_reason TEXT;
CREATE INDEX submissions_verification ON submissions (verification, received_at);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    stored_name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES staff_users(id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE opinion_revisions (
    id BIGSERIAL PRIMARY KEY,
    opinion_id BIGINT NOT NULL REFERENCES opinions(id),
    draft_id BIGINT,
    location TEXT,
    body TEXT NOT NULL,
    reason TEXT,
    replaced_by BIGINT NOT NULL REFERENCES staff_users(id),
    replaced_at TIMESTAMP NOT NULL
);
