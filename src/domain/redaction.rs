//! Redaction (非公開処理): spans of an opinion's text withheld from every public output, each
//! with a reason, shown there as a marker in the reader's language. What the person wrote is
//! never changed; the published text is built from it and the spans.
use super::locale::Locale;
use super::personal_data::Kind;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Which text of an opinion a span is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Body,
    Reason,
    Location,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Body, Field::Reason, Field::Location];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Body => "body",
            Field::Reason => "reason",
            Field::Location => "location",
        }
    }
}

/// Why a span is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The submitter's own name, address, phone…
    OwnPersonalData,
    /// Someone else's.
    ThirdPartyPersonalData,
    Defamatory,
    /// Anything else, with a note saying what.
    Other,
}

impl Reason {
    pub const ALL: [Reason; 4] =
        [Reason::OwnPersonalData, Reason::ThirdPartyPersonalData, Reason::Defamatory, Reason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::OwnPersonalData => "own_personal_data",
            Reason::ThirdPartyPersonalData => "third_party_personal_data",
            Reason::Defamatory => "defamatory",
            Reason::Other => "other",
        }
    }

    /// What the public reads in place of the withheld text.
    pub fn marker(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Reason::OwnPersonalData | Reason::ThirdPartyPersonalData, Locale::Ja) => "［個人情報のため削除］",
            (Reason::OwnPersonalData | Reason::ThirdPartyPersonalData, Locale::En) => "[personal data removed]",
            (Reason::Defamatory, Locale::Ja) => "［名誉毀損のおそれがあるため削除］",
            (Reason::Defamatory, Locale::En) => "[removed: may be defamatory]",
            (Reason::Other, Locale::Ja) => "［削除］",
            (Reason::Other, Locale::En) => "[removed]",
        }
    }
}

/// A suggestion, a decision on one, or a redaction staff made themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Suggested,
    Accepted,
    Dismissed,
    Manual,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Suggested => "suggested",
            Status::Accepted => "accepted",
            Status::Dismissed => "dismissed",
            Status::Manual => "manual",
        }
    }

    /// Whether the span is withheld from the public.
    pub fn withholds(self) -> bool {
        matches!(self, Status::Accepted | Status::Manual)
    }
}

macro_rules! parse_by_name {
    ($t:ty, $all:expr, $what:literal) => {
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $all.into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " '{}'"), s))
            }
        }
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }
    };
}
parse_by_name!(Field, Field::ALL, "field");
parse_by_name!(Reason, Reason::ALL, "redaction reason");
parse_by_name!(Status, [Status::Suggested, Status::Accepted, Status::Dismissed, Status::Manual], "redaction status");

/// What a redaction row says, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub field: Field,
    /// Characters of the stored text, end excluded.
    pub start: usize,
    pub end: usize,
    /// For suggestions, what the detector saw.
    pub kind: Option<Kind>,
    pub status: Status,
    /// Set once accepted or made by hand.
    pub reason: Option<Reason>,
}

/// What staff decide on a suggestion or a redaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Withhold a suggested span, for a reason.
    Accept { reason: Reason, note: Option<String> },
    /// Publish a suggested span after all.
    Dismiss,
    /// Publish a withheld span again.
    Lift,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRefusal {
    /// Accepting and dismissing are for suggestions; lifting is for withheld spans.
    NotApplicable,
    /// "Other" says what, in a note.
    NoteNeeded,
    /// The text to withhold is not in the field.
    NotInText,
}

/// A reason with its note as kept: "other" needs one, the rest keep one if given.
pub fn reason_with_note(reason: Reason, note: &str) -> Result<(Reason, Option<String>), DecisionRefusal> {
    let note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
    if reason == Reason::Other && note.is_none() {
        return Err(DecisionRefusal::NoteNeeded);
    }
    Ok((reason, note))
}

/// The status a redaction row takes after `decision`, and the reason it then carries.
pub fn decide(current: Status, decision: &Decision) -> Result<(Status, Option<Reason>), DecisionRefusal> {
    match (current, decision) {
        (Status::Suggested, Decision::Accept { reason, note }) => {
            reason_with_note(*reason, note.as_deref().unwrap_or(""))?;
            Ok((Status::Accepted, Some(*reason)))
        }
        (Status::Suggested, Decision::Dismiss) => Ok((Status::Dismissed, None)),
        (Status::Accepted | Status::Manual, Decision::Lift) => Ok((Status::Dismissed, None)),
        _ => Err(DecisionRefusal::NotApplicable),
    }
}

/// Where a redaction may go in `text`: a non-empty span inside it.
pub fn fits(text: &str, start: usize, end: usize) -> bool {
    start < end && end <= text.chars().count()
}

/// Every span of `text` equal to `wanted`: what staff ask to withhold by typing it.
pub fn occurrences(text: &str, wanted: &str) -> Vec<(usize, usize)> {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return Vec::new();
    }
    let len = wanted.chars().count();
    text.match_indices(wanted)
        .map(|(byte, _)| {
            let start = text[..byte].chars().count();
            (start, start + len)
        })
        .collect()
}

/// One piece of published text: kept as written, or withheld for a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Withheld(Reason),
}

