//! Password-reset links: an administrator issues one (shown once; the account's sessions
//! end), the person opens it without being signed in and sets a new password, once.
//! Administrators also remove two-factor sign-in from an account whose phone is lost.
use super::account::refusal_text;
use super::blocking_op;
use super::{checked_form, client_address, form_fields, require, StaffNav};
use crate::app::credentials;
use crate::domain::staff::Permission;
use crate::i18n::{self, Tr};
use crate::web::error::{AppError, OrRefused, OrRespond};
use crate::web::page::{html_no_store, render, see_other, PageContext};
use crate::web::security::form_cookie_value;
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "staff/reset_issued.html")]
struct IssuedPage {
    page: PageContext,
    nav: StaffNav,
    link: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "staff/reset.html")]
struct ResetPage {
    page: PageContext,
    token: String,
    form_token: String,
    username: String,
    message: String,
    done: bool,
    usable: bool,
}

pub async fn issue(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let (actor, now, id) = (staff.actor(), state.clock.now(), id.into_inner());
    let token = blocking_op(&state, move |db| credentials::issue_reset(db, &actor, id, now)).await;
    // Refusals cannot happen here: the account exists or the answer is 404.
    let Ok(token) = token.refused_page(locale)? else {
        return Ok(see_other("/staff/users"));
    };
    let expires = now + crate::domain::password_reset::lifetime();
    let page = IssuedPage {
        page: PageContext::new(locale, Tr::new(locale).t("reset_link_heading").into(), "/staff/users".into()),
        nav: staff.nav(locale),
        link: format!("{}/staff/reset/{token}", state.settings.public_base_url.trim_end_matches('/')),
        expires: i18n::datetime(locale, expires, chrono_tz::UTC),
    };
    Ok(html_no_store(StatusCode::OK, render(&page).page(locale)?))
}

pub async fn remove_two_factor(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ManageUsers).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let (actor, now, id) = (staff.actor(), state.clock.now(), id.into_inner());
    let removed = blocking_op(&state, move |db| credentials::remove_two_factor(db, &actor, id, now)).await;
    let _ = removed.refused_page(locale)?;
    Ok(see_other("/staff/users"))
}

fn reset_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    token: String,
    username: String,
    message: String,
    done: bool,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let (form_token, cookie) = state.forms.for_browser(req, state.secure_cookies());
    let usable = !done && !username.is_empty();
    let page = ResetPage {
        page: PageContext::new(locale, Tr::new(locale).t("reset_heading").into(), "/staff/reset".into()),
        token,
        form_token,
        username,
        message,
        done,
        usable,
    };
    let mut response = html_no_store(status, render(&page).page(locale)?);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    Ok(response)
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let (token, now) = (token.into_inner(), state.clock.now());
    let t = token.clone();
    let checked = blocking_op(&state, move |db| credentials::check_reset(db, &t, now)).await;
    match checked.refused_page(locale)? {
        Ok(username) => reset_page(&req, &state, StatusCode::OK, token, username, String::new(), false),
        Err(refusal) => {
            let message = refusal_text(locale, &refusal).to_string();
            reset_page(&req, &state, StatusCode::GONE, String::new(), String::new(), message, false)
        }
    }
}

pub async fn set(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let token = token.into_inner();
    let fields = form_fields(&req, &state, payload).await?;
    let cookie = form_cookie_value(&req).unwrap_or_default();
    if !super::same_origin(&req, &state)
        || state.forms.verify(&cookie, fields.get("token").map(String::as_str).unwrap_or("")).is_none()
    {
        let message = Tr::new(locale).t("refused_token").to_string();
        return reset_page(&req, &state, StatusCode::FORBIDDEN, token, String::new(), message, false);
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let (new, again, client, now) =
        (get("new_password"), get("confirm_password"), client_address(&req), state.clock.now());
    let t = token.clone();
    let set = blocking_op(&state, move |db| credentials::reset_password(db, &t, &new, &again, &client, now)).await;
    match set.refused_page(locale)? {
        Ok(()) => {
            let message = Tr::new(locale).t("reset_done").to_string();
            reset_page(&req, &state, StatusCode::OK, String::new(), String::new(), message, true)
        }
        Err(refusal) => {
            let message = refusal_text(locale, &refusal).to_string();
            let t = token.clone();
            let username =
                blocking_op(&state, move |db| credentials::check_reset(db, &t, now)).await.unwrap_or_default();
            let status = if username.is_empty() { StatusCode::GONE } else { StatusCode::UNPROCESSABLE_ENTITY };
            reset_page(&req, &state, status, token, username, message, false)
        }
    }
}
