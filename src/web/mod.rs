//! The HTTP surface: the route table in one place, shared state, locale choice.
pub mod api;
pub mod client;
pub mod error;
pub mod form;
mod form_files;
mod form_view;
pub mod ops;
pub mod page;
pub mod public;
pub mod receipt;
pub mod results;
pub mod security;
pub mod staff;
pub mod uploads;
pub mod view;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::consultations::{self, StoredConsultation};
use crate::db::Db;
use crate::domain::Locale;
use crate::metrics::Metrics;
use actix_web::{web, HttpRequest};
use error::{AppError, ErrorKind, OrNotFound};
use security::FormTokens;
use std::sync::Arc;

pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// Public submissions: admission and group commit.
    pub intake: crate::app::intake::Intake,
    pub forms: FormTokens,
    /// Scans and other files kept beside the database.
    pub files: crate::files::AttachmentStore,
    /// Recently read consultations: every public request needs one, and they change rarely.
    pub consultation_cache: ConsultationCache,
    /// Receipt-number lookups per client: a receipt number is a bearer secret, not to be guessed.
    pub lookups: crate::app::intake::SharedLimit,
    /// Staff requests in progress, at most `staff.max_concurrent`.
    pub staff_slots: Arc<tokio::sync::Semaphore>,
}

/// Consultations by slug, kept for a few seconds so an import from the command line shows up
/// quickly without a query per request.
#[derive(Default)]
pub struct ConsultationCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, (std::time::Instant, Arc<StoredConsultation>)>>,
}

impl ConsultationCache {
    const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(5);

    fn get(&self, slug: &str) -> Option<Arc<StoredConsultation>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.get(slug).filter(|(at, _)| at.elapsed() < Self::FRESH_FOR).map(|(_, c)| c.clone())
    }

    fn put(&self, slug: &str, consultation: Arc<StoredConsultation>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 1000 {
            entries.clear();
        }
        entries.insert(slug.to_string(), (std::time::Instant::now(), consultation));
    }
}

impl AppState {
    pub async fn consultation(&self, slug: &str) -> Result<Option<Arc<StoredConsultation>>, crate::db::DbError> {
        if let Some(hit) = self.consultation_cache.get(slug) {
            return Ok(Some(hit));
        }
        let owned = slug.to_string();
        let found = self.db.run(move |c| consultations::find(c, &owned)).await?.map(Arc::new);
        if let Some(c) = &found {
            self.consultation_cache.put(slug, c.clone());
        }
        Ok(found)
    }

    /// The consultation or a 404 in the reader's language.
    pub async fn consultation_page(&self, slug: &str, locale: Locale) -> Result<Arc<StoredConsultation>, AppError> {
        match self.consultation(slug).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(AppError::html(locale, ErrorKind::NotFound)),
            Err(e) => Err(AppError::html(locale, e.into())),
        }
    }

    /// The consultation a stored row belongs to, or a 404 in the reader's language.
    pub async fn consultation_by_id(&self, id: i64, locale: Locale) -> Result<Arc<StoredConsultation>, AppError> {
        let slug = self.db.run(move |c| consultations::slug_of(c, id)).await.found_page(locale)?;
        self.consultation_page(&slug, locale).await
    }

    /// A stored row and the consultation it belongs to, or a 404 when either is missing.
    pub async fn with_consultation<T, F>(
        &self,
        locale: Locale,
        find: F,
        consultation_of: fn(&T) -> i64,
    ) -> Result<(T, Arc<StoredConsultation>), AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::db::DbConnection) -> Result<Option<T>, crate::db::DbError> + Send + 'static,
    {
        let row = self.db.run(find).await.found_page(locale)?;
        let stored = self.consultation_by_id(consultation_of(&row), locale).await?;
        Ok((row, stored))
    }

    pub fn secure_cookies(&self) -> bool {
        self.settings.public_base_url.starts_with("https://")
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Scopes first, so that a request is matched by its prefix instead of being tried against
    // every pattern (matching a pattern with a parameter is the costly part of routing).
    cfg.configure(api::routes)
        .service(
            web::scope("/c/{slug}")
                .route("", web::get().to(public::consultation))
                .route("/submit", web::get().to(form::show))
                .route("/submit", web::post().to(form::post))
                .route("/receipt", web::get().to(receipt::check))
                .route("/receipt/{receipt}", web::get().to(receipt::page))
                .route("/receipt/{receipt}/withdrawal", web::get().to(receipt::confirm))
                .route("/receipt/{receipt}/copy.txt", web::get().to(receipt::copy))
                .route("/receipt/{receipt}/withdrawal", web::post().to(receipt::withdraw))
                .route("/results", web::get().to(results::page::page))
                .route("/results/items/{section}/{item}", web::get().to(results::item::item))
                .route("/results/files/{id}", web::get().to(results::files::download))
                .route("/results.csv", web::get().to(results::export::csv_file))
                .route("/results.json", web::get().to(results::export::json_file))
                .route("/results.xlsx", web::get().to(results::export::xlsx_file)),
        )
        .configure(staff::routes)
        .route("/", web::get().to(public::home))
        .route("/static/pubcom.css", web::get().to(public::stylesheet))
        .route("/static/pubcom.js", web::get().to(public::script))
        .route("/healthz", web::route().method(actix_web::http::Method::GET).to(ops::healthz))
        .route("/healthz", web::head().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/readyz", web::head().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .default_service(web::to(public::not_found));
}

/// `?lang=` first, then the `lang` cookie, then the browser's preference, then Japanese.
pub fn request_locale(req: &HttpRequest) -> Locale {
    if let Some(lang) = query_lang(req) {
        return lang;
    }
    if let Some(cookie) = req.cookie("lang") {
        if let Ok(l) = cookie.value().parse() {
            return l;
        }
    }
    if let Some(accept) = req.headers().get("accept-language").and_then(|v| v.to_str().ok()) {
        for part in accept.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            if let Ok(l) = primary.parse() {
                return l;
            }
        }
    }
    Locale::Ja
}

pub fn query_lang(req: &HttpRequest) -> Option<Locale> {
    req.query_string()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| v.parse().ok())
}

/// Remembers an explicit language choice for the next pages.
pub fn remember_locale(req: &HttpRequest, response: &mut actix_web::HttpResponse) {
    if let Some(lang) = query_lang(req) {
        let cookie = actix_web::cookie::Cookie::build("lang", lang.as_str())
            .path("/")
            .same_site(actix_web::cookie::SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        let _ = response.add_cookie(&cookie);
    }
}
