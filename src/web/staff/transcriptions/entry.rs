//! Typing in a letter, fax or email: the entry form with the scan, read from a multipart body.
use super::transcribed_channels;
use crate::app::transcription;
use crate::db::consultations::{self, StoredConsultation};
use crate::domain::attachment::FileType;
use crate::domain::staff::Permission;
use crate::domain::submission::{OpinionInput, SubmissionInput};
use crate::domain::transcription::{TranscriptionError, TranscriptionField, TranscriptionInput, TranscriptionProblem};
use crate::domain::{Consultation, Locale};
use crate::i18n::{self, Tr};
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::staff::{check_post, require, Staff, StaffNav};
use crate::web::view::{blocks, draft_items, Block, DraftItem};
use crate::web::{request_locale, AppState};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use std::collections::HashMap;

const TEXT_FIELD_LIMIT: usize = 256 * 1024;
/// Opinion blocks one letter may be split into.
const MAX_BLOCKS: usize = 50;

pub struct ErrorView {
    pub id: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "staff/transcription_form.html")]
struct EntryPage {
    page: PageContext,
    nav: StaffNav,
    consultations: Vec<(String, String)>,
    slug: String,
    drafts: Vec<DraftItem>,
    channels: Vec<(&'static str, &'static str)>,
    v: HashMap<String, String>,
    blocks: Vec<Block>,
    errors: Vec<ErrorView>,
    max_upload_mb: usize,
}

impl EntryPage {
    fn value(&self, key: &str) -> &str {
        self.v.get(key).map(String::as_str).unwrap_or("")
    }
}

fn transcription_message(locale: Locale, e: &TranscriptionError) -> ErrorView {
    match e {
        TranscriptionError::Field(f) => ErrorView { id: f.field.form_id(), message: i18n::field_message(locale, f) },
        TranscriptionError::Arrival(field, problem) => {
            let t = Tr::new(locale);
            let label = t.t(match field {
                TranscriptionField::Channel => "channel_label",
                TranscriptionField::ArrivalDate => "arrival_date_label",
                TranscriptionField::ArrivalTime => "arrival_time_label",
                TranscriptionField::PostmarkDate => "postmark_label",
            });
            let message = match (locale, problem) {
                (Locale::Ja, TranscriptionProblem::UnknownChannel) => format!("{label}を選んでください。"),
                (Locale::En, TranscriptionProblem::UnknownChannel) => format!("Choose the {}", label.to_lowercase()),
                (Locale::Ja, TranscriptionProblem::Required) => format!("{label}を入力してください。"),
                (Locale::En, TranscriptionProblem::Required) => format!("Enter the {}", label.to_lowercase()),
                (Locale::Ja, TranscriptionProblem::NotADate) => {
                    format!("{label}を 2020-04-26 の形式で入力してください。")
                }
                (Locale::En, TranscriptionProblem::NotADate) => format!("{label}: write the date like 2020-04-26"),
                (Locale::Ja, TranscriptionProblem::NotATime) => format!("{label}を 23:59 の形式で入力してください。"),
                (Locale::En, TranscriptionProblem::NotATime) => format!("{label}: write the time like 23:59"),
                (Locale::Ja, TranscriptionProblem::InTheFuture) => {
                    format!("{label}が未来になっています。確認してください。")
                }
                (Locale::En, TranscriptionProblem::InTheFuture) => format!("{label} is in the future: check it"),
            };
            ErrorView { id: field.form_id().to_string(), message }
        }
    }
}

fn block_count(v: &HashMap<String, String>) -> usize {
    v.get("opinion_count").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).clamp(1, MAX_BLOCKS)
}

fn opinions_of(v: &HashMap<String, String>) -> Vec<OpinionInput> {
    OpinionInput::from_fields(block_count(v), |k| v.get(k).map(String::as_str))
}

fn entry_page(
    locale: Locale,
    staff: &Staff,
    state: &AppState,
    all: &[(i64, Consultation)],
    stored: Option<&StoredConsultation>,
    v: HashMap<String, String>,
    errors: Vec<ErrorView>,
) -> Result<String, AppError> {
    let page = EntryPage {
        page: PageContext::new(
            locale,
            Tr::new(locale).t("nav_new_transcription").into(),
            "/staff/transcriptions/new".into(),
        ),
        nav: staff.nav(locale),
        consultations: all.iter().map(|(_, c)| (c.slug.clone(), c.title.get(locale).to_string())).collect(),
        slug: stored.map(|s| s.consultation.slug.clone()).unwrap_or_default(),
        drafts: stored.map(|s| draft_items(&s.consultation, locale)).unwrap_or_default(),
        channels: transcribed_channels(locale),
        blocks: blocks(&opinions_of(&v)),
        v,
        errors,
        max_upload_mb: state.settings.staff.upload_max_bytes / (1024 * 1024),
    };
    render(&page).page(locale)
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    consultation: Option<String>,
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Transcribe).await?;
    let all = state.db.run(consultations::list_with_ids).await.page(locale)?;
    let stored = match q.consultation.as_deref() {
        Some(slug) => Some(state.consultation_page(slug, locale).await?),
        None => None,
    };
    let body = entry_page(locale, &staff, &state, &all, stored.as_deref(), HashMap::new(), Vec::new())?;
    Ok(html(StatusCode::OK, body))
}

