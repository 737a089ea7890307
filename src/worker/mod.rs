//! The background worker: takes due outbox jobs, sends them, and reschedules failures with an
//! exponential back-off, so an email that could not be sent is retried until it is.
use crate::clock::Clock;
use crate::config::{Settings, WorkerSettings};
use crate::db::{self, consultations, outbox, submissions, Db, DbError};
use crate::mail::receipt::{message_id, ReceiptEmail};
use crate::mail::Mailer;
use crate::metrics::Metrics;
use chrono::Duration;
use std::sync::Arc;
use tokio::sync::Notify;

const BATCH: i64 = 50;
const LEASE_SECS: i64 = 120;

pub struct Worker {
    pub db: Db,
    pub mailer: Arc<Mailer>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// Woken when a new job is written, so a receipt email does not wait for the next poll.
    pub wake: Arc<Notify>,
}

/// Delay before attempt `attempts + 1`: initial × 2^attempts, capped.
pub fn backoff(settings: &WorkerSettings, attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 20) as u32;
    let secs = settings.initial_backoff_secs.saturating_mul(1u64 << exp).min(settings.max_backoff_secs);
    Duration::seconds(secs as i64)
}

impl Worker {
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let poll = std::time::Duration::from_millis(self.settings.worker.poll_interval_ms);
        loop {
            match self.run_once().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(e) => tracing::error!(error = %e, "outbox pass failed"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One pass over due jobs; returns how many it handled.
    pub async fn run_once(&self) -> Result<usize, DbError> {
        let now = self.clock.now();
        let jobs = self.db.write(move |c| outbox::claim_due(c, now, Duration::seconds(LEASE_SECS), BATCH)).await?;
        let count = jobs.len();
        for job in jobs {
            let outcome = self.deliver(&job).await;
            let now = self.clock.now();
            match outcome {
                Ok(id) => {
                    self.db.write(move |c| outbox::mark_sent(c, job.id, &id, now)).await?;
                    self.metrics.emails_sent.inc();
                    tracing::info!(job = job.id, "receipt email sent");
                }
                Err(error) => {
                    let next = now + backoff(&self.settings.worker, job.attempts);
                    tracing::warn!(job = job.id, attempts = job.attempts + 1, %error, "email not sent; will retry");
                    self.metrics.email_failures.inc();
                    self.db.write(move |c| outbox::reschedule(c, job.id, next, &error)).await?;
                }
            }
        }
        Ok(count)
    }

    async fn deliver(&self, job: &outbox::Job) -> Result<String, String> {
        if job.kind != submissions::RECEIPT_EMAIL {
            return Err(format!("unknown job kind '{}'", job.kind));
        }
        let submission_id = job.submission_id.ok_or("receipt job without submission")?;
        let loaded = self
            .db
            .run(move |c| {
                let Some(submission) = submissions::find_by_id(c, submission_id)? else {
                    return Ok(None);
                };
                let email = submissions::email_address(c, submission_id)?;
                let consultation = consultations_by_id(c, submission.consultation_id)?;
                Ok(Some((submission, email, consultation)))
            })
            .await
            .map_err(|e| e.to_string())?;
        let Some((submission, Some(to), consultation)) = loaded else {
            return Err("submission or address no longer stored".into());
        };
        let id = message_id(job.id, &submission.receipt_number, &self.settings.public_base_url);
        let message = ReceiptEmail {
            consultation: &consultation,
            submission: &submission,
            to: &to,
            from: &self.settings.mail.from,
            public_base_url: &self.settings.public_base_url,
            message_id: &id,
        }
        .build()?;
        self.mailer.send(message).await?;
        Ok(id)
    }
}

fn consultations_by_id(c: &mut db::DbConnection, id: i64) -> Result<crate::domain::Consultation, DbError> {
    let slug = consultations::slug_of(c, id)?.ok_or_else(|| DbError::Corrupt(format!("consultation {id} vanished")))?;
    consultations::find(c, &slug)?
        .map(|s| s.consultation)
        .ok_or_else(|| DbError::Corrupt(format!("consultation {id} vanished")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = WorkerSettings { poll_interval_ms: 10, initial_backoff_secs: 5, max_backoff_secs: 60 };
        assert_eq!(backoff(&s, 0), Duration::seconds(5));
        assert_eq!(backoff(&s, 1), Duration::seconds(10));
        assert_eq!(backoff(&s, 3), Duration::seconds(40));
        assert_eq!(backoff(&s, 4), Duration::seconds(60));
        assert_eq!(backoff(&s, 1000), Duration::seconds(60));
    }
}
