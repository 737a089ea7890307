//! Staff accounts for administrators: list, add, change role, disable and enable. Every change
//! is audited; disabling an account ends its sessions at once.
use super::{checked_form, require, role_label, Staff, StaffNav};
use crate::db::audit::{self, Entry};
use crate::db::staff::{self as staff_db, StaffUser};
use crate::domain::staff::{check_new_password, valid_username, PasswordProblem, Permission, Role};
use crate::i18n::Tr;
use crate::password;
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::{render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::json;

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub disabled: bool,
    pub is_self: bool,
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    page: PageContext,
    nav: StaffNav,
    users: Vec<UserRow>,
    roles: Vec<RoleOption>,
    message: String,
    new_username: String,
    new_display_name: String,
}

async fn render_list(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    message: String,
    new_username: String,
    new_display_name: String,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let all = state.db.run(staff_db::list).await.page(locale)?;
    let page = UsersPage {
        page: PageContext::new(locale, Tr::new(locale).t("users_heading").into(), "/staff/users".into()),
        nav: staff.nav(locale),
        users: all
            .into_iter()
            .map(|u: StaffUser| UserRow {
                is_self: u.id == staff.user.id,
                id: u.id,
                role_label: role_label(locale, u.role),
                role: u.role,
                username: u.username,
                display_name: u.display_name,
                disabled: u.disabled,
            })
            .collect(),
        roles: Role::ALL.into_iter().map(|r| RoleOption { value: r.as_str(), label: role_label(locale, r) }).collect(),
        message,
        new_username,
        new_display_name,
    };
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(render(&page).page(locale)?))
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    render_list(&req, &state, &staff, StatusCode::OK, String::new(), String::new(), String::new()).await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (username, display_name) = (get("username").to_lowercase(), get("display_name"));
    let password = f.get("password").cloned().unwrap_or_default();
    let t = Tr::new(locale);
    let problem = if !valid_username(&username) {
        Some(t.t("username_rule").to_string())
    } else if let Err(p) = check_new_password(&password, &username) {
        Some(
            t.t(match p {
                PasswordProblem::TooShort => "password_too_short",
                PasswordProblem::TooLong => "password_too_long",
                PasswordProblem::TooCommon => "password_too_common",
                PasswordProblem::SameAsUsername => "password_is_username",
            })
            .to_string(),
        )
    } else {
        get("role").parse::<Role>().err()
    };
    if let Some(message) = problem {
        return render_list(&req, &state, &staff, StatusCode::UNPROCESSABLE_ENTITY, message, username, display_name)
            .await;
    }
    let role: Role = get("role").parse().map_err(|e: String| AppError::html(locale, ErrorKind::BadRequest(e)))?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| AppError::html(locale, ErrorKind::Internal(e.to_string())))?
        .map_err(|e| AppError::html(locale, ErrorKind::Internal(e)))?;
    let now = state.clock.now();
    let actor = staff.actor();
    let (u, d) = (username.clone(), if display_name.is_empty() { username.clone() } else { display_name.clone() });
    let created = state
        .db
        .write(move |c| {
            let user = staff_db::create(c, &u, &d, role, &hash, now)?;
            let after = json!({"username": u, "display_name": d, "role": role.as_str()});
            audit::record(
                c,
                &actor,
                Entry {
                    action: "user_create",
                    object_type: "staff_user",
                    object_id: &u,
                    before: None,
                    after: Some(after),
                },
                now,
            )?;
            Ok(user)
        })
        .await;
    match created {
        Ok(_) => Ok(HttpResponse::SeeOther().insert_header(("Location", "/staff/users")).finish()),
        Err(e) if e.is_unique_violation() => {
            render_list(
                &req,
                &state,
                &staff,
                StatusCode::CONFLICT,
                format!("user name '{username}' is taken"),
                username,
                display_name,
            )
            .await
        }
        Err(e) => Err(AppError::html(locale, e.into())),
    }
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: i64,
    payload: web::Payload,
    what: Change,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    if id == staff.user.id && !matches!(what, Change::Enable) {
        // An administrator cannot lock themselves out by accident.
        return render_list(
            &req,
            &state,
            &staff,
            StatusCode::CONFLICT,
            Tr::new(locale).t("own_account").into(),
            String::new(),
            String::new(),
        )
        .await;
    }
    let role = match what {
        Change::Role => Some(
            f.get("role")
                .map(String::as_str)
                .unwrap_or("")
                .parse::<Role>()
                .map_err(|e| AppError::html(locale, ErrorKind::BadRequest(e)))?,
        ),
        _ => None,
    };
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |c| {
            let Some(user) = staff_db::find(c, id)? else {
                return Ok(false);
            };
            let before = json!({"role": user.role.as_str(), "disabled": user.disabled});
            let action = match (what, role) {
                (Change::Role, Some(r)) => {
                    staff_db::set_role(c, id, r, now)?;
                    "user_role"
                }
                (Change::Disable, _) => {
                    staff_db::set_disabled(c, id, true, now)?;
                    "user_disable"
                }
                _ => {
                    staff_db::set_disabled(c, id, false, now)?;
                    "user_enable"
                }
            };
            let after = staff_db::find(c, id)?.map(|u| json!({"role": u.role.as_str(), "disabled": u.disabled}));
            audit::record(
                c,
                &actor,
                Entry { action, object_type: "staff_user", object_id: &user.username, before: Some(before), after },
                now,
            )?;
            Ok(true)
        })
        .await
        .page(locale)?
        .then_some(())
        .ok_or(AppError::html(locale, ErrorKind::NotFound))?;
    Ok(HttpResponse::SeeOther().insert_header(("Location", "/staff/users")).finish())
}

#[derive(Clone, Copy)]
enum Change {
    Role,
    Disable,
    Enable,
}

pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    change(req, state, id.into_inner(), payload, Change::Role).await
}

pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    change(req, state, id.into_inner(), payload, Change::Disable).await
}

pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    change(req, state, id.into_inner(), payload, Change::Enable).await
}
