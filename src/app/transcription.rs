//! Opinions that came by post, fax or email: storing what a clerk typed with its scan, the
//! second person's check, corrections that keep the earlier text, late acceptance, and the
//! audited views of contact details and scans.
use super::{OpError, OpResult};
use crate::db::attachments::{self as adb, AttachedFile};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::consultations::StoredConsultation;
use crate::db::submissions::{self, NewSubmission};
use crate::db::transcriptions::{self as tdb, Meta};
use crate::db::{jobs, redactions, Db, DbConnection, DbError};
use crate::domain::redaction::Field;
use crate::domain::submission::OpinionInput;
use crate::domain::transcription::{self, LateRefusal, ReviewRefusal, ValidTranscription, Verification};
use crate::domain::{FieldError, FieldPath, Problem, SubmissionInput};
use crate::files::{AttachmentStore, StoredFile};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;

fn staff_id(actor: &Actor) -> Result<i64, DbError> {
    actor.id.ok_or_else(|| DbError::Corrupt("this needs a staff member".into()))
}

/// The transcription with this receipt number, read inside the change's transaction.
fn meta_of(c: &mut DbConnection, receipt: &str) -> Result<Option<Meta>, DbError> {
    Ok(tdb::meta(c, receipt)?.filter(|m| m.verification.is_some()))
}

/// Stores what a clerk typed from a letter, fax or email, with its scan, in one transaction;
/// it gets a receipt number like any submission. The scan is already written; if the
/// transaction fails it is removed again.
pub async fn create(
    db: &Db,
    files: &AttachmentStore,
    consultation: Arc<StoredConsultation>,
    transcription: ValidTranscription,
    actor: Actor,
    scan: Option<StoredFile>,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let by = staff_id(&actor)?;
    let late = consultation.consultation.is_late(transcription.channel, transcription.arrived_at);
    let written = scan.as_ref().map(|f| f.stored_name.clone());
    let stored = db
        .audited(actor, now, move |conn| {
            let t = &transcription;
            let receipt = submissions::with_fresh_receipt(conn, |c, receipt| {
                let new = NewSubmission {
                    consultation: &consultation,
                    submission: &t.submission,
                    channel: t.channel,
                    received_at: t.arrived_at,
                    late,
                    receipt_number: receipt,
                    idempotency_key: None,
                    request_hash: None,
                    transcription: Some(submissions::Transcribed { by, postmark: t.postmark }),
                    attachments: &[],
                };
                let id = submissions::insert(c, &new, now)?;
                if let Some(f) = &scan {
                    tdb::add_attachment(c, id, f, by, now)?;
                }
                Ok(receipt.to_string())
            })?;
            let entry = Entry::new(Action::TranscriptionCreate, Object::Submission(receipt.clone())).after(json!({
                "channel": t.channel.as_str(),
                "arrived_at": t.arrived_at.to_rfc3339(),
                "late": late,
                "opinions": t.submission.opinions().len(),
                "attachment": scan.as_ref().map(|f| f.original_name.clone()),
            }));
            Ok((receipt, vec![entry]))
        })
        .await;
    if let (Err(_), Some(name)) = (&stored, written) {
        files.remove(&name).await;
    }
    stored
}

