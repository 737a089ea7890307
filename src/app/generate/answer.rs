//! Finishes generated work the way a team would, so publication can be tried at scale: every
//! transcription verified by a second (made-up) pair of eyes, every personal-data suggestion
//! withheld, one approved response item per draft and one for the consultation as a whole,
//! every opinion answered by its draft's item, then the results published through the same
//! gates staff go through.
use crate::clock::Clock;
use crate::db::results::PublishOutcome;
use crate::db::schema::{opinions, redactions, submissions};
use crate::db::{consultations, responses, Db, DbError};
use crate::domain::redaction::{Reason, Status};
use crate::domain::response::ItemText;
use crate::domain::staff::Role;
use crate::domain::transcription::Verification;
use crate::domain::triage::TriageState;
use crate::domain::Locale;
use diesel::prelude::*;

/// What publishing the generated consultation did.
pub enum Answered {
    Published {
        version: i32,
        opinions: usize,
    },
    /// The gates refused: how many failures, and the first few in words.
    Refused {
        failures: usize,
        first: Vec<String>,
    },
}

fn account(db: &Db, username: &str, name: &str, role: Role, clock: &dyn Clock) -> Result<i64, DbError> {
    let now = clock.now();
    db.write_blocking(|c| {
        if let Some(u) = crate::db::staff::find_by_username(c, username)? {
            return Ok(u.id);
        }
        // No password can match this hash: the account only stands for a made-up colleague.
        let user = crate::db::staff::create(c, username, name, role, "!", now)?;
        crate::db::staff::set_disabled(c, user.id, true, now)?;
        Ok(user.id)
    })
}

fn item_text(title_ja: &str, title_en: &str) -> ItemText {
    ItemText {
        summary_ja: format!("{title_ja}に関するご意見"),
        summary_en: format!("Opinions on {title_en}"),
        view_ja: "ご意見ありがとうございます。**今後の運用の参考**とさせていただきます。".into(),
        view_en: "Thank you for your opinion. We will **take it into account** in operation.".into(),
        changed: false,
        change_ja: String::new(),
        change_en: String::new(),
    }
}

/// Verifies, answers and publishes the consultation `slug` (see the module's comment).
pub fn answer_and_publish(db: &Db, slug: &str, clock: &dyn Clock) -> Result<Answered, DbError> {
    let now = clock.now();
    let stored = db
        .run_blocking(|c| consultations::find(c, slug))?
        .ok_or_else(|| DbError::Corrupt(format!("no consultation '{slug}'")))?;
    // The personal-data scan runs before anything is published, as the worker would have.
    while crate::app::redaction::scan_pending(db, now)? > 0 {}
    let author = account(db, "sample-data", "Sample data generator", Role::Clerk, clock)?;
    let reviewer = account(db, "sample-reviewer", "Sample reviewer", Role::Approver, clock)?;
    let mut drafts: Vec<(Option<i64>, String, String)> = stored
        .consultation
        .drafts
        .iter()
        .filter_map(|d| {
            let (ja, en) = (d.title.get(Locale::Ja).to_string(), d.title.get(Locale::En).to_string());
            stored.draft_ids.get(&d.code).map(|id| (Some(*id), ja, en))
        })
        .collect();
    drafts.push((None, "案件全体".into(), "the consultation as a whole".into()));
    db.write_blocking(|c| {
        let ours = submissions::table.filter(submissions::consultation_id.eq(stored.id)).select(submissions::id);
        diesel::update(submissions::table)
            .filter(submissions::consultation_id.eq(stored.id))
            .filter(submissions::transcribed_by.is_not_null())
            .filter(submissions::verified_by.is_null())
            .set((
                submissions::verification.eq(Some(Verification::Verified.as_str())),
                submissions::verified_by.eq(Some(reviewer)),
            ))
            .execute(c)?;
        // What the scan suggested is withheld, as the cautious decision.
        let suggested: Vec<i64> = redactions::table
            .inner_join(opinions::table.inner_join(submissions::table))
            .filter(submissions::consultation_id.eq(stored.id))
            .filter(redactions::status.eq(Status::Suggested.as_str()))
            .select(redactions::id)
            .load(c)?;
        for id in suggested {
            crate::db::redactions::decide(c, id, Status::Accepted, Some(Reason::OwnPersonalData), None, reviewer, now)?;
        }
        for (draft_id, ja, en) in &drafts {
            let item = responses::create(c, stored.id, *draft_id, &item_text(ja, en), author, now)?;
            responses::approve(c, item, reviewer, now)?;
            let answered =
                (opinions::triage_state.eq(TriageState::Answered.as_str()), opinions::response_item_id.eq(Some(item)));
            match draft_id {
                Some(id) => diesel::update(opinions::table)
                    .filter(opinions::submission_id.eq_any(ours))
                    .filter(opinions::draft_id.eq(*id))
                    .set(answered)
                    .execute(c)?,
                None => diesel::update(opinions::table)
                    .filter(opinions::submission_id.eq_any(ours))
                    .filter(opinions::draft_id.is_null())
                    .set(answered)
                    .execute(c)?,
            };
        }
        Ok(())
    })?;
    let outcome = db.write_blocking(|c| crate::db::results::publish(c, &stored, reviewer, now))?;
    Ok(match outcome {
        PublishOutcome::Published(version) => {
            let opinions = db.run_blocking(|c| {
                let n: i64 = opinions::table
                    .inner_join(submissions::table)
                    .filter(submissions::consultation_id.eq(stored.id))
                    .count()
                    .get_result(c)?;
                Ok(n as usize)
            })?;
            Answered::Published { version, opinions }
        }
        PublishOutcome::Refused(failures) => Answered::Refused {
            failures: failures.len(),
            first: failures.iter().take(5).map(|f| format!("{f:?}")).collect(),
        },
    })
}
