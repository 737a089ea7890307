//! Redactions and redaction suggestions: spans of an opinion's stored text, in characters.
use super::schema::{opinions, redactions, submissions};
use super::{to_db_time, DbConnection, DbError};
use crate::domain::personal_data::Finding;
use crate::domain::redaction::{Field, Reason, Span, Status};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable)]
pub struct Row {
    pub id: i64,
    pub opinion_id: i64,
    #[diesel(deserialize_as = String)]
    pub field: Field,
    pub start: i32,
    pub end: i32,
    pub kind: String,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub reason: Option<String>,
    pub note: Option<String>,
}

impl Row {
    pub fn span(&self) -> Span {
        Span {
            field: self.field,
            start: self.start.max(0) as usize,
            end: self.end.max(0) as usize,
            kind: self.kind.parse().ok(),
            status: self.status,
            reason: self.reason.as_deref().and_then(|r| r.parse().ok()),
        }
    }
}

type Columns = (
    redactions::id,
    redactions::opinion_id,
    redactions::field,
    redactions::start_char,
    redactions::end_char,
    redactions::kind,
    redactions::status,
    redactions::reason,
    redactions::note,
);

const COLUMNS: Columns = (
    redactions::id,
    redactions::opinion_id,
    redactions::field,
    redactions::start_char,
    redactions::end_char,
    redactions::kind,
    redactions::status,
    redactions::reason,
    redactions::note,
);

/// Stores new suggestions for one field of an opinion, skipping spans it already has in any
/// status (a rescan after a correction must not bring back what staff dismissed).
pub fn suggest(
    conn: &mut DbConnection,
    opinion_id: i64,
    field: Field,
    findings: &[Finding],
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    if findings.is_empty() {
        return Ok(0);
    }
    let known: Vec<(i32, i32)> = redactions::table
        .filter(redactions::opinion_id.eq(opinion_id))
        .filter(redactions::field.eq(field.as_str()))
        .select((redactions::start_char, redactions::end_char))
        .load(conn)?;
    let mut added = 0;
    for f in findings {
        let span = (f.start as i32, f.end as i32);
        if known.contains(&span) {
            continue;
        }
        added += diesel::insert_into(redactions::table)
            .values((
                redactions::opinion_id.eq(opinion_id),
                redactions::field.eq(field.as_str()),
                redactions::start_char.eq(span.0),
                redactions::end_char.eq(span.1),
                redactions::kind.eq(f.kind.as_str()),
                redactions::status.eq(Status::Suggested.as_str()),
                redactions::created_at.eq(to_db_time(now)),
            ))
            .execute(conn)?;
    }
    Ok(added)
}

/// A redaction staff make themselves.
pub struct Manual<'a> {
    pub opinion_id: i64,
    pub field: Field,
    pub start: usize,
    pub end: usize,
    pub reason: Reason,
    pub note: Option<&'a str>,
}

pub fn add_manual(conn: &mut DbConnection, m: &Manual<'_>, by: i64, now: DateTime<Utc>) -> Result<i64, DbError> {
    diesel::insert_into(redactions::table)
        .values((
            redactions::opinion_id.eq(m.opinion_id),
            redactions::field.eq(m.field.as_str()),
            redactions::start_char.eq(m.start as i32),
            redactions::end_char.eq(m.end as i32),
            redactions::kind.eq("manual"),
            redactions::status.eq(Status::Manual.as_str()),
            redactions::reason.eq(m.reason.as_str()),
            redactions::note.eq(m.note),
            redactions::created_by.eq(Some(by)),
            redactions::created_at.eq(to_db_time(now)),
            redactions::decided_by.eq(Some(by)),
            redactions::decided_at.eq(Some(to_db_time(now))),
        ))
        .execute(conn)?;
    Ok(redactions::table
        .filter(redactions::opinion_id.eq(m.opinion_id))
        .order(redactions::id.desc())
        .select(redactions::id)
        .first(conn)?)
}

