CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
DROP INDEX outbox_waiting;
