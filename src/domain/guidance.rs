//! What a consultation tells people besides its drafts: where else its notice is published,
//! the notes they agree to before sending (注意事項), how their personal data is used and
//! kept, the languages opinions may be written in, and the final document once adopted.
use super::locale::{Locale, Localized};
use super::text::is_web_url;
use serde::{Deserialize, Serialize};

/// One other place the notice is published (a press release, the e-Gov listing, paper
/// copies at a counter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub name: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Checks the guidance fields of a consultation file; the message names the field.
pub fn check(
    also_published: &[Notice],
    submission_languages: Option<&[Locale]>,
    final_document_url: Option<&str>,
) -> Result<(), String> {
    for (i, notice) in also_published.iter().enumerate() {
        if notice.name.is_empty() {
            return Err(format!("also_published[{i}]: name is empty"));
        }
        if let Some(url) = notice.url.as_deref().filter(|u| !u.is_empty() && !is_web_url(u)) {
            return Err(format!("also_published[{i}]: url '{url}' is not an http(s) address"));
        }
    }
    if submission_languages.is_some_and(|l| l.is_empty()) {
        return Err("submission_languages: name at least one of \"ja\" and \"en\"".into());
    }
    if let Some(url) = final_document_url.filter(|u| !u.is_empty() && !is_web_url(u)) {
        return Err(format!("final_document_url '{url}' is not an http(s) address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_must_be_web_addresses_and_names_given() {
        let press = Notice {
            name: Localized::new("報道資料", "Press release"),
            url: Some("https://www.soumu.go.jp".into()),
        };
        assert_eq!(
            check(std::slice::from_ref(&press), Some(&[Locale::Ja]), Some("https://example.go.jp/final.pdf")),
            Ok(())
        );
        let bad = Notice { url: Some("javascript:alert(1)".into()), ..press.clone() };
        assert!(check(&[bad], None, None).unwrap_err().contains("also_published[0]"));
        let nameless = Notice { name: Localized::default(), url: None };
        assert!(check(&[nameless], None, None).unwrap_err().contains("name is empty"));
        assert!(check(&[], Some(&[]), None).unwrap_err().contains("submission_languages"));
        assert!(check(&[], None, Some("ftp://x")).unwrap_err().contains("final_document_url"));
    }
}
