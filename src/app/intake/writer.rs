//! Group commit for public submissions. Requests wait in a bounded queue; a writer thread takes
//! everything that is waiting (up to a batch size) and stores it in one transaction, one
//! savepoint per submission, so a flush to disk serves many people and one bad submission
//! does not fail the others. A request is answered only after its batch has committed; when
//! the queue is full it is refused at once, so nobody waits into a time-out.
use super::Accepted;
use crate::clock::Clock;
use crate::db::consultations::StoredConsultation;
use crate::db::submissions::{self, BoundKey, NewSubmission};
use crate::db::{Db, DbError};
use crate::domain::idempotency::{replay, Replay};
use crate::domain::{Channel, ReceiptNumber, ValidSubmission};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    /// Submissions that may wait to be written; beyond it requests are refused with 503.
    pub queue_capacity: usize,
    /// Most submissions stored in one transaction.
    pub batch_max: usize,
    /// How long a batch that is not full may wait for more (0: take what is there).
    pub batch_wait: Duration,
    /// Writer threads (one is right for SQLite, which has a single writer anyway).
    pub writers: usize,
    /// Submissions being read, checked or written at once; beyond it a request is refused
    /// before its body is read, which is the cheapest answer an overloaded server can give.
    pub max_in_flight: usize,
}

/// A submission waiting in the queue, with everything needed to store it.
pub struct Pending {
    pub consultation: Arc<StoredConsultation>,
    pub submission: ValidSubmission,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
    /// Digest of what was sent, bound to the idempotency key.
    pub request_hash: String,
    /// Attached files on disk, recorded in the same transaction.
    pub attachments: Vec<crate::uploads::Received>,
}

impl Pending {
    /// The rows to store under `receipt`. Lateness is decided by when the request arrived,
    /// not when its batch is written.
    fn to_store<'a>(&'a self, receipt: &'a ReceiptNumber) -> NewSubmission<'a> {
        NewSubmission {
            consultation: &self.consultation,
            submission: &self.submission,
            channel: self.channel,
            received_at: self.received_at,
            late: self.consultation.consultation.is_late(self.channel, self.received_at),
            receipt_number: receipt,
            idempotency_key: self.idempotency_key.as_deref(),
            request_hash: Some(&self.request_hash),
            transcription: None,
            attachments: &self.attachments,
        }
    }
}

/// What became of one queued submission.
#[derive(Debug, Clone)]
pub enum Stored {
    Accepted(Accepted),
    /// Its idempotency key is bound to a different request: nothing was stored.
    KeyReused,
}

pub struct WriteRequest {
    pending: Pending,
    reply: oneshot::Sender<Result<Stored, DbError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("too many submissions are waiting to be stored")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Default)]
pub struct WriterStats {
    /// Requests waiting in the queue right now.
    pub queued: AtomicU64,
    /// Requests handed to the writer threads and not yet taken into a batch (`queued` counts
    /// a place as soon as it is reserved, a moment before the request is handed over). Signed:
    /// a writer may take a request a moment before it is counted here.
    pub handed_over: AtomicI64,
    /// Submission requests admitted and not yet answered.
    pub in_flight: AtomicU64,
    pub batches: AtomicU64,
    pub submissions: AtomicU64,
    pub largest_batch: AtomicU64,
}

/// Holds new batches back while paused (tests use it to fill the queue deterministically).
#[derive(Default)]
struct Gate {
    paused: Mutex<bool>,
    changed: Condvar,
}

#[derive(Clone)]
pub struct Writer {
    queue: SyncSender<WriteRequest>,
    capacity: usize,
    max_in_flight: u64,
    gate: Arc<Gate>,
    pub stats: Arc<WriterStats>,
    on_commit: Arc<tokio::sync::Notify>,
}

