//! Files the public attached that were published with the results: listed on the results
//! page and in the exports, downloadable while they stay marked publishable.
use super::load;
use crate::domain::attachment::FileType;
use crate::domain::results::PublishedResults;
use crate::domain::Locale;
use crate::i18n;
use crate::mail::receipt::FileLine;
use crate::web::error::{AppError, ErrorKind, OrNotFound, OrRespond};
use crate::web::staff::transcriptions::detail::attachment_disposition;
use crate::web::{request_locale, AppState};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn lines(r: &PublishedResults, locale: Locale) -> Vec<FileLine> {
    r.files
        .iter()
        .map(|f| FileLine {
            id: f.id,
            name: f.name.clone(),
            size: i18n::file_size(locale, f.size.max(0) as u64),
            sha256: f.sha256.clone(),
        })
        .collect()
}

/// `GET /c/{slug}/results/files/{id}`: a file of the newest published version, as long as
/// staff have not withdrawn its mark since (then it is gone at once, before the next version).
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let (slug, id) = path.into_inner();
    let stored = state.consultation_page(&slug, locale).await?;
    let not_found = || AppError::html(locale, ErrorKind::NotFound);
    let (r, _) = load(&state, &stored, None).await.found_page(locale)?;
    let published = r.files.iter().find(|f| f.id == id).ok_or_else(not_found)?;
    let file = state.db.run(move |c| crate::db::attachments::find(c, id)).await.page(locale)?.ok_or_else(not_found)?;
    if !file.publishable || file.uploaded_by.is_some() {
        return Err(not_found());
    }
    let kind = FileType::from_content_type(&file.content_type).ok_or_else(not_found)?;
    let bytes = state.files.read(&file.stored_name).await.map_err(|e| {
        AppError::html(locale, ErrorKind::internal(format!("published attachment {id} cannot be read: {e}")))
    })?;
    Ok(HttpResponse::Ok()
        .content_type(kind.content_type())
        .insert_header(("Content-Disposition", attachment_disposition(&published.name)))
        .body(bytes))
}
