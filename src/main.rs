use clap::{Parser, Subcommand};
use pubcom::clock::{Clock, SystemClock};
use pubcom::config::Settings;
use pubcom::domain::staff::Role;
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
    /// Fill a consultation with made-up submissions to try triage and publication at scale.
    Generate {
        /// The consultation's slug, e.g. ismap-2020
        slug: String,
        /// About how many opinions to add
        #[arg(long, default_value_t = 1000)]
        opinions: usize,
        /// Random seed, for repeatable data
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// How many campaigns (near-identical letters) the campaign opinions come from
        #[arg(long, default_value_t = 20)]
        campaigns: usize,
        /// The share of opinions that are campaign copies, from 0 to 1
        #[arg(long, default_value_t = 0.2)]
        campaign_share: f64,
        /// Write which campaign each generated opinion belongs to (CSV), for `cluster --truth`
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Then finish the work as a team would (transcriptions verified, one approved answer
        /// per draft, every opinion answered) and publish the results, for trying publication
        /// at scale
        #[arg(long)]
        answer: bool,
    },
    /// Find the campaigns of a consultation afresh and say how long it took; with --truth, also
    /// how well they match the truth written by `generate --truth` (pairwise precision, recall, F1).
    Cluster {
        /// The consultation's slug, e.g. ismap-2020
        slug: String,
        /// The truth file written by `generate --truth`
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account. The password is read from standard input (or PUBCOM_PASSWORD),
    /// never from an argument: at least 12 characters.
    Add {
        username: String,
        /// clerk, analyst, approver or admin
        #[arg(long)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Change an account's role.
    Role {
        username: String,
        /// clerk, analyst, approver or admin
        role: Role,
    },
    /// Print a one-time password-reset link for an account (valid 24 hours); its sessions end.
    ResetLink { username: String },
    /// Remove an account's two-factor sign-in (a lost phone); its sessions end.
    RemoveTwoFactor { username: String },
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
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
            let db = tokio::task::spawn_blocking(move || startup::open_database(&settings)).await??;
            println!("migrations applied ({} backend)", db.backend());
        }
        Command::Consultation { command: ConsultationCommand::Import { files } } => {
            let done = tokio::task::spawn_blocking(move || {
                let db = startup::open_database(&settings)?;
                startup::import_files(&db, &files, clock.as_ref())
            })
            .await??;
            for (slug, outcome) in done {
                println!("{slug}: {outcome:?}");
            }
        }
        Command::Generate { slug, opinions, seed, campaigns, campaign_share, truth, answer } => {
            let done = tokio::task::spawn_blocking(move || -> anyhow::Result<pubcom::app::generate::Generated> {
                let db = startup::open_database(&settings)?;
                startup::load_new_consultations(&db, &settings.consultations_dir, clock.as_ref())?;
                let plan = pubcom::app::generate::Plan { opinions, seed, campaigns, campaign_share };
                let mut last = 0;
                let done = pubcom::app::generate::fill(&db, &slug, plan, clock.as_ref(), &mut |made| {
                    if made - last >= 10_000 || made >= opinions {
                        eprintln!("  {made} / {opinions} opinions");
                        last = made;
                    }
                })?;
                if let Some(path) = &truth {
                    let rows = done.truth.iter().map(|t| {
                        vec![
                            t.receipt_number.clone(),
                            t.position.to_string(),
                            t.campaign.map(|c| c.to_string()).unwrap_or_default(),
                        ]
                    });
                    std::fs::write(path, pubcom::export::csv(&["receipt_number", "position", "campaign"], rows))?;
                }
                if answer {
                    use pubcom::app::generate::{answer_and_publish, Answered};
                    match answer_and_publish(&db, &slug, clock.as_ref())? {
                        Answered::Published { version, opinions } => {
                            eprintln!("published version {version} of the results over {opinions} opinions")
                        }
                        Answered::Refused { failures, first } => {
                            anyhow::bail!("publication refused, {failures} failures, first: {}", first.join("; "))
                        }
                    }
                }
                Ok(done)
            })
            .await??;
            println!("added {} submissions with {} opinions", done.submissions, done.opinions);
            println!(
                "the worker fingerprints them and finds campaigns in the background (`pubcom cluster` does it at once)"
            );
        }
        Command::Cluster { slug, truth } => {
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
                let db = startup::open_database(&settings)?;
                pubcom::app::campaigns::cluster_report(&db, &slug, truth.as_deref())
            })
            .await??;
            println!("{report}");
        }
        Command::User { command } => {
            let done = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
                use pubcom::app::accounts::{self, Account, Change};
                let db = startup::open_database(&settings)?;
                let (actor, now) = (accounts::cli_actor(), clock.now());
                if let UserCommand::ResetLink { username } | UserCommand::RemoveTwoFactor { username } = &command {
                    return credentials_command(&db, &settings, &actor, &command, username, now);
                }
                let (username, result) = match command {
                    UserCommand::Add { username, role, display_name } => {
                        let password = read_password()?;
                        let added =
                            accounts::add(&db, &actor, &username, display_name.as_deref(), role, &password, now);
                        (username, added.map(|u| format!("created {} ({})", u.username, u.role.as_str())))
                    }
                    UserCommand::Disable { username } => {
                        let done =
                            accounts::change(&db, &actor, Account::Username(username.clone()), Change::Disable, now);
                        (username.clone(), done.map(|()| format!("disabled {username}")))
                    }
                    UserCommand::Enable { username } => {
                        let done =
                            accounts::change(&db, &actor, Account::Username(username.clone()), Change::Enable, now);
                        (username.clone(), done.map(|()| format!("enabled {username}")))
                    }
                    UserCommand::Role { username, role } => {
                        let done =
                            accounts::change(&db, &actor, Account::Username(username.clone()), Change::Role(role), now);
                        (username.clone(), done.map(|()| format!("{username} is now {}", role.as_str())))
                    }
                    UserCommand::ResetLink { .. } | UserCommand::RemoveTwoFactor { .. } => {
                        unreachable!("handled above")
                    }
                };
                result.map_err(|e| anyhow::anyhow!(account_error(e, &username)))
            })
            .await??;
            println!("{done}");
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

