//! Response items (意見の概要と考え方): the body's answer to a group of opinions, written in
//! Markdown per language, and the rules for approving one.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRefusal {
    AlreadyApproved,
}

/// Whether an item in `status` may be approved now.
pub fn may_approve(status: ItemStatus) -> Result<(), ApprovalRefusal> {
    match status {
        ItemStatus::Approved => Err(ApprovalRefusal::AlreadyApproved),
        ItemStatus::Draft => Ok(()),
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

    #[test]
    fn an_item_is_approved_once() {
        assert_eq!(may_approve(ItemStatus::Draft), Ok(()));
        assert_eq!(may_approve(ItemStatus::Approved), Err(ApprovalRefusal::AlreadyApproved));
        assert_eq!("approved".parse::<ItemStatus>(), Ok(ItemStatus::Approved));
    }
}
