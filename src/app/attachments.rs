//! Staff decisions on files the public attached: whether one may be published.
use super::{OpError, OpResult};
use crate::db::attachments as adb;
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::Db;
use crate::domain::attachment::{may_publish, PublishRefusal};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Marks a file fit (or unfit) to publish with the results; audited. A file starts unfit: it
/// may hold personal data until someone has looked.
pub async fn set_publishable(
    db: &Db,
    actor: Actor,
    id: i64,
    publishable: bool,
    now: DateTime<Utc>,
) -> OpResult<i64, PublishRefusal> {
    db.audited(actor, now, move |c| {
        let Some(file) = adb::find(c, id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        if let (true, Err(refusal)) = (publishable, may_publish(file.uploaded_by.is_some())) {
            return Ok((Err(OpError::Refused(refusal)), vec![]));
        }
        adb::set_publishable(c, id, publishable)?;
        let entry = Entry::new(Action::AttachmentPublishable, Object::Attachment(id))
            .before(json!({"publishable": file.publishable}))
            .after(json!({"publishable": publishable}));
        Ok((Ok(file.submission_id), vec![entry]))
    })
    .await?
}