/// The one line a refused account change prints.
/// `user reset-link` and `user remove-two-factor`.
fn credentials_command(
    db: &pubcom::db::Db,
    settings: &pubcom::config::Settings,
    actor: &pubcom::db::audit::Actor,
    command: &UserCommand,
    username: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    use pubcom::app::credentials;
    let user = db
        .run_blocking(|c| pubcom::db::staff::find_by_username(c, username))?
        .ok_or_else(|| anyhow::anyhow!("no user '{username}'"))?;
    let failed = |e| anyhow::anyhow!("{username}: {e:?}");
    match command {
        UserCommand::ResetLink { .. } => {
            let token = credentials::issue_reset(db, actor, user.id, now).map_err(failed)?;
            let base = settings.public_base_url.trim_end_matches('/');
            Ok(format!("{base}/staff/reset/{token}\n(works once, for 24 hours; {username}'s sessions have ended)"))
        }
        _ => {
            credentials::remove_two_factor(db, actor, user.id, now).map_err(failed)?;
            Ok(format!("removed two-factor sign-in from {username}; they set it up again at their next sign-in"))
        }
    }
}

fn account_error(e: pubcom::app::OpError<pubcom::app::accounts::AccountRefusal>, username: &str) -> String {
    use pubcom::app::accounts::AccountRefusal;
    use pubcom::app::OpError;
    match e {
        OpError::NotFound => format!("no user '{username}'"),
        OpError::Refused(AccountRefusal::Username) => {
            "user name: use 2 to 64 lower-case letters, digits, '.', '_' or '-'".into()
        }
        OpError::Refused(AccountRefusal::DisplayName) => "display name: use 1 to 100 characters".into(),
        OpError::Refused(AccountRefusal::Password(p)) => format!("password: {}", p.message()),
        OpError::Refused(AccountRefusal::Taken(name)) => format!("user '{name}' already exists"),
        OpError::Refused(AccountRefusal::OwnAccount) => "an account cannot disable or demote itself".into(),
        OpError::Db(e) => e.to_string(),
    }
}

/// The password from PUBCOM_PASSWORD or the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("PUBCOM_PASSWORD") {
        return Ok(p);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("password (input is shown; pipe it in to avoid that): ");
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("no password given: pipe it to standard input or set PUBCOM_PASSWORD");
    }
    Ok(password)
}
