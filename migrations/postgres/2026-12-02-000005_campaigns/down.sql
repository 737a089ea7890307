DELETE FROM jobs WHERE kind = 'fingerprint';
DROP TABLE cluster_overrides;
DROP TABLE cluster_members;
DROP TABLE fingerprint_bands;
DROP TABLE fingerprints;
