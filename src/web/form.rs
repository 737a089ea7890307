//! The public submission form: form → confirm → send → receipt (Post/Redirect/Get), with
//! field-by-field errors, the person's text kept at every step, a CSRF token that is also the
//! idempotency key, and a honeypot.
use super::error::{AppError, ErrorKind, OrRespond};
use super::page::{render, PageContext};
use super::public::{draft_items, summary, DraftItem, Summary};
use super::security::{random_hex, read_body, FORM_COOKIE};
use super::{remember_locale, request_locale, AppState};
use crate::db::consultations::StoredConsultation;
use crate::domain::consultation::SubmitterField;
use crate::domain::submission::OpinionInput;
use crate::domain::{Channel, FieldError, FieldPath, Locale, SubmissionInput, WindowRefusal, WindowStatus};
use crate::i18n::{self, Tr};
use crate::writer::WriteError;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::HashMap;

pub const HONEYPOT: &str = "contact_website";

/// What the person typed, as typed.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub name: String,
    pub organization: String,
    pub email: String,
    pub postal_address: String,
    pub phone: String,
    pub publish_organization: bool,
    pub opinions: Vec<OpinionInput>,
}

impl FormValues {
    fn from_pairs(pairs: &HashMap<String, String>, max_blocks: usize) -> Self {
        let get = |k: &str| pairs.get(k).cloned().unwrap_or_default();
        let count = get("opinion_count").parse::<usize>().unwrap_or(1).clamp(1, max_blocks);
        let opinions = (0..count)
            .map(|i| OpinionInput {
                draft: get(&format!("opinion-{i}-draft")),
                location: get(&format!("opinion-{i}-location")),
                body: get(&format!("opinion-{i}-body")),
                reason: get(&format!("opinion-{i}-reason")),
            })
            .collect();
        Self {
            name: get("name"),
            organization: get("organization"),
            email: get("email"),
            postal_address: get("postal_address"),
            phone: get("phone"),
            publish_organization: pairs.get("publish_organization").is_some_and(|v| v == "yes"),
            opinions,
        }
    }

    fn input(&self, locale: Locale) -> SubmissionInput {
        SubmissionInput {
            name: self.name.clone(),
            organization: self.organization.clone(),
            email: self.email.clone(),
            postal_address: self.postal_address.clone(),
            phone: self.phone.clone(),
            publish_organization: self.publish_organization,
            locale,
            opinions: self.opinions.clone(),
        }
    }
}

pub struct OpinionBlock {
    pub index: usize,
    pub number: usize,
    pub draft: String,
    pub draft_title: String,
    pub location: String,
    pub body: String,
    pub reason: String,
    pub draft_error: Option<String>,
    pub location_error: Option<String>,
    pub body_error: Option<String>,
    pub reason_error: Option<String>,
}

/// One single-line submitter field as the form shows it.
pub struct SubmitterInput {
    pub id: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub error: Option<String>,
    pub value: String,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub hint: &'static str,
}

pub struct ErrorLink {
    pub id: String,
    pub message: String,
}

pub struct Required {
    pub name: bool,
    pub organization: bool,
    pub email: bool,
    pub postal_address: bool,
    pub phone: bool,
}

pub struct Limits {
    pub body: usize,
    pub reason: usize,
    pub location: usize,
    pub max_opinions: usize,
}

#[derive(Default)]
pub struct SubmitterErrors {
    pub name: Option<String>,
    pub organization: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub phone: Option<String>,
    pub opinions: Option<String>,
}

#[derive(Template)]
#[template(path = "public/form.html")]
struct FormPage {
    page: PageContext,
    s: Summary,
    notice: String,
    open: bool,
    token: String,
    v: FormValues,
    blocks: Vec<OpinionBlock>,
    drafts: Vec<DraftItem>,
    errors: Vec<ErrorLink>,
    e: SubmitterErrors,
    submitter_inputs: Vec<SubmitterInput>,
    required: Required,
    limits: Limits,
    can_add: bool,
    honeypot: &'static str,
}

