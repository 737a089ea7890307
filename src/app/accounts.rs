//! Staff accounts: created and changed from the staff pages and the command line alike, with
//! the same rules and audit records. Password hashing is slow on purpose: call these off the
//! async threads.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::staff::{self as staff_db, StaffUser};
use crate::db::Db;
use crate::domain::staff::{check_new_password, AccountNames, NameProblem, PasswordProblem, Role};
use crate::password;
use chrono::{DateTime, Utc};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRefusal {
    /// 2 to 64 lower-case letters, digits, '.', '_' or '-'.
    Username,
    /// 1 to 100 characters.
    DisplayName,
    Password(PasswordProblem),
    Taken(String),
    /// Administrators cannot disable or demote themselves by accident.
    OwnAccount,
}

/// The person running the command line, for the audit log.
pub fn cli_actor() -> Actor {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor { id: None, name: format!("cli:{who}"), client: "command line".into() }
}

/// Creates an account after checking the name and the password.
pub fn add(
    db: &Db,
    actor: &Actor,
    username: &str,
    display_name: Option<&str>,
    role: Role,
    password: &str,
    now: DateTime<Utc>,
) -> OpResult<StaffUser, AccountRefusal> {
    let AccountNames { username, display_name: display } =
        AccountNames::parse(username, display_name).map_err(|p| {
            OpError::Refused(match p {
                NameProblem::Username => AccountRefusal::Username,
                NameProblem::DisplayName => AccountRefusal::DisplayName,
            })
        })?;
    check_new_password(password, &username).map_err(|p| OpError::Refused(AccountRefusal::Password(p)))?;
    let hash = password::hash(password).map_err(|e| OpError::Db(crate::db::DbError::Corrupt(e)))?;
    db.audited_blocking(actor, now, |c| {
        let user = staff_db::create(c, &username, &display, role, &hash, now)?;
        let entry = Entry::new(Action::UserCreate, Object::StaffUser(username.clone()))
            .after(json!({"username": username, "display_name": display, "role": role.as_str()}));
        Ok((user, vec![entry]))
    })
    .map_err(|e| {
        if e.is_unique_violation() {
            OpError::Refused(AccountRefusal::Taken(username.clone()))
        } else {
            OpError::Db(e)
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Disable,
    Enable,
    Role(Role),
}

/// Which account: by id from the staff pages, by name from the command line.
#[derive(Debug, Clone)]
pub enum Account {
    Id(i64),
    Username(String),
}

/// Disables (ending its sessions), enables or changes the role of an account.
pub fn change(
    db: &Db,
    actor: &Actor,
    account: Account,
    change: Change,
    now: DateTime<Utc>,
) -> OpResult<(), AccountRefusal> {
    db.audited_blocking(actor, now, |c| {
        let user = match &account {
            Account::Id(id) => staff_db::find(c, *id)?,
            Account::Username(name) => staff_db::find_by_username(c, name)?,
        };
        let Some(user) = user else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        if actor.id == Some(user.id) && change != Change::Enable {
            return Ok((Err(OpError::Refused(AccountRefusal::OwnAccount)), vec![]));
        }
        let before = json!({"role": user.role.as_str(), "disabled": user.disabled});
        let action = match change {
            Change::Disable => {
                staff_db::set_disabled(c, user.id, true, now)?;
                Action::UserDisable
            }
            Change::Enable => {
                staff_db::set_disabled(c, user.id, false, now)?;
                Action::UserEnable
            }
            Change::Role(role) => {
                staff_db::set_role(c, user.id, role, now)?;
                Action::UserRole
            }
        };
        let after = staff_db::find(c, user.id)?.map(|u| json!({"role": u.role.as_str(), "disabled": u.disabled}));
        let mut entry = Entry::new(action, Object::StaffUser(user.username)).before(before);
        entry.after = after;
        Ok((Ok(()), vec![entry]))
    })?
}
