//! Opinions that came by post, fax or email: entry with the scan, the clerks' queue, checking
//! by a second person, corrections that keep history, late acceptance, and the audited views
//! of contact details and scans.
use super::{check_post, checked_form, require, Staff, StaffNav};
use crate::db::audit::{self, Entry};
use crate::db::consultations::{self, StoredConsultation};
use crate::db::transcriptions::{self as tdb, QueueFilter, Verification};
use crate::domain::staff::Permission;
use crate::domain::submission::{OpinionInput, SubmissionInput};
use crate::domain::transcription::{TranscriptionError, TranscriptionField, TranscriptionInput, TranscriptionProblem};
use crate::domain::{Channel, Consultation, Locale};
use crate::i18n::{self, channel_label, Tr};
use crate::intake::{self, StoredFile};
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::{render, PageContext};
use crate::web::public::{draft_items, DraftItem};
use crate::web::security::random_hex;
use crate::web::{request_locale, AppState};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures_util::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const QUEUE_ROWS: i64 = 500;
const TEXT_FIELD_LIMIT: usize = 256 * 1024;

use crate::web::page::html_no_store as html;

pub fn state_label(locale: Locale, state: &str) -> &'static str {
    let t = Tr::new(locale);
    match state {
        "unverified" => t.t("state_unverified"),
        "sent_back" => t.t("state_sent_back"),
        "verified" => t.t("state_verified"),
        _ => "",
    }
}

// ---------------------------------------------------------------- queue

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

pub struct QueueRowView {
    pub receipt: String,
    pub consultation: String,
    pub channel: &'static str,
    pub arrived: String,
    pub late: bool,
    pub state: &'static str,
    pub typed_by: String,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    page: PageContext,
    nav: StaffNav,
    q: QueueQuery,
    tabs: Vec<Tab>,
    rows: Vec<QueueRowView>,
    channels: Vec<(&'static str, &'static str)>,
}

/// The zone staff dates are read in: the consultations' own zone when they share one.
fn staff_zone(all: &[(i64, Consultation)]) -> chrono_tz::Tz {
    let mut zones = all.iter().map(|(_, c)| c.time_zone);
    match zones.next() {
        Some(first) if zones.all(|z| z == first) => first,
        _ => chrono_tz::UTC,
    }
}

fn local_midnight(zone: chrono_tz::Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&date.and_hms_opt(0, 0, 0)?).earliest().map(|d| d.with_timezone(&Utc))
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ReadTranscriptions).await?;
    let q = q.into_inner();
    let all = state.db.run(consultations::list_with_ids).await.page(locale)?;
    let zone = staff_zone(&all);
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let filter = QueueFilter {
        consultation_id: None,
        verification: Verification::parse(&q.state),
        channel: q.channel.parse().ok(),
        receipt: q.receipt.parse::<crate::domain::ReceiptNumber>().ok().map(|r| r.to_string()),
        from: date(&q.from).and_then(|d| local_midnight(zone, d)),
        until: date(&q.to).and_then(|d| d.succ_opt()).and_then(|d| local_midnight(zone, d)),
    };
    let (rows, counts) =
        state.db.run(move |c| Ok((tdb::queue(c, &filter, QUEUE_ROWS)?, tdb::counts(c)?))).await.page(locale)?;
    let by_id: HashMap<i64, &Consultation> = all.iter().map(|(id, c)| (*id, c)).collect();
    let t = Tr::new(locale);
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let mut tabs = vec![Tab {
        href: "/staff/transcriptions".into(),
        label: t.t("state_all"),
        count: total,
        current: q.state.is_empty(),
    }];
    for v in Verification::ALL {
        tabs.push(Tab {
            href: format!("/staff/transcriptions?state={}", v.as_str()),
            label: state_label(locale, v.as_str()),
            count: counts.iter().find(|(s, _)| s == v.as_str()).map(|(_, n)| *n).unwrap_or(0),
            current: q.state == v.as_str(),
        });
    }
    let rows = rows
        .into_iter()
        .map(|r| {
            let c = by_id.get(&r.consultation_id);
            QueueRowView {
                consultation: c.map(|c| c.slug.clone()).unwrap_or_default(),
                arrived: match (c, r.channel.as_str()) {
                    (Some(c), "postal") => i18n::date(locale, c.local_date(r.received_at)),
                    (Some(c), _) => i18n::datetime(locale, r.received_at, c.time_zone),
                    (None, _) => r.received_at.to_rfc3339(),
                },
                channel: channel_label(locale, &r.channel),
                state: state_label(locale, &r.verification),
                late: r.late,
                typed_by: r.transcribed_by,
                receipt: r.receipt_number,
            }
        })
        .collect();
    let page = QueuePage {
        page: PageContext::new(locale, t.t("queue_heading").into(), "/staff/transcriptions".into()),
        nav: staff.nav(locale),
        tabs,
        rows,
        channels: [Channel::Postal, Channel::Fax, Channel::Email]
            .into_iter()
            .map(|c| (c.as_str(), channel_label(locale, c.as_str())))
            .collect(),
        q,
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}

