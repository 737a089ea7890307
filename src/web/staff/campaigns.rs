//! The campaign view for analysts: clusters of near-identical opinions by size (for the
//! consultation or one draft), and one cluster with every member shown against its template,
//! where staff act on the whole campaign, detach a member or join another cluster.
use super::triage::{item_choices, state_choices};
use super::{checked_form, require, StaffNav};
use crate::app::{campaigns as ops, OpError};
use crate::db::campaigns as cdb;
use crate::db::consultations::StoredConsultation;
use crate::db::fingerprints as fdb;
use crate::domain::campaign::{diff, has_own_text, Piece, OWN_TEXT_CHARS};
use crate::domain::staff::Permission;
use crate::domain::Locale;
use crate::i18n::{triage_state_label, Tr};
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::{html_no_store as html, render, see_other, PageContext};
use crate::web::view::{draft_choices, draft_label, excerpt, Choice};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// Members shown on one page of a cluster.
const MEMBERS_PER_PAGE: usize = 100;

pub struct ClusterRow {
    pub id: i64,
    pub size: i64,
    pub with_own_text: i64,
    pub template: String,
    pub spread: String,
}

#[derive(Template)]
#[template(path = "staff/campaigns.html")]
struct ListPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    title: String,
    draft: String,
    own: bool,
    drafts: Vec<Choice>,
    clusters: Vec<ClusterRow>,
    in_clusters: i64,
    notice: String,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    draft: String,
    #[serde(default)]
    own: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    queued: Option<String>,
}

fn draft_scope(stored: &StoredConsultation, draft: &str) -> Option<Option<i64>> {
    match draft {
        "" => None,
        "whole" => Some(None),
        code => Some(Some(stored.draft_ids.get(code).copied().unwrap_or(-1))),
    }
}

fn spread(stored: &StoredConsultation, locale: Locale, drafts: &[(Option<i64>, i64)]) -> String {
    drafts.iter().map(|(d, n)| format!("{} {n}", draft_label(stored, locale, *d))).collect::<Vec<_>>().join(" · ")
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let (id, scope, own) = (stored.id, draft_scope(&stored, &q.draft), q.own == "yes");
    let summaries = state.db.run(move |c| cdb::summaries(c, id, scope, OWN_TEXT_CHARS as i32)).await.page(locale)?;
    let t = Tr::new(locale);
    let page = ListPage {
        page: PageContext::new(locale, t.t("campaigns_heading").into(), format!("/staff/c/{slug}/campaigns")),
        nav: staff.nav(locale),
        title: stored.consultation.title.get(locale).to_string(),
        draft: q.draft.clone(),
        own,
        drafts: draft_choices(&stored, locale),
        in_clusters: summaries.iter().map(|s| s.size).sum(),
        clusters: summaries
            .iter()
            .filter(|s| !own || s.with_own_text > 0)
            .map(|s| ClusterRow {
                id: s.cluster_id,
                size: s.size,
                with_own_text: s.with_own_text,
                template: excerpt(&s.template_body, 160),
                spread: spread(&stored, locale, &s.drafts),
            })
            .collect(),
        notice: if q.queued.is_some() { t.t("recluster_queued").into() } else { String::new() },
        slug: slug.into_inner(),
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}

/// One member against the template, in pieces the page marks up.
pub struct MemberView {
    pub id: i64,
    pub receipt: String,
    pub draft: String,
    pub similarity: i32,
    pub own_text: bool,
    pub state: &'static str,
    pub pieces: Vec<Piece>,
}

#[derive(Template)]
#[template(path = "staff/campaign.html")]
struct ClusterPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    cluster: i64,
    size: usize,
    template_id: i64,
    template: String,
    members: Vec<MemberView>,
    own: bool,
    page_number: usize,
    pages: usize,
    others: Vec<Choice>,
    items: Vec<Choice>,
    states: Vec<Choice>,
    can_link: bool,
}

