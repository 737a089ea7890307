//! Group commit for public submissions. Requests wait in a bounded queue; a writer thread takes
//! everything that is waiting (up to a batch size) and stores it in one transaction, one
//! savepoint per submission, so a flush to disk serves many people and one bad submission
//! does not fail the others. A request is answered only after its batch has committed; when
//! the queue is full it is refused at once, so nobody waits into a time-out.
use crate::clock::Clock;
use crate::db::consultations::StoredConsultation;
use crate::db::submissions::{self, NewSubmission};
use crate::db::{Db, DbError};
use crate::domain::{Channel, ReceiptNumber, ValidSubmission};
use crate::intake::Accepted;
use chrono::{DateTime, Utc};
use diesel::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
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
}

pub struct WriteRequest {
    pub consultation: Arc<StoredConsultation>,
    pub submission: ValidSubmission,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
    reply: oneshot::Sender<Result<Accepted, DbError>>,
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
    gate: Arc<Gate>,
    pub stats: Arc<WriterStats>,
    on_commit: Arc<tokio::sync::Notify>,
}

impl Writer {
    /// Starts the writer threads. `on_commit` is notified after every batch (the outbox
    /// worker listens to it).
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
        Self { queue, capacity: settings.queue_capacity.max(1), gate, stats, on_commit }
    }

    /// Queues a submission and waits for its batch to commit.
    pub async fn submit(
        &self,
        consultation: Arc<StoredConsultation>,
        submission: ValidSubmission,
        channel: Channel,
        received_at: DateTime<Utc>,
        idempotency_key: Option<String>,
    ) -> Result<Accepted, WriteError> {
        let (reply, answer) = oneshot::channel();
        let request = WriteRequest { consultation, submission, channel, received_at, idempotency_key, reply };
        // Admission: at most `capacity` requests wait, counting one a writer holds while paused.
        if self.stats.queued.fetch_add(1, Ordering::SeqCst) >= self.capacity as u64 {
            self.stats.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(WriteError::Busy);
        }
        match self.queue.try_send(request) {
            Ok(()) => {}
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
        let now = clock.now();
        let (requests, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|r| ((r.consultation, r.submission, r.channel, r.received_at, r.idempotency_key), r.reply))
            .unzip();
        let outcome =
            db.write_blocking(|conn| Ok(requests.iter().map(|r| store_one(conn, r, now)).collect::<Vec<_>>()));
        match outcome {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.submissions.fetch_add(size, Ordering::Relaxed);
                stats.largest_batch.fetch_max(size, Ordering::Relaxed);
                notify.notify_one();
            }
            Err(e) => {
                // Nothing of this batch was committed: every request hears so, none gets a receipt.
                tracing::warn!(error = %e, size, "batch not committed");
                for reply in replies {
                    let _ = reply.send(Err(DbError::Connect(e.to_string())));
                }
            }
        }
    }
}

type Request = (Arc<StoredConsultation>, ValidSubmission, Channel, DateTime<Utc>, Option<String>);

/// Stores one submission inside a savepoint of the batch's transaction.
fn store_one(conn: &mut crate::db::DbConnection, r: &Request, now: DateTime<Utc>) -> Result<Accepted, DbError> {
    let (consultation, submission, channel, received_at, key) = r;
    for _ in 0..3 {
        if let Some(k) = key {
            if let Some(existing) = submissions::receipt_for_key(conn, k)? {
                return Ok(Accepted { receipt_number: existing, new: false });
            }
        }
        let receipt = ReceiptNumber::generate(&mut rand::rng());
        let new = NewSubmission {
            consultation,
            submission,
            channel: *channel,
            received_at: *received_at,
            late: consultation.consultation.is_late(*channel, *received_at),
            receipt_number: &receipt,
            idempotency_key: key.as_deref(),
            transcription: None,
        };
        match conn.transaction(|c| submissions::insert(c, &new, now)) {
            Ok(_) => return Ok(Accepted { receipt_number: receipt.to_string(), new: true }),
            // A receipt number clash, vanishingly rare: try another number.
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DbError::Corrupt("could not store the submission after three attempts".into()))
}
