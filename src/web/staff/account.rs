//! A staff member's own account: changing the password and setting up two-factor sign-in
//! (a QR code for the app, then recovery codes shown once).
use super::{checked_form, signed_in, Staff, StaffNav};
use crate::app::credentials::{self, CredentialRefusal};
use crate::app::OpError;
use crate::domain::staff::PasswordProblem;
use crate::domain::two_factor::{self, TotpSecret};
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::web::error::{AppError, OrRefused, OrRespond};
use crate::web::page::{html_no_store, render, see_other, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    page: PageContext,
    nav: StaffNav,
    message: String,
    notice: String,
    two_factor_on: bool,
    two_factor_required: bool,
    recovery_left: i64,
}

#[derive(Template)]
#[template(path = "staff/two_factor.html")]
struct EnrolPage {
    page: PageContext,
    nav: StaffNav,
    message: String,
    required: bool,
    qr_svg: String,
    key_groups: String,
}

#[derive(Template)]
#[template(path = "staff/recovery_codes.html")]
struct RecoveryCodesPage {
    page: PageContext,
    nav: StaffNav,
    codes: Vec<String>,
}

pub fn refusal_text(locale: Locale, refusal: &CredentialRefusal) -> &'static str {
    let t = Tr::new(locale);
    t.t(match refusal {
        CredentialRefusal::CurrentPassword => "current_password_wrong",
        CredentialRefusal::Mismatch => "passwords_differ",
        CredentialRefusal::Code => "code_wrong",
        CredentialRefusal::Password(PasswordProblem::TooShort) => "password_too_short",
        CredentialRefusal::Password(PasswordProblem::TooLong) => "password_too_long",
        CredentialRefusal::Password(PasswordProblem::TooCommon) => "password_too_common",
        CredentialRefusal::Password(PasswordProblem::SameAsUsername) => "password_is_username",
        CredentialRefusal::Reset(crate::domain::password_reset::ResetProblem::Unknown) => "reset_unknown",
        CredentialRefusal::Reset(crate::domain::password_reset::ResetProblem::Used) => "reset_used",
        CredentialRefusal::Reset(crate::domain::password_reset::ResetProblem::Expired) => "reset_expired",
    })
}

fn required(state: &AppState, staff: &Staff) -> bool {
    two_factor::required(staff.user.role, &state.settings.staff.two_factor_roles)
}

async fn account_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    message: String,
    notice: String,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let id = staff.user.id;
    let (on, left) = state
        .db
        .run(move |c| {
            let on = crate::db::credentials::two_factor(c, id)?.secret.is_some();
            Ok((on, crate::db::credentials::recovery_codes_left(c, id)?))
        })
        .await
        .page(locale)?;
    let page = AccountPage {
        page: PageContext::new(locale, Tr::new(locale).t("account_heading").into(), "/staff/account".into()),
        nav: staff.nav(locale),
        message,
        notice,
        two_factor_on: on,
        two_factor_required: required(state, staff),
        recovery_left: left,
    };
    Ok(html_no_store(status, render(&page).page(locale)?))
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let staff = signed_in(&req, &state).await?;
    account_page(&req, &state, &staff, StatusCode::OK, String::new(), String::new()).await
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = signed_in(&req, &state).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (current, new, again) = (get("current_password"), get("new_password"), get("confirm_password"));
    let (actor, session, now) = (staff.actor(), staff.session_id, state.clock.now());
    let changed = super::blocking_op(&state, move |db| {
        credentials::change_password(db, &actor, session, &current, &new, &again, now)
    })
    .await;
    match changed.refused_page(locale)? {
        Ok(()) => {
            let done = Tr::new(locale).t("password_changed").to_string();
            account_page(&req, &state, &staff, StatusCode::OK, String::new(), done).await
        }
        Err(refusal) => {
            let message = refusal_text(locale, &refusal).to_string();
            account_page(&req, &state, &staff, StatusCode::UNPROCESSABLE_ENTITY, message, String::new()).await
        }
    }
}

/// A QR code of `uri` as inline SVG (no XML prologue, so it can sit in the page).
fn qr_svg(uri: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return String::new();
    };
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    }
}

async fn enrol_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    message: String,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let id = staff.user.id;
    let db = state.db.clone();
    let secret: Option<TotpSecret> = tokio::task::spawn_blocking(move || credentials::begin_enrolment(&db, id))
        .await
        .map_err(|_| crate::db::DbError::Cancelled)
        .and_then(|r| r)
        .page(locale)?;
    let Some(secret) = secret else {
        return Ok(see_other("/staff/account"));
    };
    let issuer = format!(
        "pubcom {}",
        state.settings.public_base_url.trim_start_matches("https://").trim_start_matches("http://")
    );
    let key = secret.encoded();
    let page = EnrolPage {
        page: PageContext::new(
            locale,
            Tr::new(locale).t("two_factor_heading").into(),
            "/staff/account/two-factor".into(),
        ),
        nav: staff.nav(locale),
        message,
        required: required(state, staff),
        qr_svg: qr_svg(&secret.otpauth_uri(&issuer, &staff.user.username)),
        key_groups: key
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).to_string())
            .collect::<Vec<_>>()
            .join(" "),
    };
    Ok(html_no_store(status, render(&page).page(locale)?))
}

pub async fn enrol(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let staff = signed_in(&req, &state).await?;
    enrol_page(&req, &state, &staff, StatusCode::OK, String::new()).await
}

pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = signed_in(&req, &state).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let code = f.get("code").cloned().unwrap_or_default();
    let (actor, now) = (staff.actor(), state.clock.now());
    let confirmed = super::blocking_op(&state, move |db| credentials::confirm_enrolment(db, &actor, &code, now)).await;
    match confirmed {
        Err(OpError::NotFound) => Ok(see_other("/staff/account/two-factor")),
        other => match other.refused_page(locale)? {
            Ok(codes) => {
                let page = RecoveryCodesPage {
                    page: PageContext::new(
                        locale,
                        Tr::new(locale).t("recovery_codes_heading").into(),
                        "/staff/account/two-factor".into(),
                    ),
                    nav: staff.nav(locale),
                    codes,
                };
                Ok(html_no_store(StatusCode::OK, render(&page).page(locale)?))
            }
            Err(refusal) => {
                let message = refusal_text(locale, &refusal).to_string();
                enrol_page(&req, &state, &staff, StatusCode::UNPROCESSABLE_ENTITY, message).await
            }
        },
    }
}
