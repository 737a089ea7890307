//! Transcribed submissions: the clerks' queue, verification by a second person, corrections
//! that keep the earlier text, attachments, late acceptance and revealing contact details.
use super::schema::{attachments, opinion_revisions, opinions, staff_users, submissions};
use super::{from_db_time, to_db_time, DbConnection, DbError, MultiBackend};
use crate::domain::transcription::{Hands, Verification};
use crate::domain::Channel;
use crate::files::StoredFile;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub consultation_id: Option<i64>,
    pub verification: Option<Verification>,
    pub channel: Option<Channel>,
    pub receipt: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct QueueRow {
    pub receipt_number: String,
    pub consultation_id: i64,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    pub verification: Verification,
    pub transcribed_by: String,
}

/// Transcriptions matching the filter, oldest arrival first (the order they are worked in).
pub fn queue(conn: &mut DbConnection, filter: &QueueFilter, limit: i64) -> Result<Vec<QueueRow>, DbError> {
    let mut q = submissions::table
        .inner_join(staff_users::table.on(submissions::transcribed_by.eq(staff_users::id.nullable())))
        .into_boxed::<MultiBackend>();
    if let Some(id) = filter.consultation_id {
        q = q.filter(submissions::consultation_id.eq(id));
    }
    if let Some(v) = filter.verification {
        q = q.filter(submissions::verification.eq(v.as_str()));
    }
    if let Some(c) = filter.channel {
        q = q.filter(submissions::channel.eq(c.as_str()));
    }
    if let Some(r) = &filter.receipt {
        q = q.filter(submissions::receipt_number.eq(r.clone()));
    }
    if let Some(from) = filter.from {
        q = q.filter(submissions::received_at.ge(to_db_time(from)));
    }
    if let Some(until) = filter.until {
        q = q.filter(submissions::received_at.lt(to_db_time(until)));
    }
    #[derive(Queryable)]
    struct Row {
        receipt_number: String,
        consultation_id: i64,
        #[diesel(deserialize_as = String)]
        channel: Channel,
        received_at: chrono::NaiveDateTime,
        late: bool,
        verification: Option<String>,
        transcribed_by: String,
    }
    let rows: Vec<Row> = q
        .order((submissions::received_at.asc(), submissions::id.asc()))
        .limit(limit)
        .select((
            submissions::receipt_number,
            submissions::consultation_id,
            submissions::channel,
            submissions::received_at,
            submissions::late,
            submissions::verification,
            staff_users::username,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok(QueueRow {
                receipt_number: r.receipt_number,
                consultation_id: r.consultation_id,
                channel: r.channel,
                received_at: from_db_time(r.received_at),
                late: r.late,
                verification: r.verification.unwrap_or_default().parse().map_err(DbError::Corrupt)?,
                transcribed_by: r.transcribed_by,
            })
        })
        .collect()
}

/// Counts per verification state, for the queue's tabs.
pub fn counts(conn: &mut DbConnection) -> Result<Vec<(Verification, i64)>, DbError> {
    let rows: Vec<(Option<String>, i64)> = submissions::table
        .filter(submissions::verification.is_not_null())
        .group_by(submissions::verification)
        .select((submissions::verification, diesel::dsl::count_star()))
        .load(conn)?;
    rows.into_iter().map(|(v, n)| Ok((v.unwrap_or_default().parse().map_err(DbError::Corrupt)?, n))).collect()
}

#[derive(Debug, Clone)]
pub struct Meta {
    pub submission_id: i64,
    pub consultation_id: i64,
    pub receipt_number: String,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    pub postmark: Option<NaiveDate>,
    pub transcribed_by: Option<i64>,
    /// `None` for submissions made online.
    pub verification: Option<Verification>,
    pub verified_by: Option<i64>,
    pub verification_comment: Option<String>,
    pub late_accepted_by: Option<i64>,
    pub late_acceptance_reason: Option<String>,
    /// Whoever last corrected the text, if anyone did.
    pub corrected_by: Option<i64>,
}

