//! Opinions that came by post, fax or email: the clerks' queue, entry with the scan, one
//! transcription's page, and the second person's check, corrections and late acceptance.
pub mod detail;
pub mod entry;
pub mod queue;
pub mod review;

use crate::db::consultations::StoredConsultation;
use crate::db::transcriptions::{self as tdb, Meta};
use crate::domain::{Channel, Locale, ReceiptNumber};
use crate::i18n::channel_label;
use crate::web::error::{AppError, ErrorKind};
use crate::web::page::see_other;
use crate::web::AppState;
use actix_web::HttpResponse;
use std::sync::Arc;

/// The channels a clerk transcribes from, for filters and the entry form.
fn transcribed_channels(locale: Locale) -> Vec<(&'static str, &'static str)> {
    [Channel::Postal, Channel::Fax, Channel::Email]
        .into_iter()
        .map(|c| (c.as_str(), channel_label(locale, c)))
        .collect()
}

/// A receipt number as typed in a URL, in its canonical form; a malformed one is not found.
fn canonical(locale: Locale, receipt: &str) -> Result<String, AppError> {
    receipt.parse::<ReceiptNumber>().map(|r| r.to_string()).map_err(|_| AppError::html(locale, ErrorKind::NotFound))
}

struct Loaded {
    meta: Meta,
    stored: Arc<StoredConsultation>,
}

/// The transcription with this receipt number (online submissions are not transcriptions).
async fn load(state: &AppState, locale: Locale, receipt: &str) -> Result<Loaded, AppError> {
    let receipt = canonical(locale, receipt)?;
    let find = move |c: &mut _| Ok(tdb::meta(c, &receipt)?.filter(|m| m.verification.is_some()));
    let (meta, stored) = state.with_consultation(locale, find, |m: &Meta| m.consultation_id).await?;
    Ok(Loaded { meta, stored })
}

fn back_to(receipt: &str) -> HttpResponse {
    see_other(format!("/staff/transcriptions/{receipt}"))
}
