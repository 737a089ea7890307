//! The clerks' queue: transcriptions by verification state, channel, receipt and arrival date.
use super::transcribed_channels;
use crate::db::consultations;
use crate::db::transcriptions::{self as tdb, QueueFilter};
use crate::domain::staff::Permission;
use crate::domain::transcription::Verification;
use crate::domain::{Channel, Consultation};
use crate::i18n::{self, channel_label, verification_label, Tr};
use crate::web::error::{AppError, OrRespond};
use crate::web::page::{html_no_store as html, render, PageContext};
use crate::web::staff::{require, StaffNav};
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

const QUEUE_ROWS: i64 = 500;

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

pub struct QueueRowView {
    pub receipt: String,
    pub consultation: String,
    pub channel: &'static str,
    pub arrived: String,
    pub late: bool,
    pub state: &'static str,
    pub typed_by: String,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    page: PageContext,
    nav: StaffNav,
    q: QueueQuery,
    tabs: Vec<Tab>,
    rows: Vec<QueueRowView>,
    channels: Vec<(&'static str, &'static str)>,
}

/// The zone staff dates are read in: the consultations' own zone when they share one.
fn staff_zone(all: &[(i64, Consultation)]) -> chrono_tz::Tz {
    let mut zones = all.iter().map(|(_, c)| c.time_zone);
    match zones.next() {
        Some(first) if zones.all(|z| z == first) => first,
        _ => chrono_tz::UTC,
    }
}

fn local_midnight(zone: chrono_tz::Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&date.and_hms_opt(0, 0, 0)?).earliest().map(|d| d.with_timezone(&Utc))
}

/// When an item arrived, as the consultation counts it: a local date for post.
pub fn arrival(locale: crate::domain::Locale, c: &Consultation, channel: Channel, at: DateTime<Utc>) -> String {
    match channel {
        Channel::Postal => i18n::date(locale, c.local_date(at)),
        _ => i18n::datetime(locale, at, c.time_zone),
    }
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ReadTranscriptions).await?;
    let q = q.into_inner();
    let all = state.db.run(consultations::list_with_ids).await.page(locale)?;
    let zone = staff_zone(&all);
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let filter = QueueFilter {
        consultation_id: None,
        verification: q.state.parse().ok(),
        channel: q.channel.parse().ok(),
        receipt: q.receipt.parse::<crate::domain::ReceiptNumber>().ok().map(|r| r.to_string()),
        from: date(&q.from).and_then(|d| local_midnight(zone, d)),
        until: date(&q.to).and_then(|d| d.succ_opt()).and_then(|d| local_midnight(zone, d)),
    };
    let (rows, counts) =
        state.db.run(move |c| Ok((tdb::queue(c, &filter, QUEUE_ROWS)?, tdb::counts(c)?))).await.page(locale)?;
    let by_id: HashMap<i64, &Consultation> = all.iter().map(|(id, c)| (*id, c)).collect();
    let t = Tr::new(locale);
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let mut tabs = vec![Tab {
        href: "/staff/transcriptions".into(),
        label: t.t("state_all"),
        count: total,
        current: q.state.is_empty(),
    }];
    for v in Verification::ALL {
        tabs.push(Tab {
            href: format!("/staff/transcriptions?state={}", v.as_str()),
            label: verification_label(locale, v),
            count: counts.iter().find(|(s, _)| *s == v).map(|(_, n)| *n).unwrap_or(0),
            current: q.state == v.as_str(),
        });
    }
    let rows = rows
        .into_iter()
        .map(|r| {
            let c = by_id.get(&r.consultation_id);
            QueueRowView {
                consultation: c.map(|c| c.slug.clone()).unwrap_or_default(),
                arrived: match c {
                    Some(c) => arrival(locale, c, r.channel, r.received_at),
                    None => r.received_at.to_rfc3339(),
                },
                channel: channel_label(locale, r.channel),
                state: verification_label(locale, r.verification),
                late: r.late,
                typed_by: r.transcribed_by,
                receipt: r.receipt_number,
            }
        })
        .collect();
    let page = QueuePage {
        page: PageContext::new(locale, t.t("queue_heading").into(), "/staff/transcriptions".into()),
        nav: staff.nav(locale),
        tabs,
        rows,
        channels: transcribed_channels(locale),
        q,
    };
    Ok(html(StatusCode::OK, render(&page).page(locale)?))
}
