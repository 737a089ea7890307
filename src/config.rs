//! Typed settings, layered: built-in defaults, `config/default.toml`, the file named by
//! `PUBCOM_CONFIG`, then `PUBCOM_*` environment variables (`__` between levels).
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    pub public_base_url: String,
    pub data_dir: PathBuf,
    pub consultations_dir: PathBuf,
    pub mail: MailSettings,
    pub rate_limit: RateLimitSettings,
    /// Proxies whose `X-Forwarded-For` names the client (e.g. `["127.0.0.1"]` behind a local
    /// nginx); from anyone else the header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Signs CSRF tokens. Generated and stored in `data_dir` on first start when absent.
    pub secret_key: Option<Secret>,
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes (413 beyond it).
    pub max_request_bytes: usize,
    pub database: DatabaseSettings,
    pub worker: WorkerSettings,
    pub staff: StaffSettings,
    pub intake: IntakeSettings,
    #[serde(default)]
    pub attachments: crate::uploads::AttachmentSettings,
}

/// Group commit and admission control for public submissions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeSettings {
    /// Submissions that may wait to be written; beyond it requests get 503 with Retry-After.
    pub queue_capacity: usize,
    /// Most submissions committed in one transaction.
    pub batch_max: usize,
    /// How long a batch that is not full may wait for more, in milliseconds (0: none).
    pub batch_wait_ms: u64,
    /// Writer threads; absent: 1 on SQLite, 2 on PostgreSQL.
    pub writers: Option<usize>,
    /// Submission requests handled at once (reading, checking, waiting to be written); beyond
    /// it 503 with Retry-After before the body is read.
    pub max_in_flight: usize,
    /// Of those, how many one client address may have at once (0: no cap of its own).
    #[serde(default = "default_max_in_flight_per_client")]
    pub max_in_flight_per_client: usize,
    /// Seconds a request body may take to arrive; a slower client gets 408 and its
    /// connection closed, so it cannot hold a slot.
    #[serde(default = "default_body_deadline_secs")]
    pub body_deadline_secs: u64,
}

/// Half the default `max_in_flight`: one address (an office behind one NAT address, or an
/// attacker) can never take every slot.
fn default_max_in_flight_per_client() -> usize {
    128
}

fn default_body_deadline_secs() -> u64 {
    10
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_hours: i64,
    /// Largest scan a clerk may attach, in bytes.
    pub upload_max_bytes: usize,
    /// Staff requests handled at once; more wait (up to `slot_wait_ms`, then a "busy" page),
    /// so staff work never takes every database connection from the public pages.
    #[serde(default = "default_staff_max_concurrent")]
    pub max_concurrent: usize,
    /// Roles that must sign in with a second factor (TOTP); others may choose to.
    #[serde(default = "default_two_factor_roles")]
    pub two_factor_roles: Vec<crate::domain::staff::Role>,
    /// How long a staff request waits for one of those places before the "busy" page.
    #[serde(default = "default_staff_slot_wait_ms")]
    pub slot_wait_ms: u64,
    /// PostgreSQL: longest a staff page's query may run (milliseconds) before it is stopped with a page
    /// saying so.
    #[serde(default = "default_staff_statement_timeout_ms")]
    pub statement_timeout_ms: u64,
}

fn default_staff_max_concurrent() -> usize {
    3
}

fn default_two_factor_roles() -> Vec<crate::domain::staff::Role> {
    vec![crate::domain::staff::Role::Approver, crate::domain::staff::Role::Admin]
}

fn default_staff_slot_wait_ms() -> u64 {
    10_000
}

