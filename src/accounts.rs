//! Staff account changes made from the command line, with the same rules and audit records as
//! the staff pages.
use crate::clock::Clock;
use crate::db::audit::{self, Actor, Entry};
use crate::db::staff::{self as staff_db, StaffUser};
use crate::db::Db;
use crate::domain::staff::{check_new_password, valid_username, Role};
use crate::password;
use serde_json::json;

fn cli_actor() -> Actor {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor { id: None, name: format!("cli:{who}"), client: "command line".into() }
}

pub fn add(
    db: &Db,
    username: &str,
    display_name: Option<&str>,
    role: Role,
    password: &str,
    clock: &dyn Clock,
) -> Result<StaffUser, String> {
    let username = username.trim().to_lowercase();
    if !valid_username(&username) {
        return Err("user name: use 2 to 64 lower-case letters, digits, '.', '_' or '-'".into());
    }
    check_new_password(password, &username).map_err(|p| format!("password: {}", p.message()))?;
    let hash = password::hash(password)?;
    let display = display_name.map(str::trim).filter(|d| !d.is_empty()).unwrap_or(&username).to_string();
    let now = clock.now();
    let actor = cli_actor();
    db.write_blocking(|c| {
        let user = staff_db::create(c, &username, &display, role, &hash, now)?;
        let after = json!({"username": username, "display_name": display, "role": role.as_str()});
        audit::record(
            c,
            &actor,
            Entry {
                action: "user_create",
                object_type: "staff_user",
                object_id: &username,
                before: None,
                after: Some(after),
            },
            now,
        )?;
        Ok(user)
    })
    .map_err(|e| if e.is_unique_violation() { format!("user '{username}' already exists") } else { e.to_string() })
}

pub enum Change {
    Disable,
    Enable,
    Role(Role),
}

pub fn change(db: &Db, username: &str, change: Change, clock: &dyn Clock) -> Result<(), String> {
    let now = clock.now();
    let actor = cli_actor();
    db.write_blocking(|c| {
        let Some(user) = staff_db::find_by_username(c, username)? else {
            return Ok(false);
        };
        let before = json!({"role": user.role.as_str(), "disabled": user.disabled});
        let action = match change {
            Change::Disable => {
                staff_db::set_disabled(c, user.id, true, now)?;
                "user_disable"
            }
            Change::Enable => {
                staff_db::set_disabled(c, user.id, false, now)?;
                "user_enable"
            }
            Change::Role(role) => {
                staff_db::set_role(c, user.id, role, now)?;
                "user_role"
            }
        };
        let after = staff_db::find(c, user.id)?.map(|u| json!({"role": u.role.as_str(), "disabled": u.disabled}));
        audit::record(
            c,
            &actor,
            Entry { action, object_type: "staff_user", object_id: username, before: Some(before), after },
            now,
        )?;
        Ok(true)
    })
    .map_err(|e| e.to_string())?
    .then_some(())
    .ok_or_else(|| format!("no user '{username}'"))
}
