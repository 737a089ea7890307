//! Publication: the facts the publication gates look at, building the results from triage
//! (with withheld text taken out), and the immutable, numbered versions (the database refuses
//! to change a stored version).
use super::campaigns;
use super::consultations::StoredConsultation;
use super::redactions::{self, Withheld};
use super::schema::{opinions, result_versions, submissions};
use super::{from_db_time, responses, to_db_time, DbConnection, DbError};
use crate::domain::publication::{failures, Facts, Failure, ItemFacts, TranscriptionFacts};
use crate::domain::redaction::{Field, PublicText, Reason};
use crate::domain::results::{
    Count, PublishedAnswer, PublishedItem, PublishedOpinion, PublishedOutcome, PublishedResults, Section, Text, Totals,
    Window,
};
use crate::domain::transcription::{Hands, Verification};
use crate::domain::triage::{Coverage, TriageState};
use crate::domain::Localized;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable)]
struct Row {
    id: i64,
    location: Option<String>,
    body: String,
    reason: Option<String>,
    state: String,
    triage_reason: Option<String>,
    duplicate_of: Option<i64>,
    item_id: Option<i64>,
    submission_id: i64,
    channel: String,
    late: bool,
    late_accepted: Option<i64>,
    organization: Option<String>,
    publish_organization: bool,
    receipt_number: String,
    verification: Option<String>,
    transcribed_by: Option<i64>,
    corrected_by: Option<i64>,
    verified_by: Option<i64>,
    withdrawn: Option<chrono::NaiveDateTime>,
}

fn rows(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<Row>, DbError> {
    Ok(opinions::table
        .inner_join(submissions::table)
        .filter(submissions::consultation_id.eq(consultation_id))
        .order(opinions::id.asc())
        .select((
            opinions::id,
            opinions::location,
            opinions::body,
            opinions::reason,
            opinions::triage_state,
            opinions::triage_reason,
            opinions::duplicate_of,
            opinions::response_item_id,
            submissions::id,
            submissions::channel,
            submissions::late,
            submissions::late_accepted_by,
            submissions::organization,
            submissions::publish_organization,
            submissions::receipt_number,
            submissions::verification,
            submissions::transcribed_by,
            submissions::corrected_by,
            submissions::verified_by,
            submissions::withdrawn_at,
        ))
        .load(conn)?)
}

fn state_of(r: &Row) -> TriageState {
    r.state.parse().unwrap_or(TriageState::New)
}

/// Everything publication looks at, read once for a check or a build.
struct Snapshot {
    rows: Vec<Row>,
    items: Vec<responses::Item>,
    withheld: HashMap<i64, Vec<Withheld>>,
    unresolved: Vec<(i64, usize)>,
    /// Campaign cluster of each clustered opinion.
    clusters: HashMap<i64, i64>,
    files: Vec<crate::domain::attachment::FileCandidate>,
}

fn snapshot(conn: &mut DbConnection, consultation_id: i64) -> Result<Snapshot, DbError> {
    Ok(Snapshot {
        rows: rows(conn, consultation_id)?,
        items: responses::list(conn, consultation_id)?,
        withheld: redactions::withheld_in(conn, consultation_id)?,
        unresolved: redactions::unresolved_in(conn, consultation_id)?,
        clusters: campaigns::cluster_of_each(conn, consultation_id)?,
        files: super::attachments::candidates(conn, consultation_id)?,
    })
}

/// What stands between the consultation and publication, and the results as they would be
/// published now, from one read of the data.
pub fn review(
    conn: &mut DbConnection,
    stored: &StoredConsultation,
    version: i32,
    now: DateTime<Utc>,
) -> Result<(Vec<Failure>, PublishedResults), DbError> {
    let data = snapshot(conn, stored.id)?;
    Ok((failures_of(&data, stored, now), build_from(&data, stored, version, now).0))
}

/// Withdrawn opinions and late ones nobody accepted are kept but never considered.
fn considered(r: &Row) -> bool {
    r.withdrawn.is_none() && (!r.late || r.late_accepted.is_some())
}

/// Why an opinion's text is not published, or `None` when it is.
fn not_published_key(r: &Row) -> Option<&'static str> {
    if r.withdrawn.is_some() {
        Some("withdrawn")
    } else if !considered(r) {
        Some("late")
    } else {
        match state_of(r) {
            TriageState::Answered => None,
            other => Some(other.as_str()),
        }
    }
}

