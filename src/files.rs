//! Files kept beside the database (scans of letters and faxes): stored under random names in
//! `data_dir/attachments`, their type told by their first bytes, never by the name they came with.
use rand::Rng;
use std::path::{Path, PathBuf};

/// The kinds of file a scan may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
}

impl FileKind {
    /// The kind, told by the content.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
        }
    }
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

    fn path(&self, stored_name: &str) -> PathBuf {
        self.dir.join(stored_name)
    }

    /// Writes `bytes` under a new random name with the kind's extension.
    pub async fn store(&self, kind: FileKind, original_name: &str, bytes: &[u8]) -> std::io::Result<StoredFile> {
        let random: String = (0..16).map(|_| format!("{:02x}", rand::rng().random::<u8>())).collect();
        let stored_name = format!("{random}.{}", kind.extension());
        tokio::fs::create_dir_all(&self.dir).await?;
        tokio::fs::write(self.path(&stored_name), bytes).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_is_told_by_the_content() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7 ..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileKind::Jpeg));
        assert_eq!(FileKind::sniff(b"<html><script>"), None);
    }
}