#[derive(Template)]
#[template(path = "public/confirm.html")]
struct ConfirmPage {
    page: PageContext,
    s: Summary,
    token: String,
    v: FormValues,
    blocks: Vec<OpinionBlock>,
}

#[derive(Template)]
#[template(path = "public/refused.html")]
struct RefusedPage {
    page: PageContext,
    s: Summary,
    message: String,
    window: String,
    blocks: Vec<OpinionBlock>,
}

fn blocks(c: &StoredConsultation, v: &FormValues, errors: &[FieldError], locale: Locale) -> Vec<OpinionBlock> {
    let message = |path: FieldPath| errors.iter().find(|e| e.field == path).map(|e| i18n::field_message(locale, e));
    let t = Tr::new(locale);
    v.opinions
        .iter()
        .enumerate()
        .map(|(i, o)| OpinionBlock {
            index: i,
            number: i + 1,
            draft: o.draft.clone(),
            draft_title: c
                .consultation
                .draft(&o.draft)
                .map(|d| d.title.get(locale).to_string())
                .unwrap_or_else(|| t.t("draft_whole").to_string()),
            location: o.location.clone(),
            body: o.body.clone(),
            reason: o.reason.clone(),
            draft_error: message(FieldPath::Draft(i)),
            location_error: message(FieldPath::Location(i)),
            body_error: message(FieldPath::Body(i)),
            reason_error: message(FieldPath::Reason(i)),
        })
        .collect()
}

struct FormRequest<'a> {
    state: &'a AppState,
    stored: &'a StoredConsultation,
    locale: Locale,
    token: String,
}

impl FormRequest<'_> {
    fn form_page(&self, v: FormValues, errors: Vec<FieldError>, notice: String) -> Result<String, AppError> {
        let c = &self.stored.consultation;
        let locale = self.locale;
        let now = self.state.clock.now();
        let sub = |f: SubmitterField| {
            errors.iter().find(|e| e.field == FieldPath::Submitter(f)).map(|e| i18n::field_message(locale, e))
        };
        let e = SubmitterErrors {
            name: sub(SubmitterField::Name),
            organization: sub(SubmitterField::Organization),
            email: sub(SubmitterField::Email),
            postal_address: sub(SubmitterField::PostalAddress),
            phone: sub(SubmitterField::Phone),
            opinions: errors.iter().find(|e| e.field == FieldPath::Opinions).map(|e| i18n::field_message(locale, e)),
        };
        let rules = &c.rules;
        let s = summary(c, locale, now);
        let t = Tr::new(locale);
        let input = |field: SubmitterField, id, label, value: &str, input_type, autocomplete, hint| SubmitterInput {
            id,
            label: t.t(label),
            required: rules.requires(field),
            error: sub(field),
            value: value.to_string(),
            input_type,
            autocomplete,
            hint,
        };
        let submitter_inputs = vec![
            input(SubmitterField::Name, "name", "name_label", &v.name, "text", "name", ""),
            input(
                SubmitterField::Organization,
                "organization",
                "organization_label",
                &v.organization,
                "text",
                "organization",
                "",
            ),
            input(SubmitterField::Email, "email", "email_label", &v.email, "email", "email", t.t("email_hint")),
            input(SubmitterField::Phone, "phone", "phone_label_form", &v.phone, "tel", "tel", ""),
        ];
        let page = FormPage {
            page: PageContext::new(
                locale,
                format!("{} — {}", Tr::new(locale).t("form_heading"), s.title),
                format!("/c/{}/submit", c.slug),
            ),
            open: c.status_at(now) == WindowStatus::Open,
            notice,
            token: self.token.clone(),
            blocks: blocks(self.stored, &v, &errors, locale),
            can_add: v.opinions.len() < rules.max_opinions,
            v,
            drafts: draft_items(c, locale),
            errors: errors
                .iter()
                .map(|e| ErrorLink { id: e.field.form_id(), message: i18n::field_message(locale, e) })
                .collect(),
            e,
            submitter_inputs,
            required: Required {
                name: rules.requires(SubmitterField::Name),
                organization: rules.requires(SubmitterField::Organization),
                email: rules.requires(SubmitterField::Email),
                postal_address: rules.requires(SubmitterField::PostalAddress),
                phone: rules.requires(SubmitterField::Phone),
            },
            limits: Limits {
                body: rules.limits.body,
                reason: rules.limits.reason,
                location: rules.limits.location,
                max_opinions: rules.max_opinions,
            },
            honeypot: HONEYPOT,
            s,
        };
        render(&page).page(locale)
    }

    fn refused_page(&self, v: FormValues, message: String) -> Result<String, AppError> {
        let c = &self.stored.consultation;
        let s = summary(c, self.locale, self.state.clock.now());
        let window = format!("{} — {}", s.opens, s.deadline);
        let page = RefusedPage {
            page: PageContext::new(
                self.locale,
                Tr::new(self.locale).t("refused_heading").into(),
                format!("/c/{}", c.slug),
            ),
            blocks: blocks(self.stored, &v, &[], self.locale),
            s,
            message,
            window,
        };
        render(&page).page(self.locale)
    }
}