pub async fn cluster(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let (slug, cluster_id) = path.into_inner();
    let stored = state.consultation_page(&slug, locale).await?;
    let id = stored.id;
    let (members, summaries) = state
        .db
        .run(move |c| Ok((cdb::member_views(c, id, cluster_id)?, cdb::summaries(c, id, None, OWN_TEXT_CHARS as i32)?)))
        .await
        .page(locale)?;
    let template = members.iter().find(|m| m.is_template).ok_or(AppError::html(locale, ErrorKind::NotFound))?;
    let template_text = fdb::joined(&template.body, template.reason.as_deref());
    let own = q.own == "yes";
    let shown: Vec<&cdb::MemberView> =
        members.iter().filter(|m| !m.is_template && (!own || has_own_text(m.own_chars.max(0) as usize))).collect();
    let pages = shown.len().div_ceil(MEMBERS_PER_PAGE).max(1);
    let page_number = q.page.unwrap_or(1).clamp(1, pages);
    let t = Tr::new(locale);
    let page = ClusterPage {
        page: PageContext::new(
            locale,
            format!("{} #{cluster_id}", t.t("campaign_label")),
            format!("/staff/c/{slug}/campaigns/{cluster_id}"),
        ),
        nav: staff.nav(locale),
        cluster: cluster_id,
        size: members.len(),
        template_id: template.opinion_id,
        members: shown
            .iter()
            .skip((page_number - 1) * MEMBERS_PER_PAGE)
            .take(MEMBERS_PER_PAGE)
            .map(|m| MemberView {
                id: m.opinion_id,
                receipt: m.receipt_number.clone(),
                draft: draft_label(&stored, locale, m.draft_id),
                similarity: m.similarity / 10,
                own_text: has_own_text(m.own_chars.max(0) as usize),
                state: triage_state_label(locale, m.state),
                pieces: diff(&template_text, &fdb::joined(&m.body, m.reason.as_deref())),
            })
            .collect(),
        template: template_text.clone(),
        own,
        page_number,
        pages,
        others: summaries
            .iter()
            .filter(|s| s.cluster_id != cluster_id)
            .map(|s| Choice {
                value: s.cluster_id.to_string(),
                label: format!("#{} ({}) {}", s.cluster_id, s.size, excerpt(&s.template_body, 40)),
            })
            .collect(),
        items: item_choices(&state, locale, &stored).await?,
        states: state_choices(locale),
        can_link: staff.can(Permission::WriteResponses),
        slug,
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}

/// Takes one member out of the cluster for good.
pub async fn detach(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let (slug, cluster_id) = path.into_inner();
    let stored = state.consultation_page(&slug, locale).await?;
    let opinion = id_field(&f, "opinion", locale)?;
    let done = ops::detach(&state.db, staff.actor(), stored.id, opinion, state.clock.now()).await;
    then_show(done, locale, format!("/staff/c/{slug}/campaigns/{cluster_id}"))
}

/// A whole-number field of the form, or a 400 naming it.
fn id_field(f: &std::collections::HashMap<String, String>, name: &str, locale: Locale) -> Result<i64, AppError> {
    f.get(name).and_then(|v| v.parse().ok()).ok_or(AppError::html(locale, ErrorKind::BadRequest(name.into())))
}

/// After a change to the grouping: the cluster's page, or why not (a member or cluster that
/// is not there is a 404).
fn then_show(done: crate::app::OpResult<(), ()>, locale: Locale, next: String) -> Result<HttpResponse, AppError> {
    match done {
        Ok(()) => Ok(see_other(next)),
        Err(OpError::Db(e)) => Err(AppError::html(locale, e.into())),
        Err(_) => Err(AppError::html(locale, ErrorKind::NotFound)),
    }
}

/// Joins another cluster to this one.
pub async fn join(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let (slug, cluster_id) = path.into_inner();
    let stored = state.consultation_page(&slug, locale).await?;
    let other = id_field(&f, "other", locale)?;
    let done = ops::join(&state.db, staff.actor(), stored.id, cluster_id, other, state.clock.now()).await;
    then_show(done, locale, format!("/staff/c/{slug}/campaigns/{}", cluster_id.min(other)))
}

/// Asks for the consultation's campaigns to be found afresh, in the background.
pub async fn recluster(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let (id, now) = (stored.id, state.clock.now());
    state
        .db
        .write(move |c| crate::db::jobs::queue(c, crate::db::jobs::RECLUSTER, &id.to_string(), now))
        .await
        .page(locale)?;
    Ok(see_other(format!("/staff/c/{slug}/campaigns?queued=1")))
}

/// Every opinion in a cluster of two or more, as CSV (UTF-8 with BOM).
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    require(&req, &state, Permission::Triage).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let id = stored.id;
    let rows = state.db.run(move |c| cdb::export(c, id)).await.page(locale)?;
    let mut sizes = std::collections::HashMap::<i64, usize>::new();
    for r in &rows {
        *sizes.entry(r.cluster_id).or_default() += 1;
    }
    let header = [
        "receipt_number",
        "opinion_id",
        "cluster_id",
        "cluster_size",
        "similarity_to_template",
        "has_own_text",
        "is_template",
    ];
    let out = crate::export::csv(
        &header,
        rows.iter().map(|r| {
            vec![
                r.receipt_number.clone(),
                r.opinion_id.to_string(),
                r.cluster_id.to_string(),
                sizes[&r.cluster_id].to_string(),
                format!("{:.3}", f64::from(r.similarity) / 1000.0),
                has_own_text(r.own_chars.max(0) as usize).to_string(),
                r.is_template.to_string(),
            ]
        }),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{slug}-campaigns.csv\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(out))
}