impl Writer {
    /// Starts the writer threads. `on_commit` is notified after a batch that queued a receipt
    /// email (the outbox worker listens to it).
    pub fn start(db: Db, clock: Arc<dyn Clock>, settings: WriterSettings, on_commit: Arc<tokio::sync::Notify>) -> Self {
        let (queue, rx) = sync_channel(settings.queue_capacity.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let gate = Arc::new(Gate::default());
        let stats = Arc::new(WriterStats::default());
        for n in 0..settings.writers.max(1) {
            let (db, clock, rx, gate, stats, notify) =
                (db.clone(), clock.clone(), rx.clone(), gate.clone(), stats.clone(), on_commit.clone());
            std::thread::Builder::new()
                .name(format!("pubcom-writer-{n}"))
                .spawn(move || run(db, clock, settings, rx, gate, stats, notify))
                .expect("writer thread starts");
        }
        Self {
            queue,
            capacity: settings.queue_capacity.max(1),
            max_in_flight: settings.max_in_flight.max(1) as u64,
            gate,
            stats,
            on_commit,
        }
    }

    /// Admits one submission request for as long as the permit lives, or refuses it at once
    /// when too many are already being handled.
    pub fn admit(&self) -> Result<Permit, WriteError> {
        if self.stats.in_flight.fetch_add(1, Ordering::SeqCst) >= self.max_in_flight {
            self.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(WriteError::Busy);
        }
        Ok(Permit { stats: self.stats.clone() })
    }

    /// Queues a submission and waits for its batch to commit. Only an admitted request may
    /// queue one, so every submission counts against the in-flight limit.
    pub async fn submit(&self, _admitted: &Permit, pending: Pending) -> Result<Stored, WriteError> {
        let (reply, answer) = oneshot::channel();
        let request = WriteRequest { pending, reply };
        // Admission: at most `capacity` requests wait, counting one a writer holds while paused.
        if self.stats.queued.fetch_add(1, Ordering::SeqCst) >= self.capacity as u64 {
            self.stats.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(WriteError::Busy);
        }
        match self.queue.try_send(request) {
            Ok(()) => {
                self.stats.handed_over.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                return Err(match e {
                    TrySendError::Full(_) => WriteError::Busy,
                    TrySendError::Disconnected(_) => WriteError::Db(DbError::Cancelled),
                });
            }
        }
        answer.await.map_err(|_| WriteError::Db(DbError::Cancelled))?.map_err(WriteError::Db)
    }

    pub fn pause(&self) {
        *self.gate.paused.lock().unwrap_or_else(|p| p.into_inner()) = true;
    }

    pub fn resume(&self) {
        *self.gate.paused.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.gate.changed.notify_all();
    }

    pub fn notify(&self) -> Arc<tokio::sync::Notify> {
        self.on_commit.clone()
    }
}

/// One admitted submission request; dropping it (answered, refused or abandoned) frees its place.
pub struct Permit {
    stats: Arc<WriterStats>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn run(
    db: Db,
    clock: Arc<dyn Clock>,
    settings: WriterSettings,
    rx: Arc<Mutex<Receiver<WriteRequest>>>,
    gate: Arc<Gate>,
    stats: Arc<WriterStats>,
    notify: Arc<tokio::sync::Notify>,
) {
    let wait_while_paused = || {
        let mut paused = gate.paused.lock().unwrap_or_else(|p| p.into_inner());
        while *paused {
            paused = gate.changed.wait(paused).unwrap_or_else(|p| p.into_inner());
        }
    };
    loop {
        let batch = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            let Ok(first) = rx.recv() else {
                return; // every sender is gone: the application stopped
            };
            // A pause that began while this thread was waiting holds the request back too.
            wait_while_paused();
            let mut batch = vec![first];
            let deadline = Instant::now() + settings.batch_wait;
            while batch.len() < settings.batch_max {
                match rx.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) if settings.batch_wait.is_zero() => break,
                    Err(_) => match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(next) => batch.push(next),
                        Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
                    },
                }
            }
            batch
        };
        let size = batch.len() as u64;
        stats.queued.fetch_sub(size, Ordering::Relaxed);
        stats.handed_over.fetch_sub(size as i64, Ordering::SeqCst);
        let now = clock.now();
        let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|r| (r.pending, r.reply)).unzip();
        // Waking the outbox worker after every batch doubled PostgreSQL's round trips under
        // API load without addresses (each wake claimed nothing); its poll still finds the rest.
        let emails = requests.iter().any(|r| submissions::queues_receipt_email(&r.submission, false));
        let outcome = match db.write_blocking(|conn| store_batch(conn, &requests, now)) {
            // One submission the database refused (a clash, a constraint) rolled the whole
            // batch back: store them again one savepoint each, so only that one fails.
            Err(e) if e.is_refusal() => {
                tracing::info!(error = %e, size, "batch refused as a whole; storing one by one");
                db.write_blocking(|conn| Ok(requests.iter().map(|r| store_one(conn, r, now)).collect::<Vec<_>>()))
            }
            other => other,
        };
        match outcome {
            Ok(results) => {
                // Counted before anyone hears back, so the figures already include this batch.
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.submissions.fetch_add(size, Ordering::Relaxed);
                stats.largest_batch.fetch_max(size, Ordering::Relaxed);
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
                if emails {
                    notify.notify_one();
                }
            }
            Err(e) => {
                // Nothing of this batch was committed: every request hears why, none gets a receipt.
                tracing::warn!(error = %e, size, "batch not committed");
                let shared = Arc::new(e);
                for reply in replies {
                    let _ = reply.send(Err(DbError::Batch(shared.clone())));
                }
            }
        }
    }
}

