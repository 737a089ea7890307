//! Submissions with their opinions, written together with their receipt email job.
use super::consultations::StoredConsultation;
use super::schema::{drafts, opinions, outbox, submissions};
use super::{from_db_time, on_backend, to_db_time, DbConnection, DbError};
use crate::domain::{Channel, Locale, ReceiptNumber, ValidSubmission};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

pub const RECEIPT_EMAIL: &str = "receipt_email";

/// Everything needed to store one accepted submission.
pub struct NewSubmission<'a> {
    pub consultation: &'a StoredConsultation,
    pub submission: &'a ValidSubmission,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    pub receipt_number: &'a ReceiptNumber,
    pub idempotency_key: Option<&'a str>,
    /// Digest of the request, kept with its idempotency key.
    pub request_hash: Option<&'a str>,
    /// Set when staff typed it in from a letter, fax or email.
    pub transcription: Option<Transcribed>,
    /// Files the submitter attached, already on disk.
    pub attachments: &'a [crate::uploads::Received],
}

#[derive(Debug, Clone, Copy)]
pub struct Transcribed {
    pub by: i64,
    pub postmark: Option<chrono::NaiveDate>,
}

/// Rows per INSERT statement, so that every statement stays under SQLite's and PostgreSQL's
/// limits on bound parameters (32,766 and 65,535) with the widest table (18 columns).
const ROWS_PER_STATEMENT: usize = 1_000;

/// Stores one submission, its opinions and (when there is an address) the receipt email job.
/// Call inside a transaction so that all of it is kept or none.
pub fn insert(conn: &mut DbConnection, new: &NewSubmission<'_>, now: DateTime<Utc>) -> Result<i64, DbError> {
    insert_many(conn, std::slice::from_ref(new), now)?
        .pop()
        .ok_or_else(|| DbError::Corrupt("the new submission's id was not returned".into()))
}

