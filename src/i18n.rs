//! Words and dates in Japanese and English. Strings live in `locales/messages.toml`.
use crate::domain::attachment::AttachmentProblem;
use crate::domain::consultation::SubmitterField;
use crate::domain::transcription::Verification;
use crate::domain::triage::TriageState;
use crate::domain::{Channel, FieldError, FieldPath, Locale, Problem};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(serde::Deserialize)]
struct Entry {
    ja: String,
    en: String,
}

static MESSAGES: LazyLock<HashMap<String, Entry>> =
    LazyLock::new(|| toml::from_str(include_str!("../locales/messages.toml")).expect("locales/messages.toml is valid"));

/// Translations for one locale; templates call `t.t("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Self {
        Self { locale }
    }

    /// The message for `key`; a missing key shows itself so it is noticed, never panics.
    pub fn t(&self, key: &str) -> &'static str {
        match MESSAGES.get(key) {
            Some(entry) => match self.locale {
                Locale::Ja => entry.ja.as_str(),
                Locale::En => entry.en.as_str(),
            },
            None => {
                tracing::warn!(key, "missing translation");
                "??"
            }
        }
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }
}

pub fn has_key(key: &str) -> bool {
    MESSAGES.contains_key(key)
}

const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// 2020年4月26日（日） / Sunday 26 April 2020
/// A Japanese phone number as its readers dial it: in domestic form on Japanese pages
/// ("+81 3 5253 5920" → "03-5253-5920"), as given (international) on English ones.
pub fn phone(locale: Locale, number: &str) -> String {
    let trimmed = number.trim();
    let Some(rest) = trimmed.strip_prefix("+81").filter(|_| locale == Locale::Ja) else {
        return trimmed.to_string();
    };
    let groups: Vec<&str> = rest.split([' ', '-']).filter(|g| !g.is_empty()).collect();
    match groups.split_first() {
        Some((area, others)) => {
            let area = area.trim_start_matches('0');
            std::iter::once(format!("0{area}"))
                .chain(others.iter().map(|g| g.to_string()))
                .collect::<Vec<_>>()
                .join("-")
        }
        None => trimmed.to_string(),
    }
}

pub fn date(locale: Locale, d: NaiveDate) -> String {
    match locale {
        Locale::Ja => format!(
            "{}年{}月{}日（{}）",
            d.year(),
            d.month(),
            d.day(),
            WEEKDAYS_JA[d.weekday().num_days_from_monday() as usize]
        ),
        Locale::En => format!("{} {} {} {}", d.weekday_name(), d.day(), MONTHS_EN[d.month0() as usize], d.year()),
    }
}

trait WeekdayName {
    fn weekday_name(&self) -> &'static str;
}

impl WeekdayName for NaiveDate {
    fn weekday_name(&self) -> &'static str {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            [self.weekday().num_days_from_monday() as usize]
    }
}

/// The name of a time zone as people say it.
pub fn zone_name(locale: Locale, tz: Tz) -> String {
    match (tz, locale) {
        (chrono_tz::Asia::Tokyo, Locale::Ja) => "日本時間".into(),
        (chrono_tz::Asia::Tokyo, Locale::En) => "Japan time".into(),
        (tz, _) => tz.name().to_string(),
    }
}

/// A file's size as people read it, with the exact count: "1.2 MB (1,234,567バイト)".
pub fn file_size(locale: Locale, bytes: u64) -> String {
    let digits = bytes.to_string();
    let mut exact = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            exact.push(',');
        }
        exact.push(c);
    }
    let rough = match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        _ => String::new(),
    };
    let unit = if locale == Locale::Ja { "バイト" } else { " bytes" };
    if rough.is_empty() {
        format!("{exact}{unit}")
    } else {
        format!("{rough} ({exact}{unit})")
    }
}

/// 2020年4月26日（日）23時59分（日本時間） / 23:59 on Sunday 26 April 2020 (Japan time)
pub fn datetime(locale: Locale, at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let day = date(locale, local.date_naive());
    match locale {
        Locale::Ja => format!("{day}{}時{:02}分（{}）", local.hour(), local.minute(), zone_name(locale, tz)),
        Locale::En => format!("{:02}:{:02} on {day} ({})", local.hour(), local.minute(), zone_name(locale, tz)),
    }
}

/// The last minute that still counts, since `closes_at` itself is excluded: people read
/// "until 23:59 on the 26th", not "until 00:00 on the 27th".
pub fn deadline(locale: Locale, closes_at: DateTime<Utc>, tz: Tz) -> String {
    let last_minute = closes_at - chrono::Duration::minutes(1);
    match locale {
        Locale::Ja => format!("{}まで", datetime(locale, last_minute, tz)),
        Locale::En => format!("until {}", datetime(locale, last_minute, tz)),
    }
}

