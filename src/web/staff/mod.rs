//! The staff workspace under `/staff/`: server-side sessions, the permission check every route
//! makes, CSRF and Origin checks on every state-changing request.
pub mod account;
pub mod audit_log;
pub mod auth;
pub mod campaigns;
mod limits;
pub mod publish;
pub mod reset;
pub mod responses;
pub mod transcriptions;
pub mod triage;
pub mod users;

use super::error::{AppError, ErrorKind, OrRespond};
use super::{request_locale, AppState};
use crate::db::audit::Actor;
use crate::db::staff::{self as staff_db, StaffUser};
use crate::domain::staff::{Permission, Role, SessionPolicy};
use crate::domain::two_factor;
use crate::domain::Locale;
use crate::i18n::Tr;
use actix_web::{web, HttpRequest};
use hmac::Mac;
use sha2::Sha256;
use std::collections::HashMap;

pub const SESSION_COOKIE: &str = "pubcom_staff";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/staff")
            .wrap(actix_web::middleware::from_fn(limits::staff_limits))
            .route("", web::get().to(auth::home))
            .route("/", web::get().to(auth::home))
            .route("/sign-in", web::get().to(auth::sign_in_page))
            .route("/sign-in", web::post().to(auth::sign_in))
            .route("/sign-out", web::post().to(auth::sign_out))
            .route("/transcriptions", web::get().to(transcriptions::queue::queue))
            .route("/transcriptions", web::post().to(transcriptions::entry::create))
            .route("/transcriptions/new", web::get().to(transcriptions::entry::new_form))
            .route("/transcriptions/{receipt}", web::get().to(transcriptions::detail::detail))
            .route("/transcriptions/{receipt}/verify", web::post().to(transcriptions::review::verify))
            .route("/transcriptions/{receipt}/correct", web::post().to(transcriptions::review::correct))
            .route("/transcriptions/{receipt}/contact", web::post().to(transcriptions::detail::reveal_contact))
            .route("/transcriptions/{receipt}/accept-late", web::post().to(transcriptions::review::accept_late))
            .route("/attachments/{id}", web::get().to(transcriptions::detail::download))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{id}/role", web::post().to(users::change_role))
            .route("/users/{id}/disable", web::post().to(users::disable))
            .route("/users/{id}/enable", web::post().to(users::enable))
            .route("/users/{id}/password-reset", web::post().to(reset::issue))
            .route("/users/{id}/two-factor/remove", web::post().to(reset::remove_two_factor))
            .route("/reset/{token}", web::get().to(reset::form))
            .route("/reset/{token}", web::post().to(reset::set))
            .route("/account", web::get().to(account::show))
            .route("/account/password", web::post().to(account::change_password))
            .route("/account/two-factor", web::get().to(account::enrol))
            .route("/account/two-factor", web::post().to(account::confirm))
            .route("/audit", web::get().to(audit_log::list))
            .route("/audit.csv", web::get().to(audit_log::export))
            .route("/c", web::get().to(triage::overview::consultations))
            .route("/c/{slug}", web::get().to(triage::overview::overview))
            .route("/c/{slug}/opinions", web::get().to(triage::list::list))
            .route("/c/{slug}/opinions/bulk", web::post().to(triage::bulk::bulk))
            .route("/opinions/{id}", web::get().to(triage::opinion::detail))
            .route("/opinions/{id}", web::post().to(triage::opinion::change))
            .route("/opinions/{id}/redactions", web::post().to(triage::redaction::withhold))
            .route("/opinions/{id}/redactions/{redaction}", web::post().to(triage::redaction::decide))
            .route("/opinions/{id}/contact", web::post().to(triage::redaction::reveal_contact))
            .route("/opinions/{id}/attachments/{attachment}", web::post().to(triage::files::mark))
            .route("/c/{slug}/redactions.csv", web::get().to(triage::redaction::export))
            .route("/c/{slug}/campaigns", web::get().to(campaigns::list))
            .route("/c/{slug}/campaigns.csv", web::get().to(campaigns::export))
            .route("/c/{slug}/campaigns/recluster", web::post().to(campaigns::recluster))
            .route("/c/{slug}/campaigns/{cluster}", web::get().to(campaigns::cluster))
            .route("/c/{slug}/campaigns/{cluster}/detach", web::post().to(campaigns::detach))
            .route("/c/{slug}/campaigns/{cluster}/join", web::post().to(campaigns::join))
            .route("/c/{slug}/responses", web::get().to(responses::list))
            .route("/c/{slug}/responses", web::post().to(responses::create))
            .route("/responses/{id}", web::get().to(responses::edit))
            .route("/responses/{id}", web::post().to(responses::update))
            .route("/responses/{id}/approve", web::post().to(responses::approve))
            .route("/c/{slug}/publish", web::get().to(publish::review))
            .route("/c/{slug}/publish/check.csv", web::get().to(publish::failures_csv))
            .route("/c/{slug}/publish", web::post().to(publish::publish)),
    );
}