/// Accepts (with a reason) or dismisses a suggestion, or lifts a redaction (dismissed).
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    status: Status,
    reason: Option<Reason>,
    note: Option<&str>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(redactions::table.find(id))
        .set((
            redactions::status.eq(status.as_str()),
            redactions::reason.eq(reason.map(Reason::as_str)),
            redactions::note.eq(note),
            redactions::decided_by.eq(Some(by)),
            redactions::decided_at.eq(Some(to_db_time(now))),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<Row>, DbError> {
    Ok(redactions::table.find(id).select(COLUMNS).first(conn).optional()?)
}

/// Every suggestion and redaction of one opinion, in text order.
pub fn of_opinion(conn: &mut DbConnection, opinion_id: i64) -> Result<Vec<Row>, DbError> {
    Ok(redactions::table
        .filter(redactions::opinion_id.eq(opinion_id))
        .order((redactions::field.asc(), redactions::start_char.asc(), redactions::id.asc()))
        .select(COLUMNS)
        .load(conn)?)
}

/// After the text of a field was corrected: open suggestions go (the text is scanned again),
/// and redactions already decided are asked again, since their span may now hold other text;
/// those that no longer fit the text are dropped.
pub fn after_correction(conn: &mut DbConnection, opinion_id: i64, field: Field, new_len: usize) -> Result<(), DbError> {
    let mine =
        || redactions::table.filter(redactions::opinion_id.eq(opinion_id)).filter(redactions::field.eq(field.as_str()));
    diesel::delete(mine().filter(redactions::status.eq(Status::Suggested.as_str()))).execute(conn)?;
    diesel::delete(mine().filter(redactions::end_char.gt(new_len as i32))).execute(conn)?;
    diesel::update(mine().filter(redactions::status.eq_any([Status::Accepted.as_str(), Status::Manual.as_str()])))
        .set((redactions::status.eq(Status::Suggested.as_str()), redactions::decided_by.eq(None::<i64>)))
        .execute(conn)?;
    Ok(())
}

/// One withheld span: field, start, end (characters, end excluded) and why.
pub type Withheld = (Field, usize, usize, Reason);

/// What is withheld, per opinion of a consultation.
pub fn withheld_in(conn: &mut DbConnection, consultation_id: i64) -> Result<HashMap<i64, Vec<Withheld>>, DbError> {
    let rows: Vec<Row> = redactions::table
        .inner_join(opinions::table.inner_join(submissions::table))
        .filter(submissions::consultation_id.eq(consultation_id))
        .filter(redactions::status.eq_any([Status::Accepted.as_str(), Status::Manual.as_str()]))
        .select(COLUMNS)
        .load(conn)?;
    let mut out: HashMap<i64, Vec<Withheld>> = HashMap::new();
    for r in rows {
        let s = r.span();
        out.entry(r.opinion_id).or_default().push((s.field, s.start, s.end, s.reason.unwrap_or(Reason::Other)));
    }
    Ok(out)
}

/// Opinions of a consultation with suggestions nobody has decided on, and how many.
pub fn unresolved_in(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<(i64, usize)>, DbError> {
    let rows: Vec<(i64, i64)> = redactions::table
        .inner_join(opinions::table.inner_join(submissions::table))
        .filter(submissions::consultation_id.eq(consultation_id))
        .filter(redactions::status.eq(Status::Suggested.as_str()))
        .group_by(redactions::opinion_id)
        .select((redactions::opinion_id, diesel::dsl::count_star()))
        .order(redactions::opinion_id.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, n)| (id, n as usize)).collect())
}

/// One line of the staff export.
#[derive(Debug, Clone, Queryable)]
pub struct ExportRow {
    pub receipt_number: String,
    pub opinion_id: i64,
    pub field: String,
    pub start: i32,
    pub end: i32,
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
}

pub fn export(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<ExportRow>, DbError> {
    Ok(redactions::table
        .inner_join(opinions::table.inner_join(submissions::table))
        .filter(submissions::consultation_id.eq(consultation_id))
        .order((redactions::opinion_id.asc(), redactions::field.asc(), redactions::start_char.asc()))
        .select((
            submissions::receipt_number,
            redactions::opinion_id,
            redactions::field,
            redactions::start_char,
            redactions::end_char,
            redactions::kind,
            redactions::status,
            redactions::reason,
        ))
        .load(conn)?)
}
