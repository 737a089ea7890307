//! Files kept beside the database (scans of letters and faxes, files the public attached): stored under random names in
//! `data_dir/attachments`, their type told by their first bytes, never by the name they came with.
//! Everything pubcom writes to disk is readable by its own user only (0600, folders 0700).
use crate::domain::attachment::FileType;
use rand::Rng;
use std::path::{Path, PathBuf};

/// Creates a folder (and its parents) that only this user may enter, and closes an existing
/// one to others.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    set_mode(path, 0o700)
}

/// Writes a new file only this user may read.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = private_options().write(true).create(true).truncate(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates an empty file only this user may read, unless it exists (SQLite then gives its
/// journal, WAL and shared-memory files the same mode).
pub fn create_private(path: &Path) -> std::io::Result<()> {
    match private_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Closes a file someone else's code wrote to everyone but this user.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    set_mode(path, 0o600)
}

#[cfg(unix)]
fn private_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> std::fs::OpenOptions {
    std::fs::OpenOptions::new()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// A file written to the store, not yet recorded in the database.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub stored_name: String,
    /// The uploader's name for it, without control characters: shown to staff only.
    pub original_name: String,
    pub content_type: &'static str,
    pub size_bytes: i64,
}

#[derive(Debug, Clone)]
pub struct AttachmentStore {
    dir: PathBuf,
}

impl AttachmentStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("attachments") }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, stored_name: &str) -> PathBuf {
        self.dir.join(stored_name)
    }

    /// Writes `bytes` under a new random name with the kind's extension.
    pub async fn store(&self, kind: FileType, original_name: &str, bytes: &[u8]) -> std::io::Result<StoredFile> {
        let random: String = (0..16).map(|_| format!("{:02x}", rand::rng().random::<u8>())).collect();
        let stored_name = format!("{random}.{}", kind.extension());
        let (dir, path, bytes_owned) = (self.dir.clone(), self.path(&stored_name), bytes.to_vec());
        tokio::task::spawn_blocking(move || {
            private_dir(&dir)?;
            write_private(&path, &bytes_owned)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(StoredFile {
            stored_name,
            original_name: original_name.chars().filter(|c| !c.is_control()).take(200).collect(),
            content_type: kind.content_type(),
            size_bytes: bytes.len() as i64,
        })
    }

    pub async fn read(&self, stored_name: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(stored_name)).await
    }

    /// Removes a file whose database record was never written.
    pub async fn remove(&self, stored_name: &str) {
        if let Err(e) = tokio::fs::remove_file(self.path(stored_name)).await {
            tracing::warn!(error = %e, "an unrecorded attachment could not be removed");
        }
    }
}
