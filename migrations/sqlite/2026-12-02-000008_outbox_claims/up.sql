-- Which worker holds a job's lease: it renews the lease while it works and re-checks it
-- before sending, so two live workers never send the same email.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