/// Opinion text as published: as written when nothing is withheld (stored as a plain string,
/// as versions before redaction were), otherwise kept and withheld pieces in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PublicText {
    Plain(String),
    Redacted(Vec<Part>),
}

impl PublicText {
    /// `text` with the withholding spans (any order, overlapping ones merged) taken out.
    pub fn build(text: &str, spans: &[(usize, usize, Reason)]) -> Self {
        let mut spans: Vec<(usize, usize, Reason)> = spans.iter().copied().filter(|(s, e, _)| s < e).collect();
        if spans.is_empty() {
            return PublicText::Plain(text.to_string());
        }
        spans.sort_by_key(|(s, e, _)| (*s, *e));
        let chars: Vec<char> = text.chars().collect();
        let mut parts = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while i < spans.len() {
            let (start, mut end, reason) = spans[i];
            let start = start.min(chars.len());
            i += 1;
            while i < spans.len() && spans[i].0 <= end {
                end = end.max(spans[i].1);
                i += 1;
            }
            let end = end.min(chars.len());
            if start > at {
                parts.push(Part::Text(chars[at..start].iter().collect()));
            }
            if end > start.max(at) {
                parts.push(Part::Withheld(reason));
            }
            at = at.max(end);
        }
        if at < chars.len() {
            parts.push(Part::Text(chars[at..].iter().collect()));
        }
        PublicText::Redacted(parts)
    }

    /// The text a reader sees, markers in their language.
    pub fn render(&self, locale: Locale) -> String {
        match self {
            PublicText::Plain(text) => text.clone(),
            PublicText::Redacted(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => t.as_str(),
                    Part::Withheld(reason) => reason.marker(locale),
                })
                .collect(),
        }
    }

    /// How many pieces are withheld.
    pub fn withheld(&self) -> usize {
        match self {
            PublicText::Plain(_) => 0,
            PublicText::Redacted(parts) => parts.iter().filter(|p| matches!(p, Part::Withheld(_))).count(),
        }
    }
}

impl Default for PublicText {
    fn default() -> Self {
        PublicText::Plain(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_span_is_replaced_by_a_marker_in_the_readers_language() {
        let text = "私の電話番号は090-1111-2222です";
        let published = PublicText::build(text, &[(7, 20, Reason::OwnPersonalData)]);
        assert_eq!(published.render(Locale::Ja), "私の電話番号は［個人情報のため削除］です");
        assert_eq!(published.render(Locale::En), "私の電話番号は[personal data removed]です");
        assert!(!published.render(Locale::Ja).contains("1111"));
        assert_eq!(published.withheld(), 1);
    }

    #[test]
    fn overlapping_spans_become_one_marker_and_nothing_withheld_stays_plain() {
        let text = "abcdefghij";
        let published = PublicText::build(text, &[(5, 8, Reason::Other), (2, 6, Reason::Defamatory)]);
        assert_eq!(
            published,
            PublicText::Redacted(vec![
                Part::Text("ab".into()),
                Part::Withheld(Reason::Defamatory),
                Part::Text("ij".into())
            ])
        );
        assert_eq!(PublicText::build(text, &[]), PublicText::Plain(text.into()));
    }

    #[test]
    fn stored_versions_from_before_redaction_still_read() {
        let old: PublicText = serde_json::from_str("\"as written\"").unwrap();
        assert_eq!(old.render(Locale::En), "as written");
        let new = PublicText::build("x 山田太郎 y", &[(2, 6, Reason::ThirdPartyPersonalData)]);
        let back: PublicText = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(back, new);
    }

    #[test]
    fn suggestions_are_accepted_with_a_reason_or_dismissed_and_redactions_lifted() {
        let accept = |reason, note: &str| Decision::Accept { reason, note: Some(note.into()) };
        assert_eq!(
            decide(Status::Suggested, &accept(Reason::OwnPersonalData, "")),
            Ok((Status::Accepted, Some(Reason::OwnPersonalData)))
        );
        assert_eq!(decide(Status::Suggested, &accept(Reason::Other, " ")), Err(DecisionRefusal::NoteNeeded));
        assert!(decide(Status::Suggested, &accept(Reason::Other, "a trade secret")).is_ok());
        assert_eq!(decide(Status::Suggested, &Decision::Dismiss), Ok((Status::Dismissed, None)));
        assert_eq!(decide(Status::Manual, &Decision::Lift), Ok((Status::Dismissed, None)));
        assert_eq!(decide(Status::Dismissed, &Decision::Lift), Err(DecisionRefusal::NotApplicable));
        assert_eq!(decide(Status::Accepted, &Decision::Dismiss), Err(DecisionRefusal::NotApplicable));
    }

    #[test]
    fn staff_withhold_by_typing_the_text_and_spans_must_fit() {
        assert_eq!(occurrences("田中さんと田中氏", "田中"), vec![(0, 2), (5, 7)]);
        assert!(occurrences("abc", "  ").is_empty());
        assert!(fits("abc", 0, 3));
        assert!(!fits("abc", 2, 4));
        assert!(!fits("abc", 2, 2));
    }
}
