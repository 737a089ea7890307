//! The audit log for administrators: filters in the URL, and the same view as CSV.
use super::{require, StaffNav};
use crate::db::audit::{self, Filter, Record};
use crate::domain::staff::Permission;
use crate::i18n::Tr;
use crate::web::error::{AppError, OrRespond};
use crate::web::page::{render, PageContext};
use crate::web::{request_locale, AppState};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, SecondsFormat};

const PAGE_ROWS: i64 = 500;
const EXPORT_ROWS: i64 = 1_000_000;

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl AuditQuery {
    fn filter(&self) -> Filter {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        Filter {
            actor: text(&self.actor),
            action: text(&self.action),
            object_id: text(&self.object),
            from: date(&self.from),
            to: date(&self.to),
        }
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("actor", &self.actor),
            ("action", &self.action),
            ("object", &self.object),
            ("from", &self.from),
            ("to", &self.to),
        ])
        .unwrap_or_default()
    }
}

pub struct Row {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub change: String,
    pub client: String,
}

fn row(r: Record) -> Row {
    let change = match (&r.before, &r.after) {
        (Some(b), Some(a)) => format!("{b} → {a}"),
        (None, Some(a)) => a.clone(),
        (Some(b), None) => b.clone(),
        (None, None) => String::new(),
    };
    Row {
        at: r.at_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
        actor: r.actor,
        action: r.action,
        object: format!("{} {}", r.object_type, r.object_id),
        change,
        client: r.client,
    }
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    page: PageContext,
    nav: StaffNav,
    q: AuditQuery,
    rows: Vec<Row>,
    export_url: String,
    limit: i64,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ReadAudit).await?;
    let q = q.into_inner();
    let filter = q.filter();
    let records = state.db.run(move |c| audit::search(c, &filter, PAGE_ROWS)).await.page(locale)?;
    let page = AuditPage {
        page: PageContext::new(
            locale,
            Tr::new(locale).t("audit_heading").into(),
            format!("/staff/audit?{}", q.query_string()),
        ),
        nav: staff.nav(locale),
        export_url: format!("/staff/audit.csv?{}", q.query_string()),
        rows: records.into_iter().map(row).collect(),
        limit: PAGE_ROWS,
        q,
    };
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(render(&page).page(locale)?))
}

pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::ReadAudit).await?;
    let filter = q.filter();
    let now = state.clock.now();
    let actor = staff.actor();
    let records = state
        .db
        .audited(actor, now, move |c| {
            let rows = audit::search(c, &filter, EXPORT_ROWS)?;
            let entry = audit::Entry::new(audit::Action::AuditExport, audit::Object::AuditLog)
                .after(serde_json::json!({"rows": rows.len()}));
            Ok((rows, vec![entry]))
        })
        .await
        .page(locale)?;
    let header = ["at_utc", "actor", "action", "object_type", "object_id", "before", "after", "client"];
    let out = crate::export::csv(
        &header,
        records.into_iter().map(|r| {
            vec![
                r.at_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
                r.actor,
                r.action,
                r.object_type,
                r.object_id,
                r.before.unwrap_or_default(),
                r.after.unwrap_or_default(),
                r.client,
            ]
        }),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit-log.csv\""))
        .body(out))
}