fn default_staff_statement_timeout_ms() -> u64 {
    15_000
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub smtp_url: Option<String>,
    pub from: String,
    pub file_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Smtp,
    File,
    Log,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Per client address; 0 turns the limit off.
    pub submissions_per_minute: u32,
    /// Receipt-number lookups (pages and API) per client address; 0 turns the limit off.
    #[serde(default = "default_lookups_per_minute")]
    pub lookups_per_minute: u32,
    /// Count in this Redis (e.g. `redis://127.0.0.1:6379`) so the limits hold across
    /// instances; absent: each instance counts in memory.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// Prefix of the Redis keys, so deployments (and tests) can share one Redis.
    #[serde(default = "default_redis_namespace")]
    pub redis_namespace: String,
}

fn default_redis_namespace() -> String {
    "pubcom".into()
}

fn default_lookups_per_minute() -> u32 {
    600
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub pool_size: u32,
    /// SQLite only: the most pages (4 KiB each) the database file may grow to; writes beyond
    /// it fail as on a full disk. Absent: no cap.
    #[serde(default)]
    pub sqlite_max_pages: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// How often the worker looks for due jobs when nothing woke it.
    pub poll_interval_ms: u64,
    /// First retry delay; doubled per attempt up to `max_backoff_secs`.
    pub initial_backoff_secs: u64,
    pub max_backoff_secs: u64,
    /// Most emails sent at once, each on its own connection to the relay (fewer while few wait).
    pub concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A secret that never prints itself.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// `sqlite://PATH` or `postgres://…`; the scheme chooses the backend.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            // A PostgreSQL URL may carry a password.
            DatabaseUrl::Postgres(_) => f.write_str("postgres://<hidden>"),
        }
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(url: String) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/pubcom.sqlite3".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url))
        } else {
            Err("use sqlite://PATH or postgres://USER@HOST/DATABASE".into())
        }
    }
}

impl From<DatabaseUrl> for String {
    fn from(url: DatabaseUrl) -> String {
        match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DatabaseUrl::Sqlite(PathBuf::from("data/pubcom.sqlite3")),
            bind: "127.0.0.1:8080".into(),
            public_base_url: "http://127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            consultations_dir: PathBuf::from("config/consultations"),
            mail: MailSettings {
                transport: MailTransport::File,
                smtp_url: None,
                from: "pubcom <no-reply@pubcom.invalid>".into(),
                file_dir: PathBuf::from("data/mail"),
            },
            trusted_proxies: Vec::new(),
            rate_limit: RateLimitSettings {
                submissions_per_minute: 300,
                lookups_per_minute: default_lookups_per_minute(),
                redis_url: None,
                redis_namespace: default_redis_namespace(),
            },
            secret_key: None,
            log_format: LogFormat::Pretty,
            max_request_bytes: 2 * 1024 * 1024,
            database: DatabaseSettings { pool_size: 8, sqlite_max_pages: None },
            worker: WorkerSettings {
                poll_interval_ms: 1000,
                initial_backoff_secs: 5,
                max_backoff_secs: 3600,
                concurrency: 16,
            },
            staff: StaffSettings {
                idle_timeout_minutes: 30,
                absolute_timeout_hours: 12,
                upload_max_bytes: 20 * 1024 * 1024,
                max_concurrent: default_staff_max_concurrent(),
                statement_timeout_ms: default_staff_statement_timeout_ms(),
                slot_wait_ms: default_staff_slot_wait_ms(),
                two_factor_roles: default_two_factor_roles(),
            },
            intake: IntakeSettings {
                queue_capacity: 4096,
                batch_max: 512,
                batch_wait_ms: 0,
                writers: None,
                max_in_flight: 256,
                max_in_flight_per_client: default_max_in_flight_per_client(),
                body_deadline_secs: default_body_deadline_secs(),
            },
            attachments: Default::default(),
        }
    }
}

