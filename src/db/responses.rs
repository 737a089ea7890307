//! Response items: the body's answer to a group of opinions, per draft, in both languages.
use super::schema::{opinions, response_items};
use super::{to_db_time, DbConnection, DbError};
use crate::domain::response::{ItemHands, ItemStatus, ItemText};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct Item {
    pub id: i64,
    pub consultation_id: i64,
    pub draft_id: Option<i64>,
    pub position: i32,
    pub summary_ja: String,
    pub summary_en: String,
    pub view_ja: String,
    pub view_en: String,
    pub changed: bool,
    pub change_ja: String,
    pub change_en: String,
    pub status: ItemStatus,
    pub approved_by: Option<i64>,
    pub created_by: Option<i64>,
    pub edited_by: Option<i64>,
}

impl Item {
    pub fn hands(&self) -> ItemHands {
        ItemHands { created_by: self.created_by, edited_by: self.edited_by }
    }

    pub fn approved(&self) -> bool {
        self.status == ItemStatus::Approved
    }

    pub fn text(&self) -> ItemText {
        ItemText {
            summary_ja: self.summary_ja.clone(),
            summary_en: self.summary_en.clone(),
            view_ja: self.view_ja.clone(),
            view_en: self.view_en.clone(),
            changed: self.changed,
            change_ja: self.change_ja.clone(),
            change_en: self.change_en.clone(),
        }
    }
}

type ItemColumns = (
    (response_items::id, response_items::consultation_id, response_items::draft_id, response_items::position),
    (response_items::summary_ja, response_items::summary_en, response_items::view_ja, response_items::view_en),
    (response_items::changed, response_items::change_ja, response_items::change_en),
    (response_items::status, response_items::approved_by, response_items::created_by, response_items::edited_by),
);

fn columns() -> ItemColumns {
    (
        (response_items::id, response_items::consultation_id, response_items::draft_id, response_items::position),
        (response_items::summary_ja, response_items::summary_en, response_items::view_ja, response_items::view_en),
        (response_items::changed, response_items::change_ja, response_items::change_en),
        (response_items::status, response_items::approved_by, response_items::created_by, response_items::edited_by),
    )
}

type ItemRow = (
    (i64, i64, Option<i64>, i32),
    (String, String, String, String),
    (bool, String, String),
    (String, Option<i64>, Option<i64>, Option<i64>),
);

fn item(r: ItemRow) -> Result<Item, DbError> {
    let (
        (id, consultation_id, draft_id, position),
        (summary_ja, summary_en, view_ja, view_en),
        (changed, change_ja, change_en),
        (status, approved_by, created_by, edited_by),
    ) = r;
    Ok(Item {
        id,
        consultation_id,
        draft_id,
        position,
        summary_ja,
        summary_en,
        view_ja,
        view_en,
        changed,
        change_ja,
        change_en,
        status: status.parse().map_err(DbError::Corrupt)?,
        approved_by,
        created_by,
        edited_by,
    })
}

pub fn create(
    conn: &mut DbConnection,
    consultation_id: i64,
    draft_id: Option<i64>,
    text: &ItemText,
    by: i64,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut q = response_items::table
        .filter(response_items::consultation_id.eq(consultation_id))
        .select(diesel::dsl::max(response_items::position))
        .into_boxed::<super::MultiBackend>();
    q = match draft_id {
        Some(d) => q.filter(response_items::draft_id.eq(d)),
        None => q.filter(response_items::draft_id.is_null()),
    };
    let last: Option<i32> = q.first(conn)?;
    diesel::insert_into(response_items::table)
        .values((
            response_items::consultation_id.eq(consultation_id),
            response_items::draft_id.eq(draft_id),
            response_items::position.eq(last.unwrap_or(0) + 1),
            response_items::summary_ja.eq(&text.summary_ja),
            response_items::summary_en.eq(&text.summary_en),
            response_items::view_ja.eq(&text.view_ja),
            response_items::view_en.eq(&text.view_en),
            response_items::changed.eq(text.changed),
            response_items::change_ja.eq(&text.change_ja),
            response_items::change_en.eq(&text.change_en),
            response_items::status.eq(ItemStatus::Draft.as_str()),
            response_items::created_by.eq(Some(by)),
            response_items::created_at.eq(to_db_time(now)),
            response_items::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(response_items::table
        .filter(response_items::consultation_id.eq(consultation_id))
        .order(response_items::id.desc())
        .select(response_items::id)
        .first(conn)?)
}

/// Saves new text by `by`; an approved item that is edited goes back to draft.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    text: &ItemText,
    position: i32,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(response_items::table.find(id))
        .set((
            response_items::summary_ja.eq(&text.summary_ja),
            response_items::summary_en.eq(&text.summary_en),
            response_items::view_ja.eq(&text.view_ja),
            response_items::view_en.eq(&text.view_en),
            response_items::changed.eq(text.changed),
            response_items::change_ja.eq(&text.change_ja),
            response_items::change_en.eq(&text.change_en),
            response_items::position.eq(position),
            response_items::status.eq(ItemStatus::Draft.as_str()),
            response_items::approved_by.eq(None::<i64>),
            response_items::approved_at.eq(None::<chrono::NaiveDateTime>),
            response_items::edited_by.eq(Some(by)),
            response_items::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn approve(conn: &mut DbConnection, id: i64, by: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(response_items::table.find(id))
        .set((
            response_items::status.eq(ItemStatus::Approved.as_str()),
            response_items::approved_by.eq(Some(by)),
            response_items::approved_at.eq(Some(to_db_time(now))),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<Item>, DbError> {
    let row: Option<ItemRow> = response_items::table.find(id).select(columns()).first(conn).optional()?;
    row.map(item).transpose()
}

/// Items of a consultation in publication order: by draft, then position.
pub fn list(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<Item>, DbError> {
    let rows: Vec<ItemRow> = response_items::table
        .filter(response_items::consultation_id.eq(consultation_id))
        .order((response_items::draft_id.asc(), response_items::position.asc(), response_items::id.asc()))
        .select(columns())
        .load(conn)?;
    rows.into_iter().map(item).collect()
}

/// How many opinions each item answers.
pub fn linked_counts(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<(i64, i64)>, DbError> {
    let items: Vec<i64> = response_items::table
        .filter(response_items::consultation_id.eq(consultation_id))
        .select(response_items::id)
        .load(conn)?;
    let rows: Vec<(Option<i64>, i64)> = opinions::table
        .filter(opinions::response_item_id.eq_any(items))
        .group_by(opinions::response_item_id)
        .select((opinions::response_item_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, n)| id.map(|id| (id, n))).collect())
}
