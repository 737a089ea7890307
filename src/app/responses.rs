//! Response items: written and edited by analysts, approved by an approver; editing an
//! approved item sends it back to draft.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::responses;
use crate::db::{Db, DbError};
use crate::domain::response::{may_approve, ApprovalRefusal, ItemStatus, ItemText, TextProblem};
use crate::domain::Locale;
use chrono::{DateTime, Utc};
use serde_json::json;

fn staff_id(actor: &Actor) -> Result<i64, DbError> {
    actor.id.ok_or_else(|| DbError::Corrupt("response items are written by staff".into()))
}

fn text_json(t: &ItemText) -> serde_json::Value {
    json!({"summary_ja": t.summary_ja, "summary_en": t.summary_en, "view_ja": t.view_ja, "view_en": t.view_en, "changed": t.changed, "change_ja": t.change_ja, "change_en": t.change_en})
}

/// A new item in draft, at the end of its draft's list. Returns its id.
pub async fn create(
    db: &Db,
    actor: Actor,
    consultation_id: i64,
    draft_id: Option<i64>,
    text: ItemText,
    now: DateTime<Utc>,
) -> OpResult<i64, TextProblem> {
    text.check().map_err(OpError::Refused)?;
    let by = staff_id(&actor)?;
    Ok(db
        .audited(actor, now, move |c| {
            let id = responses::create(c, consultation_id, draft_id, &text, by, now)?;
            Ok((id, vec![Entry::new(Action::ResponseCreate, Object::ResponseItem(id)).after(text_json(&text))]))
        })
        .await?)
}

/// New text (and position) for an item; it goes back to draft.
pub async fn update(
    db: &Db,
    actor: Actor,
    id: i64,
    text: ItemText,
    position: Option<i32>,
    now: DateTime<Utc>,
) -> OpResult<(), TextProblem> {
    text.check().map_err(OpError::Refused)?;
    let by = staff_id(&actor)?;
    db.audited(actor, now, move |c| {
        let Some(item) = responses::find(c, id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let position = position.unwrap_or(item.position);
        responses::update(c, id, &text, position, by, now)?;
        let entry = Entry::new(Action::ResponseUpdate, Object::ResponseItem(id))
            .before(json!({"text": text_json(&item.text()), "status": item.status.as_str(), "position": item.position}))
            .after(json!({"text": text_json(&text), "status": ItemStatus::Draft.as_str(), "position": position}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}

/// An approver approves an item for publication: someone who neither wrote nor last edited
/// it, once it has text in every language the consultation publishes in.
pub async fn approve(
    db: &Db,
    actor: Actor,
    id: i64,
    languages: Vec<Locale>,
    now: DateTime<Utc>,
) -> OpResult<(), ApprovalRefusal> {
    let by = staff_id(&actor)?;
    db.audited(actor, now, move |c| {
        let Some(item) = responses::find(c, id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        if let Err(refusal) = may_approve(item.status, item.hands(), by, &item.text(), &languages) {
            return Ok((Err(OpError::Refused(refusal)), vec![]));
        }
        responses::approve(c, id, by, now)?;
        let entry = Entry::new(Action::ResponseApprove, Object::ResponseItem(id))
            .before(json!({"status": item.status.as_str()}))
            .after(json!({"status": ItemStatus::Approved.as_str()}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}
