//! Files the public attaches, streamed to the attachment folder as they arrive: written and
//! flushed under a random name before the submission's transaction commits, hashed and
//! measured on the way, their type told by the content. A file the database never records (a
//! refusal, a crash between write and commit, a confirmation never sent) is swept away later.
use crate::domain::attachment::FileType;
use crate::files::{private_dir, AttachmentStore};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// How attached files are received and kept (`[attachments]` in the configuration).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentSettings {
    /// A virus scanner run on each file before it is accepted, the file's path added as the
    /// last argument (e.g. `clamdscan --no-summary`); a non-zero exit refuses the file.
    pub scan_command: Option<String>,
    /// Seconds a scan may take before the file is refused.
    pub scan_timeout_secs: u64,
    /// Seconds a request carrying files may take to arrive (a slower one gets 408).
    pub upload_deadline_secs: u64,
    /// Seconds an unrecorded file is kept before the worker removes it: long enough for a
    /// confirmation page left open, and for a submission being written.
    pub orphan_grace_secs: u64,
}

impl Default for AttachmentSettings {
    fn default() -> Self {
        Self { scan_command: None, scan_timeout_secs: 60, upload_deadline_secs: 300, orphan_grace_secs: 6 * 3600 }
    }
}

/// One file as received: kept on disk (`stored_name`) unless it was too large or of no type
/// pubcom knows, in which case only what is needed to say so is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub stored_name: Option<String>,
    /// The name the sender gave, for messages; the shown name comes from `display_name`.
    pub original_name: String,
    pub size: u64,
    pub sha256: String,
    pub file_type: Option<FileType>,
}

impl Received {
    /// The file as a form carries it between its steps (sealed by the form's token):
    /// `stored name|size|sha256|name as sent`. Only kept files can be carried.
    pub fn to_staged(&self) -> Option<String> {
        let stored = self.stored_name.as_deref()?;
        Some(format!("{stored}|{}|{}|{}", self.size, self.sha256, self.original_name))
    }

    /// Reads what `to_staged` wrote; the type comes back from the stored name's extension.
    pub fn from_staged(staged: &str) -> Option<Received> {
        let mut parts = staged.splitn(4, '|');
        let (stored, size, sha256, original) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let (random, extension) = stored.split_once('.')?;
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(random, 32) || !hex(sha256, 64) {
            return None;
        }
        let file_type = FileType::ALL.into_iter().find(|t| t.extension() == extension)?;
        Some(Received {
            stored_name: Some(stored.to_string()),
            original_name: original.to_string(),
            size: size.parse().ok()?,
            sha256: sha256.to_string(),
            file_type: Some(file_type),
        })
    }

    /// The name shown on the receipt and given to downloads.
    pub fn display_name(&self) -> String {
        self.file_type.map_or_else(|| self.original_name.clone(), |t| t.display_name(&self.original_name))
    }
}

/// A file being received.
pub struct Incoming {
    file: tokio::fs::File,
    path: PathBuf,
    random: String,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    limit: u64,
}

const HEAD_BYTES: usize = 8192;

impl AttachmentStore {
    /// Starts receiving a file of at most `limit` bytes (more is counted, not written).
    pub async fn incoming(&self, limit: u64) -> std::io::Result<Incoming> {
        let random: String = (0..16).map(|_| format!("{:02x}", rand::rng().random::<u8>())).collect();
        let dir = self.dir().to_path_buf();
        tokio::task::spawn_blocking(move || private_dir(&dir)).await.map_err(std::io::Error::other)??;
        let path = self.dir().join(format!("{random}.part"));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&path).await?;
        Ok(Incoming { file, path, random, hasher: Sha256::new(), size: 0, head: Vec::new(), limit })
    }

    /// Ends a file: flushed to disk and renamed with its type's extension, or removed when it
    /// was too large or of no known type (plain text is told from the whole file, read back).
    pub async fn finish(&self, mut incoming: Incoming, original_name: &str) -> std::io::Result<Received> {
        incoming.file.flush().await?;
        incoming.file.sync_all().await?;
        drop(incoming.file);
        let sha256: String = incoming.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let over = incoming.size > incoming.limit;
        let mut file_type = if over { None } else { FileType::detect(&incoming.head) };
        // The head may end inside a character: text is told from the whole file.
        let maybe_text = matches!(file_type, None | Some(FileType::Text));
        if !over && maybe_text && incoming.size > incoming.head.len() as u64 {
            let whole = tokio::fs::read(&incoming.path).await?;
            file_type = FileType::detect(&whole);
        }
        let original_name: String = original_name.chars().filter(|c| !c.is_control()).take(200).collect();
        let stored_name = match file_type {
            Some(t) => {
                let name = format!("{}.{}", incoming.random, t.extension());
                tokio::fs::rename(&incoming.path, self.dir().join(&name)).await?;
                // The new name is durable only once the folder is flushed too.
                let dir = self.dir().to_path_buf();
                tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
                    .await
                    .map_err(std::io::Error::other)??;
                Some(name)
            }
            None => {
                tokio::fs::remove_file(&incoming.path).await?;
                None
            }
        };
        Ok(Received { stored_name, original_name, size: incoming.size, sha256, file_type })
    }

    /// Removes files the database does not know, once they are older than `grace` (a
    /// submission being written, or a confirmation page still open, keeps its files).
    /// `recorded` answers which of the given stored names have rows. Returns how many went.
    pub async fn sweep<F, Fut>(&self, grace: std::time::Duration, recorded: F) -> std::io::Result<usize>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: std::future::Future<Output = std::io::Result<std::collections::HashSet<String>>>,
    {
        let dir = self.dir().to_path_buf();
        let old = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<String>> {
            let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
            let mut old = Vec::new();
            for entry in entries.flatten() {
                let meta = entry.metadata()?;
                let age = meta.modified()?.elapsed().unwrap_or_default();
                if meta.is_file() && age >= grace {
                    old.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            Ok(old)
        })
        .await
        .map_err(std::io::Error::other)??;
        if old.is_empty() {
            return Ok(0);
        }
        let known = recorded(old.clone()).await?;
        let mut removed = 0;
        for name in old.into_iter().filter(|n| !known.contains(n)) {
            if tokio::fs::remove_file(self.dir().join(&name)).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl Incoming {
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.size += chunk.len() as u64;
        self.hasher.update(chunk);
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.size <= self.limit {
            self.file.write_all(chunk).await?;
        }
        Ok(())
    }
}
