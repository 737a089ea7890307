//! The public submission form: form → confirm → send → receipt (Post/Redirect/Get), with
//! field-by-field errors, the person's text kept at every step, a CSRF token that is also the
//! idempotency key, and a honeypot.
use super::error::{AppError, ErrorKind, OrRespond};
use super::form_files::{self, FileItem};
use super::page::{html_no_store, render, PageContext};
use super::security::form_cookie_value;
use super::view::{draft_items, summary, DraftItem, Summary};
use super::{remember_locale, request_locale, AppState};
use crate::app::intake::{PublicSubmission, Refusal};
use crate::db::consultations::StoredConsultation;
use crate::domain::attachment::AttachmentProblem;
use crate::domain::consultation::SubmitterField;
use crate::domain::submission::OpinionInput;
use crate::domain::{Channel, FieldError, FieldPath, Locale, SubmissionInput, WindowStatus};
use crate::i18n::{self, Tr};
use crate::uploads::Received;
use crate::web::page::see_other;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::HashMap;

pub use super::form_view::{ErrorLink, Limits, OpinionBlock, Required, SubmitterErrors, SubmitterInput};

mod refusal;

pub const HONEYPOT: &str = "contact_website";

/// What the person typed, as typed, in the language the form is shown in.
fn typed(pairs: &HashMap<String, String>, max_blocks: usize, locale: Locale) -> SubmissionInput {
    let get = |k: &str| pairs.get(k).cloned().unwrap_or_default();
    let count = get("opinion_count").parse::<usize>().unwrap_or(1).clamp(1, max_blocks);
    SubmissionInput {
        name: get("name"),
        organization: get("organization"),
        email: get("email"),
        postal_address: get("postal_address"),
        phone: get("phone"),
        publish_organization: pairs.get("publish_organization").is_some_and(|v| v == "yes"),
        locale,
        opinions: OpinionInput::from_fields(count, |k| pairs.get(k).map(String::as_str)),
        agreed_to_notes: Some(pairs.get("agree_to_notes").is_some_and(|v| v == "yes")),
    }
}

#[derive(Template)]
#[template(path = "public/form.html")]
struct FormPage {
    page: PageContext,
    s: Summary,
    notice: String,
    open: bool,
    token: String,
    v: SubmissionInput,
    blocks: Vec<OpinionBlock>,
    drafts: Vec<DraftItem>,
    errors: Vec<ErrorLink>,
    e: SubmitterErrors,
    submitter_inputs: Vec<SubmitterInput>,
    required: Required,
    limits: Limits,
    can_add: bool,
    honeypot: &'static str,
    notes_html: crate::markdown::SanitizedHtml,
    /// Set when the consultation takes files: the input's hint and `accept` list.
    takes_files: Option<(String, String)>,
    files: Vec<FileItem>,
    file_errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "public/confirm.html")]
struct ConfirmPage {
    page: PageContext,
    s: Summary,
    token: String,
    v: SubmissionInput,
    blocks: Vec<OpinionBlock>,
    has_notes: bool,
    files: Vec<FileItem>,
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

fn blocks(c: &StoredConsultation, v: &SubmissionInput, errors: &[FieldError], locale: Locale) -> Vec<OpinionBlock> {
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
    request: &'a HttpRequest,
    state: &'a AppState,
    stored: &'a StoredConsultation,
    locale: Locale,
    token: String,
    /// The form's nonce (empty before a token was checked), which files are sealed to.
    nonce: &'a str,
    /// Files the form carries to its next step.
    files: &'a [Received],
    file_problems: &'a [AttachmentProblem],
}

impl<'a> FormRequest<'a> {
    /// A request before its token is checked: no files carried yet.
    fn new(
        request: &'a HttpRequest,
        state: &'a AppState,
        stored: &'a StoredConsultation,
        locale: Locale,
        token: String,
    ) -> Self {
        Self { request, state, stored, locale, token, nonce: "", files: &[], file_problems: &[] }
    }

    fn form_page(&self, v: SubmissionInput, errors: Vec<FieldError>, notice: String) -> Result<String, AppError> {
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
            notes_agreement: errors
                .iter()
                .find(|e| e.field == FieldPath::NotesAgreement)
                .map(|e| i18n::field_message(locale, e)),
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
            errors: {
                let mut in_page_order: Vec<((usize, usize, usize), ErrorLink)> = errors
                    .iter()
                    .map(|e| {
                        (
                            e.field.page_order(),
                            ErrorLink { id: e.field.form_id(), message: i18n::field_message(locale, e) },
                        )
                    })
                    .collect();
                // The files come after the opinion blocks, before the submitter's fields.
                in_page_order.extend(self.file_problems.iter().map(|p| {
                    ((1, usize::MAX, 0), ErrorLink { id: "files".into(), message: i18n::attachment_message(locale, p) })
                }));
                in_page_order.sort_by_key(|(order, _)| *order);
                in_page_order.into_iter().map(|(_, link)| link).collect()
            },
            takes_files: rules.attachments.as_ref().map(|r| (form_files::hint(r, locale), form_files::accept(r))),
            files: form_files::items(&self.state.forms, self.nonce, self.files, locale),
            file_errors: self.file_problems.iter().map(|p| i18n::attachment_message(locale, p)).collect(),
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
            notes_html: crate::markdown::SanitizedHtml::from_markdown(c.notes.get(locale)),
            s,
        };
        render(&page).page(locale)
    }

