//! Text as people typed it: NFC-normalized, line endings unified, control characters refused.
use unicode_normalization::UnicodeNormalization;
use validator::{ValidateEmail, ValidateUrl};

/// Normalizes to NFC and turns CR LF / CR into LF (browsers send CR LF from a textarea).
pub fn normalize(raw: &str) -> String {
    let unified = if raw.contains('\r') { raw.replace("\r\n", "\n").replace('\r', "\n") } else { raw.to_string() };
    // Nearly all text arrives composed, and nearly all of it in scripts that cannot combine:
    // those need no table look-up at all; the quick check spares rebuilding the rest.
    if unified.chars().all(stands_alone) {
        return unified;
    }
    match unicode_normalization::is_nfc_quick(unified.chars()) {
        unicode_normalization::IsNormalized::Yes => unified,
        _ => unified.nfc().collect(),
    }
}

/// Characters that are NFC as they stand and never combine with what comes before them
/// (canonical combining class 0, NFC quick check Yes): Latin below the combining marks, CJK
/// punctuation, kana and ideographs, full- and halfwidth forms. A string of only these is NFC;
/// a combining mark after one of them is not in the set, so such a string takes the full check.
fn stands_alone(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{2FF}'
            | '\u{3000}'..='\u{3029}'
            | '\u{3030}'..='\u{3098}'
            | '\u{309B}'..='\u{30FF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{FF01}'..='\u{FFEF}'
    )
}

/// Control characters other than newline and tab have no place in an opinion.
pub fn has_forbidden_control(text: &str, allow_newlines: bool) -> bool {
    text.chars().any(|c| {
        let allowed = c == '\t' || (allow_newlines && c == '\n');
        (c.is_control() && !allowed) || matches!(c, '\u{2028}' | '\u{2029}')
    })
}

pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// The HTML5 syntax check (validator's), plus a dotted domain: an address people type for a
/// receipt is never on a bare host name. Delivery is the real test; this catches typing
/// mistakes.
/// The language a person's text is written in, where it shows (WCAG 3.1.2 asks pages to mark
/// it): Japanese when it has kana or kanji, English when it is mostly Latin letters, else
/// unknown (""). Only "ja" and "en" are told apart: the languages pubcom takes opinions in.
pub fn language_of(text: &str) -> &'static str {
    let (mut latin, mut letters) = (0usize, 0usize);
    for c in text.chars() {
        if matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff66}'..='\u{ff9d}')
        {
            return "ja";
        }
        if c.is_alphabetic() {
            letters += 1;
            latin += usize::from(c.is_ascii_alphabetic());
        }
    }
    if letters > 0 && latin * 10 >= letters * 9 {
        "en"
    } else {
        ""
    }
}

pub fn looks_like_email(text: &str) -> bool {
    text.validate_email() && text.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.'))
}

/// An absolute http(s) URL, for links the public follows (draft texts, contact forms).
pub fn is_web_url(text: &str) -> bool {
    text.validate_url() && (text.starts_with("https://") || text.starts_with("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_stands_alone_needs_no_normalizing_by_the_unicode_tables() {
        use unicode_normalization::char::canonical_combining_class;
        use unicode_normalization::{is_nfc_quick, IsNormalized};
        let mut checked = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32).filter(|c| stands_alone(*c)) {
            assert_eq!(canonical_combining_class(c), 0, "{c:?} combines");
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?} is not NFC alone");
            checked += 1;
        }
        assert!(checked > 20_000, "the ideographs, kana and Latin are covered: {checked}");
        // A base letter then a combining mark is composed, not passed through.
        assert_eq!(normalize("か\u{3099}"), "が");
        assert_eq!(normalize("e\u{301}"), "é");
        assert_eq!(normalize("監査の頻度。Audit\r\n"), "監査の頻度。Audit\n");
        // Compatibility ideographs are not NFC and are left to the tables.
        assert_eq!(normalize("\u{F900}"), "\u{8C48}");
    }

    #[test]
    fn normalizes_to_nfc_and_unifies_line_endings() {
        // "が" written as か + combining dakuten
        assert_eq!(normalize("か\u{3099}\r\nx\ry"), "が\nx\ny");
        // Composed text passes the quick check unchanged; a mix still gets composed.
        assert_eq!(normalize("監査の頻度が\n明確"), "監査の頻度が\n明確");
        assert_eq!(normalize("が か\u{3099}"), "が が");
    }

    #[test]
    fn refuses_control_characters_but_not_newlines_or_tabs() {
        assert!(!has_forbidden_control("a\n\tb", true));
        assert!(has_forbidden_control("a\nb", false));
        assert!(has_forbidden_control("a\u{0007}b", true));
        assert!(has_forbidden_control("a\u{2028}b", true));
    }

    #[test]
    fn checks_email_syntax_plainly() {
        assert!(looks_like_email("taro.yamada@example.go.jp"));
        assert!(looks_like_email("a+tag@example.com"));
        assert!(!looks_like_email("no-at-sign.example.com"));
        assert!(!looks_like_email("a@localhost"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(!looks_like_email("a@example.com\nBcc: x@evil.test"));
        assert!(!looks_like_email("taro@example..jp"));
    }

    #[test]
    fn links_for_the_public_are_absolute_web_urls() {
        assert!(is_web_url("https://www.soumu.go.jp/common/english_opinions.html"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("/relative/path"));
        assert!(!is_web_url("ftp://example.com/x"));
    }

    #[test]
    fn the_language_of_a_text_is_told_where_it_shows() {
        assert_eq!(super::language_of("監査の頻度を明確にしてください。"), "ja");
        assert_eq!(super::language_of("ISMAP の管理基準"), "ja", "kana or kanji make it Japanese");
        assert_eq!(super::language_of("Please state the audit interval."), "en");
        assert_eq!(super::language_of("3.2.1"), "", "no letters: unknown");
        assert_eq!(super::language_of("Привет мир"), "", "neither");
    }
}
