DROP TABLE outbox;
DROP TABLE opinions;
DROP TABLE submissions;
DROP TABLE drafts;
DROP TABLE consultations;
