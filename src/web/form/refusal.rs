//! What the form answers when the intake pipeline refuses a submission: always the person's
//! text, and the files that can stay attached.
use super::form_files;
use super::FormRequest;
use crate::app::intake::Refusal;
use crate::domain::{SubmissionInput, WindowRefusal};
use crate::i18n::Tr;
use crate::uploads::Received;
use crate::web::error::{AppError, RETRY_AFTER_BUSY_SECS};
use crate::web::page::html_no_store;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

impl FormRequest<'_> {
    /// The page for a refusal of the intake pipeline, always with the person's text.
    pub(super) fn refusal_page(&self, v: SubmissionInput, refusal: Refusal) -> Result<HttpResponse, AppError> {
        let t = Tr::new(self.locale);
        let (status, message, retry_after) = match refusal {
            Refusal::Invalid(errors, problems) => {
                // The files a problem names go (from the disk too); the others stay attached.
                let carried = form_files::carried(self.files.to_vec(), &problems);
                let dropped: Vec<Received> = self.files.iter().filter(|f| !carried.contains(f)).cloned().collect();
                let store = self.state.files.clone();
                tokio::spawn(async move {
                    for name in dropped.iter().filter_map(|f| f.stored_name.as_deref()) {
                        store.remove(name).await;
                    }
                });
                let again =
                    FormRequest { token: self.token.clone(), files: &carried, file_problems: &problems, ..*self };
                let page = again.form_page(v, errors, String::new())?;
                return Ok(html_no_store(StatusCode::UNPROCESSABLE_ENTITY, page));
            }
            Refusal::Window { refusal: WindowRefusal::Closed, .. } => {
                (StatusCode::FORBIDDEN, t.t("refused_closed"), None)
            }
            Refusal::Window { refusal: WindowRefusal::NotOpen, .. } => {
                (StatusCode::FORBIDDEN, t.t("refused_not_open"), None)
            }
            Refusal::RateLimited { retry_after_secs } => {
                (StatusCode::TOO_MANY_REQUESTS, t.t("error_rate_limited"), Some(retry_after_secs))
            }
            Refusal::Busy => (StatusCode::SERVICE_UNAVAILABLE, t.t("refused_busy"), Some(RETRY_AFTER_BUSY_SECS)),
            Refusal::KeyReused => {
                // This form was sent already with other text: offer a fresh form that keeps it.
                let (token, new_cookie) = self.state.forms.for_browser(self.request, self.state.secure_cookies());
                let again = FormRequest { token, ..*self };
                let page = again.form_page(v, Vec::new(), t.t("form_already_sent").to_string())?;
                let mut response = html_no_store(StatusCode::CONFLICT, page);
                if let Some(cookie) = new_cookie {
                    let _ = response.add_cookie(&cookie);
                }
                return Ok(response);
            }
            Refusal::Failed(e) if e.is_storage_full() => {
                tracing::error!(cause = %crate::web::error::chain(&e), "storage unavailable: a web submission could not be stored");
                (StatusCode::SERVICE_UNAVAILABLE, t.t("refused_storage"), Some(RETRY_AFTER_BUSY_SECS))
            }
            Refusal::Failed(e) if e.is_unavailable() => {
                tracing::warn!(cause = %crate::web::error::chain(&e), "a web submission could not be stored");
                (StatusCode::SERVICE_UNAVAILABLE, t.t("refused_busy"), Some(RETRY_AFTER_BUSY_SECS))
            }
            Refusal::Failed(e) => {
                tracing::error!(cause = %crate::web::error::chain(&e), "a web submission could not be stored");
                (StatusCode::INTERNAL_SERVER_ERROR, t.t("error_generic"), None)
            }
        };
        let mut response = html_no_store(status, self.refused_page(v, message.into())?);
        if let Some(secs) = retry_after {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        Ok(response)
    }
}