impl Settings {
    /// Reads the layers in order; a wrong value fails with a message naming its key.
    pub fn load() -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let default_file = Path::new("config/default.toml");
        if default_file.exists() {
            figment = figment.merge(Toml::file(default_file));
        }
        if let Ok(path) = std::env::var("PUBCOM_CONFIG") {
            if !Path::new(&path).exists() {
                return Err(format!("PUBCOM_CONFIG names {path}, which does not exist"));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("PUBCOM_").split("__").ignore(&["config", "password"]));
        let settings: Settings = figment
            .extract()
            .map_err(|e| e.into_iter().map(|e| format!("configuration: {e}")).collect::<Vec<_>>().join("; "))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), String> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!("configuration: bind '{}' is not an address like 127.0.0.1:8080", self.bind));
        }
        if !(self.public_base_url.starts_with("http://") || self.public_base_url.starts_with("https://")) {
            return Err("configuration: public_base_url must start with http:// or https://".into());
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp_url.is_none() {
            return Err("configuration: mail.smtp_url is required when mail.transport is smtp".into());
        }
        if self.staff.idle_timeout_minutes <= 0 || self.staff.absolute_timeout_hours <= 0 {
            return Err(
                "configuration: staff.idle_timeout_minutes and staff.absolute_timeout_hours must be positive".into()
            );
        }
        if self.database.pool_size == 0 {
            return Err("configuration: database.pool_size must be at least 1".into());
        }
        Ok(())
    }

    /// The configured secret, or the one stored in `data_dir`, or a new one stored there.
    pub fn ensure_secret_key(&mut self) -> std::io::Result<()> {
        if self.secret_key.is_some() {
            return Ok(());
        }
        let path = self.data_dir.join("secret_key");
        let key = match std::fs::read_to_string(&path) {
            Ok(existing) if existing.trim().len() >= 32 => existing.trim().to_string(),
            _ => {
                use rand::Rng;
                let bytes: [u8; 32] = rand::rng().random();
                let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                crate::files::private_dir(&self.data_dir)?;
                crate::files::write_private(&path, key.as_bytes())?;
                key
            }
        };
        self.secret_key = Some(Secret(key));
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure type, not ours
mod tests {
    use super::*;

    #[test]
    fn database_url_scheme_chooses_the_backend() {
        assert_eq!(
            DatabaseUrl::try_from("sqlite://data/x.sqlite3".to_string()).unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.sqlite3"))
        );
        assert!(matches!(DatabaseUrl::try_from("postgres://u@h/db".to_string()).unwrap(), DatabaseUrl::Postgres(_)));
        assert!(DatabaseUrl::try_from("mysql://u@h/db".to_string()).is_err());
    }

    #[test]
    fn secrets_and_passwords_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("s3cret".into())), "Secret(<hidden>)");
        let url = DatabaseUrl::try_from("postgres://u:pw@h/db".to_string()).unwrap();
        assert!(!format!("{url:?}").contains("pw"));
    }

    #[test]
    fn a_wrong_value_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE", "lots");
            let err = Settings::load().unwrap_err();
            assert!(err.to_lowercase().contains("rate_limit.submissions_per_minute"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("PUBCOM_MAIL__TRANSPORT", "pigeon");
            let err = Settings::load().unwrap_err();
            assert!(err.to_lowercase().contains("mail.transport"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("PUBCOM_DATABASE_URL", "mysql://x");
            let err = Settings::load().unwrap_err();
            assert!(err.to_lowercase().contains("database_url"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn later_layers_win() {
        figment::Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file("config/default.toml", "bind = \"127.0.0.1:9000\"\n[mail]\ntransport = \"log\"\n")?;
            jail.create_file("prod.toml", "bind = \"127.0.0.1:9100\"\n")?;
            jail.set_env("PUBCOM_CONFIG", "prod.toml");
            jail.set_env("PUBCOM_MAIL__FROM", "a@b.example");
            let s = Settings::load().unwrap();
            assert_eq!(s.bind, "127.0.0.1:9100");
            assert_eq!(s.mail.transport, MailTransport::Log);
            assert_eq!(s.mail.from, "a@b.example");
            Ok(())
        });
    }
}
