//! Fills a consultation with a realistic mix of made-up submissions, so triage and publication
//! can be tried at scale: Japanese and English opinions across the drafts, form-letter
//! campaigns, several opinions per submission, post, fax and email besides the web, and some
//! late letters. Names and addresses are obviously fictitious.
use crate::clock::Clock;
use crate::db::submissions::{self, NewSubmission, Transcribed};
use crate::db::{consultations, Db, DbError};
use crate::domain::submission::OpinionInput;
use crate::domain::{Channel, Locale, ReceiptNumber, SubmissionInput};
use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const JA_OPENINGS: &[&str] = &[
    "本案に賛成します。",
    "一部修正を求めます。",
    "次の点について懸念があります。",
    "中小事業者の立場から意見を述べます。",
    "自治体の情報システム担当として意見します。",
];
const JA_POINTS: &[&str] = &[
    "監査の頻度を明確にしてください。",
    "管理基準の適用範囲が不明確です。",
    "登録申請に必要な書類を簡素化すべきです。",
    "クラウド事業者の負担が過大にならないよう配慮が必要です。",
    "国際規格との整合性を示してください。",
    "再委託先の管理について記載を追加すべきです。",
    "経過措置の期間を延ばしてください。",
    "用語の定義を統一してください。",
];
const EN_OPENINGS: &[&str] = &[
    "We support this draft.",
    "We ask for changes.",
    "We have concerns about the following.",
    "As a cloud service provider, we comment as follows.",
];
const EN_POINTS: &[&str] = &[
    "Please state the audit interval precisely.",
    "The scope of the management standards is unclear.",
    "Align the controls with ISO/IEC 27017.",
    "Allow existing certifications to be reused.",
    "The transition period is too short.",
    "Define 'cloud service' consistently across the documents.",
];
const CAMPAIGNS: &[&str] = &[
    "【統一意見】中小クラウド事業者の参入障壁とならないよう、登録手数料と監査費用の上限を定めてください。",
    "[Campaign] Please publish the list of registered services in machine-readable form.",
    "【統一意見】政府調達におけるクラウド・バイ・デフォルト原則を維持してください。",
];

pub struct Generated {
    pub submissions: usize,
    pub opinions: usize,
}

/// Adds `opinions` opinions (approximately: whole submissions) to the consultation `slug`.
pub fn fill(
    db: &Db,
    slug: &str,
    opinions: usize,
    seed: u64,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(usize),
) -> Result<Generated, DbError> {
    let stored = db
        .run_blocking(|c| consultations::find(c, slug))?
        .ok_or_else(|| DbError::Corrupt(format!("no consultation '{slug}'")))?;
    let c = &stored.consultation;
    let clerk = ensure_generator_account(db, clock)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let codes: Vec<String> = c.drafts.iter().map(|d| d.code.clone()).collect();
    let window = (c.closes_at - c.opens_at).num_seconds().max(1);
    let (mut made, mut subs) = (0usize, 0usize);
    while made < opinions {
        let batch_target = (opinions - made).min(2000);
        let mut batch = Vec::new();
        let mut in_batch = 0;
        while in_batch < batch_target {
            let n = (rng.random_range(1..=4usize)).min(batch_target - in_batch).max(1);
            let english = rng.random_bool(0.25);
            let campaign = rng.random_bool(0.2).then(|| CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())]);
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
                        Some(text) => text.to_string(),
                        None if english => format!(
                            "{} {} {}",
                            EN_OPENINGS[rng.random_range(0..EN_OPENINGS.len())],
                            EN_POINTS[rng.random_range(0..EN_POINTS.len())],
                            EN_POINTS[rng.random_range(0..EN_POINTS.len())]
                        ),
                        None => format!(
                            "{}{}{}",
                            JA_OPENINGS[rng.random_range(0..JA_OPENINGS.len())],
                            JA_POINTS[rng.random_range(0..JA_POINTS.len())],
                            JA_POINTS[rng.random_range(0..JA_POINTS.len())]
                        ),
                    };
                    OpinionInput {
                        draft,
                        location: if rng.random_bool(0.6) {
                            format!("{}.{}.{}", rng.random_range(1..6), rng.random_range(1..9), rng.random_range(1..9))
                        } else {
                            String::new()
                        },
                        body,
                        reason: if rng.random_bool(0.4) {
                            "実務上の理由による。".into()
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
            };
            let valid = match channel {
                Channel::Web | Channel::Api => input.parse(c),
                _ => input.parse_transcribed(c),
            };
            let Ok(valid) = valid else { continue };
            in_batch += valid.opinions().len();
            batch.push((valid, channel, received_at, ReceiptNumber::generate(&mut rng)));
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
    Ok(Generated { submissions: subs, opinions: made })
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
