//! Consultations and their drafts: created or updated from definition files, idempotent by slug.
use super::schema::{consultations, drafts, opinions};
use super::{from_db_time, to_db_time, DbConnection, DbError};
use crate::domain::{Consultation, ConsultationFile, Locale};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

/// A consultation as stored, with the ids its drafts have in the database.
#[derive(Debug, Clone)]
pub struct StoredConsultation {
    pub id: i64,
    pub consultation: Consultation,
    pub draft_ids: HashMap<String, i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Queryable)]
struct ConsultationRow {
    id: i64,
    definition: String,
    created_at: chrono::NaiveDateTime,
}

fn parse_definition(json: &str) -> Result<Consultation, DbError> {
    let file: ConsultationFile = serde_json::from_str(json).map_err(|e| DbError::Corrupt(e.to_string()))?;
    Consultation::try_from(file).map_err(DbError::Corrupt)
}

/// Creates the consultation or brings it up to date with `file`. Refuses to drop a draft that
/// already has opinions, so an edit to a file cannot orphan what people sent.
pub fn import(conn: &mut DbConnection, file: &ConsultationFile, now: DateTime<Utc>) -> Result<ImportOutcome, DbError> {
    // Instances starting at once import one at a time; the later ones find it done.
    super::lock_for_transaction(conn, super::IMPORT_LOCK)?;
    let checked = Consultation::try_from(file.clone()).map_err(DbError::Corrupt)?;
    let definition = serde_json::to_string(file).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let existing: Option<(i64, String)> = consultations::table
        .filter(consultations::slug.eq(&checked.slug))
        .select((consultations::id, consultations::definition))
        .first(conn)
        .optional()?;
    let (id, outcome) = match existing {
        Some((_, old)) if old == definition => return Ok(ImportOutcome::Unchanged),
        Some((id, _)) => {
            diesel::update(consultations::table.find(id))
                .set((
                    consultations::definition.eq(&definition),
                    consultations::opens_at.eq(to_db_time(checked.opens_at)),
                    consultations::closes_at.eq(to_db_time(checked.closes_at)),
                    consultations::updated_at.eq(to_db_time(now)),
                ))
                .execute(conn)?;
            (id, ImportOutcome::Updated)
        }
        None => {
            diesel::insert_into(consultations::table)
                .values((
                    consultations::slug.eq(&checked.slug),
                    consultations::definition.eq(&definition),
                    consultations::opens_at.eq(to_db_time(checked.opens_at)),
                    consultations::closes_at.eq(to_db_time(checked.closes_at)),
                    consultations::created_at.eq(to_db_time(now)),
                    consultations::updated_at.eq(to_db_time(now)),
                ))
                .execute(conn)?;
            let id = consultations::table
                .filter(consultations::slug.eq(&checked.slug))
                .select(consultations::id)
                .first(conn)?;
            (id, ImportOutcome::Created)
        }
    };
    sync_drafts(conn, id, &checked)?;
    Ok(outcome)
}

fn sync_drafts(conn: &mut DbConnection, consultation_id: i64, c: &Consultation) -> Result<(), DbError> {
    let stored: Vec<(i64, String)> = drafts::table
        .filter(drafts::consultation_id.eq(consultation_id))
        .select((drafts::id, drafts::code))
        .load(conn)?;
    for (draft_id, code) in &stored {
        if c.draft(code).is_some() {
            continue;
        }
        let used: i64 = opinions::table.filter(opinions::draft_id.eq(draft_id)).count().get_result(conn)?;
        if used > 0 {
            return Err(DbError::Corrupt(format!(
                "draft '{code}' has {used} opinions and cannot be removed from consultation '{}'",
                c.slug
            )));
        }
        diesel::delete(drafts::table.find(draft_id)).execute(conn)?;
    }
    for (position, draft) in c.drafts.iter().enumerate() {
        let values = (
            drafts::parent_code.eq(draft.parent.as_deref()),
            drafts::position.eq(position as i32),
            drafts::title_ja.eq(draft.title.exact(Locale::Ja)),
            drafts::title_en.eq(draft.title.exact(Locale::En)),
        );
        match stored.iter().find(|(_, code)| code == &draft.code) {
            Some((draft_id, _)) => {
                diesel::update(drafts::table.find(draft_id)).set(values).execute(conn)?;
            }
            None => {
                diesel::insert_into(drafts::table)
                    .values((drafts::consultation_id.eq(consultation_id), drafts::code.eq(&draft.code), values))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

fn with_drafts(conn: &mut DbConnection, row: ConsultationRow) -> Result<StoredConsultation, DbError> {
    let consultation = parse_definition(&row.definition)?;
    let draft_ids = drafts::table
        .filter(drafts::consultation_id.eq(row.id))
        .select((drafts::code, drafts::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(StoredConsultation { id: row.id, consultation, draft_ids, created_at: from_db_time(row.created_at) })
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Option<StoredConsultation>, DbError> {
    let row: Option<ConsultationRow> = consultations::table
        .filter(consultations::slug.eq(slug))
        .select((consultations::id, consultations::definition, consultations::created_at))
        .first(conn)
        .optional()?;
    row.map(|r| with_drafts(conn, r)).transpose()
}

/// All consultations, the most recently opened first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Consultation>, DbError> {
    let rows: Vec<String> =
        consultations::table.order(consultations::opens_at.desc()).select(consultations::definition).load(conn)?;
    rows.iter().map(|d| parse_definition(d)).collect()
}

/// All consultations with their ids, for pages that show rows of several.
pub fn list_with_ids(conn: &mut DbConnection) -> Result<Vec<(i64, Consultation)>, DbError> {
    let rows: Vec<(i64, String)> = consultations::table
        .order(consultations::opens_at.desc())
        .select((consultations::id, consultations::definition))
        .load(conn)?;
    rows.into_iter().map(|(id, d)| Ok((id, parse_definition(&d)?))).collect()
}

/// The slug of a consultation by its id.
pub fn slug_of(conn: &mut DbConnection, id: i64) -> Result<Option<String>, DbError> {
    Ok(consultations::table.find(id).select(consultations::slug).first(conn).optional()?)
}
