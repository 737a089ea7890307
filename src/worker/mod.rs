//! The background worker: takes due outbox jobs, sends them, and reschedules failures with an
//! exponential back-off, so an email that could not be sent is retried until it is.
use crate::clock::Clock;
use crate::config::{Settings, WorkerSettings};
use crate::db::{self, consultations, outbox, submissions, Db, DbError};
use crate::mail::receipt::{message_id, ReceiptEmail};
use crate::mail::Mailer;
use crate::metrics::Metrics;
use chrono::Duration;
use lettre::Message;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

mod attachments;
mod emails;
mod pace;

/// Work the worker does besides email, each kind in its own loop.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Background {
    /// The personal-data scan and reading attached files' text.
    Text,
    /// Campaign fingerprints and clustering.
    Campaigns,
    /// Adding new opinions to the search index, and, while intake is quiet, SQLite's planner
    /// statistics (`statistics_once`): both keep the staff's reads fast as opinions arrive.
    Search,
}

const LEASE_SECS: i64 = 120;

pub struct Worker {
    pub db: Db,
    pub mailer: Arc<Mailer>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// Woken when a new job is written, so a receipt email does not wait for the next poll.
    pub wake: Arc<Notify>,
    /// Names this worker's leases on outbox jobs.
    pub id: String,
}

/// Delay before attempt `attempts + 1`: initial × 2^attempts, capped.
pub fn backoff(settings: &WorkerSettings, attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 20) as u32;
    let secs = settings.initial_backoff_secs.saturating_mul(1u64 << exp).min(settings.max_backoff_secs);
    Duration::seconds(secs as i64)
}

/// What a step of the mail loop gave; a failure is logged and the loop goes on (its jobs
/// wait for their back-off or their lease).
fn outbox_step<T>(result: Result<T, DbError>) -> Option<T> {
    result.map_err(|e| tracing::error!(error = %e, "outbox pass failed")).ok()
}

impl Worker {
    /// Runs until `shutdown` turns true: receipt emails in one loop; the personal-data scan
    /// with attached files' text, and campaign fingerprints, each in a loop of its own that
    /// yields to intake, so neither holds up the emails nor slows a surge.
    pub async fn run(self, shutdown: tokio::sync::watch::Receiver<bool>) {
        tokio::join!(
            self.mail(shutdown.clone()),
            self.yielding(Background::Text, shutdown.clone()),
            self.yielding(Background::Campaigns, shutdown.clone()),
            self.yielding(Background::Search, shutdown)
        );
    }

