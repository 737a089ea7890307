//! Publication: a review page that lists what is missing or exactly what will be published,
//! then the publish action that writes a new immutable version.
use super::{checked_form, require, StaffNav};
use crate::app::publication;
use crate::db::results::{self, PublishOutcome};
use crate::domain::results::PublishedResults;
use crate::domain::staff::Permission;
use crate::domain::triage::Gap;
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::web::error::{AppError, OrRespond};
use crate::web::page::{html_no_store, render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub struct GapView {
    pub opinion_id: i64,
    pub why: &'static str,
}

#[derive(Template)]
#[template(path = "staff/publish.html")]
struct ReviewPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    title: String,
    gaps: Vec<GapView>,
    preview: PublishedResults,
    next_version: i32,
}

fn gap_view(locale: Locale, gap: &Gap) -> GapView {
    let t = Tr::new(locale);
    match gap {
        Gap::NotDecided { opinion_id } => GapView { opinion_id: *opinion_id, why: t.t("gap_not_decided") },
        Gap::ItemNotApproved { opinion_id, .. } => {
            GapView { opinion_id: *opinion_id, why: t.t("gap_item_not_approved") }
        }
        Gap::NotLinked { opinion_id } => GapView { opinion_id: *opinion_id, why: t.t("gap_not_linked") },
        Gap::NoReason { opinion_id } => GapView { opinion_id: *opinion_id, why: t.t("gap_no_reason") },
    }
}

async fn review_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &super::Staff,
    slug: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let stored = state.consultation_page(slug, locale).await?;
    let now = state.clock.now();
    let s2 = stored.clone();
    let (gaps, preview, versions) = state
        .db
        .run(move |c| {
            let versions = results::versions(c, s2.id)?;
            let next = versions.last().map(|(v, _)| v + 1).unwrap_or(1);
            let (gaps, preview) = results::review(c, &s2, next, now)?;
            Ok((gaps, preview, versions))
        })
        .await
        .page(locale)?;
    let page = ReviewPage {
        page: PageContext::new(locale, Tr::new(locale).t("publish_heading").into(), format!("/staff/c/{slug}/publish")),
        nav: staff.nav(locale),
        slug: slug.to_string(),
        title: stored.consultation.title.get(locale).to_string(),
        gaps: gaps.iter().take(1000).map(|g| gap_view(locale, g)).collect(),
        next_version: versions.last().map(|(v, _)| v + 1).unwrap_or(1),
        preview,
    };
    Ok(html_no_store(status, render(&page).page(locale)?))
}

pub async fn review(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::Approve).await?;
    review_page(&req, &state, &staff, &slug, StatusCode::OK).await
}

pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Approve).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let outcome = publication::publish(&state.db, stored, staff.actor(), state.clock.now()).await.page(locale)?;
    match outcome {
        PublishOutcome::Published(version) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", format!("/c/{slug}/results?version={version}")))
            .finish()),
        PublishOutcome::Refused(_) => review_page(&req, &state, &staff, &slug, StatusCode::CONFLICT).await,
    }
}
