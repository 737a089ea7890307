//! Idempotency keys: a retry with the same key and the same content gets the same receipt;
//! the same key with other content is refused, never answered with someone else's receipt.
use super::submission::ValidSubmission;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// How long a key stays bound to its submission; after that it may be used again.
pub const KEY_RETENTION: Duration = Duration::hours(24);

/// Longest key a client may send.
pub const MAX_KEY_LEN: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    Empty,
    TooLong,
    /// Only printable ASCII (space to tilde).
    NotPrintableAscii,
}

/// An `Idempotency-Key` header value as the API accepts it: 1 to 100 printable ASCII
/// characters.
pub fn check_key(raw: &[u8]) -> Result<&str, KeyProblem> {
    if raw.is_empty() {
        return Err(KeyProblem::Empty);
    }
    if raw.len() > MAX_KEY_LEN {
        return Err(KeyProblem::TooLong);
    }
    if !raw.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(KeyProblem::NotPrintableAscii);
    }
    let key = std::str::from_utf8(raw).map_err(|_| KeyProblem::NotPrintableAscii)?;
    if key.trim().is_empty() {
        return Err(KeyProblem::Empty);
    }
    Ok(key)
}

/// A digest of everything a submission says, after normalization: two requests with the
/// same digest sent the same thing.
pub fn request_hash(consultation: &str, submission: &ValidSubmission) -> String {
    let s = submission.submitter();
    let mut hasher = Sha256::new();
    let mut field = |value: Option<&str>| {
        // Length-prefixed, so that no two different field lists hash alike.
        match value {
            Some(v) => {
                hasher.update((v.len() as u64 + 1).to_be_bytes());
                hasher.update(v.as_bytes());
            }
            None => hasher.update(0u64.to_be_bytes()),
        }
    };
    field(Some(consultation));
    field(Some(submission.locale().as_str()));
    for value in [s.name(), s.organization(), s.email(), s.postal_address(), s.phone()] {
        field(value);
    }
    field(Some(if s.publish_organization() { "publish" } else { "withhold" }));
    for o in submission.opinions() {
        for value in [o.draft(), o.location(), Some(o.body()), o.reason()] {
            field(value);
        }
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a stored key means for a new request carrying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// Nothing is bound to the key (or what was has expired): store the request.
    New,
    /// The same request again: answer with the receipt already given.
    Same,
    /// Another request under the same key: refuse it.
    Reused,
}

/// Compares a request with what a key is bound to (`None` when the key is unknown).
pub fn replay(stored: Option<(&str, DateTime<Utc>)>, request_hash: &str, now: DateTime<Utc>) -> Replay {
    match stored {
        None => Replay::New,
        Some((_, created_at)) if now - created_at >= KEY_RETENTION => Replay::New,
        Some((hash, _)) if hash == request_hash => Replay::Same,
        Some(_) => Replay::Reused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::ismap;
    use crate::domain::submission::{OpinionInput, SubmissionInput};
    use chrono::TimeZone;

    fn submission(body: &str) -> ValidSubmission {
        let input = SubmissionInput {
            opinions: vec![OpinionInput { draft: "basic-rules".into(), body: body.into(), ..Default::default() }],
            ..Default::default()
        };
        input.parse(&ismap("")).unwrap()
    }

    #[test]
    fn keys_are_printable_ascii_of_bounded_length() {
        assert_eq!(check_key(b"1"), Ok("1"));
        assert_eq!(check_key(b"order 42/retry"), Ok("order 42/retry"));
        assert_eq!(check_key(b""), Err(KeyProblem::Empty));
        assert_eq!(check_key(b"   "), Err(KeyProblem::Empty));
        assert_eq!(check_key(&[b'k'; 101]), Err(KeyProblem::TooLong));
        assert!(check_key(&[b'k'; 100]).is_ok());
        assert_eq!(check_key("鍵".as_bytes()), Err(KeyProblem::NotPrintableAscii));
        assert_eq!(check_key(b"a\tb"), Err(KeyProblem::NotPrintableAscii));
    }

    #[test]
    fn the_same_content_hashes_alike_and_other_content_does_not() {
        let a = request_hash("ismap", &submission("賛成です。"));
        assert_eq!(a, request_hash("ismap", &submission("賛成です。\r\n")), "normalized before hashing");
        assert_ne!(a, request_hash("ismap", &submission("反対です。")));
        assert_ne!(a, request_hash("other", &submission("賛成です。")));
    }

    #[test]
    fn a_key_replays_its_own_request_refuses_others_and_expires() {
        let t0 = Utc.with_ymd_and_hms(2020, 4, 1, 3, 0, 0).unwrap();
        assert_eq!(replay(None, "h", t0), Replay::New);
        assert_eq!(replay(Some(("h", t0)), "h", t0 + Duration::hours(1)), Replay::Same);
        assert_eq!(replay(Some(("h", t0)), "other", t0 + Duration::hours(1)), Replay::Reused);
        assert_eq!(replay(Some(("h", t0)), "other", t0 + KEY_RETENTION), Replay::New);
    }
}
