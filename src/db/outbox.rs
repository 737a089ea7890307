//! The durable outbox: jobs written with the data they are about, claimed by a lease so that two
//! workers never take the same job, marked sent or rescheduled with a back-off.
use super::schema::outbox;
use super::{to_db_time, DbConnection, DbError};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub submission_id: Option<i64>,
    pub attempts: i32,
}

/// Claims up to `limit` due jobs for worker `me` until `now + lease`. The conditional update
/// is a compare-and-set, so it needs no backend-specific locking.
pub fn claim_due(
    conn: &mut DbConnection,
    me: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Job>, DbError> {
    let now_db = to_db_time(now);
    let candidates: Vec<Job> = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::next_attempt_at.le(now_db))
        .filter(outbox::locked_until.is_null().or(outbox::locked_until.lt(now_db)))
        .order(outbox::next_attempt_at.asc())
        .limit(limit)
        .select((outbox::id, outbox::kind, outbox::submission_id, outbox::attempts))
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(candidates);
    }
    // One conditional update for all of them; RETURNING says which ones this worker won.
    let ids: Vec<i64> = candidates.iter().map(|j| j.id).collect();
    let won: std::collections::HashSet<i64> = diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .filter(outbox::sent_at.is_null())
            .filter(outbox::locked_until.is_null().or(outbox::locked_until.lt(now_db))),
    )
    .set((outbox::locked_until.eq(Some(to_db_time(now + lease))), outbox::claimed_by.eq(Some(me))))
    .returning(outbox::id)
    .get_results::<i64>(conn)?
    .into_iter()
    .collect();
    Ok(candidates.into_iter().filter(|job| won.contains(&job.id)).collect())
}

/// Extends `me`'s lease on those of `ids` it still holds and that are not sent; returns them.
/// A job missing from the answer was taken by another worker: it must not be sent here.
pub fn renew(
    conn: &mut DbConnection,
    me: &str,
    ids: &[i64],
    until: DateTime<Utc>,
) -> Result<std::collections::HashSet<i64>, DbError> {
    let mut kept = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        kept.extend(
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq_any(chunk))
                    .filter(outbox::sent_at.is_null())
                    .filter(outbox::claimed_by.eq(me)),
            )
            .set(outbox::locked_until.eq(Some(to_db_time(until))))
            .returning(outbox::id)
            .get_results::<i64>(conn)?,
        );
    }
    Ok(kept)
}

/// Gives back `me`'s lease on `ids` (claimed but not sent, as when the worker stops), so
/// another worker takes them at once rather than when the lease runs out.
pub fn release(conn: &mut DbConnection, me: &str, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(500) {
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(chunk))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::claimed_by.eq(me)),
        )
        .set(outbox::locked_until.eq(None::<chrono::NaiveDateTime>))
        .execute(conn)?;
    }
    Ok(())
}

/// Marks `ids` sent in one statement per 500; each job's Message-ID is `around.0`, its id,
/// then `around.1` (see mail::receipt::message_id_around).
pub fn mark_sent(
    conn: &mut DbConnection,
    ids: &[i64],
    around: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    use diesel::sql_types::{Nullable, Text};
    for chunk in ids.chunks(500) {
        let message_id = diesel::dsl::sql::<Nullable<Text>>("")
            .bind::<Text, _>(around.0)
            .sql(" || CAST(outbox.id AS TEXT) || ")
            .bind::<Text, _>(around.1);
        diesel::update(outbox::table.filter(outbox::id.eq_any(chunk)))
            .set((
                outbox::sent_at.eq(Some(to_db_time(now))),
                outbox::message_id.eq(message_id),
                outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn reschedule(conn: &mut DbConnection, id: i64, next_at: DateTime<Utc>, error: &str) -> Result<(), DbError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::next_attempt_at.eq(to_db_time(next_at)),
            outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Jobs not yet done, due or not.
pub fn pending(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(outbox::table.filter(outbox::sent_at.is_null()).count().get_result(conn)?)
}

/// The earliest time a pending job becomes due, so the worker can sleep until then.
pub fn next_due(conn: &mut DbConnection) -> Result<Option<DateTime<Utc>>, DbError> {
    let at: Option<chrono::NaiveDateTime> = outbox::table
        .filter(outbox::sent_at.is_null())
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first(conn)?;
    Ok(at.map(super::from_db_time))
}
