//! Text as people typed it: NFC-normalized, line endings unified, control characters refused.
use unicode_normalization::UnicodeNormalization;

/// Normalizes to NFC and turns CR LF / CR into LF (browsers send CR LF from a textarea).
pub fn normalize(raw: &str) -> String {
    let unified = if raw.contains('\r') { raw.replace("\r\n", "\n").replace('\r', "\n") } else { raw.to_string() };
    // Nearly all text arrives composed already; the quick check spares rebuilding it.
    match unicode_normalization::is_nfc_quick(unified.chars()) {
        unicode_normalization::IsNormalized::Yes => unified,
        _ => unified.nfc().collect(),
    }
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

/// A deliberately plain syntax check: one '@', a local part, and a dotted domain without
/// spaces. Delivery is the real test; this catches typing mistakes.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let ok_chars = |s: &str| {
        s.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(c, '<' | '>' | '"' | ',' | ';' | '@' | '(' | ')' | '[' | ']' | '\\')
        })
    };
    !local.is_empty()
        && local.len() <= 64
        && ok_chars(local)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && ok_chars(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