/// Every publication gate that fails now; empty when the results may be published.
fn failures_of(data: &Snapshot, stored: &StoredConsultation, now: DateTime<Utc>) -> Vec<Failure> {
    let approved: HashMap<i64, bool> = data.items.iter().map(|i| (i.id, i.approved())).collect();
    let coverage: Vec<Coverage> = data
        .rows
        .iter()
        .map(|r| Coverage {
            opinion_id: r.id,
            considered: considered(r),
            state: state_of(r),
            has_reason: r.triage_reason.as_deref().is_some_and(|t| !t.trim().is_empty()) || r.duplicate_of.is_some(),
            item: r.item_id.map(|id| (id, approved.get(&id).copied().unwrap_or(false))),
        })
        .collect();
    // One line per transcription (a submission), not per opinion.
    let mut transcriptions: Vec<TranscriptionFacts> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in data.rows.iter().filter(|r| r.verification.is_some()) {
        if seen.insert(r.submission_id) {
            transcriptions.push(TranscriptionFacts {
                receipt_number: r.receipt_number.clone(),
                verification: r
                    .verification
                    .as_deref()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(Verification::Unverified),
                hands: Hands { transcribed_by: r.transcribed_by, corrected_by: r.corrected_by },
                verified_by: r.verified_by,
            });
        }
    }
    let mut linked: HashMap<i64, usize> = HashMap::new();
    for r in data.rows.iter().filter(|r| considered(r)) {
        if let Some(item) = r.item_id {
            *linked.entry(item).or_default() += 1;
        }
    }
    let items = data
        .items
        .iter()
        .map(|i| ItemFacts {
            id: i.id,
            status: i.status,
            hands: i.hands(),
            approved_by: i.approved_by,
            text: i.text(),
            linked: linked.get(&i.id).copied().unwrap_or(0),
        })
        .collect();
    failures(&Facts {
        consultation: &stored.consultation,
        now,
        transcriptions,
        items,
        // Suggestions in text that will never be published (withdrawn, late) need no decision.
        unresolved_suggestions: {
            let considered_ids: std::collections::HashSet<i64> =
                data.rows.iter().filter(|r| considered(r)).map(|r| r.id).collect();
            data.unresolved.iter().filter(|(id, _)| considered_ids.contains(id)).copied().collect()
        },
        coverage,
    })
}

/// One text of an opinion as published: what the person wrote, with what staff withheld
/// taken out.
fn public_text(text: &str, field: Field, withheld: Option<&Vec<Withheld>>) -> PublicText {
    let spans: Vec<(usize, usize, Reason)> = withheld
        .map(|all| all.iter().filter(|(f, ..)| *f == field).map(|(_, s, e, r)| (*s, *e, *r)).collect())
        .unwrap_or_default();
    PublicText::build(text, &spans)
}

/// Opinions among `answered` whose campaign has at least one other of them (同趣旨).
fn in_campaign(answered: &[&Row], clusters: &HashMap<i64, i64>) -> std::collections::HashSet<i64> {
    let mut per_cluster: HashMap<i64, usize> = HashMap::new();
    for r in answered {
        if let Some(c) = clusters.get(&r.id) {
            *per_cluster.entry(*c).or_default() += 1;
        }
    }
    answered.iter().filter(|r| clusters.get(&r.id).is_some_and(|c| per_cluster[c] >= 2)).map(|r| r.id).collect()
}

/// Distinct contents: every opinion outside a campaign, and each campaign once.
fn distinct(all: &[Row], clusters: &HashMap<i64, i64>) -> i64 {
    let mut seen = std::collections::HashSet::new();
    all.iter().filter(|r| clusters.get(&r.id).is_none_or(|c| seen.insert(*c))).count() as i64
}

