//! Triage: per-draft counts, filtered opinion lists with keyset pagination and search, bulk
//! changes on a selection or on everything a filter matches, and one opinion's page.
pub mod bulk;
pub mod files;
pub mod filter;
pub mod list;
pub mod opinion;
pub mod overview;
pub mod redaction;

use crate::db::consultations::StoredConsultation;
use crate::db::{responses, staff as staff_db};
use crate::domain::triage::TriageState;
use crate::domain::Locale;
use crate::i18n::triage_state_label;
use crate::web::error::{AppError, OrRespond};
use crate::web::view::{draft_label, Choice};
use crate::web::AppState;

pub(crate) fn state_choices(locale: Locale) -> Vec<Choice> {
    TriageState::ALL
        .iter()
        .map(|s| Choice { value: s.as_str().into(), label: triage_state_label(locale, *s).into() })
        .collect()
}

/// Staff who can be assigned opinions.
async fn staff_choices(state: &AppState, locale: Locale) -> Result<Vec<Choice>, AppError> {
    let users = state.db.run(staff_db::list).await.page(locale)?;
    Ok(users
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| Choice { value: u.id.to_string(), label: u.username })
        .collect())
}

/// The response items opinions can be linked to.
pub(crate) async fn item_choices(
    state: &AppState,
    locale: Locale,
    stored: &StoredConsultation,
) -> Result<Vec<Choice>, AppError> {
    let id = stored.id;
    let items = state.db.run(move |c| responses::list(c, id)).await.page(locale)?;
    Ok(items
        .into_iter()
        .map(|i| {
            let summary = if locale == Locale::En && !i.summary_en.is_empty() { i.summary_en } else { i.summary_ja };
            let short: String = summary.chars().take(60).collect();
            Choice {
                value: i.id.to_string(),
                label: format!("#{} {} — {short}", i.id, draft_label(stored, locale, i.draft_id)),
            }
        })
        .collect())
}
