DROP TABLE staff_password_resets;
DROP TABLE staff_recovery_codes;
ALTER TABLE staff_users DROP COLUMN totp_last_step;
ALTER TABLE staff_users DROP COLUMN totp_pending;
ALTER TABLE staff_users DROP COLUMN totp_secret;
