use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The two languages every public page and email is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Ja,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ja, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    pub fn other(self) -> Locale {
        match self {
            Locale::Ja => Locale::En,
            Locale::En => Locale::Ja,
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Locale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "ja-jp" | "jpn" => Ok(Locale::Ja),
            "en" | "en-us" | "en-gb" | "eng" => Ok(Locale::En),
            other => Err(format!("unknown locale '{other}' (expected 'ja' or 'en')")),
        }
    }
}

/// Text the body provides in one or both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Localized {
    pub fn new(ja: &str, en: &str) -> Self {
        Self { ja: Some(ja.to_string()), en: Some(en.to_string()) }
    }

    /// The text in `locale`, falling back to the other language rather than showing nothing.
    pub fn get(&self, locale: Locale) -> &str {
        self.exact(locale).or_else(|| self.exact(locale.other())).unwrap_or("")
    }

    /// Whether `get(locale)` had to fall back to the other language.
    pub fn falls_back(&self, locale: Locale) -> bool {
        self.exact(locale).is_none() && self.exact(locale.other()).is_some()
    }

    pub fn exact(&self, locale: Locale) -> Option<&str> {
        match locale {
            Locale::Ja => self.ja.as_deref(),
            Locale::En => self.en.as_deref(),
        }
        .filter(|s| !s.trim().is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.exact(Locale::Ja).is_none() && self.exact(Locale::En).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_the_other_language() {
        let only_ja = Localized { ja: Some("案".into()), en: None };
        assert_eq!(only_ja.get(Locale::En), "案");
        assert!(only_ja.falls_back(Locale::En));
        assert!(!only_ja.falls_back(Locale::Ja));
    }

    #[test]
    fn parses_locale_names() {
        assert_eq!("EN".parse::<Locale>().unwrap(), Locale::En);
        assert_eq!("ja-JP".parse::<Locale>().unwrap(), Locale::Ja);
        assert!("fr".parse::<Locale>().is_err());
    }
}
