//! What every page shares (language, title, language switch) and the one render helper.
use crate::domain::Locale;
use crate::i18n::Tr;
use actix_web::HttpResponse;
use askama::Template;

pub struct PageContext {
    pub t: Tr,
    pub title: String,
    /// The same page in the other language.
    pub switch_url: String,
}

impl PageContext {
    /// `path` is the page's own path without a query; the switch keeps the reader there.
    pub fn new(locale: Locale, title: String, path: String) -> Self {
        let sep = if path.contains('?') { '&' } else { '?' };
        Self { t: Tr::new(locale), title, switch_url: format!("{path}{sep}lang={}", locale.other()) }
    }

    pub fn other_lang(&self) -> &'static str {
        self.t.locale.other().as_str()
    }
}

pub fn render<T: Template>(template: &T) -> Result<String, askama::Error> {
    template.render()
}

pub fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

/// A page with the given status that browsers must not keep (staff pages, form results).
pub fn html_no_store(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// Post/Redirect/Get: the answer to a form that changed something.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", location.into())).finish()
}
