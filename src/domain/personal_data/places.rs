//! Street addresses: a place name, then the number part.
use super::numbers::{digit, is_hyphen};
use super::{Finding, Kind};

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

pub(super) fn is_cjk(c: char) -> bool {
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
pub(super) fn addresses(chars: &[char]) -> Vec<Finding> {
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
