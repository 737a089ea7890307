//! Likely personal data in opinion text, for staff to withhold before publication: phone
//! numbers, email addresses, postal codes, street addresses, individual numbers (My Number),
//! payment card numbers and names with an honorific. Offsets count characters of the text as
//! stored (NFC), the end excluded. These are suggestions: staff accept or dismiss each.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Phone,
    Email,
    PostalCode,
    Address,
    IndividualNumber,
    PaymentCard,
    Name,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Phone,
        Kind::Email,
        Kind::PostalCode,
        Kind::Address,
        Kind::IndividualNumber,
        Kind::PaymentCard,
        Kind::Name,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::PostalCode => "postal_code",
            Kind::Address => "address",
            Kind::IndividualNumber => "individual_number",
            Kind::PaymentCard => "payment_card",
            Kind::Name => "name",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown personal data kind '{s}'"))
    }
}

/// One place in a text that looks like personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    /// Character offsets, end excluded.
    pub start: usize,
    pub end: usize,
}

/// Every finding in `text`, in order, none overlapping (the earlier, then the longer wins).
pub fn find(text: &str) -> Vec<Finding> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    found.extend(emails(&chars));
    found.extend(numbers(&chars));
    found.extend(addresses(&chars));
    found.extend(names(&chars));
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept: Vec<Finding> = Vec::new();
    for f in found {
        if kept.last().is_none_or(|last| f.start >= last.end) {
            kept.push(f);
        }
    }
    kept
}

fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | 'ー' | '−' | '－' | '﹣')
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{3000}'
}

fn is_plus(c: char) -> bool {
    c == '+' || c == '＋'
}

/// A run of digits, separators and brackets as numbers are written: `090-1111-2222`,
/// `+81 (3) 1234 5678`, `４１１１ １１１１ １１１１ １１１１`.
struct NumberRun {
    start: usize,
    end: usize,
    digits: Vec<u32>,
    plus: bool,
    /// Digits per group between separators.
    groups: Vec<usize>,
}

fn number_runs(chars: &[char]) -> Vec<NumberRun> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = digit(chars[i]).is_some()
            || (is_plus(chars[i]) && chars.get(i + 1).and_then(|c| digit(*c)).is_some())
            || (matches!(chars[i], '(' | '（') && chars.get(i + 1).and_then(|c| digit(*c)).is_some());
        // A number glued to a letter or digit before it is part of something else (a code).
        let glued = i > 0 && (chars[i - 1].is_ascii_alphanumeric() || digit(chars[i - 1]).is_some());
        if !starts_number || glued {
            i += 1;
            continue;
        }
        let start = i;
        let mut run = NumberRun { start, end: start, digits: Vec::new(), plus: false, groups: vec![0] };
        let mut last_digit_end = start;
        while i < chars.len() {
            let c = chars[i];
            if let Some(d) = digit(c) {
                run.digits.push(d);
                *run.groups.last_mut().expect("one group") += 1;
                last_digit_end = i + 1;
            } else if is_plus(c) && i == start {
                run.plus = true;
            } else if is_hyphen(c) || is_space(c) || matches!(c, '(' | ')' | '（' | '）') {
                // A separator counts only when a digit follows it within two characters.
                let next_digit = chars[i + 1..].iter().take(2).any(|c| digit(*c).is_some());
                if !next_digit {
                    break;
                }
                if run.groups.last().is_some_and(|n| *n > 0) {
                    run.groups.push(0);
                }
            } else {
                break;
            }
            i += 1;
        }
        run.end = last_digit_end;
        run.groups.retain(|n| *n > 0);
        // A run followed directly by a letter is a code, not a number someone dials or types.
        let glued_after = chars.get(run.end).is_some_and(|c| c.is_ascii_alphabetic());
        if !glued_after && !run.digits.is_empty() {
            runs.push(run);
        }
        i = i.max(run_end_or_next(start, last_digit_end));
    }
    runs
}

fn run_end_or_next(start: usize, end: usize) -> usize {
    end.max(start + 1)
}