/// Stores many submissions with a few statements in all, not a few per submission, and for
/// each its opinions, their place in the search backlog and (when there is an address) the
/// receipt email job; one job to scan the batch's text for personal data. Returns the new ids
/// in the order given. Call inside a transaction; one failure fails the whole call.
pub fn insert_many(
    conn: &mut DbConnection,
    news: &[NewSubmission<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbError> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let ids = match conn {
        DbConnection::Postgresql(pg) => super::submission_batch::insert(pg, news, now)?,
        DbConnection::Sqlite(_) => insert_rows(conn, news, now)?,
    };
    for (new, &id) in news.iter().zip(&ids).filter(|(n, _)| !n.attachments.is_empty()) {
        super::attachments::insert_public(conn, id, new.attachments, to_db_time(now))?;
    }
    Ok(ids)
}

/// The stored draft an opinion addresses, if it names one.
pub(super) fn draft_id(
    new: &NewSubmission<'_>,
    opinion: &crate::domain::submission::ValidOpinion,
) -> Result<Option<i64>, DbError> {
    opinion
        .draft()
        .map(|code| {
            new.consultation
                .draft_ids
                .get(code)
                .copied()
                .ok_or_else(|| DbError::Corrupt(format!("draft '{code}' is not stored for this consultation")))
        })
        .transpose()
}

/// The new ids in the order of `news`, from the (id, receipt number) rows an INSERT returned:
/// matched by receipt number, as the order of RETURNING rows is not promised.
pub(super) fn ids_in_order(returned: Vec<(i64, String)>, news: &[NewSubmission<'_>]) -> Result<Vec<i64>, DbError> {
    let by_receipt: HashMap<String, i64> = returned.into_iter().map(|(id, receipt)| (receipt, id)).collect();
    news.iter()
        .map(|new| {
            by_receipt
                .get(new.receipt_number.as_str())
                .copied()
                .ok_or_else(|| DbError::Corrupt("a new submission's id was not returned".into()))
        })
        .collect()
}

/// Receipt emails go to people who submitted online; a letter is answered by the clerk.
pub fn queues_receipt_email(submission: &ValidSubmission, transcribed: bool) -> bool {
    submission.submitter().email().is_some() && !transcribed
}

/// The same as multi-row INSERTs, one per table (SQLite, where a statement costs no round trip).
fn insert_rows(conn: &mut DbConnection, news: &[NewSubmission<'_>], now: DateTime<Utc>) -> Result<Vec<i64>, DbError> {
    let created_at = to_db_time(now);
    let mut ids = Vec::with_capacity(news.len());
    for chunk in news.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|new| {
                let s = new.submission;
                let who = s.submitter();
                (
                    submissions::consultation_id.eq(new.consultation.id),
                    submissions::receipt_number.eq(new.receipt_number.as_str()),
                    submissions::idempotency_key.eq(new.idempotency_key),
                    submissions::request_hash.eq(new.request_hash),
                    submissions::channel.eq(new.channel.as_str()),
                    submissions::locale.eq(s.locale().as_str()),
                    submissions::received_at.eq(to_db_time(new.received_at)),
                    submissions::late.eq(new.late),
                    submissions::submitter_name.eq(who.name()),
                    submissions::organization.eq(who.organization()),
                    submissions::email.eq(who.email()),
                    submissions::postal_address.eq(who.postal_address()),
                    submissions::phone.eq(who.phone()),
                    submissions::publish_organization.eq(who.publish_organization()),
                    submissions::created_at.eq(created_at),
                    submissions::transcribed_by.eq(new.transcription.map(|t| t.by)),
                    submissions::postmark_date.eq(new.transcription.and_then(|t| t.postmark)),
                    submissions::verification.eq(new.transcription.map(|_| "unverified")),
                )
            })
            .collect();
        let returned: Vec<(i64, String)> = on_backend!(conn, |c| diesel::insert_into(submissions::table)
            .values(rows)
            .returning((submissions::id, submissions::receipt_number))
            .get_results(c)?);
        ids.extend(ids_in_order(returned, chunk)?);
    }

    let mut opinion_rows = Vec::new();
    let mut outbox_rows = Vec::new();
    for (new, &id) in news.iter().zip(&ids) {
        for (position, opinion) in new.submission.opinions().iter().enumerate() {
            let draft_id = draft_id(new, opinion)?;
            opinion_rows.push((
                opinions::submission_id.eq(id),
                opinions::draft_id.eq(draft_id),
                opinions::position.eq(position as i32),
                opinions::location.eq(opinion.location()),
                opinions::body.eq(opinion.body()),
                opinions::reason.eq(opinion.reason()),
                opinions::triage_state.eq("new"),
            ));
        }
        if queues_receipt_email(new.submission, new.transcription.is_some()) {
            outbox_rows.push((
                outbox::kind.eq(RECEIPT_EMAIL),
                outbox::submission_id.eq(Some(id)),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(created_at),
                outbox::created_at.eq(created_at),
            ));
        }
    }
    let mut opinion_ids = Vec::with_capacity(opinion_rows.len());
    for chunk in opinion_rows.chunks(ROWS_PER_STATEMENT) {
        opinion_ids.extend(on_backend!(conn, |c| diesel::insert_into(opinions::table)
            .values(chunk.to_vec())
            .returning(opinions::id)
            .get_results::<i64>(c)?));
    }
    // The search index is updated later, by the worker (see db::search).
    super::search::list_for_indexing(conn, &opinion_ids)?;
    for chunk in outbox_rows.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(outbox::table).values(chunk.to_vec()).execute(c)?);
    }
    // Personal data in the text is looked for later, off the path that answers the submitter.
    super::jobs::queue_text_work(conn, &ids, now)?;
    Ok(ids)
}

/// The lowest and highest of a list of submission ids. Queries for the opinions of a batch
/// filter on this range beside the list: the ids of a batch are nearly consecutive, so the
/// range lets PostgreSQL walk the (submission_id, position) index instead of reading the whole
/// table and testing each row against the list (`ExecEvalScalarArrayOp` was 18 % of its CPU
/// under API load while the personal-data scan ran).
pub fn low(ids: &[i64]) -> i64 {
    ids.iter().copied().min().unwrap_or(0)
}

pub fn high(ids: &[i64]) -> i64 {
    ids.iter().copied().max().unwrap_or(-1)
}

