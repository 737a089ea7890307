//! Public pages: the list of consultations and one consultation's notice.
use super::error::{AppError, ErrorKind, OrRespond};
use super::page::{html, render, PageContext};
use super::view::{draft_items, summary, DraftItem, Summary};
use super::{remember_locale, request_locale, AppState};
use crate::db::consultations;
use crate::domain::WindowStatus;
use crate::i18n::{self, Tr};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    page: PageContext,
    sections: Vec<Section>,
}

struct Section {
    heading: &'static str,
    items: Vec<Summary>,
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let all = state.db.run(consultations::list).await.page(locale)?;
    let now = state.clock.now();
    let (mut open, mut upcoming, mut closed) = (Vec::new(), Vec::new(), Vec::new());
    for c in &all {
        let s = summary(c, locale, now);
        match c.status_at(now) {
            WindowStatus::Open => open.push(s),
            WindowStatus::Upcoming => upcoming.push(s),
            WindowStatus::Closed => closed.push(s),
        }
    }
    let t = Tr::new(locale);
    let sections = [("section_open", open), ("section_upcoming", upcoming), ("section_closed", closed)]
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .map(|(key, items)| Section { heading: t.t(key), items })
        .collect();
    let page = HomePage { page: PageContext::new(locale, t.t("home_heading").into(), "/".into()), sections };
    let mut response = html(render(&page).page(locale)?);
    remember_locale(&req, &mut response);
    Ok(response)
}

#[derive(Template)]
#[template(path = "public/consultation.html")]
struct ConsultationPage {
    page: PageContext,
    s: Summary,
    summary_html: crate::markdown::SanitizedHtml,
    organizers: Vec<String>,
    drafts: Vec<DraftItem>,
    postal_deadline: String,
    division: String,
    postal_address: String,
    phone: String,
    fax: String,
    email: String,
    is_open: bool,
    is_closed: bool,
    has_results: bool,
    web_form_url: String,
    also_published: Vec<(String, String)>,
    notes_html: crate::markdown::SanitizedHtml,
    personal_data_html: crate::markdown::SanitizedHtml,
    languages: String,
}

/// The languages opinions may be written in, named in the reader's language.
pub fn language_names(locale: crate::domain::Locale, languages: &[crate::domain::Locale]) -> String {
    let t = crate::i18n::Tr::new(locale);
    let names: Vec<&str> = languages
        .iter()
        .map(|l| t.t(if *l == crate::domain::Locale::Ja { "language_ja" } else { "language_en" }))
        .collect();
    names.join(if locale == crate::domain::Locale::Ja { "、" } else { ", " })
}

pub async fn consultation(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let stored = state.consultation_page(&slug, locale).await?;
    let c = &stored.consultation;
    let now = state.clock.now();
    let s = summary(c, locale, now);
    let id = stored.id;
    let has_results = !state.db.run(move |conn| crate::db::results::versions(conn, id)).await.page(locale)?.is_empty();
    let page = ConsultationPage {
        page: PageContext::new(locale, s.title.clone(), format!("/c/{}", c.slug)),
        summary_html: crate::markdown::SanitizedHtml::from_markdown(c.summary.get(locale)),
        organizers: c.organizers.iter().map(|o| o.get(locale).to_string()).collect(),
        drafts: draft_items(c, locale),
        postal_deadline: i18n::date(locale, c.postal_deadline()),
        division: c.contact.division.get(locale).to_string(),
        postal_address: c.contact.postal_address.get(locale).to_string(),
        phone: c.contact.phone.as_deref().map(|p| i18n::phone(locale, p)).unwrap_or_default(),
        fax: c.contact.fax.as_deref().map(|p| i18n::phone(locale, p)).unwrap_or_default(),
        email: c.contact.email.clone().unwrap_or_default(),
        is_open: c.status_at(now) == WindowStatus::Open,
        is_closed: c.status_at(now) == WindowStatus::Closed,
        has_results,
        web_form_url: c.contact.web_form_url.clone().unwrap_or_default(),
        also_published: c
            .also_published
            .iter()
            .map(|n| (n.name.get(locale).to_string(), n.url.clone().unwrap_or_default()))
            .collect(),
        notes_html: crate::markdown::SanitizedHtml::from_markdown(c.notes.get(locale)),
        personal_data_html: crate::markdown::SanitizedHtml::from_markdown(c.personal_data.get(locale)),
        languages: language_names(locale, &c.submission_languages),
        s,
    };
    let mut response = html(render(&page).page(locale)?);
    remember_locale(&req, &mut response);
    Ok(response)
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/pubcom.css"))
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/pubcom.js"))
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::html(request_locale(&req), ErrorKind::NotFound))
}
