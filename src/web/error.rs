//! One error type at the HTTP boundary: one `match` picks the status, the cause is logged and
//! never shown, HTML requests get a page and API requests the documented JSON body.
use super::page::{render, PageContext};
use crate::app::intake::Refusal;
use crate::app::OpError;
use crate::db::DbError;
use crate::domain::withdrawal::WithdrawalRefusal;
use crate::domain::{FieldError, Locale, WindowRefusal};
use crate::i18n::{self, Tr};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::fmt;

#[derive(Debug)]
pub enum ErrorKind {
    NotFound,
    /// The consultation exists; its results do not yet.
    NotPublished,
    BadRequest(String),
    PayloadTooLarge,
    /// The body did not arrive within the deadline; the connection is closed.
    SlowBody,
    UnsupportedMediaType,
    Invalid(Vec<FieldError>, Vec<crate::domain::attachment::AttachmentProblem>),
    /// An idempotency key already bound to a different submission.
    IdempotencyKeyReused,
    Window {
        refusal: WindowRefusal,
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    /// A staff page asked for without a live session: go to sign-in, then come back.
    SignInRequired {
        next: String,
    },
    /// Signed in, but the role requires two-factor sign-in and it is not set up yet.
    TwoFactorSetUpRequired,
    Forbidden,
    /// A withdrawal the rules refuse.
    Withdrawal(WithdrawalRefusal),
    /// A receipt number whose check character does not match: a typo, said as such.
    ReceiptTypo,
    /// The database could not be reached: try again shortly.
    Unavailable(Cause),
    /// Nothing can be written: the storage is full or read-only. Logged with its cause.
    StorageUnavailable(Cause),
    /// A staff query ran past the statement timeout and was stopped.
    QueryTimeout,
    /// Every staff slot stayed taken for as long as a request may wait.
    StaffBusy,
    /// Too much is being handled at once; counted in the metrics, not logged per request (a
    /// surge would flood the log with it).
    Busy,
    /// Our fault; the cause (with its chain) is logged once, never shown.
    Internal(Cause),
}

/// What went wrong below the HTTP layer, kept with its source chain for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// How long a client is asked to wait after a 503.
pub const RETRY_AFTER_BUSY_SECS: u64 = 5;

impl ErrorKind {
    pub fn internal(cause: impl Into<Cause>) -> Self {
        ErrorKind::Internal(cause.into())
    }
}

/// An error and every source under it, each said once: "batch not stored: cannot connect: …".
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        next = cause.source();
    }
    text
}

#[derive(Debug, Clone, Copy)]
pub enum Surface {
    Html(Locale),
    Json,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub surface: Surface,
}

impl AppError {
    pub fn html(locale: Locale, kind: ErrorKind) -> Self {
        Self { kind, surface: Surface::Html(locale) }
    }
    pub fn json(kind: ErrorKind) -> Self {
        Self { kind, surface: Surface::Json }
    }
}

impl From<askama::Error> for ErrorKind {
    fn from(e: askama::Error) -> Self {
        ErrorKind::Internal(Box::new(e))
    }
}

impl From<DbError> for ErrorKind {
    fn from(e: DbError) -> Self {
        if e.is_storage_full() {
            ErrorKind::StorageUnavailable(Box::new(e))
        } else if e.is_timeout() {
            ErrorKind::QueryTimeout
        } else if e.is_unavailable() {
            ErrorKind::Unavailable(Box::new(e))
        } else {
            ErrorKind::Internal(Box::new(e))
        }
    }
}

impl From<Refusal> for ErrorKind {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Window { refusal, opens_at, closes_at } => ErrorKind::Window { refusal, opens_at, closes_at },
            Refusal::Invalid(errors, files) => ErrorKind::Invalid(errors, files),
            Refusal::RateLimited { retry_after_secs } => ErrorKind::RateLimited { retry_after_secs },
            Refusal::Busy => ErrorKind::Busy,
            Refusal::KeyReused => ErrorKind::IdempotencyKeyReused,
            Refusal::Failed(e) => e.into(),
        }
    }
}

/// Attaches the surface to a lower error in handlers: `.page(locale)?` or `.api()?`.
pub trait OrRespond<T> {
    fn page(self, locale: Locale) -> Result<T, AppError>;
    fn api(self) -> Result<T, AppError>;
}

impl<T, E: Into<ErrorKind>> OrRespond<T> for Result<T, E> {
    fn page(self, locale: Locale) -> Result<T, AppError> {
        self.map_err(|e| AppError::html(locale, e.into()))
    }
    fn api(self) -> Result<T, AppError> {
        self.map_err(|e| AppError::json(e.into()))
    }
}

/// Looks a row up or answers 404 in the reader's language: `.found_page(locale)?`, or with the
/// JSON body: `.found_api()?`.
pub trait OrNotFound<T> {
    fn found_page(self, locale: Locale) -> Result<T, AppError>;
    fn found_api(self) -> Result<T, AppError>;
}

