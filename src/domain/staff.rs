//! Staff roles and what each may do, the password policy, session expiry and sign-in
//! throttling: pure rules, tested with plain values and instants.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use validator::{Validate, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Clerk,
    Analyst,
    Approver,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Clerk, Role::Analyst, Role::Approver, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Analyst => "analyst",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ReadTranscriptions | DownloadAttachments => true,
            Transcribe => matches!(self, Clerk | Admin),
            Verify | RevealContact => matches!(self, Clerk | Approver | Admin),
            AcceptLate => matches!(self, Approver | Admin),
            ManageUsers | ReadAudit => self == Admin,
            Triage | WriteResponses => matches!(self, Analyst | Approver | Admin),
            Approve => matches!(self, Approver | Admin),
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}' (use clerk, analyst, approver or admin)"))
    }
}

/// What a staff action needs; every staff route names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadTranscriptions,
    Transcribe,
    Verify,
    RevealContact,
    DownloadAttachments,
    AcceptLate,
    ManageUsers,
    ReadAudit,
    /// Read, assign, tag, annotate and set the state of opinions.
    Triage,
    /// Write and edit response items, link opinions to them.
    WriteResponses,
    /// Approve response items and publish results.
    Approve,
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A few of the passwords most often seen in breaches that are long enough to pass the length
/// rule; shorter ones are refused by length already.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "111111111111",
    "000000000000",
    "password1234",
    "password12345",
    "password123!",
    "passwordpassword",
    "qwertyuiop12",
    "qwerty123456",
    "qwertyuiopasdf",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "iloveyou1234",
    "administrator",
    "administrator1",
    "welcome12345",
    "welcome123456",
    "letmein12345",
    "abcdefghijkl",
    "abcd1234abcd",
    "aaaaaaaaaaaa",
    "asdfghjkl123",
    "trustno1trustno1",
    "changeme1234",
    "p@ssw0rd1234",
    "passw0rd1234",
    "football1234",
    "baseball1234",
    "superman1234",
    "monkey123456",
    "sunshine1234",
    "princess1234",
    "dragon123456",
    "master123456",
    "starwars1234",
    "whatever1234",
    "computer1234",
    "internet1234",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    TooCommon,
    SameAsUsername,
}

impl PasswordProblem {
    pub fn message(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "use at least 12 characters",
            PasswordProblem::TooLong => "use at most 256 characters",
            PasswordProblem::TooCommon => "this password is too common; choose another",
            PasswordProblem::SameAsUsername => "the password must not be the user name",
        }
    }
}

/// Length is what matters; no composition rules, so pass phrases and pasted passwords work.
pub fn check_new_password(password: &str, username: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    if lower == username.to_lowercase() {
        return Err(PasswordProblem::SameAsUsername);
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

/// The names of a staff account, as an administrator (or the command line) gives them.
#[derive(Debug, Clone, PartialEq, Eq, Validate)]
pub struct AccountNames {
    #[validate(length(min = 2, max = 64), custom(function = "plain_username"))]
    pub username: String,
    #[validate(length(min = 1, max = 100))]
    pub display_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Username,
    DisplayName,
}

fn plain_username(username: &str) -> Result<(), ValidationError> {
    if username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)) {
        Ok(())
    } else {
        Err(ValidationError::new("plain_username"))
    }
}

impl AccountNames {
    /// Lower-cases the user name; an empty display name becomes the user name.
    pub fn parse(username: &str, display_name: Option<&str>) -> Result<Self, NameProblem> {
        let username = username.trim().to_lowercase();
        let display_name = display_name.map(str::trim).filter(|d| !d.is_empty()).unwrap_or(&username).to_string();
        let names = AccountNames { username, display_name };
        match names.validate() {
            Ok(()) => Ok(names),
            Err(errors) if errors.field_errors().contains_key("username") => Err(NameProblem::Username),
            Err(_) => Err(NameProblem::DisplayName),
        }
    }
}

/// Session lifetime: ended by inactivity or by age, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl SessionPolicy {
    pub fn is_live(&self, created_at: DateTime<Utc>, last_seen_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen_at < self.idle && now - created_at < self.absolute
    }
}

/// How many failed sign-ins are tolerated before further attempts wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures per account within `account_window`; at most 100 an hour.
    pub account_failures: i64,
    pub account_window: Duration,
    /// Failures per client address within `client_window`.
    pub client_failures: i64,
    pub client_window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_failures: 100,
            account_window: Duration::hours(1),
            client_failures: 30,
            client_window: Duration::minutes(15),
        }
    }
}