    async fn mail(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let poll = std::time::Duration::from_millis(self.settings.worker.poll_interval_ms);
        let grace = std::time::Duration::from_secs(self.settings.attachments.orphan_grace_secs);
        let sweep_every = grace.clamp(std::time::Duration::from_secs(1), std::time::Duration::from_secs(60));
        let mut next_sweep = std::time::Instant::now();
        let (mut limit, mut ready) = (pace::EMAIL_BATCH_MIN, None);
        loop {
            if std::time::Instant::now() >= next_sweep {
                next_sweep = std::time::Instant::now() + sweep_every;
                match self.sweep_attachments(grace).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(files = n, "removed attached files no submission recorded"),
                    Err(e) => tracing::error!(error = %e, "the sweep of unrecorded attachments failed"),
                }
            }
            let batch = match ready.take() {
                Some(batch) => Some(batch),
                None => outbox_step(self.claim(limit).await),
            };
            let emails = batch.as_ref().map_or(0, emails::Batch::len);
            if let Some(batch) = batch.filter(|b| b.len() > 0) {
                limit = pace::email_batch(limit, emails);
                // The next batch is claimed and built while this one goes out.
                let (sent, next) = tokio::join!(self.send(batch), self.claim(limit));
                outbox_step(sent);
                ready = outbox_step(next).filter(|next| next.len() > 0);
            }
            if *shutdown.borrow() {
                if let Some(batch) = ready.take() {
                    if let Err(e) = self.release(batch).await {
                        tracing::error!(error = %e, "giving back claimed emails failed; they wait for their lease");
                    }
                }
                return;
            }
            if emails > 0 {
                continue;
            }
            limit = pace::EMAIL_BATCH_MIN;
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

    /// Does background work of one kind, yielding to intake (see `pace`). (A pause of three
    /// times the pass still cost SQLite intake 14 % in an A/B run of campaign work; the
    /// personal-data scan took ~16 % of pubcom's CPU in a profile under API load before it
    /// yielded too.)
    async fn yielding(&self, work: Background, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let poll = std::time::Duration::from_millis(self.settings.worker.poll_interval_ms);
        let accepted = || self.metrics.accepted_web.get() + self.metrics.accepted_api.get();
        let mut surging = false;
        loop {
            let (before, started) = (accepted(), std::time::Instant::now());
            let done = match work {
                Background::Search => {
                    if !surging {
                        if let Err(e) = self.statistics_once().await {
                            tracing::error!(error = %e, "gathering the planner's statistics failed");
                        }
                    }
                    self.index_once(pace::index_batch(surging)).await.unwrap_or_else(|e| {
                        tracing::error!(error = %e, "adding opinions to the search index failed");
                        0
                    })
                }
                Background::Campaigns => self.campaigns_once().await.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "campaign pass failed");
                    0
                }),
                Background::Text => {
                    let scanned = self.scan_once().await.unwrap_or_else(|e| {
                        tracing::error!(error = %e, "personal-data scan failed");
                        0
                    });
                    scanned
                        + self.extract_once().await.unwrap_or_else(|e| {
                            tracing::error!(error = %e, "reading attached files' text failed");
                            0
                        })
                }
            };
            if *shutdown.borrow() {
                return;
            }
            let Some(pause) = pace::pause_after(work, done, accepted() != before, started.elapsed(), poll) else {
                surging = false;
                continue;
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
            surging = accepted() != before;
        }
    }

    /// One pass of the personal-data scan (redaction suggestions); returns how many opinions
    /// it read.
    pub async fn scan_once(&self) -> Result<usize, DbError> {
        let (db, now) = (self.db.clone(), self.clock.now());
        tokio::task::spawn_blocking(move || crate::app::redaction::scan_pending(&db, now))
            .await
            .map_err(|_| DbError::Cancelled)?
    }

    /// Gathers SQLite's planner statistics when the opinions have grown enough since the last
    /// time (`pace::statistics_due`); returns whether it did. Nothing to do on PostgreSQL.
    pub async fn statistics_once(&self) -> Result<bool, DbError> {
        if self.db.backend() != "sqlite" {
            return Ok(false);
        }
        let (before, now) = self.db.run(|c| Ok((db::opinions_when_analyzed(c)?, db::opinions_high_water(c)?))).await?;
        if !pace::statistics_due(before, now) {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        self.db.write(db::analyze).await?;
        tracing::info!(opinions = now, seconds = started.elapsed().as_secs_f64(), "gathered the planner's statistics");
        Ok(true)
    }

    /// One pass adding listed opinions to the search index; returns how many it added.
    pub async fn index_once(&self, limit: i64) -> Result<usize, DbError> {
        self.db.write(move |c| db::search::index_listed(c, limit)).await
    }

    /// One pass of fingerprinting new text and re-clustering where staff asked for it; returns
    /// how much it did.
    pub async fn campaigns_once(&self) -> Result<usize, DbError> {
        let (db, now) = (self.db.clone(), self.clock.now());
        tokio::task::spawn_blocking(move || {
            Ok(crate::app::campaigns::fingerprint_pending(&db, now)? + crate::app::campaigns::recluster_pending(&db)?)
        })
        .await
        .map_err(|_| DbError::Cancelled)?
    }

    /// Each job's message (or why it cannot be built), read in one database visit.
    async fn build_messages(
        &self,
        jobs: &[outbox::Job],
    ) -> Result<Vec<Result<(&'static str, Message), String>>, DbError> {
        let jobs = jobs.to_vec();
        let loaded = self
            .db
            .run(move |c| {
                let mut consultations: HashMap<i64, Arc<crate::domain::Consultation>> = HashMap::new();
                let mut out = Vec::with_capacity(jobs.len());
                let ids: Vec<i64> = jobs.iter().filter_map(|j| j.submission_id).collect();
                let stored = submissions::with_addresses(c, &ids)?;
                for job in jobs {
                    let withdrawal = match job.kind.as_str() {
                        submissions::RECEIPT_EMAIL => false,
                        crate::db::receipts::WITHDRAWAL_EMAIL => true,
                        other => {
                            out.push(Err(format!("unknown job kind '{other}'")));
                            continue;
                        }
                    };
                    let Some(submission_id) = job.submission_id else {
                        out.push(Err("receipt job without submission".to_string()));
                        continue;
                    };
                    // A job may name its submission twice (a receipt and a withdrawal).
                    let Some((submission, Some(to))) = stored.get(&submission_id).cloned() else {
                        out.push(Err("submission or address no longer stored".to_string()));
                        continue;
                    };
                    let consultation = match consultations.get(&submission.consultation_id) {
                        Some(found) => found.clone(),
                        None => {
                            let found = Arc::new(consultations_by_id(c, submission.consultation_id)?);
                            consultations.insert(submission.consultation_id, found.clone());
                            found
                        }
                    };
                    out.push(Ok((job.id, withdrawal, submission, to, consultation)));
                }
                Ok(out)
            })
            .await?;
        // Rendering is CPU work (two templates and MIME encoding per email, ~0.1 ms): on its
        // own thread, so the emails already built go out meanwhile.
        let settings = self.settings.clone();
        tokio::task::spawn_blocking(move || {
            loaded
                .into_iter()
                .map(|item| {
                    let (job_id, withdrawal, submission, to, consultation) = item?;
                    let kind = if withdrawal { "withdrawal" } else { "receipt" };
                    let id = message_id(job_id, kind, &settings.public_base_url);
                    let message = ReceiptEmail {
                        consultation: &consultation,
                        submission: &submission,
                        to: &to,
                        from: &settings.mail.from,
                        public_base_url: &settings.public_base_url,
                        message_id: &id,
                        withdrawal,
                    }
                    .build()?;
                    Ok((kind, message))
                })
                .collect()
        })
        .await
        .map_err(|_| DbError::Cancelled)
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
        let s = WorkerSettings { poll_interval_ms: 10, initial_backoff_secs: 5, max_backoff_secs: 60, concurrency: 1 };
        assert_eq!(backoff(&s, 0), Duration::seconds(5));
        assert_eq!(backoff(&s, 1), Duration::seconds(10));
        assert_eq!(backoff(&s, 3), Duration::seconds(40));
        assert_eq!(backoff(&s, 4), Duration::seconds(60));
        assert_eq!(backoff(&s, 1000), Duration::seconds(60));
    }
}