/// Runs `store` in a savepoint under a fresh receipt number, with another number should one
/// already be taken (vanishingly rare with 80 bits), so a clash never spoils the surrounding
/// transaction.
pub fn with_fresh_receipt<T>(
    conn: &mut DbConnection,
    mut store: impl FnMut(&mut DbConnection, &ReceiptNumber) -> Result<T, DbError>,
) -> Result<T, DbError> {
    for _ in 0..3 {
        let receipt = ReceiptNumber::generate(&mut rand::rng());
        match conn.transaction(|c| store(c, &receipt)) {
            Err(e) if e.is_unique_violation() => continue,
            other => return other,
        }
    }
    Err(DbError::Corrupt("no free receipt number after three attempts".into()))
}

/// What a receipt page or email shows: no personal data but the address it is sent to.
#[derive(Debug, Clone)]
pub struct StoredSubmission {
    pub id: i64,
    pub consultation_id: i64,
    pub receipt_number: String,
    pub channel: Channel,
    pub locale: Locale,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    /// When the submitter withdrew it, if they did.
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub opinions: Vec<StoredOpinion>,
    /// Files the submitter attached (not staff scans).
    pub attachments: Vec<super::attachments::AttachedFile>,
}

#[derive(Debug, Clone)]
pub struct StoredOpinion {
    pub id: i64,
    pub draft_code: Option<String>,
    pub location: Option<String>,
    pub body: String,
    pub reason: Option<String>,
}

type SubmissionRow = (i64, i64, String, String, String, chrono::NaiveDateTime, bool, Option<chrono::NaiveDateTime>);

fn load(conn: &mut DbConnection, row: SubmissionRow) -> Result<StoredSubmission, DbError> {
    let opinions = opinions::table
        .left_join(drafts::table)
        .filter(opinions::submission_id.eq(row.0))
        .order(opinions::position.asc())
        .select((opinions::id, drafts::code.nullable(), opinions::location, opinions::body, opinions::reason))
        .load::<OpinionRow>(conn)?
        .into_iter()
        .map(|(id, draft_code, location, body, reason)| StoredOpinion { id, draft_code, location, body, reason })
        .collect();
    let attachments = super::attachments::of_submission(conn, row.0)?;
    assemble(row, opinions, attachments)
}

type OpinionRow = (i64, Option<String>, Option<String>, String, Option<String>);

/// A stored submission from its row, its opinions in order and its files (staff scans left out).
fn assemble(
    row: SubmissionRow,
    opinions: Vec<StoredOpinion>,
    attachments: Vec<super::attachments::AttachedFile>,
) -> Result<StoredSubmission, DbError> {
    let (id, consultation_id, receipt_number, channel, locale, received_at, late, withdrawn_at) = row;
    Ok(StoredSubmission {
        id,
        consultation_id,
        receipt_number,
        channel: channel.parse().map_err(DbError::Corrupt)?,
        locale: locale.parse().map_err(DbError::Corrupt)?,
        received_at: from_db_time(received_at),
        late,
        withdrawn_at: withdrawn_at.map(from_db_time),
        opinions,
        attachments: attachments.into_iter().filter(|a| a.uploaded_by.is_none()).collect(),
    })
}

/// Many submissions with the address each receipt goes to, in three queries whatever their
/// number (the email worker builds up to a batch of messages at once; one submission at a
/// time cost four queries per email). Ids not stored are left out.
pub fn with_addresses(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, (StoredSubmission, Option<String>)>, DbError> {
    use super::schema::attachments;
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let (low, high) = (low(chunk), high(chunk));
        let rows: Vec<(SubmissionRow, Option<String>)> = submissions::table
            .filter(submissions::id.eq_any(chunk))
            .select((select_row(), submissions::email))
            .load(conn)?;
        let mut opinions_of: HashMap<i64, Vec<StoredOpinion>> = HashMap::new();
        let opinion_rows: Vec<(i64, OpinionRow)> = opinions::table
            .left_join(drafts::table)
            .filter(opinions::submission_id.between(low, high))
            .filter(opinions::submission_id.eq_any(chunk))
            .order((opinions::submission_id.asc(), opinions::position.asc()))
            .select((
                opinions::submission_id,
                (opinions::id, drafts::code.nullable(), opinions::location, opinions::body, opinions::reason),
            ))
            .load(conn)?;
        for (submission_id, (id, draft_code, location, body, reason)) in opinion_rows {
            opinions_of.entry(submission_id).or_default().push(StoredOpinion {
                id,
                draft_code,
                location,
                body,
                reason,
            });
        }
        let mut files_of: HashMap<i64, Vec<super::attachments::AttachedFile>> = HashMap::new();
        let files: Vec<super::attachments::AttachedFile> = attachments::table
            .filter(attachments::submission_id.eq_any(chunk))
            .order(attachments::id.asc())
            .select(super::attachments::AttachedFile::as_select())
            .load(conn)?;
        for file in files {
            files_of.entry(file.submission_id).or_default().push(file);
        }
        for (row, email) in rows {
            let id = row.0;
            let stored =
                assemble(row, opinions_of.remove(&id).unwrap_or_default(), files_of.remove(&id).unwrap_or_default())?;
            out.insert(id, (stored, email));
        }
    }
    Ok(out)
}

