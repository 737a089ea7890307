//! Triage of opinions and the coverage rule publication depends on: every opinion that is
//! considered ends up either answered by an approved response item or set aside with a reason.
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriageState {
    New,
    InReview,
    Answered,
    OutOfScope,
    Abusive,
    Duplicate,
}

impl TriageState {
    pub const ALL: [TriageState; 6] = [
        TriageState::New,
        TriageState::InReview,
        TriageState::Answered,
        TriageState::OutOfScope,
        TriageState::Abusive,
        TriageState::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriageState::New => "new",
            TriageState::InReview => "in_review",
            TriageState::Answered => "answered",
            TriageState::OutOfScope => "out_of_scope",
            TriageState::Abusive => "abusive",
            TriageState::Duplicate => "duplicate",
        }
    }

    /// States that set an opinion aside must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, TriageState::OutOfScope | TriageState::Abusive | TriageState::Duplicate)
    }

    /// Abusive text is counted but never published.
    pub fn is_published(self) -> bool {
        self != TriageState::Abusive
    }
}

impl FromStr for TriageState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| format!("unknown triage state '{s}'"))
    }
}

/// What the coverage check needs to know about one opinion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub opinion_id: i64,
    /// On time, or late and accepted by an approver.
    pub considered: bool,
    pub state: TriageState,
    pub has_reason: bool,
    /// The linked response item and whether it is approved.
    pub item: Option<(i64, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// Still new or in review.
    NotDecided { opinion_id: i64 },
    /// Answered by an item that is not approved yet.
    ItemNotApproved { opinion_id: i64, item_id: i64 },
    /// Marked answered but linked to nothing.
    NotLinked { opinion_id: i64 },
    /// Set aside without a reason.
    NoReason { opinion_id: i64 },
}

/// Why the results cannot be published yet; empty when they can.
pub fn coverage_gaps(opinions: &[Coverage]) -> Vec<Gap> {
    opinions
        .iter()
        .filter(|o| o.considered)
        .filter_map(|o| match (o.state, o.item) {
            (TriageState::New | TriageState::InReview, _) => Some(Gap::NotDecided { opinion_id: o.opinion_id }),
            (TriageState::Answered, Some((_, true))) => None,
            (TriageState::Answered, Some((item_id, false))) => {
                Some(Gap::ItemNotApproved { opinion_id: o.opinion_id, item_id })
            }
            (TriageState::Answered, None) => Some(Gap::NotLinked { opinion_id: o.opinion_id }),
            (_, _) if !o.has_reason => Some(Gap::NoReason { opinion_id: o.opinion_id }),
            _ => None,
        })
        .collect()
}

/// Free tags as analysts type them: trimmed, inner spaces kept, at most 50 characters.
pub fn normalize_tag(raw: &str) -> Option<String> {
    let tag: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!tag.is_empty() && tag.chars().count() <= 50 && !tag.chars().any(char::is_control)).then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(id: i64, state: TriageState, considered: bool, has_reason: bool, item: Option<(i64, bool)>) -> Coverage {
        Coverage { opinion_id: id, considered, state, has_reason, item }
    }

    #[test]
    fn every_considered_opinion_must_be_answered_or_set_aside_with_a_reason() {
        use TriageState::*;
        let opinions = vec![
            o(1, Answered, true, false, Some((10, true))),
            o(2, Answered, true, false, Some((11, false))),
            o(3, New, true, false, None),
            o(4, OutOfScope, true, true, None),
            o(5, Abusive, true, false, None),
            o(6, New, false, false, None),
            o(7, Answered, true, false, None),
            o(8, InReview, true, false, None),
        ];
        assert_eq!(
            coverage_gaps(&opinions),
            vec![
                Gap::ItemNotApproved { opinion_id: 2, item_id: 11 },
                Gap::NotDecided { opinion_id: 3 },
                Gap::NoReason { opinion_id: 5 },
                Gap::NotLinked { opinion_id: 7 },
                Gap::NotDecided { opinion_id: 8 },
            ]
        );
        assert!(
            coverage_gaps(&[o(1, Answered, true, false, Some((1, true))), o(2, New, false, false, None)]).is_empty()
        );
    }

    #[test]
    fn states_round_trip_and_say_what_they_need() {
        for s in TriageState::ALL {
            assert_eq!(s.as_str().parse::<TriageState>().unwrap(), s);
        }
        assert!(TriageState::Abusive.needs_reason());
        assert!(!TriageState::Abusive.is_published());
        assert!(!TriageState::InReview.needs_reason());
    }

    #[test]
    fn tags_are_tidied() {
        assert_eq!(normalize_tag("  cloud   audit "), Some("cloud audit".into()));
        assert_eq!(normalize_tag("   "), None);
        assert_eq!(normalize_tag(&"x".repeat(51)), None);
    }
}
