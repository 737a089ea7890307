//! One transcription's page: arrival, state, the people involved, the opinions as typed with
//! their earlier versions, the scans, and (on request, audited) the contact details.
use super::queue::arrival;
use super::{canonical, load, Loaded};
use crate::app::contact::{self, Whose};
use crate::app::transcription;
use crate::db::transcriptions::{self as tdb, Contact};
use crate::domain::attachment::FileType;
use crate::domain::staff::Permission;
use crate::domain::transcription::Verification;
use crate::i18n::{self, channel_label, verification_label, Tr};
use crate::web::error::{AppError, ErrorKind, OrRefused, OrRespond};
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::staff::{checked_form, require, Staff, StaffNav};
use crate::web::view::{draft_code, draft_items, draft_label, DraftItem};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

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
    state_code: &'static str,
    typed_by: String,
    checked_by: String,
    /// "Checked by" once verified, "Sent back by" when sent back for correction.
    checked_by_label: &'static str,
    /// The zone the history's times are in.
    zone: String,
    corrected_by: String,
    comment: String,
    opinions: Vec<OpinionView>,
    revisions: Vec<RevisionView>,
    attachments: Vec<AttachmentView>,
    drafts: Vec<DraftItem>,
    contact: Option<Contact>,
    can_verify: bool,
    own_work: bool,
    can_correct: bool,
    can_reveal: bool,
    can_accept_late: bool,
    message: String,
}

/// The page, with a message from a refused action when there is one.
pub(super) async fn detail_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    loaded: Loaded,
    contact: Option<Contact>,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let Loaded { meta: m, stored } = loaded;
    let c = &stored.consultation;
    let sid = m.submission_id;
    let ids: Vec<i64> =
        [m.transcribed_by, m.verified_by, m.late_accepted_by, m.corrected_by].into_iter().flatten().collect();
    let (opinions, revisions, attachments, names) = state
        .db
        .run(move |conn| {
            Ok((
                tdb::opinions_of(conn, sid)?,
                tdb::revisions_of(conn, sid)?,
                crate::db::attachments::of_submission(conn, sid)?,
                tdb::usernames(conn, &ids)?,
            ))
        })
        .await
        .page(locale)?;
    let name_of = |id: Option<i64>| {
        id.and_then(|id| names.iter().find(|(i, _)| *i == id)).map(|(_, n)| n.clone()).unwrap_or_default()
    };
    let t = Tr::new(locale);
    let opinion_views: Vec<OpinionView> = opinions
        .iter()
        .enumerate()
        .map(|(i, o)| OpinionView {
            index: i,
            number: i + 1,
            id: o.id,
            draft_title: draft_label(&stored, locale, o.draft_id),
            draft_code: draft_code(&stored, o.draft_id).unwrap_or_default(),
            location: o.location.clone().unwrap_or_default(),
            body: o.body.clone(),
            reason: o.reason.clone().unwrap_or_default(),
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
    let verification = m.verification.unwrap_or(Verification::Unverified);
    let own_work = m.hands().includes(staff.user.id);
    let page = DetailPage {
        page: PageContext::new(
            locale,
            format!("{} {}", t.t("receipt_number_label"), m.receipt_number),
            format!("/staff/transcriptions/{}", m.receipt_number),
        ),
        nav: staff.nav(locale),
        created: req.query_string().contains("created=1"),
        consultation_title: c.title.get(locale).to_string(),
        channel: channel_label(locale, m.channel),
        arrived: arrival(locale, c, m.channel, m.received_at),
        postmark: m.postmark.map(|d| i18n::date(locale, d)).unwrap_or_default(),
        late: m.late,
        late_accepted: m.late_accepted_by.is_some(),
        late_reason: m.late_acceptance_reason.clone().unwrap_or_default(),
        state: verification_label(locale, verification),
        state_code: verification.as_str(),
        typed_by: name_of(m.transcribed_by),
        checked_by: name_of(m.verified_by),
        checked_by_label: match verification {
            Verification::SentBack => t.t("sent_back_by_label"),
            _ => t.t("verified_by_label"),
        },
        zone: c.time_zone.name().to_string(),
        corrected_by: name_of(m.corrected_by),
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
        contact,
        can_verify: staff.can(Permission::Verify) && !own_work && verification != Verification::Verified,
        own_work,
        can_correct: staff.can(Permission::Transcribe),
        can_reveal: staff.can(Permission::RevealContact),
        can_accept_late: staff.can(Permission::AcceptLate) && m.late && m.late_accepted_by.is_none(),
        message,
        receipt: m.receipt_number,
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

pub async fn reveal_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    receipt: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::RevealContact).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let receipt = canonical(locale, &receipt)?;
    let whose = Whose::Transcription(receipt.clone());
    let revealed = contact::reveal(&state.db, staff.actor(), whose, state.clock.now()).await;
    let Ok(contact) = revealed.refused_page(locale)?;
    let loaded = load(&state, locale, &receipt).await?;
    detail_page(&req, &state, &staff, loaded, Some(contact), String::new(), StatusCode::OK).await
}

pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::DownloadAttachments).await?;
    let downloaded =
        transcription::download(&state.db, &state.files, staff.actor(), id.into_inner(), state.clock.now()).await;
    let Ok((attachment, bytes)) = downloaded.refused_page(locale)?;
    let kind = FileType::from_content_type(&attachment.content_type).ok_or_else(|| {
        AppError::html(locale, ErrorKind::internal(format!("attachment {} has an unknown type", attachment.id)))
    })?;
    Ok(HttpResponse::Ok()
        .content_type(kind.content_type())
        .insert_header(("Content-Disposition", attachment_disposition(&kind.display_name(&attachment.original_name))))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

/// `Content-Disposition: attachment` with the name in ASCII for old clients and in UTF-8
/// (RFC 6266) for the rest, so a Japanese file name survives the download.
pub fn attachment_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::web::error::percent_encode(name))
}
