//! Triage of opinions and the coverage rule publication depends on: every opinion that is
//! considered ends up either answered by an approved response item or set aside with a reason.
use std::str::FromStr;
use validator::Validate;

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

impl TryFrom<String> for TriageState {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// A state an analyst asks for by hand, before the rules have said yes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateRequest {
    pub state: Option<TriageState>,
    pub reason: Option<String>,
    /// For `duplicate`: the opinion this one repeats.
    pub duplicate_of: Option<i64>,
}

/// Which opinions a state change is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One opinion; `original_found` says whether `duplicate_of` names another opinion of the
    /// same consultation.
    One { opinion_id: i64, original_found: bool },
    /// A selection or every match of a filter (a campaign marked as duplicates of its
    /// template, say); `original_found` as for one opinion.
    Many { original_found: bool },
}

/// What is written when a state change is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub state: TriageState,
    /// Kept only for the states that set an opinion aside.
    pub reason: Option<String>,
    pub duplicate_of: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// No known state was chosen.
    UnknownState,
    /// `answered` comes only from linking a response item.
    AnsweredByLinkOnly,
    /// A duplicate must name another opinion of the same consultation.
    NeedsOriginal,
    /// Out of scope and abusive must say why.
    NeedsReason,
}

/// Decides whether opinions may be set to the requested state, and what is stored.
pub fn decide_state(request: &StateRequest, target: Target) -> Result<StateChange, StateRefusal> {
    let state = request.state.ok_or(StateRefusal::UnknownState)?;
    let reason = request.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    match (state, target) {
        (TriageState::Answered, _) => Err(StateRefusal::AnsweredByLinkOnly),
        (TriageState::Duplicate, Target::Many { original_found }) => match request.duplicate_of {
            Some(original) if original_found => Ok(StateChange {
                state,
                reason: reason.or_else(|| Some(format!("#{original}"))),
                duplicate_of: Some(original),
            }),
            _ => Err(StateRefusal::NeedsOriginal),
        },
        (TriageState::Duplicate, Target::One { opinion_id, original_found }) => match request.duplicate_of {
            Some(original) if original != opinion_id && original_found => Ok(StateChange {
                state,
                reason: reason.or_else(|| Some(format!("#{original}"))),
                duplicate_of: Some(original),
            }),
            _ => Err(StateRefusal::NeedsOriginal),
        },
        (_, _) if state.needs_reason() && reason.is_none() => Err(StateRefusal::NeedsReason),
        (_, _) => Ok(StateChange { state, reason: reason.filter(|_| state.needs_reason()), duplicate_of: None }),
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

/// How far the opinion list counts its matches. Counting every match of a million opinions
/// takes seconds on each page; past this many the list says "more than" instead (a text
/// search costs more per match, so it stops sooner).
pub fn count_cap(searching_text: bool) -> i64 {
    if searching_text {
        200
    } else {
        10_000
    }
}

/// The total a list shows: exact up to the cap, else "more than the cap".
pub fn shown_total(counted: i64, cap: i64) -> (i64, bool) {
    if counted > cap {
        (cap, true)
    } else {
        (counted, false)
    }
}

/// A free tag: runs of spaces made one, 1 to 50 characters, no control characters.
#[derive(Validate)]
struct Tag {
    #[validate(length(min = 1, max = 50))]
    text: String,
}

/// A note analysts keep on an opinion: up to 10,000 characters.
#[derive(Validate)]
struct Note {
    #[validate(length(min = 1, max = 10_000))]
    text: String,
}

/// Free tags as analysts type them: trimmed, inner spaces kept, at most 50 characters.
pub fn normalize_tag(raw: &str) -> Option<String> {
    let tag = Tag { text: raw.split_whitespace().collect::<Vec<_>>().join(" ") };
    (tag.validate().is_ok() && !tag.text.chars().any(char::is_control)).then_some(tag.text)
}

/// A note as it is kept: trimmed, 1 to 10,000 characters.
pub fn normalize_note(raw: &str) -> Option<String> {
    let note = Note { text: raw.trim().replace("\r\n", "\n") };
    note.validate().is_ok().then_some(note.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_totals_are_said_as_more_than_the_cap() {
        assert_eq!(count_cap(false), 10_000);
        assert!(count_cap(true) < count_cap(false), "text search stops counting sooner");
        assert_eq!(shown_total(42, 500), (42, false));
        assert_eq!(shown_total(500, 500), (500, false));
        assert_eq!(shown_total(501, 500), (500, true));
    }

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

    fn ask(state: TriageState, reason: &str, duplicate_of: Option<i64>) -> StateRequest {
        StateRequest { state: Some(state), reason: Some(reason.into()), duplicate_of }
    }

    #[test]
    fn states_set_by_hand_follow_the_rules_for_one_opinion_and_for_many() {
        use TriageState::*;
        let one = Target::One { opinion_id: 7, original_found: true };
        assert_eq!(decide_state(&ask(Answered, "", None), one), Err(StateRefusal::AnsweredByLinkOnly));
        let many = Target::Many { original_found: false };
        assert_eq!(decide_state(&ask(Answered, "", None), many), Err(StateRefusal::AnsweredByLinkOnly));
        assert_eq!(decide_state(&ask(OutOfScope, "  ", None), one), Err(StateRefusal::NeedsReason));
        assert_eq!(decide_state(&ask(Abusive, "", None), many), Err(StateRefusal::NeedsReason));
        assert_eq!(
            decide_state(&ask(OutOfScope, " not about ISMAP ", None), many),
            Ok(StateChange { state: OutOfScope, reason: Some("not about ISMAP".into()), duplicate_of: None })
        );
        // A reason given with a state that does not need one is not kept.
        assert_eq!(
            decide_state(&ask(InReview, "reading", None), one),
            Ok(StateChange { state: InReview, reason: None, duplicate_of: None })
        );
        assert_eq!(decide_state(&StateRequest::default(), one), Err(StateRefusal::UnknownState));
    }

    #[test]
    fn a_duplicate_names_another_opinion_of_the_same_consultation() {
        use TriageState::Duplicate;
        let found = Target::One { opinion_id: 7, original_found: true };
        let missing = Target::One { opinion_id: 7, original_found: false };
        assert_eq!(
            decide_state(&ask(Duplicate, "", Some(3)), found),
            Ok(StateChange { state: Duplicate, reason: Some("#3".into()), duplicate_of: Some(3) })
        );
        assert_eq!(decide_state(&ask(Duplicate, "", Some(7)), found), Err(StateRefusal::NeedsOriginal));
        assert_eq!(decide_state(&ask(Duplicate, "", Some(3)), missing), Err(StateRefusal::NeedsOriginal));
        assert_eq!(decide_state(&ask(Duplicate, "", None), found), Err(StateRefusal::NeedsOriginal));
        // A campaign is marked as duplicates of its template in one go.
        assert_eq!(
            decide_state(&ask(Duplicate, "", Some(3)), Target::Many { original_found: true }),
            Ok(StateChange { state: Duplicate, reason: Some("#3".into()), duplicate_of: Some(3) })
        );
        assert_eq!(
            decide_state(&ask(Duplicate, "", None), Target::Many { original_found: true }),
            Err(StateRefusal::NeedsOriginal)
        );
        assert_eq!(
            decide_state(&ask(Duplicate, "", Some(3)), Target::Many { original_found: false }),
            Err(StateRefusal::NeedsOriginal)
        );
    }

    #[test]
    fn tags_are_tidied() {
        assert_eq!(normalize_tag("  cloud   audit "), Some("cloud audit".into()));
        assert_eq!(normalize_tag("   "), None);
        assert_eq!(normalize_tag(&"x".repeat(51)), None);
        assert_eq!(normalize_tag(&"監".repeat(50)), Some("監".repeat(50)), "counted in characters");
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(normalize_note("  read it \r\nagain "), Some("read it \nagain".into()));
        assert_eq!(normalize_note("   "), None);
        assert!(normalize_note(&"x".repeat(10_000)).is_some());
        assert_eq!(normalize_note(&"x".repeat(10_001)), None);
    }
}