/// How a submission arrived, as people call it.
pub fn channel_label(locale: Locale, channel: Channel) -> &'static str {
    Tr::new(locale).t(match channel {
        Channel::Web => "channel_web",
        Channel::Api => "channel_api",
        Channel::Postal => "channel_postal",
        Channel::Fax => "channel_fax",
        Channel::Email => "channel_email",
    })
}

/// Where an opinion stands in triage.
pub fn triage_state_label(locale: Locale, state: TriageState) -> &'static str {
    Tr::new(locale).t(match state {
        TriageState::New => "ts_new",
        TriageState::InReview => "ts_in_review",
        TriageState::Answered => "ts_answered",
        TriageState::OutOfScope => "ts_out_of_scope",
        TriageState::Abusive => "ts_abusive",
        TriageState::Duplicate => "ts_duplicate",
    })
}

/// Where a transcription stands in its second check.
pub fn verification_label(locale: Locale, state: Verification) -> &'static str {
    Tr::new(locale).t(match state {
        Verification::Unverified => "state_unverified",
        Verification::SentBack => "state_sent_back",
        Verification::Verified => "state_verified",
    })
}

/// The label of a field as the form shows it.
pub fn field_label(locale: Locale, field: FieldPath) -> String {
    let t = Tr::new(locale);
    let opinion = |i: usize, key: &str| match locale {
        Locale::Ja => format!("{}{}の{}", t.t("opinion_legend"), i + 1, t.t(key)),
        Locale::En => format!("{} (opinion {})", t.t(key), i + 1),
    };
    match field {
        FieldPath::Submitter(SubmitterField::Name) => t.t("name_label").into(),
        FieldPath::Submitter(SubmitterField::Organization) => t.t("organization_label").into(),
        FieldPath::Submitter(SubmitterField::Email) => t.t("email_label").into(),
        FieldPath::Submitter(SubmitterField::PostalAddress) => t.t("postal_address_label").into(),
        FieldPath::Submitter(SubmitterField::Phone) => t.t("phone_label_form").into(),
        FieldPath::Opinions => t.t("opinion_legend").into(),
        FieldPath::Draft(i) => opinion(i, "draft_label"),
        FieldPath::Location(i) => opinion(i, "location_label"),
        FieldPath::Body(i) => opinion(i, "body_label"),
        FieldPath::Reason(i) => opinion(i, "reason_label"),
        FieldPath::NotesAgreement => t.t("agree_to_notes_label").into(),
    }
}

/// A message that says what to do, never just "invalid".
pub fn field_message(locale: Locale, error: &FieldError) -> String {
    let label = field_label(locale, error.field);
    match (locale, error.problem) {
        (Locale::Ja, Problem::Required) => format!("{label}を入力してください。"),
        (Locale::En, Problem::Required) => format!("Enter {}", lower_first(&label)),
        (Locale::Ja, Problem::TooLong { max }) => {
            format!("{label}は{max}文字以内で入力してください。")
        }
        (Locale::En, Problem::TooLong { max }) => {
            format!("{label}: shorten it to {max} characters or fewer")
        }
        (Locale::Ja, Problem::ControlCharacters) => {
            format!("{label}に使用できない制御文字が含まれています。削除してください。")
        }
        (Locale::En, Problem::ControlCharacters) => {
            format!("{label}: remove the control characters it contains")
        }
        (Locale::Ja, Problem::MultipleLines) => format!("{label}は改行せず1行で入力してください。"),
        (Locale::En, Problem::MultipleLines) => format!("{label}: write it on one line"),
        (Locale::Ja, Problem::Email) => "メールアドレスを name@example.jp のような形式で入力してください。".into(),
        (Locale::En, Problem::Email) => "Enter an email address like name@example.com".into(),
        (Locale::Ja, Problem::UnknownDraft) => {
            format!("{label}：一覧から対象の案を選んでください。")
        }
        (Locale::En, Problem::UnknownDraft) => format!("{label}: choose a draft from the list"),
        (Locale::Ja, Problem::NoOpinions) => "意見を1件以上入力してください。".into(),
        (Locale::En, Problem::NoOpinions) => "Enter at least one opinion".into(),
        (Locale::Ja, Problem::TooManyOpinions { max }) => {
            format!("一度に提出できる意見は{max}件までです。分けて提出してください。")
        }
        (Locale::En, Problem::TooManyOpinions { max }) => {
            format!("Send at most {max} opinions at once; send the rest separately")
        }
        (Locale::Ja, Problem::NotAgreed) => "注意事項をお読みになり、同意する場合はチェックを入れてください。".into(),
        (Locale::En, Problem::NotAgreed) => "Read the notes and tick the box to agree to them".into(),
    }
}

