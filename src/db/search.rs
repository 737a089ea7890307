//! The search index, kept off the intake path: the transaction that stores opinions lists them
//! in `search_backlog`, and the worker adds their text to the index in large batches (SQLite:
//! the `opinions_fts` trigram table; PostgreSQL: `opinion_search` with trigram indexes). Until
//! then the staff search reads a listed opinion's text directly (db::triage::text_search), so
//! a search never misses an opinion, it is only slower while the backlog is long.
use super::schema::search_backlog;
use super::{on_backend, DbConnection, DbError};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

const ROWS_PER_STATEMENT: usize = 5_000;

/// Lists new opinions for the worker to index; called in the transaction that stores them.
pub fn list_for_indexing(conn: &mut DbConnection, opinion_ids: &[i64]) -> Result<(), DbError> {
    for chunk in opinion_ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<_> = chunk.iter().map(|id| search_backlog::opinion_id.eq(*id)).collect();
        on_backend!(conn, |c| diesel::insert_into(search_backlog::table).values(rows).execute(c)?);
    }
    Ok(())
}

/// Adds up to `limit` listed opinions, oldest first, to the index and takes them off the list;
/// returns how many it took off. Call inside a transaction (`Db::write`), so the index and the list change
/// together. On PostgreSQL another instance's worker skips the rows taken here instead of
/// waiting for them.
pub fn index_listed(c: &mut DbConnection, limit: i64) -> Result<usize, DbError> {
    if c.is_sqlite() {
        // One writer at a time: both statements see the same lowest `limit` rows.
        let indexed = diesel::sql_query(
            "INSERT INTO opinions_fts (rowid, body, reason, location) \
             SELECT id, body, reason, location FROM opinions WHERE id IN \
             (SELECT opinion_id FROM search_backlog ORDER BY opinion_id LIMIT ?)",
        )
        .bind::<BigInt, _>(limit)
        .execute(c)?;
        diesel::sql_query(
            "DELETE FROM search_backlog WHERE opinion_id IN \
             (SELECT opinion_id FROM search_backlog ORDER BY opinion_id LIMIT ?)",
        )
        .bind::<BigInt, _>(limit)
        .execute(c)?;
        Ok(indexed)
    } else {
        // A row the update trigger already wrote holds newer text than this copy.
        let taken: Vec<Taken> = diesel::sql_query(
            "WITH taken AS (DELETE FROM search_backlog WHERE opinion_id IN \
             (SELECT opinion_id FROM search_backlog ORDER BY opinion_id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING opinion_id), \
             copied AS (INSERT INTO opinion_search (opinion_id, body, reason) \
             SELECT o.id, o.body, o.reason FROM opinions o JOIN taken t ON t.opinion_id = o.id \
             ON CONFLICT (opinion_id) DO NOTHING) \
             SELECT COUNT(*) AS n FROM taken",
        )
        .bind::<BigInt, _>(limit)
        .load(c)?;
        Ok(taken.first().map_or(0, |t| t.n as usize))
    }
}

/// How many opinions wait to be indexed: shown on the triage list and in `/metrics`.
pub fn backlog(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(search_backlog::table.count().get_result(conn)?)
}
