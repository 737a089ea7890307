//! Builds the whole application from settings: database, migrations, seed consultations, mail
//! transport, web server and worker. Used by `main` and by the tests alike.
use crate::app::intake::{Intake, SharedLimit, Writer, WriterSettings};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::consultations::{self, ImportOutcome};
use crate::db::Db;
use crate::domain::ConsultationFile;
use crate::files::AttachmentStore;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::telemetry::RequestSpan;
use crate::web::security::{security_headers, FormTokens};
use crate::web::{routes, AppState};
use crate::worker::Worker;
use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{watch, Notify};
use tracing_actix_web::TracingLogger;

pub struct Application {
    pub port: u16,
    pub url: String,
    pub db: Db,
    /// The group-commit writer (tests pause it to fill the queue).
    pub writer: Writer,
    server: Server,
    worker: Worker,
    stop_worker: watch::Sender<bool>,
    worker_done: watch::Sender<bool>,
}

/// Stops a running application from outside (tests, signal handlers).
#[derive(Clone)]
pub struct StopHandle {
    server: actix_web::dev::ServerHandle,
    worker: watch::Sender<bool>,
    worker_done: watch::Receiver<bool>,
}

impl StopHandle {
    /// Asks the server and the worker to stop at once; returns when the server has stopped.
    pub fn stop(&self, graceful: bool) -> impl std::future::Future<Output = ()> {
        // send_replace: a plain send is dropped while no loop has subscribed yet.
        self.worker.send_replace(true);
        self.server.stop(graceful)
    }

    /// Stops the worker alone and returns once its loops have ended; the server goes on
    /// taking submissions, whose emails, scans and search indexing then wait in the database.
    pub async fn stop_worker(&self) {
        // send_replace: a plain send is dropped while no loop has subscribed yet.
        self.worker.send_replace(true);
        let mut done = self.worker_done.clone();
        let _ = done.wait_for(|ended| *ended).await;
    }
}

/// Opens the database and applies pending migrations.
pub fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect_with(&settings.database_url, settings.database.pool_size, settings.database.sqlite_max_pages)
        .with_context(|| format!("database_url {:?}", settings.database_url))?;
    db.migrate().context("applying migrations")?;
    Ok(db)
}

pub fn read_consultation_file(path: &Path) -> anyhow::Result<ConsultationFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = ConsultationFile::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    crate::domain::Consultation::try_from(file.clone()).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(file)
}

/// Creates or updates consultations from files; returns what happened to each slug.
pub fn import_files(db: &Db, paths: &[PathBuf], clock: &dyn Clock) -> anyhow::Result<Vec<(String, ImportOutcome)>> {
    let mut done = Vec::new();
    for path in paths {
        let file = read_consultation_file(path)?;
        let slug = file.slug.clone();
        let now = clock.now();
        let outcome = db
            .write_blocking(|c| consultations::import(c, &file, now))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        done.push((slug, outcome));
    }
    Ok(done)
}

/// Loads the `*.toml` files of `dir` whose consultations are not yet in the database.
pub fn load_new_consultations(db: &Db, dir: &Path, clock: &dyn Clock) -> anyhow::Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut loaded = Vec::new();
    for path in paths {
        let file = read_consultation_file(&path)?;
        let slug = file.slug.clone();
        let exists = db.run_blocking(|c| consultations::find(c, &slug))?.is_some();
        if !exists {
            import_files(db, std::slice::from_ref(&path), clock)?;
            loaded.push(slug);
        }
    }
    Ok(loaded)
}

pub fn build_worker(
    settings: Arc<Settings>,
    db: Db,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
) -> anyhow::Result<Worker> {
    let mailer = Mailer::from_settings(&settings.mail, settings.worker.concurrency as u32)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let id = crate::web::security::random_hex(8);
    Ok(Worker { db, mailer: Arc::new(mailer), clock, settings, metrics, wake, id })
}

