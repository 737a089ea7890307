//! The append-only audit log. Written in the same transaction as the change it records; the
//! database itself refuses UPDATE and DELETE on it (triggers in the migrations).
use super::schema::audit_log;
use super::{from_db_time, to_db_time, DbConnection, DbError, MultiBackend};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

/// Who did something, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub client: String,
}

pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub fn record(conn: &mut DbConnection, actor: &Actor, entry: Entry<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(to_db_time(now)),
            audit_log::actor_id.eq(actor.id),
            audit_log::actor.eq(&actor.name),
            audit_log::action.eq(entry.action),
            audit_log::object_type.eq(entry.object_type),
            audit_log::object_id.eq(entry.object_id),
            audit_log::before.eq(entry.before.map(|v| v.to_string())),
            audit_log::after.eq(entry.after.map(|v| v.to_string())),
            audit_log::client.eq(&actor.client),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable)]
pub struct Record {
    pub id: i64,
    pub at: chrono::NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub client: String,
}

impl Record {
    pub fn at_utc(&self) -> DateTime<Utc> {
        from_db_time(self.at)
    }
}

/// Newest first; `limit` rows at most.
pub fn search(conn: &mut DbConnection, filter: &Filter, limit: i64) -> Result<Vec<Record>, DbError> {
    let mut query = audit_log::table.into_boxed::<MultiBackend>();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(object) = &filter.object_id {
        query = query.filter(audit_log::object_id.eq(object.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from.and_hms_opt(0, 0, 0).expect("midnight")));
    }
    if let Some(to) = filter.to {
        let next = to.succ_opt().unwrap_or(to).and_hms_opt(0, 0, 0).expect("midnight");
        query = query.filter(audit_log::at.lt(next));
    }
    Ok(query
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::object_type,
            audit_log::object_id,
            audit_log::before,
            audit_log::after,
            audit_log::client,
        ))
        .load(conn)?)
}
