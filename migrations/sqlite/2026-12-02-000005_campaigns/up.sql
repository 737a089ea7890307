-- Campaigns: a similarity fingerprint per opinion, its band keys for finding candidates, the
-- clusters found, and staff choices that survive re-clustering.
CREATE TABLE fingerprints (
    opinion_id BIGINT PRIMARY KEY REFERENCES opinions(id),
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    signature BLOB NOT NULL,
    shingles INTEGER NOT NULL
);
CREATE INDEX fingerprints_consultation ON fingerprints (consultation_id);

-- Forty rows per opinion: one B-tree and no foreign key (the fingerprint row holds it and its
-- keys are removed with it), because these rows are most of what storing a fingerprint costs.
CREATE TABLE fingerprint_bands (
    consultation_id BIGINT NOT NULL,
    band_key BIGINT NOT NULL,
    opinion_id BIGINT NOT NULL,
    PRIMARY KEY (consultation_id, band_key, opinion_id)
) WITHOUT ROWID;

CREATE TABLE cluster_members (
    opinion_id BIGINT PRIMARY KEY REFERENCES opinions(id),
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    cluster_id BIGINT NOT NULL,
    similarity INTEGER NOT NULL,
    own_chars INTEGER NOT NULL,
    is_template BOOLEAN NOT NULL
);
CREATE INDEX cluster_members_cluster ON cluster_members (consultation_id, cluster_id, is_template);

CREATE TABLE cluster_overrides (
    id INTEGER PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    kind TEXT NOT NULL,
    opinion_id BIGINT NOT NULL REFERENCES opinions(id),
    other_opinion_id BIGINT REFERENCES opinions(id),
    created_by BIGINT REFERENCES staff_users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cluster_overrides_consultation ON cluster_overrides (consultation_id);

-- Every submission stored before this migration gets its fingerprints.
INSERT INTO jobs (kind, payload, created_at)
SELECT 'fingerprint', '[' || id || ']', CURRENT_TIMESTAMP FROM submissions;
