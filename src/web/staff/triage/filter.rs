//! The opinion list's filters as they travel in URLs and hidden form fields, and what they
//! select in storage.
use crate::db::consultations::StoredConsultation;
use crate::db::triage::{Assignee, DraftScope, OpinionFilter, Order};
use chrono::{NaiveDate, TimeZone, Utc};

/// The list's filters exactly as they travel in URLs and hidden fields.
#[derive(serde::Deserialize, serde::Serialize, Default, Clone)]
pub struct FilterQuery {
    #[serde(default)]
    pub draft: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub late: String,
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub linked: String,
    /// "yes": only opinions with redaction suggestions nobody has decided on.
    #[serde(default)]
    pub suggested: String,
    /// A campaign: the members of one cluster.
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub after: String,
}

impl FilterQuery {
    pub const KEYS: [&'static str; 13] = [
        "draft",
        "state",
        "tag",
        "channel",
        "late",
        "assignee",
        "linked",
        "suggested",
        "cluster",
        "from",
        "to",
        "q",
        "order",
    ];

    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get =
            |k: &str| pairs.iter().find(|(n, _)| n == &format!("f_{k}")).map(|(_, v)| v.clone()).unwrap_or_default();
        FilterQuery {
            draft: get("draft"),
            state: get("state"),
            tag: get("tag"),
            channel: get("channel"),
            late: get("late"),
            assignee: get("assignee"),
            linked: get("linked"),
            suggested: get("suggested"),
            cluster: get("cluster"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            order: get("order"),
            after: String::new(),
        }
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let values = [
            &self.draft,
            &self.state,
            &self.tag,
            &self.channel,
            &self.late,
            &self.assignee,
            &self.linked,
            &self.suggested,
            &self.cluster,
            &self.from,
            &self.to,
            &self.q,
            &self.order,
        ];
        Self::KEYS.iter().zip(values).filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.clone())).collect()
    }

    /// A clear refusal when a value holds control characters (a NUL cannot even be sent to
    /// PostgreSQL), instead of an error from the database.
    pub fn check(&self, locale: crate::domain::Locale) -> Result<(), crate::web::error::AppError> {
        if self.pairs().iter().any(|(_, v)| v.chars().any(char::is_control)) {
            let detail = crate::i18n::Tr::new(locale).t("search_control_characters").to_string();
            return Err(crate::web::error::AppError::html(locale, crate::web::error::ErrorKind::BadRequest(detail)));
        }
        Ok(())
    }

    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string(self.pairs()).unwrap_or_default()
    }

    pub fn to_filter(&self, stored: &StoredConsultation) -> OpinionFilter {
        let zone = stored.consultation.time_zone;
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let midnight =
            |d: NaiveDate| zone.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc));
        let mut f = OpinionFilter::new(stored.id);
        f.draft = match self.draft.as_str() {
            "" => DraftScope::Any,
            "whole" => DraftScope::Whole,
            code => stored.draft_ids.get(code).map(|id| DraftScope::Draft(*id)).unwrap_or(DraftScope::Draft(-1)),
        };
        f.state = self.state.parse().ok();
        f.tag = Some(self.tag.trim().to_string()).filter(|t| !t.is_empty());
        f.channel = Some(self.channel.clone()).filter(|c| !c.is_empty());
        f.late = match self.late.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        f.assignee = match self.assignee.as_str() {
            "" => Assignee::Any,
            "none" => Assignee::Nobody,
            id => id.parse().map(Assignee::User).unwrap_or(Assignee::Any),
        };
        f.unresolved_suggestions = self.suggested == "yes";
        f.cluster = self.cluster.parse().ok();
        f.linked = match self.linked.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        f.from = date(&self.from).and_then(midnight);
        f.until = date(&self.to).and_then(|d| d.succ_opt()).and_then(midnight);
        f.text = Some(self.q.clone()).filter(|q| !q.trim().is_empty());
        f.order = if self.order == "newest" { Order::Newest } else { Order::Oldest };
        f.after = self.after.parse().ok();
        f
    }
}
