//! JSON API v1: list, detail and submit, with the documented error body.
use super::error::{AppError, ErrorKind, OrNotFound, OrRespond};
use super::results::export::json_body;
use super::security::{content_type_is, discard_small_body, read_body};
use super::{request_locale, AppState};
use crate::app::intake::PublicSubmission;
use crate::db::consultations;
use crate::domain::idempotency::{check_key, KeyProblem};
use crate::domain::submission::OpinionInput;
use crate::domain::{Channel, Consultation, Locale, Localized, SubmissionInput};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The API's routes, written once: the router is built from this table and `ROUTES` lists it
/// for the OpenAPI document, which must describe exactly these (a test checks).
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every route of the API as (method, full path).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), concat!("/api/v1", $path))),*];

        /// Registers every route under `/api/v1`; anything else there answers the JSON 404.
        pub fn routes(cfg: &mut web::ServiceConfig) {
            cfg.service(web::scope("/api/v1")$(.route($path, web::$method().to($handler)))*.default_service(web::to(not_found)));
        }
    };
}

// The router tries these in order, each pattern with a parameter by a regular expression
// (5 % of pubcom's CPU under API load): submissions, the route that takes the load, come first.
api_routes! {
    post "/consultations/{slug}/submissions" => submit,
    get "/consultations" => list,
    get "/consultations/{slug}" => detail,
    get "/consultations/{slug}/submissions/{receipt_number}" => super::receipt::api::status,
    post "/consultations/{slug}/submissions/{receipt_number}/withdrawal" => super::receipt::api::withdraw,
    get "/consultations/{slug}/results" => results,
    get "/openapi.json" => openapi,
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(include_str!("../../static/openapi.json"))
}

#[derive(serde::Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

pub async fn results(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let stored = state.consultation(&slug).await.found_api()?;
    let (id, version) = (stored.id, q.version);
    match state.db.run(move |c| crate::db::results::load(c, id, version)).await.api()? {
        Some(published) => Ok(HttpResponse::Ok().content_type("application/json").streaming(json_body(
            &state,
            published,
            request_locale(&req),
        ))),
        None => Err(AppError::json(ErrorKind::NotPublished)),
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Serialize)]
struct ConsultationItem {
    slug: String,
    title: Localized,
    opens_at: String,
    closes_at: String,
    time_zone: String,
    status: &'static str,
}

fn item(c: &Consultation, now: DateTime<Utc>) -> ConsultationItem {
    ConsultationItem {
        slug: c.slug.clone(),
        title: c.title.clone(),
        opens_at: rfc3339(c.opens_at),
        closes_at: rfc3339(c.closes_at),
        time_zone: c.time_zone.name().to_string(),
        status: c.status_at(now).as_str(),
    }
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (all, published) = state
        .db
        .run(|c| Ok((consultations::list_with_ids(c)?, crate::db::results::published_consultations(c)?)))
        .await
        .api()?;
    let now = state.clock.now();
    let items: Vec<ConsultationItem> = all
        .iter()
        .map(|(id, c)| {
            let mut i = item(c, now);
            if published.contains(id) {
                i.status = "published";
            }
            i
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "consultations": items })))
}

#[derive(Serialize)]
struct DraftItem {
    code: String,
    parent: Option<String>,
    title: Localized,
    url: Option<String>,
}

#[derive(Serialize)]
struct ConsultationDetail {
    #[serde(flatten)]
    item: ConsultationItem,
    default_locale: Locale,
    postal_arrival_deadline: Option<String>,
    summary: Localized,
    organizers: Vec<Localized>,
    drafts: Vec<DraftItem>,
    max_opinions: usize,
    required_submitter_fields: Vec<&'static str>,
    /// The notes (注意事項, Markdown) a client shows people before they send.
    notes: Localized,
}

