//! Accepting a submission: the one place that turns a valid submission into a stored one with
//! a receipt number, whichever channel it came through.
use crate::db::consultations::StoredConsultation;
use crate::db::submissions::{self, NewSubmission};
use crate::db::{Db, DbError};
use crate::domain::{Channel, ReceiptNumber, ValidSubmission};
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Accepted {
    pub receipt_number: String,
    /// False when the idempotency key had already been used: the earlier receipt is returned.
    pub new: bool,
}

/// Stores `submission` and its receipt email job in one transaction. A repeated idempotency key
/// returns the receipt already given instead of storing a second copy.
pub async fn accept(
    db: &Db,
    consultation: Arc<StoredConsultation>,
    submission: ValidSubmission,
    channel: Channel,
    received_at: DateTime<Utc>,
    idempotency_key: Option<String>,
    now: DateTime<Utc>,
) -> Result<Accepted, DbError> {
    let submission = Arc::new(submission);
    let late = consultation.consultation.is_late(channel, received_at);
    for _ in 0..3 {
        if let Some(key) = idempotency_key.clone() {
            if let Some(existing) = db
                .run(move |c| submissions::receipt_for_key(c, &key))
                .await?
            {
                return Ok(Accepted {
                    receipt_number: existing,
                    new: false,
                });
            }
        }
        let receipt = ReceiptNumber::generate(&mut rand::rng());
        let (c2, s2, r2, k2) = (
            consultation.clone(),
            submission.clone(),
            receipt.clone(),
            idempotency_key.clone(),
        );
        let stored = db
            .write(move |conn| {
                let new = NewSubmission {
                    consultation: &c2,
                    submission: &s2,
                    channel,
                    received_at,
                    late,
                    receipt_number: &r2,
                    idempotency_key: k2.as_deref(),
                };
                submissions::insert(conn, &new, now)
            })
            .await;
        match stored {
            Ok(_) => {
                return Ok(Accepted {
                    receipt_number: receipt.to_string(),
                    new: true,
                })
            }
            // A clash on the idempotency key (a double click that raced) or, vanishingly
            // rarely, on the receipt number: look again, then retry with a new number.
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DbError::Corrupt(
        "could not store the submission after three attempts".into(),
    ))
}
