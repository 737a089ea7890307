//! What proves a staff member is who they say: password hashes, TOTP secrets with the last
//! step used, recovery codes and password-reset links (the last two only as hashes).
use super::schema::{staff_password_resets, staff_recovery_codes, staff_users};
use super::{from_db_time, to_db_time, DbConnection, DbError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// An account's two-factor sign-in: the confirmed secret, one being enrolled, the last step.
#[derive(Debug, Clone, Default)]
pub struct TwoFactor {
    pub secret: Option<String>,
    pub pending: Option<String>,
    pub last_step: Option<i64>,
}

pub fn two_factor(conn: &mut DbConnection, user_id: i64) -> Result<TwoFactor, DbError> {
    let (secret, pending, last_step) = staff_users::table
        .find(user_id)
        .select((staff_users::totp_secret, staff_users::totp_pending, staff_users::totp_last_step))
        .first(conn)?;
    Ok(TwoFactor { secret, pending, last_step })
}

pub fn set_pending(conn: &mut DbConnection, user_id: i64, encoded: &str) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(user_id)).set(staff_users::totp_pending.eq(Some(encoded))).execute(conn)?;
    Ok(())
}

/// Confirms enrolment: the pending secret becomes the secret, with fresh recovery codes.
pub fn enable(
    conn: &mut DbConnection,
    user_id: i64,
    encoded: &str,
    step: i64,
    recovery_hashes: &[String],
) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(user_id))
        .set((
            staff_users::totp_secret.eq(Some(encoded)),
            staff_users::totp_pending.eq(None::<String>),
            staff_users::totp_last_step.eq(Some(step)),
        ))
        .execute(conn)?;
    replace_recovery_codes(conn, user_id, recovery_hashes)
}

fn replace_recovery_codes(conn: &mut DbConnection, user_id: i64, hashes: &[String]) -> Result<(), DbError> {
    diesel::delete(staff_recovery_codes::table.filter(staff_recovery_codes::user_id.eq(user_id))).execute(conn)?;
    for hash in hashes {
        diesel::insert_into(staff_recovery_codes::table)
            .values((staff_recovery_codes::user_id.eq(user_id), staff_recovery_codes::code_hash.eq(hash)))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes two-factor sign-in (a lost phone); the account must enrol again if its role needs it.
pub fn remove(conn: &mut DbConnection, user_id: i64) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(user_id))
        .set((
            staff_users::totp_secret.eq(None::<String>),
            staff_users::totp_pending.eq(None::<String>),
            staff_users::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)?;
    replace_recovery_codes(conn, user_id, &[])
}

/// Records `step` as used; false when it (or a later one) already was, so a code works once
/// even when two sign-ins race.
pub fn use_step(conn: &mut DbConnection, user_id: i64, step: i64) -> Result<bool, DbError> {
    let changed = diesel::update(
        staff_users::table
            .find(user_id)
            .filter(staff_users::totp_last_step.is_null().or(staff_users::totp_last_step.lt(step))),
    )
    .set(staff_users::totp_last_step.eq(Some(step)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Uses up a recovery code; false when there is no such unused code.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        staff_recovery_codes::table
            .filter(staff_recovery_codes::user_id.eq(user_id))
            .filter(staff_recovery_codes::code_hash.eq(hash))
            .filter(staff_recovery_codes::used_at.is_null()),
    )
    .set(staff_recovery_codes::used_at.eq(Some(to_db_time(now))))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn recovery_codes_left(conn: &mut DbConnection, user_id: i64) -> Result<i64, DbError> {
    Ok(staff_recovery_codes::table
        .filter(staff_recovery_codes::user_id.eq(user_id))
        .filter(staff_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

pub fn set_password(conn: &mut DbConnection, user_id: i64, hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(user_id))
        .set((staff_users::password_hash.eq(hash), staff_users::updated_at.eq(to_db_time(now))))
        .execute(conn)?;
    Ok(())
}

pub fn create_reset(
    conn: &mut DbConnection,
    user_id: i64,
    token_hash: &str,
    by: Option<i64>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(staff_password_resets::table)
        .values((
            staff_password_resets::user_id.eq(user_id),
            staff_password_resets::token_hash.eq(token_hash),
            staff_password_resets::created_by.eq(by),
            staff_password_resets::created_at.eq(to_db_time(now)),
            staff_password_resets::expires_at.eq(to_db_time(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A reset link by its hash: id, account, expiry and when it was used.
pub struct Reset {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub fn find_reset(conn: &mut DbConnection, token_hash: &str) -> Result<Option<Reset>, DbError> {
    let row: Option<(i64, i64, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = staff_password_resets::table
        .filter(staff_password_resets::token_hash.eq(token_hash))
        .select((
            staff_password_resets::id,
            staff_password_resets::user_id,
            staff_password_resets::expires_at,
            staff_password_resets::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, user_id, expires, used)| Reset {
        id,
        user_id,
        expires_at: from_db_time(expires),
        used_at: used.map(from_db_time),
    }))
}

/// Marks a link used; false when it already was (two tabs, a double click).
pub fn use_reset(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let changed =
        diesel::update(staff_password_resets::table.find(id).filter(staff_password_resets::used_at.is_null()))
            .set(staff_password_resets::used_at.eq(Some(to_db_time(now))))
            .execute(conn)?;
    Ok(changed == 1)
}

/// Ids of the accounts with two-factor sign-in.
pub fn enrolled(conn: &mut DbConnection) -> Result<Vec<i64>, DbError> {
    Ok(staff_users::table.filter(staff_users::totp_secret.is_not_null()).select(staff_users::id).load(conn)?)
}
