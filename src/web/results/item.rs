//! One published response item with every opinion it answers, a page at a time: the results
//! page shows only the first opinions of an item, so it stays small at any size.
use super::page::OPINIONS_PER_PAGE;
use super::{load, PublicOpinion};
use crate::domain::results::item_anchor;
use crate::i18n::{self, Tr};
use crate::markdown::SanitizedHtml;
use crate::web::error::{AppError, ErrorKind, OrNotFound, OrRespond};
use crate::web::page::{html, render, PageContext};
use crate::web::view::{summary, Summary};
use crate::web::{remember_locale, request_locale, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "public/results_item.html")]
struct ItemPage {
    page: PageContext,
    s: Summary,
    version: i32,
    published_at: String,
    section_title: String,
    number: usize,
    summary: SanitizedHtml,
    view: SanitizedHtml,
    opinion_count: usize,
    same_content: usize,
    opinions: Vec<PublicOpinion>,
    first: usize,
    last: usize,
    previous: Option<String>,
    next: Option<String>,
    back: String,
}

#[derive(serde::Deserialize)]
pub struct ItemQuery {
    version: Option<i32>,
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /c/{slug}/results/items/{section}/{item}?version=&page=`.
pub async fn item(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, usize, usize)>,
    q: web::Query<ItemQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let (slug, section, number) = path.into_inner();
    let stored = state.consultation_page(&slug, locale).await?;
    let (r, _) = load(&state, &stored, q.version).await.found_page(locale)?;
    let not_found = || AppError::html(locale, ErrorKind::NotFound);
    let sec = section.checked_sub(1).and_then(|i| r.sections.get(i)).ok_or_else(not_found)?;
    let item = number.checked_sub(1).and_then(|i| sec.items.get(i)).ok_or_else(not_found)?;
    let pages = item.opinion_count.div_ceil(OPINIONS_PER_PAGE).max(1);
    let page_no = q.page.unwrap_or(1);
    if page_no == 0 || page_no > pages {
        return Err(not_found());
    }
    let start = (page_no - 1) * OPINIONS_PER_PAGE;
    let (version, one) = (r.version, item.clone());
    let read = state
        .db
        .run(move |c| crate::db::published::item_opinions(c, version, &one, start + 1, OPINIONS_PER_PAGE))
        .await
        .page(locale)?;
    let shown: Vec<PublicOpinion> = read.iter().map(|o| PublicOpinion::new(o, locale)).collect();
    let c = &stored.consultation;
    let base = format!("/c/{slug}/results/items/{section}/{number}?version={}", r.version);
    let link = |p: usize| format!("{base}&page={p}");
    let t = Tr::new(locale);
    let page = ItemPage {
        page: PageContext::new(
            locale,
            format!(
                "{} — {} {}",
                t.t("results_heading"),
                t.t("item_number"),
                super::page::page_number(&r, section - 1, item.number)
            ),
            link(page_no),
        ),
        s: summary(c, locale, state.clock.now()),
        version: r.version,
        published_at: i18n::datetime(locale, r.published_at, c.time_zone),
        section_title: sec.title.get(locale).to_string(),
        number: super::page::page_number(&r, section - 1, item.number),
        summary: SanitizedHtml::from_markdown(item.summary.get(locale)),
        view: SanitizedHtml::from_markdown(item.view.get(locale)),
        opinion_count: item.opinion_count,
        same_content: item.same_content,
        first: if shown.is_empty() { 0 } else { start + 1 },
        last: start + shown.len(),
        opinions: shown,
        previous: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        back: format!("/c/{slug}/results?version={}#{}", r.version, item_anchor(section, number)),
    };
    let mut response = html(crate::web::error::OrRespond::page(render(&page), locale)?);
    remember_locale(&req, &mut response);
    Ok(response)
}
