//! The consultations to triage, and one consultation's counts per draft, state, lateness,
//! assignment and channel.
use super::super::{require, StaffNav};
use crate::db::consultations;
use crate::db::triage as tdb;
use crate::domain::staff::Permission;
use crate::domain::triage::TriageState;
use crate::i18n::{channel_label, triage_state_label, Tr};
use crate::web::error::{AppError, OrRespond};
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::view::{draft_label, Choice};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "staff/triage_consultations.html")]
struct ConsultationsPage {
    page: PageContext,
    nav: StaffNav,
    consultations: Vec<Choice>,
}

pub async fn consultations(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let all = state.db.run(consultations::list).await.page(locale)?;
    let page = ConsultationsPage {
        page: PageContext::new(locale, Tr::new(locale).t("triage_heading").into(), "/staff/c".into()),
        nav: staff.nav(locale),
        consultations: all
            .iter()
            .map(|c| Choice { value: c.slug.clone(), label: c.title.get(locale).to_string() })
            .collect(),
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}

pub struct OverviewRow {
    pub scope: String,
    pub label: String,
    pub total: i64,
    pub states: Vec<(&'static str, &'static str, i64)>,
    pub channels: String,
    pub late: i64,
    pub unassigned: i64,
}

#[derive(Template)]
#[template(path = "staff/triage_overview.html")]
struct OverviewPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    title: String,
    rows: Vec<OverviewRow>,
    state_names: Vec<(&'static str, &'static str)>,
    can_approve: bool,
}

pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let id = stored.id;
    let counts = state.db.run(move |c| tdb::overview(c, id)).await.page(locale)?;
    let mut scopes: Vec<(String, Option<i64>)> =
        stored.consultation.drafts.iter().map(|d| (d.code.clone(), stored.draft_ids.get(&d.code).copied())).collect();
    scopes.push(("whole".into(), None));
    let rows = scopes
        .into_iter()
        .map(|(scope, draft_id)| {
            let c = counts.iter().find(|c| c.draft_id == draft_id).cloned().unwrap_or_default();
            OverviewRow {
                label: draft_label(&stored, locale, draft_id),
                scope,
                total: c.total,
                states: TriageState::ALL
                    .iter()
                    .map(|s| {
                        let n = c.by_state.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
                        (s.as_str(), triage_state_label(locale, *s), n)
                    })
                    .collect(),
                channels: c
                    .by_channel
                    .iter()
                    .map(|(k, n)| format!("{} {n}", channel_label(locale, *k)))
                    .collect::<Vec<_>>()
                    .join(", "),
                late: c.late,
                unassigned: c.unassigned,
            }
        })
        .collect();
    let page = OverviewPage {
        page: PageContext::new(locale, Tr::new(locale).t("triage_heading").into(), format!("/staff/c/{slug}")),
        nav: staff.nav(locale),
        title: stored.consultation.title.get(locale).to_string(),
        slug: slug.into_inner(),
        rows,
        state_names: TriageState::ALL.iter().map(|s| (s.as_str(), triage_state_label(locale, *s))).collect(),
        can_approve: staff.can(Permission::Approve),
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}