// ---------------------------------------------------------------- entry

pub struct BlockView {
    pub index: usize,
    pub number: usize,
    pub draft: String,
    pub location: String,
    pub body: String,
    pub reason: String,
}

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
    blocks: Vec<BlockView>,
    errors: Vec<ErrorView>,
    max_upload_mb: usize,
}

impl EntryPage {
    fn value(&self, key: &str) -> &str {
        self.v.get(key).map(String::as_str).unwrap_or("")
    }
}

fn transcription_message(locale: Locale, e: &TranscriptionError) -> (String, String) {
    match e {
        TranscriptionError::Field(f) => (f.field.form_id(), i18n::field_message(locale, f)),
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
            (field.form_id().to_string(), message)
        }
    }
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
    let count = v.get("opinion_count").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).clamp(1, 50);
    let get = |k: String| v.get(&k).cloned().unwrap_or_default();
    let blocks = (0..count)
        .map(|i| BlockView {
            index: i,
            number: i + 1,
            draft: get(format!("opinion-{i}-draft")),
            location: get(format!("opinion-{i}-location")),
            body: get(format!("opinion-{i}-body")),
            reason: get(format!("opinion-{i}-reason")),
        })
        .collect();
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
        channels: [Channel::Postal, Channel::Fax, Channel::Email]
            .into_iter()
            .map(|c| (c.as_str(), channel_label(locale, c.as_str())))
            .collect(),
        v,
        blocks,
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

