//! A submitter's own submission by receipt number: the check form, the receipt page that
//! follows it from receipt to published answer, and withdrawal while the window is open. The
//! receipt number is a bearer secret (it can withdraw), so every answer here, errors too, is
//! kept out of caches, referrers and search engines, and lookups are rate limited per client.
use super::error::{AppError, ErrorKind, OrRespond};
use super::page::{html, render, see_other, PageContext};
use super::results::PublicOpinion;
use super::security::form_cookie_value;
use super::view::{summary, Summary};
use super::{remember_locale, request_locale, AppState};
use crate::app::receipts::{self as ops, Tracking};
use crate::app::OpError;
use crate::db::consultations::StoredConsultation;
use crate::domain::receipt::ReceiptNumberError;
use crate::domain::results::PublishedOutcome;
use crate::domain::withdrawal::{may_withdraw, ReceiptStatus};
use crate::domain::{Locale, ReceiptNumber};
use crate::i18n::{self, Tr};
use crate::mail::receipt::opinion_views;
use crate::markdown::SanitizedHtml;
use actix_web::http::header::{HeaderValue, CACHE_CONTROL, REFERRER_POLICY};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use std::sync::Arc;

pub mod api;
mod copy;
pub use copy::copy;

/// Adds the headers that keep a receipt number out of caches, referrers and search engines.
pub fn keep_private(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
        .insert(actix_web::http::header::HeaderName::from_static("x-robots-tag"), HeaderValue::from_static("noindex"));
}

/// The answer, or the error page or body, with the private headers.
pub fn private(result: Result<HttpResponse, AppError>) -> HttpResponse {
    let mut response = result.unwrap_or_else(|e| e.error_response());
    keep_private(&mut response);
    response
}

/// Counts one lookup against the client's allowance.
pub async fn count_lookup(req: &HttpRequest, state: &AppState) -> Result<(), ErrorKind> {
    state
        .lookups
        .check(super::client::client_ip(req))
        .await
        .map_err(|retry_after_secs| ErrorKind::RateLimited { retry_after_secs })
}

/// A typed receipt number: a typo in it is said as such; malformed and unknown numbers get
/// the same answer, so the answer tells nothing about which numbers exist.
pub fn parse_typed(typed: &str) -> Result<ReceiptNumber, ErrorKind> {
    match typed.parse() {
        Ok(number) => Ok(number),
        Err(ReceiptNumberError::Check) => Err(ErrorKind::ReceiptTypo),
        Err(_) => Err(ErrorKind::NotFound),
    }
}

fn receipt_path(slug: &str, number: &str) -> String {
    format!("/c/{slug}/receipt/{number}")
}

#[derive(Template)]
#[template(path = "public/receipt_check.html")]
struct CheckPage {
    page: PageContext,
    s: Summary,
    typed: String,
    message: &'static str,
}

#[derive(serde::Deserialize)]
pub struct CheckQuery {
    #[serde(default)]
    number: Option<String>,
}

/// `GET /c/{slug}/receipt`: the form, and with `?number=` the lookup.
pub async fn check(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<CheckQuery>,
) -> HttpResponse {
    private(check_page(&req, &state, &slug, query.into_inner().number).await)
}

async fn check_page(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    typed: Option<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let stored = state.consultation_page(slug, locale).await?;
    let t = Tr::new(locale);
    let mut status = actix_web::http::StatusCode::OK;
    let mut message = "";
    let typed = typed.unwrap_or_default();
    if !typed.trim().is_empty() {
        count_lookup(req, state).await.page(locale)?;
        let found = match parse_typed(&typed) {
            Ok(number) => ops::track(&state.db, stored.clone(), number, state.clock.now()).await.page(locale)?,
            Err(ErrorKind::ReceiptTypo) => {
                (status, message) = (actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, t.t("check_typo"));
                None
            }
            Err(_) => None,
        };
        match found {
            Some(tracking) => {
                return Ok(see_other(receipt_path(slug, &tracking.submission.receipt_number)));
            }
            None if message.is_empty() => {
                (status, message) = (actix_web::http::StatusCode::NOT_FOUND, t.t("check_not_found"));
            }
            None => {}
        }
    }
    let page = CheckPage {
        page: PageContext::new(locale, t.t("check_heading").into(), format!("/c/{slug}/receipt")),
        s: summary(&stored.consultation, locale, state.clock.now()),
        typed,
        message,
    };
    let mut response = html(render(&page).page(locale)?);
    *response.status_mut() = status;
    remember_locale(req, &mut response);
    Ok(response)
}

