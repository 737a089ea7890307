//! Opinions that arrived by post, fax or email, as a clerk types them in: the channel, when the
//! item arrived (a local date for post; a local date and time for fax and email), the postmark,
//! and the letter's opinions split per draft.
use super::channel::Channel;
use super::consultation::Consultation;
use super::submission::{FieldError, SubmissionInput, ValidSubmission};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

#[derive(Debug, Clone, Default)]
pub struct TranscriptionInput {
    pub channel: String,
    /// YYYY-MM-DD, in the consultation's time zone.
    pub arrival_date: String,
    /// HH:MM, in the consultation's time zone; required for fax and email.
    pub arrival_time: String,
    pub postmark_date: String,
    pub submission: SubmissionInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptionField {
    Channel,
    ArrivalDate,
    ArrivalTime,
    PostmarkDate,
}

impl TranscriptionField {
    pub fn form_id(self) -> &'static str {
        match self {
            TranscriptionField::Channel => "channel",
            TranscriptionField::ArrivalDate => "arrival-date",
            TranscriptionField::ArrivalTime => "arrival-time",
            TranscriptionField::PostmarkDate => "postmark-date",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptionProblem {
    UnknownChannel,
    Required,
    NotADate,
    NotATime,
    InTheFuture,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptionError {
    Arrival(TranscriptionField, TranscriptionProblem),
    Field(FieldError),
}

#[derive(Debug, Clone)]
pub struct ValidTranscription {
    pub channel: Channel,
    pub arrived_at: DateTime<Utc>,
    pub postmark: Option<NaiveDate>,
    pub submission: ValidSubmission,
}

/// Where a transcription stands in the second person's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Unverified,
    SentBack,
    Verified,
}

impl Verification {
    pub const ALL: [Verification; 3] = [Verification::Unverified, Verification::SentBack, Verification::Verified];

    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::SentBack => "sent_back",
            Verification::Verified => "verified",
        }
    }
}

impl std::str::FromStr for Verification {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown verification state '{s}'"))
    }
}

impl TryFrom<String> for Verification {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Who has had a hand in a transcription's current text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hands {
    pub transcribed_by: Option<i64>,
    /// Whoever last corrected the text, if anyone did.
    pub corrected_by: Option<i64>,
}

/// A second person's decision on a transcription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub decision: Verification,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewRefusal {
    /// Four eyes: nobody checks text they typed or last corrected.
    OwnWork,
    /// Sending back says what to fix.
    CommentNeeded,
    /// Neither "verify" nor "send back".
    UnknownDecision,
}

impl Hands {
    /// Whether `reviewer` typed or last corrected the text.
    pub fn includes(&self, reviewer: i64) -> bool {
        self.transcribed_by == Some(reviewer) || self.corrected_by == Some(reviewer)
    }

