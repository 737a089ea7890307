//! Triage: per-draft counts, filtered opinion lists with keyset pagination and search, one
//! opinion's page, and bulk changes on a selection or on everything a filter matches.
use super::{checked_form, checked_pairs, require, Staff, StaffNav};
use crate::db::audit::{self, Entry};
use crate::db::consultations::{self, StoredConsultation};
use crate::db::staff as staff_db;
use crate::db::triage::{self as tdb, Assignee, DraftScope, OpinionFilter, Order};
use crate::db::{responses, DbConnection, DbError};
use crate::domain::staff::Permission;
use crate::domain::triage::{normalize_tag, TriageState};
use crate::domain::Locale;
use crate::i18n::channel_label;
use crate::i18n::{self, Tr};
use crate::web::error::{AppError, ErrorKind, OrRespond};
use crate::web::page::{render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

const PAGE: i64 = 50;

use crate::web::page::html_no_store as html;

pub fn state_label(locale: Locale, state: &str) -> &'static str {
    let t = Tr::new(locale);
    match state {
        "new" => t.t("ts_new"),
        "in_review" => t.t("ts_in_review"),
        "answered" => t.t("ts_answered"),
        "out_of_scope" => t.t("ts_out_of_scope"),
        "abusive" => t.t("ts_abusive"),
        "duplicate" => t.t("ts_duplicate"),
        _ => "?",
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

fn state_choices(locale: Locale) -> Vec<Choice> {
    TriageState::ALL
        .iter()
        .map(|s| Choice { value: s.as_str().into(), label: state_label(locale, s.as_str()).into() })
        .collect()
}

fn draft_choices(stored: &StoredConsultation, locale: Locale) -> Vec<Choice> {
    let mut out = vec![Choice { value: "whole".into(), label: Tr::new(locale).t("draft_whole").into() }];
    out.extend(
        stored
            .consultation
            .drafts
            .iter()
            .map(|d| Choice { value: d.code.clone(), label: d.title.get(locale).to_string() }),
    );
    out
}

fn draft_label(stored: &StoredConsultation, locale: Locale, draft_id: Option<i64>) -> String {
    draft_id
        .and_then(|id| stored.draft_ids.iter().find(|(_, v)| **v == id))
        .and_then(|(code, _)| stored.consultation.draft(code))
        .map(|d| d.title.get(locale).to_string())
        .unwrap_or_else(|| Tr::new(locale).t("draft_whole").into())
}

async fn staff_choices(state: &AppState, locale: Locale) -> Result<Vec<Choice>, AppError> {
    let users = state.db.run(staff_db::list).await.page(locale)?;
    Ok(users
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| Choice { value: u.id.to_string(), label: u.username })
        .collect())
}

async fn item_choices(state: &AppState, locale: Locale, stored: &StoredConsultation) -> Result<Vec<Choice>, AppError> {
    let id = stored.id;
    let items = state.db.run(move |c| responses::list(c, id)).await.page(locale)?;
    Ok(items
        .into_iter()
        .map(|i| {
            let summary = if locale == Locale::En && !i.summary_en.is_empty() { i.summary_en } else { i.summary_ja };
            let short: String = summary.chars().take(60).collect();
            Choice {
                value: i.id.to_string(),
                label: format!("#{} {} — {short}", i.id, draft_label(stored, locale, i.draft_id)),
            }
        })
        .collect())
}

// ------------------------------------------------------------- consultations and overview

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
    pub states: Vec<(String, &'static str, i64)>,
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
    state_names: Vec<(String, &'static str)>,
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
    let (id, sqlite) = (stored.id, state.db.backend() == "sqlite");
    let counts = state.db.run(move |c| tdb::overview(c, id, sqlite)).await.page(locale)?;
    let mut scopes: Vec<(String, Option<i64>)> =
        stored.consultation.drafts.iter().map(|d| (d.code.clone(), stored.draft_ids.get(&d.code).copied())).collect();
    scopes.push(("whole".into(), None));
    let rows = scopes
        .into_iter()
        .map(|(scope, draft_id)| {
            let c = counts.iter().find(|c| c.draft_id == draft_id).cloned().unwrap_or_default();
            OverviewRow {
                label: if scope == "whole" {
                    Tr::new(locale).t("draft_whole").into()
                } else {
                    draft_label(&stored, locale, draft_id)
                },
                scope,
                total: c.total,
                states: TriageState::ALL
                    .iter()
                    .map(|s| {
                        let n = c.by_state.iter().find(|(k, _)| k == s.as_str()).map(|(_, n)| *n).unwrap_or(0);
                        (s.as_str().to_string(), state_label(locale, s.as_str()), n)
                    })
                    .collect(),
                channels: c
                    .by_channel
                    .iter()
                    .map(|(k, n)| format!("{} {n}", channel_label(locale, k)))
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
        state_names: TriageState::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), state_label(locale, s.as_str())))
            .collect(),
        can_approve: staff.can(Permission::Approve),
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}

// ------------------------------------------------------------- the filtered list

/// The list's filters exactly as they travel in URLs and hidden fields.
#[derive(serde::Deserialize, serde::Serialize, Default, Clone)]
pub struct FilterQuery {
    #[serde(default)]
    pub draft: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub late: String,
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub linked: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub after: String,
}

impl FilterQuery {
    pub const KEYS: [&'static str; 11] =
        ["draft", "state", "tag", "channel", "late", "assignee", "linked", "from", "to", "q", "order"];

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get =
            |k: &str| pairs.iter().find(|(n, _)| n == &format!("f_{k}")).map(|(_, v)| v.clone()).unwrap_or_default();
        FilterQuery {
            draft: get("draft"),
            state: get("state"),
            tag: get("tag"),
            channel: get("channel"),
            late: get("late"),
            assignee: get("assignee"),
            linked: get("linked"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            order: get("order"),
            after: String::new(),
        }
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let values = [
            &self.draft,
            &self.state,
            &self.tag,
            &self.channel,
            &self.late,
            &self.assignee,
            &self.linked,
            &self.from,
            &self.to,
            &self.q,
            &self.order,
        ];
        Self::KEYS.iter().zip(values).filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.clone())).collect()
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string(self.pairs()).unwrap_or_default()
    }

    fn to_filter(&self, stored: &StoredConsultation) -> OpinionFilter {
        let zone = stored.consultation.time_zone;
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let midnight =
            |d: NaiveDate| zone.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc));
        let mut f = OpinionFilter::new(stored.id);
        f.draft = match self.draft.as_str() {
            "" => DraftScope::Any,
            "whole" => DraftScope::Whole,
            code => stored.draft_ids.get(code).map(|id| DraftScope::Draft(*id)).unwrap_or(DraftScope::Draft(-1)),
        };
        f.state = self.state.parse().ok();
        f.tag = Some(self.tag.trim().to_string()).filter(|t| !t.is_empty());
        f.channel = Some(self.channel.clone()).filter(|c| !c.is_empty());
        f.late = match self.late.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        f.assignee = match self.assignee.as_str() {
            "" => Assignee::Any,
            "none" => Assignee::Nobody,
            id => id.parse().map(Assignee::User).unwrap_or(Assignee::Any),
        };
        f.linked = match self.linked.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        f.from = date(&self.from).and_then(midnight);
        f.until = date(&self.to).and_then(|d| d.succ_opt()).and_then(midnight);
        f.text = Some(self.q.clone()).filter(|q| !q.trim().is_empty());
        f.order = if self.order == "newest" { Order::Newest } else { Order::Oldest };
        f.after = self.after.parse().ok();
        f
    }
}

