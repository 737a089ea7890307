//! A submission as typed (`SubmissionInput`, plain strings) becomes a `ValidSubmission` through
//! one parse that checks every field against the consultation's rules, or a list of field errors.
use super::consultation::{Consultation, SubmitterField};
pub use super::field::{submitter_key, FieldError, FieldPath, Problem};
use super::locale::Locale;
use super::text::{char_count, has_forbidden_control, looks_like_email, normalize};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionInput {
    pub name: String,
    pub organization: String,
    pub email: String,
    pub postal_address: String,
    pub phone: String,
    pub publish_organization: bool,
    pub locale: Locale,
    pub opinions: Vec<OpinionInput>,
    /// Whether the person ticked the box agreeing to the consultation's notes; `None` where
    /// no box was shown (the API, and letters staff transcribe).
    pub agreed_to_notes: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpinionInput {
    /// A draft code; empty for the consultation as a whole.
    pub draft: String,
    pub location: String,
    pub body: String,
    pub reason: String,
}

impl OpinionInput {
    /// The name of one part (`draft`, `location`, `body`, `reason`) of opinion block `i` in
    /// every form that takes opinions: `opinion-{i}-{part}`.
    pub fn field_name(i: usize, part: &str) -> String {
        format!("opinion-{i}-{part}")
    }

    /// Opinion blocks `0..count` as a form sent them; a missing field reads as empty.
    pub fn from_fields<'a>(count: usize, get: impl Fn(&str) -> Option<&'a str>) -> Vec<Self> {
        let part = |i: usize, name: &str| get(&Self::field_name(i, name)).unwrap_or("").to_string();
        (0..count)
            .map(|i| OpinionInput {
                draft: part(i, "draft"),
                location: part(i, "location"),
                body: part(i, "body"),
                reason: part(i, "reason"),
            })
            .collect()
    }
}

/// Personal details of the submitter. Never logged, never published.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Submitter {
    name: Option<String>,
    organization: Option<String>,
    email: Option<String>,
    postal_address: Option<String>,
    phone: Option<String>,
    publish_organization: bool,
}

impl std::fmt::Debug for Submitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Submitter(<personal data>)")
    }
}

impl Submitter {
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
    pub fn postal_address(&self) -> Option<&str> {
        self.postal_address.as_deref()
    }
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref()
    }
    pub fn publish_organization(&self) -> bool {
        self.publish_organization
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOpinion {
    draft: Option<String>,
    location: Option<String>,
    body: String,
    reason: Option<String>,
}

impl ValidOpinion {
    pub fn draft(&self) -> Option<&str> {
        self.draft.as_deref()
    }
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
    pub fn body(&self) -> &str {
        &self.body
    }
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// A submission that satisfied every rule of its consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSubmission {
    submitter: Submitter,
    locale: Locale,
    opinions: Vec<ValidOpinion>,
}

impl ValidSubmission {
    pub fn submitter(&self) -> &Submitter {
        &self.submitter
    }
    pub fn locale(&self) -> Locale {
        self.locale
    }
    pub fn opinions(&self) -> &[ValidOpinion] {
        &self.opinions
    }
}

struct Checker<'a> {
    errors: Vec<FieldError>,
    consultation: &'a Consultation,
    enforce_required: bool,
}

impl Checker<'_> {
    fn fail(&mut self, field: FieldPath, problem: Problem) {
        self.errors.push(FieldError { field, problem });
    }

    /// Normalizes one text field and checks it; empty optional fields become `None`.
    fn text(&mut self, field: FieldPath, raw: &str, max: usize, required: bool, multiline: bool) -> Option<String> {
        let normalized = normalize(raw);
        let text = if multiline {
            // Keep inner spacing exactly; drop only blank lines around the text.
            normalized.trim_matches(|c: char| c == '\n' || c == ' ' || c == '\u{3000}').to_string()
        } else {
            normalized.trim().to_string()
        };
        if text.trim().is_empty() {
            if required {
                self.fail(field, Problem::Required);
            }
            return None;
        }
        if !multiline && text.contains('\n') {
            self.fail(field, Problem::MultipleLines);
        } else if has_forbidden_control(&text, multiline) {
            self.fail(field, Problem::ControlCharacters);
        } else if char_count(&text) > max {
            self.fail(field, Problem::TooLong { max });
        }
        Some(text)
    }

    fn submitter_text(&mut self, field: SubmitterField, raw: &str, max: usize, multiline: bool) -> Option<String> {
        let required = self.enforce_required && self.consultation.rules.requires(field);
        self.text(FieldPath::Submitter(field), raw, max, required, multiline)
    }
}

