//! A submitter's own view of a submission, by its receipt number: where it stands, and
//! whether it may still be withdrawn.
use super::consultation::Consultation;
use super::window::WindowStatus;
use chrono::{DateTime, Utc};

/// Where a submission stands, as its receipt page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// The window is open: the opinion is stored and may still be withdrawn.
    Received,
    /// The window has closed; the body is considering the opinions.
    UnderConsideration,
    /// Results are published: each opinion says what became of it.
    Published,
    /// The submitter withdrew it; it is kept, never considered or published.
    Withdrawn,
}

impl ReceiptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Received => "received",
            ReceiptStatus::UnderConsideration => "under_consideration",
            ReceiptStatus::Published => "published",
            ReceiptStatus::Withdrawn => "withdrawn",
        }
    }
}

/// The status of a submission at `now`: withdrawal outranks everything, then publication.
pub fn status(
    consultation: &Consultation,
    withdrawn_at: Option<DateTime<Utc>>,
    published: bool,
    now: DateTime<Utc>,
) -> ReceiptStatus {
    if withdrawn_at.is_some() {
        ReceiptStatus::Withdrawn
    } else if published {
        ReceiptStatus::Published
    } else if consultation.status_at(now) == WindowStatus::Closed {
        ReceiptStatus::UnderConsideration
    } else {
        ReceiptStatus::Received
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalRefusal {
    /// Opinions may be withdrawn only while they may be sent: once the window closes, the
    /// body considers what it holds.
    WindowClosed,
    AlreadyWithdrawn,
}

impl WithdrawalRefusal {
    pub fn code(self) -> &'static str {
        match self {
            WithdrawalRefusal::WindowClosed => "closed",
            WithdrawalRefusal::AlreadyWithdrawn => "already_withdrawn",
        }
    }
}

/// Whether a submission may be withdrawn at `now`.
pub fn may_withdraw(
    consultation: &Consultation,
    withdrawn_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), WithdrawalRefusal> {
    if withdrawn_at.is_some() {
        return Err(WithdrawalRefusal::AlreadyWithdrawn);
    }
    match consultation.status_at(now) {
        WindowStatus::Closed => Err(WithdrawalRefusal::WindowClosed),
        WindowStatus::Open | WindowStatus::Upcoming => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::ismap;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn withdrawal_is_allowed_until_the_last_second_of_the_window() {
        let c = ismap("");
        assert_eq!(may_withdraw(&c, None, at("2020-04-26T23:59:59+09:00")), Ok(()));
        assert_eq!(may_withdraw(&c, None, at("2020-04-27T00:00:00+09:00")), Err(WithdrawalRefusal::WindowClosed));
    }

    #[test]
    fn a_withdrawn_submission_cannot_be_withdrawn_again() {
        let c = ismap("");
        let then = at("2020-04-01T10:00:00+09:00");
        assert_eq!(may_withdraw(&c, Some(then), then), Err(WithdrawalRefusal::AlreadyWithdrawn));
    }

    #[test]
    fn the_status_follows_the_window_and_publication() {
        let c = ismap("");
        let open = at("2020-04-01T10:00:00+09:00");
        let closed = at("2020-05-01T10:00:00+09:00");
        assert_eq!(status(&c, None, false, open), ReceiptStatus::Received);
        assert_eq!(status(&c, None, false, closed), ReceiptStatus::UnderConsideration);
        assert_eq!(status(&c, None, true, closed), ReceiptStatus::Published);
        assert_eq!(status(&c, Some(open), true, closed), ReceiptStatus::Withdrawn);
    }
}
