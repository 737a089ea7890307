//! A submitter's own submission after it left their hands: what each published version did
//! with its opinions, and withdrawal while the window is open.
use super::schema::{outbox, published_opinions, result_versions};
use super::{on_backend, to_db_time, DbConnection, DbError};
use crate::domain::results::PublishedOutcome;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

/// The job kind of the email confirming a withdrawal.
pub const WITHDRAWAL_EMAIL: &str = "withdrawal_email";

/// Six values a row: well under SQLite's limit on bound values per statement.
const ROWS_PER_STATEMENT: usize = 1500;

/// Records, with a version being published, what it did with every opinion.
pub fn store_outcomes(conn: &mut DbConnection, version: i32, outcomes: &[PublishedOutcome]) -> Result<(), DbError> {
    let mut rows = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let answer =
            o.answer.as_ref().map(serde_json::to_string).transpose().map_err(|e| DbError::Corrupt(e.to_string()))?;
        rows.push((
            published_opinions::opinion_id.eq(o.opinion_id),
            published_opinions::version.eq(version),
            published_opinions::outcome.eq(o.outcome.clone()),
            published_opinions::answer.eq(answer),
            published_opinions::item_id.eq(o.answer.as_ref().map(|a| a.response_item_id)),
            published_opinions::number.eq(o.answer.as_ref().map(|a| a.opinion.number as i32)),
        ));
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(published_opinions::table).values(chunk.to_vec()).execute(c)?);
    }
    Ok(())
}

/// The newest published version of a consultation, if any.
pub fn latest_version(conn: &mut DbConnection, consultation_id: i64) -> Result<Option<i32>, DbError> {
    Ok(result_versions::table
        .filter(result_versions::consultation_id.eq(consultation_id))
        .select(diesel::dsl::max(result_versions::version))
        .first(conn)?)
}

/// What `version` did with each of these opinions (absent: it was not there when published).
pub fn outcomes_of(
    conn: &mut DbConnection,
    version: i32,
    opinion_ids: &[i64],
) -> Result<HashMap<i64, PublishedOutcome>, DbError> {
    let rows: Vec<(i64, String, Option<String>)> = published_opinions::table
        .filter(published_opinions::version.eq(version))
        .filter(published_opinions::opinion_id.eq_any(opinion_ids))
        .select((published_opinions::opinion_id, published_opinions::outcome, published_opinions::answer))
        .load(conn)?;
    rows.into_iter()
        .map(|(opinion_id, outcome, answer)| {
            let answer = answer
                .map(|a| serde_json::from_str(&a))
                .transpose()
                .map_err(|e| DbError::Corrupt(format!("published opinion {opinion_id}: {e}")))?;
            Ok((opinion_id, PublishedOutcome { opinion_id, outcome, answer }))
        })
        .collect()
}

/// Queues the email confirming a withdrawal (sent only where an address was given).
pub fn queue_withdrawal_email(conn: &mut DbConnection, submission_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(WITHDRAWAL_EMAIL),
            outbox::submission_id.eq(Some(submission_id)),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(to_db_time(now)),
            outbox::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}
