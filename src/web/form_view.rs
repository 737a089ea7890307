//! What the public form shows of each opinion block and submitter field.

pub struct OpinionBlock {
    pub index: usize,
    pub number: usize,
    pub draft: String,
    pub draft_title: String,
    pub location: String,
    pub body: String,
    pub reason: String,
    pub draft_error: Option<String>,
    pub location_error: Option<String>,
    pub body_error: Option<String>,
    pub reason_error: Option<String>,
}

/// One single-line submitter field as the form shows it.
pub struct SubmitterInput {
    pub id: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub error: Option<String>,
    pub value: String,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub hint: &'static str,
}

pub struct ErrorLink {
    pub id: String,
    pub message: String,
}

pub struct Required {
    pub name: bool,
    pub organization: bool,
    pub email: bool,
    pub postal_address: bool,
    pub phone: bool,
}

pub struct Limits {
    pub body: usize,
    pub reason: usize,
    pub location: usize,
    pub max_opinions: usize,
}

#[derive(Default)]
pub struct SubmitterErrors {
    pub name: Option<String>,
    pub organization: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub phone: Option<String>,
    pub opinions: Option<String>,
    pub notes_agreement: Option<String>,
}
