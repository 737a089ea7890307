//! The operations pubcom offers, grouped by capability. Each takes domain values and a storage
//! handle, asks the domain's rules, stores the outcome with its audit record in one
//! transaction, and returns a domain result; every web handler calls one of them.
//!
//! - `intake`: public submissions through the form and the API (group commit, admission)
//! - `transcription`: opinions that came by post, fax or email, and their second check
//! - `triage`: states, tags, notes, assignment and moves of opinions, one by one or in bulk
//! - `responses`: response items and their approval
//! - `campaigns`: fingerprints and clusters of near-identical opinions
//! - `redaction`: personal-data suggestions found in the background, and staff withholding text
//! - `publication`: the publication gates and immutable result versions
//! - `receipts`: a submitter's own submission by receipt number, and its withdrawal
//! - `contact`: the audited view of a submitter's contact details
//! - `accounts`: staff accounts, from the staff pages and the command line
//! - `generate`: made-up submissions for trying triage at scale
pub mod accounts;
pub mod attachments;
pub mod campaigns;
pub mod contact;
pub mod credentials;
pub mod generate;
pub mod intake;
pub mod publication;
pub mod receipts;
pub mod redaction;
pub mod responses;
pub mod transcription;
pub mod triage;

use crate::db::DbError;

/// Why an operation did not happen.
#[derive(Debug)]
pub enum OpError<R> {
    /// What it was asked to change does not exist.
    NotFound,
    /// A rule said no; nothing was changed.
    Refused(R),
    Db(DbError),
}

impl<R> From<DbError> for OpError<R> {
    fn from(e: DbError) -> Self {
        OpError::Db(e)
    }
}

pub type OpResult<T, R> = Result<T, OpError<R>>;
