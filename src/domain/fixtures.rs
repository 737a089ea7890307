//! Consultations for the domain's unit tests: the 2020 ISMAP window in Tokyo time.
use super::consultation::{Consultation, ConsultationFile};

/// The seed case's window and postal deadline, one draft (`basic-rules`), and `rules` (TOML
/// inline-table body, e.g. `required = ["name"]`).
pub fn ismap(rules: &str) -> Consultation {
    let text = format!(
        r#"
slug = "ismap"
time_zone = "Asia/Tokyo"
opens_at = "2020-03-27T15:00:00+09:00"
closes_at = "2020-04-27T00:00:00+09:00"
postal_arrival_deadline = "2020-04-26"
title = {{ en = "ISMAP" }}
rules = {{ {rules} }}
[[drafts]]
code = "basic-rules"
title = {{ en = "Basic rules" }}
"#
    );
    Consultation::try_from(ConsultationFile::from_toml(&text).expect("fixture parses")).expect("fixture is valid")
}
