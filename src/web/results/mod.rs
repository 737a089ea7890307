//! Published results for everyone: the page per consultation (each version stays readable) and
//! the exports, CSV, XLSX and JSON, all built from the stored version and never from live data.
//! Every output carries the same fields; withheld text shows as a marker in the reader's
//! language.
pub mod export;
pub mod files;
pub mod item;
pub mod page;
pub mod stream;

use super::error::{AppError, OrNotFound};
use super::{request_locale, AppState};
use crate::db::consultations::StoredConsultation;
use crate::db::results;
use crate::domain::results::{PublishedItem, PublishedOpinion, PublishedResults, Section};
use crate::domain::Locale;
use crate::i18n::{self, channel_label, Tr};
use crate::markdown::plain_text;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(serde::Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

/// A published version (the newest when none is named) and the list of all versions.
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

/// The version asked for, or the 404 page.
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

/// An opinion as a reader sees it: withheld text replaced by markers in their language.
#[derive(Debug, Clone, Serialize)]
pub struct PublicOpinion {
    pub number: usize,
    pub location: Option<String>,
    pub body: String,
    pub reason: Option<String>,
    pub organization: Option<String>,
    /// How many pieces of its text are withheld.
    pub withheld: usize,
}

impl PublicOpinion {
    pub fn new(o: &PublishedOpinion, locale: Locale) -> Self {
        let withheld = o.body.withheld()
            + o.location.as_ref().map_or(0, |t| t.withheld())
            + o.reason.as_ref().map_or(0, |t| t.withheld());
        Self {
            number: o.number,
            location: o.location.as_ref().map(|t| t.render(locale)),
            body: o.body.render(locale),
            reason: o.reason.as_ref().map(|t| t.render(locale)),
            organization: o.organization.clone(),
            withheld,
        }
    }
}

/// One row of the spreadsheet exports: an opinion with its response item (or the item alone
/// when it answers none). The header names each column.
pub const COLUMNS: [&str; 14] = [
    "draft",
    "draft_title",
    "item",
    "item_opinions",
    "item_same_content",
    "summary",
    "view",
    "draft_changed",
    "change",
    "opinion",
    "opinion_location",
    "opinion_text",
    "opinion_reason",
    "organization",
];

/// Every row of the exports in order, read from the database as they are emitted.
pub fn each_row(
    db: &crate::db::Db,
    r: &PublishedResults,
    locale: Locale,
    emit: &mut dyn FnMut([String; 14]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for sec in &r.sections {
        for item in &sec.items {
            if item.opinion_count == 0 {
                emit(item_row(sec, item, locale, None))?;
            }
            stream::each_opinion(db, r, item, &mut |o| {
                emit(item_row(sec, item, locale, Some(PublicOpinion::new(o, locale))))
            })?;
        }
    }
    Ok(())
}

fn item_row(sec: &Section, item: &PublishedItem, locale: Locale, o: Option<PublicOpinion>) -> [String; 14] {
    let o = o.as_ref();
    [
        sec.draft.clone().unwrap_or_default(),
        sec.title.get(locale).to_string(),
        item.number.to_string(),
        item.opinion_count.to_string(),
        item.same_content.to_string(),
        plain_text(item.summary.get(locale)),
        plain_text(item.view.get(locale)),
        if item.changed { "yes".into() } else { "no".into() },
        plain_text(item.change.get(locale)),
        o.map(|o| o.number.to_string()).unwrap_or_default(),
        o.and_then(|o| o.location.clone()).unwrap_or_default(),
        o.map(|o| o.body.clone()).unwrap_or_default(),
        o.and_then(|o| o.reason.clone()).unwrap_or_default(),
        o.and_then(|o| o.organization.clone()).unwrap_or_default(),
    ]
}

fn not_published_label(locale: Locale, key: &str) -> String {
    let t = Tr::new(locale);
    match key {
        "late" => t.t("np_late").into(),
        "withdrawn" => t.t("np_withdrawn").into(),
        "out_of_scope" => t.t("np_out_of_scope").into(),
        "abusive" => t.t("np_abusive").into(),
        "duplicate" => t.t("np_duplicate").into(),
        "new" | "in_review" => t.t("gap_not_decided").into(),
        other => other.into(),
    }
}

/// What the results state before any answer, as (label, value) lines in the reader's
/// language: the window and the totals. The page, the CSV and the XLSX show the same lines.
pub struct Facts {
    pub window: Vec<(String, String)>,
    pub totals: Vec<(String, i64)>,
    pub not_published: Vec<(String, i64)>,
}

pub fn facts(r: &PublishedResults, locale: Locale) -> Facts {
    let t = Tr::new(locale);
    let window = r
        .window
        .as_ref()
        .map(|w| {
            let tz: chrono_tz::Tz = w.time_zone.parse().unwrap_or(chrono_tz::UTC);
            vec![
                (
                    t.t("window_label").to_string(),
                    format!("{} — {}", i18n::datetime(locale, w.opens_at, tz), i18n::deadline(locale, w.closes_at, tz)),
                ),
                (t.t("postal_deadline_label").to_string(), i18n::date(locale, w.postal_arrival_deadline)),
            ]
        })
        .unwrap_or_default();
    let mut totals = vec![
        (t.t("submissions_total").to_string(), r.totals.submissions),
        (t.t("received_total").to_string(), r.totals.opinions),
    ];
    totals.extend(r.totals.by_channel.iter().map(|k| {
        let channel = k.key.parse().map(|c| channel_label(locale, c)).unwrap_or("?");
        (format!("{} — {channel}", t.t("by_channel")), k.count)
    }));
    totals.push((t.t("late_total").to_string(), r.totals.late));
    totals.push((t.t("late_accepted").to_string(), r.totals.late_accepted));
    totals.push((t.t("published_total").to_string(), r.totals.published));
    if r.totals.files_published + r.totals.files_not_published > 0 {
        totals.push((t.t("files_published_total").to_string(), r.totals.files_published));
        totals.push((t.t("files_not_published_total").to_string(), r.totals.files_not_published));
    }
    if r.totals.distinct > 0 {
        totals.push((t.t("distinct_total").to_string(), r.totals.distinct));
    }
    let not_published = r.totals.not_published.iter().map(|k| (not_published_label(locale, &k.key), k.count)).collect();
    Facts { window, totals, not_published }
}
