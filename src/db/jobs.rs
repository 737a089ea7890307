//! A durable queue for background work other than email (the outbox has its own): written in
//! the transaction that makes the work necessary, taken by any instance's worker.
use super::schema::jobs;
use super::{to_db_time, DbConnection, DbError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Scan the opinions of the submissions listed (a JSON array of ids) for personal data.
pub const SCAN_PERSONAL_DATA: &str = "scan_personal_data";
/// Fingerprint the opinions of the submissions listed and place them in campaigns.
pub const FINGERPRINT: &str = "fingerprint";
/// Read the text of one attached file for the search (payload: the attachment's id).
pub const EXTRACT_TEXT: &str = "extract_attachment_text";
/// Re-cluster the campaigns of one consultation (payload: its id).
pub const RECLUSTER: &str = "recluster";
/// The work every batch of new opinions needs, one job of each kind per batch.
pub const TEXT_WORK: [&str; 2] = [SCAN_PERSONAL_DATA, FINGERPRINT];

pub fn queue(conn: &mut DbConnection, kind: &str, payload: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::insert_into(jobs::table)
        .values((jobs::kind.eq(kind), jobs::payload.eq(payload), jobs::created_at.eq(to_db_time(now))))
        .execute(conn)?;
    Ok(())
}

/// After opinions' text is stored or changed: look for personal data in it and fingerprint
/// it, later; nothing is queued for no submissions.
pub fn queue_text_work(conn: &mut DbConnection, submission_ids: &[i64], now: DateTime<Utc>) -> Result<(), DbError> {
    if submission_ids.is_empty() {
        return Ok(());
    }
    let payload = serde_json::to_string(submission_ids).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let at = to_db_time(now);
    let rows: Vec<_> = TEXT_WORK
        .into_iter()
        .map(|kind| (jobs::kind.eq(kind), jobs::payload.eq(payload.clone()), jobs::created_at.eq(at)))
        .collect();
    super::on_backend!(conn, |c| diesel::insert_into(jobs::table).values(rows).execute(c)?);
    Ok(())
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    payload: String,
}

/// Takes up to `limit` jobs of `kind`, oldest first, removing them from the queue. Call inside
/// the transaction that does the work: if it fails, the jobs come back. On PostgreSQL another
/// instance skips the rows taken here instead of waiting for them.
pub fn take(conn: &mut DbConnection, kind: &str, limit: i64) -> Result<Vec<(i64, String)>, DbError> {
    let sql = if conn.is_sqlite() {
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE kind = ? ORDER BY id LIMIT ?) RETURNING id, payload"
    } else {
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE kind = $1 ORDER BY id LIMIT $2 \
         FOR UPDATE SKIP LOCKED) RETURNING id, payload"
    };
    let rows: Vec<Claimed> = diesel::sql_query(sql).bind::<Text, _>(kind).bind::<BigInt, _>(limit).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.payload)).collect())
}

/// Jobs waiting, for `/metrics` and the tests.
pub fn waiting(conn: &mut DbConnection, kind: &str) -> Result<i64, DbError> {
    Ok(jobs::table.filter(jobs::kind.eq(kind)).count().get_result(conn)?)
}