/// A signed-in staff member, for the length of one request.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session_id: i64,
    pub user: StaffUser,
    pub csrf: String,
    pub client: String,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor { id: Some(self.user.id), name: self.user.username.clone(), client: self.client.clone() }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.user.role.can(permission)
    }

    /// What the navigation of every staff page shows.
    pub fn nav(&self, locale: Locale) -> StaffNav {
        StaffNav {
            username: self.user.username.clone(),
            role: role_label(locale, self.user.role),
            csrf: self.csrf.clone(),
            can_transcribe: self.can(Permission::Transcribe),
            can_manage_users: self.can(Permission::ManageUsers),
            can_read_audit: self.can(Permission::ReadAudit),
            can_triage: self.can(Permission::Triage),
        }
    }
}

pub struct StaffNav {
    pub username: String,
    pub role: &'static str,
    pub csrf: String,
    pub can_transcribe: bool,
    pub can_manage_users: bool,
    pub can_read_audit: bool,
    pub can_triage: bool,
}

pub fn role_label(locale: Locale, role: Role) -> &'static str {
    Tr::new(locale).t(match role {
        Role::Clerk => "role_clerk",
        Role::Analyst => "role_analyst",
        Role::Approver => "role_approver",
        Role::Admin => "role_admin",
    })
}

pub fn client_address(req: &HttpRequest) -> String {
    super::client::client_ip(req).map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
}

pub use crate::password::token_hash;

/// Runs an account or credentials operation off the async threads (password hashing is slow
/// on purpose).
pub async fn blocking_op<T: Send + 'static, R: Send + 'static>(
    state: &AppState,
    op: impl FnOnce(&crate::db::Db) -> crate::app::OpResult<T, R> + Send + 'static,
) -> crate::app::OpResult<T, R> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || op(&db))
        .await
        .map_err(|_| crate::app::OpError::Db(crate::db::DbError::Cancelled))?
}

pub fn session_policy(state: &AppState) -> SessionPolicy {
    SessionPolicy {
        idle: chrono::Duration::minutes(state.settings.staff.idle_timeout_minutes),
        absolute: chrono::Duration::hours(state.settings.staff.absolute_timeout_hours),
    }
}