/// One opinion on the receipt page: what was sent and, once published, what became of it.
struct OpinionStatus {
    number: usize,
    draft: String,
    location: String,
    body: String,
    reason: String,
    /// After publication: the published form, when it was published.
    published: Option<PublicOpinion>,
    /// After publication: the answer, with its summary and its place on the results page.
    answer: Option<Answer>,
    /// After publication, when the opinion was not answered: why, in the reader's language.
    outcome: &'static str,
}

struct Answer {
    summary: SanitizedHtml,
    link: String,
    same_content: bool,
}

#[derive(Template)]
#[template(path = "public/receipt.html")]
struct ReceiptPage {
    page: PageContext,
    s: Summary,
    receipt_number: String,
    received_at: String,
    status: &'static str,
    withdrawn_at: String,
    can_withdraw: bool,
    opinions: Vec<OpinionStatus>,
    files: Vec<crate::mail::receipt::FileLine>,
    results_expected: String,
    email_sent: bool,
    just_withdrawn: bool,
}

/// Why an opinion of a published version is not answered, in the reader's language.
fn outcome_text(t: Tr, outcome: Option<&PublishedOutcome>) -> &'static str {
    match outcome.map(|o| o.outcome.as_str()) {
        None => t.t("outcome_not_in_version"),
        Some("answered") => "",
        Some("late") => t.t("outcome_late"),
        Some("out_of_scope") => t.t("outcome_out_of_scope"),
        Some("abusive") => t.t("outcome_abusive"),
        Some("duplicate") => t.t("outcome_duplicate"),
        Some("withdrawn") => t.t("outcome_withdrawn"),
        Some(_) => t.t("outcome_pending"),
    }
}

fn opinion_statuses(stored: &StoredConsultation, tracking: &Tracking, locale: Locale) -> Vec<OpinionStatus> {
    let t = Tr::new(locale);
    let published = tracking.status == ReceiptStatus::Published;
    let slug = &stored.consultation.slug;
    opinion_views(&stored.consultation, &tracking.submission, locale)
        .into_iter()
        .zip(&tracking.submission.opinions)
        .map(|(sent, stored_opinion)| {
            let outcome = tracking.outcomes.get(&stored_opinion.id);
            let answer = outcome.and_then(|o| o.answer.as_ref());
            OpinionStatus {
                number: sent.number,
                draft: sent.draft,
                location: sent.location,
                body: sent.body,
                reason: sent.reason,
                published: answer.map(|a| PublicOpinion::new(&a.opinion, locale)),
                answer: answer.map(|a| Answer {
                    summary: SanitizedHtml::from_markdown(a.summary.get(locale)),
                    link: format!("/c/{slug}/results#{}", a.anchor()),
                    same_content: a.same_content,
                }),
                outcome: if published { outcome_text(t, outcome) } else { "" },
            }
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    sent: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
}

/// `GET /c/{slug}/receipt/{receipt}`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<ReceiptQuery>,
) -> HttpResponse {
    let (slug, number) = path.into_inner();
    private(receipt_page(&req, &state, &slug, &number, &query).await)
}

/// The consultation and the tracked submission, or the 404 page.
async fn find(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    number: &str,
) -> Result<(Arc<StoredConsultation>, Tracking, Locale), AppError> {
    let locale = request_locale(req);
    let stored = state.consultation_page(slug, locale).await?;
    count_lookup(req, state).await.page(locale)?;
    let not_found = || AppError::html(locale, ErrorKind::NotFound);
    let number: ReceiptNumber = number.parse().map_err(|_| not_found())?;
    let tracking =
        ops::track(&state.db, stored.clone(), number, state.clock.now()).await.page(locale)?.ok_or_else(not_found)?;
    Ok((stored, tracking, locale))
}

async fn receipt_page(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    number: &str,
    query: &ReceiptQuery,
) -> Result<HttpResponse, AppError> {
    let (stored, tracking, locale) = find(req, state, slug, number).await?;
    let t = Tr::new(locale);
    let c = &stored.consultation;
    let now = state.clock.now();
    let status = match tracking.status {
        ReceiptStatus::Received => t.t("receipt_status_received"),
        ReceiptStatus::UnderConsideration => t.t("receipt_status_under_consideration"),
        ReceiptStatus::Published => t.t("receipt_status_published"),
        ReceiptStatus::Withdrawn => t.t("receipt_status_withdrawn"),
    };
    let submission = &tracking.submission;
    let page = ReceiptPage {
        page: PageContext::new(
            locale,
            t.t("receipt_heading").into(),
            receipt_path(&c.slug, &submission.receipt_number),
        ),
        s: summary(c, locale, now),
        received_at: i18n::datetime(locale, submission.received_at, c.time_zone),
        status,
        withdrawn_at: submission.withdrawn_at.map(|at| i18n::datetime(locale, at, c.time_zone)).unwrap_or_default(),
        can_withdraw: may_withdraw(c, submission.withdrawn_at, now).is_ok(),
        opinions: opinion_statuses(&stored, &tracking, locale),
        files: crate::mail::receipt::file_lines(&submission.attachments, locale),
        results_expected: c.results_expected.map(|d| i18n::date(locale, d)).unwrap_or_default(),
        email_sent: query.sent.as_deref() == Some("email"),
        just_withdrawn: query.withdrawn.is_some() && submission.withdrawn_at.is_some(),
        receipt_number: submission.receipt_number.clone(),
    };
    let mut response = html(render(&page).page(locale)?);
    remember_locale(req, &mut response);
    Ok(response)
}

#[derive(Template)]
#[template(path = "public/withdraw.html")]
struct WithdrawPage {
    page: PageContext,
    s: Summary,
    receipt_number: String,
    token: String,
}

/// `GET /c/{slug}/receipt/{receipt}/withdrawal`: the confirmation step.
pub async fn confirm(req: HttpRequest, state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, number) = path.into_inner();
    private(confirm_page(&req, &state, &slug, &number).await)
}

