//! Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238: HMAC-SHA1, 6 digits,
//! 30-second steps) and one-time recovery codes; and which roles must use it. Pure: the time
//! is always given.
use super::staff::Role;
use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, TOTP};

/// Seconds per code.
pub const STEP: i64 = 30;
/// Bytes of secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A shared TOTP secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<hidden>)")
    }
}

impl TotpSecret {
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= 16).then_some(Self(bytes))
    }

    /// Base32 without padding, as authenticator apps take it (and as it is stored).
    pub fn encoded(&self) -> String {
        match totp_rs::Secret::Raw(self.0.clone()).to_encoded() {
            totp_rs::Secret::Encoded(text) => text.trim_end_matches('=').to_string(),
            totp_rs::Secret::Raw(_) => unreachable!("to_encoded gives the encoded form"),
        }
    }

    pub fn parse(encoded: &str) -> Option<Self> {
        totp_rs::Secret::Encoded(encoded.to_string()).to_bytes().ok().and_then(Self::from_bytes)
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, 6, 0, STEP as u64, self.0.clone())
    }

    /// The code for the step holding `at`.
    pub fn code_at(&self, at: DateTime<Utc>) -> String {
        self.totp().generate(at.timestamp().max(0) as u64)
    }

    /// The URI authenticator apps read from the QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", percent(issuer), percent(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP}",
            self.encoded(),
            percent(issuer)
        )
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The time step a code belongs to when it is right at `now`, allowing one step either way
/// for a phone's clock, and newer than `last_step`, so that a code seen once (over a
/// shoulder, in a log) never works again.
pub fn accept_code(secret: &TotpSecret, code: &str, now: DateTime<Utc>, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now.timestamp().div_euclid(STEP);
    (current - 1..=current + 1).filter(|step| last_step.is_none_or(|last| *step > last)).find(|step| {
        let expected = secret.totp().generate((step * STEP).max(0) as u64);
        constant_time_eq(expected.as_bytes(), code.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a person typed as their second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Six digits: a code from the app.
    Code(String),
    /// Anything else that looks like a recovery code, normalized (no spaces or hyphens,
    /// lower case).
    Recovery(String),
    None,
}

impl Proof {
    pub fn parse(input: &str) -> Proof {
        let compact: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if compact.is_empty() {
            Proof::None
        } else if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            Proof::Code(compact)
        } else {
            Proof::Recovery(compact.to_lowercase())
        }
    }
}

/// A recovery code as shown: ten characters from an alphabet without look-alikes, in two
/// groups. `random` gives the characters' indexes.
pub fn recovery_code(random: &mut dyn FnMut(usize) -> usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let chars: String = (0..10).map(|_| ALPHABET[random(ALPHABET.len())] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Whether accounts of `role` must sign in with a second factor.
pub fn required(role: Role, roles: &[Role]) -> bool {
    roles.contains(&role)
}

/// The staff pages an account whose role requires two-factor sign-in may use before setting
/// it up: its own account pages (to set it up) and signing out.
pub fn open_before_set_up(path: &str) -> bool {
    path == "/staff/account" || path.starts_with("/staff/account/") || path == "/staff/sign-out"
}

/// Where a correct password leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// Signed in.
    SignedIn,
    /// Signed in, but only to set up two-factor sign-in, which the role requires.
    SetUpFirst,
    /// Enrolled, and no code or recovery code was given: refused, asking for one.
    CodeNeeded,
    /// Enrolled, and what was given is wrong or already used: refused.
    CodeWrong,
}

/// The decision after a correct password: `enrolled` whether the account has two-factor
/// sign-in, `proof_ok` whether the code or recovery code given was accepted (`None` when none
/// was given).
pub fn after_password(enrolled: bool, required: bool, proof_ok: Option<bool>) -> AfterPassword {
    match (enrolled, proof_ok) {
        (true, Some(true)) => AfterPassword::SignedIn,
        (true, Some(false)) => AfterPassword::CodeWrong,
        (true, None) => AfterPassword::CodeNeeded,
        (false, _) if required => AfterPassword::SetUpFirst,
        (false, _) => AfterPassword::SignedIn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rfc_secret() -> TotpSecret {
        // The SHA-1 key of RFC 6238's test vectors.
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let at = |t: i64| Utc.timestamp_opt(t, 0).unwrap();
        // RFC 6238 appendix B gives 8 digits; the 6-digit code is their last six.
        assert_eq!(rfc_secret().code_at(at(59)), "287082");
        assert_eq!(rfc_secret().code_at(at(1111111109)), "081804");
        assert_eq!(rfc_secret().code_at(at(2000000000)), "279037");
    }

    #[test]
    fn a_code_is_accepted_within_a_step_either_way_and_only_once() {
        let secret = rfc_secret();
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 10).unwrap();
        let step = now.timestamp() / STEP;
        let code = secret.code_at(now);
        assert_eq!(accept_code(&secret, &code, now, None), Some(step));
        assert_eq!(accept_code(&secret, &format!("{} {}", &code[..3], &code[3..]), now, None), Some(step));
        assert_eq!(accept_code(&secret, &code, now, Some(step)), None, "not twice");
        let late = now + chrono::Duration::seconds(35);
        assert_eq!(accept_code(&secret, &code, late, None), Some(step), "a phone a little behind");
        assert_eq!(accept_code(&secret, &code, now + chrono::Duration::seconds(95), None), None, "too old");
        assert_eq!(accept_code(&secret, "12345", now, None), None);
        assert_eq!(accept_code(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn secrets_round_trip_through_base32_and_the_uri_names_the_account() {
        let secret = rfc_secret();
        assert_eq!(secret.encoded(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::parse(&secret.encoded()), Some(secret.clone()));
        let uri = secret.otpauth_uri("pubcom", "hanako sato");
        assert!(uri.starts_with("otpauth://totp/pubcom:hanako%20sato?secret=GEZDGNBV"), "{uri}");
        assert!(!format!("{secret:?}").contains("GEZ"), "never printed");
    }

    #[test]
    fn what_was_typed_is_a_code_or_a_recovery_code() {
        assert_eq!(Proof::parse(" 123 456 "), Proof::Code("123456".into()));
        assert_eq!(Proof::parse("ABCDE-FGHJK"), Proof::Recovery("abcdefghjk".into()));
        assert_eq!(Proof::parse("  "), Proof::None);
        let mut n = 0;
        let code = recovery_code(&mut |len| {
            n += 1;
            n % len
        });
        assert_eq!(code.len(), 11);
        assert_eq!(code.as_bytes()[5], b'-');
    }

    #[test]
    fn approvers_and_admins_must_set_it_up_and_the_enrolled_must_use_it() {
        let roles = [Role::Approver, Role::Admin];
        assert!(required(Role::Admin, &roles) && !required(Role::Analyst, &roles));
        assert_eq!(after_password(false, true, None), AfterPassword::SetUpFirst);
        assert_eq!(after_password(false, false, None), AfterPassword::SignedIn);
        assert_eq!(after_password(true, false, None), AfterPassword::CodeNeeded);
        assert_eq!(after_password(true, true, Some(false)), AfterPassword::CodeWrong);
        assert_eq!(after_password(true, true, Some(true)), AfterPassword::SignedIn);
        assert!(open_before_set_up("/staff/account/two-factor") && open_before_set_up("/staff/sign-out"));
        assert!(!open_before_set_up("/staff/accounts-export") && !open_before_set_up("/staff/c/ismap-2020/publish"));
    }
}
