//! The receipt email, in the submitter's language, with a text and an HTML part.
use crate::db::submissions::StoredSubmission;
use crate::domain::{Consultation, Locale};
use crate::i18n::{self, Tr};
use askama::Template;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;

pub struct OpinionView {
    pub number: usize,
    pub draft: String,
    pub location: String,
    pub body: String,
    pub reason: String,
}

/// One attached file as a receipt lists it: its name, its size and its SHA-256, so the
/// sender can check that what was received is what they sent.
pub struct FileLine {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub sha256: String,
}

pub fn file_lines(files: &[crate::db::attachments::AttachedFile], locale: Locale) -> Vec<FileLine> {
    files
        .iter()
        .map(|f| FileLine {
            id: f.id,
            name: f.display_name(),
            size: i18n::file_size(locale, f.size_bytes.max(0) as u64),
            sha256: f.sha256.clone().unwrap_or_default(),
        })
        .collect()
}

/// What both parts of the receipt email say.
struct Receipt<'a> {
    t: Tr,
    greeting: &'static str,
    closing: &'static str,
    title: &'a str,
    receipt_number: &'a str,
    received_at: String,
    receipt_url: String,
    opinions: Vec<OpinionView>,
    files: Vec<FileLine>,
}

#[derive(Template)]
#[template(path = "email/receipt.txt")]
struct ReceiptText<'a> {
    r: &'a Receipt<'a>,
}

#[derive(Template)]
#[template(path = "email/receipt.html")]
struct ReceiptHtml<'a> {
    r: &'a Receipt<'a>,
}

pub fn opinion_views(consultation: &Consultation, submission: &StoredSubmission, locale: Locale) -> Vec<OpinionView> {
    let t = Tr::new(locale);
    submission
        .opinions
        .iter()
        .enumerate()
        .map(|(i, o)| OpinionView {
            number: i + 1,
            draft: match o.draft_code.as_deref().and_then(|c| consultation.draft(c)) {
                Some(d) => d.title.get(locale).to_string(),
                None => t.t("draft_whole").to_string(),
            },
            location: o.location.clone().unwrap_or_default(),
            body: o.body.clone(),
            reason: o.reason.clone().unwrap_or_default(),
        })
        .collect()
}

/// A Message-ID that is the same for every attempt of the same job, so a receiver can tell a
/// retry from a new message. It never holds the receipt number: the log transport writes it.
pub fn message_id(job_id: i64, kind: &str, public_base_url: &str) -> String {
    let (before, after) = message_id_around(kind, public_base_url);
    format!("{before}{job_id}{after}")
}

/// What a Message-ID holds before and after the job's id, so that the ids of many jobs can be
/// written by one statement.
pub fn message_id_around(kind: &str, public_base_url: &str) -> (String, String) {
    let kind: String = kind.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let host = public_base_url
        .split("://")
        .nth(1)
        .unwrap_or("pubcom.invalid")
        .split(['/', ':'])
        .next()
        .unwrap_or("pubcom.invalid");
    (format!("<pubcom-{kind}-"), format!("@{host}>"))
}

pub struct ReceiptEmail<'a> {
    pub consultation: &'a Consultation,
    pub submission: &'a StoredSubmission,
    pub to: &'a str,
    pub from: &'a str,
    pub public_base_url: &'a str,
    pub message_id: &'a str,
    /// The email confirming a withdrawal instead of a receipt.
    pub withdrawal: bool,
}

impl ReceiptEmail<'_> {
    pub fn build(&self) -> Result<Message, String> {
        let locale = self.submission.locale;
        let t = Tr::new(locale);
        let receipt_number = self.submission.receipt_number.as_str();
        let (greeting, closing, subject) = if self.withdrawal {
            ("withdrawal_email_greeting", "withdrawal_email_closing", "withdrawal_email_subject")
        } else {
            ("email_greeting", "next_steps", "email_subject")
        };
        let r = Receipt {
            t,
            greeting,
            closing,
            title: self.consultation.title.get(locale),
            receipt_number,
            received_at: i18n::datetime(locale, self.submission.received_at, self.consultation.time_zone),
            receipt_url: format!(
                "{}/c/{}/receipt/{}?lang={}",
                self.public_base_url.trim_end_matches('/'),
                self.consultation.slug,
                receipt_number,
                locale
            ),
            opinions: opinion_views(self.consultation, self.submission, locale),
            files: file_lines(&self.submission.attachments, locale),
        };
        let text = ReceiptText { r: &r }.render().map_err(|e| e.to_string())?;
        let html = ReceiptHtml { r: &r }.render().map_err(|e| e.to_string())?;
        // The address was checked when it was submitted; lettre checks it again here, and its
        // header encoding keeps user text out of the header structure.
        let to: Mailbox = self.to.parse().map_err(|e| format!("recipient address refused: {e}"))?;
        let from: Mailbox = self.from.parse().map_err(|e| format!("mail.from refused: {e}"))?;
        let subject = t.t(subject).replace("{receipt}", receipt_number);
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(self.message_id.to_string()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            )
            .map_err(|e| e.to_string())
    }
}