fn count_by<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<Count> {
    let mut out: Vec<Count> = Vec::new();
    for key in keys {
        match out.iter_mut().find(|c| c.key == key) {
            Some(c) => c.count += 1,
            None => out.push(Count { key: key.to_string(), count: 1 }),
        }
    }
    out
}

/// The results as they would be published now.
fn build_from(
    data: &Snapshot,
    stored: &StoredConsultation,
    version: i32,
    now: DateTime<Utc>,
) -> (PublishedResults, Vec<PublishedOutcome>) {
    let c = &stored.consultation;
    let all = &data.rows;
    let items = &data.items;
    let code_of: HashMap<i64, &str> = stored.draft_ids.iter().map(|(code, id)| (*id, code.as_str())).collect();
    let mut sections: Vec<Section> = Vec::new();
    // Drafts in the order the consultation lists them, the consultation as a whole last.
    let mut order: Vec<Option<i64>> =
        c.drafts.iter().filter_map(|d| stored.draft_ids.get(&d.code).copied().map(Some)).collect();
    order.push(None);
    let mut answers: HashMap<i64, PublishedAnswer> = HashMap::new();
    for draft_id in order {
        let mut published_items = Vec::new();
        for item in items.iter().filter(|i| i.draft_id == draft_id && i.approved()) {
            let answered: Vec<&Row> = all
                .iter()
                .filter(|r| r.item_id == Some(item.id) && considered(r) && state_of(r) == TriageState::Answered)
                .collect();
            let number = published_items.len() + 1;
            let in_campaign = in_campaign(&answered, &data.clusters);
            let summary = Text { ja: item.summary_ja.clone(), en: item.summary_en.clone() };
            for (i, r) in answered.iter().enumerate() {
                let withheld = data.withheld.get(&r.id);
                let opinion = PublishedOpinion {
                    number: i + 1,
                    location: r.location.as_deref().map(|t| public_text(t, Field::Location, withheld)),
                    body: public_text(&r.body, Field::Body, withheld),
                    reason: r.reason.as_deref().map(|t| public_text(t, Field::Reason, withheld)),
                    organization: r.organization.clone().filter(|_| r.publish_organization),
                };
                answers.insert(
                    r.id,
                    PublishedAnswer {
                        section: sections.len() + 1,
                        draft: draft_id.and_then(|id| code_of.get(&id)).map(|c| c.to_string()),
                        item_number: number,
                        response_item_id: item.id,
                        summary: summary.clone(),
                        same_content: in_campaign.contains(&r.id),
                        opinion,
                    },
                );
            }
            published_items.push(PublishedItem {
                number,
                summary,
                view: Text { ja: item.view_ja.clone(), en: item.view_en.clone() },
                changed: item.changed,
                change: Text { ja: item.change_ja.clone(), en: item.change_en.clone() },
                opinion_count: answered.len(),
                same_content: in_campaign.len(),
                response_item_id: item.id,
                opinions: Vec::new(),
            });
        }
        if published_items.is_empty() {
            continue;
        }
        let (draft, title) = match draft_id.and_then(|id| code_of.get(&id)) {
            Some(code) => (Some(code.to_string()), c.draft(code).map(|d| d.title.clone()).unwrap_or_default()),
            None => (None, Localized::new("案件全体について", "The consultation as a whole")),
        };
        sections.push(Section { draft, title, items: published_items });
    }
    let published: i64 = sections.iter().flat_map(|s| &s.items).map(|i| i.opinion_count as i64).sum();
    let mut submissions_seen: Vec<i64> = all.iter().map(|r| r.submission_id).collect();
    submissions_seen.sort_unstable();
    submissions_seen.dedup();
    let not_published = count_by(all.iter().filter_map(not_published_key));
    let outcomes: Vec<PublishedOutcome> = all
        .iter()
        .map(|r| {
            let answer = answers.remove(&r.id);
            let outcome = match (&answer, not_published_key(r)) {
                (Some(_), _) => "answered",
                (None, Some(key)) => key,
                // Answered by an item not published: the gates refuse this, but say so honestly.
                (None, None) => "in_review",
            };
            PublishedOutcome { opinion_id: r.id, outcome: outcome.to_string(), answer }
        })
        .collect();
    // Outcomes follow the rows one to one; only needed when someone attached files.
    let answered: std::collections::HashSet<i64> = if data.files.is_empty() {
        Default::default()
    } else {
        all.iter().zip(&outcomes).filter(|(_, o)| o.outcome == "answered").map(|(r, _)| r.submission_id).collect()
    };
    let (files, files_not_published) =
        crate::domain::attachment::files_to_publish(data.files.clone(), |s| answered.contains(&s));
    let results = PublishedResults {
        consultation: c.slug.clone(),
        version,
        published_at: now,
        title: c.title.clone(),
        window: Some(Window {
            opens_at: c.opens_at,
            closes_at: c.closes_at,
            postal_arrival_deadline: c.postal_deadline(),
            time_zone: c.time_zone.name().to_string(),
        }),
        totals: Totals {
            submissions: submissions_seen.len() as i64,
            opinions: all.len() as i64,
            by_channel: count_by(all.iter().map(|r| r.channel.as_str())),
            late: all.iter().filter(|r| r.late).count() as i64,
            late_accepted: all.iter().filter(|r| r.late && r.late_accepted.is_some()).count() as i64,
            published,
            distinct: distinct(all, &data.clusters),
            not_published,
            files_published: files.len() as i64,
            files_not_published,
        },
        sections,
        files,
    };
    (results, outcomes)
}

