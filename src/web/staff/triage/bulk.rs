//! One action on a selection of opinions, or on every match of a filter after a confirmation
//! page that says how many will change and how.
use super::super::{checked_pairs, require, StaffNav};
use super::filter::FilterQuery;
use super::staff_choices;
use crate::app::triage::{self, BulkAction, ChangeRefusal};
use crate::db::triage::OpinionFilter;
use crate::domain::staff::Permission;
use crate::domain::triage::StateRequest;
use crate::domain::Locale;
use crate::i18n::{triage_state_label, Tr};
use crate::web::error::{AppError, ErrorKind, OrRefused, OrRespond};
use crate::web::page::see_other;
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::view::Choice;
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "staff/triage_bulk_confirm.html")]
struct BulkConfirmPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    count: usize,
    description: String,
    pairs: Vec<(String, String)>,
}

fn parse(get: impl Fn(&str) -> String) -> Option<BulkAction> {
    match get("action").as_str() {
        "assign" => Some(BulkAction::Assign(get("assignee").parse().ok())),
        "tag" => Some(BulkAction::Tag(get("tag"))),
        "state" => Some(BulkAction::State(StateRequest {
            state: get("state").parse().ok(),
            reason: Some(get("reason")),
            duplicate_of: get("duplicate_of").trim_start_matches('#').parse().ok(),
        })),
        "link" => get("item").parse().ok().map(BulkAction::Link),
        _ => None,
    }
}

fn describe(locale: Locale, action: &BulkAction, staff_names: &[Choice]) -> String {
    let t = Tr::new(locale);
    match action {
        BulkAction::Assign(who) => format!(
            "{}: {}",
            t.t("action_assign"),
            who.and_then(|id| staff_names.iter().find(|c| c.value == id.to_string()))
                .map(|c| c.label.clone())
                .unwrap_or_else(|| t.t("nobody").into())
        ),
        BulkAction::Tag(tag) => format!("{}: {}", t.t("action_tag"), tag.trim()),
        BulkAction::State(request) => format!(
            "{}: {} {}",
            t.t("action_state"),
            request.state.map(|s| triage_state_label(locale, s)).unwrap_or_default(),
            request.reason.clone().unwrap_or_default()
        ),
        BulkAction::Link(item) => format!("{}: #{item}", t.t("action_link")),
    }
}

fn refused(locale: Locale, refusal: ChangeRefusal) -> AppError {
    let why = match refusal {
        ChangeRefusal::UnknownAssignee => "unknown assignee",
        ChangeRefusal::UnknownItem => "unknown response item",
        _ => "choose an action and fill in what it needs (a reason for out of scope or abusive)",
    };
    AppError::html(locale, ErrorKind::BadRequest(why.into()))
}

pub async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let pairs = checked_pairs(&req, &state, &staff, payload).await?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let stored = state.consultation_page(&slug, locale).await?;
    let action = parse(get).ok_or_else(|| refused(locale, ChangeRefusal::UnfitTag))?;
    if matches!(action, BulkAction::Link(_)) && !staff.can(Permission::WriteResponses) {
        return Err(AppError::html(locale, ErrorKind::Forbidden));
    }
    triage::decide_bulk(&action, true).map_err(|r| refused(locale, r))?;
    let f = FilterQuery::from_pairs(&pairs);
    f.check(locale)?;
    let all = get("scope") == "all";
    let (filter, chosen) = if all {
        (f.to_filter(&stored), None)
    } else {
        let ids = pairs.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect();
        (OpinionFilter::new(stored.id), Some(ids))
    };
    let ids = triage::select(&state.db, filter, chosen).await.page(locale)?;
    if all && get("confirmed") != "yes" {
        let staff_names = staff_choices(&state, locale).await?;
        let mut carry: Vec<(String, String)> =
            pairs.iter().filter(|(k, _)| k != "csrf" && k != "confirmed").cloned().collect();
        carry.push(("confirmed".into(), "yes".into()));
        let page = BulkConfirmPage {
            page: PageContext::new(
                locale,
                Tr::new(locale).t("bulk_confirm_heading").into(),
                format!("/staff/c/{slug}/opinions"),
            ),
            nav: staff.nav(locale),
            count: ids.len(),
            description: describe(locale, &action, &staff_names),
            pairs: carry,
            slug: slug.into_inner(),
        };
        return Ok(html(StatusCode::OK, render(&page).page(locale)?));
    }
    let outcome = triage::bulk(&state.db, stored.id, staff.actor(), ids, action, state.clock.now()).await;
    let changed = outcome.refused_page(locale)?.map_err(|r| refused(locale, r))?;
    let back = format!("/staff/c/{slug}/opinions?{}&done={changed}", f.query_string());
    Ok(see_other(back))
}
