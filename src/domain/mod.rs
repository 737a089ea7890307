//! Pure rules and types of public consultation. No I/O: no actix, diesel or lettre here.
pub mod attachment;
pub mod campaign;
pub mod channel;
pub mod consultation;
pub mod field;
pub mod fingerprint;
#[cfg(test)]
pub mod fixtures;
pub mod guidance;
pub mod idempotency;
pub mod locale;
pub mod password_reset;
pub mod personal_data;
pub mod publication;
pub mod receipt;
pub mod redaction;
pub mod response;
pub mod results;
pub mod staff;
pub mod submission;
pub mod text;
pub mod transcription;
pub mod triage;
pub mod two_factor;
pub mod window;
pub mod withdrawal;

pub use channel::Channel;
pub use consultation::{Consultation, ConsultationFile, Draft};
pub use locale::{Locale, Localized};
pub use receipt::ReceiptNumber;
pub use submission::{FieldError, FieldPath, Problem, SubmissionInput, ValidSubmission};
pub use window::{WindowRefusal, WindowStatus};
