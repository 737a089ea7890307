//! Changes to a transcription: the second person's check, corrections and late acceptance.
//! A refused change shows the transcription's page again with what to do.
use super::detail::detail_page;
use super::{back_to, canonical, load};
use crate::app::{transcription, OpError};
use crate::domain::staff::Permission;
use crate::domain::submission::OpinionInput;
use crate::domain::transcription::{LateRefusal, ReviewRefusal};
use crate::i18n::{self, Tr};
use crate::web::error::{AppError, ErrorKind, OrRefused};
use crate::web::staff::{checked_form, require, Staff};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// Answers an operation's outcome: back to the page, or the page again with the refusal.
async fn answer<R>(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    receipt: &str,
    outcome: Result<(), OpError<R>>,
    refusal: impl FnOnce(R) -> (StatusCode, String),
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    match outcome.refused_page(locale)? {
        Ok(()) => Ok(back_to(receipt)),
        Err(r) => {
            let (status, message) = refusal(r);
            let loaded = load(state, locale, receipt).await?;
            detail_page(req, state, staff, loaded, None, message, status).await
        }
    }
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    receipt: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Verify).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let receipt = canonical(locale, &receipt)?;
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let outcome = transcription::review(
        &state.db,
        staff.actor(),
        receipt.clone(),
        field("decision"),
        field("comment"),
        state.clock.now(),
    )
    .await;
    let t = Tr::new(locale);
    answer(&req, &state, &staff, &receipt, outcome, |r| match r {
        ReviewRefusal::OwnWork => (StatusCode::FORBIDDEN, t.t("verify_own").into()),
        ReviewRefusal::CommentNeeded => {
            (StatusCode::UNPROCESSABLE_ENTITY, format!("{}: {}", t.t("send_back"), t.t("comment_label")))
        }
        ReviewRefusal::UnknownDecision => (StatusCode::BAD_REQUEST, format!("{}?", t.t("verify_heading"))),
    })
    .await
}

pub async fn correct(
    req: HttpRequest,
    state: web::Data<AppState>,
    receipt: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Transcribe).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let loaded = load(&state, locale, &receipt).await?;
    let receipt = loaded.meta.receipt_number.clone();
    let opinions = OpinionInput::from_fields(64, |k| f.get(k).map(String::as_str));
    let outcome =
        transcription::correct(&state.db, loaded.stored, staff.actor(), receipt.clone(), opinions, state.clock.now())
            .await
            .map(|_| ());
    answer(&req, &state, &staff, &receipt, outcome, |errors| {
        let message = errors.iter().map(|e| i18n::field_message(locale, e)).collect::<Vec<_>>().join(" ");
        (StatusCode::UNPROCESSABLE_ENTITY, message)
    })
    .await
}

pub async fn accept_late(
    req: HttpRequest,
    state: web::Data<AppState>,
    receipt: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::AcceptLate).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let receipt = canonical(locale, &receipt)?;
    let reason = f.get("reason").cloned().unwrap_or_default();
    let outcome =
        transcription::accept_late(&state.db, staff.actor(), receipt.clone(), reason, state.clock.now()).await;
    let t = Tr::new(locale);
    match outcome {
        Err(OpError::Refused(LateRefusal::NotAwaitingAcceptance)) => {
            Err(AppError::html(locale, ErrorKind::BadRequest("not a late item awaiting acceptance".into())))
        }
        other => {
            answer(&req, &state, &staff, &receipt, other, |_| {
                let message = format!("{}: {}", t.t("accept_late_heading"), t.t("accept_late_reason"));
                (StatusCode::UNPROCESSABLE_ENTITY, message)
            })
            .await
        }
    }
}