fn numbers(chars: &[char]) -> Vec<Finding> {
    let mut out = Vec::new();
    for run in number_runs(chars) {
        let n = run.digits.len();
        let kind = if is_phone(&run) {
            Some(Kind::Phone)
        } else if n == 12 && run.groups.iter().all(|g| matches!(g, 4 | 12)) && my_number_check(&run.digits) {
            Some(Kind::IndividualNumber)
        } else if (13..=19).contains(&n) && !run.plus && luhn(&run.digits) && card_grouping(&run.groups) {
            Some(Kind::PaymentCard)
        } else if run.groups == [3, 4] && !run.plus && !preceded_by_year_or_word(chars, run.start) {
            Some(Kind::PostalCode)
        } else {
            None
        };
        if let Some(kind) = kind {
            // A postal mark just before the code belongs to it.
            let start = if kind == Kind::PostalCode { postal_mark_start(chars, run.start) } else { run.start };
            out.push(Finding { kind, start, end: run.end });
        }
    }
    out
}

fn postal_mark_start(chars: &[char], start: usize) -> usize {
    let mut s = start;
    while s > 0 && is_space(chars[s - 1]) {
        s -= 1;
    }
    if s > 0 && chars[s - 1] == '〒' {
        s - 1
    } else {
        start
    }
}

fn preceded_by_year_or_word(chars: &[char], start: usize) -> bool {
    start > 0 && (chars[start - 1] == '第' || chars[start - 1] == '.')
}

/// Japanese numbers: 10 or 11 digits from a leading 0, or +81 then 9 or 10 digits without
/// the 0, in at least two groups or as one unbroken run.
fn is_phone(run: &NumberRun) -> bool {
    let d = &run.digits;
    if run.plus {
        return d.len() >= 2 && d[0] == 8 && d[1] == 1 && (11..=12).contains(&d.len()) && d[2] != 0;
    }
    if d.first() != Some(&0) || !(10..=11).contains(&d.len()) {
        return false;
    }
    // An 11-digit number must be a mobile, IP or toll-free one (070/080/090/050/0120/0800).
    if d.len() == 11 && !matches!((d[1], d[2]), (7 | 8 | 9 | 5, 0) | (1, 2)) {
        return false;
    }
    run.groups.len() >= 2 || run.groups.len() == 1
}

/// The check digit of a 12-digit individual number (My Number).
fn my_number_check(d: &[u32]) -> bool {
    if d.len() != 12 {
        return false;
    }
    let sum: u32 = (1..=11)
        .map(|n| {
            let p = d[11 - n];
            let q = if n <= 6 { n as u32 + 1 } else { n as u32 - 5 };
            p * q
        })
        .sum();
    let remainder = sum % 11;
    let check = if remainder <= 1 { 0 } else { 11 - remainder };
    d[11] == check
}

fn luhn(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Cards are written unbroken or in groups of four (Amex: 4-6-5).
fn card_grouping(groups: &[usize]) -> bool {
    groups.len() == 1 || groups[..groups.len() - 1].iter().all(|g| *g == 4) || groups == [4, 6, 5]
}

fn emails(chars: &[char]) -> Vec<Finding> {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let domain = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let mut out = Vec::new();
    for (at, c) in chars.iter().enumerate() {
        if *c != '@' && *c != '＠' {
            continue;
        }
        let mut start = at;
        while start > 0 && local(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && domain(chars[end]) {
            end += 1;
        }
        while end > at + 1 && chars[end - 1] == '.' {
            end -= 1;
        }
        let host: String = chars[at + 1..end].iter().collect();
        let tld = host.rsplit('.').next().unwrap_or("");
        if start < at && host.contains('.') && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()) {
            out.push(Finding { kind: Kind::Email, start, end });
        }
    }
    out
}

const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | 'ヶ' | 'ケ')
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー')
}

