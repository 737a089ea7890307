//! One-time password-reset links an administrator gives a staff member: usable once, until
//! they expire.
use chrono::{DateTime, Duration, Utc};

/// How long a link works.
pub fn lifetime() -> Duration {
    Duration::hours(24)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetProblem {
    /// No such link (or not for this account).
    Unknown,
    Used,
    Expired,
}

/// Whether a link issued with `expires_at` and used at `used_at` (if ever) works at `now`.
pub fn usable(
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ResetProblem> {
    match used_at {
        Some(_) => Err(ResetProblem::Used),
        None if now >= expires_at => Err(ResetProblem::Expired),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_link_works_once_until_it_expires() {
        let issued = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
        let expires = issued + lifetime();
        assert_eq!(usable(expires, None, issued + Duration::hours(23)), Ok(()));
        assert_eq!(usable(expires, None, expires), Err(ResetProblem::Expired));
        assert_eq!(usable(expires, Some(issued), issued + Duration::minutes(5)), Err(ResetProblem::Used));
    }
}