/// A second person verifies a transcription or sends it back with a comment.
pub async fn review(
    db: &Db,
    actor: Actor,
    receipt: String,
    decision: String,
    comment: String,
    now: DateTime<Utc>,
) -> OpResult<(), ReviewRefusal> {
    let by = staff_id(&actor)?;
    db.audited(actor, now, move |c| {
        let Some(m) = meta_of(c, &receipt)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let review = match m.hands().review(by, &decision, &comment) {
            Ok(review) => review,
            Err(refusal) => return Ok((Err(OpError::Refused(refusal)), vec![])),
        };
        tdb::set_verification(c, m.submission_id, review.decision, by, review.comment.as_deref())?;
        let entry = Entry::new(Action::TranscriptionVerify, Object::Submission(m.receipt_number))
            .before(json!({"verification": m.verification.map(Verification::as_str)}))
            .after(json!({"verification": review.decision.as_str(), "comment": review.comment}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}

/// Corrects the text of a transcription's opinions, keeping the text each replaces; changed
/// text must be checked again by a second person. Returns how many opinions changed.
pub async fn correct(
    db: &Db,
    consultation: Arc<StoredConsultation>,
    actor: Actor,
    receipt: String,
    opinions: Vec<OpinionInput>,
    now: DateTime<Utc>,
) -> OpResult<usize, Vec<FieldError>> {
    let by = staff_id(&actor)?;
    db.audited(actor, now, move |c| {
        let Some(m) = meta_of(c, &receipt)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let current = tdb::opinions_of(c, m.submission_id)?;
        // The corrected text passes the same checks as any submission's, block for block.
        let input = SubmissionInput { opinions: opinions.into_iter().take(current.len()).collect(), ..Default::default() };
        let valid = match input.parse_transcribed(&consultation.consultation) {
            Ok(v) if v.opinions().len() == current.len() => v,
            Ok(_) => {
                let missing = FieldError { field: FieldPath::Body(0), problem: Problem::Required };
                return Ok((Err(OpError::Refused(vec![missing])), vec![]));
            }
            Err(errors) => return Ok((Err(OpError::Refused(errors)), vec![])),
        };
        let mut entries = Vec::new();
        for (old, new) in current.iter().zip(valid.opinions()) {
            let draft_id = new.draft().and_then(|code| consultation.draft_ids.get(code).copied());
            let correction =
                tdb::Correction { draft_id, location: new.location(), body: new.body(), reason: new.reason() };
            if correction.leaves_unchanged(old) {
                continue;
            }
            tdb::correct_opinion(c, old, &correction, by, now)?;
            let fields = [
                (Field::Body, Some(old.body.as_str()), Some(new.body())),
                (Field::Reason, old.reason.as_deref(), new.reason()),
                (Field::Location, old.location.as_deref(), new.location()),
            ];
            for (field, _, after) in fields.into_iter().filter(|(_, before, after)| before != after) {
                redactions::after_correction(c, old.id, field, after.map_or(0, |t| t.chars().count()))?;
            }
            entries.push(
                Entry::new(Action::OpinionCorrect, Object::Submission(m.receipt_number.clone()))
                    .before(serde_json::to_value(old).unwrap_or_default())
                    .after(json!({"draft_id": draft_id, "location": new.location(), "body": new.body(), "reason": new.reason()})),
            );
        }
        let changed = entries.len();
        if changed > 0 {
            tdb::reopen_after_correction(c, m.submission_id, by)?;
            jobs::queue_text_work(c, &[m.submission_id], now)?;
            entries.push(
                Entry::new(Action::TranscriptionReopen, Object::Submission(m.receipt_number))
                    .before(json!({"verification": m.verification.map(Verification::as_str)}))
                    .after(json!({"verification": Verification::Unverified.as_str()})),
            );
        }
        Ok((Ok(changed), entries))
    })
    .await?
}

/// An approver accepts a late item, saying why; it is then considered like any other.
pub async fn accept_late(
    db: &Db,
    actor: Actor,
    receipt: String,
    reason: String,
    now: DateTime<Utc>,
) -> OpResult<(), LateRefusal> {
    let by = staff_id(&actor)?;
    db.audited(actor, now, move |c| {
        let Some(m) = meta_of(c, &receipt)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let reason = match transcription::accept_late(m.late, m.late_accepted_by.is_some(), &reason) {
            Ok(reason) => reason,
            Err(refusal) => return Ok((Err(OpError::Refused(refusal)), vec![])),
        };
        tdb::accept_late(c, m.submission_id, by, &reason)?;
        let entry = Entry::new(Action::LateAccept, Object::Submission(m.receipt_number))
            .before(json!({"late_accepted": false}))
            .after(json!({"late_accepted": true, "reason": reason}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}

/// A scan's bytes for a staff member; every download is audited.
pub async fn download(
    db: &Db,
    files: &AttachmentStore,
    actor: Actor,
    id: i64,
    now: DateTime<Utc>,
) -> OpResult<(AttachedFile, Vec<u8>), Infallible> {
    let attachment = db.run(move |c| adb::find(c, id)).await?.ok_or(OpError::NotFound)?;
    let bytes = files
        .read(&attachment.stored_name)
        .await
        .map_err(|e| DbError::Corrupt(format!("attachment {id} is recorded but cannot be read: {e}")))?;
    let name = attachment.original_name.clone();
    db.audited(actor, now, move |_| {
        Ok(((), vec![Entry::new(Action::AttachmentDownload, Object::Attachment(id)).after(json!({"name": name}))]))
    })
    .await?;
    Ok((attachment, bytes))
}
