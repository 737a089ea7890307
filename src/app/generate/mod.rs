//! Fills a consultation with a realistic mix of made-up submissions, so triage, campaigns and
//! publication can be tried at scale: Japanese and English opinions across the drafts,
//! campaigns in the variants they come in (with the truth recorded, to measure how well they
//! are found), several opinions per submission, post, fax and email besides the web, and some
//! late letters. Names and addresses are obviously fictitious.
mod answer;
mod texts;

pub use answer::{answer_and_publish, Answered};

use crate::clock::Clock;
use crate::db::submissions::{self, NewSubmission, Transcribed};
use crate::db::{consultations, Db, DbError};
use crate::domain::submission::OpinionInput;
use crate::domain::{Channel, Locale, ReceiptNumber, SubmissionInput};
use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use texts::Template;

/// What to make.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// About how many opinions (whole submissions are made).
    pub opinions: usize,
    pub seed: u64,
    /// How many campaigns the campaign opinions come from.
    pub campaigns: usize,
    /// The share of opinions that are campaign copies (0 to 1).
    pub campaign_share: f64,
}

/// The campaign each generated opinion truly belongs to, if any.
#[derive(Debug, Clone)]
pub struct Truth {
    pub receipt_number: String,
    /// The opinion's place in its submission.
    pub position: usize,
    pub campaign: Option<usize>,
}

pub struct Generated {
    pub submissions: usize,
    pub opinions: usize,
    pub truth: Vec<Truth>,
}

