//! Storage: one diesel codebase over SQLite and PostgreSQL, chosen by the URL's scheme.
pub mod annotations;
pub mod attachments;
pub mod audit;
mod breaker;
mod network;
mod statement_timeout;
pub use statement_timeout::{with_statement_timeout, STATEMENT_TIMEOUT};
mod sqlite_settings;
pub use sqlite_settings::{opinions_high_water, opinions_when_analyzed, sqlite_pragmas, widen_sqlite_cache};
pub mod campaigns;
pub mod consultations;
pub mod credentials;
pub mod fingerprints;
pub mod jobs;
pub mod outbox;
pub mod published;
pub mod receipts;
pub mod redactions;
pub mod responses;
pub mod results;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod staff;
mod submission_batch;
pub mod submissions;
pub mod transcriptions;
pub mod triage;

use crate::config::DatabaseUrl;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Advisory lock keys (PostgreSQL): one per kind of start-up work instances must not race on.
const MIGRATION_LOCK: i64 = 0x7075_6263_6f6d_0001;
pub const IMPORT_LOCK: i64 = 0x7075_6263_6f6d_0002;

/// Refreshes the planner's statistics after a large change. SQLite keeps none unless asked:
/// without them it walked every submission of a consultation and sorted their opinions for
/// each triage page instead of reading the newest first (122 ms instead of 34 ms at 100,000
/// opinions). On SQLite it writes, so it runs as a write (0.15 s at 100,000 opinions).
pub fn analyze(conn: &mut DbConnection) -> Result<(), DbError> {
    on_backend!(conn, |c| diesel::sql_query("ANALYZE").execute(c)?);
    Ok(())
}

/// Holds `key` until the transaction ends (PostgreSQL; SQLite's writer is already one).
pub fn lock_for_transaction(conn: &mut DbConnection, key: i64) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(c)?;
    }
    Ok(())
}

/// How long a storage failure keeps `/readyz` at 503.
const STORAGE_PROBLEM_FOR: Duration = Duration::from_secs(30);

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs one diesel statement on the concrete connection inside a `DbConnection`, for the few
/// statements `MultiConnection` cannot express (multi-row inserts). The statement is written
/// once; each backend compiles it for itself.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $statement:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $statement,
            $crate::db::DbConnection::Sqlite($c) => $statement,
        }
    };
}
pub(crate) use on_backend;

impl DbConnection {
    /// Where the SQL of the two backends differs (full-text search, placeholders).
    pub fn is_sqlite(&self) -> bool {
        matches!(self, DbConnection::Sqlite(_))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("the database task was cancelled")]
    Cancelled,
    /// A write failed for want of storage (kept as such even when the transaction's rollback
    /// then fails too, as SQLite's does after it rolled back on its own).
    #[error("storage unavailable: {0}")]
    StorageFull(String),
    /// One failure shared by every request of a group-commit batch.
    #[error("the batch was not stored")]
    Batch(#[source] Arc<DbError>),
}

impl DbError {
    /// The database answered and refused a statement (a clash, a constraint), as opposed to
    /// being unreachable: retrying the same work piece by piece can succeed.
    pub fn is_refusal(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        !self.is_storage_full()
            && matches!(self, DbError::Query(Error::DatabaseError(kind, _)) if !matches!(kind, DatabaseErrorKind::ClosedConnection))
    }

    /// The storage is full or read-only: nothing can be written until an operator acts. Not a
    /// refusal of one submission (retrying them one by one cannot help) and not "busy".
    pub fn is_storage_full(&self) -> bool {
        match self {
            DbError::Query(diesel::result::Error::DatabaseError(_, info)) => {
                let m = info.message().to_ascii_lowercase();
                ["disk is full", "no space left", "readonly database", "read-only file system", "could not extend file"]
                    .iter()
                    .any(|s| m.contains(s))
            }
            DbError::StorageFull(_) => true,
            DbError::Batch(inner) => inner.is_storage_full(),
            _ => false,
        }
    }

    /// The database could not be reached or dropped the connection: worth a "try again
    /// shortly" answer, unlike a refused statement or unreadable data, which are our fault.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Connect(_) | DbError::Pool(_) | DbError::Cancelled => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => true,
            DbError::Query(Error::BrokenTransactionManager) => true,
            DbError::Batch(inner) => inner.is_unavailable(),
            _ => false,
        }
    }

    /// A statement stopped by the statement timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("statement timeout"))
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn only_an_unreachable_database_is_unavailable() {
        let refused =
            || DbError::Query(Error::DatabaseError(DatabaseErrorKind::CheckViolation, Box::new("x".to_string())));
        assert!(DbError::Connect("refused".into()).is_unavailable());
        assert!(DbError::Batch(Arc::new(DbError::Connect("refused".into()))).is_unavailable());
        assert!(!refused().is_unavailable());
        assert!(!DbError::Batch(Arc::new(refused())).is_unavailable(), "a batch keeps its cause");
        assert!(!DbError::Corrupt("bad row".into()).is_unavailable());
    }
}

