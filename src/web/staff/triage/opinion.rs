//! One opinion's page and the changes made on it: state, assignment, tags, notes, moving it to
//! another draft and linking it to a response item. Redaction has its own module.
use super::super::{checked_form, require, Staff, StaffNav};
use super::redaction::{field_choices, reason_choices, views, PublishedPreview, RedactionView};
use super::{item_choices, staff_choices, state_choices};
use crate::app::triage::{self, ChangeRefusal, OpinionChange};
use crate::db::annotations;
use crate::db::consultations::StoredConsultation;
use crate::db::redactions;
use crate::db::transcriptions::Contact;
use crate::db::triage as tdb;
use crate::domain::staff::Permission;
use crate::domain::triage::{StateRefusal, StateRequest};
use crate::domain::Locale;
use crate::i18n::{self, triage_state_label, Tr};
use crate::web::error::{AppError, ErrorKind, OrRefused, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::view::{draft_choices, draft_code, draft_label, Choice};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::sync::Arc;

pub struct NoteView {
    pub author: String,
    pub body: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "staff/opinion.html")]
struct OpinionPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    o: tdb::OpinionDetail,
    received: String,
    draft: String,
    draft_code: String,
    original_draft: String,
    state: &'static str,
    tags: Vec<String>,
    notes: Vec<NoteView>,
    drafts: Vec<Choice>,
    states: Vec<Choice>,
    staff_list: Vec<Choice>,
    items: Vec<Choice>,
    can_link: bool,
    can_reveal: bool,
    contact: Option<Contact>,
    redactions: Vec<RedactionView>,
    unresolved: usize,
    preview: PublishedPreview,
    reasons: Vec<Choice>,
    fields: Vec<Choice>,
    message: String,
    files: Vec<super::files::StaffFile>,
}

/// What a page shows besides the opinion: a refusal, or contact details just revealed.
pub struct Extra {
    message: String,
    status: StatusCode,
    contact: Option<Contact>,
}

impl Extra {
    pub fn none() -> Self {
        Self { message: String::new(), status: StatusCode::OK, contact: None }
    }

    pub fn refused(message: String, status: StatusCode) -> Self {
        Self { message, status, contact: None }
    }

    pub fn with_contact(contact: Contact) -> Self {
        Self { contact: Some(contact), ..Self::none() }
    }
}

async fn load(
    state: &AppState,
    locale: Locale,
    id: i64,
) -> Result<(tdb::OpinionDetail, Arc<StoredConsultation>), AppError> {
    state.with_consultation(locale, move |c| tdb::detail(c, id), |o| o.consultation_id).await
}

pub(super) async fn opinion_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    extra: Extra,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let (o, stored) = load(state, locale, id).await?;
    let submission = o.submission_id;
    let (tags, notes, rows, files) = state
        .db
        .run(move |c| {
            Ok((
                annotations::tags_of(c, &[id])?,
                annotations::notes_of(c, id)?,
                redactions::of_opinion(c, id)?,
                crate::db::attachments::of_submission(c, submission)?,
            ))
        })
        .await
        .page(locale)?;
    let (redactions, preview) = views(&o, &rows, locale);
    let tz = stored.consultation.time_zone;
    let page = OpinionPage {
        page: PageContext::new(
            locale,
            format!("{} #{id}", Tr::new(locale).t("opinion_legend")),
            format!("/staff/opinions/{id}"),
        ),
        nav: staff.nav(locale),
        slug: stored.consultation.slug.clone(),
        received: i18n::datetime(locale, o.received_at.and_utc(), tz),
        draft: draft_label(&stored, locale, o.draft_id),
        draft_code: draft_code(&stored, o.draft_id).unwrap_or_else(|| "whole".into()),
        original_draft: if o.original_draft_id.is_some() {
            draft_label(&stored, locale, o.original_draft_id)
        } else {
            String::new()
        },
        state: triage_state_label(locale, o.state),
        tags: tags.into_iter().map(|(_, t)| t).collect(),
        notes: notes
            .into_iter()
            .map(|n| NoteView { author: n.author, body: n.body, at: i18n::datetime(locale, n.at, tz) })
            .collect(),
        drafts: draft_choices(&stored, locale),
        states: state_choices(locale),
        staff_list: staff_choices(state, locale).await?,
        items: item_choices(state, locale, &stored).await?,
        can_link: staff.can(Permission::WriteResponses),
        can_reveal: staff.can(Permission::RevealContact),
        contact: extra.contact,
        unresolved: redactions.iter().filter(|r| r.status_code == "suggested").count(),
        redactions,
        preview,
        reasons: reason_choices(locale),
        fields: field_choices(locale),
        message: extra.message,
        files: super::files::views(&files, locale),
        o,
    };
    Ok(html(extra.status, render(&page).page(locale)?))
}

pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::Triage).await?;
    opinion_page(&req, &state, &staff, id.into_inner(), Extra::none()).await
}

/// What the page says when a change is refused: the label of the field to fix.
fn refusal_label(refusal: ChangeRefusal) -> &'static str {
    match refusal {
        ChangeRefusal::State(StateRefusal::UnknownState) => "triage_state_label",
        ChangeRefusal::State(StateRefusal::AnsweredByLinkOnly) => "action_link",
        ChangeRefusal::State(StateRefusal::NeedsOriginal) => "duplicate_of_label",
        ChangeRefusal::State(StateRefusal::NeedsReason) => "reason_for_state",
        ChangeRefusal::UnknownAssignee => "assignee_label",
        ChangeRefusal::UnfitTag => "tag_label",
        ChangeRefusal::UnfitNote => "add_note",
        ChangeRefusal::UnknownDraft => "move_draft",
        ChangeRefusal::UnknownItem => "response_item_label",
    }
}

pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let id = id.into_inner();
    let (_, stored) = load(&state, locale, id).await?;
    let change = match get("action").as_str() {
        "state" => OpinionChange::State(StateRequest {
            state: get("state").parse().ok(),
            reason: Some(get("reason")),
            duplicate_of: get("duplicate_of").trim_start_matches('#').parse().ok(),
        }),
        "assign" => OpinionChange::Assign(get("assignee").parse().ok()),
        "tag" => OpinionChange::Tag(get("tag")),
        "untag" => OpinionChange::Untag(get("tag")),
        "note" => OpinionChange::Note(get("note")),
        "move" => OpinionChange::Move(get("draft")),
        "link" if !staff.can(Permission::WriteResponses) => return Err(AppError::html(locale, ErrorKind::Forbidden)),
        "link" => match get("item").parse() {
            Ok(item) => OpinionChange::Link(item),
            Err(_) => OpinionChange::Link(-1),
        },
        _ => return Err(AppError::html(locale, ErrorKind::BadRequest("unknown action".into()))),
    };
    let changed = triage::change(&state.db, stored, staff.actor(), id, change, state.clock.now()).await;
    match changed.refused_page(locale)? {
        Ok(()) => Ok(see_other(format!("/staff/opinions/{id}"))),
        Err(refusal) => {
            let message = Tr::new(locale).t(refusal_label(refusal)).to_string();
            opinion_page(&req, &state, &staff, id, Extra::refused(message, StatusCode::UNPROCESSABLE_ENTITY)).await
        }
    }
}
