-- Secrets every instance on one database must share (the form-token signing key), created
-- once by whichever instance starts first. Used on PostgreSQL; SQLite keeps its key file.
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
