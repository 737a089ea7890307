//! Triage: what analysts change on opinions, one at a time or on a selection, each change
//! audited with the opinion's state before and after.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::consultations::StoredConsultation;
use crate::db::triage::{self as tdb, OpinionDetail, OpinionFilter};
use crate::db::{annotations, responses, staff, Db, DbConnection, DbError};
use crate::domain::triage::{
    decide_state, normalize_note, normalize_tag, StateChange, StateRefusal, StateRequest, Target,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

/// One change to one opinion, as asked for.
#[derive(Debug, Clone)]
pub enum OpinionChange {
    State(StateRequest),
    /// `None` takes the assignment away.
    Assign(Option<i64>),
    Tag(String),
    Untag(String),
    Note(String),
    /// A draft code of the consultation, or "whole".
    Move(String),
    Link(i64),
}

/// One change to many opinions.
#[derive(Debug, Clone)]
pub enum BulkAction {
    Assign(Option<i64>),
    Tag(String),
    State(StateRequest),
    Link(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRefusal {
    State(StateRefusal),
    UnknownAssignee,
    UnfitTag,
    /// Empty, or over 10,000 characters.
    UnfitNote,
    UnknownDraft,
    /// The response item does not exist in this consultation.
    UnknownItem,
}

fn snapshot(o: &OpinionDetail) -> serde_json::Value {
    json!({"state": o.state.as_str(), "draft_id": o.draft_id, "assignee_id": o.assignee_id, "response_item_id": o.response_item_id, "reason": o.triage_reason})
}

fn known_assignee(c: &mut DbConnection, who: Option<i64>) -> Result<bool, DbError> {
    Ok(match who {
        None => true,
        Some(id) => staff::find(c, id)?.is_some_and(|u| !u.disabled),
    })
}

fn item_in(c: &mut DbConnection, item: i64, consultation_id: i64) -> Result<bool, DbError> {
    Ok(responses::find(c, item)?.is_some_and(|i| i.consultation_id == consultation_id))
}

/// Checks a change against the rules and the stored data, then makes it.
fn apply_one(
    c: &mut DbConnection,
    consultation: &StoredConsultation,
    o: &OpinionDetail,
    change: OpinionChange,
    by: i64,
    now: DateTime<Utc>,
) -> Result<Result<Action, ChangeRefusal>, DbError> {
    let id = o.id;
    Ok(Ok(match change {
        OpinionChange::State(request) => {
            let original_found = match request.duplicate_of {
                Some(d) => tdb::detail(c, d)?.is_some_and(|orig| orig.consultation_id == o.consultation_id),
                None => false,
            };
            let decided = decide_state(&request, Target::One { opinion_id: id, original_found });
            match decided {
                Ok(change) => tdb::set_state(c, &[id], &change)?,
                Err(refusal) => return Ok(Err(ChangeRefusal::State(refusal))),
            };
            Action::OpinionState
        }
        OpinionChange::Assign(who) => {
            if !known_assignee(c, who)? {
                return Ok(Err(ChangeRefusal::UnknownAssignee));
            }
            tdb::assign(c, &[id], who)?;
            Action::OpinionAssign
        }
        OpinionChange::Tag(raw) => {
            let Some(tag) = normalize_tag(&raw) else {
                return Ok(Err(ChangeRefusal::UnfitTag));
            };
            annotations::add_tag(c, &[id], &tag)?;
            Action::OpinionTag
        }
        OpinionChange::Untag(tag) => {
            annotations::remove_tag(c, id, &tag)?;
            Action::OpinionUntag
        }
        OpinionChange::Note(raw) => {
            let Some(body) = normalize_note(&raw) else {
                return Ok(Err(ChangeRefusal::UnfitNote));
            };
            annotations::add_note(c, id, by, &body, now)?;
            Action::OpinionNote
        }
        OpinionChange::Move(code) => {
            let to = match code.as_str() {
                "whole" => None,
                code => match consultation.draft_ids.get(code) {
                    Some(d) => Some(*d),
                    None => return Ok(Err(ChangeRefusal::UnknownDraft)),
                },
            };
            tdb::move_to_draft(c, id, o.draft_id, o.original_draft_id, to)?;
            Action::OpinionMove
        }
        OpinionChange::Link(item) => {
            if !item_in(c, item, o.consultation_id)? {
                return Ok(Err(ChangeRefusal::UnknownItem));
            }
            tdb::link(c, &[id], item)?;
            Action::OpinionLink
        }
    }))
}

/// Makes one change to one opinion, with its audit record.
pub async fn change(
    db: &Db,
    consultation: Arc<StoredConsultation>,
    actor: Actor,
    id: i64,
    change: OpinionChange,
    now: DateTime<Utc>,
) -> OpResult<(), ChangeRefusal> {
    let by = actor.id.ok_or_else(|| DbError::Corrupt("triage needs a staff member".into()))?;
    db.audited(actor, now, move |c| {
        let Some(o) = tdb::detail(c, id)?.filter(|o| o.consultation_id == consultation.id) else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        let action = match apply_one(c, &consultation, &o, change, by, now)? {
            Ok(action) => action,
            Err(refusal) => return Ok((Err(OpError::Refused(refusal)), vec![])),
        };
        let after = tdb::detail(c, id)?.map(|o| snapshot(&o)).unwrap_or_default();
        let entry = Entry::new(action, Object::Opinion(id)).before(snapshot(&o)).after(after);
        Ok((Ok(()), vec![entry]))
    })
    .await?
}

/// The opinions of a consultation a bulk action would change: every match of a filter, or the
/// chosen ids that belong to this consultation (whatever else a form sends).
pub async fn select(db: &Db, filter: OpinionFilter, chosen: Option<Vec<i64>>) -> Result<Vec<i64>, DbError> {
    let all = db.run(move |c| tdb::ids(c, &OpinionFilter { after: None, ..filter })).await?;
    Ok(match chosen {
        None => all,
        Some(wanted) => wanted.into_iter().filter(|id| all.binary_search(id).is_ok()).collect(),
    })
}

/// Decides a bulk action before anything is shown or changed.
/// `original_found`: whether a duplicate's original is an opinion of the consultation (the
/// form's own check passes `true` and leaves that to `bulk`).
pub fn decide_bulk(action: &BulkAction, original_found: bool) -> Result<Option<StateChange>, ChangeRefusal> {
    match action {
        BulkAction::State(request) => {
            decide_state(request, Target::Many { original_found }).map(Some).map_err(ChangeRefusal::State)
        }
        BulkAction::Tag(raw) if normalize_tag(raw).is_none() => Err(ChangeRefusal::UnfitTag),
        _ => Ok(None),
    }
}

/// Applies one action to the selected opinions of a consultation, with one audit record.
/// Returns how many opinions changed.
pub async fn bulk(
    db: &Db,
    consultation_id: i64,
    actor: Actor,
    ids: Vec<i64>,
    action: BulkAction,
    now: DateTime<Utc>,
) -> OpResult<usize, ChangeRefusal> {
    decide_bulk(&action, true).map_err(OpError::Refused)?;
    let changed = db
        .audited(actor, now, move |c| {
            let original = match &action {
                BulkAction::State(StateRequest { duplicate_of: Some(o), .. }) => Some(*o),
                _ => None,
            };
            let original_found = match original {
                Some(o) => tdb::detail(c, o)?.is_some_and(|orig| orig.consultation_id == consultation_id),
                None => false,
            };
            let state = match decide_bulk(&action, original_found) {
                Ok(state) => state,
                Err(refusal) => return Ok((Err(OpError::Refused(refusal)), vec![])),
            };
            // An opinion is never a duplicate of itself.
            let ids: Vec<i64> = ids.iter().copied().filter(|id| Some(*id) != original).collect();
            let changed = match (&action, state) {
                (BulkAction::Assign(who), _) => {
                    if !known_assignee(c, *who)? {
                        return Ok((Err(OpError::Refused(ChangeRefusal::UnknownAssignee)), vec![]));
                    }
                    tdb::assign(c, &ids, *who)?
                }
                (BulkAction::Tag(raw), _) => annotations::add_tag(c, &ids, &normalize_tag(raw).unwrap_or_default())?,
                (BulkAction::State(_), Some(change)) => tdb::set_state(c, &ids, &change)?,
                (BulkAction::State(_), None) => 0,
                (BulkAction::Link(item), _) => {
                    if !item_in(c, *item, consultation_id)? {
                        return Ok((Err(OpError::Refused(ChangeRefusal::UnknownItem)), vec![]));
                    }
                    tdb::link(c, &ids, *item)?
                }
            };
            let entry =
                Entry::new(Action::TriageBulk, Object::Consultation(consultation_id.to_string())).after(json!({
                    "action": format!("{action:?}"),
                    "opinions": ids.len(),
                    "changed": changed,
                    "first_ids": ids.iter().take(50).collect::<Vec<_>>(),
                }));
            Ok((Ok(changed), vec![entry]))
        })
        .await?;
    if changed.as_ref().is_ok_and(|n| *n >= LARGE_CHANGE) {
        // A large share of the table changed state: refresh the planner's statistics.
        db.write(crate::db::analyze).await?;
    }
    changed
}

/// Bulk changes at least this large refresh the planner's statistics afterwards.
const LARGE_CHANGE: usize = 5_000;
