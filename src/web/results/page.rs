//! The public results page of one consultation, one version at a time.
use super::{facts, load, PublicOpinion, VersionQuery};
use crate::db::DbError;
use crate::domain::results::{item_anchor, PublishedItem, PublishedOpinion, PublishedResults};
use crate::domain::Locale;
use crate::i18n::{self, Tr};
use crate::markdown::SanitizedHtml;
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::{html, render, PageContext};
use crate::web::view::{summary, Summary};
use crate::web::{remember_locale, request_locale, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub struct ItemView {
    /// Its number on the page: items are numbered through the whole page, across drafts.
    pub number: usize,
    /// Where a receipt page links to this answer.
    pub anchor: String,
    pub summary: SanitizedHtml,
    pub view: SanitizedHtml,
    pub changed: bool,
    pub change: SanitizedHtml,
    pub opinion_count: usize,
    pub same_content: usize,
    /// The first opinions; the rest are on the item's own pages.
    pub opinions: Vec<PublicOpinion>,
    /// The item's own page, listing every opinion, when they are not all shown here.
    pub all_opinions: Option<String>,
}

/// Opinions shown under an item on the results page; more go to the item's own pages, so
/// the page stays readable (and small) at 100,000 opinions.
pub const INLINE_OPINIONS: usize = 20;
/// Opinions per page of an item's own pages.
pub const OPINIONS_PER_PAGE: usize = 100;

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
    window: Vec<(String, String)>,
    totals: Vec<(String, i64)>,
    not_published: Vec<(String, i64)>,
    sections: Vec<SectionView>,
    final_document: String,
    files: Vec<crate::mail::receipt::FileLine>,
}

fn item_view(
    slug: &str,
    version: i32,
    section: usize,
    item: &PublishedItem,
    first: &[PublishedOpinion],
    locale: Locale,
) -> ItemView {
    let all_opinions = (item.opinion_count > INLINE_OPINIONS)
        .then(|| format!("/c/{slug}/results/items/{section}/{}?version={version}", item.number));
    ItemView {
        number: item.number,
        anchor: item_anchor(section, item.number),
        summary: SanitizedHtml::from_markdown(item.summary.get(locale)),
        view: SanitizedHtml::from_markdown(item.view.get(locale)),
        changed: item.changed,
        change: SanitizedHtml::from_markdown(item.change.get(locale)),
        opinion_count: item.opinion_count,
        same_content: item.same_content,
        opinions: first.iter().map(|o| PublicOpinion::new(o, locale)).collect(),
        all_opinions,
    }
}

/// An item's number on the results page, counted through every section before it.
pub fn page_number(r: &PublishedResults, section_index: usize, number_in_section: usize) -> usize {
    r.sections.iter().take(section_index).map(|s| s.items.len()).sum::<usize>() + number_in_section
}

/// The first opinions of every item of `r`, per section and item.
async fn inline_opinions(state: &AppState, r: &PublishedResults) -> Result<Vec<Vec<Vec<PublishedOpinion>>>, DbError> {
    let items: Vec<PublishedItem> = r.sections.iter().flat_map(|s| s.items.iter().cloned()).collect();
    let version = r.version;
    let mut flat = state
        .db
        .run(move |c| {
            let all: Vec<&PublishedItem> = items.iter().collect();
            crate::db::published::first_opinions(c, version, &all, INLINE_OPINIONS)
        })
        .await?
        .into_iter();
    Ok(r.sections.iter().map(|s| s.items.iter().map(|_| flat.next().unwrap_or_default()).collect()).collect())
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
        window: Vec::new(),
        totals: Vec::new(),
        not_published: Vec::new(),
        sections: Vec::new(),
        final_document: c.final_document_url.clone().unwrap_or_default(),
        files: Vec::new(),
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
            let inline = inline_opinions(&state, &r).await.page(locale)?;
            let f = facts(&r, locale);
            page.files = super::files::lines(&r, locale);
            (page.window, page.totals, page.not_published) = (f.window, f.totals, f.not_published);
            page.sections = r
                .sections
                .iter()
                .zip(&inline)
                .enumerate()
                .map(|(i, (sec, first))| SectionView {
                    title: sec.title.get(locale).to_string(),
                    items: sec
                        .items
                        .iter()
                        .zip(first)
                        .map(|(item, first)| {
                            let mut view = item_view(&c.slug, r.version, i + 1, item, first, locale);
                            view.number = page_number(&r, i, item.number);
                            view
                        })
                        .collect(),
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