fn html_with(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
}

fn form_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(FORM_COOKIE, value.to_string())
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies())
        .same_site(SameSite::Strict)
        .finish()
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let stored = state.consultation_page(&slug, locale).await?;
    let cookie = req.cookie(FORM_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() == 32);
    let cookie_value = cookie.clone().unwrap_or_else(|| random_hex(16));
    let form = FormRequest { state: &state, stored: &stored, locale, token: state.forms.issue(&cookie_value) };
    let v = FormValues { opinions: vec![OpinionInput::default()], ..Default::default() };
    let notice = window_notice(&stored, locale, state.clock.now());
    let mut response = html_with(StatusCode::OK, form.form_page(v, Vec::new(), notice)?);
    if cookie.is_none() {
        let _ = response.add_cookie(&form_cookie(&state, &cookie_value));
    }
    response
        .headers_mut()
        .insert(actix_web::http::header::CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static("no-store"));
    remember_locale(&req, &mut response);
    Ok(response)
}

fn window_notice(stored: &StoredConsultation, locale: Locale, now: chrono::DateTime<chrono::Utc>) -> String {
    let t = Tr::new(locale);
    match stored.consultation.status_at(now) {
        WindowStatus::Open => String::new(),
        WindowStatus::Upcoming => t.t("not_open_yet").to_string(),
        WindowStatus::Closed => t.t("closed_now").to_string(),
    }
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    // The instant that decides the window is taken first, before any slow work.
    let received_at = state.clock.now();
    let locale = request_locale(&req);
    let body = read_body(&req, payload, state.settings.max_request_bytes).await.page(locale)?;
    let pairs: HashMap<String, String> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|e| AppError::html(locale, ErrorKind::BadRequest(e.to_string())))?
        .into_iter()
        .collect();
    // A language switch on a filled-in form keeps the text; otherwise the language the
    // person chose on the form wins over headers.
    let switched: Option<Locale> = pairs.get("switch_lang").and_then(|l| l.parse().ok());
    let locale = switched.or_else(|| pairs.get("lang").and_then(|l| l.parse().ok())).unwrap_or(locale);
    let stored = state.consultation_page(&slug, locale).await?;
    let c = &stored.consultation;
    let max_blocks = c.rules.max_opinions + 1;
    let mut v = FormValues::from_pairs(&pairs, max_blocks);
    let t = Tr::new(locale);
    let token = pairs.get("token").cloned().unwrap_or_default();
    let cookie = req.cookie(FORM_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let nonce = state.forms.verify(&cookie, &token).map(str::to_string);
    let action = if switched.is_some() { "edit" } else { pairs.get("action").map(String::as_str).unwrap_or("confirm") };

    let Some(nonce) = nonce else {
        // Not our form, or cookies are off: keep the text, give a fresh token, ask again.
        state.metrics.refused_token.inc();
        let cookie_value = if cookie.len() == 32 { cookie } else { random_hex(16) };
        let form = FormRequest { state: &state, stored: &stored, locale, token: state.forms.issue(&cookie_value) };
        let mut response =
            html_with(StatusCode::FORBIDDEN, form.form_page(v, Vec::new(), t.t("refused_token").to_string())?);
        let _ = response.add_cookie(&form_cookie(&state, &cookie_value));
        return Ok(response);
    };
    let form = FormRequest { state: &state, stored: &stored, locale, token };

    if pairs.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        // Filled only by robots; a person who somehow did still gets their text back.
        state.metrics.refused_invalid.inc();
        return Ok(html_with(StatusCode::BAD_REQUEST, form.refused_page(v, t.t("error_bad_request").into())?));
    }

    if let Err(refusal) = c.admit_online(received_at) {
        let message = match refusal {
            WindowRefusal::Closed => {
                state.metrics.refused_closed.inc();
                t.t("refused_closed")
            }
            WindowRefusal::NotOpen => {
                state.metrics.refused_not_open.inc();
                t.t("refused_not_open")
            }
        };
        return Ok(html_with(StatusCode::FORBIDDEN, form.refused_page(v, message.into())?));
    }

    match action {
        "add" => {
            if v.opinions.len() < c.rules.max_opinions {
                v.opinions.push(OpinionInput::default());
            }
            Ok(html_with(StatusCode::OK, form.form_page(v, Vec::new(), String::new())?))
        }
        "edit" => Ok(html_with(StatusCode::OK, form.form_page(v, Vec::new(), String::new())?)),
        "send" | "confirm" => {
            let valid = match v.input(locale).parse(c) {
                Ok(valid) => valid,
                Err(errors) => {
                    state.metrics.refused_invalid.inc();
                    return Ok(html_with(StatusCode::UNPROCESSABLE_ENTITY, form.form_page(v, errors, String::new())?));
                }
            };
            if action == "confirm" {
                let s = summary(c, locale, received_at);
                let page = ConfirmPage {
                    page: PageContext::new(locale, t.t("confirm_heading").into(), format!("/c/{}/submit", c.slug)),
                    s,
                    token: form.token.clone(),
                    blocks: blocks(&stored, &v, &[], locale),
                    v,
                };
                return Ok(html_with(StatusCode::OK, render(&page).page(locale)?));
            }
            if let Err(wait) = state.limiter.check(req.peer_addr().map(|a| a.ip())) {
                state.metrics.refused_rate_limited.inc();
                let mut response =
                    html_with(StatusCode::TOO_MANY_REQUESTS, form.refused_page(v, t.t("error_rate_limited").into())?);
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from(wait));
                return Ok(response);
            }
            let has_email = valid.submitter().email().is_some();
            // The form is admitted after its body is read: a refused person gets the text back.
            let outcome = match state.writer.admit() {
                Ok(permit) => {
                    state.writer.submit(&permit, stored.clone(), valid, Channel::Web, received_at, Some(nonce)).await
                }
                Err(busy) => Err(busy),
            };
            let accepted = match outcome {
                Ok(accepted) => accepted,
                Err(e) => {
                    match &e {
                        WriteError::Busy => state.metrics.refused_busy.inc(),
                        WriteError::Db(cause) => tracing::error!(error = %cause, "could not store a web submission"),
                    }
                    // Busy or the database is away: nothing was stored; the text goes back.
                    let mut response =
                        html_with(StatusCode::SERVICE_UNAVAILABLE, form.refused_page(v, t.t("refused_busy").into())?);
                    response.headers_mut().insert(
                        actix_web::http::header::RETRY_AFTER,
                        actix_web::http::header::HeaderValue::from_static("5"),
                    );
                    return Ok(response);
                }
            };
            if accepted.new {
                state.metrics.accepted_web.inc();
                state.wake_worker.notify_one();
                tracing::info!(consultation = %c.slug, receipt = %accepted.receipt_number, "web submission accepted");
            }
            let sent = if has_email { "&sent=email" } else { "" };
            let location = format!("/c/{}/receipt/{}?lang={locale}{sent}", c.slug, accepted.receipt_number);
            let mut response = HttpResponse::SeeOther().insert_header(("Location", location)).finish();
            remember_locale(&req, &mut response);
            Ok(response)
        }
        _ => Err(AppError::html(locale, ErrorKind::BadRequest("unknown action".into()))),
    }
}
