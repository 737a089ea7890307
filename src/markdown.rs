//! Staff-written Markdown becomes `SanitizedHtml` here and only here; opinion text is never
//! passed through it (it is plain text, escaped by the templates).
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// HTML that has been through the sanitizer: safe to insert into a page as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct SanitizedHtml(String);

impl SanitizedHtml {
    pub fn from_markdown(markdown: &str) -> Self {
        let mut options = pulldown_cmark::Options::empty();
        options.insert(pulldown_cmark::Options::ENABLE_TABLES);
        options.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
        let parser = pulldown_cmark::Parser::new_ext(markdown, options);
        let mut raw = String::new();
        pulldown_cmark::html::push_html(&mut raw, parser);
        let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
        let clean = ammonia::Builder::default()
            .url_schemes(schemes)
            .link_rel(Some("noopener noreferrer nofollow"))
            .clean(&raw)
            .to_string();
        Self(clean)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of staff-written Markdown without its marks, for spreadsheets and CSV: paragraphs
/// and list items on lines of their own, links as their text.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut out = String::new();
    for event in pulldown_cmark::Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push('・'),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::CodeBlock) => out.push('\n'),
            // Raw HTML in staff Markdown is dropped, as the sanitizer drops it on pages.
            _ => {}
        }
    }
    out.trim_end().to_string()
}

impl std::fmt::Display for SanitizedHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_dangerous_html_removed() {
        let html = SanitizedHtml::from_markdown(
            "**Changed** as [proposed](https://example.go.jp).\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        let s = html.as_str();
        assert!(s.contains("<strong>Changed</strong>"));
        assert!(s.contains("href=\"https://example.go.jp\""));
        assert!(!s.contains("<script"));
        assert!(!s.contains("javascript:"));
        assert!(!s.contains("onerror"));
    }

    #[test]
    fn plain_text_keeps_the_words_and_drops_marks_and_html() {
        let md = "**Changed** as [proposed](https://example.go.jp).\n\n- one\n- two\n\n<script>alert(1)</script>";
        assert_eq!(plain_text(md), "Changed as proposed.\n・one\n・two");
    }
}
