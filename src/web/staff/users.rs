//! Staff accounts for administrators: list, add, change role, disable and enable. Every change
//! is audited; disabling an account ends its sessions at once.
use super::{checked_form, require, role_label, Staff, StaffNav};
use crate::app::accounts::{self, Account, AccountRefusal, Change};
use crate::db::staff::{self as staff_db, StaffUser};
use crate::domain::staff::{PasswordProblem, Permission, Role};
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::web::error::{AppError, ErrorKind, OrRefused, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{html_no_store, render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub disabled: bool,
    pub is_self: bool,
    pub two_factor: bool,
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
    let (all, enrolled) =
        state.db.run(|c| Ok((staff_db::list(c)?, crate::db::credentials::enrolled(c)?))).await.page(locale)?;
    let page = UsersPage {
        page: PageContext::new(locale, Tr::new(locale).t("users_heading").into(), "/staff/users".into()),
        nav: staff.nav(locale),
        users: all
            .into_iter()
            .map(|u: StaffUser| UserRow {
                is_self: u.id == staff.user.id,
                two_factor: enrolled.contains(&u.id),
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
    Ok(html_no_store(status, render(&page).page(locale)?))
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    render_list(&req, &state, &staff, StatusCode::OK, String::new(), String::new(), String::new()).await
}

fn refusal_message(locale: Locale, refusal: AccountRefusal) -> (StatusCode, String) {
    let t = Tr::new(locale);
    match refusal {
        AccountRefusal::Username => (StatusCode::UNPROCESSABLE_ENTITY, t.t("username_rule").into()),
        AccountRefusal::DisplayName => (StatusCode::UNPROCESSABLE_ENTITY, t.t("display_name_rule").into()),
        AccountRefusal::Password(p) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t(match p {
                PasswordProblem::TooShort => "password_too_short",
                PasswordProblem::TooLong => "password_too_long",
                PasswordProblem::TooCommon => "password_too_common",
                PasswordProblem::SameAsUsername => "password_is_username",
            })
            .into(),
        ),
        AccountRefusal::Taken(name) => (StatusCode::CONFLICT, format!("user name '{name}' is taken")),
        AccountRefusal::OwnAccount => (StatusCode::CONFLICT, t.t("own_account").into()),
    }
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
    let role = match get("role").parse::<Role>() {
        Ok(role) => role,
        Err(message) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_list(&req, &state, &staff, status, message, username, display_name).await;
        }
    };
    let (actor, now, u, d) = (staff.actor(), state.clock.now(), username.clone(), display_name.clone());
    let added =
        super::blocking_op(&state, move |db| accounts::add(db, &actor, &u, Some(&d), role, &password, now)).await;
    match added.refused_page(locale)? {
        Ok(_) => Ok(see_other("/staff/users")),
        Err(refusal) => {
            let (status, message) = refusal_message(locale, refusal);
            render_list(&req, &state, &staff, status, message, username, display_name).await
        }
    }
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: i64,
    payload: web::Payload,
    what: Option<Change>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    // `None`: a role change, with the role from the form.
    let what = match what {
        Some(what) => what,
        None => Change::Role(
            f.get("role")
                .map(String::as_str)
                .unwrap_or("")
                .parse::<Role>()
                .map_err(|e| AppError::html(locale, ErrorKind::BadRequest(e)))?,
        ),
    };
    let (actor, now) = (staff.actor(), state.clock.now());
    let changed = super::blocking_op(&state, move |db| accounts::change(db, &actor, Account::Id(id), what, now)).await;
    match changed.refused_page(locale)? {
        Ok(()) => Ok(see_other("/staff/users")),
        Err(refusal) => {
            let (status, message) = refusal_message(locale, refusal);
            render_list(&req, &state, &staff, status, message, String::new(), String::new()).await
        }
    }
}

pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    change(req, state, id.into_inner(), payload, None).await
}

pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    change(req, state, id.into_inner(), payload, Some(Change::Disable)).await
}

pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    change(req, state, id.into_inner(), payload, Some(Change::Enable)).await
}