struct Upload {
    name: String,
    bytes: Vec<u8>,
    too_large: bool,
}

async fn read_multipart(
    mut form: Multipart,
    file_limit: usize,
) -> Result<(HashMap<String, String>, Option<Upload>), ErrorKind> {
    let mut fields = HashMap::new();
    let mut upload = None;
    while let Some(item) = form.next().await {
        let mut field = item.map_err(|e| ErrorKind::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or("").to_string();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_string);
        let limit = if filename.is_some() { file_limit } else { TEXT_FIELD_LIMIT };
        let mut data = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ErrorKind::BadRequest(e.to_string()))?;
            if data.len() + chunk.len() > limit {
                too_large = true;
                continue; // drain the rest without keeping it
            }
            data.extend_from_slice(&chunk);
        }
        match filename {
            Some(f) if name == "scan" => {
                if !f.is_empty() || !data.is_empty() {
                    upload = Some(Upload { name: f, bytes: data, too_large });
                }
            }
            _ => {
                if too_large {
                    return Err(ErrorKind::PayloadTooLarge);
                }
                fields.insert(name, String::from_utf8_lossy(&data).into_owned());
            }
        }
    }
    Ok((fields, upload))
}

fn input_from(v: &HashMap<String, String>, locale: Locale) -> TranscriptionInput {
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    TranscriptionInput {
        channel: get("channel"),
        arrival_date: get("arrival_date"),
        arrival_time: get("arrival_time"),
        postmark_date: get("postmark_date"),
        submission: SubmissionInput {
            name: get("name"),
            organization: get("organization"),
            email: get("email"),
            postal_address: get("postal_address"),
            phone: get("phone"),
            publish_organization: get("publish_organization") == "yes",
            locale,
            opinions: opinions_of(v),
            agreed_to_notes: None,
        },
    }
}

pub async fn create(req: HttpRequest, state: web::Data<AppState>, form: Multipart) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Transcribe).await?;
    let (mut v, upload) = read_multipart(form, state.settings.staff.upload_max_bytes).await.page(locale)?;
    check_post(&req, &state, &staff, v.get("csrf").map(String::as_str))?;
    let slug = v.get("consultation").cloned().unwrap_or_default();
    let stored = state.consultation_page(&slug, locale).await?;
    let all = state.db.run(consultations::list_with_ids).await.page(locale)?;
    let t = Tr::new(locale);
    if v.get("action").map(String::as_str) == Some("add") {
        let n = block_count(&v);
        v.insert("opinion_count".into(), (n + 1).min(MAX_BLOCKS).to_string());
        return Ok(html(StatusCode::OK, entry_page(locale, &staff, &state, &all, Some(&stored), v, Vec::new())?));
    }
    let entry_language = v.get("locale").and_then(|l| l.parse().ok()).unwrap_or(stored.consultation.default_locale);
    let parsed = input_from(&v, entry_language).parse(&stored.consultation, state.clock.now());
    let mut errors: Vec<ErrorView> = match &parsed {
        Ok(_) => Vec::new(),
        Err(errs) => errs.iter().map(|e| transcription_message(locale, e)).collect(),
    };
    let scan = match &upload {
        None => None,
        Some(u) if u.too_large => {
            let max_mb = state.settings.staff.upload_max_bytes / (1024 * 1024);
            errors.push(ErrorView { id: "scan".into(), message: format!("{}: {max_mb} MB", t.t("error_too_large")) });
            None
        }
        Some(u) => match FileType::detect(&u.bytes).filter(|t| FileType::SCANS.contains(t)) {
            Some(kind) => Some((kind, u)),
            None => {
                errors.push(ErrorView { id: "scan".into(), message: t.t("scan_hint").into() });
                None
            }
        },
    };
    let transcription = match parsed {
        Ok(tr) if errors.is_empty() => tr,
        _ => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                entry_page(locale, &staff, &state, &all, Some(&stored), v, errors)?,
            ));
        }
    };
    let stored_scan = match scan {
        Some((kind, u)) => Some(
            state
                .files
                .store(kind, &u.name, &u.bytes)
                .await
                .map_err(|e| AppError::html(locale, ErrorKind::internal(e)))?,
        ),
        None => None,
    };
    let now = state.clock.now();
    let receipt =
        transcription::create(&state.db, &state.files, stored, transcription, staff.actor(), stored_scan, now)
            .await
            .page(locale)?;
    tracing::info!(consultation = %slug, "transcription stored");
    Ok(see_other(format!("/staff/transcriptions/{receipt}?created=1")))
}