impl Application {
    pub async fn build(mut settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        crate::files::private_dir(&settings.data_dir).context("data_dir")?;
        let configured_key = settings.secret_key.is_some();
        settings.ensure_secret_key().context("storing the generated secret_key in data_dir")?;
        let db = {
            let s = settings.clone();
            tokio::task::spawn_blocking(move || open_database(&s)).await??
        };
        if !configured_key && db.backend() == "postgres" {
            // Every instance on one PostgreSQL signs with one key, without operator care: the
            // first to start stores its key (the one from its data_dir), the others adopt it.
            let candidate = settings.secret_key.as_ref().map(|s| s.expose().to_string()).unwrap_or_default();
            let db = db.clone();
            let shared = tokio::task::spawn_blocking(move || {
                db.write_blocking(|c| crate::db::secrets::shared(c, "form_key", &candidate))
            })
            .await??;
            settings.secret_key = Some(crate::config::Secret::new(shared));
        }
        {
            let (db, dir, clock) = (db.clone(), settings.consultations_dir.clone(), clock.clone());
            let loaded =
                tokio::task::spawn_blocking(move || load_new_consultations(&db, &dir, clock.as_ref())).await??;
            for slug in loaded {
                tracing::info!(%slug, "consultation loaded");
            }
        }
        let settings = Arc::new(settings);
        let metrics = Arc::new(Metrics::default());
        let wake = Arc::new(Notify::new());
        let worker = build_worker(settings.clone(), db.clone(), clock.clone(), metrics.clone(), wake.clone())?;
        let secret = settings.secret_key.as_ref().map(|s| s.expose().to_string()).unwrap_or_default();
        let writer_settings = WriterSettings {
            queue_capacity: settings.intake.queue_capacity,
            batch_max: settings.intake.batch_max.max(1),
            batch_wait: std::time::Duration::from_millis(settings.intake.batch_wait_ms),
            writers: settings.intake.writers.unwrap_or(if db.backend() == "sqlite" { 1 } else { 2 }),
            max_in_flight: settings.intake.max_in_flight,
        };
        let writer = Writer::start(db.clone(), clock.clone(), writer_settings, wake);
        let limits = settings.rate_limit.clone();
        let limit = |what: &'static str, per_minute: u32| {
            let limits = limits.clone();
            async move {
                match &limits.redis_url {
                    Some(url) => SharedLimit::in_redis(url, &limits.redis_namespace, what, per_minute)
                        .await
                        .map_err(|e| anyhow::anyhow!("configuration: {e}")),
                    None => Ok(SharedLimit::in_memory(per_minute)),
                }
            }
        };
        let state = web::Data::new(AppState {
            db: db.clone(),
            clock,
            settings: settings.clone(),
            metrics: metrics.clone(),
            intake: Intake::new(
                writer.clone(),
                limit("submissions", settings.rate_limit.submissions_per_minute).await?,
                crate::app::intake::PerClient::new(settings.intake.max_in_flight_per_client),
                metrics.clone(),
                crate::app::intake::AttachmentIntake {
                    store: AttachmentStore::new(&settings.data_dir),
                    settings: settings.attachments.clone(),
                },
            ),
            forms: FormTokens::new(&secret),
            files: AttachmentStore::new(&settings.data_dir),
            consultation_cache: Default::default(),
            lookups: limit("lookups", settings.rate_limit.lookups_per_minute).await?,
            staff_slots: Arc::new(tokio::sync::Semaphore::new(settings.staff.max_concurrent.max(1))),
        });
        let listener = TcpListener::bind(&settings.bind).with_context(|| format!("bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let host = listener.local_addr()?.ip();
        let secure = settings.public_base_url.starts_with("https://");
        let server = HttpServer::new(move || {
            let metrics = metrics.clone();
            App::new()
                .app_data(state.clone())
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    let metrics = metrics.clone();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await;
                        metrics.request_latency.observe(started.elapsed().as_secs_f64());
                        res
                    }
                })
                .wrap(security_headers())
                .wrap(crate::web::security::strict_transport(secure))
                .wrap(TracingLogger::<RequestSpan>::new())
                .configure(crate::web::error::extractor_errors)
                .configure(routes)
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        let (stop_worker, _) = watch::channel(false);
        let (worker_done, _) = watch::channel(false);
        Ok(Self { port, url: format!("http://{host}:{port}"), db, writer, server, worker, stop_worker, worker_done })
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            worker: self.stop_worker.clone(),
            worker_done: self.worker_done.subscribe(),
        }
    }

    /// Serves until the server stops, running the worker beside it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (run, done) = (self.worker.run(self.stop_worker.subscribe()), self.worker_done);
        let worker = tokio::spawn(async move {
            run.await;
            let _ = done.send(true);
        });
        let result = self.server.await;
        let _ = self.stop_worker.send(true);
        let _ = worker.await;
        result
    }
}