pub struct ListRowView {
    pub id: i64,
    pub receipt: String,
    pub channel: &'static str,
    pub received: String,
    pub late: bool,
    pub draft: String,
    pub excerpt: String,
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
    rows: Vec<ListRowView>,
    next_url: String,
    drafts: Vec<Choice>,
    states: Vec<Choice>,
    tags: Vec<String>,
    staff_list: Vec<Choice>,
    items: Vec<Choice>,
    channels: Vec<Choice>,
    done: String,
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
    let filter = f.to_filter(&stored);
    let sqlite = state.db.backend() == "sqlite";
    let cid = stored.id;
    let (rows, total, tags) = state
        .db
        .run(move |c| {
            Ok((
                tdb::list(c, &filter, sqlite, PAGE)?,
                tdb::count(c, &OpinionFilter { after: None, ..filter.clone() }, sqlite)?,
                tdb::tags_in(c, cid)?,
            ))
        })
        .await
        .page(locale)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let row_tags = state.db.run(move |c| tdb::tags_of(c, &ids)).await.page(locale)?;
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
            channel: channel_label(locale, &r.channel),
            received: i18n::datetime(locale, r.received_at_utc(), tz),
            late: r.late && r.late_accepted.is_none(),
            draft: draft_label(&stored, locale, r.draft_id),
            excerpt: {
                let text: String = r.body.chars().take(140).collect();
                if r.body.chars().count() > 140 {
                    format!("{text}…")
                } else {
                    text
                }
            },
            state: state_label(locale, &r.state),
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
        rows: views,
        next_url,
        drafts: draft_choices(&stored, locale),
        states: state_choices(locale),
        tags,
        items: item_choices(&state, locale, &stored).await?,
        channels: crate::domain::Channel::ALL
            .iter()
            .map(|c| Choice { value: c.as_str().into(), label: channel_label(locale, c.as_str()).into() })
            .collect(),
        staff_list,
        done: req.query_string().split('&').find_map(|kv| kv.strip_prefix("done=")).unwrap_or("").to_string(),
        slug: slug.into_inner(),
        f,
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}

