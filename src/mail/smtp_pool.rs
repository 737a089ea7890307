//! SMTP connections of our own, kept open and reused, with Nagle's algorithm off: lettre's
//! pooled transport leaves it on, so each message's last small write waited for the relay's
//! delayed ACK (~40 ms per message per connection). Plain SMTP and STARTTLS; implicit TLS
//! (`smtps://`) stays with lettre's transport. Where the relay offers PIPELINING (RFC 2920),
//! MAIL, RCPT and DATA go out in one write: two round trips per message instead of four.
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};
use lettre::Message;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartTls {
    Never,
    IfOffered,
    Required,
}

/// Where and how to connect, read from `mail.smtp_url`.
#[derive(Debug, Clone)]
pub struct Relay {
    host: String,
    port: u16,
    starttls: StartTls,
    credentials: Option<(String, String)>,
}

impl Relay {
    /// `smtp://[user:password@]host[:port][?tls=required|opportunistic]`; `None` for what this
    /// pool does not handle (`smtps://`), which lettre's own transport then serves.
    pub fn from_url(url: &str) -> Result<Option<Relay>, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("mail.smtp_url: {e}"))?;
        if parsed.scheme() != "smtp" {
            return Ok(None);
        }
        let host = parsed.host_str().ok_or("mail.smtp_url: no host")?.to_string();
        let starttls = match parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned()) {
            None => StartTls::Never,
            Some(v) if v == "required" => StartTls::Required,
            Some(v) if v == "opportunistic" => StartTls::IfOffered,
            Some(other) => return Err(format!("mail.smtp_url: tls={other} is not required or opportunistic")),
        };
        let port = parsed.port().unwrap_or(if starttls == StartTls::Never { 25 } else { 587 });
        let credentials = (!parsed.username().is_empty()).then(|| {
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(parsed.username()), decode(parsed.password().unwrap_or("")))
        });
        Ok(Some(Relay { host, port, starttls, credentials }))
    }
}

pub struct SmtpPool {
    relay: Relay,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    slots: Semaphore,
}

/// An open connection, and whether its relay takes pipelined commands.
struct Connection {
    smtp: AsyncSmtpConnection,
    pipelining: bool,
}

/// MAIL, RCPT and DATA of one message as one write (RFC 2920: DATA may end a group).
struct Envelopes<'a> {
    envelope: &'a Envelope,
    parameters: Vec<MailParameter>,
}

impl std::fmt::Display for Envelopes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", Mail::new(self.envelope.from().cloned(), self.parameters.clone()))?;
        for to in self.envelope.to() {
            write!(f, "{}", Rcpt::new(to.clone(), vec![]))?;
        }
        write!(f, "{Data}")
    }
}

impl Connection {
    async fn send(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<(), lettre::transport::smtp::Error> {
        if !self.pipelining {
            return self.smtp.send(envelope, bytes).await.map(|_| ());
        }
        // What lettre's own send checks: 8BITMIME for a non-ASCII body (the relay offered it,
        // or lettre's send says why not); SMTPUTF8 for non-ASCII addresses.
        let ascii_addresses = envelope.to().iter().chain(envelope.from()).all(|a| AsRef::<str>::as_ref(a).is_ascii());
        let eight_bit =
            self.smtp.server_info().supports_feature(lettre::transport::smtp::extension::Extension::EightBitMime);
        if !ascii_addresses || (!bytes.is_ascii() && !eight_bit) {
            return self.smtp.send(envelope, bytes).await.map(|_| ());
        }
        let mut parameters = Vec::new();
        if !bytes.is_ascii() {
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        // Replies come in order: MAIL's, one per RCPT, then DATA's 354. A refusal leaves the
        // rest unread, and the caller drops the connection.
        self.smtp.command(Envelopes { envelope, parameters }).await?;
        for _ in envelope.to() {
            self.smtp.read_response().await?;
        }
        self.smtp.read_response().await?;
        self.smtp.message(bytes).await.map(|_| ())
    }
}

impl SmtpPool {
    pub fn new(relay: Relay, connections: u32, timeout: Duration) -> Self {
        Self {
            relay,
            hello: ClientId::default(),
            timeout,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(connections.max(1) as usize),
        }
    }

    async fn connect(&self) -> Result<Connection, String> {
        let r = &self.relay;
        let stream = tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect((r.host.as_str(), r.port)))
            .await
            .map_err(|_| "connecting to the SMTP relay timed out".to_string())?
            .map_err(|e| format!("cannot connect to the SMTP relay: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
            .await
            .map_err(|e| e.to_string())?;
        let offered = conn.can_starttls();
        match (r.starttls, offered) {
            (StartTls::Required, false) => return Err("the SMTP relay does not offer STARTTLS".into()),
            (StartTls::Required | StartTls::IfOffered, true) => {
                let tls = TlsParameters::new(r.host.clone()).map_err(|e| e.to_string())?;
                conn.starttls(tls, &self.hello).await.map_err(|e| e.to_string())?;
            }
            _ => {}
        }
        // lettre keeps only the extensions it uses from its EHLO; ask again for PIPELINING.
        let hello = conn.command(Ehlo::new(self.hello.clone())).await.map_err(|e| e.to_string())?;
        let pipelining = hello.message().any(|line| line.trim().eq_ignore_ascii_case("PIPELINING"));
        if let Some((user, password)) = &r.credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            conn.auth(DEFAULT_MECHANISMS, &credentials).await.map_err(|e| e.to_string())?;
        }
        Ok(Connection { smtp: conn, pipelining })
    }

    /// Sends one message on an idle connection (or a new one), and keeps the connection for the
    /// next message unless it broke.
    pub async fn send(&self, message: &Message) -> Result<(), String> {
        let _slot = self.slots.acquire().await.map_err(|e| e.to_string())?;
        let reused = self.idle.lock().await.pop();
        let mut conn = match reused {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        let bytes = message.formatted();
        let sent = tokio::time::timeout(self.timeout, conn.send(message.envelope(), &bytes)).await;
        match sent {
            Ok(Ok(())) if !conn.smtp.has_broken() => {
                self.idle.lock().await.push(conn);
                Ok(())
            }
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                conn.smtp.abort().await;
                Err(e.to_string())
            }
            Err(_) => {
                conn.smtp.abort().await;
                Err("sending to the SMTP relay timed out".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_as_lettre_reads_them() {
        let plain = Relay::from_url("smtp://127.0.0.1:2525").unwrap().unwrap();
        assert_eq!((plain.host.as_str(), plain.port, plain.starttls), ("127.0.0.1", 2525, StartTls::Never));
        let tls = Relay::from_url("smtp://user%40example.jp:p%40ss@mail.example.jp?tls=required").unwrap().unwrap();
        assert_eq!((tls.port, tls.starttls), (587, StartTls::Required));
        assert_eq!(tls.credentials, Some(("user@example.jp".into(), "p@ss".into())));
        assert!(Relay::from_url("smtps://mail.example.jp").unwrap().is_none(), "implicit TLS stays with lettre");
        assert!(Relay::from_url("smtp://mail.example.jp?tls=sometimes").is_err());
    }
}