/// A size limit, which is a round number: "10 MB", "64 KB".
pub fn limit_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{} MB", format!("{:.1}", b as f64 / 1048576.0).trim_end_matches(".0")),
        b => format!("{} KB", (b as f64 / 1024.0).ceil()),
    }
}

/// What is wrong with an attached file, naming it, and what to do.
pub fn attachment_message(locale: Locale, problem: &AttachmentProblem) -> String {
    use AttachmentProblem::*;
    match (locale, problem) {
        (Locale::Ja, NotAccepted) => "この意見募集では、ファイルを添付できません。".into(),
        (Locale::En, NotAccepted) => "This consultation does not take attached files".into(),
        (Locale::Ja, TooManyFiles { max }) => format!("添付できるファイルは{max}個までです。"),
        (Locale::En, TooManyFiles { max }) => format!("Attach at most {max} files"),
        (Locale::Ja, FileTooLarge { name, max_bytes }) => {
            format!("「{name}」は大きすぎます。1ファイル{}までにしてください。", limit_size(*max_bytes))
        }
        (Locale::En, FileTooLarge { name, max_bytes }) => {
            format!("\"{name}\" is too large: each file may be at most {}", limit_size(*max_bytes))
        }
        (Locale::Ja, TotalTooLarge { max_bytes }) => {
            format!("添付ファイルの合計は{}までです。ファイルを減らしてください。", limit_size(*max_bytes))
        }
        (Locale::En, TotalTooLarge { max_bytes }) => {
            format!("The attached files may total at most {}: attach fewer", limit_size(*max_bytes))
        }
        (Locale::Ja, WrongType { name }) => {
            format!("「{name}」は受け付けられない種類のファイルです。PDF、画像（PNG・JPEG）、テキストなどの受け付ける形式で添付してください。")
        }
        (Locale::En, WrongType { name }) => {
            format!("\"{name}\" is not a kind of file this consultation takes: attach it as one of the kinds listed")
        }
        (Locale::Ja, Empty { name }) => format!("「{name}」は空のファイルです。"),
        (Locale::En, Empty { name }) => format!("\"{name}\" is empty"),
        (Locale::Ja, Refused { name }) => {
            format!("「{name}」はウイルス検査で受け付けられませんでした。ファイルを確認してください。")
        }
        (Locale::En, Refused { name }) => format!("\"{name}\" was refused by the virus check: check the file"),
        (Locale::Ja, Missing { name }) => {
            format!("「{name}」は保存期間を過ぎたため破棄されました。もう一度添付してください。")
        }
        (Locale::En, Missing { name }) => format!("\"{name}\" was kept too long and discarded: attach it again"),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            // Keep acronyms and names as they are; lower-case only a capitalized common word.
            let rest: String = chars.collect();
            if rest.chars().next().is_some_and(|c| c.is_lowercase()) {
                first.to_lowercase().collect::<String>() + &rest
            } else {
                first.to_string() + &rest
            }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn japanese_pages_show_phone_numbers_as_dialled_at_home() {
        assert_eq!(super::phone(Locale::Ja, "+81 3 5253 5920"), "03-5253-5920");
        assert_eq!(super::phone(Locale::Ja, "+81-90-1234-5678"), "090-1234-5678");
        assert_eq!(super::phone(Locale::En, "+81 3 5253 5920"), "+81 3 5253 5920");
        assert_eq!(super::phone(Locale::Ja, "03-5253-5920"), "03-5253-5920", "already domestic");
    }

    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_message_has_both_languages() {
        for (key, entry) in MESSAGES.iter() {
            assert!(!entry.ja.is_empty(), "{key} has no Japanese");
            assert!(!entry.en.is_empty(), "{key} has no English");
        }
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let mut missing = Vec::new();
        for dir in ["templates", "templates/public", "templates/email", "templates/staff"] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split("t(\"").skip(1) {
                    let key = part.split('"').next().unwrap();
                    if !has_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing translations: {missing:?}");
    }

    #[test]
    fn formats_dates_the_way_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2020, 4, 26).unwrap();
        assert_eq!(date(Locale::Ja, d), "2020年4月26日（日）");
        assert_eq!(date(Locale::En, d), "Sunday 26 April 2020");
    }

    #[test]
    fn the_deadline_reads_as_the_last_minute_in_the_consultation_zone() {
        let closes = Utc.with_ymd_and_hms(2020, 4, 26, 15, 0, 0).unwrap();
        assert_eq!(deadline(Locale::Ja, closes, chrono_tz::Asia::Tokyo), "2020年4月26日（日）23時59分（日本時間）まで");
        assert_eq!(
            deadline(Locale::En, closes, chrono_tz::Asia::Tokyo),
            "until 23:59 on Sunday 26 April 2020 (Japan time)"
        );
    }
}