/// The file types a scan may have, told by the first bytes, never by the name.
pub fn sniff_scan(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else {
        None
    }
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
    let count = get("opinion_count").parse::<usize>().unwrap_or(1).clamp(1, 50);
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
            opinions: (0..count)
                .map(|i| OpinionInput {
                    draft: get(&format!("opinion-{i}-draft")),
                    location: get(&format!("opinion-{i}-location")),
                    body: get(&format!("opinion-{i}-body")),
                    reason: get(&format!("opinion-{i}-reason")),
                })
                .collect(),
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
        let n = v.get("opinion_count").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1);
        v.insert("opinion_count".into(), (n + 1).min(50).to_string());
        return Ok(html(StatusCode::OK, entry_page(locale, &staff, &state, &all, Some(&stored), v, Vec::new())?));
    }
    let entry_language = v.get("locale").and_then(|l| l.parse().ok()).unwrap_or(stored.consultation.default_locale);
    let parsed = input_from(&v, entry_language).parse(&stored.consultation, state.clock.now());
    let mut errors: Vec<ErrorView> = match &parsed {
        Ok(_) => Vec::new(),
        Err(errs) => errs
            .iter()
            .map(|e| transcription_message(locale, e))
            .map(|(id, message)| ErrorView { id, message })
            .collect(),
    };
    let file = match &upload {
        None => None,
        Some(u) if u.too_large => {
            errors.push(ErrorView {
                id: "scan".into(),
                message: format!(
                    "{}: {} MB",
                    t.t("error_too_large"),
                    state.settings.staff.upload_max_bytes / (1024 * 1024)
                ),
            });
            None
        }
        Some(u) => match sniff_scan(&u.bytes) {
            Some(kind) => Some(kind),
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
    let stored_file = match (upload, file) {
        (Some(u), Some((content_type, ext))) => {
            let dir = state.settings.data_dir.join("attachments");
            let stored_name = format!("{}.{ext}", random_hex(16));
            let path = dir.join(&stored_name);
            let size = u.bytes.len() as i64;
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| AppError::html(locale, ErrorKind::Internal(e.to_string())))?;
            tokio::fs::write(&path, &u.bytes)
                .await
                .map_err(|e| AppError::html(locale, ErrorKind::Internal(e.to_string())))?;
            let original_name: String = u.name.chars().filter(|c| !c.is_control()).take(200).collect();
            Some(StoredFile { stored_name, original_name, content_type, size_bytes: size })
        }
        _ => None,
    };
    let written_file = stored_file.as_ref().map(|f| state.settings.data_dir.join("attachments").join(&f.stored_name));
    let now = state.clock.now();
    match intake::accept_transcription(&state.db, stored.clone(), transcription, staff.actor(), stored_file, now).await
    {
        Ok(receipt) => {
            tracing::info!(receipt = %receipt, "transcription stored");
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", format!("/staff/transcriptions/{receipt}?created=1")))
                .finish())
        }
        Err(e) => {
            if let Some(path) = written_file {
                let _ = tokio::fs::remove_file(path).await;
            }
            Err(AppError::html(locale, e.into()))
        }
    }
}

// ---------------------------------------------------------------- one transcription

pub struct OpinionView {
    pub index: usize,
    pub number: usize,
    pub id: i64,
    pub draft_code: String,
    pub draft_title: String,
    pub location: String,
    pub body: String,
    pub reason: String,
}

pub struct RevisionView {
    pub number: usize,
    pub body: String,
    pub location: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size_kb: i64,
}

pub struct ContactView {
    pub name: String,
    pub organization: String,
    pub email: String,
    pub postal_address: String,
    pub phone: String,
    pub publish_organization: bool,
}

#[derive(Template)]
#[template(path = "staff/transcription.html")]
struct DetailPage {
    page: PageContext,
    nav: StaffNav,
    receipt: String,
    created: bool,
    consultation_title: String,
    channel: &'static str,
    arrived: String,
    postmark: String,
    late: bool,
    late_accepted: bool,
    late_reason: String,
    state: &'static str,
    state_code: String,
    typed_by: String,
    checked_by: String,
    comment: String,
    opinions: Vec<OpinionView>,
    revisions: Vec<RevisionView>,
    attachments: Vec<AttachmentView>,
    drafts: Vec<DraftItem>,
    contact: Option<ContactView>,
    can_verify: bool,
    own_work: bool,
    can_correct: bool,
    can_reveal: bool,
    can_accept_late: bool,
    message: String,
}

struct Loaded {
    meta: tdb::Meta,
    stored: Arc<StoredConsultation>,
}

async fn load(state: &AppState, locale: Locale, receipt: &str) -> Result<Loaded, AppError> {
    let receipt = receipt
        .parse::<crate::domain::ReceiptNumber>()
        .map_err(|_| AppError::html(locale, ErrorKind::NotFound))?
        .to_string();
    let meta = state
        .db
        .run(move |c| tdb::meta(c, &receipt))
        .await
        .page(locale)?
        .filter(|m| m.verification.is_some())
        .ok_or(AppError::html(locale, ErrorKind::NotFound))?;
    let stored = state.consultation_by_id(meta.consultation_id, locale).await?;
    Ok(Loaded { meta, stored })
}

