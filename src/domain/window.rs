//! The window rule: `opens_at <= received_at < closes_at`, and postal mail by local arrival date.
use super::channel::Channel;
use super::consultation::Consultation;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStatus {
    Upcoming,
    Open,
    Closed,
}

impl WindowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowStatus::Upcoming => "upcoming",
            WindowStatus::Open => "open",
            WindowStatus::Closed => "closed",
        }
    }
}

/// Why an online submission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowRefusal {
    NotOpen,
    Closed,
}

impl WindowRefusal {
    pub fn code(self) -> &'static str {
        match self {
            WindowRefusal::NotOpen => "not_open",
            WindowRefusal::Closed => "closed",
        }
    }
}

impl Consultation {
    pub fn status_at(&self, at: DateTime<Utc>) -> WindowStatus {
        if at < self.opens_at {
            WindowStatus::Upcoming
        } else if at < self.closes_at {
            WindowStatus::Open
        } else {
            WindowStatus::Closed
        }
    }

    /// Web and API submissions count by the instant the server received them.
    pub fn admit_online(&self, received_at: DateTime<Utc>) -> Result<(), WindowRefusal> {
        match self.status_at(received_at) {
            WindowStatus::Upcoming => Err(WindowRefusal::NotOpen),
            WindowStatus::Open => Ok(()),
            WindowStatus::Closed => Err(WindowRefusal::Closed),
        }
    }

    /// The local date of an instant in the consultation's own time zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// Whether an item that arrived by `channel` at `arrived_at` is late. Postal mail counts by
    /// its local arrival date against the postal arrival deadline (falling back to the last day
    /// before `closes_at`); every other channel by its arrival instant.
    pub fn is_late(&self, channel: Channel, arrived_at: DateTime<Utc>) -> bool {
        match channel {
            Channel::Postal => self.local_date(arrived_at) > self.postal_deadline(),
            _ => arrived_at >= self.closes_at,
        }
    }

    /// The first instant at which nothing more can arrive on time by any channel: `closes_at`,
    /// or the end of the postal arrival date in the consultation's zone if that is later.
    pub fn closed_for_every_channel_at(&self) -> DateTime<Utc> {
        let after_post = self.postal_deadline().succ_opt().and_then(|day| {
            self.time_zone.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
        });
        after_post.map_or(self.closes_at, |t| t.max(self.closes_at))
    }

    pub fn postal_deadline(&self) -> NaiveDate {
        self.postal_arrival_deadline.unwrap_or_else(|| {
            let last_instant = self.closes_at - chrono::Duration::nanoseconds(1);
            self.local_date(last_instant)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn seed() -> Consultation {
        crate::domain::fixtures::ismap("")
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn opens_exactly_at_opens_at() {
        let c = seed();
        let opens = utc(2020, 3, 27, 6, 0, 0);
        assert_eq!(c.admit_online(opens - Duration::seconds(1)), Err(WindowRefusal::NotOpen));
        assert_eq!(c.admit_online(opens - Duration::nanoseconds(1)), Err(WindowRefusal::NotOpen));
        assert_eq!(c.admit_online(opens), Ok(()));
        assert_eq!(c.admit_online(opens + Duration::seconds(1)), Ok(()));
    }

    #[test]
    fn closes_exactly_at_closes_at_which_is_exclusive() {
        let c = seed();
        // 2020-04-27T00:00+09:00 is 2020-04-26T15:00Z.
        let closes = utc(2020, 4, 26, 15, 0, 0);
        assert_eq!(c.admit_online(closes - Duration::seconds(1)), Ok(()));
        assert_eq!(c.admit_online(closes - Duration::nanoseconds(1)), Ok(()));
        assert_eq!(c.admit_online(closes), Err(WindowRefusal::Closed));
        assert_eq!(c.admit_online(closes + Duration::seconds(1)), Err(WindowRefusal::Closed));
    }

    #[test]
    fn the_same_instant_is_judged_the_same_from_any_server_zone() {
        let c = seed();
        let in_new_york =
            chrono_tz::America::New_York.with_ymd_and_hms(2020, 4, 26, 10, 59, 59).unwrap().with_timezone(&Utc);
        assert_eq!(c.admit_online(in_new_york), Ok(()));
        let in_new_york = in_new_york + Duration::seconds(1);
        assert_eq!(c.admit_online(in_new_york), Err(WindowRefusal::Closed));
    }

    #[test]
    fn postal_mail_counts_by_local_arrival_date() {
        let c = seed();
        // 23:59 on the 26th in Tokyo is still the 26th there, though it is the 26th 14:59 UTC.
        let late_evening = utc(2020, 4, 26, 14, 59, 0);
        assert!(!c.is_late(Channel::Postal, late_evening));
        // 08:00 on the 27th in Tokyo is 23:00 on the 26th in UTC: a UTC server would call it
        // the 26th, the rule must not.
        let next_morning = utc(2020, 4, 26, 23, 0, 0);
        assert!(c.is_late(Channel::Postal, next_morning));
        assert!(c.is_late(Channel::Fax, utc(2020, 4, 26, 15, 0, 0)));
        assert!(!c.is_late(Channel::Fax, utc(2020, 4, 26, 14, 59, 59)));
    }

    #[test]
    fn postal_deadline_defaults_to_the_last_local_day_of_the_window() {
        let mut c = seed();
        c.postal_arrival_deadline = None;
        assert_eq!(c.postal_deadline(), NaiveDate::from_ymd_opt(2020, 4, 26).unwrap());
    }

    #[test]
    fn status_follows_the_window() {
        let c = seed();
        assert_eq!(c.status_at(utc(2020, 1, 1, 0, 0, 0)), WindowStatus::Upcoming);
        assert_eq!(c.status_at(utc(2020, 4, 1, 0, 0, 0)), WindowStatus::Open);
        assert_eq!(c.status_at(utc(2021, 1, 1, 0, 0, 0)), WindowStatus::Closed);
    }
}