// ------------------------------------------------------------- bulk

#[derive(Clone, Debug)]
enum BulkAction {
    Assign(Option<i64>),
    Tag(String),
    State(TriageState, Option<String>),
    Link(i64),
}

fn parse_bulk(pairs: &[(String, String)]) -> Option<BulkAction> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    match get("action").as_str() {
        "assign" => Some(BulkAction::Assign(get("assignee").parse().ok())),
        "tag" => normalize_tag(&get("tag")).map(BulkAction::Tag),
        "state" => {
            let state: TriageState = get("state").parse().ok()?;
            let reason = Some(get("reason")).filter(|r| !r.is_empty());
            // Duplicates need the opinion they repeat: that is a per-opinion action.
            if state == TriageState::Duplicate
                || state == TriageState::Answered
                || (state.needs_reason() && reason.is_none())
            {
                return None;
            }
            Some(BulkAction::State(state, reason))
        }
        "link" => get("item").parse().ok().map(BulkAction::Link),
        _ => None,
    }
}

fn apply(c: &mut DbConnection, ids: &[i64], action: &BulkAction, consultation_id: i64) -> Result<usize, DbError> {
    match action {
        BulkAction::Assign(who) => tdb::assign(c, ids, *who),
        BulkAction::Tag(tag) => tdb::add_tag(c, ids, tag),
        BulkAction::State(state, reason) => tdb::set_state(c, ids, *state, reason.as_deref(), None),
        BulkAction::Link(item) => match responses::find(c, *item)? {
            Some(i) if i.consultation_id == consultation_id => tdb::link(c, ids, *item),
            _ => Ok(0),
        },
    }
}

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
        BulkAction::Tag(tag) => format!("{}: {tag}", t.t("action_tag")),
        BulkAction::State(s, reason) => format!(
            "{}: {} {}",
            t.t("action_state"),
            state_label(locale, s.as_str()),
            reason.clone().unwrap_or_default()
        ),
        BulkAction::Link(item) => format!("{}: #{item}", t.t("action_link")),
    }
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
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let stored = state.consultation_page(&slug, locale).await?;
    let Some(action) = parse_bulk(&pairs) else {
        return Err(AppError::html(
            locale,
            ErrorKind::BadRequest(
                "choose an action and fill in what it needs (a reason for out of scope or abusive)".into(),
            ),
        ));
    };
    if matches!(action, BulkAction::Link(_)) && !staff.can(Permission::WriteResponses) {
        return Err(AppError::html(locale, ErrorKind::Forbidden));
    }
    if let BulkAction::Assign(Some(who)) = action {
        let known = staff_choices(&state, locale).await?.iter().any(|c| c.value == who.to_string());
        if !known {
            return Err(AppError::html(locale, ErrorKind::BadRequest("unknown assignee".into())));
        }
    }
    let f = FilterQuery::from_pairs(&pairs);
    let sqlite = state.db.backend() == "sqlite";
    let ids: Vec<i64> = if get("scope") == "all" {
        let filter = f.to_filter(&stored);
        state.db.run(move |c| tdb::ids(c, &OpinionFilter { after: None, ..filter }, sqlite)).await.page(locale)?
    } else {
        // Only ids of this consultation, whatever the form says.
        let wanted: Vec<i64> = pairs.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect();
        let filter = OpinionFilter::new(stored.id);
        let all = state.db.run(move |c| tdb::ids(c, &filter, sqlite)).await.page(locale)?;
        wanted.into_iter().filter(|id| all.binary_search(id).is_ok()).collect()
    };
    if get("scope") == "all" && get("confirmed") != "yes" {
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
    let now = state.clock.now();
    let actor = staff.actor();
    let cid = stored.id;
    let summary = format!("{action:?}");
    let changed = state
        .db
        .write(move |c| {
            let n = apply(c, &ids, &action, cid)?;
            let after = json!({"action": summary, "opinions": ids.len(), "changed": n, "first_ids": ids.iter().take(50).collect::<Vec<_>>()});
            audit::record(c, &actor, Entry { action: "triage_bulk", object_type: "consultation", object_id: &cid.to_string(), before: None, after: Some(after) }, now)?;
            Ok(n)
        })
        .await
        .page(locale)?;
    let back = format!("/staff/c/{slug}/opinions?{}&done={changed}", f.query_string());
    Ok(HttpResponse::SeeOther().insert_header(("Location", back)).finish())
}

