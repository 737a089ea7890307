//! Published results for everyone: the page per consultation (each version stays readable) and
//! the exports, CSV, JSON and XLSX, all built from the stored version and never from live data.
use super::error::{AppError, ErrorKind, OrNotFound, OrRespond};
use super::page::{html, render, PageContext};
use super::view::{summary, Summary};
use super::{remember_locale, request_locale, AppState};
use crate::db::consultations::StoredConsultation;
use crate::db::results;
use crate::domain::results::{PublishedItem, PublishedResults};
use crate::domain::Locale;
use crate::i18n::channel_label;
use crate::i18n::{self, Tr};
use crate::markdown::SanitizedHtml;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

#[derive(serde::Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

pub async fn load(
    state: &AppState,
    stored: &StoredConsultation,
    version: Option<i32>,
) -> Result<Option<(PublishedResults, Vec<(i32, DateTime<Utc>)>)>, crate::db::DbError> {
    let id = stored.id;
    state
        .db
        .run(move |c| {
            let Some(r) = results::load(c, id, version)? else {
                return Ok(None);
            };
            Ok(Some((r, results::versions(c, id)?)))
        })
        .await
}

pub struct ItemView {
    pub number: usize,
    pub summary: SanitizedHtml,
    pub view: SanitizedHtml,
    pub changed: bool,
    pub change: SanitizedHtml,
    pub opinion_count: usize,
    pub opinions: Vec<crate::domain::results::PublishedOpinion>,
}

pub struct SectionView {
    pub title: String,
    pub items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "public/results.html")]
struct ResultsPage {
    page: PageContext,
    s: Summary,
    published: bool,
    version: i32,
    published_at: String,
    versions: Vec<(i32, String)>,
    totals: Vec<(String, i64)>,
    not_published: Vec<(String, i64)>,
    sections: Vec<SectionView>,
}

fn item_view(item: &PublishedItem, locale: Locale) -> ItemView {
    ItemView {
        number: item.number,
        summary: SanitizedHtml::from_markdown(item.summary.get(locale)),
        view: SanitizedHtml::from_markdown(item.view.get(locale)),
        changed: item.changed,
        change: SanitizedHtml::from_markdown(item.change.get(locale)),
        opinion_count: item.opinion_count,
        opinions: item.opinions.clone(),
    }
}

pub fn not_published_label(locale: Locale, key: &str) -> String {
    let t = Tr::new(locale);
    match key {
        "late" => t.t("np_late").into(),
        "out_of_scope" => t.t("np_out_of_scope").into(),
        "abusive" => t.t("np_abusive").into(),
        "duplicate" => t.t("np_duplicate").into(),
        "new" | "in_review" => t.t("gap_not_decided").into(),
        other => other.into(),
    }
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let stored = state.consultation_page(&slug, locale).await?;
    let loaded = load(&state, &stored, q.version).await.page(locale)?;
    let t = Tr::new(locale);
    let c = &stored.consultation;
    let path = match q.version {
        Some(v) => format!("/c/{slug}/results?version={v}"),
        None => format!("/c/{slug}/results"),
    };
    let s = summary(c, locale, state.clock.now());
    let mut page = ResultsPage {
        page: PageContext::new(locale, format!("{} — {}", t.t("results_heading"), s.title), path),
        s,
        published: false,
        version: 0,
        published_at: String::new(),
        versions: Vec::new(),
        totals: Vec::new(),
        not_published: Vec::new(),
        sections: Vec::new(),
    };
    let status = match loaded {
        None if q.version.is_some() => return Err(AppError::html(locale, ErrorKind::NotFound)),
        None => actix_web::http::StatusCode::NOT_FOUND,
        Some((r, versions)) => {
            page.published = true;
            page.version = r.version;
            page.published_at = i18n::datetime(locale, r.published_at, c.time_zone);
            page.versions = versions
                .iter()
                .map(|(v, at)| (*v, i18n::date(locale, at.with_timezone(&c.time_zone).date_naive())))
                .collect();
            let mut totals = vec![
                (t.t("submissions_total").to_string(), r.totals.submissions),
                (t.t("received_total").to_string(), r.totals.opinions),
            ];
            totals.extend(r.totals.by_channel.iter().map(|k| {
                (
                    format!(
                        "{} — {}",
                        t.t("by_channel"),
                        k.key.parse().map(|c| channel_label(locale, c)).unwrap_or("?")
                    ),
                    k.count,
                )
            }));
            totals.push((t.t("late_total").to_string(), r.totals.late));
            totals.push((t.t("late_accepted").to_string(), r.totals.late_accepted));
            totals.push((t.t("published_total").to_string(), r.totals.published));
            page.totals = totals;
            page.not_published =
                r.totals.not_published.iter().map(|k| (not_published_label(locale, &k.key), k.count)).collect();
            page.sections = r
                .sections
                .iter()
                .map(|sec| SectionView {
                    title: sec.title.get(locale).to_string(),
                    items: sec.items.iter().map(|i| item_view(i, locale)).collect(),
                })
                .collect();
            actix_web::http::StatusCode::OK
        }
    };
    let mut response = html(render(&page).page(locale)?);
    *response.status_mut() = status;
    remember_locale(&req, &mut response);
    Ok(response)
}