    fn refused_page(&self, v: SubmissionInput, message: String) -> Result<String, AppError> {
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

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let stored = state.consultation_page(&slug, locale).await?;
    let (token, new_cookie) = state.forms.for_browser(&req, state.secure_cookies());
    let form = FormRequest::new(&req, &state, &stored, locale, token);
    let v = SubmissionInput { opinions: vec![OpinionInput::default()], locale, ..Default::default() };
    let notice = window_notice(&stored, locale, state.clock.now());
    let mut response = html_no_store(StatusCode::OK, form.form_page(v, Vec::new(), notice)?);
    if let Some(cookie) = new_cookie {
        let _ = response.add_cookie(&cookie);
    }
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
    // Loaded first: its rules say whether the body may carry files, and how large.
    let stored = state.consultation_page(&slug, locale).await?;
    let form_files::FormBody { pairs, uploaded } =
        form_files::read(&req, payload, &state, &stored).await.page(locale)?;
    // A language switch on a filled-in form keeps the text; otherwise the language the
    // person chose on the form wins over headers.
    let switched: Option<Locale> = pairs.get("switch_lang").and_then(|l| l.parse().ok());
    let locale = switched.or_else(|| pairs.get("lang").and_then(|l| l.parse().ok())).unwrap_or(locale);
    let c = &stored.consultation;
    let mut v = typed(&pairs, c.rules.max_opinions + 1, locale);
    let t = Tr::new(locale);
    let token = pairs.get("token").cloned().unwrap_or_default();
    let cookie = form_cookie_value(&req).unwrap_or_default();
    let action = if switched.is_some() { "edit" } else { pairs.get("action").map(String::as_str).unwrap_or("confirm") };

    let Some(nonce) = state.forms.verify(&cookie, &token).map(str::to_string) else {
        // Not our form, or cookies are off: keep the text, give a fresh token, ask again.
        state.metrics.refused_token.inc();
        state.intake.discard(&uploaded).await;
        let (token, new_cookie) = state.forms.for_browser(&req, state.secure_cookies());
        let form = FormRequest::new(&req, &state, &stored, locale, token);
        let page = form.form_page(v, Vec::new(), t.t("refused_token").to_string())?;
        let mut response = html_no_store(StatusCode::FORBIDDEN, page);
        if let Some(cookie) = new_cookie {
            let _ = response.add_cookie(&cookie);
        }
        return Ok(response);
    };
    let mut files = form_files::kept(&state.forms, &nonce, &pairs);
    // "Remove" on a file: it goes from the list and from the disk.
    if let Some(index) = action.strip_prefix("detach-").and_then(|i| i.parse::<usize>().ok()) {
        if index < files.len() {
            let gone = files.remove(index);
            state.intake.discard(std::slice::from_ref(&gone)).await;
        }
    }
    files.extend(uploaded);
    let form = FormRequest { nonce: &nonce, files: &files, ..FormRequest::new(&req, &state, &stored, locale, token) };

    if pairs.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        // Filled only by robots; a person who somehow did still gets their text back.
        state.metrics.refused_invalid.inc();
        return Ok(html_no_store(StatusCode::BAD_REQUEST, form.refused_page(v, t.t("error_bad_request").into())?));
    }

    // "Remove" on a block: drop it and show the form again (the others keep their text).
    if let Some(index) = action.strip_prefix("remove-").and_then(|i| i.parse::<usize>().ok()) {
        if index < v.opinions.len() && v.opinions.len() > 1 {
            v.opinions.remove(index);
        }
        return Ok(html_no_store(StatusCode::OK, form.form_page(v, Vec::new(), String::new())?));
    }
    match action {
        _ if matches!(action, "add" | "edit") || action.starts_with("detach-") => {
            if let Err(refusal) = c.admit_online(received_at) {
                let window = Refusal::Window { refusal, opens_at: c.opens_at, closes_at: c.closes_at };
                return form.refusal_page(v, window);
            }
            if action == "add" && v.opinions.len() < c.rules.max_opinions {
                v.opinions.push(OpinionInput::default());
            }
            Ok(html_no_store(StatusCode::OK, form.form_page(v, Vec::new(), String::new())?))
        }
        "confirm" => match state.intake.check(&stored, v.clone(), &files, received_at).await {
            Ok(_) => {
                let page = ConfirmPage {
                    files: form_files::items(&state.forms, &nonce, &files, locale),
                    page: PageContext::new(locale, t.t("confirm_heading").into(), format!("/c/{}/submit", c.slug)),
                    s: summary(c, locale, received_at),
                    token: form.token.clone(),
                    blocks: blocks(&stored, &v, &[], locale),
                    has_notes: !c.notes.is_empty(),
                    v,
                };
                Ok(html_no_store(StatusCode::OK, render(&page).page(locale)?))
            }
            Err(refusal) => form.refusal_page(v, refusal),
        },
        "send" => {
            let submission = PublicSubmission {
                consultation: stored.clone(),
                input: v.clone(),
                channel: Channel::Web,
                received_at,
                client: super::client::client_ip(&req),
                idempotency_key: Some(nonce.clone()),
                attachments: files.clone(),
                files_staged: true,
            };
            let has_email = !v.email.trim().is_empty();
            match state.intake.submit(None, submission).await {
                Ok(accepted) => {
                    let sent = if has_email { "&sent=email" } else { "" };
                    let location = format!("/c/{}/receipt/{}?lang={locale}{sent}", c.slug, accepted.receipt_number);
                    let mut response = see_other(location);
                    remember_locale(&req, &mut response);
                    Ok(response)
                }
                Err(refusal) => form.refusal_page(v, refusal),
            }
        }
        _ => Err(AppError::html(locale, ErrorKind::BadRequest("unknown action".into()))),
    }
}
