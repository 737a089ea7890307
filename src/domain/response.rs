//! Response items (意見の概要と考え方): the body's answer to a group of opinions, written in
//! Markdown per language, and the rules for approving one.
use super::locale::Locale;
use std::str::FromStr;
use validator::Validate;

/// Longest text of one field of an item, in characters.
pub const MAX_ITEM_FIELD_CHARS: u64 = 20_000;

/// What staff write for one item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Validate)]
pub struct ItemText {
    #[validate(length(max = "MAX_ITEM_FIELD_CHARS"))]
    pub summary_ja: String,
    #[validate(length(max = "MAX_ITEM_FIELD_CHARS"))]
    pub summary_en: String,
    #[validate(length(max = "MAX_ITEM_FIELD_CHARS"))]
    pub view_ja: String,
    #[validate(length(max = "MAX_ITEM_FIELD_CHARS"))]
    pub view_en: String,
    pub changed: bool,
    #[validate(length(max = "MAX_ITEM_FIELD_CHARS"))]
    pub change_ja: String,
    #[validate(length(max = "MAX_ITEM_FIELD_CHARS"))]
    pub change_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Neither language has a summary of the opinions.
    NoSummary,
    /// Neither language has the body's view.
    NoView,
    /// A field is longer than `MAX_ITEM_FIELD_CHARS`.
    TooLong,
}

impl ItemText {
    /// Line endings unified and surrounding space trimmed, as every field is stored.
    pub fn tidy(mut self) -> Self {
        for field in [
            &mut self.summary_ja,
            &mut self.summary_en,
            &mut self.view_ja,
            &mut self.view_en,
            &mut self.change_ja,
            &mut self.change_en,
        ] {
            *field = field.replace("\r\n", "\n").trim().to_string();
        }
        self
    }

    /// An item needs at least a summary and a view, in some language, to be saved.
    pub fn check(&self) -> Result<(), TextProblem> {
        if self.validate().is_err() {
            Err(TextProblem::TooLong)
        } else if self.summary_ja.is_empty() && self.summary_en.is_empty() {
            Err(TextProblem::NoSummary)
        } else if self.view_ja.is_empty() && self.view_en.is_empty() {
            Err(TextProblem::NoView)
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Draft,
    Approved,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Draft => "draft",
            ItemStatus::Approved => "approved",
        }
    }
}

impl FromStr for ItemStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "draft" => Ok(ItemStatus::Draft),
            "approved" => Ok(ItemStatus::Approved),
            other => Err(format!("unknown response item status '{other}'")),
        }
    }
}

impl TryFrom<String> for ItemStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl ItemText {
    /// The languages among `languages` this item cannot be published in yet: each needs its
    /// summary and view, and its note on the change when the draft was changed.
    pub fn missing_languages(&self, languages: &[Locale]) -> Vec<Locale> {
        languages
            .iter()
            .copied()
            .filter(|l| {
                let (summary, view, change) = match l {
                    Locale::Ja => (&self.summary_ja, &self.view_ja, &self.change_ja),
                    Locale::En => (&self.summary_en, &self.view_en, &self.change_en),
                };
                summary.trim().is_empty() || view.trim().is_empty() || (self.changed && change.trim().is_empty())
            })
            .collect()
    }
}

/// Who wrote an item and who last changed its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemHands {
    pub created_by: Option<i64>,
    pub edited_by: Option<i64>,
}

impl ItemHands {
    /// Four eyes: whether `who` wrote or last edited the item.
    pub fn includes(&self, who: i64) -> bool {
        self.created_by == Some(who) || self.edited_by == Some(who)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRefusal {
    AlreadyApproved,
    /// Nobody approves an item they wrote or last edited.
    OwnWork,
    /// The item lacks text in a language the consultation publishes in.
    MissingLanguage(Locale),
}

/// Whether `approver` may approve an item in `status`, written and edited by `hands`, whose
/// text is `text`, for a consultation publishing in `languages`.
pub fn may_approve(
    status: ItemStatus,
    hands: ItemHands,
    approver: i64,
    text: &ItemText,
    languages: &[Locale],
) -> Result<(), ApprovalRefusal> {
    if status == ItemStatus::Approved {
        return Err(ApprovalRefusal::AlreadyApproved);
    }
    if hands.includes(approver) {
        return Err(ApprovalRefusal::OwnWork);
    }
    match text.missing_languages(languages).first() {
        Some(locale) => Err(ApprovalRefusal::MissingLanguage(*locale)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_needs_a_summary_and_a_view_in_some_language() {
        let text = |s: &str, v: &str| ItemText { summary_en: s.into(), view_ja: v.into(), ..Default::default() };
        assert_eq!(text("", "考え方").check(), Err(TextProblem::NoSummary));
        assert_eq!(text("Summary", "").check(), Err(TextProblem::NoView));
        assert_eq!(text("Summary", "考え方").check(), Ok(()));
        let long = ItemText { view_en: "x".repeat(20_001), ..text("Summary", "考え方") };
        assert_eq!(long.check(), Err(TextProblem::TooLong));
        let tidy = ItemText { summary_ja: "  a\r\nb ".into(), ..Default::default() }.tidy();
        assert_eq!(tidy.summary_ja, "a\nb");
    }

    fn both_languages() -> ItemText {
        ItemText {
            summary_ja: "要旨".into(),
            summary_en: "Summary".into(),
            view_ja: "考え方".into(),
            view_en: "View".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_item_is_approved_once_by_someone_who_neither_wrote_nor_last_edited_it() {
        let both = [Locale::Ja, Locale::En];
        let hands = ItemHands { created_by: Some(1), edited_by: Some(2) };
        let text = both_languages();
        assert_eq!(may_approve(ItemStatus::Draft, hands, 3, &text, &both), Ok(()));
        assert_eq!(may_approve(ItemStatus::Draft, hands, 1, &text, &both), Err(ApprovalRefusal::OwnWork));
        assert_eq!(may_approve(ItemStatus::Draft, hands, 2, &text, &both), Err(ApprovalRefusal::OwnWork));
        assert_eq!(may_approve(ItemStatus::Approved, hands, 3, &text, &both), Err(ApprovalRefusal::AlreadyApproved));
        assert_eq!("approved".parse::<ItemStatus>(), Ok(ItemStatus::Approved));
    }

    #[test]
    fn an_item_needs_text_in_every_language_the_consultation_publishes_in() {
        let both = [Locale::Ja, Locale::En];
        let hands = ItemHands::default();
        let no_english = ItemText { view_en: " ".into(), ..both_languages() };
        assert_eq!(no_english.missing_languages(&both), vec![Locale::En]);
        assert_eq!(
            may_approve(ItemStatus::Draft, hands, 3, &no_english, &both),
            Err(ApprovalRefusal::MissingLanguage(Locale::En))
        );
        assert!(may_approve(ItemStatus::Draft, hands, 3, &no_english, &[Locale::Ja]).is_ok());
        let changed = ItemText { changed: true, change_ja: "修正します".into(), ..both_languages() };
        assert_eq!(changed.missing_languages(&both), vec![Locale::En], "the change is explained in English too");
    }
}