impl ThrottlePolicy {
    /// Whether another attempt may be checked now. A refusal lasts only until old failures
    /// leave the window, so nobody can lock a real user out for long.
    pub fn allows(&self, account_failures_in_window: i64, client_failures_in_window: i64) -> bool {
        account_failures_in_window < self.account_failures && client_failures_in_window < self.client_failures
    }
}

/// Where sign-in may send a person afterwards: a staff path of this site in printable ASCII
/// (no scheme, no other host, no line breaks that would split the redirect's header), else
/// the staff home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/staff")
                && !n.starts_with("//")
                && !n.contains("://")
                && !n.contains('\\')
                && n.len() <= 2000
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/staff/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn roles_grant_what_their_work_needs_and_no_more() {
        assert!(Role::Clerk.can(Permission::Transcribe));
        assert!(!Role::Analyst.can(Permission::Transcribe));
        assert!(!Role::Clerk.can(Permission::AcceptLate));
        assert!(Role::Approver.can(Permission::AcceptLate));
        assert!(!Role::Approver.can(Permission::ManageUsers));
        assert!(Role::Admin.can(Permission::ManageUsers));
        assert!(Role::Admin.can(Permission::ReadAudit));
        assert!(!Role::Clerk.can(Permission::ReadAudit));
    }

    #[test]
    fn passwords_need_length_not_composition() {
        assert_eq!(check_new_password("short", "u"), Err(PasswordProblem::TooShort));
        assert_eq!(check_new_password("Password1234", "u"), Err(PasswordProblem::TooCommon));
        assert_eq!(check_new_password("tanaka.ichiro", "tanaka.ichiro"), Err(PasswordProblem::SameAsUsername));
        assert_eq!(check_new_password(&"x".repeat(257), "u"), Err(PasswordProblem::TooLong));
        assert!(check_new_password("correct horse battery staple", "u").is_ok());
        assert!(check_new_password("すべて日本語のパスフレーズです", "u").is_ok(), "counted in characters");
        assert!(check_new_password(&"y".repeat(128), "u").is_ok());
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let p = SessionPolicy { idle: Duration::minutes(30), absolute: Duration::hours(12) };
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert!(p.is_live(t0, t0, t0 + Duration::minutes(29)));
        assert!(!p.is_live(t0, t0, t0 + Duration::minutes(30)));
        let busy = t0 + Duration::hours(12) - Duration::minutes(1);
        assert!(p.is_live(t0, busy, busy));
        assert!(!p.is_live(t0, busy, t0 + Duration::hours(12)));
    }

    #[test]
    fn throttling_counts_account_and_client_failures() {
        let p = ThrottlePolicy::default();
        assert!(p.allows(99, 0));
        assert!(!p.allows(100, 0));
        assert!(!p.allows(0, 30));
    }

    #[test]
    fn account_names_are_plain_and_bounded() {
        let names = AccountNames::parse(" K.Sato ", None).unwrap();
        assert_eq!((names.username.as_str(), names.display_name.as_str()), ("k.sato", "k.sato"));
        assert_eq!(AccountNames::parse("k sato", None), Err(NameProblem::Username));
        assert_eq!(AccountNames::parse("x", None), Err(NameProblem::Username));
        assert_eq!(AccountNames::parse(&"a".repeat(65), None), Err(NameProblem::Username));
        assert_eq!(AccountNames::parse("k.sato", Some(&"佐".repeat(101))), Err(NameProblem::DisplayName));
        assert_eq!(AccountNames::parse("k.sato", Some("佐藤 健")).unwrap().display_name, "佐藤 健");
    }

    #[test]
    fn sign_in_sends_people_only_to_staff_pages_of_this_site() {
        assert_eq!(safe_next(Some("/staff/c/ismap-2020/opinions?state=new")), "/staff/c/ismap-2020/opinions?state=new");
        for bad in [
            "/staff/\r\nSet-Cookie: x=1",
            "https://evil.example/staff",
            "//evil.example",
            "/public",
            "/staff/\\evil",
            "/staff/ü",
            "/staff/ a",
        ] {
            assert_eq!(safe_next(Some(bad)), "/staff/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/staff/");
    }
}
