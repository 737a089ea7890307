//! A statement timeout for the reads of one kind of request (staff pages): on PostgreSQL a
//! search with a bad plan is stopped instead of holding a connection for minutes, even after
//! its client has left. SQLite has no statement timeout; its staff reads are kept few by the
//! staff slot limit instead.
use super::{DbConnection, DbError};
use diesel::RunQueryDsl;
use std::time::Duration;

tokio::task_local! {
    /// The statement timeout of the database reads made by the current task.
    pub static STATEMENT_TIMEOUT: Duration;
}

/// Runs `work` with every `Db::run` inside it limited to `limit` per statement (PostgreSQL).
pub async fn with_statement_timeout<F: std::future::Future>(limit: Duration, work: F) -> F::Output {
    STATEMENT_TIMEOUT.scope(limit, work).await
}

/// `f` on `conn` with the timeout set, and reset afterwards whatever `f` returned.
pub(super) fn within<T>(
    conn: &mut DbConnection,
    limit: Duration,
    f: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let DbConnection::Postgresql(pg) = conn else {
        return f(conn);
    };
    diesel::sql_query(format!("SET statement_timeout = {}", limit.as_millis().max(1))).execute(pg)?;
    let result = f(conn);
    let DbConnection::Postgresql(pg) = conn else { return result };
    // The work's own error comes first; a failed reset matters only after a success.
    let reset = diesel::sql_query("RESET statement_timeout").execute(pg);
    result.and_then(|value| reset.map(|_| value).map_err(DbError::from))
}
