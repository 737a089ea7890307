use clap::{Parser, Subcommand};
use pubcom::clock::{Clock, SystemClock};
use pubcom::config::Settings;
use pubcom::startup::{self, Application};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Public-comment intake: consultations, opinions, receipts.
///
/// Configuration comes from config/default.toml, the file named by PUBCOM_CONFIG, and
/// PUBCOM_* environment variables (PUBCOM_DATABASE_URL, PUBCOM_BIND, PUBCOM_MAIL__TRANSPORT, …).
#[derive(Parser)]
#[command(name = "pubcom", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, load new consultations from config/consultations, and serve the web
    /// site and the background worker; prints the URL it listens on.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage consultations.
    Consultation {
        #[command(subcommand)]
        command: ConsultationCommand,
    },
    /// Run only the background worker (receipt emails), for deployments that separate it.
    Worker,
}

#[derive(Subcommand)]
enum ConsultationCommand {
    /// Create or update consultations from TOML files (idempotent by slug).
    Import {
        /// Consultation definition files, e.g. config/consultations/ismap-2020.toml
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pubcom: {e}");
            return ExitCode::FAILURE;
        }
    };
    pubcom::telemetry::init(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pubcom: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pubcom: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Serve => {
            let app = Application::build(settings, clock).await?;
            println!("pubcom is listening on {}", app.url);
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db =
                tokio::task::spawn_blocking(move || startup::open_database(&settings)).await??;
            println!("migrations applied ({} backend)", db.backend());
        }
        Command::Consultation {
            command: ConsultationCommand::Import { files },
        } => {
            let done = tokio::task::spawn_blocking(move || {
                let db = startup::open_database(&settings)?;
                startup::import_files(&db, &files, clock.as_ref())
            })
            .await??;
            for (slug, outcome) in done {
                println!("{slug}: {outcome:?}");
            }
        }
        Command::Worker => {
            let db = {
                let s = settings.clone();
                tokio::task::spawn_blocking(move || startup::open_database(&s)).await??
            };
            let worker = startup::build_worker(
                Arc::new(settings),
                db,
                clock,
                Arc::new(pubcom::metrics::Metrics::default()),
                Arc::new(tokio::sync::Notify::new()),
            )?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let handle = tokio::spawn(worker.run(stopped));
            println!("pubcom worker running; Ctrl-C stops it");
            tokio::signal::ctrl_c().await?;
            let _ = stop.send(true);
            let _ = handle.await;
        }
    }
    Ok(())
}
