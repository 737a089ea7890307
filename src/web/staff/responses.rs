//! Response items: written in Markdown in both languages, shown sanitized, approved by an
//! approver; editing an approved item sends it back to draft.
use super::triage::{state_label, Choice};
use super::{checked_form, require, StaffNav};
use crate::db::audit::{self, Entry};
use crate::db::consultations::StoredConsultation;
use crate::db::responses::{self, Item, ItemText};
use crate::db::triage::{self as tdb, OpinionFilter};
use crate::domain::staff::Permission;
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::markdown::SanitizedHtml;
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::{render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

use crate::web::page::html_no_store as html;

fn draft_name(stored: &StoredConsultation, locale: Locale, draft_id: Option<i64>) -> String {
    draft_id
        .and_then(|id| stored.draft_ids.iter().find(|(_, v)| **v == id))
        .and_then(|(code, _)| stored.consultation.draft(code))
        .map(|d| d.title.get(locale).to_string())
        .unwrap_or_else(|| Tr::new(locale).t("draft_whole").into())
}

pub struct ItemRow {
    pub id: i64,
    pub draft: String,
    pub position: i32,
    pub summary: String,
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
    let get = |k: &str| f.get(k).map(|v| v.replace("\r\n", "\n").trim().to_string()).unwrap_or_default();
    ItemText {
        summary_ja: get("summary_ja"),
        summary_en: get("summary_en"),
        view_ja: get("view_ja"),
        view_en: get("view_en"),
        changed: f.get("changed").is_some_and(|v| v == "yes"),
        change_ja: get("change_ja"),
        change_en: get("change_en"),
    }
}

fn missing_text(t: &ItemText, locale: Locale) -> Option<String> {
    let tr = Tr::new(locale);
    if t.summary_ja.is_empty() && t.summary_en.is_empty() {
        Some(tr.t("summary_ja_label").into())
    } else if t.view_ja.is_empty() && t.view_en.is_empty() {
        Some(tr.t("view_ja_label").into())
    } else {
        None
    }
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &super::Staff,
    stored: &StoredConsultation,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let id = stored.id;
    let (items, counts) =
        state.db.run(move |c| Ok((responses::list(c, id)?, responses::linked_counts(c, id)?))).await.page(locale)?;
    let mut drafts = vec![Choice { value: "whole".into(), label: Tr::new(locale).t("draft_whole").into() }];
    drafts.extend(
        stored
            .consultation
            .drafts
            .iter()
            .map(|d| Choice { value: d.code.clone(), label: d.title.get(locale).to_string() }),
    );
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
                draft: draft_name(stored, locale, i.draft_id),
                position: i.position,
                summary: if locale == Locale::En && !i.summary_en.is_empty() {
                    i.summary_en.clone()
                } else {
                    i.summary_ja.clone()
                },
                approved: i.approved(),
                count: counts.iter().find(|(id, _)| *id == i.id).map(|(_, n)| *n).unwrap_or(0),
            })
            .collect(),
        drafts,
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
    let text = text_from(&f);
    if let Some(missing) = missing_text(&text, locale) {
        return list_page(&req, &state, &staff, &stored, missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let draft_id = match f.get("draft").map(String::as_str) {
        None | Some("whole") | Some("") => None,
        Some(code) => {
            Some(*stored.draft_ids.get(code).ok_or(AppError::html(locale, ErrorKind::BadRequest("draft".into())))?)
        }
    };
    let now = state.clock.now();
    let (actor, cid) = (staff.actor(), stored.id);
    let id = state
        .db
        .write(move |c| {
            let id = responses::create(c, cid, draft_id, &text, now)?;
            audit::record(
                c,
                &actor,
                Entry {
                    action: "response_create",
                    object_type: "response_item",
                    object_id: &id.to_string(),
                    before: None,
                    after: Some(json!(item_json(&text))),
                },
                now,
            )?;
            Ok(id)
        })
        .await
        .page(locale)?;
    Ok(HttpResponse::SeeOther().insert_header(("Location", format!("/staff/responses/{id}"))).finish())
}

fn item_json(t: &ItemText) -> serde_json::Value {
    json!({"summary_ja": t.summary_ja, "summary_en": t.summary_en, "view_ja": t.view_ja, "view_en": t.view_en, "changed": t.changed, "change_ja": t.change_ja, "change_en": t.change_en})
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

async fn load(state: &AppState, locale: Locale, id: i64) -> Result<(Item, Arc<StoredConsultation>), AppError> {
    let item = state
        .db
        .run(move |c| responses::find(c, id))
        .await
        .page(locale)?
        .ok_or(AppError::html(locale, ErrorKind::NotFound))?;
    let stored = state.consultation_by_id(item.consultation_id, locale).await?;
    Ok((item, stored))
}

async fn edit_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &super::Staff,
    id: i64,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let (item, stored) = load(state, locale, id).await?;
    let sqlite = state.db.backend() == "sqlite";
    let mut filter = OpinionFilter::new(stored.id);
    filter.linked = Some(true);
    let rows = state.db.run(move |c| tdb::list(c, &filter, sqlite, 100_000)).await.page(locale)?;
    let linked: Vec<LinkedOpinion> = rows
        .into_iter()
        .filter(|r| r.response_item_id == Some(id))
        .map(|r| LinkedOpinion {
            id: r.id,
            excerpt: r.body.chars().take(160).collect(),
            state: state_label(locale, &r.state),
        })
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
        draft: draft_name(&stored, locale, item.draft_id),
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
    let (item, _) = load(&state, locale, id).await?;
    let text = text_from(&f);
    if let Some(missing) = missing_text(&text, locale) {
        return edit_page(&req, &state, &staff, id, missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let position = f.get("position").and_then(|p| p.trim().parse().ok()).unwrap_or(item.position);
    let now = state.clock.now();
    let actor = staff.actor();
    let before = json!({"text": item_json(&item.text()), "status": item.status, "position": item.position});
    state
        .db
        .write(move |c| {
            responses::update(c, id, &text, position, now)?;
            let after = json!({"text": item_json(&text), "status": "draft", "position": position});
            audit::record(
                c,
                &actor,
                Entry {
                    action: "response_update",
                    object_type: "response_item",
                    object_id: &id.to_string(),
                    before: Some(before),
                    after: Some(after),
                },
                now,
            )
        })
        .await
        .page(locale)?;
    Ok(HttpResponse::SeeOther().insert_header(("Location", format!("/staff/responses/{id}"))).finish())
}

pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Approve).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let id = id.into_inner();
    let (item, _) = load(&state, locale, id).await?;
    let now = state.clock.now();
    let (actor, by) = (staff.actor(), staff.user.id);
    state
        .db
        .write(move |c| {
            responses::approve(c, id, by, now)?;
            audit::record(
                c,
                &actor,
                Entry {
                    action: "response_approve",
                    object_type: "response_item",
                    object_id: &id.to_string(),
                    before: Some(json!({"status": item.status})),
                    after: Some(json!({"status": "approved"})),
                },
                now,
            )
        })
        .await
        .page(locale)?;
    Ok(HttpResponse::SeeOther().insert_header(("Location", format!("/staff/responses/{id}"))).finish())
}
