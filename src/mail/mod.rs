//! Sending email: one transport chosen by configuration, messages built from templates.
pub mod receipt;
mod smtp_pool;

use crate::config::{MailSettings, MailTransport};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub enum Mailer {
    /// Plain SMTP or STARTTLS, on connections of our own with Nagle's algorithm off.
    Pooled(smtp_pool::SmtpPool),
    /// Implicit TLS (`smtps://`), through lettre's pooled transport.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Writes `.eml` files to the folder, readable by this user only.
    File(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
    /// Records only that a message went out (never its addresses); for local trials.
    Log,
}

impl Mailer {
    /// `connections`: how many SMTP connections to keep open, one per email sent at once.
    pub fn from_settings(settings: &MailSettings, connections: u32) -> Result<Self, String> {
        match settings.transport {
            MailTransport::Smtp => {
                let url = settings.smtp_url.as_deref().ok_or("mail.smtp_url is required for smtp")?;
                if let Some(relay) = smtp_pool::Relay::from_url(url)? {
                    return Ok(Mailer::Pooled(smtp_pool::SmtpPool::new(relay, connections, Duration::from_secs(20))));
                }
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("mail.smtp_url: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .pool_config(PoolConfig::new().max_size(connections.max(1)))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            MailTransport::File => {
                crate::files::private_dir(&settings.file_dir)
                    .map_err(|e| format!("mail.file_dir {}: {e}", settings.file_dir.display()))?;
                Ok(Mailer::File(AsyncFileTransport::new(&settings.file_dir), settings.file_dir.clone()))
            }
            MailTransport::Log => Ok(Mailer::Log),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Pooled(pool) => pool.send(&message).await,
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File(t, dir) => {
                let id = t.send(message).await.map_err(|e| e.to_string())?;
                crate::files::make_private(&dir.join(format!("{id}.eml"))).map_err(|e| e.to_string())
            }
            Mailer::Log => {
                let id = message.headers().get_raw("Message-ID").unwrap_or_default().to_string();
                tracing::info!(message_id = %id, "email (log transport)");
                Ok(())
            }
        }
    }
}
