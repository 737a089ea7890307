//! Numbers people write: phone numbers, individual numbers, payment cards and postal codes.
use super::{Finding, Kind};

pub(super) fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

pub(super) fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | 'ー' | '−' | '－' | '﹣')
}

pub(super) fn is_space(c: char) -> bool {
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

pub(super) fn numbers(chars: &[char]) -> Vec<Finding> {
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
