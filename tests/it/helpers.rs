use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use pubcom::clock::FixedClock;
use pubcom::config::{DatabaseUrl, LogFormat, MailTransport, Settings};
use pubcom::db::Db;
use pubcom::startup::{Application, StopHandle};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Once};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

/// Inside the seed consultation's window (ismap-2020): 1 April 2020, noon in Tokyo.
pub fn inside_seed_window() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 4, 1, 3, 0, 0).unwrap()
}

/// The seed's `closes_at`, 2020-04-27T00:00+09:00.
pub fn seed_closes_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 4, 26, 15, 0, 0).unwrap()
}

pub fn seed_opens_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 27, 6, 0, 0).unwrap()
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static LOGGING: Once = Once::new();

struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of every test in this binary, as the application wrote it.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

fn init_logging() {
    LOGGING.call_once(|| {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(|| CaptureWriter)
            .with_ansi(false)
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    });
}

pub fn random_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

pub fn postgres_admin_url() -> String {
    std::env::var("PUBCOM_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is removed after it.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    dir: PathBuf,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        let dir = std::env::temp_dir().join(format!("pubcom-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        match backend {
            Backend::Sqlite => Self { url: DatabaseUrl::Sqlite(dir.join("pubcom.sqlite3")), dir, postgres_name: None },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("pubcom_test_{}", random_suffix());
                let mut conn = diesel::PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for the PostgreSQL half of the tests ({admin}): {e}. \
                         Start it (see README) or set PUBCOM_TEST_POSTGRES_URL."
                    )
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
                Self { url: DatabaseUrl::Postgres(format!("{base}/{name}")), dir, postgres_name: Some(name) }
            }
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name {
            if let Ok(mut conn) = diesel::PgConnection::establish(&postgres_admin_url()) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: Arc<FixedClock>,
    pub writer: pubcom::app::intake::Writer,
    stop: StopHandle,
    // Dropped last: the database outlives the handles above.
    pub database: TestDatabase,
}

pub fn test_settings(database: &TestDatabase) -> Settings {
    let mut s = Settings {
        database_url: database.url.clone(),
        bind: "127.0.0.1:0".into(),
        data_dir: database.dir().join("data"),
        consultations_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/consultations"),
        log_format: LogFormat::Json,
        ..Default::default()
    };
    s.mail.transport = MailTransport::Log;
    s.mail.file_dir = database.dir().join("mail");
    s.database.pool_size = 4;
    s.worker.poll_interval_ms = 50;
    s.worker.initial_backoff_secs = 10;
    // Tests of other work sign approvers and admins in with a password alone; the tests of
    // two-factor sign-in (tests/it/credentials.rs) put the production default back.
    s.staff.two_factor_roles = Vec::new();
    s
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    init_logging();
    let database = TestDatabase::new(backend);
    let mut settings = test_settings(&database);
    configure(&mut settings);
    let clock = Arc::new(FixedClock::new(inside_seed_window()));
    let app = Application::build(settings.clone(), clock.clone()).await.expect("application builds");
    let url = app.url.clone();
    let db = app.db.clone();
    let stop = app.stop_handle();
    let writer = app.writer.clone();
    tokio::spawn(app.run_until_stopped());
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
    TestApp { url, client, db, clock, writer, stop, database }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop at once, before the database goes: a graceful stop would wait for idle
        // keep-alive connections.
        drop(self.stop.stop(false));
    }
}

impl TestApp {
    /// Stops the background worker (emails, scans, search indexing) and keeps serving.
    pub async fn stop_worker(&self) {
        self.stop.stop_worker().await;
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{}", self.url, path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(format!("{}{}", self.url, path)).json(body).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(format!("{}{}", self.url, path)).form(form).send().await.unwrap()
    }

    /// A count straight from the database.
    pub async fn count(&self, table: &'static str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.db
            .run(move |c| {
                use diesel::RunQueryDsl;
                let rows: Vec<Count> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(c)?;
                Ok(rows[0].n)
            })
            .await
            .unwrap()
    }
}

/// The value of the hidden `token` input of a form page.
pub fn form_token(html: &str) -> String {
    let start = html.find("name=\"token\" value=\"").expect("form has a token") + "name=\"token\" value=\"".len();
    html[start..].split('"').next().unwrap().to_string()
}

pub fn api_submission(draft: &str, body: &str) -> serde_json::Value {
    serde_json::json!({
        "submitter": {"name": "Test Person", "organization": "Test Org", "publish_organization": false},
        "locale": "en",
        "opinions": [{"draft": draft, "location": "3.2.1", "body": body, "reason": "because"}]
    })
}

/// Fills a consultation with about `opinions` generated opinions (no campaigns), as
/// `pubcom generate` does.
pub async fn generate(app: &TestApp, slug: &'static str, opinions: usize, seed: u64) {
    let (db, clock) = (app.db.clone(), app.clock.clone());
    tokio::task::spawn_blocking(move || {
        let plan = pubcom::app::generate::Plan { opinions, seed, campaigns: 0, campaign_share: 0.0 };
        pubcom::app::generate::fill(&db, slug, plan, clock.as_ref(), &mut |_| {}).unwrap();
    })
    .await
    .unwrap();
}
