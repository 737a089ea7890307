//! Public intake: one pipeline for the web form and the JSON API. A submission is checked
//! against the window and the consultation's rules, admitted (rate limit, then the in-flight
//! limit), stored by the group-commit writer and counted. The form and the API differ only in
//! how they read the body and how they render the answer.
mod attachments;
mod per_client;
mod rate_limit;
mod shared_limit;
pub mod writer;

pub use attachments::AttachmentIntake;
pub use per_client::PerClient;
pub use rate_limit::RateLimiter;
pub use shared_limit::SharedLimit;
pub use writer::{Permit, Stored, Writer, WriterSettings};

use crate::db::consultations::StoredConsultation;
use crate::db::DbError;
use crate::domain::attachment::AttachmentProblem;
use crate::domain::idempotency::request_hash;
use crate::domain::{Channel, FieldError, SubmissionInput, ValidSubmission, WindowRefusal};
use crate::metrics::Metrics;
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use std::sync::Arc;

/// A stored submission's answer.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub receipt_number: String,
    /// False when the idempotency key had already been used: the earlier receipt is returned.
    pub new: bool,
}

/// What someone sent through the form or the API, as read from the request.
pub struct PublicSubmission {
    pub consultation: Arc<StoredConsultation>,
    pub input: SubmissionInput,
    pub channel: Channel,
    /// Taken before any slow work: this instant decides the window.
    pub received_at: DateTime<Utc>,
    pub client: Option<IpAddr>,
    pub idempotency_key: Option<String>,
    /// Files attached to it, already on disk. The API's are removed again unless it is stored
    /// now; the form's are kept between its steps (`files_staged`), so a refusal or a double
    /// click never loses them, and the worker's sweep removes those never sent.
    pub attachments: Vec<crate::uploads::Received>,
    pub files_staged: bool,
}

/// Why a submission was not stored. Nothing of it was kept.
#[derive(Debug)]
pub enum Refusal {
    Window {
        refusal: WindowRefusal,
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    },
    /// Problems with what was typed, and with the files attached.
    Invalid(Vec<FieldError>, Vec<AttachmentProblem>),
    RateLimited {
        retry_after_secs: u64,
    },
    /// Too much is being handled at once.
    Busy,
    /// The idempotency key was used for a different submission.
    KeyReused,
    /// The database could not store it.
    Failed(DbError),
}

/// A submission request let in by the rate limit and the in-flight limit; dropping it frees
/// its place.
pub struct Admission {
    permit: Permit,
    _client: Option<per_client::ClientSlot>,
}

pub struct Intake {
    writer: Writer,
    limiter: SharedLimit,
    per_client: PerClient,
    metrics: Arc<Metrics>,
    attachments: AttachmentIntake,
}

impl Intake {
    pub fn new(
        writer: Writer,
        limiter: SharedLimit,
        per_client: PerClient,
        metrics: Arc<Metrics>,
        attachments: AttachmentIntake,
    ) -> Self {
        Self { writer, limiter, per_client, metrics, attachments }
    }

    /// Lets a request in, or refuses it at once. The API asks before reading the body (the
    /// cheapest answer an overloaded server can give); the form asks after, so a refused
    /// person still gets their text back.
    pub async fn admit(&self, client: Option<IpAddr>) -> Result<Admission, Refusal> {
        if let Err(retry_after_secs) = self.limiter.check(client).await {
            self.metrics.refused_rate_limited.inc();
            return Err(Refusal::RateLimited { retry_after_secs });
        }
        let Ok(client_slot) = self.per_client.enter(client) else {
            return Err(self.busy());
        };
        match self.writer.admit() {
            Ok(permit) => Ok(Admission { permit, _client: client_slot }),
            Err(_) => Err(self.busy()),
        }
    }

    /// Counts a request refused because too much is being handled.
    pub fn busy(&self) -> Refusal {
        self.metrics.refused_busy.inc();
        Refusal::Busy
    }

    /// The window and the consultation's rules: what a confirmation page needs before anything
    /// is stored.
    pub async fn check(
        &self,
        consultation: &StoredConsultation,
        input: SubmissionInput,
        files: &[crate::uploads::Received],
        received_at: DateTime<Utc>,
    ) -> Result<ValidSubmission, Refusal> {
        let c = &consultation.consultation;
        if let Err(refusal) = c.admit_online(received_at) {
            match refusal {
                WindowRefusal::Closed => self.metrics.refused_closed.inc(),
                WindowRefusal::NotOpen => self.metrics.refused_not_open.inc(),
            }
            return Err(Refusal::Window { refusal, opens_at: c.opens_at, closes_at: c.closes_at });
        }
        let files = self.attachments.check(c.rules.attachments.as_ref(), files).await;
        match (input.parse(c), files) {
            (Ok(valid), Ok(())) => Ok(valid),
            (text, files) => {
                self.metrics.refused_invalid.inc();
                Err(Refusal::Invalid(text.err().unwrap_or_default(), files.err().unwrap_or_default()))
            }
        }
    }

    /// Removes files the person attached that will not be stored (a refused submission).
    pub async fn discard(&self, files: &[crate::uploads::Received]) {
        self.attachments.discard(files).await;
    }

    /// Checks, admits (unless the request was admitted already) and stores one submission,
    /// answering only after it is committed.
    pub async fn submit(&self, admitted: Option<Admission>, mut s: PublicSubmission) -> Result<Accepted, Refusal> {
        let files = std::mem::take(&mut s.attachments);
        let staged = s.files_staged;
        let outcome = self.submit_with(admitted, s, files.clone()).await;
        // Files stay only with a submission stored now; a replayed key keeps the first ones.
        if !staged && !matches!(outcome, Ok(Accepted { new: true, .. })) {
            self.attachments.discard(&files).await;
        }
        outcome
    }

    async fn submit_with(
        &self,
        admitted: Option<Admission>,
        s: PublicSubmission,
        files: Vec<crate::uploads::Received>,
    ) -> Result<Accepted, Refusal> {
        let valid = self.check(&s.consultation, s.input, &files, s.received_at).await?;
        let admission = match admitted {
            Some(a) => a,
            None => self.admit(s.client).await?,
        };
        let slug = s.consultation.consultation.slug.clone();
        let mut hash = request_hash(&slug, &valid);
        for f in &files {
            hash.push('+');
            hash.push_str(&f.sha256);
        }
        let pending = writer::Pending {
            request_hash: hash,
            attachments: files.into_iter().filter(|f| f.stored_name.is_some()).collect(),
            consultation: s.consultation,
            submission: valid,
            channel: s.channel,
            received_at: s.received_at,
            idempotency_key: s.idempotency_key,
        };
        let accepted = match self.writer.submit(&admission.permit, pending).await {
            Ok(Stored::Accepted(accepted)) => accepted,
            Ok(Stored::KeyReused) => {
                self.metrics.refused_invalid.inc();
                return Err(Refusal::KeyReused);
            }
            Err(writer::WriteError::Busy) => return Err(self.busy()),
            Err(writer::WriteError::Db(e)) => return Err(Refusal::Failed(e)),
        };
        if accepted.new {
            match s.channel {
                Channel::Api => self.metrics.accepted_api.inc(),
                _ => self.metrics.accepted_web.inc(),
            }
            // Never the receipt number: it is the submitter's key to withdraw.
            tracing::info!(consultation = %slug, channel = s.channel.as_str(), "submission accepted");
        }
        Ok(accepted)
    }

    /// The writer, for tests that pause it and for the statistics.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }
}
