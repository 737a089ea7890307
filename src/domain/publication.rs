//! Publication gates (公示の条件): what must hold before results are published. Each gate is a
//! rule over plain facts; publication is refused while any of them fails, and the review page
//! lists every failure.
use super::consultation::Consultation;
use super::locale::Locale;
use super::response::{ItemHands, ItemStatus, ItemText};
use super::transcription::{Hands, Verification};
use super::triage::{coverage_gaps, Coverage, Gap};
use chrono::{DateTime, Utc};

/// A transcription as the four-eyes gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionFacts {
    pub receipt_number: String,
    pub verification: Verification,
    pub hands: Hands,
    pub verified_by: Option<i64>,
}

/// A response item as the approval gates see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    pub id: i64,
    pub status: ItemStatus,
    pub hands: ItemHands,
    pub approved_by: Option<i64>,
    pub text: ItemText,
    /// Opinions linked to it.
    pub linked: usize,
}

/// Everything the gates look at, read at one moment.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub consultation: &'a Consultation,
    pub now: DateTime<Utc>,
    pub transcriptions: Vec<TranscriptionFacts>,
    pub items: Vec<ItemFacts>,
    /// Opinions with redaction suggestions nobody has accepted or dismissed: (opinion, how many).
    pub unresolved_suggestions: Vec<(i64, usize)>,
    pub coverage: Vec<Coverage>,
}

/// One reason the results cannot be published yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Something can still arrive on time (by post, until the end of the arrival date).
    WindowOpen { until: DateTime<Utc> },
    /// A transcription nobody has checked yet (or sent back).
    Unverified { receipt_number: String },
    /// Checked by the person who typed or last corrected it.
    VerifiedByOwnHands { receipt_number: String },
    /// An item in the results that is not approved.
    ItemNotApproved { item_id: i64 },
    /// Approved by the person who wrote or last edited it.
    ItemApprovedByOwnHands { item_id: i64 },
    /// An item without text in a publication language.
    ItemMissingLanguage { item_id: i64, locale: Locale },
    /// Redaction suggestions on an opinion nobody has accepted or dismissed.
    SuggestionsUnresolved { opinion_id: i64, count: usize },
    /// An opinion neither answered nor set aside with a reason.
    Coverage(Gap),
}

/// Which gate a failure belongs to, for headings and the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gate {
    Window,
    FourEyesTranscriptions,
    FourEyesItems,
    Languages,
    Suggestions,
    Coverage,
}

impl Gate {
    pub const ALL: [Gate; 6] = [
        Gate::Window,
        Gate::FourEyesTranscriptions,
        Gate::FourEyesItems,
        Gate::Languages,
        Gate::Suggestions,
        Gate::Coverage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Window => "window",
            Gate::FourEyesTranscriptions => "four_eyes_transcriptions",
            Gate::FourEyesItems => "four_eyes_items",
            Gate::Languages => "languages",
            Gate::Suggestions => "suggestions",
            Gate::Coverage => "coverage",
        }
    }
}

impl Failure {
    pub fn gate(&self) -> Gate {
        match self {
            Failure::WindowOpen { .. } => Gate::Window,
            Failure::Unverified { .. } | Failure::VerifiedByOwnHands { .. } => Gate::FourEyesTranscriptions,
            Failure::ItemNotApproved { .. } | Failure::ItemApprovedByOwnHands { .. } => Gate::FourEyesItems,
            Failure::ItemMissingLanguage { .. } => Gate::Languages,
            Failure::SuggestionsUnresolved { .. } => Gate::Suggestions,
            Failure::Coverage(_) => Gate::Coverage,
        }
    }
}

/// The window has closed for every channel.
pub fn window_gate(c: &Consultation, now: DateTime<Utc>) -> Option<Failure> {
    let until = c.closed_for_every_channel_at();
    (now < until).then_some(Failure::WindowOpen { until })
}

