//! A submitter's own submission, found by its receipt number: where it stands and what became
//! of each opinion, and withdrawal while the window is open.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::consultations::StoredConsultation;
use crate::db::submissions::{self, StoredSubmission};
use crate::db::{receipts, Db, DbError};
use crate::domain::results::PublishedOutcome;
use crate::domain::withdrawal::{may_withdraw, status, ReceiptStatus, WithdrawalRefusal};
use crate::domain::ReceiptNumber;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// A submission as its receipt page shows it.
pub struct Tracking {
    pub submission: StoredSubmission,
    pub status: ReceiptStatus,
    /// The newest published version, when there is one.
    pub version: Option<i32>,
    /// What that version did with each opinion, by opinion id.
    pub outcomes: HashMap<i64, PublishedOutcome>,
}

/// The submission with this receipt number in this consultation, if there is one.
pub async fn track(
    db: &Db,
    stored: Arc<StoredConsultation>,
    receipt: ReceiptNumber,
    now: DateTime<Utc>,
) -> Result<Option<Tracking>, DbError> {
    db.run(move |c| {
        let Some(submission) = submissions::find_by_receipt(c, stored.id, &receipt)? else {
            return Ok(None);
        };
        let version = receipts::latest_version(c, stored.id)?;
        let ids: Vec<i64> = submission.opinions.iter().map(|o| o.id).collect();
        let outcomes = match version {
            Some(v) => receipts::outcomes_of(c, v, &ids)?,
            None => HashMap::new(),
        };
        // A submission that came after the version was published is not in it yet.
        let published = !outcomes.is_empty();
        let status = status(&stored.consultation, submission.withdrawn_at, published, now);
        Ok(Some(Tracking { submission, status, version, outcomes }))
    })
    .await
}

/// Withdraws the submission: kept, never considered or published, audited, and confirmed by
/// email where an address was given.
pub async fn withdraw(
    db: &Db,
    stored: Arc<StoredConsultation>,
    receipt: ReceiptNumber,
    client: String,
    now: DateTime<Utc>,
) -> OpResult<StoredSubmission, WithdrawalRefusal> {
    let actor = Actor { id: None, name: "submitter".into(), client };
    let outcome = db
        .audited(actor, now, move |c| {
            let Some(submission) = submissions::find_by_receipt(c, stored.id, &receipt)? else {
                return Ok((Err(OpError::NotFound), Vec::new()));
            };
            if let Err(refusal) = may_withdraw(&stored.consultation, submission.withdrawn_at, now) {
                return Ok((Err(OpError::Refused(refusal)), Vec::new()));
            }
            if !submissions::withdraw(c, submission.id, now)? {
                return Ok((Err(OpError::Refused(WithdrawalRefusal::AlreadyWithdrawn)), Vec::new()));
            }
            if submissions::email_address(c, submission.id)?.is_some() {
                receipts::queue_withdrawal_email(c, submission.id, now)?;
            }
            let entry = Entry::new(Action::SubmissionWithdraw, Object::Submission(submission.receipt_number.clone()))
                .after(json!({"withdrawn_at": now.to_rfc3339()}));
            let submission = StoredSubmission { withdrawn_at: Some(now), ..submission };
            Ok((Ok(submission), vec![entry]))
        })
        .await?;
    outcome
}