/// What a request's idempotency key says, given what the key is bound to; an expired binding
/// is released so the key can be bound again.
fn replay_of(
    conn: &mut crate::db::DbConnection,
    request: &Pending,
    bound: Option<&BoundKey>,
    now: DateTime<Utc>,
) -> Result<Option<Stored>, DbError> {
    let (Some(key), Some(b)) = (&request.idempotency_key, bound) else {
        return Ok(None);
    };
    Ok(match replay(Some((&b.request_hash, b.created_at)), &request.request_hash, now) {
        Replay::Same => Some(Stored::Accepted(Accepted { receipt_number: b.receipt_number.clone(), new: false })),
        Replay::Reused => Some(Stored::KeyReused),
        Replay::New => {
            submissions::release_key(conn, key)?;
            None
        }
    })
}

/// Stores a whole batch with a few statements: one lookup of the idempotency keys, then one
/// multi-row insert per table. A key used twice in the batch (a double click) is stored once:
/// the same request again gets that receipt, a different one is refused.
fn store_batch(
    conn: &mut crate::db::DbConnection,
    requests: &[Pending],
    now: DateTime<Utc>,
) -> Result<Vec<Result<Stored, DbError>>, DbError> {
    let keys: Vec<&str> = requests.iter().filter_map(|r| r.idempotency_key.as_deref()).collect();
    let mut known = if keys.is_empty() { HashMap::new() } else { submissions::bound_keys(conn, &keys)? };
    let receipts: Vec<ReceiptNumber> = requests.iter().map(|_| ReceiptNumber::generate(&mut rand::rng())).collect();
    let mut outcomes = Vec::with_capacity(requests.len());
    let mut news = Vec::with_capacity(requests.len());
    for (request, receipt) in requests.iter().zip(&receipts) {
        let bound = request.idempotency_key.as_ref().and_then(|k| known.get(k));
        if let Some(answer) = replay_of(conn, request, bound, now)? {
            outcomes.push(Ok(answer));
            continue;
        }
        if let Some(k) = &request.idempotency_key {
            let binding = BoundKey {
                receipt_number: receipt.to_string(),
                request_hash: request.request_hash.clone(),
                created_at: now,
            };
            known.insert(k.clone(), binding);
        }
        news.push(request.to_store(receipt));
        outcomes.push(Ok(Stored::Accepted(Accepted { receipt_number: receipt.to_string(), new: true })));
    }
    submissions::insert_many(conn, &news, now)?;
    Ok(outcomes)
}

/// Stores one submission inside a savepoint of the batch's transaction.
fn store_one(conn: &mut crate::db::DbConnection, request: &Pending, now: DateTime<Utc>) -> Result<Stored, DbError> {
    submissions::with_fresh_receipt(conn, |c, receipt| {
        // Looked up again on each attempt: another writer may have stored the same key.
        if let Some(k) = &request.idempotency_key {
            let bound = submissions::bound_keys(c, &[k])?;
            if let Some(answer) = replay_of(c, request, bound.get(k), now)? {
                return Ok(answer);
            }
        }
        submissions::insert(c, &request.to_store(receipt), now)?;
        Ok(Stored::Accepted(Accepted { receipt_number: receipt.to_string(), new: true }))
    })
}