impl SubmissionInput {
    /// Checks a submission sent online against every rule of the consultation.
    pub fn parse(self, consultation: &Consultation) -> Result<ValidSubmission, Vec<FieldError>> {
        self.parse_with(consultation, true)
    }

    /// Checks a submission staff typed from a letter, fax or email: the same limits, but no
    /// submitter field is required, since staff can only type what the sender gave.
    pub fn parse_transcribed(self, consultation: &Consultation) -> Result<ValidSubmission, Vec<FieldError>> {
        self.parse_with(consultation, false)
    }

    fn parse_with(
        self,
        consultation: &Consultation,
        enforce_required: bool,
    ) -> Result<ValidSubmission, Vec<FieldError>> {
        let limits = &consultation.rules.limits;
        let mut c = Checker { errors: Vec::new(), consultation, enforce_required };
        let name = c.submitter_text(SubmitterField::Name, &self.name, limits.name, false);
        let organization =
            c.submitter_text(SubmitterField::Organization, &self.organization, limits.organization, false);
        let email = c.submitter_text(SubmitterField::Email, &self.email, limits.email, false);
        if let Some(address) = &email {
            let already_failed = c.errors.iter().any(|e| e.field == FieldPath::Submitter(SubmitterField::Email));
            if !already_failed && !looks_like_email(address) {
                c.fail(FieldPath::Submitter(SubmitterField::Email), Problem::Email);
            }
        }
        let postal_address =
            c.submitter_text(SubmitterField::PostalAddress, &self.postal_address, limits.postal_address, true);
        let phone = c.submitter_text(SubmitterField::Phone, &self.phone, limits.phone, false);

        // A form may send untouched opinion blocks (spare rows); they are not opinions.
        let filled: Vec<(usize, OpinionInput)> = self
            .opinions
            .into_iter()
            .enumerate()
            .filter(|(_, o)| ![&o.draft, &o.location, &o.body, &o.reason].iter().all(|f| f.trim().is_empty()))
            .collect();
        if filled.is_empty() {
            c.fail(FieldPath::Opinions, Problem::NoOpinions);
        } else if filled.len() > consultation.rules.max_opinions {
            c.fail(FieldPath::Opinions, Problem::TooManyOpinions { max: consultation.rules.max_opinions });
        }
        let mut opinions = Vec::with_capacity(filled.len());
        for (i, o) in filled {
            let draft_code = o.draft.trim();
            let draft = if draft_code.is_empty() {
                None
            } else if consultation.draft(draft_code).is_some() {
                Some(draft_code.to_string())
            } else {
                c.fail(FieldPath::Draft(i), Problem::UnknownDraft);
                None
            };
            let location = c.text(FieldPath::Location(i), &o.location, limits.location, false, false);
            let body = c.text(FieldPath::Body(i), &o.body, limits.body, true, true);
            let reason = c.text(FieldPath::Reason(i), &o.reason, limits.reason, false, true);
            opinions.push(ValidOpinion { draft, location, body: body.unwrap_or_default(), reason });
        }
        // Only a form that showed the notes with a box can hold the person to them.
        if self.agreed_to_notes == Some(false) && !consultation.notes.is_empty() {
            c.fail(FieldPath::NotesAgreement, Problem::NotAgreed);
        }
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        Ok(ValidSubmission {
            submitter: Submitter {
                name,
                organization,
                email,
                postal_address,
                phone,
                publish_organization: self.publish_organization,
            },
            locale: self.locale,
            opinions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Localized;

    fn consultation(rules: &str) -> Consultation {
        crate::domain::fixtures::ismap(rules)
    }

    fn opinion(draft: &str, body: &str) -> OpinionInput {
        OpinionInput { draft: draft.into(), body: body.into(), ..Default::default() }
    }

    fn problems(result: Result<ValidSubmission, Vec<FieldError>>) -> Vec<(String, Problem)> {
        result.unwrap_err().into_iter().map(|e| (e.field.api_path(), e.problem)).collect()
    }

    #[test]
    fn accepts_an_anonymous_submission_by_default() {
        let input = SubmissionInput {
            opinions: vec![opinion("basic-rules", "  賛成です。\r\n理由は… ")],
            ..Default::default()
        };
        let valid = input.parse(&consultation("")).unwrap();
        assert_eq!(valid.opinions()[0].body(), "賛成です。\n理由は…");
        assert_eq!(valid.opinions()[0].draft(), Some("basic-rules"));
        let mut paths = vec![
            FieldPath::Submitter(SubmitterField::Email),
            FieldPath::Body(1),
            FieldPath::Draft(1),
            FieldPath::Body(0),
        ];
        paths.sort_by_key(|p| p.page_order());
        assert_eq!(
            paths,
            vec![
                FieldPath::Body(0),
                FieldPath::Draft(1),
                FieldPath::Body(1),
                FieldPath::Submitter(SubmitterField::Email)
            ],
            "errors are listed in the order the form shows the fields"
        );
        assert_eq!(valid.submitter().name(), None);
    }

    #[test]
    fn the_form_holds_people_to_the_notes_only_when_it_asked_and_there_are_notes() {
        let mut with_notes = consultation("");
        with_notes.notes = Localized::new("意見は公開されます。", "Opinions are published.");
        let input = |agreed| SubmissionInput {
            opinions: vec![opinion("basic-rules", "賛成です。")],
            agreed_to_notes: agreed,
            ..Default::default()
        };
        assert_eq!(
            problems(input(Some(false)).parse(&with_notes)),
            vec![("agreed_to_notes".into(), Problem::NotAgreed)]
        );
        assert!(input(Some(true)).parse(&with_notes).is_ok());
        assert!(input(None).parse(&with_notes).is_ok(), "the API and letters show no box");
        assert!(input(Some(false)).parse(&consultation("")).is_ok(), "no notes, nothing to agree to");
        assert_eq!(FieldPath::NotesAgreement.page_order().0, 3, "the box comes after the submitter's fields");
    }

    #[test]
    fn requires_the_fields_the_consultation_requires() {
        let input = SubmissionInput { opinions: vec![opinion("", "x")], ..Default::default() };
        let got = problems(input.parse(&consultation(r#"required = ["name", "email"]"#)));
        assert_eq!(
            got,
            vec![("submitter.name".to_string(), Problem::Required), ("submitter.email".to_string(), Problem::Required)]
        );
    }

    #[test]
    fn counts_limits_in_characters_not_bytes() {
        let c = consultation("max_chars = { body = 5 }");
        let ok = SubmissionInput { opinions: vec![opinion("", "意見です。")], ..Default::default() };
        assert!(ok.parse(&c).is_ok());
        let long = SubmissionInput { opinions: vec![opinion("", "意見です。。")], ..Default::default() };
        assert_eq!(problems(long.parse(&c)), vec![("opinions[0].body".to_string(), Problem::TooLong { max: 5 })]);
    }

    #[test]
    fn refuses_unknown_drafts_control_characters_and_bad_email() {
        let input = SubmissionInput {
            email: "not an address".into(),
            name: "Taro\nBcc: x@evil.test".into(),
            opinions: vec![opinion("no-such-draft", "a\u{0000}b")],
            ..Default::default()
        };
        let got = problems(input.parse(&consultation("")));
        assert!(got.contains(&("submitter.email".into(), Problem::Email)));
        assert!(got.contains(&("submitter.name".into(), Problem::MultipleLines)));
        assert!(got.contains(&("opinions[0].draft".into(), Problem::UnknownDraft)));
        assert!(got.contains(&("opinions[0].body".into(), Problem::ControlCharacters)));
    }

    #[test]
    fn needs_between_one_and_the_maximum_of_opinions() {
        let c = consultation("max_opinions = 2");
        let none =
            SubmissionInput { opinions: vec![opinion("", "   "), OpinionInput::default()], ..Default::default() };
        assert_eq!(problems(none.parse(&c)), vec![("opinions".to_string(), Problem::NoOpinions)]);
        let three = SubmissionInput {
            opinions: vec![opinion("", "a"), opinion("", "b"), opinion("", "c")],
            ..Default::default()
        };
        assert_eq!(problems(three.parse(&c)), vec![("opinions".to_string(), Problem::TooManyOpinions { max: 2 })]);
    }

    #[test]
    fn an_opinion_with_only_a_location_still_needs_a_body() {
        let input = SubmissionInput {
            opinions: vec![OpinionInput { location: "3.2.1".into(), ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(problems(input.parse(&consultation(""))), vec![("opinions[0].body".to_string(), Problem::Required)]);
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let input =
            SubmissionInput { name: "Canary Name".into(), opinions: vec![opinion("", "x")], ..Default::default() };
        let valid = input.parse(&consultation("")).unwrap();
        assert!(!format!("{valid:?}").contains("Canary"));
    }
}
