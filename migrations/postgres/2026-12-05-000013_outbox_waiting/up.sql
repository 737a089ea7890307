-- Only jobs not yet sent: the claim walks this in next_attempt_at order and stops after a
-- batch, however many sent jobs the table holds.
CREATE INDEX outbox_waiting ON outbox (next_attempt_at) WHERE sent_at IS NULL;
DROP INDEX outbox_due;
