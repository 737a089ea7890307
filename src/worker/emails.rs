//! One pass over due emails: claimed under a lease that the pass renews while it works and
//! re-checks before sending, each email marked sent as soon as the relay accepted it (marks
//! written in small batches beside the sending, so a backlog does not cost a commit per
//! email). Two live workers never send the same email; after a crash, at most the emails that
//! were in flight are sent again, with the same Message-ID (at-least-once).
use super::{backoff, pace, Worker, LEASE_SECS};
use crate::db::{outbox, DbError};
use crate::mail::receipt::message_id_around;
use chrono::{DateTime, Duration, Utc};
use lettre::Message;
use std::collections::HashMap;
use std::collections::VecDeque;
use tokio::task::JoinHandle;

/// A job and the kind its Message-ID names once sent (or why it was not sent).
type Outcome = (outbox::Job, Result<&'static str, String>);
/// A claimed job and its message with the kind its Message-ID names (or why it could not be built).
type Ready = (outbox::Job, Result<(&'static str, Message), String>);

/// Outcomes waiting to be written, and the write under way.
#[derive(Default)]
struct Marks {
    pending: Vec<Outcome>,
    writing: Option<JoinHandle<Result<(), DbError>>>,
}

impl Marks {
    /// Starts writing what is pending unless a write is still under way.
    async fn write_if_idle(&mut self, worker: &Worker) -> Result<(), DbError> {
        if self.writing.as_ref().is_some_and(|w| !w.is_finished()) || self.pending.is_empty() {
            return Ok(());
        }
        if let Some(done) = self.writing.take() {
            done.await.map_err(|_| DbError::Cancelled)??;
        }
        let batch = std::mem::take(&mut self.pending);
        let (db, now, settings) = (worker.db.clone(), worker.clock.now(), worker.settings.worker.clone());
        let base_url = worker.settings.public_base_url.clone();
        self.writing = Some(tokio::spawn(async move {
            db.write(move |c| {
                // Sent jobs in one statement per kind; failures (rare) one by one.
                let mut sent: HashMap<&str, Vec<i64>> = HashMap::new();
                for (job, outcome) in batch {
                    match outcome {
                        Ok(kind) => sent.entry(kind).or_default().push(job.id),
                        Err(error) => outbox::reschedule(c, job.id, now + backoff(&settings, job.attempts), &error)?,
                    }
                }
                for (kind, ids) in sent {
                    let (before, after) = message_id_around(kind, &base_url);
                    outbox::mark_sent(c, &ids, (&before, &after), now)?;
                }
                Ok(())
            })
            .await
        }));
        Ok(())
    }

    /// Waits for the write under way, then writes the rest.
    async fn finish(mut self, worker: &Worker) -> Result<(), DbError> {
        if let Some(done) = self.writing.take() {
            done.await.map_err(|_| DbError::Cancelled)??;
        }
        self.write_if_idle(worker).await?;
        if let Some(done) = self.writing.take() {
            done.await.map_err(|_| DbError::Cancelled)??;
        }
        Ok(())
    }
}

/// Claimed jobs with their messages, in the order they go out.
pub(super) struct Batch {
    queue: VecDeque<Ready>,
    claimed_at: DateTime<Utc>,
}

impl Batch {
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }
}

impl Worker {
    /// One pass over due jobs; returns how many it claimed. Emails go out a few at a time.
    /// When the mail relay fails, the rest of the pass is not tried (a relay that refuses one
    /// message refuses the next) and every job left waits for its back-off.
    pub async fn run_once(&self) -> Result<usize, DbError> {
        let batch = self.claim(pace::EMAIL_BATCH_MIN).await?;
        let count = batch.len();
        if count > 0 {
            self.send(batch).await?;
        }
        Ok(count)
    }

    /// Claims up to `limit` due jobs under this worker's lease and builds their messages.
    pub(super) async fn claim(&self, limit: i64) -> Result<Batch, DbError> {
        let lease = Duration::seconds(LEASE_SECS);
        let (me, now) = (self.id.clone(), self.clock.now());
        let jobs = self.db.write(move |c| outbox::claim_due(c, &me, now, lease, limit)).await?;
        if jobs.is_empty() {
            return Ok(Batch { queue: VecDeque::new(), claimed_at: now });
        }
        let messages = self.build_messages(&jobs).await?;
        Ok(Batch { queue: jobs.into_iter().zip(messages).collect(), claimed_at: now })
    }

    /// Gives back a claimed batch that will not be sent by this worker.
    pub(super) async fn release(&self, batch: Batch) -> Result<(), DbError> {
        let (me, ids) = (self.id.clone(), batch.queue.iter().map(|(job, _)| job.id).collect::<Vec<_>>());
        self.db.write(move |c| outbox::release(c, &me, &ids)).await
    }

    /// Sends a claimed batch, marking each email sent (or rescheduled) as it goes.
    pub(super) async fn send(&self, batch: Batch) -> Result<(), DbError> {
        let lease = Duration::seconds(LEASE_SECS);
        let Batch { mut queue, claimed_at } = batch;
        let connections = pace::email_connections(queue.len(), self.settings.worker.concurrency);
        let mut sending = tokio::task::JoinSet::new();
        let mut marks = Marks::default();
        let mut relay_failed: Option<String> = None;
        let (mut sent, mut failed) = (0u64, 0u64);
        let mut renewed_at = claimed_at;
        loop {
            // Keep the lease on what is still to send, and drop what another worker took
            // (possible only if this one stalled past its lease).
            if !queue.is_empty() && self.clock.now() - renewed_at >= lease / 4 {
                renewed_at = self.clock.now();
                let (me, ids) = (self.id.clone(), queue.iter().map(|(j, _)| j.id).collect::<Vec<_>>());
                let kept = self.db.write(move |c| outbox::renew(c, &me, &ids, renewed_at + lease)).await?;
                queue.retain(|(job, _)| kept.contains(&job.id));
            }
            while relay_failed.is_none() && sending.len() < connections {
                let Some((job, message)) = queue.pop_front() else { break };
                match message {
                    Ok((kind, message)) => {
                        let mailer = self.mailer.clone();
                        sending.spawn(async move { (job, mailer.send(message).await.map(|()| kind)) });
                    }
                    // A message that cannot be built is this job's problem, not the relay's:
                    // it waits for its back-off and the pass goes on.
                    Err(error) => {
                        failed += 1;
                        tracing::warn!(job = job.id, attempts = job.attempts + 1, %error, "email not built; will retry");
                        marks.pending.push((job, Err(error)));
                    }
                }
            }
            if sending.is_empty() {
                break;
            }
            // Wake at least once a second to look at the lease, however slow the relay.
            let Ok(done) = tokio::time::timeout(std::time::Duration::from_secs(1), sending.join_next()).await else {
                continue;
            };
            let Some(done) = done else { break };
            let (job, outcome) = done.map_err(|_| DbError::Cancelled)?;
            match &outcome {
                Ok(_) => sent += 1,
                Err(error) => {
                    // Only a send fails here: the relay refused or dropped the message.
                    failed += 1;
                    tracing::warn!(job = job.id, attempts = job.attempts + 1, %error, "email not sent; will retry");
                    relay_failed.get_or_insert_with(|| error.clone());
                }
            }
            marks.pending.push((job, outcome));
            marks.write_if_idle(self).await?;
        }
        if let Some(error) = &relay_failed {
            let not_tried = format!("not tried: an earlier message in the same pass failed: {error}");
            failed += queue.len() as u64;
            marks.pending.extend(queue.into_iter().map(|(job, _)| (job, Err(not_tried.clone()))));
        }
        marks.finish(self).await?;
        self.metrics.emails_sent.add(sent);
        self.metrics.email_failures.add(failed);
        if sent > 0 {
            tracing::info!(sent, "emails sent");
        }
        Ok(())
    }
}
