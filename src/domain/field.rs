//! Where a problem with what someone typed belongs (a field of the form, a path in the API
//! body) and what the problem is.
use super::consultation::SubmitterField;
use super::submission::OpinionInput;

/// Which field a problem belongs to; rendered as an API path or a form element id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldPath {
    Submitter(SubmitterField),
    Opinions,
    Draft(usize),
    Location(usize),
    Body(usize),
    Reason(usize),
    /// The box that says the person agrees to the consultation's notes (注意事項).
    NotesAgreement,
}

impl FieldPath {
    /// The path used in the JSON API's error body.
    pub fn api_path(self) -> String {
        match self {
            FieldPath::Submitter(f) => format!("submitter.{}", submitter_key(f)),
            FieldPath::Opinions => "opinions".into(),
            FieldPath::Draft(i) => format!("opinions[{i}].draft"),
            FieldPath::Location(i) => format!("opinions[{i}].location"),
            FieldPath::Body(i) => format!("opinions[{i}].body"),
            FieldPath::Reason(i) => format!("opinions[{i}].reason"),
            FieldPath::NotesAgreement => "agreed_to_notes".into(),
        }
    }

    /// The id of the form element, so an error summary can link to it.
    pub fn form_id(self) -> String {
        match self {
            FieldPath::Submitter(f) => submitter_key(f).replace('_', "-"),
            FieldPath::Opinions => OpinionInput::field_name(0, "body"),
            FieldPath::Draft(i) => OpinionInput::field_name(i, "draft"),
            FieldPath::Location(i) => OpinionInput::field_name(i, "location"),
            FieldPath::Body(i) => OpinionInput::field_name(i, "body"),
            FieldPath::Reason(i) => OpinionInput::field_name(i, "reason"),
            FieldPath::NotesAgreement => "agree-to-notes".into(),
        }
    }

    /// Where the field stands on the form, so an error summary lists errors in page order:
    /// the opinion blocks first (each block's fields top to bottom), then the submitter's
    /// fields as the form shows them, then the notes to agree to below them.
    pub fn page_order(self) -> (usize, usize, usize) {
        use SubmitterField::*;
        const ON_THE_FORM: [SubmitterField; 5] = [Name, Organization, Email, Phone, PostalAddress];
        match self {
            FieldPath::Opinions => (0, 0, 0),
            FieldPath::Draft(i) => (1, i, 0),
            FieldPath::Location(i) => (1, i, 1),
            FieldPath::Body(i) => (1, i, 2),
            FieldPath::Reason(i) => (1, i, 3),
            FieldPath::Submitter(f) => (2, ON_THE_FORM.iter().position(|s| *s == f).unwrap_or(0), 0),
            FieldPath::NotesAgreement => (3, 0, 0),
        }
    }

    pub fn opinion_index(self) -> Option<usize> {
        match self {
            FieldPath::Draft(i) | FieldPath::Location(i) | FieldPath::Body(i) | FieldPath::Reason(i) => Some(i),
            _ => None,
        }
    }
}

pub fn submitter_key(field: SubmitterField) -> &'static str {
    match field {
        SubmitterField::Name => "name",
        SubmitterField::Organization => "organization",
        SubmitterField::Email => "email",
        SubmitterField::PostalAddress => "postal_address",
        SubmitterField::Phone => "phone",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong { max: usize },
    ControlCharacters,
    MultipleLines,
    Email,
    UnknownDraft,
    NoOpinions,
    TooManyOpinions { max: usize },
    NotAgreed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub field: FieldPath,
    pub problem: Problem,
}
