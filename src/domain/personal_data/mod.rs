//! Likely personal data in opinion text, for staff to withhold before publication: phone
//! numbers, email addresses, postal codes, street addresses, individual numbers (My Number),
//! payment card numbers and names with an honorific. Offsets count characters of the text as
//! stored (NFC), the end excluded. These are suggestions: staff accept or dismiss each.
mod numbers;
mod places;

use numbers::numbers;
use places::{addresses, is_cjk};
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
mod tests;