/// Adds `plan.opinions` opinions (approximately: whole submissions) to the consultation `slug`.
pub fn fill(
    db: &Db,
    slug: &str,
    plan: Plan,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(usize),
) -> Result<Generated, DbError> {
    let (opinions, seed) = (plan.opinions, plan.seed);
    let stored = db
        .run_blocking(|c| consultations::find(c, slug))?
        .ok_or_else(|| DbError::Corrupt(format!("no consultation '{slug}'")))?;
    let c = &stored.consultation;
    let clerk = ensure_generator_account(db, clock)?;
    let mut rng = StdRng::seed_from_u64(seed);
    // About a quarter of the campaigns are in English, like the opinions.
    let templates: Vec<Template> = (0..plan.campaigns).map(|i| Template::new(&mut rng, i % 4 == 3)).collect();
    // The share is of opinions; other submissions make 2.5 points on average.
    let share = plan.campaign_share.clamp(0.0, 1.0);
    let campaign_letters = share * 2.5 / (1.0 + share * 1.5);
    let mut truth = Vec::new();
    let codes: Vec<String> = c.drafts.iter().map(|d| d.code.clone()).collect();
    let window = (c.closes_at - c.opens_at).num_seconds().max(1);
    let (mut made, mut subs) = (0usize, 0usize);
    while made < opinions {
        let batch_target = (opinions - made).min(2000);
        let mut batch = Vec::new();
        let mut in_batch = 0;
        while in_batch < batch_target {
            // A campaign copy is a letter of one opinion; others make one to four points.
            let campaign = (!templates.is_empty() && rng.random_bool(campaign_letters))
                .then(|| rng.random_range(0..templates.len()));
            let english = campaign.map_or_else(|| rng.random_bool(0.25), |k| templates[k].english);
            let n =
                if campaign.is_some() { 1 } else { (rng.random_range(1..=4usize)).min(batch_target - in_batch).max(1) };
            let ops: Vec<OpinionInput> = (0..n)
                .map(|_| {
                    // The management standards draw most comments, as in the real case.
                    let draft = if rng.random_bool(0.1) {
                        String::new()
                    } else if rng.random_bool(0.45) && codes.iter().any(|c| c == "management-standards") {
                        "management-standards".to_string()
                    } else {
                        codes.get(rng.random_range(0..codes.len().max(1))).cloned().unwrap_or_default()
                    };
                    let body = match campaign {
                        Some(k) => templates[k].copy(&mut rng),
                        None => {
                            // Some distinct opinions quote a sentence of a campaign.
                            let quoted = (!templates.is_empty() && rng.random_bool(0.15))
                                .then(|| &templates[rng.random_range(0..templates.len())]);
                            texts::distinct(&mut rng, english, quoted)
                        }
                    };
                    OpinionInput {
                        draft,
                        location: if rng.random_bool(0.6) {
                            format!("{}.{}.{}", rng.random_range(1..6), rng.random_range(1..9), rng.random_range(1..9))
                        } else {
                            String::new()
                        },
                        body,
                        reason: if campaign.is_none() && rng.random_bool(0.4) {
                            texts::sentence(&mut rng, english)
                        } else {
                            String::new()
                        },
                    }
                })
                .collect();
            let roll: f64 = rng.random();
            let channel = if roll < 0.80 {
                Channel::Web
            } else if roll < 0.90 {
                Channel::Api
            } else if roll < 0.96 {
                Channel::Postal
            } else if roll < 0.99 {
                Channel::Fax
            } else {
                Channel::Email
            };
            let offset = rng.random_range(0..window);
            let mut received_at = c.opens_at + Duration::seconds(offset);
            if channel == Channel::Postal && rng.random_bool(0.15) {
                received_at = c.closes_at + Duration::hours(rng.random_range(12..96));
            }
            let i = subs + batch.len();
            let input = SubmissionInput {
                name: format!("Sample Person {i}"),
                organization: if rng.random_bool(0.3) { format!("Sample Org {}", i % 500) } else { String::new() },
                email: String::new(),
                postal_address: String::new(),
                phone: String::new(),
                publish_organization: rng.random_bool(0.5),
                locale: if english { Locale::En } else { Locale::Ja },
                opinions: ops,
                agreed_to_notes: Some(true),
            };
            let valid = match channel {
                Channel::Web | Channel::Api => input.parse(c),
                _ => input.parse_transcribed(c),
            };
            let Ok(valid) = valid else { continue };
            in_batch += valid.opinions().len();
            let receipt = ReceiptNumber::generate(&mut rng);
            truth.extend((0..valid.opinions().len()).map(|position| Truth {
                receipt_number: receipt.to_string(),
                position,
                campaign,
            }));
            batch.push((valid, channel, received_at, receipt));
        }
        let now = clock.now();
        db.write_blocking(|conn| {
            let news: Vec<NewSubmission> = batch
                .iter()
                .map(|(valid, channel, received_at, receipt)| NewSubmission {
                    consultation: &stored,
                    submission: valid,
                    channel: *channel,
                    received_at: *received_at,
                    late: c.is_late(*channel, *received_at),
                    receipt_number: receipt,
                    idempotency_key: None,
                    request_hash: None,
                    transcription: matches!(channel, Channel::Postal | Channel::Fax | Channel::Email)
                        .then_some(Transcribed { by: clerk, postmark: None }),
                    attachments: &[],
                })
                .collect();
            // One statement per table for the whole batch, and one scan job for it.
            submissions::insert_many(conn, &news, now)?;
            Ok(())
        })?;
        subs += batch.len();
        made += in_batch;
        progress(made);
    }
    // Nobody is submitting: index the text now, as a running worker would, so the search
    // (and its benchmarks) meet a complete index.
    while db.write_blocking(|c| crate::db::search::index_listed(c, 20_000))? > 0 {}
    // Fresh statistics, so the planner does not choose plans made for an empty table.
    db.write_blocking(crate::db::analyze)?;
    Ok(Generated { submissions: subs, opinions: made, truth })
}

/// Transcriptions need a clerk; the generator types as a disabled account of its own.
fn ensure_generator_account(db: &Db, clock: &dyn Clock) -> Result<i64, DbError> {
    let now = clock.now();
    db.write_blocking(|c| {
        if let Some(u) = crate::db::staff::find_by_username(c, "sample-data")? {
            return Ok(u.id);
        }
        // No password can match this hash: the account exists only to own generated letters.
        let user = crate::db::staff::create(
            c,
            "sample-data",
            "Sample data generator",
            crate::domain::staff::Role::Clerk,
            "!",
            now,
        )?;
        crate::db::staff::set_disabled(c, user.id, true, now)?;
        Ok(user.id)
    })
}