    /// Decides whether `reviewer` may record `decision` ("verify" or "send_back").
    pub fn review(&self, reviewer: i64, decision: &str, comment: &str) -> Result<Review, ReviewRefusal> {
        if self.includes(reviewer) {
            return Err(ReviewRefusal::OwnWork);
        }
        let comment = Some(comment.trim().to_string()).filter(|c| !c.is_empty());
        match decision {
            "verify" => Ok(Review { decision: Verification::Verified, comment }),
            "send_back" if comment.is_none() => Err(ReviewRefusal::CommentNeeded),
            "send_back" => Ok(Review { decision: Verification::SentBack, comment }),
            _ => Err(ReviewRefusal::UnknownDecision),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateRefusal {
    /// On time, or accepted already.
    NotAwaitingAcceptance,
    /// Accepting a late item says why.
    ReasonNeeded,
}

/// Whether a late item may be accepted with `reason`; the reason as it is kept.
pub fn accept_late(late: bool, already_accepted: bool, reason: &str) -> Result<String, LateRefusal> {
    if !late || already_accepted {
        return Err(LateRefusal::NotAwaitingAcceptance);
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(LateRefusal::ReasonNeeded);
    }
    Ok(reason.to_string())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S")).ok()
}

impl TranscriptionInput {
    /// Checks the arrival and the text. Submitter fields the web form requires are optional
    /// here: staff type what the letter says.
    pub fn parse(
        self,
        consultation: &Consultation,
        now: DateTime<Utc>,
    ) -> Result<ValidTranscription, Vec<TranscriptionError>> {
        use TranscriptionField as F;
        use TranscriptionProblem as P;
        let mut errors = Vec::new();
        let channel = match self.channel.trim() {
            "postal" => Some(Channel::Postal),
            "fax" => Some(Channel::Fax),
            "email" => Some(Channel::Email),
            _ => {
                errors.push(TranscriptionError::Arrival(F::Channel, P::UnknownChannel));
                None
            }
        };
        let date = if self.arrival_date.trim().is_empty() {
            errors.push(TranscriptionError::Arrival(F::ArrivalDate, P::Required));
            None
        } else {
            let d = parse_date(&self.arrival_date);
            if d.is_none() {
                errors.push(TranscriptionError::Arrival(F::ArrivalDate, P::NotADate));
            }
            d
        };
        // Post counts by its local arrival date: the time of day is not recorded.
        let time = match channel {
            Some(Channel::Postal) | None => Some(NaiveTime::MIN),
            Some(_) if self.arrival_time.trim().is_empty() => {
                errors.push(TranscriptionError::Arrival(F::ArrivalTime, P::Required));
                None
            }
            Some(_) => {
                let t = parse_time(&self.arrival_time);
                if t.is_none() {
                    errors.push(TranscriptionError::Arrival(F::ArrivalTime, P::NotATime));
                }
                t
            }
        };
        let arrived_at = match (date, time) {
            (Some(d), Some(t)) => consultation
                .time_zone
                .from_local_datetime(&d.and_time(t))
                .earliest()
                .map(|local| local.with_timezone(&Utc)),
            _ => None,
        };
        if let Some(at) = arrived_at {
            if consultation.local_date(at) > consultation.local_date(now)
                || (channel != Some(Channel::Postal) && at > now)
            {
                errors.push(TranscriptionError::Arrival(
                    if channel == Some(Channel::Postal) { F::ArrivalDate } else { F::ArrivalTime },
                    P::InTheFuture,
                ));
            }
        }
        let postmark = if self.postmark_date.trim().is_empty() {
            None
        } else {
            let d = parse_date(&self.postmark_date);
            if d.is_none() {
                errors.push(TranscriptionError::Arrival(F::PostmarkDate, P::NotADate));
            }
            d
        };
        let submission = match self.submission.parse_transcribed(consultation) {
            Ok(s) => Some(s),
            Err(field_errors) => {
                errors.extend(field_errors.into_iter().map(TranscriptionError::Field));
                None
            }
        };
        match (channel, arrived_at, submission) {
            (Some(channel), Some(arrived_at), Some(submission)) if errors.is_empty() => {
                Ok(ValidTranscription { channel, arrived_at, postmark, submission })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::submission::OpinionInput;

    fn seed() -> Consultation {
        crate::domain::fixtures::ismap(r#"required = ["name", "email"]"#)
    }

    fn input(channel: &str, date: &str, time: &str) -> TranscriptionInput {
        TranscriptionInput {
            channel: channel.into(),
            arrival_date: date.into(),
            arrival_time: time.into(),
            postmark_date: String::new(),
            submission: SubmissionInput {
                opinions: vec![OpinionInput {
                    draft: "basic-rules".into(),
                    body: "letter".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 5, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn postal_arrival_is_the_local_date_whatever_the_server_zone() {
        let c = seed();
        let on_time = input("postal", "2020-04-26", "").parse(&c, now()).unwrap();
        assert_eq!(on_time.arrived_at, Utc.with_ymd_and_hms(2020, 4, 25, 15, 0, 0).unwrap());
        assert!(!c.is_late(on_time.channel, on_time.arrived_at));
        let next_day = input("postal", "2020-04-27", "").parse(&c, now()).unwrap();
        assert!(c.is_late(next_day.channel, next_day.arrived_at));
    }

    #[test]
    fn fax_and_email_count_by_their_arrival_instant() {
        let c = seed();
        let last_minute = input("fax", "2020-04-26", "23:59").parse(&c, now()).unwrap();
        assert!(!c.is_late(Channel::Fax, last_minute.arrived_at));
        let midnight = input("email", "2020-04-27", "00:00").parse(&c, now()).unwrap();
        assert!(c.is_late(Channel::Email, midnight.arrived_at));
        let errors = input("fax", "2020-04-26", "").parse(&c, now()).unwrap_err();
        assert!(errors
            .contains(&TranscriptionError::Arrival(TranscriptionField::ArrivalTime, TranscriptionProblem::Required)));
    }

    #[test]
    fn refuses_unknown_channels_bad_dates_and_the_future() {
        let c = seed();
        let errors = input("web", "26/04/2020", "").parse(&c, now()).unwrap_err();
        assert!(errors
            .contains(&TranscriptionError::Arrival(TranscriptionField::Channel, TranscriptionProblem::UnknownChannel)));
        assert!(errors
            .contains(&TranscriptionError::Arrival(TranscriptionField::ArrivalDate, TranscriptionProblem::NotADate)));
        let future = input("postal", "2020-05-02", "").parse(&c, now()).unwrap_err();
        assert!(future.contains(&TranscriptionError::Arrival(
            TranscriptionField::ArrivalDate,
            TranscriptionProblem::InTheFuture
        )));
    }

    #[test]
    fn a_second_person_checks_and_a_send_back_says_why() {
        let hands = Hands { transcribed_by: Some(1), corrected_by: None };
        assert_eq!(hands.review(1, "verify", ""), Err(ReviewRefusal::OwnWork));
        assert_eq!(hands.review(2, "verify", " "), Ok(Review { decision: Verification::Verified, comment: None }));
        assert_eq!(hands.review(2, "send_back", "  "), Err(ReviewRefusal::CommentNeeded));
        assert_eq!(
            hands.review(2, "send_back", " page 2 is missing "),
            Ok(Review { decision: Verification::SentBack, comment: Some("page 2 is missing".into()) })
        );
        assert_eq!(hands.review(2, "approve", ""), Err(ReviewRefusal::UnknownDecision));
    }

    #[test]
    fn whoever_last_corrected_the_text_cannot_verify_it() {
        let hands = Hands { transcribed_by: Some(1), corrected_by: Some(2) };
        assert_eq!(hands.review(2, "verify", ""), Err(ReviewRefusal::OwnWork));
        assert_eq!(hands.review(1, "verify", ""), Err(ReviewRefusal::OwnWork));
        assert!(hands.review(3, "verify", "").is_ok());
    }

    #[test]
    fn a_late_item_is_accepted_once_and_with_a_reason() {
        assert_eq!(accept_late(true, false, "  postmarked on time "), Ok("postmarked on time".into()));
        assert_eq!(accept_late(true, false, " "), Err(LateRefusal::ReasonNeeded));
        assert_eq!(accept_late(false, false, "x"), Err(LateRefusal::NotAwaitingAcceptance));
        assert_eq!(accept_late(true, true, "x"), Err(LateRefusal::NotAwaitingAcceptance));
    }

    #[test]
    fn fields_the_web_form_requires_are_optional_for_letters() {
        let c = seed();
        assert!(input("postal", "2020-04-20", "").parse(&c, now()).is_ok());
    }
}