/// Every transcription is verified by someone who neither typed nor last corrected it.
pub fn transcription_gate(transcriptions: &[TranscriptionFacts]) -> Vec<Failure> {
    transcriptions
        .iter()
        .filter_map(|t| {
            let receipt_number = t.receipt_number.clone();
            if t.verification != Verification::Verified {
                Some(Failure::Unverified { receipt_number })
            } else if t.verified_by.is_none_or(|v| t.hands.includes(v)) {
                Some(Failure::VerifiedByOwnHands { receipt_number })
            } else {
                None
            }
        })
        .collect()
}

/// Every item in the results (approved, or answering opinions) is approved by someone who
/// neither wrote nor last edited it, and has text in every publication language.
pub fn item_gates(items: &[ItemFacts], languages: &[Locale]) -> Vec<Failure> {
    let mut out = Vec::new();
    for item in items.iter().filter(|i| i.status == ItemStatus::Approved || i.linked > 0) {
        if item.status != ItemStatus::Approved {
            out.push(Failure::ItemNotApproved { item_id: item.id });
        } else if item.approved_by.is_none_or(|a| item.hands.includes(a)) {
            out.push(Failure::ItemApprovedByOwnHands { item_id: item.id });
        }
        for locale in item.text.missing_languages(languages) {
            out.push(Failure::ItemMissingLanguage { item_id: item.id, locale });
        }
    }
    out
}

/// Every redaction suggestion is accepted or dismissed.
pub fn suggestion_gate(unresolved: &[(i64, usize)]) -> Vec<Failure> {
    unresolved
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(opinion_id, count)| Failure::SuggestionsUnresolved { opinion_id: *opinion_id, count: *count })
        .collect()
}

