//! Publication: a review page that lists, gate by gate, everything that stops publication (with
//! the true counts, a page at a time, and as CSV), or exactly what will be published; then the
//! publish action that writes a new immutable version.
use super::{checked_form, require, StaffNav};
use crate::app::publication;
use crate::db::results::{self, PublishOutcome};
use crate::domain::publication::{Failure, Gate};
use crate::domain::results::PublishedResults;
use crate::domain::staff::Permission;
use crate::domain::triage::Gap;
use crate::domain::Locale;
use crate::i18n::{self, Tr};
use crate::web::error::{AppError, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{html_no_store, render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// Failures shown on one page of the review.
const PER_PAGE: usize = 200;

pub struct FailureView {
    pub gate: &'static str,
    pub href: String,
    pub subject: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "staff/publish.html")]
struct ReviewPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    title: String,
    total: usize,
    by_gate: Vec<(&'static str, usize)>,
    failures: Vec<FailureView>,
    page_number: usize,
    pages: usize,
    preview: PublishedResults,
    next_version: i32,
}

fn gate_label(t: Tr, gate: Gate) -> &'static str {
    t.t(match gate {
        Gate::Window => "gate_window",
        Gate::FourEyesTranscriptions => "gate_four_eyes_transcriptions",
        Gate::FourEyesItems => "gate_four_eyes_items",
        Gate::Languages => "gate_languages",
        Gate::Suggestions => "gate_suggestions",
        Gate::Coverage => "gate_coverage",
    })
}

fn failure_view(locale: Locale, slug: &str, tz: chrono_tz::Tz, failure: &Failure) -> FailureView {
    let t = Tr::new(locale);
    let opinion = |id: &i64| (format!("/staff/opinions/{id}"), format!("#{id}"));
    let transcription = |r: &String| (format!("/staff/transcriptions/{r}"), r.clone());
    let item = |id: &i64| (format!("/staff/responses/{id}"), format!("{} #{id}", t.t("response_item_label")));
    let ((href, subject), why) = match failure {
        Failure::WindowOpen { until } => (
            (format!("/c/{slug}"), t.t("window_label").into()),
            format!("{} {}", t.t("why_window_open"), i18n::datetime(locale, *until, tz)),
        ),
        Failure::Unverified { receipt_number } => (transcription(receipt_number), t.t("why_unverified").into()),
        Failure::VerifiedByOwnHands { receipt_number } => {
            (transcription(receipt_number), t.t("why_self_verified").into())
        }
        Failure::ItemNotApproved { item_id } => (item(item_id), t.t("gap_item_not_approved").into()),
        Failure::ItemApprovedByOwnHands { item_id } => (item(item_id), t.t("why_self_approved").into()),
        Failure::ItemMissingLanguage { item_id, locale: missing } => {
            (item(item_id), format!("{} ({})", t.t("why_missing_language"), Tr::new(*missing).t("language_name")))
        }
        Failure::SuggestionsUnresolved { opinion_id, count } => {
            (opinion(opinion_id), format!("{}: {count}", t.t("why_suggestions")))
        }
        Failure::Coverage(gap) => match gap {
            Gap::NotDecided { opinion_id } => (opinion(opinion_id), t.t("gap_not_decided").into()),
            Gap::ItemNotApproved { opinion_id, .. } => (opinion(opinion_id), t.t("gap_item_not_approved").into()),
            Gap::NotLinked { opinion_id } => (opinion(opinion_id), t.t("gap_not_linked").into()),
            Gap::NoReason { opinion_id } => (opinion(opinion_id), t.t("gap_no_reason").into()),
        },
    };
    FailureView { gate: gate_label(t, failure.gate()), href, subject, why }
}

/// Every failure now and the results as they would be published.
async fn check(state: &AppState, slug: &str, locale: Locale) -> Result<Checked, AppError> {
    let stored = state.consultation_page(slug, locale).await?;
    let now = state.clock.now();
    let s2 = stored.clone();
    let (failures, preview, next_version) = state
        .db
        .run(move |c| {
            let next = results::versions(c, s2.id)?.last().map(|(v, _)| v + 1).unwrap_or(1);
            let (failures, preview) = results::review(c, &s2, next, now)?;
            Ok((failures, preview, next))
        })
        .await
        .page(locale)?;
    Ok(Checked {
        title: stored.consultation.title.get(locale).to_string(),
        tz: stored.consultation.time_zone,
        failures,
        preview,
        next_version,
    })
}

struct Checked {
    title: String,
    tz: chrono_tz::Tz,
    failures: Vec<Failure>,
    preview: PublishedResults,
    next_version: i32,
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

async fn review_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &super::Staff,
    slug: &str,
    page_number: usize,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let checked = check(state, slug, locale).await?;
    let t = Tr::new(locale);
    let by_gate = Gate::ALL
        .into_iter()
        .map(|g| (gate_label(t, g), checked.failures.iter().filter(|f| f.gate() == g).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let pages = checked.failures.len().div_ceil(PER_PAGE).max(1);
    let page_number = page_number.clamp(1, pages);
    let page = ReviewPage {
        page: PageContext::new(locale, t.t("publish_heading").into(), format!("/staff/c/{slug}/publish")),
        nav: staff.nav(locale),
        slug: slug.to_string(),
        title: checked.title,
        total: checked.failures.len(),
        by_gate,
        failures: checked
            .failures
            .iter()
            .skip((page_number - 1) * PER_PAGE)
            .take(PER_PAGE)
            .map(|f| failure_view(locale, slug, checked.tz, f))
            .collect(),
        page_number,
        pages,
        preview: checked.preview,
        next_version: checked.next_version,
    };
    Ok(html_no_store(status, render(&page).page(locale)?))
}

pub async fn review(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::Approve).await?;
    review_page(&req, &state, &staff, &slug, q.page.unwrap_or(1), StatusCode::OK).await
}

/// Every failure as CSV (UTF-8 with BOM), for working through a long list.
pub async fn failures_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    require(&req, &state, Permission::Approve).await?;
    let checked = check(&state, &slug, locale).await?;
    let rows = checked.failures.iter().map(|f| {
        let v = failure_view(locale, &slug, checked.tz, f);
        vec![f.gate().as_str().to_string(), v.subject, v.why, v.href]
    });
    let out = crate::export::csv(&["gate", "subject", "problem", "link"], rows);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{slug}-publication-check.csv\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(out))
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
        PublishOutcome::Published(version) => Ok(see_other(format!("/c/{slug}/results?version={version}"))),
        PublishOutcome::Refused(_) => review_page(&req, &state, &staff, &slug, 1, StatusCode::CONFLICT).await,
    }
}