async fn detail_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    loaded: Loaded,
    contact: Option<tdb::Contact>,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let m = loaded.meta;
    let c = &loaded.stored.consultation;
    let sid = m.submission_id;
    let ids: Vec<i64> = [m.transcribed_by, m.verified_by, m.late_accepted_by].into_iter().flatten().collect();
    let (opinions, revisions, attachments, names) = state
        .db
        .run(move |conn| {
            Ok((
                tdb::opinions_of(conn, sid)?,
                tdb::revisions_of(conn, sid)?,
                tdb::attachments_of(conn, sid)?,
                tdb::usernames(conn, &ids)?,
            ))
        })
        .await
        .page(locale)?;
    let name_of = |id: Option<i64>| {
        id.and_then(|id| names.iter().find(|(i, _)| *i == id)).map(|(_, n)| n.clone()).unwrap_or_default()
    };
    let draft_code = |id: Option<i64>| {
        id.and_then(|id| loaded.stored.draft_ids.iter().find(|(_, v)| **v == id)).map(|(k, _)| k.clone())
    };
    let t = Tr::new(locale);
    let opinion_views: Vec<OpinionView> = opinions
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let code = draft_code(o.draft_id);
            OpinionView {
                index: i,
                number: i + 1,
                id: o.id,
                draft_title: code
                    .as_deref()
                    .and_then(|k| c.draft(k))
                    .map(|d| d.title.get(locale).to_string())
                    .unwrap_or_else(|| t.t("draft_whole").into()),
                draft_code: code.unwrap_or_default(),
                location: o.location.clone().unwrap_or_default(),
                body: o.body.clone(),
                reason: o.reason.clone().unwrap_or_default(),
            }
        })
        .collect();
    let revisions = revisions
        .into_iter()
        .map(|r| RevisionView {
            number: opinions.iter().position(|o| o.id == r.opinion_id).map(|p| p + 1).unwrap_or(0),
            body: r.body,
            location: r.location.unwrap_or_default(),
            reason: r.reason.unwrap_or_default(),
            by: r.replaced_by,
            at: i18n::datetime(locale, r.replaced_at, c.time_zone),
        })
        .collect();
    let state_code = m.verification.clone().unwrap_or_default();
    let own_work = m.transcribed_by == Some(staff.user.id);
    let page = DetailPage {
        page: PageContext::new(
            locale,
            format!("{} {}", t.t("receipt_number_label"), m.receipt_number),
            format!("/staff/transcriptions/{}", m.receipt_number),
        ),
        nav: staff.nav(locale),
        created: req.query_string().contains("created=1"),
        consultation_title: c.title.get(locale).to_string(),
        channel: channel_label(locale, &m.channel),
        arrived: if m.channel == "postal" {
            i18n::date(locale, c.local_date(m.received_at))
        } else {
            i18n::datetime(locale, m.received_at, c.time_zone)
        },
        postmark: m.postmark.map(|d| i18n::date(locale, d)).unwrap_or_default(),
        late: m.late,
        late_accepted: m.late_accepted_by.is_some(),
        late_reason: m.late_acceptance_reason.clone().unwrap_or_default(),
        state: state_label(locale, &state_code),
        typed_by: name_of(m.transcribed_by),
        checked_by: name_of(m.verified_by),
        comment: m.verification_comment.clone().unwrap_or_default(),
        opinions: opinion_views,
        revisions,
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentView {
                id: a.id,
                name: a.original_name,
                content_type: a.content_type,
                size_kb: (a.size_bytes + 1023) / 1024,
            })
            .collect(),
        drafts: draft_items(c, locale),
        contact: contact.map(|k| ContactView {
            name: k.name.unwrap_or_default(),
            organization: k.organization.unwrap_or_default(),
            email: k.email.unwrap_or_default(),
            postal_address: k.postal_address.unwrap_or_default(),
            phone: k.phone.unwrap_or_default(),
            publish_organization: k.publish_organization,
        }),
        can_verify: staff.can(Permission::Verify) && !own_work && state_code != "verified",
        own_work,
        can_correct: staff.can(Permission::Transcribe),
        can_reveal: staff.can(Permission::RevealContact),
        can_accept_late: staff.can(Permission::AcceptLate) && m.late && m.late_accepted_by.is_none(),
        message,
        receipt: m.receipt_number,
        state_code,
    };
    Ok(html(status, render(&page).page(locale)?))
}

pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    receipt: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ReadTranscriptions).await?;
    let loaded = load(&state, locale, &receipt).await?;
    detail_page(&req, &state, &staff, loaded, None, String::new(), StatusCode::OK).await
}

fn back_to(receipt: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", format!("/staff/transcriptions/{receipt}"))).finish()
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
    let loaded = load(&state, locale, &receipt).await?;
    let t = Tr::new(locale);
    if loaded.meta.transcribed_by == Some(staff.user.id) {
        return detail_page(&req, &state, &staff, loaded, None, t.t("verify_own").into(), StatusCode::FORBIDDEN).await;
    }
    let decision = match f.get("decision").map(String::as_str) {
        Some("verify") => Verification::Verified,
        Some("send_back") => Verification::SentBack,
        _ => return Err(AppError::html(locale, ErrorKind::BadRequest("decision".into()))),
    };
    let comment = f.get("comment").map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if decision == Verification::SentBack && comment.is_none() {
        let message = format!("{}: {}", t.t("send_back"), t.t("comment_label"));
        return detail_page(&req, &state, &staff, loaded, None, message, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let now = state.clock.now();
    let (actor, by, sid, number) =
        (staff.actor(), staff.user.id, loaded.meta.submission_id, loaded.meta.receipt_number.clone());
    let before = json!({"verification": loaded.meta.verification});
    state
        .db
        .write(move |c| {
            tdb::set_verification(c, sid, decision, by, comment.as_deref())?;
            let after = json!({"verification": decision.as_str(), "comment": comment});
            audit::record(
                c,
                &actor,
                Entry {
                    action: "transcription_verify",
                    object_type: "submission",
                    object_id: &number,
                    before: Some(before),
                    after: Some(after),
                },
                now,
            )
        })
        .await
        .page(locale)?;
    Ok(back_to(&loaded.meta.receipt_number))
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
    let sid = loaded.meta.submission_id;
    let current = state.db.run(move |c| tdb::opinions_of(c, sid)).await.page(locale)?;
    // The corrected text passes the same checks as any submission's.
    let get = |k: String| f.get(&k).cloned().unwrap_or_default();
    let input = SubmissionInput {
        opinions: (0..current.len())
            .map(|i| OpinionInput {
                draft: get(format!("opinion-{i}-draft")),
                location: get(format!("opinion-{i}-location")),
                body: get(format!("opinion-{i}-body")),
                reason: get(format!("opinion-{i}-reason")),
            })
            .collect(),
        ..Default::default()
    };
    let valid = match input.parse_transcribed(&loaded.stored.consultation) {
        Ok(v) if v.opinions().len() == current.len() => v,
        Ok(_) => {
            let message = i18n::field_message(
                locale,
                &crate::domain::FieldError {
                    field: crate::domain::FieldPath::Body(0),
                    problem: crate::domain::Problem::Required,
                },
            );
            return detail_page(&req, &state, &staff, loaded, None, message, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(errors) => {
            let message = errors.iter().map(|e| i18n::field_message(locale, e)).collect::<Vec<_>>().join(" ");
            return detail_page(&req, &state, &staff, loaded, None, message, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let now = state.clock.now();
    let (actor, by, number) = (staff.actor(), staff.user.id, loaded.meta.receipt_number.clone());
    let draft_ids = loaded.stored.draft_ids.clone();
    let was_verified = loaded.meta.verification.clone();
    state
        .db
        .write(move |c| {
            let mut changed = 0;
            for (old, new) in current.iter().zip(valid.opinions()) {
                let draft_id = new.draft().and_then(|code| draft_ids.get(code).copied());
                let same = old.draft_id == draft_id && old.location.as_deref() == new.location() && old.body == new.body() && old.reason.as_deref() == new.reason();
                if same {
                    continue;
                }
                let correction =
                    tdb::Correction { draft_id, location: new.location(), body: new.body(), reason: new.reason() };
                tdb::correct_opinion(c, old, &correction, by, now)?;
                let before = serde_json::to_value(old).ok();
                let after = json!({"draft_id": draft_id, "location": new.location(), "body": new.body(), "reason": new.reason()});
                audit::record(c, &actor, Entry { action: "opinion_correct", object_type: "submission", object_id: &number, before, after: Some(after) }, now)?;
                changed += 1;
            }
            if changed > 0 {
                // Changed text must be checked again by a second person.
                tdb::set_verification(c, sid, Verification::Unverified, by, None)?;
                let after = json!({"verification": "unverified"});
                audit::record(c, &actor, Entry { action: "transcription_reopen", object_type: "submission", object_id: &number, before: Some(json!({"verification": was_verified})), after: Some(after) }, now)?;
            }
            Ok(())
        })
        .await
        .page(locale)?;
    Ok(back_to(&loaded.meta.receipt_number))
}

pub async fn reveal_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    receipt: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::RevealContact).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let loaded = load(&state, locale, &receipt).await?;
    let now = state.clock.now();
    let (actor, sid, number) = (staff.actor(), loaded.meta.submission_id, loaded.meta.receipt_number.clone());
    let contact = state
        .db
        .write(move |c| {
            audit::record(
                c,
                &actor,
                Entry {
                    action: "contact_reveal",
                    object_type: "submission",
                    object_id: &number,
                    before: None,
                    after: None,
                },
                now,
            )?;
            tdb::contact(c, sid)
        })
        .await
        .page(locale)?;
    detail_page(&req, &state, &staff, loaded, Some(contact), String::new(), StatusCode::OK).await
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
    let loaded = load(&state, locale, &receipt).await?;
    let t = Tr::new(locale);
    let reason = f.get("reason").map(|r| r.trim().to_string()).unwrap_or_default();
    if !loaded.meta.late || loaded.meta.late_accepted_by.is_some() {
        return Err(AppError::html(locale, ErrorKind::BadRequest("not a late item awaiting acceptance".into())));
    }
    if reason.is_empty() {
        let message = format!("{}: {}", t.t("accept_late_heading"), t.t("accept_late_reason"));
        return detail_page(&req, &state, &staff, loaded, None, message, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let now = state.clock.now();
    let (actor, by, sid, number) =
        (staff.actor(), staff.user.id, loaded.meta.submission_id, loaded.meta.receipt_number.clone());
    state
        .db
        .write(move |c| {
            tdb::accept_late(c, sid, by, &reason)?;
            let after = json!({"late_accepted": true, "reason": reason});
            audit::record(
                c,
                &actor,
                Entry {
                    action: "late_accept",
                    object_type: "submission",
                    object_id: &number,
                    before: Some(json!({"late_accepted": false})),
                    after: Some(after),
                },
                now,
            )
        })
        .await
        .page(locale)?;
    Ok(back_to(&loaded.meta.receipt_number))
}

pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::DownloadAttachments).await?;
    let id = id.into_inner();
    let attachment = state
        .db
        .run(move |c| tdb::attachment(c, id))
        .await
        .page(locale)?
        .ok_or(AppError::html(locale, ErrorKind::NotFound))?;
    let path = state.settings.data_dir.join("attachments").join(&attachment.stored_name);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::html(locale, ErrorKind::Internal(format!("attachment {id}: {e}"))))?;
    let now = state.clock.now();
    let actor = staff.actor();
    let name = attachment.original_name.clone();
    state
        .db
        .write(move |c| {
            audit::record(
                c,
                &actor,
                Entry {
                    action: "attachment_download",
                    object_type: "attachment",
                    object_id: &id.to_string(),
                    before: None,
                    after: Some(json!({"name": name})),
                },
                now,
            )
        })
        .await
        .page(locale)?;
    let ascii_name: String = attachment
        .original_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(attachment.content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{ascii_name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}
