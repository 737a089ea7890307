//! Signing in and out, and the staff home page.
use super::{checked_form, client_address, form_fields, signed_in, token_hash, StaffNav, SESSION_COOKIE};
use crate::app::credentials;
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::staff as staff_db;
use crate::domain::staff::ThrottlePolicy;
use crate::domain::two_factor::{self, AfterPassword};
use crate::i18n::Tr;
use crate::password;
use crate::web::error::{AppError, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{render, PageContext};
use crate::web::security::{cookie_name, form_cookie_value, random_hex};
use crate::web::{remember_locale, request_locale, AppState};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    page: PageContext,
    token: String,
    next: String,
    username: String,
    message: &'static str,
}

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    page: PageContext,
    nav: StaffNav,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local staff paths: never an open redirect.
use crate::domain::staff::safe_next;

use crate::web::page::html_no_store as html;

fn sign_in_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    next: String,
    username: String,
    message: &'static str,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let (token, new_cookie) = state.forms.for_browser(req, state.secure_cookies());
    let page = SignInPage {
        page: PageContext::new(locale, Tr::new(locale).t("sign_in_heading").into(), "/staff/sign-in".into()),
        token,
        next,
        username,
        message,
    };
    let mut response = html(status, render(&page).page(locale)?);
    if let Some(cookie) = new_cookie {
        let _ = response.add_cookie(&cookie);
    }
    remember_locale(req, &mut response);
    Ok(response)
}

pub async fn sign_in_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    sign_in_response(&req, &state, StatusCode::OK, safe_next(query.next.as_deref()), String::new(), "")
}

pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let t = Tr::new(locale);
    let fields = form_fields(&req, &state, payload).await?;
    let username = fields.get("username").map(|u| u.trim().to_lowercase()).unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    let next = safe_next(fields.get("next").map(String::as_str));
    let cookie = form_cookie_value(&req).unwrap_or_default();
    if !super::same_origin(&req, &state)
        || state.forms.verify(&cookie, fields.get("token").map(String::as_str).unwrap_or("")).is_none()
    {
        return sign_in_response(&req, &state, StatusCode::FORBIDDEN, next, username, t.t("refused_token"));
    }
    let client = client_address(&req);
    let now = state.clock.now();
    let policy = ThrottlePolicy::default();
    let (u, c) = (username.clone(), client.clone());
    let (account_failures, client_failures) = state
        .db
        .run(move |conn| {
            staff_db::recent_failures(conn, &u, &c, now - policy.account_window, now - policy.client_window)
        })
        .await
        .page(locale)?;
    if !policy.allows(account_failures, client_failures) {
        tracing::warn!(user = %username, "sign-in throttled");
        return sign_in_response(&req, &state, StatusCode::TOO_MANY_REQUESTS, next, username, t.t("sign_in_throttled"));
    }
    let u = username.clone();
    let account = state
        .db
        .run(move |conn| match staff_db::find_by_username(conn, &u)? {
            Some(user) => {
                let hash = staff_db::password_hash(conn, user.id)?;
                Ok(Some((user, hash)))
            }
            None => Ok(None),
        })
        .await
        .page(locale)?;
    // Hashing is slow on purpose: keep it off the async threads.
    let verified = {
        let stored = account.as_ref().map(|(_, h)| h.clone());
        let password = password.clone();
        tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref())).await.unwrap_or(false)
    };
    let user = match account {
        Some((user, _)) if verified && !user.disabled => user,
        _ => {
            let (u, c) = (username.clone(), client.clone());
            state.db.write(move |conn| staff_db::record_attempt(conn, &u, &c, false, now)).await.page(locale)?;
            tracing::info!(user = %username, "sign-in failed");
            return sign_in_response(&req, &state, StatusCode::UNAUTHORIZED, next, username, t.t("sign_in_failed"));
        }
    };
    // The second factor, where the account has one or its role requires it.
    let required = two_factor::required(user.role, &state.settings.staff.two_factor_roles);
    let typed = fields.get("code").cloned().unwrap_or_default();
    let actor = Actor { id: Some(user.id), name: user.username.clone(), client: client.clone() };
    let (db, who, uid) = (state.db.clone(), actor.clone(), user.id);
    let (enrolled, proof) =
        tokio::task::spawn_blocking(move || credentials::check_second_factor(&db, &who, uid, &typed, now))
            .await
            .map_err(|_| crate::db::DbError::Cancelled)
            .and_then(|r| r)
            .page(locale)?;
    let next = match two_factor::after_password(enrolled, required, proof) {
        AfterPassword::SignedIn => next,
        AfterPassword::SetUpFirst => "/staff/account/two-factor".to_string(),
        AfterPassword::CodeNeeded => {
            let status = StatusCode::UNAUTHORIZED;
            return sign_in_response(&req, &state, status, next, username, t.t("sign_in_code_needed"));
        }
        AfterPassword::CodeWrong => {
            let (u, c) = (username.clone(), client.clone());
            state.db.write(move |conn| staff_db::record_attempt(conn, &u, &c, false, now)).await.page(locale)?;
            tracing::info!(user = %username, "sign-in refused: second factor wrong");
            let status = StatusCode::UNAUTHORIZED;
            return sign_in_response(&req, &state, status, next, username, t.t("sign_in_code_wrong"));
        }
    };
    // A new session id at every sign-in; the old cookie, if any, is simply replaced.
    let token = random_hex(32);
    let csrf = random_hex(32);
    let hash = token_hash(&token);
    let (u, uid, from) = (username.clone(), user.id, client.clone());
    state
        .db
        .audited(actor, now, move |conn| {
            staff_db::record_attempt(conn, &u, &from, true, now)?;
            staff_db::start_session(conn, uid, &hash, &csrf, now)?;
            Ok(((), vec![Entry::new(Action::SignIn, Object::StaffUser(u))]))
        })
        .await
        .page(locale)?;
    tracing::info!(user = %user.username, "signed in");
    let secure = state.secure_cookies();
    // Over https the `__Host-` prefix requires the whole site as the path.
    let cookie = Cookie::build(cookie_name(SESSION_COOKIE, secure), token)
        .path(if secure { "/" } else { "/staff" })
        .http_only(true)
        .secure(state.secure_cookies())
        .same_site(SameSite::Strict)
        .finish();
    let mut response = see_other(next);
    let _ = response.add_cookie(&cookie);
    Ok(response)
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = signed_in(&req, &state).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let now = state.clock.now();
    let actor = staff.actor();
    let (sid, name) = (staff.session_id, staff.user.username.clone());
    state
        .db
        .audited(actor, now, move |conn| {
            staff_db::end_session(conn, sid, now)?;
            Ok(((), vec![Entry::new(Action::SignOut, Object::StaffUser(name))]))
        })
        .await
        .page(locale)?;
    let secure = state.secure_cookies();
    let mut gone = Cookie::build(cookie_name(SESSION_COOKIE, secure), "")
        .path(if secure { "/" } else { "/staff" })
        .secure(secure)
        .finish();
    gone.make_removal();
    let mut response = see_other("/staff/sign-in");
    let _ = response.add_cookie(&gone);
    Ok(response)
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = signed_in(&req, &state).await?;
    let page = HomePage {
        page: PageContext::new(locale, Tr::new(locale).t("staff_title").into(), "/staff/".into()),
        nav: staff.nav(locale),
    };
    let mut response = html(StatusCode::OK, render(&page).page(locale)?);
    remember_locale(&req, &mut response);
    Ok(response)
}