/// Opens connections of the backend the URL names, with the real error when that fails.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// SQLite only: the largest the database file may grow, in pages (`PRAGMA max_page_count`).
    sqlite_max_pages: Option<u64>,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url, sqlite_max_pages: None }
    }

    pub fn establish(&self) -> Result<DbConnection, DbError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(&network::with_timeouts(url))
                .map(DbConnection::Postgresql)
                .map_err(|e| DbError::Connect(e.to_string())),
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
                    crate::files::private_dir(dir)
                        .map_err(|e| DbError::Connect(format!("cannot create {}: {e}", dir.display())))?;
                }
                // The database holds personal data: only this user may read it (SQLite gives its
                // WAL and shared-memory files the same mode).
                crate::files::create_private(path)
                    .map_err(|e| DbError::Connect(format!("cannot create {}: {e}", path.display())))?;
                let path = path.to_str().ok_or_else(|| DbError::Connect("the SQLite path is not UTF-8".into()))?;
                let mut conn =
                    diesel::SqliteConnection::establish(path).map_err(|e| DbError::Connect(e.to_string()))?;
                conn.batch_execute(sqlite_settings::ON_CONNECT).map_err(|e| DbError::Connect(e.to_string()))?;
                if let Some(pages) = self.sqlite_max_pages {
                    conn.batch_execute(&format!("PRAGMA max_page_count = {pages}"))
                        .map_err(|e| DbError::Connect(e.to_string()))?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::Query)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// The pool plus what the backend needs to write safely.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: &'static str,
    /// SQLite has one writer at a time; queueing writers here avoids busy errors when a read
    /// transaction would have to be upgraded.
    sqlite_writer: Arc<Mutex<()>>,
    breaker: Arc<breaker::Breaker>,
    /// When and why a write last failed for want of storage.
    storage_problem: Arc<Mutex<Option<(std::time::Instant, String)>>>,
}

impl Db {
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbError> {
        Self::connect_with(url, pool_size, None)
    }

    /// `sqlite_max_pages`: a cap on the SQLite file's size (see `database.sqlite_max_pages`).
    pub fn connect_with(url: &DatabaseUrl, pool_size: u32, sqlite_max_pages: Option<u64>) -> Result<Self, DbError> {
        let manager = ConnectionManager { url: url.clone(), sqlite_max_pages };
        // Surface the real connection error before the pool hides it behind a timeout.
        drop(manager.establish()?);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            // How long a request waits for a connection before it is answered 503: short, so
            // that while the database is away people hear so within seconds.
            .connection_timeout(Duration::from_secs(3))
            .build(manager)?;
        Ok(Self {
            pool,
            backend: url.backend_name(),
            sqlite_writer: Arc::new(Mutex::new(())),
            breaker: Arc::new(breaker::Breaker::new(Duration::from_secs(1))),
            storage_problem: Arc::new(Mutex::new(None)),
        })
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// A pooled connection. After a failed attempt (which waited the pool's timeout), the
    /// next second's requests are refused at once instead of each waiting as long.
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        let now = std::time::Instant::now();
        if !self.breaker.allow(now) {
            return Err(DbError::Connect("the database did not answer a moment ago; trying again shortly".into()));
        }
        match self.pool.get() {
            Ok(conn) => {
                self.breaker.succeeded();
                Ok(conn)
            }
            Err(e) => {
                // Only an unreachable database trips it (r2d2 then names the last connection
                // error); every connection merely being busy under load does not.
                if e.to_string() != "timed out waiting for connection" {
                    self.breaker.failed(std::time::Instant::now());
                }
                Err(e.into())
            }
        }
    }

    /// Why writing failed for want of storage (disk full, read-only) in the last 30 seconds,
    /// if it did. Small writes may still succeed on a nearly full disk, so only time clears
    /// it: an instance taken out of service by its readiness comes back to be tried again.
    pub fn storage_problem(&self) -> Option<String> {
        let problem = self.storage_problem.lock().unwrap_or_else(|p| p.into_inner());
        problem.as_ref().filter(|(at, _)| at.elapsed() < STORAGE_PROBLEM_FOR).map(|(_, reason)| reason.clone())
    }

    fn note_write<T>(&self, result: &Result<T, DbError>) {
        if let Err(e) = result {
            if e.is_storage_full() {
                *self.storage_problem.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((std::time::Instant::now(), e.to_string()));
            }
        }
    }

    /// Applies pending migrations. On PostgreSQL under an advisory lock, so that any number of
    /// instances may start at once: the first migrates, the others wait and find nothing to do.
    pub fn migrate(&self) -> Result<usize, DbError> {
        let mut conn = self.get()?;
        let applied = match &mut *conn {
            DbConnection::Postgresql(c) => {
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
                let applied = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
                applied
            }
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| DbError::Migration(e.to_string()))
    }

    /// Runs `f` on a pooled connection, off the async threads; on PostgreSQL under the
    /// statement timeout of the task, if it has one (see `with_statement_timeout`).
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
    {
        let db = self.clone();
        let timeout = STATEMENT_TIMEOUT.try_with(|t| *t).ok();
        tokio::task::spawn_blocking(move || match timeout {
            Some(limit) => db.run_blocking(|c| statement_timeout::within(c, limit, f)),
            None => db.run_blocking(f),
        })
        .await
        .map_err(|_| DbError::Cancelled)?
    }

    pub fn run_blocking<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError>,
    {
        let mut conn = self.get()?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction; on SQLite, one writer at a time.
    pub async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(f)).await.map_err(|_| DbError::Cancelled)?
    }

    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError>,
    {
        let mut conn = self.get()?;
        let _guard = if self.backend == "sqlite" {
            Some(self.sqlite_writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
        } else {
            None
        };
        let mut full = None;
        let result = conn.transaction(|c| {
            let outcome = f(c);
            if let Err(e) = &outcome {
                full = e.is_storage_full().then(|| e.to_string());
            }
            outcome
        });
        let result = match (result, full) {
            (Err(_), Some(reason)) => Err(DbError::StorageFull(reason)),
            (other, _) => other,
        };
        self.note_write(&result);
        result
    }

    pub fn state(&self) -> r2d2::State {
        self.pool.state()
    }
}

pub fn to_db_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

pub fn from_db_time(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