/// Where a place name starts: a prefecture, or a run of kanji ending in 市, 区, 町 or 村.
fn place_starts(chars: &[char]) -> Vec<usize> {
    let text: String = chars.iter().collect();
    let mut starts: Vec<usize> = Vec::new();
    for p in PREFECTURES {
        for (byte, _) in text.match_indices(p) {
            starts.push(text[..byte].chars().count());
        }
    }
    for (i, c) in chars.iter().enumerate() {
        if matches!(c, '市' | '区' | '町' | '村') && i >= 1 {
            let mut s = i;
            while s > 0 && is_cjk(chars[s - 1]) && i - s < 6 {
                s -= 1;
            }
            if i - s >= 1 && !starts.iter().any(|p| *p <= s && s < *p + 5) {
                starts.push(s);
            }
        }
    }
    starts.sort_unstable();
    starts
}

/// A street address: a place name followed, within a short stretch of names, by the number
/// part (`2-1-2`, `1丁目2番3号`, `5番地`).
fn addresses(chars: &[char]) -> Vec<Finding> {
    let mut out = Vec::new();
    for start in place_starts(chars) {
        let mut i = start;
        let mut end = None;
        while i < chars.len() && i - start <= 40 {
            let c = chars[i];
            if digit(c).is_some() || is_kanji_numeral(c) {
                let mut j = i;
                let mut groups = 0;
                let mut marked = false;
                while j < chars.len() {
                    let cj = chars[j];
                    if digit(cj).is_some() || (!marked && is_kanji_numeral(cj)) {
                        j += 1;
                        continue;
                    }
                    if is_hyphen(cj) && chars.get(j + 1).and_then(|c| digit(*c)).is_some() {
                        groups += 1;
                        j += 1;
                        continue;
                    }
                    if let Some(mark) = ["丁目", "番地", "番", "号"].iter().find(|m| starts_with(chars, j, m)) {
                        marked = true;
                        groups += 1;
                        j += mark.chars().count();
                        continue;
                    }
                    break;
                }
                if groups >= 2 || (marked && groups >= 1) {
                    end = Some(j);
                }
                break;
            }
            if !(is_cjk(c) || is_kana(c)) {
                break;
            }
            i += 1;
        }
        if let Some(end) = end {
            out.push(Finding { kind: Kind::Address, start, end });
        }
    }
    out
}

fn is_kanji_numeral(c: char) -> bool {
    matches!(c, '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十')
}

fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    chars.len() >= at + w.len() && chars[at..at + w.len()] == w[..]
}

/// Words that take an honorific but name nobody.
const NOT_NAMES: [&str; 14] = [
    "皆",
    "各位",
    "関係者",
    "事業者",
    "利用者",
    "担当者",
    "申請者",
    "貴社",
    "御社",
    "お客",
    "客",
    "先",
    "事務局",
    "一般",
];