pub async fn detail(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let stored = state.consultation(&slug).await.found_api()?;
    let c = &stored.consultation;
    let mut required: Vec<&'static str> =
        c.rules.required.iter().map(|f| crate::domain::submission::submitter_key(*f)).collect();
    required.sort_unstable();
    let detail = ConsultationDetail {
        item: item(c, state.clock.now()),
        default_locale: c.default_locale,
        postal_arrival_deadline: c.postal_arrival_deadline.map(|d| d.to_string()),
        summary: c.summary.clone(),
        organizers: c.organizers.clone(),
        drafts: c
            .drafts
            .iter()
            .map(|d| DraftItem {
                code: d.code.clone(),
                parent: d.parent.clone(),
                title: d.title.clone(),
                url: d.url.clone(),
            })
            .collect(),
        max_opinions: c.rules.max_opinions,
        required_submitter_fields: required,
        notes: c.notes.clone(),
    };
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiSubmitter {
    name: Option<String>,
    organization: Option<String>,
    email: Option<String>,
    postal_address: Option<String>,
    phone: Option<String>,
    publish_organization: bool,
}

#[derive(Deserialize)]
struct ApiOpinion {
    #[serde(default)]
    draft: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct ApiSubmission {
    #[serde(default)]
    submitter: ApiSubmitter,
    #[serde(default)]
    locale: Option<Locale>,
    opinions: Vec<ApiOpinion>,
}

impl ApiSubmission {
    fn input(self, default_locale: Locale) -> SubmissionInput {
        let s = self.submitter;
        SubmissionInput {
            name: s.name.unwrap_or_default(),
            organization: s.organization.unwrap_or_default(),
            email: s.email.unwrap_or_default(),
            postal_address: s.postal_address.unwrap_or_default(),
            phone: s.phone.unwrap_or_default(),
            publish_organization: s.publish_organization,
            locale: self.locale.unwrap_or(default_locale),
            opinions: self
                .opinions
                .into_iter()
                .map(|o| OpinionInput {
                    draft: o.draft.unwrap_or_default(),
                    location: o.location.unwrap_or_default(),
                    body: o.body,
                    reason: o.reason.unwrap_or_default(),
                })
                .collect(),
            // The API shows no box; `GET /api/v1/consultations/{slug}` gives clients the notes.
            agreed_to_notes: None,
        }
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let received_at = state.clock.now();
    let client = super::client::client_ip(&req);
    let multipart = super::uploads::is_multipart(&req);
    if !multipart && !content_type_is(&req, "application/json") {
        return Err(AppError::json(ErrorKind::UnsupportedMediaType));
    }
    // Admitted before the body is read: the cheapest answer an overloaded server can give.
    let admission = match state.intake.admit(client).await {
        Ok(admission) => admission,
        Err(refusal) => {
            discard_small_body(&req, payload).await;
            return Err(AppError::json(refusal.into()));
        }
    };
    let stored = state.consultation(&slug).await.found_api()?;
    let (body, attachments) = if multipart {
        let limits = super::uploads::Limits {
            rules: stored.consultation.rules.attachments.as_ref(),
            text_bytes: state.settings.max_request_bytes,
            deadline: std::time::Duration::from_secs(state.settings.attachments.upload_deadline_secs.max(1)),
        };
        let parts = super::uploads::read(&req, payload, &state.files, limits).await.api()?;
        match parts.fields.into_iter().find(|(name, _)| name == "submission") {
            Some((_, json)) => (json.into_bytes(), parts.files),
            None => {
                state.intake.discard(&parts.files).await;
                let missing = "the multipart body has no part named 'submission' holding the submission's JSON";
                return Err(AppError::json(ErrorKind::BadRequest(missing.into())));
            }
        }
    } else {
        (read_body(&req, payload, state.settings.max_request_bytes).await.api()?.to_vec(), Vec::new())
    };
    let default_locale = stored.consultation.default_locale;
    let parsed: ApiSubmission = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            state.intake.discard(&attachments).await;
            // Say where the body went wrong, without echoing its content back.
            return Err(AppError::json(ErrorKind::BadRequest(format!(
                "the body is not a valid submission (line {}, column {}): {}",
                e.line(),
                e.column(),
                classify(&e)
            ))));
        }
    };
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(value) => match check_key(value.as_bytes()) {
            Ok(k) => Some(format!("api:{k}")),
            Err(problem) => {
                state.intake.discard(&attachments).await;
                return Err(AppError::json(ErrorKind::BadRequest(key_problem(problem).into())));
            }
        },
    };
    let submission = PublicSubmission {
        consultation: stored,
        input: parsed.input(default_locale),
        channel: Channel::Api,
        received_at,
        client,
        idempotency_key: key,
        attachments,
        files_staged: false,
    };
    let accepted = state.intake.submit(Some(admission), submission).await.api()?;
    let status = if accepted.new { actix_web::http::StatusCode::CREATED } else { actix_web::http::StatusCode::OK };
    Ok(HttpResponse::build(status).json(serde_json::json!({
        "receipt_number": accepted.receipt_number,
        "received_at": rfc3339(received_at),
    })))
}

fn key_problem(problem: KeyProblem) -> &'static str {
    match problem {
        KeyProblem::Empty => "the Idempotency-Key header is empty",
        KeyProblem::TooLong => "the Idempotency-Key header is longer than 100 characters",
        KeyProblem::NotPrintableAscii => "the Idempotency-Key header may hold printable ASCII only",
    }
}

fn classify(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax => "malformed JSON",
        Category::Eof => "the JSON ends too early",
        Category::Data => "a field has the wrong type or a required field (opinions) is missing",
        Category::Io => "the body could not be read",
    }
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::json(ErrorKind::NotFound))
}