#[derive(Debug)]
pub enum PublishOutcome {
    Published(i32),
    Refused(Vec<Failure>),
}

/// Publishes a new version if every gate holds. Call inside a transaction.
pub fn publish(
    conn: &mut DbConnection,
    stored: &StoredConsultation,
    by: i64,
    now: DateTime<Utc>,
) -> Result<PublishOutcome, DbError> {
    let data = snapshot(conn, stored.id)?;
    let missing = failures_of(&data, stored, now);
    if !missing.is_empty() {
        return Ok(PublishOutcome::Refused(missing));
    }
    let last: Option<i32> = result_versions::table
        .filter(result_versions::consultation_id.eq(stored.id))
        .select(diesel::dsl::max(result_versions::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    let (results, outcomes) = build_from(&data, stored, version, now);
    let content = serde_json::to_string(&results).map_err(|e| DbError::Corrupt(e.to_string()))?;
    diesel::insert_into(result_versions::table)
        .values((
            result_versions::consultation_id.eq(stored.id),
            result_versions::version.eq(version),
            result_versions::published_at.eq(to_db_time(now)),
            result_versions::published_by.eq(by),
            result_versions::content.eq(content),
        ))
        .execute(conn)?;
    super::receipts::store_outcomes(conn, version, &outcomes)?;
    Ok(PublishOutcome::Published(version))
}

/// A published version (the newest when `version` is `None`).
pub fn load(
    conn: &mut DbConnection,
    consultation_id: i64,
    version: Option<i32>,
) -> Result<Option<PublishedResults>, DbError> {
    let mut q = result_versions::table
        .filter(result_versions::consultation_id.eq(consultation_id))
        .select(result_versions::content)
        .order(result_versions::version.desc())
        .into_boxed::<super::MultiBackend>();
    if let Some(v) = version {
        q = q.filter(result_versions::version.eq(v));
    }
    let content: Option<String> = q.first(conn).optional()?;
    content.map(|c| serde_json::from_str(&c).map_err(|e| DbError::Corrupt(e.to_string()))).transpose()
}

/// All versions of a consultation: number and publication time.
pub fn versions(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<(i32, DateTime<Utc>)>, DbError> {
    let rows: Vec<(i32, chrono::NaiveDateTime)> = result_versions::table
        .filter(result_versions::consultation_id.eq(consultation_id))
        .order(result_versions::version.asc())
        .select((result_versions::version, result_versions::published_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(v, at)| (v, from_db_time(at))).collect())
}

/// Ids of consultations that have published results.
pub fn published_consultations(conn: &mut DbConnection) -> Result<Vec<i64>, DbError> {
    Ok(result_versions::table.select(result_versions::consultation_id).distinct().load(conn)?)
}