// ------------------------------------------------------------- one opinion

pub struct NoteView {
    pub author: String,
    pub body: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "staff/opinion.html")]
struct OpinionPage {
    page: PageContext,
    nav: StaffNav,
    slug: String,
    o: tdb::OpinionDetail,
    received: String,
    draft: String,
    draft_code: String,
    original_draft: String,
    state: &'static str,
    tags: Vec<String>,
    notes: Vec<NoteView>,
    drafts: Vec<Choice>,
    states: Vec<Choice>,
    staff_list: Vec<Choice>,
    items: Vec<Choice>,
    can_link: bool,
    message: String,
}

async fn load(
    state: &AppState,
    locale: Locale,
    id: i64,
) -> Result<(tdb::OpinionDetail, Arc<StoredConsultation>), AppError> {
    let o = state
        .db
        .run(move |c| tdb::detail(c, id))
        .await
        .page(locale)?
        .ok_or(AppError::html(locale, ErrorKind::NotFound))?;
    let stored = state.consultation_by_id(o.consultation_id, locale).await?;
    Ok((o, stored))
}

async fn opinion_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    let (o, stored) = load(state, locale, id).await?;
    let (tags, notes) =
        state.db.run(move |c| Ok((tdb::tags_of(c, &[id])?, tdb::notes_of(c, id)?))).await.page(locale)?;
    let tz = stored.consultation.time_zone;
    let code_of = |draft_id: Option<i64>| {
        draft_id.and_then(|id| stored.draft_ids.iter().find(|(_, v)| **v == id)).map(|(k, _)| k.clone())
    };
    let page = OpinionPage {
        page: PageContext::new(
            locale,
            format!("{} #{id}", Tr::new(locale).t("opinion_legend")),
            format!("/staff/opinions/{id}"),
        ),
        nav: staff.nav(locale),
        slug: stored.consultation.slug.clone(),
        received: i18n::datetime(locale, o.received_at.and_utc(), tz),
        draft: draft_label(&stored, locale, o.draft_id),
        draft_code: code_of(o.draft_id).unwrap_or_else(|| "whole".into()),
        original_draft: if o.original_draft_id.is_some() {
            draft_label(&stored, locale, o.original_draft_id)
        } else {
            String::new()
        },
        state: state_label(locale, &o.state),
        tags: tags.into_iter().map(|(_, t)| t).collect(),
        notes: notes
            .into_iter()
            .map(|n| NoteView { author: n.author, body: n.body, at: i18n::datetime(locale, n.at, tz) })
            .collect(),
        drafts: draft_choices(&stored, locale),
        states: state_choices(locale),
        staff_list: staff_choices(state, locale).await?,
        items: item_choices(state, locale, &stored).await?,
        can_link: staff.can(Permission::WriteResponses),
        message,
        o,
    };
    Ok(html(status, render(&page).page(locale)?))
}

pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let staff = require(&req, &state, Permission::Triage).await?;
    opinion_page(&req, &state, &staff, id.into_inner(), String::new(), StatusCode::OK).await
}

/// One change to one opinion, run inside the transaction that audits it.
type OpinionChange = Box<dyn FnOnce(&mut DbConnection) -> Result<(), DbError> + Send>;

pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let id = id.into_inner();
    let (o, stored) = load(&state, locale, id).await?;
    let t = Tr::new(locale);
    let now = state.clock.now();
    let actor = staff.actor();
    let before = json!({"state": o.state, "draft_id": o.draft_id, "assignee_id": o.assignee_id, "response_item_id": o.response_item_id});
    let action = get("action");
    let refuse = |message: String| async {
        opinion_page(&req, &state, &staff, id, message, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let (audit_action, change): (&str, OpinionChange) = match action.as_str() {
        "state" => {
            let Ok(new_state) = get("state").parse::<TriageState>() else {
                return refuse(t.t("triage_state_label").into()).await;
            };
            let reason = Some(get("reason")).filter(|r| !r.is_empty());
            let duplicate_of: Option<i64> = get("duplicate_of").trim_start_matches('#').parse().ok();
            if new_state == TriageState::Answered {
                return refuse(t.t("action_link").into()).await;
            }
            if new_state == TriageState::Duplicate {
                // The original must be another opinion of the same consultation.
                let original = match duplicate_of.filter(|d| *d != id) {
                    Some(d) => state.db.run(move |c| tdb::detail(c, d)).await.page(locale)?,
                    None => None,
                };
                if original.is_none_or(|orig| orig.consultation_id != o.consultation_id) {
                    return refuse(t.t("duplicate_of_label").into()).await;
                }
            }
            if new_state.needs_reason() && new_state != TriageState::Duplicate && reason.is_none() {
                return refuse(t.t("reason_for_state").into()).await;
            }
            let reason = reason.or_else(|| duplicate_of.map(|d| format!("#{d}")));
            (
                "opinion_state",
                Box::new(move |c| tdb::set_state(c, &[id], new_state, reason.as_deref(), duplicate_of).map(|_| ())),
            )
        }
        "assign" => {
            let who: Option<i64> = get("assignee").parse().ok();
            if let Some(w) = who {
                let known = staff_choices(&state, locale).await?.iter().any(|c| c.value == w.to_string());
                if !known {
                    return refuse(t.t("assignee_label").into()).await;
                }
            }
            ("opinion_assign", Box::new(move |c| tdb::assign(c, &[id], who).map(|_| ())))
        }
        "tag" => {
            let Some(tag) = normalize_tag(&get("tag")) else {
                return refuse(t.t("tag_label").into()).await;
            };
            ("opinion_tag", Box::new(move |c| tdb::add_tag(c, &[id], &tag).map(|_| ())))
        }
        "untag" => {
            let tag = get("tag");
            ("opinion_untag", Box::new(move |c| tdb::remove_tag(c, id, &tag).map(|_| ())))
        }
        "note" => {
            let body = get("note");
            if body.is_empty() {
                return refuse(t.t("add_note").into()).await;
            }
            let by = staff.user.id;
            ("opinion_note", Box::new(move |c| tdb::add_note(c, id, by, &body, now)))
        }
        "move" => {
            let to = match get("draft").as_str() {
                "whole" => None,
                code => match stored.draft_ids.get(code) {
                    Some(d) => Some(*d),
                    None => return refuse(t.t("move_draft").into()).await,
                },
            };
            let (current, original) = (o.draft_id, o.original_draft_id);
            ("opinion_move", Box::new(move |c| tdb::move_to_draft(c, id, current, original, to)))
        }
        "link" => {
            if !staff.can(Permission::WriteResponses) {
                return Err(AppError::html(locale, ErrorKind::Forbidden));
            }
            let Ok(item) = get("item").parse::<i64>() else {
                return refuse(t.t("response_item_label").into()).await;
            };
            let found = state.db.run(move |c| responses::find(c, item)).await.page(locale)?;
            if found.is_none_or(|i| i.consultation_id != stored.id) {
                return refuse(t.t("response_item_label").into()).await;
            }
            let cid = stored.id;
            ("opinion_link", Box::new(move |c| apply(c, &[id], &BulkAction::Link(item), cid).map(|_| ())))
        }
        _ => return Err(AppError::html(locale, ErrorKind::BadRequest("unknown action".into()))),
    };
    state
        .db
        .write(move |c| {
            change(c)?;
            let after = tdb::detail(c, id)?.map(|o| {
                json!({"state": o.state, "draft_id": o.draft_id, "assignee_id": o.assignee_id, "response_item_id": o.response_item_id, "reason": o.triage_reason})
            });
            audit::record(c, &actor, Entry { action: audit_action, object_type: "opinion", object_id: &id.to_string(), before: Some(before), after }, now)
        })
        .await
        .page(locale)?;
    Ok(HttpResponse::SeeOther().insert_header(("Location", format!("/staff/opinions/{id}"))).finish())
}
