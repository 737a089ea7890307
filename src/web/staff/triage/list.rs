//! The filtered opinion list: one page at a time by key, with its total, and the bulk form.
use super::super::{require, StaffNav};
use super::filter::FilterQuery;
use super::{item_choices, staff_choices, state_choices};
use crate::db::annotations;
use crate::db::triage::{self as tdb, OpinionFilter};
use crate::domain::staff::Permission;
use crate::domain::Channel;
use crate::i18n::{self, channel_label, triage_state_label, Tr};
use crate::web::error::{AppError, OrRespond};
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::view::{draft_choices, draft_label, excerpt, Choice};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

const PAGE: i64 = 50;

pub struct ListRowView {
    pub id: i64,
    pub receipt: String,
    pub channel: &'static str,
    pub received: String,
    pub late: bool,
    pub draft: String,
    pub excerpt: String,
    /// Where in the draft (該当箇所), as the submitter gave it.
    pub location: String,
    pub state: &'static str,
    pub assignee: String,
    pub tags: String,
    pub item: String,
}

#[derive(Template)]
#[template(path = "staff/triage_list.html")]
struct ListPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    title: String,
    f: FilterQuery,
    hidden: Vec<(&'static str, String)>,
    total: i64,
    /// More opinions match than were counted (see `count_cap`).
    more_than: bool,
    rows: Vec<ListRowView>,
    next_url: String,
    drafts: Vec<Choice>,
    states: Vec<Choice>,
    tags: Vec<String>,
    staff_list: Vec<Choice>,
    items: Vec<Choice>,
    channels: Vec<Choice>,
    done: String,
    /// Opinions not yet in the search index (the search reads them directly meanwhile).
    search_backlog: i64,
    /// Personal-data scans still waiting: suggestions for the newest opinions are missing.
    scan_waiting: bool,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let f = q.into_inner();
    f.check(locale)?;
    let filter = f.to_filter(&stored);
    let cid = stored.id;
    let cap = crate::domain::triage::count_cap(filter.text.as_deref().is_some_and(|t| !t.trim().is_empty()));
    let (rows, counted, tags, (search_backlog, scans)) = state
        .db
        .run(move |c| {
            Ok((
                tdb::list(c, &filter, PAGE)?,
                tdb::count_up_to(c, &OpinionFilter { after: None, ..filter.clone() }, cap)?,
                annotations::tags_in(c, cid)?,
                (crate::db::search::backlog(c)?, crate::db::jobs::waiting(c, crate::db::jobs::SCAN_PERSONAL_DATA)?),
            ))
        })
        .await
        .page(locale)?;
    let (total, more_than) = crate::domain::triage::shown_total(counted, cap);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let row_tags = state.db.run(move |c| annotations::tags_of(c, &ids)).await.page(locale)?;
    let staff_list = staff_choices(&state, locale).await?;
    let name_of = |id: Option<i64>| {
        id.and_then(|id| staff_list.iter().find(|c| c.value == id.to_string()))
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    let tz = stored.consultation.time_zone;
    let next_url = match rows.last() {
        Some(last) if rows.len() as i64 == PAGE => {
            let mut next = f.clone();
            next.after = last.id.to_string();
            format!("/staff/c/{slug}/opinions?{}&after={}", next.query_string(), last.id)
        }
        _ => String::new(),
    };
    let views = rows
        .iter()
        .map(|r| ListRowView {
            id: r.id,
            receipt: r.receipt_number.clone(),
            channel: channel_label(locale, r.channel),
            received: i18n::datetime(locale, r.received_at_utc(), tz),
            late: r.late && r.late_accepted.is_none(),
            draft: draft_label(&stored, locale, r.draft_id),
            excerpt: excerpt(&r.body, 140),
            location: r.location.as_deref().map(|l| excerpt(l, 40)).unwrap_or_default(),
            state: triage_state_label(locale, r.state),
            assignee: name_of(r.assignee_id),
            tags: row_tags.iter().filter(|(id, _)| *id == r.id).map(|(_, t)| t.clone()).collect::<Vec<_>>().join(", "),
            item: r.response_item_id.map(|i| format!("#{i}")).unwrap_or_default(),
        })
        .collect();
    let page = ListPage {
        page: PageContext::new(
            locale,
            Tr::new(locale).t("opinions_heading").into(),
            format!("/staff/c/{slug}/opinions?{}", f.query_string()),
        ),
        nav: staff.nav(locale),
        title: stored.consultation.title.get(locale).to_string(),
        hidden: f.pairs(),
        total,
        more_than,
        rows: views,
        next_url,
        drafts: draft_choices(&stored, locale),
        states: state_choices(locale),
        tags,
        items: item_choices(&state, locale, &stored).await?,
        channels: Channel::ALL
            .iter()
            .map(|c| Choice { value: c.as_str().into(), label: channel_label(locale, *c).into() })
            .collect(),
        staff_list,
        done: req.query_string().split('&').find_map(|kv| kv.strip_prefix("done=")).unwrap_or("").to_string(),
        slug: slug.into_inner(),
        f,
        search_backlog,
        scan_waiting: scans > 0,
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}
