//! Response items: written in Markdown in both languages, shown sanitized, approved by an
//! approver; editing an approved item sends it back to draft.
use super::{checked_form, require, Staff, StaffNav};
use crate::app::{responses as ops, OpError};
use crate::db::consultations::StoredConsultation;
use crate::db::responses::{self, Item};
use crate::db::triage::{self as tdb, OpinionFilter};
use crate::domain::response::{ApprovalRefusal, ItemText, TextProblem};
use crate::domain::staff::Permission;
use crate::domain::Locale;
use crate::i18n::{triage_state_label, Tr};
use crate::markdown::SanitizedHtml;
use crate::web::error::{AppError, ErrorKind, OrRefused, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::view::{draft_choices, draft_label, excerpt, Choice};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::HashMap;

pub struct ItemRow {
    pub id: i64,
    pub draft: String,
    pub position: i32,
    /// Rendered from its Markdown, as the results page shows it.
    pub summary: SanitizedHtml,
    pub approved: bool,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "staff/responses.html")]
struct ListPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    title: String,
    items: Vec<ItemRow>,
    drafts: Vec<Choice>,
    message: String,
}

impl ListPage {
    /// A new item's form starts empty.
    fn v(&self, _key: &str) -> String {
        String::new()
    }
}

impl EditPage {
    fn v(&self, key: &str) -> String {
        let i = &self.item;
        match key {
            "summary_ja" => i.summary_ja.clone(),
            "summary_en" => i.summary_en.clone(),
            "view_ja" => i.view_ja.clone(),
            "view_en" => i.view_en.clone(),
            "change_ja" => i.change_ja.clone(),
            "change_en" => i.change_en.clone(),
            "changed" if i.changed => "yes".into(),
            _ => String::new(),
        }
    }
}

fn text_from(f: &HashMap<String, String>) -> ItemText {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    ItemText {
        summary_ja: get("summary_ja"),
        summary_en: get("summary_en"),
        view_ja: get("view_ja"),
        view_en: get("view_en"),
        changed: f.get("changed").is_some_and(|v| v == "yes"),
        change_ja: get("change_ja"),
        change_en: get("change_en"),
    }
    .tidy()
}

