//! The published results of a consultation: what the body answered, per draft, with the
//! opinions each answer covers and the counts the law asks for. Built once at publication and
//! stored as it is, so a published version never changes.
use super::locale::{Locale, Localized};
use super::redaction::PublicText;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublishedResults {
    pub consultation: String,
    pub version: i32,
    pub published_at: DateTime<Utc>,
    pub title: Localized,
    /// When opinions could be sent (absent from versions published before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    pub totals: Totals,
    pub sections: Vec<Section>,
    /// Files submitters attached that staff marked publishable, as published in this version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<super::attachment::PublishedFile>,
}

/// The window as the results state it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Window {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Post counted if it arrived on or before this local date.
    pub postal_arrival_deadline: NaiveDate,
    pub time_zone: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Totals {
    pub submissions: i64,
    pub opinions: i64,
    /// Opinions received per channel.
    pub by_channel: Vec<Count>,
    pub late: i64,
    pub late_accepted: i64,
    pub published: i64,
    /// Distinct contents among the opinions received: a campaign counts once.
    #[serde(default)]
    pub distinct: i64,
    /// Opinions whose text is not published, per reason.
    pub not_published: Vec<Count>,
    /// Files the public attached: published with the results, and not published.
    #[serde(default)]
    pub files_published: i64,
    #[serde(default)]
    pub files_not_published: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Section {
    /// `None` for opinions on the consultation as a whole.
    pub draft: Option<String>,
    pub title: Localized,
    pub items: Vec<PublishedItem>,
}

/// Markdown as the body wrote it, per language; pages render it through `SanitizedHtml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Text {
    pub ja: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: Locale) -> &str {
        let (own, other) = match locale {
            Locale::Ja => (&self.ja, &self.en),
            Locale::En => (&self.en, &self.ja),
        };
        if own.trim().is_empty() {
            other
        } else {
            own
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublishedItem {
    pub number: usize,
    pub summary: Text,
    pub view: Text,
    pub changed: bool,
    pub change: Text,
    pub opinion_count: usize,
    /// How many of those came in campaigns (同趣旨): opinions sharing their content with at
    /// least one other answered by this item.
    #[serde(default)]
    pub same_content: usize,
    /// The response item, by which its opinions are kept apart (0 in versions published
    /// before they were).
    #[serde(default)]
    pub response_item_id: i64,
    /// Only in versions published before opinions were kept apart from the version: newer
    /// versions keep each published opinion in its own row, read a page at a time, so a
    /// version of a million opinions is not one document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opinions: Vec<PublishedOpinion>,
}

/// An opinion as published: its text with what staff withheld taken out and, only where the
/// submitter agreed, the organization.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublishedOpinion {
    pub number: usize,
    pub location: Option<PublicText>,
    pub body: PublicText,
    pub reason: Option<PublicText>,
    pub organization: Option<String>,
}

/// What a published version did with one opinion, kept privately beside the version (it ties
/// the opinion, and so its receipt number, to the published text) for the submitter's own
/// receipt page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublishedOutcome {
    pub opinion_id: i64,
    /// `answered`, or why its text is not published (the keys of `Totals::not_published`).
    pub outcome: String,
    pub answer: Option<PublishedAnswer>,
}

/// An answered opinion as published, with the response item that answers it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublishedAnswer {
    /// Position of its section on the results page, from 1.
    pub section: usize,
    pub draft: Option<String>,
    pub item_number: usize,
    pub response_item_id: i64,
    pub summary: Text,
    /// Counted with others of the same content (同趣旨) under this item.
    pub same_content: bool,
    pub opinion: PublishedOpinion,
}

impl PublishedAnswer {
    /// The item's anchor on the results page.
    pub fn anchor(&self) -> String {
        item_anchor(self.section, self.item_number)
    }
}

pub fn item_anchor(section: usize, item_number: usize) -> String {
    format!("item-{section}-{item_number}")
}
