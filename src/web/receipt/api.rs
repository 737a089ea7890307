//! The receipt in the JSON API: a submission's status and, once results are published, what
//! became of each opinion; and withdrawal. Same rules and private headers as the pages.
use super::{count_lookup, parse_typed, private};
use crate::app::receipts::{self as ops, Tracking};
use crate::app::OpError;
use crate::db::consultations::StoredConsultation;
use crate::domain::{Locale, ReceiptNumber};
use crate::web::error::{AppError, ErrorKind, OrNotFound, OrRespond};
use crate::web::results::PublicOpinion;
use crate::web::{request_locale, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
struct SubmissionStatus {
    receipt_number: String,
    /// `received`, `under_consideration`, `published` or `withdrawn`.
    status: &'static str,
    received_at: String,
    withdrawn_at: Option<String>,
    /// The published version the opinions' outcomes come from.
    results_version: Option<i32>,
    opinions: Vec<OpinionStatus>,
}

#[derive(Serialize)]
struct OpinionStatus {
    number: usize,
    draft: Option<String>,
    /// After publication: `answered`, or why the text is not published (`late`,
    /// `out_of_scope`, `abusive`, `duplicate`, `withdrawn`, `new`, `in_review`); `null` before,
    /// and for an opinion that arrived after the version was published.
    outcome: Option<String>,
    /// The opinion as published (withheld text marked in the reader's language).
    published: Option<PublicOpinion>,
    /// Ids of the response items that answer it.
    response_item_ids: Vec<i64>,
    /// Answered together with other opinions of the same content (同趣旨).
    same_content: bool,
    /// The answer's place on the results page.
    results_url: Option<String>,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn body(slug: &str, tracking: &Tracking, locale: Locale) -> SubmissionStatus {
    let s = &tracking.submission;
    SubmissionStatus {
        receipt_number: s.receipt_number.clone(),
        status: tracking.status.as_str(),
        received_at: rfc3339(s.received_at),
        withdrawn_at: s.withdrawn_at.map(rfc3339),
        results_version: tracking.version.filter(|_| !tracking.outcomes.is_empty()),
        opinions: s
            .opinions
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let outcome = tracking.outcomes.get(&o.id);
                let answer = outcome.and_then(|x| x.answer.as_ref());
                OpinionStatus {
                    number: i + 1,
                    draft: o.draft_code.clone(),
                    outcome: outcome.map(|x| x.outcome.clone()),
                    published: answer.map(|a| PublicOpinion::new(&a.opinion, locale)),
                    response_item_ids: answer.map(|a| vec![a.response_item_id]).unwrap_or_default(),
                    same_content: answer.is_some_and(|a| a.same_content),
                    results_url: answer.map(|a| format!("/c/{slug}/results#{}", a.anchor())),
                }
            })
            .collect(),
    }
}

/// `GET /api/v1/consultations/{slug}/submissions/{receipt_number}`.
pub async fn status(req: HttpRequest, state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, number) = path.into_inner();
    private(status_of(&req, &state, &slug, &number).await)
}

/// The consultation and the typed receipt number, the lookup counted against the client.
async fn lookup(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    number: &str,
) -> Result<(Arc<StoredConsultation>, ReceiptNumber), AppError> {
    let stored = state.consultation(slug).await.found_api()?;
    count_lookup(req, state).await.api()?;
    Ok((stored, parse_typed(number).api()?))
}

async fn status_of(req: &HttpRequest, state: &AppState, slug: &str, number: &str) -> Result<HttpResponse, AppError> {
    let (stored, number) = lookup(req, state, slug, number).await?;
    let tracking = ops::track(&state.db, stored.clone(), number, state.clock.now()).await.found_api()?;
    Ok(HttpResponse::Ok().json(body(&stored.consultation.slug, &tracking, request_locale(req))))
}

/// `POST /api/v1/consultations/{slug}/submissions/{receipt_number}/withdrawal`.
pub async fn withdraw(req: HttpRequest, state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, number) = path.into_inner();
    private(withdraw_now(&req, &state, &slug, &number).await)
}

async fn withdraw_now(req: &HttpRequest, state: &AppState, slug: &str, number: &str) -> Result<HttpResponse, AppError> {
    let (stored, number) = lookup(req, state, slug, number).await?;
    let client = crate::web::client::client_ip(req).map(|ip| ip.to_string()).unwrap_or_default();
    let now = state.clock.now();
    match ops::withdraw(&state.db, stored.clone(), number.clone(), client, now).await {
        Ok(_) => {}
        Err(OpError::NotFound) => return Err(AppError::json(ErrorKind::NotFound)),
        Err(OpError::Refused(refusal)) => return Err(AppError::json(ErrorKind::Withdrawal(refusal))),
        Err(OpError::Db(e)) => return Err(AppError::json(e.into())),
    }
    let tracking = ops::track(&state.db, stored.clone(), number, now).await.found_api()?;
    Ok(HttpResponse::Ok().json(body(&stored.consultation.slug, &tracking, request_locale(req))))
}
