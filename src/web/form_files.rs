//! The public form's body, whichever way it was sent, and the files it carries: new ones just
//! uploaded (on disk already) and those kept from an earlier step, sealed to the form's token
//! in hidden fields, so the confirmation step keeps them without asking for them again.
use super::error::ErrorKind;
use super::security::{read_body, FormTokens};
use super::uploads::{self, Limits};
use super::AppState;
use crate::db::consultations::StoredConsultation;
use crate::domain::attachment::{AttachmentProblem, AttachmentRules};
use crate::domain::Locale;
use crate::i18n::{self, Tr};
use crate::uploads::Received;
use actix_web::{web, HttpRequest};
use std::collections::HashMap;

/// The form's fields (the last value of a repeated name wins) and its newly uploaded files.
pub struct FormBody {
    pub pairs: HashMap<String, String>,
    pub uploaded: Vec<Received>,
}

pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    stored: &StoredConsultation,
) -> Result<FormBody, ErrorKind> {
    if !uploads::is_multipart(req) {
        let body = read_body(req, payload, state.settings.max_request_bytes).await?;
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|e| ErrorKind::BadRequest(e.to_string()))?
            .into_iter()
            .collect();
        return Ok(FormBody { pairs, uploaded: Vec::new() });
    }
    let limits = Limits {
        rules: stored.consultation.rules.attachments.as_ref(),
        text_bytes: state.settings.max_request_bytes,
        deadline: std::time::Duration::from_secs(state.settings.attachments.upload_deadline_secs.max(1)),
    };
    let parts = uploads::read(req, payload, &state.files, limits).await?;
    Ok(FormBody { pairs: parts.fields.into_iter().collect(), uploaded: parts.files })
}

/// The files kept from earlier steps (`attached-0`, `attached-1`, …), when sealed for this
/// form; anything else is ignored.
pub fn kept(forms: &FormTokens, nonce: &str, pairs: &HashMap<String, String>) -> Vec<Received> {
    (0..)
        .map_while(|i| pairs.get(&format!("attached-{i}")))
        .filter_map(|sealed| forms.unseal(nonce, sealed).and_then(Received::from_staged))
        .collect()
}

/// The files to carry on: the kept ones and the new ones the rules could take, without
/// those a problem names (a file refused by the scanner goes; the others stay).
pub fn carried(files: Vec<Received>, problems: &[AttachmentProblem]) -> Vec<Received> {
    let named: Vec<&str> = problems
        .iter()
        .filter_map(|p| match p {
            AttachmentProblem::Refused { name } | AttachmentProblem::Missing { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    files.into_iter().filter(|f| f.stored_name.is_some() && !named.contains(&f.original_name.as_str())).collect()
}

/// One carried file as the form and the confirmation page show it.
pub struct FileItem {
    pub index: usize,
    pub name: String,
    pub size: String,
    pub sealed: String,
}

pub fn items(forms: &FormTokens, nonce: &str, files: &[Received], locale: Locale) -> Vec<FileItem> {
    files
        .iter()
        .filter_map(|f| f.to_staged().map(|staged| (f, staged)))
        .enumerate()
        .map(|(index, (f, staged))| FileItem {
            index,
            name: f.display_name(),
            size: i18n::file_size(locale, f.size),
            sealed: forms.seal(nonce, &staged),
        })
        .collect()
}

/// What the file input says it takes: the kinds, how many and how large.
pub fn hint(rules: &AttachmentRules, locale: Locale) -> String {
    let t = Tr::new(locale);
    let kinds: Vec<&str> = rules.types.iter().map(|k| k.label()).collect();
    t.t("files_hint")
        .replace("{kinds}", &kinds.join(if locale == Locale::Ja { "、" } else { ", " }))
        .replace("{count}", &rules.max_files.to_string())
        .replace("{size}", &i18n::limit_size(rules.max_file_bytes))
}

/// The `accept` attribute: a hint to the browser's file picker, never trusted.
pub fn accept(rules: &AttachmentRules) -> String {
    let names: Vec<String> = rules.types.iter().map(|t| format!(".{}", t.extension())).collect();
    names.join(",")
}
