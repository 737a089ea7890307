//! Files attached to submissions: by the submitter online (with their SHA-256, published only
//! once staff mark them publishable) or by staff as scans of a letter or fax.
use super::schema::{attachments, submissions};
use super::{from_db_time, DbConnection, DbError};
use crate::domain::attachment::{FileCandidate, FileType};
use crate::uploads::Received;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashSet;

/// One attached file as recorded.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct AttachedFile {
    pub id: i64,
    pub submission_id: i64,
    pub stored_name: String,
    pub original_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// `None`: the submitter attached it; otherwise the staff member who uploaded the scan.
    pub uploaded_by: Option<i64>,
    pub sha256: Option<String>,
    pub publishable: bool,
}

impl AttachedFile {
    /// The name shown and downloaded: the sender's name with the extension of what the file is.
    pub fn display_name(&self) -> String {
        match crate::domain::attachment::FileType::from_content_type(&self.content_type) {
            Some(t) => t.display_name(&self.original_name),
            None => self.original_name.clone(),
        }
    }
}

/// Records the files a submitter attached; call in the submission's transaction.
pub fn insert_public(
    conn: &mut DbConnection,
    submission_id: i64,
    files: &[Received],
    created_at: NaiveDateTime,
) -> Result<(), DbError> {
    for f in files {
        let (Some(stored_name), Some(kind)) = (&f.stored_name, f.file_type) else {
            continue;
        };
        let row = (
            attachments::submission_id.eq(submission_id),
            attachments::stored_name.eq(stored_name),
            attachments::original_name.eq(&f.original_name),
            attachments::content_type.eq(kind.content_type()),
            attachments::size_bytes.eq(f.size as i64),
            attachments::created_at.eq(created_at),
            attachments::sha256.eq(&f.sha256),
        );
        let id: i64 = super::on_backend!(conn, |c| diesel::insert_into(attachments::table)
            .values(row)
            .returning(attachments::id)
            .get_result(c)?);
        if matches!(kind, FileType::Pdf | FileType::Text) {
            super::jobs::queue(conn, super::jobs::EXTRACT_TEXT, &id.to_string(), from_db_time(created_at))?;
        }
    }
    Ok(())
}

/// Every file of one submission, in the order attached.
pub fn of_submission(conn: &mut DbConnection, submission_id: i64) -> Result<Vec<AttachedFile>, DbError> {
    Ok(attachments::table
        .filter(attachments::submission_id.eq(submission_id))
        .order(attachments::id.asc())
        .select(AttachedFile::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<AttachedFile>, DbError> {
    Ok(attachments::table.find(id).select(AttachedFile::as_select()).first(conn).optional()?)
}

/// Marks a file fit (or no longer fit) to publish; returns whether it exists.
pub fn set_publishable(conn: &mut DbConnection, id: i64, publishable: bool) -> Result<bool, DbError> {
    let n = diesel::update(attachments::table.find(id)).set(attachments::publishable.eq(publishable)).execute(conn)?;
    Ok(n == 1)
}

/// Which of these stored names have rows, for the sweep of unrecorded files.
pub fn recorded(conn: &mut DbConnection, names: &[String]) -> Result<HashSet<String>, DbError> {
    let mut known = HashSet::new();
    for chunk in names.chunks(500) {
        let found: Vec<String> = attachments::table
            .filter(attachments::stored_name.eq_any(chunk))
            .select(attachments::stored_name)
            .load(conn)?;
        known.extend(found);
    }
    Ok(known)
}

/// Sets the text read from a file, for the triage search.
pub fn set_extracted_text(conn: &mut DbConnection, id: i64, text: &str) -> Result<(), DbError> {
    diesel::update(attachments::table.find(id)).set(attachments::extracted_text.eq(text)).execute(conn)?;
    Ok(())
}

/// Every file the public attached to the consultation's submissions, for publication.
pub fn candidates(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<FileCandidate>, DbError> {
    let rows: Vec<(AttachedFile, Option<NaiveDateTime>)> = attachments::table
        .inner_join(submissions::table)
        .filter(submissions::consultation_id.eq(consultation_id))
        .filter(attachments::uploaded_by.is_null())
        .order(attachments::id.asc())
        .select((AttachedFile::as_select(), submissions::withdrawn_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(f, withdrawn_at)| FileCandidate {
            id: f.id,
            submission_id: f.submission_id,
            name: f.display_name(),
            content_type: f.content_type,
            size: f.size_bytes,
            sha256: f.sha256.unwrap_or_default(),
            publishable: f.publishable,
            withdrawn: withdrawn_at.is_some(),
        })
        .collect())
}
