//! A consultation as the body defines it, parsed from its TOML file into checked types.
use super::guidance::Notice;
use super::locale::{Locale, Localized};
use super::text::{is_web_url, looks_like_email};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The file format of `config/consultations/*.toml` (see `interfaces.md`), also stored as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationFile {
    pub slug: String,
    #[serde(default)]
    pub default_locale: Option<Locale>,
    pub time_zone: String,
    pub opens_at: DateTime<FixedOffset>,
    pub closes_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub postal_arrival_deadline: Option<NaiveDate>,
    /// When the body expects to publish the results (a local date, shown on receipts).
    #[serde(default)]
    pub results_expected: Option<NaiveDate>,
    /// The languages the results are published in; every response item needs text in each
    /// (default: Japanese and English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_languages: Option<Vec<Locale>>,
    /// How alike two opinions must be (0.1 to 1.0, estimated Jaccard of their text) to count
    /// as one campaign; default 0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_similarity: Option<f64>,
    pub title: Localized,
    #[serde(default)]
    pub summary: Localized,
    #[serde(default)]
    pub organizers: Vec<Localized>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub rules: RulesFile,
    #[serde(default)]
    pub drafts: Vec<DraftFile>,
    /// Where else the notice is published.
    #[serde(default)]
    pub also_published: Vec<Notice>,
    /// Notes people agree to before sending (注意事項), Markdown per language.
    #[serde(default)]
    pub notes: Localized,
    /// How personal data sent with opinions is used and kept, Markdown per language.
    #[serde(default)]
    pub personal_data: Localized,
    /// The languages opinions may be written in (default: the consultation's language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_languages: Option<Vec<Locale>>,
    /// The final document once adopted, linked from the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_document_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub division: Localized,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub fax: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub web_form_url: Option<String>,
    #[serde(default)]
    pub postal_address: Localized,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftFile {
    pub code: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub title: Localized,
    #[serde(default)]
    pub url: Option<String>,
}

/// Which submitter fields are required and how long texts may be, per consultation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    #[serde(default)]
    pub required: Option<Vec<SubmitterField>>,
    #[serde(default)]
    pub max_opinions: Option<usize>,
    #[serde(default)]
    pub max_chars: MaxCharsFile,
    #[serde(default)]
    pub attachments: Option<super::attachment::AttachmentRulesFile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxCharsFile {
    pub body: Option<usize>,
    pub reason: Option<usize>,
    pub location: Option<usize>,
    pub name: Option<usize>,
    pub organization: Option<usize>,
    pub email: Option<usize>,
    pub postal_address: Option<usize>,
    pub phone: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitterField {
    Name,
    Organization,
    Email,
    PostalAddress,
    Phone,
}

/// Limits in characters (not bytes), as people count them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub body: usize,
    pub reason: usize,
    pub location: usize,
    pub name: usize,
    pub organization: usize,
    pub email: usize,
    pub postal_address: usize,
    pub phone: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body: 20_000,
            reason: 20_000,
            location: 200,
            name: 200,
            organization: 200,
            email: 254,
            postal_address: 500,
            phone: 40,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub required: HashSet<SubmitterField>,
    pub max_opinions: usize,
    pub limits: Limits,
    /// `None`: the consultation takes no attached files.
    pub attachments: Option<super::attachment::AttachmentRules>,
}

impl Rules {
    pub const DEFAULT_MAX_OPINIONS: usize = 20;

    pub fn requires(&self, field: SubmitterField) -> bool {
        self.required.contains(&field)
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            required: HashSet::new(),
            max_opinions: Self::DEFAULT_MAX_OPINIONS,
            limits: Limits::default(),
            attachments: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub code: String,
    pub parent: Option<String>,
    pub title: Localized,
    pub url: Option<String>,
}

/// A checked consultation: window in order, a real time zone, unique draft codes.
#[derive(Debug, Clone)]
pub struct Consultation {
    pub slug: String,
    pub default_locale: Locale,
    pub time_zone: Tz,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub postal_arrival_deadline: Option<NaiveDate>,
    pub results_expected: Option<NaiveDate>,
    pub publication_languages: Vec<Locale>,
    pub campaign_threshold: f64,
    pub title: Localized,
    pub summary: Localized,
    pub organizers: Vec<Localized>,
    pub contact: Contact,
    pub rules: Rules,
    pub drafts: Vec<Draft>,
    pub also_published: Vec<Notice>,
    pub notes: Localized,
    pub personal_data: Localized,
    pub submission_languages: Vec<Locale>,
    pub final_document_url: Option<String>,
}

impl Consultation {
    pub fn draft(&self, code: &str) -> Option<&Draft> {
        self.drafts.iter().find(|d| d.code == code)
    }

    /// Nesting depth of a draft under its parents, for indented lists.
    pub fn draft_depth(&self, draft: &Draft) -> usize {
        let mut depth = 0;
        let mut parent = draft.parent.as_deref();
        while let Some(code) = parent {
            depth += 1;
            parent = self.draft(code).and_then(|d| d.parent.as_deref());
            if depth > self.drafts.len() {
                break;
            }
        }
        depth
    }
}

fn is_url_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !s.starts_with('-')
}

impl ConsultationFile {
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

impl TryFrom<ConsultationFile> for Consultation {
    type Error = String;

    fn try_from(file: ConsultationFile) -> Result<Self, String> {
        if !is_url_safe(&file.slug) {
            return Err(format!("slug '{}': use 1 to 64 lower-case letters, digits, '-' or '_'", file.slug));
        }
        let time_zone: Tz = file
            .time_zone
            .parse()
            .map_err(|_| format!("time_zone '{}' is not an IANA time zone name", file.time_zone))?;
        let opens_at = file.opens_at.with_timezone(&Utc);
        let closes_at = file.closes_at.with_timezone(&Utc);
        if closes_at <= opens_at {
            return Err("closes_at must be later than opens_at".into());
        }
        if file.title.is_empty() {
            return Err("title: give at least one of ja or en".into());
        }
        let mut codes: HashSet<String> = HashSet::new();
        for draft in &file.drafts {
            if !is_url_safe(&draft.code) {
                return Err(format!("drafts.code '{}': use lower-case letters, digits, '-' or '_'", draft.code));
            }
            if !codes.insert(draft.code.clone()) {
                return Err(format!("drafts.code '{}' appears twice", draft.code));
            }
            if draft.title.is_empty() {
                return Err(format!("drafts '{}': title is empty", draft.code));
            }
            if let Some(url) = draft.url.as_deref().filter(|u| !u.is_empty() && !is_web_url(u)) {
                return Err(format!("drafts '{}': url '{url}' is not an http(s) address", draft.code));
            }
        }
        if let Some(url) = file.contact.web_form_url.as_deref().filter(|u| !u.is_empty() && !is_web_url(u)) {
            return Err(format!("contact.web_form_url '{url}' is not an http(s) address"));
        }
        if let Some(email) = file.contact.email.as_deref().filter(|e| !e.is_empty() && !looks_like_email(e)) {
            return Err(format!("contact.email '{email}' is not an email address"));
        }
        let drafts: Vec<Draft> = file
            .drafts
            .into_iter()
            .map(|d| Draft {
                parent: d.parent.filter(|p| !p.is_empty()),
                code: d.code,
                title: d.title,
                url: d.url.filter(|u| !u.is_empty()),
            })
            .collect();
        for draft in &drafts {
            if let Some(parent) = &draft.parent {
                if !codes.contains(parent.as_str()) || parent == &draft.code {
                    return Err(format!(
                        "drafts '{}': parent '{}' is not another draft of this consultation",
                        draft.code, parent
                    ));
                }
            }
        }
        let defaults = Limits::default();
        let m = &file.rules.max_chars;
        let limits = Limits {
            body: m.body.unwrap_or(defaults.body),
            reason: m.reason.unwrap_or(defaults.reason),
            location: m.location.unwrap_or(defaults.location),
            name: m.name.unwrap_or(defaults.name),
            organization: m.organization.unwrap_or(defaults.organization),
            email: m.email.unwrap_or(defaults.email),
            postal_address: m.postal_address.unwrap_or(defaults.postal_address),
            phone: m.phone.unwrap_or(defaults.phone),
        };
        let mut publication_languages =
            file.publication_languages.clone().unwrap_or_else(|| vec![Locale::Ja, Locale::En]);
        publication_languages.dedup();
        if publication_languages.is_empty() {
            return Err("publication_languages: name at least one of \"ja\" and \"en\"".into());
        }
        let campaign_threshold = file.campaign_similarity.unwrap_or(super::fingerprint::DEFAULT_THRESHOLD);
        if !(0.1..=1.0).contains(&campaign_threshold) {
            return Err("campaign_similarity: use a number from 0.1 to 1.0".into());
        }
        super::guidance::check(
            &file.also_published,
            file.submission_languages.as_deref(),
            file.final_document_url.as_deref(),
        )?;
        let max_opinions = file.rules.max_opinions.unwrap_or(Rules::DEFAULT_MAX_OPINIONS);
        if max_opinions == 0 {
            return Err("rules.max_opinions must be at least 1".into());
        }
        let default_locale = file.default_locale.unwrap_or_default();
        Ok(Consultation {
            submission_languages: file.submission_languages.unwrap_or_else(|| vec![default_locale]),
            also_published: file.also_published,
            notes: file.notes,
            personal_data: file.personal_data,
            final_document_url: file.final_document_url.filter(|u| !u.is_empty()),
            slug: file.slug,
            default_locale,
            time_zone,
            opens_at,
            closes_at,
            postal_arrival_deadline: file.postal_arrival_deadline,
            results_expected: file.results_expected,
            publication_languages,
            campaign_threshold,
            title: file.title,
            summary: file.summary,
            organizers: file.organizers,
            contact: file.contact,
            rules: Rules {
                required: file.rules.required.unwrap_or_default().into_iter().collect(),
                max_opinions,
                limits,
                attachments: file.rules.attachments.map(super::attachment::AttachmentRules::from_file).transpose()?,
            },
            drafts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
slug = "demo"
time_zone = "Asia/Tokyo"
opens_at = "2020-03-27T15:00:00+09:00"
closes_at = "2020-04-27T00:00:00+09:00"
title = { ja = "案件", en = "Consultation" }
[[drafts]]
code = "a"
title = { en = "Draft A" }
[[drafts]]
code = "b"
parent = "a"
title = { en = "Draft B" }
"#;

    fn parse(text: &str) -> Result<Consultation, String> {
        Consultation::try_from(ConsultationFile::from_toml(text)?)
    }

    #[test]
    fn parses_a_minimal_file_with_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.opens_at.to_rfc3339(), "2020-03-27T06:00:00+00:00");
        assert_eq!(c.rules.max_opinions, 20);
        assert_eq!(c.rules.limits.body, 20_000);
        assert_eq!(c.draft_depth(c.draft("b").unwrap()), 1);
    }

    #[test]
    fn refuses_a_window_that_ends_before_it_starts() {
        let text = MINIMAL.replace("2020-04-27T00:00:00+09:00", "2020-03-01T00:00:00+09:00");
        assert!(parse(&text).unwrap_err().contains("closes_at"));
    }

    #[test]
    fn refuses_unknown_time_zones_and_parents() {
        let text = MINIMAL.replace("Asia/Tokyo", "Mars/Olympus");
        assert!(parse(&text).unwrap_err().contains("time_zone"));
        let text = MINIMAL.replace("parent = \"a\"", "parent = \"zz\"");
        assert!(parse(&text).unwrap_err().contains("parent"));
    }

    #[test]
    fn refuses_duplicate_draft_codes() {
        let text = MINIMAL.replace("code = \"b\"", "code = \"a\"");
        assert!(parse(&text).unwrap_err().contains("twice"));
    }

    #[test]
    fn links_and_addresses_for_the_public_are_checked() {
        let text = MINIMAL.replace("code = \"b\"", "code = \"b\"\nurl = \"javascript:alert(1)\"");
        assert!(parse(&text).unwrap_err().contains("url"));
        let text = format!("{MINIMAL}\n[contact]\nweb_form_url = \"www.example.go.jp/form\"\n");
        assert!(parse(&text).unwrap_err().contains("web_form_url"));
        let text = format!("{MINIMAL}\n[contact]\nemail = \"opinions at example.go.jp\"\n");
        assert!(parse(&text).unwrap_err().contains("contact.email"));
        let ok =
            format!("{MINIMAL}\n[contact]\nweb_form_url = \"https://www.soumu.go.jp/common/english_opinions.html\"\n");
        assert!(parse(&ok).is_ok());
    }
}
