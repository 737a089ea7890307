//! The worker's care of attached files: reading their text for the search, and removing files
//! no submission recorded.
use super::Worker;
use crate::db::{self, jobs, DbError};
use crate::domain::attachment::FileType;
use crate::files::AttachmentStore;
use std::time::Duration;

/// Files read per pass: a PDF can take a while, and emails share this loop.
const PER_PASS: i64 = 4;
/// Longest one file's text may take to read; past it the file gives no text.
const READ_LIMIT: Duration = Duration::from_secs(30);

impl Worker {
    /// Reads the text of attached PDFs and text files for the triage search. A job is taken
    /// before its file is read, so a crash mid-read loses that file's text (the file and the
    /// submission stay; only the search misses it), never a submission.
    pub async fn extract_once(&self) -> Result<usize, DbError> {
        let taken = self.db.write(|c| jobs::take(c, jobs::EXTRACT_TEXT, PER_PASS)).await?;
        let store = AttachmentStore::new(&self.settings.data_dir);
        for (_, payload) in &taken {
            let Ok(id) = payload.parse::<i64>() else { continue };
            let Some(file) = self.db.run(move |c| db::attachments::find(c, id)).await? else { continue };
            let Some(kind) = FileType::from_content_type(&file.content_type) else { continue };
            let bytes = match store.read(&file.stored_name).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::error!(attachment = id, error = %e, "an attached file to read is missing");
                    continue;
                }
            };
            let reading = tokio::task::spawn_blocking(move || crate::attachment_text::extract(kind, &bytes));
            let text = match tokio::time::timeout(READ_LIMIT, reading).await {
                Ok(Ok(text)) => text,
                _ => {
                    tracing::warn!(attachment = id, "an attached file's text could not be read in time");
                    None
                }
            };
            if let Some(text) = text {
                self.db.write(move |c| db::attachments::set_extracted_text(c, id, &text)).await?;
            }
        }
        Ok(taken.len())
    }

    /// Removes attached files older than `grace` that no row records: left by a crash between
    /// writing a file and committing its submission, by a refusal, or by a confirmation page
    /// never sent.
    pub(super) async fn sweep_attachments(&self, grace: Duration) -> std::io::Result<usize> {
        let store = AttachmentStore::new(&self.settings.data_dir);
        let db = self.db.clone();
        store
            .sweep(grace, |names| async move {
                db.run(move |c| db::attachments::recorded(c, &names)).await.map_err(std::io::Error::other)
            })
            .await
    }
}