async fn published(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    version: Option<i32>,
) -> Result<(PublishedResults, Locale), AppError> {
    let locale = request_locale(req);
    let stored = state.consultation_page(slug, locale).await?;
    let (r, _) = load(state, &stored, version).await.found_page(locale)?;
    Ok((r, locale))
}

fn attachment(name: String) -> (String, String) {
    ("Content-Disposition".into(), format!("attachment; filename=\"{name}\""))
}

/// One row per opinion, with its response item: the shape spreadsheet users filter by.
fn rows(r: &PublishedResults, locale: Locale) -> Vec<[String; 10]> {
    let mut out = Vec::new();
    for sec in &r.sections {
        for item in &sec.items {
            let base = |o: Option<&crate::domain::results::PublishedOpinion>| {
                [
                    sec.draft.clone().unwrap_or_default(),
                    sec.title.get(locale).to_string(),
                    item.number.to_string(),
                    item.summary.get(locale).to_string(),
                    item.view.get(locale).to_string(),
                    if item.changed { "yes".into() } else { "no".into() },
                    item.change.get(locale).to_string(),
                    o.map(|o| o.location.clone().unwrap_or_default()).unwrap_or_default(),
                    o.map(|o| o.body.clone()).unwrap_or_default(),
                    o.map(|o| o.organization.clone().unwrap_or_default()).unwrap_or_default(),
                ]
            };
            if item.opinions.is_empty() {
                out.push(base(None));
            }
            for o in &item.opinions {
                out.push(base(Some(o)));
            }
        }
    }
    out
}

const HEADER: [&str; 10] = [
    "draft",
    "draft_title",
    "item",
    "summary",
    "view",
    "draft_changed",
    "change",
    "opinion_location",
    "opinion",
    "organization",
];

pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let out = crate::export::csv(&HEADER, rows(&r, locale).into_iter().map(Vec::from));
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.csv", r.consultation, r.version));
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header((k, v)).body(out))
}

pub async fn json(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, _) = published(&req, &state, &slug, q.version).await?;
    let (k, v) = attachment(format!("{}-results-v{}.json", r.consultation, r.version));
    Ok(HttpResponse::Ok().insert_header((k, v)).json(r))
}

pub async fn xlsx(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let data = rows(&r, locale);
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (col, h) in HEADER.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *h, &bold)?;
        }
        for (i, row) in data.iter().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                // Strings are written as strings, never as formulas.
                sheet.write_string(i as u32 + 1, col as u16, crate::export::neutralize_formula(cell))?;
            }
        }
        book.save_to_buffer()
    })
    .await
    .map_err(|e| AppError::html(locale, ErrorKind::internal(e)))?
    .map_err(|e| AppError::html(locale, ErrorKind::internal(e)))?;
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.xlsx", r.consultation, r.version));
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((k, v))
        .body(bytes))
}
