//! Redaction: suggestions found in the background, staff accepting, dismissing or lifting
//! them, and withholding text they point at themselves. Every decision is audited.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::redactions::{self, Manual};
use crate::db::schema::opinions;
use crate::db::triage as tdb;
use crate::db::{jobs, Db, DbError};
use crate::domain::personal_data;
use crate::domain::redaction::{self, Decision, DecisionRefusal, Field, Reason};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

/// Jobs taken in one scan pass; each names the submissions of one batch.
const JOBS_PER_PASS: i64 = 20;

/// Scans the opinions of queued submissions for personal data and stores what it finds as
/// suggestions, in one transaction with taking the jobs. Returns how many opinions it read.
pub fn scan_pending(db: &Db, now: DateTime<Utc>) -> Result<usize, DbError> {
    db.write_blocking(|c| {
        let taken = jobs::take(c, jobs::SCAN_PERSONAL_DATA, JOBS_PER_PASS)?;
        let mut ids: Vec<i64> = Vec::new();
        for (job, payload) in taken {
            let listed: Vec<i64> = serde_json::from_str(&payload)
                .map_err(|e| DbError::Corrupt(format!("job {job} has an unreadable list: {e}")))?;
            ids.extend(listed);
        }
        let mut scanned = 0;
        for chunk in ids.chunks(500) {
            let texts: Vec<(i64, String, Option<String>, Option<String>)> = opinions::table
                .filter(
                    opinions::submission_id
                        .between(crate::db::submissions::low(chunk), crate::db::submissions::high(chunk)),
                )
                .filter(opinions::submission_id.eq_any(chunk))
                .select((opinions::id, opinions::body, opinions::reason, opinions::location))
                .load(c)?;
            for (id, body, reason, location) in texts {
                for (field, text) in [(Field::Body, Some(body)), (Field::Reason, reason), (Field::Location, location)] {
                    if let Some(text) = text {
                        redactions::suggest(c, id, field, &personal_data::find(&text), now)?;
                    }
                }
                scanned += 1;
            }
        }
        Ok(scanned)
    })
}

fn staff_id(actor: &Actor) -> Result<i64, DbError> {
    actor.id.ok_or_else(|| DbError::Corrupt("redaction is staff work".into()))
}

/// Accepts, dismisses or lifts one suggestion or redaction of `opinion_id`.
pub async fn decide(
    db: &Db,
    actor: Actor,
    opinion_id: i64,
    redaction_id: i64,
    decision: Decision,
    now: DateTime<Utc>,
) -> OpResult<(), DecisionRefusal> {
    let by = staff_id(&actor)?;
    db.audited(actor, now, move |c| {
        let Some(row) = redactions::find(c, redaction_id)?.filter(|r| r.opinion_id == opinion_id) else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let (status, reason) = match redaction::decide(row.status, &decision) {
            Ok(decided) => decided,
            Err(refusal) => return Ok((Err(OpError::Refused(refusal)), vec![])),
        };
        let note = match &decision {
            Decision::Accept { note, .. } => note.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            _ => None,
        };
        redactions::decide(c, redaction_id, status, reason, note, by, now)?;
        let action = match decision {
            Decision::Accept { .. } => Action::RedactionAccept,
            Decision::Dismiss => Action::RedactionDismiss,
            Decision::Lift => Action::RedactionLift,
        };
        let entry = Entry::new(action, Object::Opinion(opinion_id))
            .before(json!({"redaction": redaction_id, "status": row.status.as_str()}))
            .after(json!({"redaction": redaction_id, "status": status.as_str(), "reason": reason.map(Reason::as_str), "note": note}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}

/// Text staff ask to withhold from one field of an opinion, as they typed it.
#[derive(Debug, Clone)]
pub struct Withholding {
    pub field: Field,
    pub text: String,
    pub reason: Reason,
    pub note: String,
}

/// Withholds every place where the typed text stands in the field. Returns how many.
pub async fn withhold(
    db: &Db,
    actor: Actor,
    opinion_id: i64,
    asked: Withholding,
    now: DateTime<Utc>,
) -> OpResult<usize, DecisionRefusal> {
    let by = staff_id(&actor)?;
    let Withholding { field, text, reason, note } = asked;
    let (reason, note) = redaction::reason_with_note(reason, &note).map_err(OpError::Refused)?;
    db.audited(actor, now, move |c| {
        let Some(o) = tdb::detail(c, opinion_id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let stored = match field {
            Field::Body => Some(o.body),
            Field::Reason => o.reason,
            Field::Location => o.location,
        };
        let spans = redaction::occurrences(stored.as_deref().unwrap_or(""), &text);
        if spans.is_empty() {
            return Ok((Err(OpError::Refused(DecisionRefusal::NotInText)), vec![]));
        }
        let mut entries = Vec::new();
        for (start, end) in &spans {
            let manual = Manual { opinion_id, field, start: *start, end: *end, reason, note: note.as_deref() };
            let id = redactions::add_manual(c, &manual, by, now)?;
            entries.push(Entry::new(Action::RedactionAdd, Object::Opinion(opinion_id)).after(json!({
                "redaction": id, "field": field.as_str(), "start": start, "end": end, "reason": reason.as_str(), "note": note,
            })));
        }
        Ok((Ok(spans.len()), entries))
    })
    .await?
}
