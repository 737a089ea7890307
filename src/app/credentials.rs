//! Passwords and second factors of staff accounts: changing one's own password, reset links
//! from an administrator, enrolling in two-factor sign-in and checking a code at sign-in.
//! Every change is audited and ends the sessions it should. Hashing is slow on purpose: call
//! these off the async threads.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::credentials as cred;
use crate::db::staff as staff_db;
use crate::db::{Db, DbError};
use crate::domain::password_reset::{self, ResetProblem};
use crate::domain::staff::{check_new_password, PasswordProblem};
use crate::domain::two_factor::{self, accept_code, Proof, TotpSecret};
use crate::password::{self, random_token, token_hash};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRefusal {
    /// The current password given is wrong.
    CurrentPassword,
    Password(PasswordProblem),
    /// The new password and its confirmation differ.
    Mismatch,
    Reset(ResetProblem),
    /// The code from the app is not right (or was already used).
    Code,
}

fn hashed(new_password: &str, username: &str) -> OpResult<String, CredentialRefusal> {
    check_new_password(new_password, username).map_err(|p| OpError::Refused(CredentialRefusal::Password(p)))?;
    password::hash(new_password).map_err(|e| OpError::Db(DbError::Corrupt(e)))
}

/// A staff member changes their own password; their other sessions end.
pub fn change_password(
    db: &Db,
    actor: &Actor,
    session_id: i64,
    current: &str,
    new: &str,
    confirmation: &str,
    now: DateTime<Utc>,
) -> OpResult<(), CredentialRefusal> {
    let user_id = actor.id.ok_or(OpError::NotFound)?;
    let (user, stored) = db.run_blocking(|c| {
        let user = staff_db::find(c, user_id)?.ok_or_else(|| DbError::Corrupt("no such account".into()))?;
        Ok((user, staff_db::password_hash(c, user_id)?))
    })?;
    if !password::verify(current, Some(&stored)) {
        return Err(OpError::Refused(CredentialRefusal::CurrentPassword));
    }
    if new != confirmation {
        return Err(OpError::Refused(CredentialRefusal::Mismatch));
    }
    let hash = hashed(new, &user.username)?;
    db.audited_blocking(actor, now, |c| {
        cred::set_password(c, user_id, &hash, now)?;
        crate::db::staff::end_sessions_except(c, user_id, session_id, now)?;
        Ok(((), vec![Entry::new(Action::PasswordChange, Object::StaffUser(user.username.clone()))]))
    })?;
    Ok(())
}