fn select_row() -> (
    submissions::id,
    submissions::consultation_id,
    submissions::receipt_number,
    submissions::channel,
    submissions::locale,
    submissions::received_at,
    submissions::late,
    submissions::withdrawn_at,
) {
    (
        submissions::id,
        submissions::consultation_id,
        submissions::receipt_number,
        submissions::channel,
        submissions::locale,
        submissions::received_at,
        submissions::late,
        submissions::withdrawn_at,
    )
}

pub fn find_by_receipt(
    conn: &mut DbConnection,
    consultation_id: i64,
    receipt: &ReceiptNumber,
) -> Result<Option<StoredSubmission>, DbError> {
    let row: Option<SubmissionRow> = submissions::table
        .filter(submissions::consultation_id.eq(consultation_id))
        .filter(submissions::receipt_number.eq(receipt.as_str()))
        .select(select_row())
        .first(conn)
        .optional()?;
    row.map(|r| load(conn, r)).transpose()
}

pub fn find_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<StoredSubmission>, DbError> {
    let row: Option<SubmissionRow> = submissions::table.find(id).select(select_row()).first(conn).optional()?;
    row.map(|r| load(conn, r)).transpose()
}

/// Marks a submission withdrawn; false when it already was.
pub fn withdraw(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let changed = diesel::update(submissions::table.find(id).filter(submissions::withdrawn_at.is_null()))
        .set(submissions::withdrawn_at.eq(Some(to_db_time(now))))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The address a receipt email goes to. Kept out of `StoredSubmission` so it is read only
/// where it is needed.
pub fn email_address(conn: &mut DbConnection, id: i64) -> Result<Option<String>, DbError> {
    Ok(submissions::table.find(id).select(submissions::email).first::<Option<String>>(conn).optional()?.flatten())
}

pub fn count_all(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(submissions::table.count().get_result(conn)?)
}

/// What an idempotency key is bound to: the receipt given, the digest of the request that got
/// it (empty for submissions stored before digests were kept), and when it was stored.
#[derive(Debug, Clone)]
pub struct BoundKey {
    pub receipt_number: String,
    pub request_hash: String,
    pub created_at: DateTime<Utc>,
}

/// The submissions bound to any of these idempotency keys, by key.
pub fn bound_keys(conn: &mut DbConnection, keys: &[&str]) -> Result<HashMap<String, BoundKey>, DbError> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<(Option<String>, String, Option<String>, chrono::NaiveDateTime)> = submissions::table
            .filter(submissions::idempotency_key.eq_any(chunk))
            .select((
                submissions::idempotency_key,
                submissions::receipt_number,
                submissions::request_hash,
                submissions::created_at,
            ))
            .load(conn)?;
        found.extend(rows.into_iter().filter_map(|(key, receipt_number, hash, at)| {
            Some((
                key?,
                BoundKey { receipt_number, request_hash: hash.unwrap_or_default(), created_at: from_db_time(at) },
            ))
        }));
    }
    Ok(found)
}

/// Frees a key whose binding has expired, so a new request may carry it.
pub fn release_key(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::update(submissions::table.filter(submissions::idempotency_key.eq(key)))
        .set(submissions::idempotency_key.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}
