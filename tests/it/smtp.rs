//! A small SMTP server for tests: it speaks the real protocol on loopback and keeps every
//! message it accepts, so tests can read what pubcom actually sent.
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
    /// RCPT and DATA had arrived with MAIL, before the reply to MAIL (RFC 2920 pipelining).
    pub pipelined: bool,
}

impl Received {
    /// The value of a header (unfolded), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut unfolded: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(last) = unfolded.last_mut() {
                    last.push_str(line.trim_start());
                }
            } else {
                unfolded.push(line.to_string());
            }
        }
        unfolded.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn header_names(&self) -> Vec<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        head.split("\r\n")
            .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_ascii_lowercase()))
            .collect()
    }
}

#[derive(Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<Received>>>);

impl Mailbox {
    pub fn messages(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `n` messages have arrived (or panics after `seconds`).
    pub async fn wait_for(&self, n: usize, seconds: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            if std::time::Instant::now() > deadline {
                panic!("expected {n} messages, got {}", got.len());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

pub struct SmtpServer {
    pub port: u16,
    pub mailbox: Mailbox,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Self {
        Self::start_with(port, std::time::Duration::ZERO, false).await
    }

    /// A relay that takes `delay` to accept each message (after it has received it).
    pub async fn start_slow(delay: std::time::Duration) -> Self {
        Self::start_with(0, delay, false).await
    }

    /// A relay that offers PIPELINING.
    pub async fn start_pipelining() -> Self {
        Self::start_with(0, std::time::Duration::ZERO, true).await
    }

    async fn start_with(port: u16, delay: std::time::Duration, pipelining: bool) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mailbox = Mailbox::default();
        let store = mailbox.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, store, delay, pipelining).await;
                });
            }
        });
        Self { port, mailbox, task }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    store: Mailbox,
    delay: std::time::Duration,
    pipelining: bool,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test.invalid ESMTP ready\r\n").await?;
    let mut current = Received::default();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            let offer: &[u8] = if pipelining { b"250-PIPELINING\r\n" } else { b"" };
            write.write_all(&[b"250-test.invalid\r\n", offer, b"250-8BITMIME\r\n250 SMTPUTF8\r\n"].concat()).await?;
        } else if command.starts_with("MAIL FROM:") {
            // Not yet answered, so anything already buffered was sent without waiting.
            let pipelined = String::from_utf8_lossy(lines.buffer()).contains("\r\nDATA\r\n");
            current = Received { mail_from: line.trim_end()[10..].to_string(), pipelined, ..Received::default() };
            write.write_all(b"250 OK\r\n").await?;
        } else if command.starts_with("RCPT TO:") {
            current.rcpt_to.push(line.trim_end()[8..].to_string());
            write.write_all(b"250 OK\r\n").await?;
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(&l));
            }
            current.data = data;
            store.0.lock().unwrap().push(current.clone());
            tokio::time::sleep(delay).await;
            write.write_all(b"250 OK queued\r\n").await?;
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            // RSET, NOOP and anything else a client may send between messages.
            write.write_all(b"250 OK\r\n").await?;
        }
    }
}
