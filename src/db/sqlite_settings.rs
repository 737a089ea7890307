//! The SQLite settings of pooled connections and of bulk passes, how a connection reports
//! them, and what the planner's statistics were gathered over.
use super::{DbConnection, DbError};
use diesel::prelude::*;

/// Durability is explicit: every commit is flushed before a receipt is shown. The busy
/// timeout comes first so that switching to WAL waits for other connections. The page cache
/// is SQLite's default of 2 MB per connection: each pooled connection fills its cache as the
/// file grows, and at 64 MB each a 3x surge held 210-240 MB instead of 77-83 MB
/// (BENCHMARKS.md, "Memory under the 3x overload").
pub(super) const ON_CONNECT: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -2000;";

/// The page cache a bulk pass over a whole consultation takes on its connection (in KiB):
/// fingerprinting 100,000 opinions took 33 s with the serving cache and 22 s with this one.
const SQLITE_BULK_CACHE_KIB: i64 = 65_536;

/// Gives this connection the page cache of a bulk pass; for one-off commands such as
/// `pubcom cluster`, whose process ends with the pass. No-op on PostgreSQL.
pub fn widen_sqlite_cache(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Sqlite(c) = conn {
        diesel::sql_query(format!("PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")).execute(c)?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName, Debug)]
pub struct PragmaText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub value: String,
}

/// The SQLite PRAGMAs as a connection from the pool sees them (for tests and `readyz`).
pub fn sqlite_pragmas(conn: &mut DbConnection) -> Result<Vec<(String, String)>, DbError> {
    let mut out = Vec::new();
    let columns = [
        ("journal_mode", "journal_mode"),
        ("synchronous", "synchronous"),
        ("foreign_keys", "foreign_keys"),
        ("busy_timeout", "timeout"),
        ("cache_size", "cache_size"),
    ];
    for (pragma, column) in columns {
        let rows: Vec<PragmaText> =
            diesel::sql_query(format!("SELECT CAST({column} AS TEXT) AS value FROM pragma_{pragma}")).load(conn)?;
        let value = rows.into_iter().next().map(|r| r.value).unwrap_or_default();
        out.push((pragma.to_string(), value));
    }
    Ok(out)
}

/// How many opinions SQLite's planner statistics were gathered over (`sqlite_stat1`), if they
/// ever were; `None` on PostgreSQL, whose autovacuum keeps its own statistics.
pub fn opinions_when_analyzed(conn: &mut DbConnection) -> Result<Option<i64>, DbError> {
    let DbConnection::Sqlite(c) = conn else {
        return Ok(None);
    };
    let exists: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1')",
    ))
    .get_result(c)?;
    if exists == 0 {
        return Ok(None);
    }
    // Each index's row starts with the rows it holds: a partial index holds only some, so the
    // table's size is the largest.
    let rows: Vec<PragmaText> =
        diesel::sql_query("SELECT stat AS value FROM sqlite_stat1 WHERE tbl = 'opinions'").load(c)?;
    Ok(rows.iter().filter_map(|r| r.value.split(' ').next()?.parse().ok()).max())
}

/// The highest opinion id: how large the table has grown, read from the end of its key.
pub fn opinions_high_water(conn: &mut DbConnection) -> Result<i64, DbError> {
    use super::schema::opinions;
    let top: Option<i64> =
        super::on_backend!(conn, |c| opinions::table.select(diesel::dsl::max(opinions::id)).first(c)?);
    Ok(top.unwrap_or(0))
}
