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
            if let Some(existing) = db.run(move |c| submissions::receipt_for_key(c, &key)).await? {
                return Ok(Accepted { receipt_number: existing, new: false });
            }
        }
        let receipt = ReceiptNumber::generate(&mut rand::rng());
        let (c2, s2, r2, k2) = (consultation.clone(), submission.clone(), receipt.clone(), idempotency_key.clone());
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
                    transcription: None,
                };
                submissions::insert(conn, &new, now)
            })
            .await;
        match stored {
            Ok(_) => return Ok(Accepted { receipt_number: receipt.to_string(), new: true }),
            // A clash on the idempotency key (a double click that raced) or, vanishingly
            // rarely, on the receipt number: look again, then retry with a new number.
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DbError::Corrupt("could not store the submission after three attempts".into()))
}

/// A scan or file stored for a transcription, already written under its random name.
pub struct StoredFile {
    pub stored_name: String,
    pub original_name: String,
    pub content_type: &'static str,
    pub size_bytes: i64,
}

/// Stores what a clerk typed from a letter, fax or email, with its scan and an audit record,
/// in one transaction; it gets a receipt number like any submission.
pub async fn accept_transcription(
    db: &Db,
    consultation: Arc<StoredConsultation>,
    transcription: crate::domain::transcription::ValidTranscription,
    actor: crate::db::audit::Actor,
    file: Option<StoredFile>,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let late = consultation.consultation.is_late(transcription.channel, transcription.arrived_at);
    let by = actor.id.ok_or_else(|| DbError::Corrupt("a transcription needs a staff member".into()))?;
    let transcription = Arc::new(transcription);
    let file = Arc::new(file);
    for _ in 0..3 {
        let receipt = ReceiptNumber::generate(&mut rand::rng());
        let (c2, t2, r2, a2, f2) =
            (consultation.clone(), transcription.clone(), receipt.clone(), actor.clone(), file.clone());
        let stored = db
            .write(move |conn| {
                let new = NewSubmission {
                    consultation: &c2,
                    submission: &t2.submission,
                    channel: t2.channel,
                    received_at: t2.arrived_at,
                    late,
                    receipt_number: &r2,
                    idempotency_key: None,
                    transcription: Some(submissions::Transcribed { by, postmark: t2.postmark }),
                };
                let id = submissions::insert(conn, &new, now)?;
                if let Some(f) = f2.as_ref() {
                    crate::db::transcriptions::add_attachment(
                        conn,
                        &crate::db::transcriptions::NewAttachment {
                            submission_id: id,
                            stored_name: &f.stored_name,
                            original_name: &f.original_name,
                            content_type: f.content_type,
                            size_bytes: f.size_bytes,
                            uploaded_by: by,
                        },
                        now,
                    )?;
                }
                let after = serde_json::json!({
                    "channel": t2.channel.as_str(),
                    "arrived_at": t2.arrived_at.to_rfc3339(),
                    "late": late,
                    "opinions": t2.submission.opinions().len(),
                    "attachment": f2.as_ref().as_ref().map(|f| f.original_name.clone()),
                });
                crate::db::audit::record(
                    conn,
                    &a2,
                    crate::db::audit::Entry {
                        action: "transcription_create",
                        object_type: "submission",
                        object_id: r2.as_str(),
                        before: None,
                        after: Some(after),
                    },
                    now,
                )?;
                Ok(())
            })
            .await;
        match stored {
            Ok(()) => return Ok(receipt.to_string()),
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DbError::Corrupt("could not store the transcription after three attempts".into()))
}
