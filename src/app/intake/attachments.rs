//! The I/O around attached files at intake: the optional virus scan, and removing files of a
//! submission that was not stored. What is accepted is decided by `domain::attachment`.
use crate::domain::attachment::{self, AttachmentProblem, AttachmentRules, Offered};
use crate::files::AttachmentStore;
use crate::uploads::{AttachmentSettings, Received};
use std::time::Duration;

#[derive(Clone)]
pub struct AttachmentIntake {
    pub store: AttachmentStore,
    pub settings: AttachmentSettings,
}

impl AttachmentIntake {
    /// Checks the files against the rules, scanning each kept one first when a scanner is
    /// configured.
    pub async fn check(
        &self,
        rules: Option<&AttachmentRules>,
        files: &[Received],
    ) -> Result<(), Vec<AttachmentProblem>> {
        let mut offered = Vec::with_capacity(files.len());
        for f in files {
            let on_disk = match &f.stored_name {
                Some(name) => tokio::fs::metadata(self.store.dir().join(name)).await.is_ok(),
                None => true,
            };
            offered.push(Offered {
                name: &f.original_name,
                size: f.size,
                detected: f.file_type,
                scan_refused: on_disk && self.scan_refuses(f).await,
                missing: !on_disk,
            });
        }
        attachment::check(rules, &offered)
    }

    /// Whether the configured scanner refuses the file (a scanner that cannot run, or runs
    /// too long, refuses too: an unscanned file is not accepted where scanning is asked for).
    async fn scan_refuses(&self, file: &Received) -> bool {
        let (Some(command), Some(name)) = (self.settings.scan_command.as_deref(), file.stored_name.as_deref()) else {
            return false;
        };
        let mut words = command.split_whitespace();
        let Some(program) = words.next() else { return false };
        let run = tokio::process::Command::new(program)
            .args(words)
            .arg(self.store.dir().join(name))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .status();
        match tokio::time::timeout(Duration::from_secs(self.settings.scan_timeout_secs.max(1)), run).await {
            Ok(Ok(status)) => {
                if !status.success() {
                    tracing::warn!(code = status.code(), "the scanner refused an attached file");
                }
                !status.success()
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the attachment scanner could not be run");
                true
            }
            Err(_) => {
                tracing::error!("the attachment scanner ran out of time");
                true
            }
        }
    }

    /// Removes the files of a submission that was not stored.
    pub async fn discard(&self, files: &[Received]) {
        for name in files.iter().filter_map(|f| f.stored_name.as_deref()) {
            self.store.remove(name).await;
        }
    }
}