impl Meta {
    pub fn hands(&self) -> Hands {
        Hands { transcribed_by: self.transcribed_by, corrected_by: self.corrected_by }
    }
}

type MetaRow = (
    i64,
    i64,
    String,
    String,
    chrono::NaiveDateTime,
    bool,
    Option<NaiveDate>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

pub fn meta(conn: &mut DbConnection, receipt_number: &str) -> Result<Option<Meta>, DbError> {
    let row: Option<MetaRow> = submissions::table
        .filter(submissions::receipt_number.eq(receipt_number))
        .select((
            submissions::id,
            submissions::consultation_id,
            submissions::receipt_number,
            submissions::channel,
            submissions::received_at,
            submissions::late,
            submissions::postmark_date,
            submissions::transcribed_by,
            submissions::verification,
            submissions::verified_by,
            submissions::verification_comment,
            submissions::late_accepted_by,
            submissions::late_acceptance_reason,
            submissions::corrected_by,
        ))
        .first(conn)
        .optional()?;
    row.map(|r| {
        Ok(Meta {
            submission_id: r.0,
            consultation_id: r.1,
            receipt_number: r.2,
            channel: r.3.parse().map_err(DbError::Corrupt)?,
            received_at: from_db_time(r.4),
            late: r.5,
            postmark: r.6,
            transcribed_by: r.7,
            verification: r.8.map(|v| v.parse()).transpose().map_err(DbError::Corrupt)?,
            verified_by: r.9,
            verification_comment: r.10,
            late_accepted_by: r.11,
            late_acceptance_reason: r.12,
            corrected_by: r.13,
        })
    })
    .transpose()
}

#[derive(Debug, Clone, serde::Serialize, Queryable)]
pub struct OpinionRow {
    pub id: i64,
    pub position: i32,
    pub draft_id: Option<i64>,
    pub location: Option<String>,
    pub body: String,
    pub reason: Option<String>,
}

pub fn opinions_of(conn: &mut DbConnection, submission_id: i64) -> Result<Vec<OpinionRow>, DbError> {
    Ok(opinions::table
        .filter(opinions::submission_id.eq(submission_id))
        .order(opinions::position.asc())
        .select((
            opinions::id,
            opinions::position,
            opinions::draft_id,
            opinions::location,
            opinions::body,
            opinions::reason,
        ))
        .load(conn)?)
}

/// Records a second person's decision.
pub fn set_verification(
    conn: &mut DbConnection,
    submission_id: i64,
    state: Verification,
    by: i64,
    comment: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(submissions::table.find(submission_id))
        .set((
            submissions::verification.eq(Some(state.as_str())),
            submissions::verified_by.eq(Some(by)),
            submissions::verification_comment.eq(comment),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records who last corrected the text; it must be checked again, by someone else.
pub fn reopen_after_correction(conn: &mut DbConnection, submission_id: i64, by: i64) -> Result<(), DbError> {
    diesel::update(submissions::table.find(submission_id))
        .set((
            submissions::verification.eq(Some(Verification::Unverified.as_str())),
            submissions::verified_by.eq(None::<i64>),
            submissions::verification_comment.eq(None::<String>),
            submissions::corrected_by.eq(Some(by)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The new text of one opinion.
pub struct Correction<'a> {
    pub draft_id: Option<i64>,
    pub location: Option<&'a str>,
    pub body: &'a str,
    pub reason: Option<&'a str>,
}

impl Correction<'_> {
    /// Whether the opinion already reads exactly like this.
    pub fn leaves_unchanged(&self, old: &OpinionRow) -> bool {
        old.draft_id == self.draft_id
            && old.location.as_deref() == self.location
            && old.body == self.body
            && old.reason.as_deref() == self.reason
    }
}

/// Replaces an opinion's text, keeping the text it replaces as a revision.
pub fn correct_opinion(
    conn: &mut DbConnection,
    old: &OpinionRow,
    new: &Correction<'_>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(opinion_revisions::table)
        .values((
            opinion_revisions::opinion_id.eq(old.id),
            opinion_revisions::draft_id.eq(old.draft_id),
            opinion_revisions::location.eq(old.location.as_deref()),
            opinion_revisions::body.eq(&old.body),
            opinion_revisions::reason.eq(old.reason.as_deref()),
            opinion_revisions::replaced_by.eq(by),
            opinion_revisions::replaced_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    diesel::update(opinions::table.find(old.id))
        .set((
            opinions::draft_id.eq(new.draft_id),
            opinions::location.eq(new.location),
            opinions::body.eq(new.body),
            opinions::reason.eq(new.reason),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Revision {
    pub opinion_id: i64,
    pub body: String,
    pub location: Option<String>,
    pub reason: Option<String>,
    pub replaced_by: String,
    pub replaced_at: DateTime<Utc>,
}

pub fn revisions_of(conn: &mut DbConnection, submission_id: i64) -> Result<Vec<Revision>, DbError> {
    #[derive(Queryable)]
    struct Row {
        opinion_id: i64,
        body: String,
        location: Option<String>,
        reason: Option<String>,
        replaced_by: String,
        replaced_at: chrono::NaiveDateTime,
    }
    let rows: Vec<Row> = opinion_revisions::table
        .inner_join(opinions::table)
        .inner_join(staff_users::table.on(opinion_revisions::replaced_by.eq(staff_users::id)))
        .filter(opinions::submission_id.eq(submission_id))
        .order(opinion_revisions::id.asc())
        .select((
            opinion_revisions::opinion_id,
            opinion_revisions::body,
            opinion_revisions::location,
            opinion_revisions::reason,
            staff_users::username,
            opinion_revisions::replaced_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Revision {
            opinion_id: r.opinion_id,
            body: r.body,
            location: r.location,
            reason: r.reason,
            replaced_by: r.replaced_by,
            replaced_at: from_db_time(r.replaced_at),
        })
        .collect())
}

pub fn accept_late(conn: &mut DbConnection, submission_id: i64, by: i64, reason: &str) -> Result<(), DbError> {
    diesel::update(submissions::table.find(submission_id))
        .set((submissions::late_accepted_by.eq(Some(by)), submissions::late_acceptance_reason.eq(Some(reason))))
        .execute(conn)?;
    Ok(())
}

/// Records a file already written to the attachment store.
pub fn add_attachment(
    conn: &mut DbConnection,
    submission_id: i64,
    file: &StoredFile,
    uploaded_by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::submission_id.eq(submission_id),
            attachments::stored_name.eq(&file.stored_name),
            attachments::original_name.eq(&file.original_name),
            attachments::content_type.eq(file.content_type),
            attachments::size_bytes.eq(file.size_bytes),
            attachments::uploaded_by.eq(uploaded_by),
            attachments::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The submitter's personal details; read only through the audited "show contact" action.
#[derive(Clone, Default)]
pub struct Contact {
    pub name: Option<String>,
    pub organization: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub phone: Option<String>,
    pub publish_organization: bool,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contact(<personal data>)")
    }
}

pub fn contact(conn: &mut DbConnection, submission_id: i64) -> Result<Contact, DbError> {
    let (name, organization, email, postal_address, phone, publish_organization) = submissions::table
        .find(submission_id)
        .select((
            submissions::submitter_name,
            submissions::organization,
            submissions::email,
            submissions::postal_address,
            submissions::phone,
            submissions::publish_organization,
        ))
        .first(conn)?;
    Ok(Contact { name, organization, email, postal_address, phone, publish_organization })
}

/// Display names for staff ids shown on a page.
pub fn usernames(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<(i64, String)>, DbError> {
    Ok(staff_users::table
        .filter(staff_users::id.eq_any(ids))
        .select((staff_users::id, staff_users::username))
        .load(conn)?)
}
