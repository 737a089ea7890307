//! View helpers several pages share: how a consultation is introduced, its drafts as lists and
//! choices, and short excerpts of opinion text.
use crate::db::consultations::StoredConsultation;
use crate::domain::submission::OpinionInput;
use crate::domain::{Consultation, Locale, WindowStatus};
use crate::i18n::{self, Tr};
use chrono::{DateTime, Utc};

/// How a consultation is introduced in lists and at the top of its page.
pub struct Summary {
    pub slug: String,
    pub title: String,
    pub title_lang: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub opens: String,
    pub deadline: String,
}

pub fn summary(c: &Consultation, locale: Locale, now: DateTime<Utc>) -> Summary {
    let t = Tr::new(locale);
    let status = c.status_at(now);
    Summary {
        slug: c.slug.clone(),
        title: c.title.get(locale).to_string(),
        title_lang: if c.title.falls_back(locale) { locale.other().as_str() } else { locale.as_str() },
        status: status.as_str(),
        status_label: match status {
            WindowStatus::Upcoming => t.t("status_upcoming"),
            WindowStatus::Open => t.t("status_open"),
            WindowStatus::Closed => t.t("status_closed"),
        },
        opens: i18n::datetime(locale, c.opens_at, c.time_zone),
        deadline: i18n::deadline(locale, c.closes_at, c.time_zone),
    }
}

/// A draft as lists and forms show it.
pub struct DraftItem {
    pub code: String,
    pub title: String,
    pub title_lang: &'static str,
    pub url: String,
    pub depth: usize,
}

pub fn draft_items(c: &Consultation, locale: Locale) -> Vec<DraftItem> {
    c.drafts
        .iter()
        .map(|d| DraftItem {
            code: d.code.clone(),
            title: d.title.get(locale).to_string(),
            title_lang: if d.title.falls_back(locale) { locale.other().as_str() } else { locale.as_str() },
            url: d.url.clone().unwrap_or_default(),
            depth: c.draft_depth(d),
        })
        .collect()
}

/// One option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The title of the draft a stored row points to, or "the consultation as a whole".
pub fn draft_label(stored: &StoredConsultation, locale: Locale, draft_id: Option<i64>) -> String {
    draft_code(stored, draft_id)
        .and_then(|code| stored.consultation.draft(&code))
        .map(|d| d.title.get(locale).to_string())
        .unwrap_or_else(|| Tr::new(locale).t("draft_whole").into())
}

/// The code of the draft a stored row points to.
pub fn draft_code(stored: &StoredConsultation, draft_id: Option<i64>) -> Option<String> {
    let id = draft_id?;
    stored.draft_ids.iter().find(|(_, v)| **v == id).map(|(code, _)| code.clone())
}

/// "The consultation as a whole" (value `whole`), then every draft.
pub fn draft_choices(stored: &StoredConsultation, locale: Locale) -> Vec<Choice> {
    let mut out = vec![Choice { value: "whole".into(), label: Tr::new(locale).t("draft_whole").into() }];
    out.extend(
        stored
            .consultation
            .drafts
            .iter()
            .map(|d| Choice { value: d.code.clone(), label: d.title.get(locale).to_string() }),
    );
    out
}

/// One opinion block of a form, numbered for people, holding what was typed.
pub struct Block {
    pub index: usize,
    pub number: usize,
    pub draft: String,
    pub location: String,
    pub body: String,
    pub reason: String,
}

pub fn blocks(opinions: &[OpinionInput]) -> Vec<Block> {
    opinions
        .iter()
        .enumerate()
        .map(|(i, o)| Block {
            index: i,
            number: i + 1,
            draft: o.draft.clone(),
            location: o.location.clone(),
            body: o.body.clone(),
            reason: o.reason.clone(),
        })
        .collect()
}

/// The first `chars` characters of a text, with an ellipsis when there is more.
pub fn excerpt(text: &str, chars: usize) -> String {
    let mut cut: String = text.chars().take(chars).collect();
    if text.chars().nth(chars).is_some() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_count_characters_and_say_when_they_cut() {
        assert_eq!(excerpt("監査の頻度", 3), "監査の…");
        assert_eq!(excerpt("監査", 3), "監査");
    }
}