/// Every failing gate, window first; empty when the results may be published.
pub fn failures(facts: &Facts<'_>) -> Vec<Failure> {
    let mut out: Vec<Failure> = window_gate(facts.consultation, facts.now).into_iter().collect();
    out.extend(transcription_gate(&facts.transcriptions));
    out.extend(item_gates(&facts.items, &facts.consultation.publication_languages));
    out.extend(suggestion_gate(&facts.unresolved_suggestions));
    out.extend(coverage_gaps(&facts.coverage).into_iter().map(Failure::Coverage));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::ismap;
    use crate::domain::triage::TriageState;
    use chrono::TimeZone;

    fn tokyo(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Tokyo.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_window_must_have_closed_for_post_too() {
        let c = ismap("");
        // closes_at is 27 April 00:00 Tokyo; letters count if they arrive on 26 April.
        assert!(window_gate(&c, tokyo(2020, 4, 20, 12, 0)).is_some(), "still open online");
        assert_eq!(
            window_gate(&c, tokyo(2020, 4, 26, 23, 59)),
            Some(Failure::WindowOpen { until: tokyo(2020, 4, 27, 0, 0) })
        );
        assert_eq!(window_gate(&c, tokyo(2020, 4, 27, 0, 0)), None);
        // A later postal deadline keeps the gate shut until its day has ended in Tokyo.
        let mut late_post = ismap("");
        late_post.postal_arrival_deadline = chrono::NaiveDate::from_ymd_opt(2020, 4, 28);
        assert!(window_gate(&late_post, tokyo(2020, 4, 28, 23, 0)).is_some(), "a letter may still arrive today");
        assert_eq!(window_gate(&late_post, tokyo(2020, 4, 29, 0, 0)), None);
    }

    fn transcription(
        verification: Verification,
        typed: i64,
        corrected: Option<i64>,
        verified: Option<i64>,
    ) -> TranscriptionFacts {
        TranscriptionFacts {
            receipt_number: "R".into(),
            verification,
            hands: Hands { transcribed_by: Some(typed), corrected_by: corrected },
            verified_by: verified,
        }
    }

    #[test]
    fn every_transcription_is_verified_by_a_fresh_pair_of_eyes() {
        use Verification::*;
        let r = || "R".to_string();
        assert!(transcription_gate(&[transcription(Verified, 1, None, Some(2))]).is_empty());
        assert_eq!(
            transcription_gate(&[transcription(Unverified, 1, None, None)]),
            vec![Failure::Unverified { receipt_number: r() }]
        );
        assert_eq!(
            transcription_gate(&[transcription(SentBack, 1, None, Some(2))]),
            vec![Failure::Unverified { receipt_number: r() }]
        );
        // The second clerk corrected a verified fax and verified it themselves.
        assert_eq!(
            transcription_gate(&[transcription(Verified, 1, Some(2), Some(2))]),
            vec![Failure::VerifiedByOwnHands { receipt_number: r() }]
        );
        assert!(transcription_gate(&[transcription(Verified, 1, Some(2), Some(3))]).is_empty());
    }

    fn item(id: i64, status: ItemStatus, created: i64, edited: i64, approved: Option<i64>, linked: usize) -> ItemFacts {
        ItemFacts {
            id,
            status,
            hands: ItemHands { created_by: Some(created), edited_by: Some(edited) },
            approved_by: approved,
            text: ItemText {
                summary_ja: "要旨".into(),
                summary_en: "Summary".into(),
                view_ja: "考え方".into(),
                view_en: "View".into(),
                ..Default::default()
            },
            linked,
        }
    }

    #[test]
    fn items_in_the_results_are_approved_by_someone_else_and_in_every_language() {
        use ItemStatus::*;
        let both = [Locale::Ja, Locale::En];
        assert!(item_gates(&[item(1, Approved, 1, 2, Some(3), 4)], &both).is_empty());
        assert!(item_gates(&[item(1, Draft, 1, 1, None, 0)], &both).is_empty(), "an unused draft is not published");
        assert_eq!(item_gates(&[item(1, Draft, 1, 1, None, 2)], &both), vec![Failure::ItemNotApproved { item_id: 1 }]);
        assert_eq!(
            item_gates(&[item(1, Approved, 3, 3, Some(3), 1)], &both),
            vec![Failure::ItemApprovedByOwnHands { item_id: 1 }],
            "an approver wrote it and approved it"
        );
        let mut no_english = item(2, Approved, 1, 1, Some(3), 1);
        no_english.text.view_en.clear();
        assert_eq!(
            item_gates(&[no_english.clone()], &both),
            vec![Failure::ItemMissingLanguage { item_id: 2, locale: Locale::En }]
        );
        assert!(item_gates(&[no_english], &[Locale::Ja]).is_empty());
    }

    #[test]
    fn all_gates_together_and_nothing_once_fixed() {
        let c = ismap("");
        let after = tokyo(2020, 5, 1, 9, 0);
        let coverage =
            vec![Coverage { opinion_id: 7, considered: true, state: TriageState::New, has_reason: false, item: None }];
        let facts = Facts {
            consultation: &c,
            now: tokyo(2020, 4, 26, 12, 0),
            transcriptions: vec![transcription(Verification::Unverified, 1, None, None)],
            items: vec![item(1, ItemStatus::Approved, 3, 3, Some(3), 1)],
            unresolved_suggestions: vec![(7, 2), (8, 0)],
            coverage,
        };
        let gates: Vec<Gate> = failures(&facts).iter().map(Failure::gate).collect();
        assert_eq!(
            gates,
            vec![Gate::Window, Gate::FourEyesTranscriptions, Gate::FourEyesItems, Gate::Suggestions, Gate::Coverage]
        );
        let fixed = Facts {
            now: after,
            transcriptions: vec![transcription(Verification::Verified, 1, None, Some(2))],
            items: vec![item(1, ItemStatus::Approved, 3, 3, Some(4), 1)],
            unresolved_suggestions: vec![],
            coverage: vec![Coverage {
                opinion_id: 7,
                considered: true,
                state: TriageState::Answered,
                has_reason: false,
                item: Some((1, true)),
            }],
            ..facts
        };
        assert_eq!(failures(&fixed), vec![]);
    }
}