impl<T, E: Into<ErrorKind>> OrNotFound<T> for Result<Option<T>, E> {
    fn found_page(self, locale: Locale) -> Result<T, AppError> {
        self.page(locale)?.ok_or(AppError::html(locale, ErrorKind::NotFound))
    }
    fn found_api(self) -> Result<T, AppError> {
        self.api()?.ok_or(AppError::json(ErrorKind::NotFound))
    }
}

/// An operation's outcome for a page: `Ok(Ok(value))`, or `Ok(Err(refusal))` for the page to
/// show what a rule refused; a missing row becomes the 404 page and a storage failure its own.
pub trait OrRefused<T, R> {
    fn refused_page(self, locale: Locale) -> Result<Result<T, R>, AppError>;
}

impl<T, R> OrRefused<T, R> for Result<T, OpError<R>> {
    fn refused_page(self, locale: Locale) -> Result<Result<T, R>, AppError> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(OpError::Refused(refusal)) => Ok(Err(refusal)),
            Err(OpError::NotFound) => Err(AppError::html(locale, ErrorKind::NotFound)),
            Err(OpError::Db(e)) => Err(AppError::html(locale, e.into())),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

#[derive(Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<String>,
}

#[derive(Serialize)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageContext,
    heading: &'static str,
    message: String,
    hint: &'static str,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ErrorKind {
    fn code(&self) -> &'static str {
        match self {
            ErrorKind::NotFound | ErrorKind::NotPublished => "not_found",
            ErrorKind::BadRequest(_) => "bad_request",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::SlowBody => "request_timeout",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::Invalid(..) => "invalid",
            ErrorKind::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorKind::Window { refusal, .. } => refusal.code(),
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::SignInRequired { .. } => "sign_in_required",
            ErrorKind::TwoFactorSetUpRequired => "two_factor_required",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Withdrawal(refusal) => refusal.code(),
            ErrorKind::ReceiptTypo => "receipt_number_typo",
            ErrorKind::Unavailable(_) | ErrorKind::Busy => "unavailable",
            ErrorKind::StorageUnavailable(_) => "storage_unavailable",
            ErrorKind::QueryTimeout => "query_timeout",
            ErrorKind::StaffBusy => "unavailable",
            ErrorKind::Internal(_) => "internal",
        }
    }

    fn message(&self, locale: Locale) -> String {
        let t = Tr::new(locale);
        match self {
            ErrorKind::NotFound => t.t("error_not_found").into(),
            ErrorKind::NotPublished => t.t("results_not_published").into(),
            ErrorKind::BadRequest(detail) => format!("{} {detail}", t.t("error_bad_request")),
            ErrorKind::PayloadTooLarge => t.t("error_too_large").into(),
            ErrorKind::SlowBody => t.t("error_slow_body").into(),
            ErrorKind::UnsupportedMediaType => "Send the body as application/json.".into(),
            ErrorKind::Invalid(..) => t.t("error_summary_heading").into(),
            ErrorKind::IdempotencyKeyReused => t.t("idempotency_key_reused").into(),
            ErrorKind::Window { refusal: WindowRefusal::NotOpen, .. } => t.t("not_open_yet").into(),
            ErrorKind::Window { refusal: WindowRefusal::Closed, .. } => t.t("closed_now").into(),
            ErrorKind::RateLimited { .. } => t.t("error_rate_limited").into(),
            ErrorKind::SignInRequired { .. } => t.t("sign_in_heading").into(),
            ErrorKind::TwoFactorSetUpRequired => t.t("two_factor_required_notice").into(),
            ErrorKind::Forbidden => t.t("forbidden").into(),
            ErrorKind::Withdrawal(WithdrawalRefusal::WindowClosed) => t.t("withdrawal_closed").into(),
            ErrorKind::Withdrawal(WithdrawalRefusal::AlreadyWithdrawn) => t.t("already_withdrawn").into(),
            ErrorKind::ReceiptTypo => t.t("check_typo").into(),
            ErrorKind::Unavailable(_) | ErrorKind::Busy => t.t("refused_busy").into(),
            ErrorKind::StorageUnavailable(_) => t.t("refused_storage").into(),
            ErrorKind::QueryTimeout => t.t("query_timeout").into(),
            ErrorKind::StaffBusy => t.t("staff_busy").into(),
            ErrorKind::Internal(_) => t.t("error_generic").into(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match &self.kind {
            ErrorKind::NotFound | ErrorKind::NotPublished => StatusCode::NOT_FOUND,
            ErrorKind::BadRequest(_) => StatusCode::BAD_REQUEST,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::SlowBody => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::Invalid(..) | ErrorKind::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Window { .. } => StatusCode::FORBIDDEN,
            ErrorKind::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::SignInRequired { .. } | ErrorKind::TwoFactorSetUpRequired => StatusCode::SEE_OTHER,
            ErrorKind::Forbidden | ErrorKind::Withdrawal(WithdrawalRefusal::WindowClosed) => StatusCode::FORBIDDEN,
            ErrorKind::Withdrawal(WithdrawalRefusal::AlreadyWithdrawn) => StatusCode::CONFLICT,
            ErrorKind::ReceiptTypo => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unavailable(_)
            | ErrorKind::Busy
            | ErrorKind::StorageUnavailable(_)
            | ErrorKind::QueryTimeout
            | ErrorKind::StaffBusy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.kind {
            ErrorKind::Internal(cause) => tracing::error!(cause = %chain(cause.as_ref()), "request failed"),
            ErrorKind::Unavailable(cause) => tracing::warn!(cause = %chain(cause.as_ref()), "service unavailable"),
            ErrorKind::StorageUnavailable(cause) => {
                tracing::error!(cause = %chain(cause.as_ref()), "storage unavailable: nothing can be written")
            }
            _ => {}
        }
        let status = self.status_code();
        let mut builder = HttpResponse::build(status);
        match &self.kind {
            ErrorKind::RateLimited { retry_after_secs } => {
                builder.insert_header(("Retry-After", retry_after_secs.to_string()));
            }
            ErrorKind::Unavailable(_) | ErrorKind::Busy | ErrorKind::StorageUnavailable(_) | ErrorKind::StaffBusy => {
                builder.insert_header(("Retry-After", RETRY_AFTER_BUSY_SECS.to_string()));
            }
            ErrorKind::SlowBody => {
                builder.force_close();
            }
            ErrorKind::TwoFactorSetUpRequired => {
                return builder.insert_header(("Location", "/staff/account/two-factor")).finish();
            }
            ErrorKind::SignInRequired { next } => {
                let target = format!("/staff/sign-in?next={}", percent_encode(next));
                return builder.insert_header(("Location", target)).finish();
            }
            _ => {}
        }
        match self.surface {
            Surface::Json => {
                let locale = Locale::En;
                let fields = match &self.kind {
                    ErrorKind::Invalid(errors, files) => errors
                        .iter()
                        .map(|e| FieldMessage { field: e.field.api_path(), message: i18n::field_message(locale, e) })
                        .chain(files.iter().map(|p| FieldMessage {
                            field: "attachments".into(),
                            message: i18n::attachment_message(locale, p),
                        }))
                        .collect(),
                    _ => Vec::new(),
                };
                let (opens_at, closes_at) = match &self.kind {
                    ErrorKind::Window { opens_at, closes_at, .. } => {
                        (Some(rfc3339(*opens_at)), Some(rfc3339(*closes_at)))
                    }
                    _ => (None, None),
                };
                builder.json(ErrorBody {
                    error: self.kind.code(),
                    message: self.kind.message(locale),
                    fields,
                    opens_at,
                    closes_at,
                })
            }
            Surface::Html(locale) => {
                let t = Tr::new(locale);
                let heading = match &self.kind {
                    ErrorKind::NotFound => t.t("error_not_found"),
                    _ => t.t("error_heading"),
                };
                let hint = match &self.kind {
                    ErrorKind::NotFound => t.t("error_not_found_hint"),
                    _ => "",
                };
                let page = ErrorPage {
                    page: PageContext::new(locale, heading.to_string(), "/".into()),
                    heading,
                    message: self.kind.message(locale),
                    hint,
                };
                match render(&page) {
                    Ok(body) => builder.content_type("text/html; charset=utf-8").body(body),
                    Err(_) => builder.content_type("text/plain; charset=utf-8").body(self.kind.message(locale)),
                }
            }
        }
    }
}

/// Enough percent-encoding for a local path in a query string.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The surface a request's errors take: the documented JSON body under `/api/`, pages
/// elsewhere.
fn surface_of(req: &actix_web::HttpRequest, kind: ErrorKind) -> AppError {
    if req.path().starts_with("/api/") {
        AppError::json(kind)
    } else {
        AppError::html(super::request_locale(req), kind)
    }
}

/// Extractor errors (a query string, path or form the framework cannot read) answered like
/// every other error, never with the framework's own text.
pub fn extractor_errors(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web::{FormConfig, PathConfig, QueryConfig};
    cfg.app_data(QueryConfig::default().error_handler(|_, req| {
        let t = Tr::new(super::request_locale(req));
        surface_of(req, ErrorKind::BadRequest(t.t("query_unreadable").into())).into()
    }))
    // A path segment of the wrong shape (a word where an id goes) names nothing that exists.
    .app_data(PathConfig::default().error_handler(|_, req| surface_of(req, ErrorKind::NotFound).into()))
    .app_data(
        FormConfig::default().error_handler(|_, req| surface_of(req, ErrorKind::BadRequest(String::new())).into()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_cause_is_logged_with_its_chain_each_part_once() {
        let e = DbError::Batch(Arc::new(DbError::Connect("connection refused".into())));
        assert_eq!(chain(&e), "the batch was not stored: cannot connect to the database: connection refused");
        assert!(matches!(ErrorKind::from(e), ErrorKind::Unavailable(_)));
        assert!(matches!(ErrorKind::from(DbError::Corrupt("x".into())), ErrorKind::Internal(_)));
    }
}
