//! The files of an opinion's submission on its staff page: download (audited) and whether each
//! may be published with the results.
use super::super::{checked_form, require};
use super::opinion::{opinion_page, Extra};
use crate::db::attachments::AttachedFile;
use crate::domain::attachment::PublishRefusal;
use crate::domain::staff::Permission;
use crate::domain::Locale;
use crate::i18n::{self, Tr};
use crate::web::error::OrRefused;
use crate::web::error::{AppError, ErrorKind};
use crate::web::page::see_other;
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// One file as the staff opinion page lists it.
pub struct StaffFile {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub sha256: String,
    pub publishable: bool,
    /// Attached by the submitter online (may be published), not a scan staff made.
    pub from_submitter: bool,
}

pub fn views(files: &[AttachedFile], locale: Locale) -> Vec<StaffFile> {
    files
        .iter()
        .map(|f| StaffFile {
            id: f.id,
            name: f.display_name(),
            size: i18n::file_size(locale, f.size_bytes.max(0) as u64),
            sha256: f.sha256.clone().unwrap_or_default(),
            publishable: f.publishable,
            from_submitter: f.uploaded_by.is_none(),
        })
        .collect()
}

/// `POST /staff/opinions/{id}/attachments/{attachment}`: `publishable=yes` or `no`.
pub async fn mark(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let form = checked_form(&req, &state, &staff, payload).await?;
    let (opinion, attachment) = path.into_inner();
    let publishable = match form.get("publishable").map(String::as_str) {
        Some("yes") => true,
        Some("no") => false,
        _ => return Err(AppError::html(locale, ErrorKind::BadRequest("publishable must be yes or no".into()))),
    };
    let marked =
        crate::app::attachments::set_publishable(&state.db, staff.actor(), attachment, publishable, state.clock.now())
            .await;
    match marked.refused_page(locale)? {
        Ok(_) => Ok(see_other(format!("/staff/opinions/{opinion}#files"))),
        Err(PublishRefusal::StaffScan) => {
            let message = Tr::new(locale).t("scan_never_published").to_string();
            opinion_page(&req, &state, &staff, opinion, Extra::refused(message, StatusCode::CONFLICT)).await
        }
    }
}
