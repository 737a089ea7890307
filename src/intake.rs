//! What a stored submission answers with, and storing transcriptions (public submissions go
//! through the group-commit writer in `writer.rs`).
use crate::db::consultations::StoredConsultation;
use crate::db::submissions::{self, NewSubmission};
use crate::db::{Db, DbError};
use crate::domain::ReceiptNumber;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Accepted {
    pub receipt_number: String,
    /// False when the idempotency key had already been used: the earlier receipt is returned.
    pub new: bool,
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
