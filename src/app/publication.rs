//! Publication: a new immutable version of the results, written only when nothing stands in
//! the way, with its audit record.
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::consultations::StoredConsultation;
use crate::db::results::{self, PublishOutcome};
use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

/// Publishes the next version, or says what is still missing.
pub async fn publish(
    db: &Db,
    consultation: Arc<StoredConsultation>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<PublishOutcome, DbError> {
    let by = actor.id.ok_or_else(|| DbError::Corrupt("publication needs a staff member".into()))?;
    let outcome = db
        .audited(actor, now, move |c| {
            let outcome = results::publish(c, &consultation, by, now)?;
            let entries = match &outcome {
                PublishOutcome::Published(version) => vec![Entry::new(
                    Action::ResultsPublish,
                    Object::Consultation(consultation.consultation.slug.clone()),
                )
                .after(json!({"version": version}))],
                PublishOutcome::Refused(_) => vec![],
            };
            Ok((outcome, entries))
        })
        .await?;
    if let PublishOutcome::Published(version) = &outcome {
        tracing::info!(version, "results published");
    }
    Ok(outcome)
}
