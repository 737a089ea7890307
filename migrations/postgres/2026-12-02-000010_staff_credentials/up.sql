-- Two-factor sign-in (TOTP, RFC 6238): the secret once enrolment is confirmed, the secret
-- being enrolled until then, and the last time step used, so no code works twice.
ALTER TABLE staff_users ADD COLUMN totp_secret TEXT;
ALTER TABLE staff_users ADD COLUMN totp_pending TEXT;
ALTER TABLE staff_users ADD COLUMN totp_last_step BIGINT;

-- One-time recovery codes, kept only as hashes.
CREATE TABLE staff_recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES staff_users (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX staff_recovery_codes_user ON staff_recovery_codes (user_id);

-- One-time password-reset links an administrator issues, kept only as hashes.
CREATE TABLE staff_password_resets (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES staff_users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES staff_users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