async fn confirm_page(req: &HttpRequest, state: &AppState, slug: &str, number: &str) -> Result<HttpResponse, AppError> {
    let (stored, tracking, locale) = find(req, state, slug, number).await?;
    let c = &stored.consultation;
    let now = state.clock.now();
    may_withdraw(c, tracking.submission.withdrawn_at, now)
        .map_err(|r| AppError::html(locale, ErrorKind::Withdrawal(r)))?;
    let (token, cookie) = state.forms.for_browser(req, state.secure_cookies());
    let receipt_number = tracking.submission.receipt_number;
    let page = WithdrawPage {
        page: PageContext::new(
            locale,
            Tr::new(locale).t("withdraw_heading").into(),
            format!("{}/withdrawal", receipt_path(&c.slug, &receipt_number)),
        ),
        s: summary(c, locale, now),
        receipt_number,
        token,
    };
    let mut response = html(render(&page).page(locale)?);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    remember_locale(req, &mut response);
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    token: String,
}

/// `POST /c/{slug}/receipt/{receipt}/withdrawal`.
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<WithdrawForm>,
) -> HttpResponse {
    let (slug, number) = path.into_inner();
    private(withdraw_now(&req, &state, &slug, &number, &form.token).await)
}

async fn withdraw_now(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    number: &str,
    token: &str,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let stored = state.consultation_page(slug, locale).await?;
    let cookie = form_cookie_value(req).unwrap_or_default();
    if state.forms.verify(&cookie, token).is_none() {
        return Err(AppError::html(locale, ErrorKind::Forbidden));
    }
    count_lookup(req, state).await.page(locale)?;
    let number: ReceiptNumber = number.parse().map_err(|_| AppError::html(locale, ErrorKind::NotFound))?;
    let client = super::client::client_ip(req).map(|ip| ip.to_string()).unwrap_or_default();
    match ops::withdraw(&state.db, stored.clone(), number, client, state.clock.now()).await {
        Ok(done) => Ok(see_other(format!(
            "{}?withdrawn=1&lang={locale}",
            receipt_path(&stored.consultation.slug, &done.receipt_number)
        ))),
        Err(OpError::NotFound) => Err(AppError::html(locale, ErrorKind::NotFound)),
        Err(OpError::Refused(refusal)) => Err(AppError::html(locale, ErrorKind::Withdrawal(refusal))),
        Err(OpError::Db(e)) => Err(AppError::html(locale, e.into())),
    }
}