/// A personal name directly before 様, さん, 氏 or 殿: two to five kanji, or katakana.
fn names(chars: &[char]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let honorific = matches!(c, '様' | '氏' | '殿') || (*c == 'さ' && chars.get(i + 1) == Some(&'ん'));
        if !honorific || i == 0 {
            continue;
        }
        let katakana = |c: char| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・');
        let mut s = i;
        if is_cjk(chars[i - 1]) {
            while s > 0 && is_cjk(chars[s - 1]) && i - s < 5 {
                s -= 1;
            }
        } else if katakana(chars[i - 1]) {
            while s > 0 && katakana(chars[s - 1]) && i - s < 12 {
                s -= 1;
            }
        }
        let name: String = chars[s..i].iter().collect();
        if i - s >= 2 && !NOT_NAMES.iter().any(|w| name.ends_with(w)) {
            out.push(Finding { kind: Kind::Name, start: s, end: i });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The findings as (kind, the text found).
    fn found(text: &str) -> Vec<(Kind, String)> {
        let chars: Vec<char> = text.chars().collect();
        find(text).into_iter().map(|f| (f.kind, chars[f.start..f.end].iter().collect())).collect()
    }

    fn one(text: &str, kind: Kind, what: &str) {
        assert_eq!(found(text), vec![(kind, what.to_string())], "in {text:?}");
    }

    fn none(text: &str) {
        assert_eq!(found(text), vec![], "in {text:?}");
    }

    #[test]
    fn phone_numbers_in_every_way_they_are_written() {
        one("私の電話番号は090-1111-2222です", Kind::Phone, "090-1111-2222");
        one("電話 ０９０－１１１１－２２２２ まで", Kind::Phone, "０９０－１１１１－２２２２");
        one("call +81-90-1111-2222 please", Kind::Phone, "+81-90-1111-2222");
        one("call +81 3 1234 5678.", Kind::Phone, "+81 3 1234 5678");
        one("TEL 03(1234)5678", Kind::Phone, "03(1234)5678");
        one("携帯09011112222に", Kind::Phone, "09011112222");
        one("フリーダイヤル0120‐123‐456", Kind::Phone, "0120‐123‐456");
        one("電話：03 1234 5678", Kind::Phone, "03 1234 5678");
    }

    #[test]
    fn dates_versions_and_section_numbers_are_not_phone_numbers() {
        none("2020-04-26までに提出");
        none("令和2年4月26日");
        none("第3.2.1項");
        none("ISO/IEC 27017:2015");
        none("version 1.2.3");
        none("3,633件");
        none("1234567890"); // ten digits, not from a 0
    }

    #[test]
    fn email_addresses() {
        one("連絡先はtaro.yamada@example.co.jpです", Kind::Email, "taro.yamada@example.co.jp");
        one("mail: a+b@example.com.", Kind::Email, "a+b@example.com");
        none("@mention は個人情報ではない");
        none("user@localhost");
    }

    #[test]
    fn postal_codes_with_and_without_the_mark() {
        one("〒100-8926 東京", Kind::PostalCode, "〒100-8926");
        one("郵便番号 １００－８９２６", Kind::PostalCode, "１００－８９２６");
        none("2020-0426");
    }

    #[test]
    fn street_addresses_after_a_place_name() {
        one("住所は東京都千代田区霞が関2-1-2です", Kind::Address, "東京都千代田区霞が関2-1-2");
        one("大阪市北区梅田1丁目2番3号に住む", Kind::Address, "大阪市北区梅田1丁目2番3号");
        one("横浜市中区本町5番地", Kind::Address, "横浜市中区本町5番地");
        none("東京都の制度について");
        none("市区町村の対応");
    }

    #[test]
    fn individual_numbers_need_a_valid_check_digit() {
        // The check digit computed by the published rule, independently of `my_number_check`.
        let valid = {
            let d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1];
            let sum: u32 = (1..=11).map(|n| d[11 - n] * if n <= 6 { n as u32 + 1 } else { n as u32 - 5 }).sum();
            let r = sum % 11;
            format!("12345678901{}", if r <= 1 { 0 } else { 11 - r })
        };
        one(&format!("マイナンバーは{valid}です"), Kind::IndividualNumber, &valid);
        let spaced = format!("{} {} {}", &valid[..4], &valid[4..8], &valid[8..]);
        one(&format!("番号 {spaced}"), Kind::IndividualNumber, &spaced);
        let wrong_check = format!("{}{}", &valid[..11], (valid[11..].parse::<u32>().unwrap() + 1) % 10);
        none(&format!("番号{wrong_check}"));
    }

    #[test]
    fn payment_card_numbers_pass_luhn() {
        one("カード4111 1111 1111 1111で", Kind::PaymentCard, "4111 1111 1111 1111");
        one("card 5500-0000-0000-0004", Kind::PaymentCard, "5500-0000-0000-0004");
        none("card 4111 1111 1111 1112");
    }

    #[test]
    fn names_before_an_honorific() {
        one("担当の山田太郎様にお伝えください", Kind::Name, "山田太郎");
        one("田中さんが言うには", Kind::Name, "田中");
        one("鈴木一郎氏の発言", Kind::Name, "鈴木一郎");
        one("スミスさんへ", Kind::Name, "スミス");
        none("関係者様へ");
        none("皆様のご意見");
        none("お客様の立場から");
    }

    #[test]
    fn several_kinds_in_one_text_are_found_in_order() {
        let text = "山田太郎様（〒100-8926 東京都千代田区霞が関2-1-2、電話03-5253-5111、taro@example.jp）";
        let kinds: Vec<Kind> = find(text).iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![Kind::Name, Kind::PostalCode, Kind::Address, Kind::Phone, Kind::Email]);
    }
}
