//! Staff accounts, their server-side sessions and the record of sign-in attempts.
use super::schema::{sign_in_attempts, staff_sessions, staff_users};
use super::{from_db_time, to_db_time, DbConnection, DbError};
use crate::domain::staff::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
}

type UserRow = (i64, String, String, String, bool);

fn user(row: UserRow) -> Result<StaffUser, DbError> {
    let (id, username, display_name, role, disabled) = row;
    Ok(StaffUser { id, username, display_name, role: role.parse().map_err(DbError::Corrupt)?, disabled })
}

fn user_columns(
) -> (staff_users::id, staff_users::username, staff_users::display_name, staff_users::role, staff_users::disabled) {
    (staff_users::id, staff_users::username, staff_users::display_name, staff_users::role, staff_users::disabled)
}

pub fn create(
    conn: &mut DbConnection,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<StaffUser, DbError> {
    diesel::insert_into(staff_users::table)
        .values((
            staff_users::username.eq(username),
            staff_users::display_name.eq(display_name),
            staff_users::password_hash.eq(password_hash),
            staff_users::role.eq(role.as_str()),
            staff_users::disabled.eq(false),
            staff_users::created_at.eq(to_db_time(now)),
            staff_users::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    find_by_username(conn, username)?.ok_or_else(|| DbError::Corrupt("new user not found".into()))
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<Option<StaffUser>, DbError> {
    let row: Option<UserRow> =
        staff_users::table.filter(staff_users::username.eq(username)).select(user_columns()).first(conn).optional()?;
    row.map(user).transpose()
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<StaffUser>, DbError> {
    let row: Option<UserRow> = staff_users::table.find(id).select(user_columns()).first(conn).optional()?;
    row.map(user).transpose()
}

pub fn password_hash(conn: &mut DbConnection, id: i64) -> Result<String, DbError> {
    Ok(staff_users::table.find(id).select(staff_users::password_hash).first(conn)?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<StaffUser>, DbError> {
    let rows: Vec<UserRow> = staff_users::table.order(staff_users::username.asc()).select(user_columns()).load(conn)?;
    rows.into_iter().map(user).collect()
}

pub fn set_role(conn: &mut DbConnection, id: i64, role: Role, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(id))
        .set((staff_users::role.eq(role.as_str()), staff_users::updated_at.eq(to_db_time(now))))
        .execute(conn)?;
    Ok(())
}

/// Disabling also ends every session of the account at once.
pub fn set_disabled(conn: &mut DbConnection, id: i64, disabled: bool, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(id))
        .set((staff_users::disabled.eq(disabled), staff_users::updated_at.eq(to_db_time(now))))
        .execute(conn)?;
    if disabled {
        end_sessions_of(conn, id, now)?;
    }
    Ok(())
}

pub fn end_sessions_of(conn: &mut DbConnection, user_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(
        staff_sessions::table.filter(staff_sessions::user_id.eq(user_id)).filter(staff_sessions::ended_at.is_null()),
    )
    .set(staff_sessions::ended_at.eq(Some(to_db_time(now))))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of the account but `keep` (the one changing its own password).
pub fn end_sessions_except(
    conn: &mut DbConnection,
    user_id: i64,
    keep: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(
        staff_sessions::table
            .filter(staff_sessions::user_id.eq(user_id))
            .filter(staff_sessions::id.ne(keep))
            .filter(staff_sessions::ended_at.is_null()),
    )
    .set(staff_sessions::ended_at.eq(Some(to_db_time(now))))
    .execute(conn)?;
    Ok(())
}

pub fn start_session(
    conn: &mut DbConnection,
    user_id: i64,
    token_hash: &str,
    csrf: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::token_hash.eq(token_hash),
            staff_sessions::user_id.eq(user_id),
            staff_sessions::csrf_token.eq(csrf),
            staff_sessions::created_at.eq(to_db_time(now)),
            staff_sessions::last_seen_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub user: StaffUser,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The open session for a token hash, with its user.
pub fn find_session(conn: &mut DbConnection, token_hash: &str) -> Result<Option<SessionRow>, DbError> {
    let row: Option<(i64, i64, String, chrono::NaiveDateTime, chrono::NaiveDateTime)> = staff_sessions::table
        .filter(staff_sessions::token_hash.eq(token_hash))
        .filter(staff_sessions::ended_at.is_null())
        .select((
            staff_sessions::id,
            staff_sessions::user_id,
            staff_sessions::csrf_token,
            staff_sessions::created_at,
            staff_sessions::last_seen_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, user_id, csrf_token, created_at, last_seen_at)) = row else {
        return Ok(None);
    };
    let Some(user) = find(conn, user_id)? else {
        return Ok(None);
    };
    Ok(Some(SessionRow {
        id,
        user,
        csrf_token,
        created_at: from_db_time(created_at),
        last_seen_at: from_db_time(last_seen_at),
    }))
}

pub fn touch_session(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::last_seen_at.eq(to_db_time(now)))
        .execute(conn)?;
    Ok(())
}

pub fn end_session(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::ended_at.eq(Some(to_db_time(now))))
        .execute(conn)?;
    Ok(())
}

pub fn record_attempt(
    conn: &mut DbConnection,
    username: &str,
    client: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(sign_in_attempts::table)
        .values((
            sign_in_attempts::username.eq(username),
            sign_in_attempts::client.eq(client),
            sign_in_attempts::at.eq(to_db_time(now)),
            sign_in_attempts::succeeded.eq(succeeded),
        ))
        .execute(conn)?;
    Ok(())
}

/// Failed attempts since `since` for an account and for a client address.
pub fn recent_failures(
    conn: &mut DbConnection,
    username: &str,
    client: &str,
    account_since: DateTime<Utc>,
    client_since: DateTime<Utc>,
) -> Result<(i64, i64), DbError> {
    let account = sign_in_attempts::table
        .filter(sign_in_attempts::username.eq(username))
        .filter(sign_in_attempts::succeeded.eq(false))
        .filter(sign_in_attempts::at.ge(to_db_time(account_since)))
        .count()
        .get_result(conn)?;
    let by_client = sign_in_attempts::table
        .filter(sign_in_attempts::client.eq(client))
        .filter(sign_in_attempts::succeeded.eq(false))
        .filter(sign_in_attempts::at.ge(to_db_time(client_since)))
        .count()
        .get_result(conn)?;
    Ok((account, by_client))
}