/// The signed-in staff member, or a redirect to sign-in that comes back here afterwards.
pub async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Staff, AppError> {
    let locale = request_locale(req);
    let next = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/staff/".into());
    let sign_in = || AppError::html(locale, ErrorKind::SignInRequired { next: next.clone() });
    let Some(cookie) = req.cookie(&crate::web::security::cookie_name(SESSION_COOKIE, state.secure_cookies())) else {
        return Err(sign_in());
    };
    let hash = token_hash(cookie.value());
    let now = state.clock.now();
    let policy = session_policy(state);
    let roles = state.settings.staff.two_factor_roles.clone();
    let session = state
        .db
        .write(move |c| {
            let Some(session) = staff_db::find_session(c, &hash)? else {
                return Ok(None);
            };
            if session.user.disabled || !policy.is_live(session.created_at, session.last_seen_at, now) {
                staff_db::end_session(c, session.id, now)?;
                return Ok(None);
            }
            staff_db::touch_session(c, session.id, now)?;
            // A role that requires two-factor sign-in works only once it is set up.
            let set_up = !two_factor::required(session.user.role, &roles)
                || crate::db::credentials::two_factor(c, session.user.id)?.secret.is_some();
            Ok(Some((session, set_up)))
        })
        .await
        .page(locale)?
        .ok_or_else(sign_in)?;
    let (session, set_up) = session;
    let path = req.path();
    if !set_up && !two_factor::open_before_set_up(path) {
        return Err(AppError::html(locale, ErrorKind::TwoFactorSetUpRequired));
    }
    Ok(Staff { session_id: session.id, user: session.user, csrf: session.csrf_token, client: client_address(req) })
}

/// The signed-in staff member if their role allows `permission`; 403 otherwise.
pub async fn require(req: &HttpRequest, state: &AppState, permission: Permission) -> Result<Staff, AppError> {
    let staff = signed_in(req, state).await?;
    if !staff.can(permission) {
        tracing::warn!(user = %staff.user.username, ?permission, "staff action refused by role");
        return Err(AppError::html(request_locale(req), ErrorKind::Forbidden));
    }
    Ok(staff)
}

/// Refuses a state-changing request whose CSRF token is missing or wrong, or that comes from
/// another site.
pub fn check_post(req: &HttpRequest, state: &AppState, staff: &Staff, csrf: Option<&str>) -> Result<(), AppError> {
    let locale = request_locale(req);
    if !same_origin(req, state) {
        return Err(AppError::html(locale, ErrorKind::Forbidden));
    }
    let given = csrf.unwrap_or("");
    // Compare through an HMAC so the comparison takes the same time whatever the input.
    let key = staff.csrf.as_bytes();
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(given.as_bytes());
    let mut expected = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    expected.update(staff.csrf.as_bytes());
    if given.is_empty() || mac.verify_slice(&expected.finalize().into_bytes()).is_err() {
        return Err(AppError::html(locale, ErrorKind::Forbidden));
    }
    Ok(())
}

/// An `Origin` header, when the browser sends one, must be this site.
pub fn same_origin(req: &HttpRequest, state: &AppState) -> bool {
    let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let configured = state.settings.public_base_url.trim_end_matches('/');
    let host = req.connection_info().host().to_string();
    let scheme = req.connection_info().scheme().to_string();
    origin == configured || origin == format!("{scheme}://{host}")
}

/// The fields of a state-changing staff form, after its CSRF token and origin are checked.
pub async fn checked_form(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    payload: web::Payload,
) -> Result<HashMap<String, String>, AppError> {
    let fields = form_fields(req, state, payload).await?;
    check_post(req, state, staff, fields.get("csrf").map(String::as_str))?;
    Ok(fields)
}

/// Like `checked_form`, keeping repeated names (checkbox lists).
pub async fn checked_pairs(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    payload: web::Payload,
) -> Result<Vec<(String, String)>, AppError> {
    let pairs = form_pairs(req, state, payload).await?;
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    check_post(req, state, staff, csrf)?;
    Ok(pairs)
}

/// Parses an urlencoded staff form body keeping repeated names (checkbox lists).
pub async fn form_pairs(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<Vec<(String, String)>, AppError> {
    let locale = request_locale(req);
    let body = super::security::read_body(req, payload, state.settings.max_request_bytes).await.page(locale)?;
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|e| AppError::html(locale, ErrorKind::BadRequest(e.to_string())))
}

/// Parses an urlencoded staff form body.
pub async fn form_fields(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<HashMap<String, String>, AppError> {
    let locale = request_locale(req);
    let body = super::security::read_body(req, payload, state.settings.max_request_bytes).await.page(locale)?;
    Ok(serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|e| AppError::html(locale, ErrorKind::BadRequest(e.to_string())))?
        .into_iter()
        .collect())
}
