//! A submitter's contact details, shown to staff only on request; every look is audited.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::transcriptions::{self as tdb, Contact};
use crate::db::{triage, Db};
use chrono::{DateTime, Utc};
use std::convert::Infallible;

/// Whose details: a transcription's (by receipt number) or the sender of an opinion.
#[derive(Debug, Clone)]
pub enum Whose {
    Transcription(String),
    Opinion(i64),
}

pub async fn reveal(db: &Db, actor: Actor, whose: Whose, now: DateTime<Utc>) -> OpResult<Contact, Infallible> {
    db.audited(actor, now, move |c| {
        let found = match &whose {
            Whose::Transcription(receipt) => {
                tdb::meta(c, receipt)?.filter(|m| m.verification.is_some()).map(|m| (m.submission_id, m.receipt_number))
            }
            Whose::Opinion(id) => triage::detail(c, *id)?.map(|o| (o.submission_id, o.receipt_number)),
        };
        let Some((submission_id, receipt)) = found else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let contact = tdb::contact(c, submission_id)?;
        Ok((Ok(contact), vec![Entry::new(Action::ContactReveal, Object::Submission(receipt))]))
    })
    .await?
}