/// What to fix when an item's text is refused: the label of the missing field.
fn text_problem(locale: Locale, problem: TextProblem) -> String {
    Tr::new(locale)
        .t(match problem {
            TextProblem::NoSummary => "summary_ja_label",
            TextProblem::NoView => "view_ja_label",
            TextProblem::TooLong => "item_text_too_long",
        })
        .into()
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    stored: &StoredConsultation,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let id = stored.id;
    let (items, counts) =
        state.db.run(move |c| Ok((responses::list(c, id)?, responses::linked_counts(c, id)?))).await.page(locale)?;
    let page = ListPage {
        page: PageContext::new(
            locale,
            Tr::new(locale).t("responses_heading").into(),
            format!("/staff/c/{}/responses", stored.consultation.slug),
        ),
        nav: staff.nav(locale),
        slug: stored.consultation.slug.clone(),
        title: stored.consultation.title.get(locale).to_string(),
        items: items
            .iter()
            .map(|i| ItemRow {
                id: i.id,
                draft: draft_label(stored, locale, i.draft_id),
                position: i.position,
                summary: SanitizedHtml::from_markdown(if locale == Locale::En && !i.summary_en.is_empty() {
                    &i.summary_en
                } else {
                    &i.summary_ja
                }),
                approved: i.approved(),
                count: counts.iter().find(|(id, _)| *id == i.id).map(|(_, n)| *n).unwrap_or(0),
            })
            .collect(),
        drafts: draft_choices(stored, locale),
        message,
    };
    Ok(html(status, render(&page).page(locale)?))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::WriteResponses).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    list_page(&req, &state, &staff, &stored, String::new(), StatusCode::OK).await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::WriteResponses).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let draft_id = match f.get("draft").map(String::as_str) {
        None | Some("whole") | Some("") => None,
        Some(code) => {
            Some(*stored.draft_ids.get(code).ok_or(AppError::html(locale, ErrorKind::BadRequest("draft".into())))?)
        }
    };
    let created = ops::create(&state.db, staff.actor(), stored.id, draft_id, text_from(&f), state.clock.now()).await;
    match created.refused_page(locale)? {
        Ok(id) => Ok(see_other(format!("/staff/responses/{id}"))),
        Err(problem) => {
            let message = text_problem(locale, problem);
            list_page(&req, &state, &staff, &stored, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct LinkedOpinion {
    pub id: i64,
    pub excerpt: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "staff/response.html")]
struct EditPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    item: Item,
    draft: String,
    previews: Vec<(&'static str, SanitizedHtml)>,
    linked: Vec<LinkedOpinion>,
    linked_total: i64,
    can_approve: bool,
    message: String,
}

async fn edit_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let (item, stored) =
        state.with_consultation(locale, move |c| responses::find(c, id), |i: &Item| i.consultation_id).await?;
    let mut filter = OpinionFilter::new(stored.id);
    filter.linked = Some(true);
    let rows = state.db.run(move |c| tdb::list(c, &filter, 100_000)).await.page(locale)?;
    let linked: Vec<LinkedOpinion> = rows
        .into_iter()
        .filter(|r| r.response_item_id == Some(id))
        .map(|r| LinkedOpinion { id: r.id, excerpt: excerpt(&r.body, 160), state: triage_state_label(locale, r.state) })
        .collect();
    let t = Tr::new(locale);
    let page = EditPage {
        page: PageContext::new(
            locale,
            format!("{} #{id}", t.t("response_item_label")),
            format!("/staff/responses/{id}"),
        ),
        nav: staff.nav(locale),
        slug: stored.consultation.slug.clone(),
        draft: draft_label(&stored, locale, item.draft_id),
        previews: vec![
            (t.t("summary_ja_label"), SanitizedHtml::from_markdown(&item.summary_ja)),
            (t.t("summary_en_label"), SanitizedHtml::from_markdown(&item.summary_en)),
            (t.t("view_ja_label"), SanitizedHtml::from_markdown(&item.view_ja)),
            (t.t("view_en_label"), SanitizedHtml::from_markdown(&item.view_en)),
            (t.t("change_ja_label"), SanitizedHtml::from_markdown(&item.change_ja)),
            (t.t("change_en_label"), SanitizedHtml::from_markdown(&item.change_en)),
        ],
        linked_total: linked.len() as i64,
        linked,
        can_approve: staff.can(Permission::Approve) && !item.approved(),
        message,
        item,
    };
    Ok(html(status, render(&page).page(locale)?))
}

pub async fn edit(req: HttpRequest, state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::WriteResponses).await?;
    edit_page(&req, &state, &staff, id.into_inner(), String::new(), StatusCode::OK).await
}

/// Back to the item after a change, or its page again with what was refused.
async fn answer<R>(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    outcome: Result<(), OpError<R>>,
    refusal: impl FnOnce(R) -> (StatusCode, String),
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    match outcome.refused_page(locale)? {
        Ok(()) => Ok(see_other(format!("/staff/responses/{id}"))),
        Err(r) => {
            let (status, message) = refusal(r);
            edit_page(req, state, staff, id, message, status).await
        }
    }
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::WriteResponses).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let id = id.into_inner();
    let position = f.get("position").and_then(|p| p.trim().parse().ok());
    let outcome = ops::update(&state.db, staff.actor(), id, text_from(&f), position, state.clock.now()).await;
    answer(&req, &state, &staff, id, outcome, |p| (StatusCode::UNPROCESSABLE_ENTITY, text_problem(locale, p))).await
}

pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::Approve).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let id = id.into_inner();
    let locale = request_locale(&req);
    let (_, stored) =
        state.with_consultation(locale, move |c| responses::find(c, id), |i: &Item| i.consultation_id).await?;
    let languages = stored.consultation.publication_languages.clone();
    let outcome = ops::approve(&state.db, staff.actor(), id, languages, state.clock.now()).await;
    let t = Tr::new(locale);
    answer(&req, &state, &staff, id, outcome, |refusal| match refusal {
        ApprovalRefusal::AlreadyApproved => (StatusCode::CONFLICT, t.t("item_status_approved").into()),
        ApprovalRefusal::OwnWork => (StatusCode::FORBIDDEN, t.t("approve_own").into()),
        ApprovalRefusal::MissingLanguage(missing) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} ({})", t.t("approve_missing_language"), Tr::new(missing).t("language_name")),
        ),
    })
    .await
}