/// An administrator issues a one-time reset link for `user_id`: the token to put in the link
/// (shown once, kept only as a hash). The account's sessions end at once.
pub fn issue_reset(db: &Db, actor: &Actor, user_id: i64, now: DateTime<Utc>) -> OpResult<String, CredentialRefusal> {
    let token = random_token(32);
    let hash = token_hash(&token);
    let expires = now + password_reset::lifetime();
    db.audited_blocking(actor, now, |c| {
        let Some(user) = staff_db::find(c, user_id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        cred::create_reset(c, user_id, &hash, actor.id, now, expires)?;
        staff_db::end_sessions_of(c, user_id, now)?;
        let entry = Entry::new(Action::PasswordResetIssue, Object::StaffUser(user.username))
            .after(json!({"expires_at": expires.to_rfc3339()}));
        Ok((Ok(token), vec![entry]))
    })?
}

/// Whether a reset link works now, and for whom.
pub fn check_reset(db: &Db, token: &str, now: DateTime<Utc>) -> OpResult<String, CredentialRefusal> {
    let reset = db.run_blocking(|c| cred::find_reset(c, &token_hash(token)))?;
    let reset = reset.ok_or(OpError::Refused(CredentialRefusal::Reset(ResetProblem::Unknown)))?;
    password_reset::usable(reset.expires_at, reset.used_at, now)
        .map_err(|p| OpError::Refused(CredentialRefusal::Reset(p)))?;
    let user = db.run_blocking(|c| staff_db::find(c, reset.user_id))?.ok_or(OpError::NotFound)?;
    Ok(user.username)
}

/// Sets a new password through a reset link, once; every session of the account ends.
pub fn reset_password(
    db: &Db,
    token: &str,
    new: &str,
    confirmation: &str,
    client: &str,
    now: DateTime<Utc>,
) -> OpResult<(), CredentialRefusal> {
    let username = check_reset(db, token, now)?;
    if new != confirmation {
        return Err(OpError::Refused(CredentialRefusal::Mismatch));
    }
    let hash = hashed(new, &username)?;
    let reset = db.run_blocking(|c| cred::find_reset(c, &token_hash(token)))?.ok_or(OpError::NotFound)?;
    let actor = Actor { id: Some(reset.user_id), name: username.clone(), client: client.to_string() };
    db.audited_blocking(&actor, now, |c| {
        if !cred::use_reset(c, reset.id, now)? {
            return Ok((Err(OpError::Refused(CredentialRefusal::Reset(ResetProblem::Used))), vec![]));
        }
        cred::set_password(c, reset.user_id, &hash, now)?;
        staff_db::end_sessions_of(c, reset.user_id, now)?;
        Ok((Ok(()), vec![Entry::new(Action::PasswordReset, Object::StaffUser(username.clone()))]))
    })?
}

/// The secret being enrolled (the same one while the page is reloaded), or `None` when the
/// account already has two-factor sign-in.
pub fn begin_enrolment(db: &Db, user_id: i64) -> Result<Option<TotpSecret>, DbError> {
    db.write_blocking(|c| {
        let state = cred::two_factor(c, user_id)?;
        if state.secret.is_some() {
            return Ok(None);
        }
        if let Some(pending) = state.pending.as_deref().and_then(TotpSecret::parse) {
            return Ok(Some(pending));
        }
        let bytes: Vec<u8> = (0..two_factor::SECRET_BYTES).map(|_| rand::rng().random()).collect();
        let secret = TotpSecret::from_bytes(bytes).expect("twenty bytes make a secret");
        cred::set_pending(c, user_id, &secret.encoded())?;
        Ok(Some(secret))
    })
}

/// Confirms enrolment with a code from the app; returns the recovery codes, shown once.
pub fn confirm_enrolment(
    db: &Db,
    actor: &Actor,
    code: &str,
    now: DateTime<Utc>,
) -> OpResult<Vec<String>, CredentialRefusal> {
    let user_id = actor.id.ok_or(OpError::NotFound)?;
    let state = db.run_blocking(|c| cred::two_factor(c, user_id))?;
    let secret = state.pending.as_deref().and_then(TotpSecret::parse).ok_or(OpError::NotFound)?;
    let step = accept_code(&secret, code, now, None).ok_or(OpError::Refused(CredentialRefusal::Code))?;
    let mut rng = rand::rng();
    let codes: Vec<String> =
        (0..two_factor::RECOVERY_CODES).map(|_| two_factor::recovery_code(&mut |n| rng.random_range(0..n))).collect();
    let hashes: Vec<String> = codes.iter().map(|c| token_hash(&c.replace('-', ""))).collect();
    db.audited_blocking(actor, now, |c| {
        cred::enable(c, user_id, &secret.encoded(), step, &hashes)?;
        Ok(((), vec![Entry::new(Action::TwoFactorEnable, Object::StaffUser(actor.name.clone()))]))
    })?;
    Ok(codes)
}

/// At sign-in, after the password: whether the account has two-factor sign-in, and whether
/// what was typed proves it (`None` when nothing was typed). A code or recovery code is used
/// up by being accepted.
pub fn check_second_factor(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<(bool, Option<bool>), DbError> {
    let state = db.run_blocking(|c| cred::two_factor(c, user_id))?;
    let Some(secret) = state.secret.as_deref().and_then(TotpSecret::parse) else {
        return Ok((false, None));
    };
    let ok = match Proof::parse(typed) {
        Proof::None => return Ok((true, None)),
        Proof::Code(code) => match accept_code(&secret, &code, now, state.last_step) {
            Some(step) => db.write_blocking(|c| cred::use_step(c, user_id, step))?,
            None => false,
        },
        Proof::Recovery(code) => db.audited_blocking(actor, now, |c| {
            let used = cred::use_recovery_code(c, user_id, &token_hash(&code), now)?;
            let left = cred::recovery_codes_left(c, user_id)?;
            let entries = match used {
                true => vec![Entry::new(Action::TwoFactorRecoveryUse, Object::StaffUser(actor.name.clone()))
                    .after(json!({"recovery_codes_left": left}))],
                false => vec![],
            };
            Ok((used, entries))
        })?,
    };
    Ok((true, Some(ok)))
}

/// An administrator removes an account's two-factor sign-in (a lost phone); its sessions end.
pub fn remove_two_factor(db: &Db, actor: &Actor, user_id: i64, now: DateTime<Utc>) -> OpResult<(), CredentialRefusal> {
    db.audited_blocking(actor, now, |c| {
        let Some(user) = staff_db::find(c, user_id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        cred::remove(c, user_id)?;
        staff_db::end_sessions_of(c, user_id, now)?;
        Ok((Ok(()), vec![Entry::new(Action::TwoFactorRemove, Object::StaffUser(user.username))]))
    })?
}
