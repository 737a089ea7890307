//! Campaigns: fingerprints taken in the background after an opinion is stored (or corrected)
//! and the opinion placed in a cluster at once; full re-clustering of a consultation; and
//! staff detaching an opinion or joining two clusters, choices that re-clustering keeps.
use super::{OpError, OpResult};
use crate::db::audit::{Action, Actor, Entry, Object};
use crate::db::campaigns::{self as cdb, MemberRow};
use crate::db::fingerprints as fdb;
use crate::db::schema::{fingerprints as fingerprints_table, opinions, submissions};
use crate::db::{consultations, jobs, Db, DbConnection, DbError};
use crate::domain::campaign::{cluster, own_chars, Override};
use crate::domain::fingerprint::Fingerprint;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;

/// Jobs taken in one pass; each names the submissions of one batch.
const JOBS_PER_PASS: i64 = 20;

fn per_mille(similarity: f64) -> i32 {
    (similarity * 1000.0).round() as i32
}

/// The campaign threshold of each consultation, read once per pass.
struct Thresholds(HashMap<i64, f64>);

impl Thresholds {
    fn of(&mut self, c: &mut DbConnection, consultation_id: i64) -> Result<f64, DbError> {
        if let Some(t) = self.0.get(&consultation_id) {
            return Ok(*t);
        }
        let slug = consultations::slug_of(c, consultation_id)?.unwrap_or_default();
        let t = consultations::find(c, &slug)?
            .map_or(crate::domain::fingerprint::DEFAULT_THRESHOLD, |s| s.consultation.campaign_threshold);
        self.0.insert(consultation_id, t);
        Ok(t)
    }
}

/// Submissions the worker fingerprints in one transaction: on SQLite the transaction holds the
/// only writer, so it stays short (tens of milliseconds) and intake is not kept waiting.
const SUBMISSIONS_PER_PASS: usize = 16;

/// Takes queued submissions, fingerprints their opinions and places each in a cluster, in one
/// short transaction with taking the job (what is left of the job is queued again). Returns
/// how many opinions it read.
pub fn fingerprint_pending(db: &Db, now: DateTime<Utc>) -> Result<usize, DbError> {
    fingerprint(db, Pass::Worker(now))
}

/// How much one transaction takes on.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// A few submissions, each opinion placed in a cluster at once; the rest of a job is queued
    /// again at this time.
    Worker(DateTime<Utc>),
    /// Many jobs, fingerprints only: a full re-clustering follows.
    Bulk,
}

fn fingerprint(db: &Db, pass: Pass) -> Result<usize, DbError> {
    db.write_blocking(|c| {
        plan_each_statement(c)?;
        if pass == Pass::Bulk {
            crate::db::widen_sqlite_cache(c)?;
        }
        let taken = jobs::take(c, jobs::FINGERPRINT, if pass == Pass::Bulk { JOBS_PER_PASS } else { 1 })?;
        let mut ids: Vec<i64> = Vec::new();
        for (job, payload) in taken {
            let listed: Vec<i64> = serde_json::from_str(&payload)
                .map_err(|e| DbError::Corrupt(format!("job {job} has an unreadable list: {e}")))?;
            ids.extend(listed);
        }
        if let Pass::Worker(now) = pass {
            if ids.len() > SUBMISSIONS_PER_PASS {
                let rest = ids.split_off(SUBMISSIONS_PER_PASS);
                let payload = serde_json::to_string(&rest).map_err(|e| DbError::Corrupt(e.to_string()))?;
                jobs::queue(c, jobs::FINGERPRINT, &payload, now)?;
            }
        }
        let mut thresholds = Thresholds(HashMap::new());
        let mut done = 0;
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, i64, String, Option<String>)> = opinions::table
                .inner_join(submissions::table)
                .filter(
                    opinions::submission_id
                        .between(crate::db::submissions::low(chunk), crate::db::submissions::high(chunk)),
                )
                .filter(opinions::submission_id.eq_any(chunk))
                .order(opinions::id.asc())
                .select((opinions::id, submissions::consultation_id, opinions::body, opinions::reason))
                .load(c)?;
            let texts: Vec<String> =
                rows.iter().map(|(_, _, body, reason)| fdb::joined(body, reason.as_deref())).collect();
            let taken: Vec<(i64, i64, Fingerprint)> = rows
                .iter()
                .zip(&texts)
                .map(|((id, consultation_id, _, _), text)| (*id, *consultation_id, Fingerprint::of(text)))
                .collect();
            fdb::store(c, &taken)?;
            if pass != Pass::Bulk {
                for ((id, consultation_id, fp), text) in taken.iter().zip(&texts) {
                    let threshold = thresholds.of(c, *consultation_id)?;
                    place(c, *consultation_id, threshold, *id, fp, text)?;
                }
            }
            done += taken.len();
        }
        Ok(done)
    })
}

/// A pass grows the fingerprint tables within one transaction, which PostgreSQL's statistics
/// cannot see: a plan cached while they were small would scan them on every statement
/// (measured: 100,000 opinions fingerprinted in 88 s instead of 38 s).
fn plan_each_statement(c: &mut DbConnection) -> Result<(), DbError> {
    if !c.is_sqlite() {
        diesel::sql_query("SET LOCAL plan_cache_mode = force_custom_plan").execute(c)?;
    }
    Ok(())
}

/// Candidates an opinion being placed is compared with: those sharing most band keys.
const PLACE_CANDIDATES: usize = 16;

/// Puts one opinion in the cluster of its most similar neighbour (or starts one with it), or
/// takes it out of any cluster when nothing is alike enough (after a correction, say).
fn place(
    c: &mut DbConnection,
    consultation_id: i64,
    threshold: f64,
    id: i64,
    fp: &Fingerprint,
    text: &str,
) -> Result<(), DbError> {
    let detached = cdb::overrides(c, consultation_id)?.contains(&Override::Detach(id));
    let candidates =
        if detached { Vec::new() } else { fdb::candidates(c, consultation_id, &fp.band_keys(), id, PLACE_CANDIDATES)? };
    let best = fdb::fingerprints_of(c, &candidates)?
        .into_iter()
        .map(|(other, other_fp)| (other, fp.similarity(&other_fp)))
        .filter(|(_, s)| *s >= threshold)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let Some((neighbour, similarity)) = best else {
        return cdb::remove_member(c, id);
    };
    match cdb::member(c, neighbour)? {
        Some(m) => {
            let template = cdb::template_of(c, consultation_id, m.cluster_id)?.unwrap_or(neighbour);
            let template_fp = fdb::fingerprints_of(c, &[template])?.pop().map(|(_, f)| f);
            let texts = fdb::texts(c, &[template])?;
            let row = MemberRow {
                opinion_id: id,
                cluster_id: m.cluster_id,
                similarity: per_mille(template_fp.map_or(similarity, |t| t.similarity(fp))),
                own_chars: own_chars(texts.get(&template).map_or("", String::as_str), text) as i32,
                is_template: template == id,
            };
            cdb::put_members(c, consultation_id, &[row])
        }
        None => {
            let texts = fdb::texts(c, &[neighbour])?;
            let cluster_id = id.min(neighbour);
            let rows = [
                MemberRow { opinion_id: neighbour, cluster_id, similarity: 1000, own_chars: 0, is_template: true },
                MemberRow {
                    opinion_id: id,
                    cluster_id,
                    similarity: per_mille(similarity),
                    own_chars: own_chars(texts.get(&neighbour).map_or("", String::as_str), text) as i32,
                    is_template: false,
                },
            ];
            cdb::put_members(c, consultation_id, &rows)
        }
    }
}

/// What a full re-clustering found, and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Reclustered {
    pub clusters: usize,
    pub members: usize,
    pub seconds: f64,
}

/// Clusters every opinion of a consultation afresh (staff choices kept), in one transaction.
pub fn recluster(db: &Db, consultation_id: i64, threshold: f64) -> Result<Reclustered, DbError> {
    let started = Instant::now();
    db.write_blocking(|c| {
        let fps = fdb::all_in(c, consultation_id)?;
        let overrides = cdb::overrides(c, consultation_id)?;
        let clusters = cluster(&fps, threshold, &overrides);
        let members: Vec<i64> = clusters.iter().flat_map(|k| k.members.iter().map(|m| m.opinion_id)).collect();
        let texts = fdb::texts(c, &members)?;
        let text = |id: i64| texts.get(&id).map_or("", String::as_str);
        let rows: Vec<MemberRow> = clusters
            .iter()
            .flat_map(|k| {
                k.members.iter().map(move |m| MemberRow {
                    opinion_id: m.opinion_id,
                    cluster_id: k.id,
                    similarity: per_mille(m.similarity),
                    own_chars: if m.opinion_id == k.template {
                        0
                    } else {
                        own_chars(text(k.template), text(m.opinion_id)) as i32
                    },
                    is_template: m.opinion_id == k.template,
                })
            })
            .collect();
        cdb::replace_all(c, consultation_id, &rows)?;
        Ok(Reclustered { clusters: clusters.len(), members: rows.len(), seconds: started.elapsed().as_secs_f64() })
    })
}

/// Runs the re-clusterings staff asked for. Returns how many it ran.
pub fn recluster_pending(db: &Db) -> Result<usize, DbError> {
    let taken = db.write_blocking(|c| jobs::take(c, jobs::RECLUSTER, 10))?;
    let mut consultations: Vec<i64> = taken.iter().filter_map(|(_, payload)| payload.parse().ok()).collect();
    consultations.sort_unstable();
    consultations.dedup();
    for id in &consultations {
        let threshold = db.run_blocking(|c| Thresholds(HashMap::new()).of(c, *id))?;
        let done = recluster(db, *id, threshold)?;
        tracing::info!(consultation_id = id, clusters = done.clusters, seconds = done.seconds, "re-clustered");
    }
    Ok(consultations.len())
}

/// For `pubcom cluster`: fingerprints whatever is queued, re-clusters the consultation, and
/// reports the time taken and, given the truth `generate` wrote, pairwise precision, recall
/// and F1 of cluster membership.
pub fn cluster_report(db: &Db, slug: &str, truth: Option<&std::path::Path>) -> anyhow::Result<String> {
    let stored = db
        .run_blocking(|c| consultations::find(c, slug))?
        .ok_or_else(|| anyhow::anyhow!("no consultation '{slug}'"))?;
    let started = Instant::now();
    let mut fingerprinted = 0;
    loop {
        let n = fingerprint(db, Pass::Bulk)?;
        if n == 0 {
            break;
        }
        fingerprinted += n;
    }
    let fingerprint_secs = started.elapsed().as_secs_f64();
    let done = recluster(db, stored.id, stored.consultation.campaign_threshold)?;
    let mut report = format!(
        "fingerprinted {fingerprinted} opinions in {fingerprint_secs:.1} s; clustered in {:.1} s: {} campaigns, {} opinions in them",
        done.seconds, done.clusters, done.members
    );
    let mut times = placement_times(db, stored.id, stored.consultation.campaign_threshold, PLACEMENT_SAMPLE)?;
    times.sort_by(f64::total_cmp);
    if let (Some(median), Some(slowest)) = (times.get(times.len() / 2), times.last()) {
        report.push_str(&format!(
            "\nplacing one opinion as the worker does after its commit ({} samples, rolled back): median {:.2} ms, p95 {:.2} ms, slowest {:.2} ms",
            times.len(),
            median * 1e3,
            times[times.len() * 95 / 100] * 1e3,
            slowest * 1e3
        ));
    }
    if let Some(path) = truth {
        let text = std::fs::read_to_string(path)?;
        let mut truth: HashMap<(String, usize), Option<usize>> = HashMap::new();
        for line in text.trim_start_matches('\u{feff}').lines().skip(1) {
            let cells: Vec<&str> = line.split(',').map(|c| c.trim_matches('"')).collect();
            if let [receipt, position, campaign] = cells[..] {
                truth.insert((receipt.to_string(), position.parse()?), campaign.parse().ok());
            }
        }
        let (id, clusters) = (stored.id, db.run_blocking(|c| cdb::cluster_of_each(c, stored.id))?);
        let opinions: Vec<(i64, String, i32)> = db.run_blocking(|c| {
            Ok(opinions::table
                .inner_join(submissions::table)
                .filter(submissions::consultation_id.eq(id))
                .select((opinions::id, submissions::receipt_number, opinions::position))
                .load(c)?)
        })?;
        let items: Vec<(Option<i64>, Option<usize>)> = opinions
            .iter()
            .filter_map(|(oid, receipt, position)| {
                let t = truth.get(&(receipt.clone(), *position as usize))?;
                Some((clusters.get(oid).copied(), *t))
            })
            .collect();
        let s = crate::domain::campaign::pairwise_scores(&items);
        let pulled_in = items.iter().filter(|(found, truth)| found.is_some() && truth.is_none()).count();
        let left_out = items.iter().filter(|(found, truth)| found.is_none() && truth.is_some()).count();
        report.push_str(&format!(
            "\nagainst the truth ({} opinions): precision {:.4}, recall {:.4}, F1 {:.4}; \
             distinct opinions put in a cluster: {pulled_in}; campaign copies left out: {left_out}",
            items.len(),
            s.precision,
            s.recall,
            s.f1
        ));
    }
    Ok(report)
}

/// Opinions `pubcom cluster` places afresh to time the worker's work per new opinion.
const PLACEMENT_SAMPLE: usize = 200;

/// Seconds the worker's work for one opinion takes (read, fingerprint, store, place), for
/// opinions spread over the consultation, in a transaction rolled back so the clusters stay.
fn placement_times(db: &Db, consultation_id: i64, threshold: f64, sample: usize) -> Result<Vec<f64>, DbError> {
    let ids: Vec<i64> = db.run_blocking(|c| {
        Ok(fingerprints_table::table
            .filter(fingerprints_table::consultation_id.eq(consultation_id))
            .select(fingerprints_table::opinion_id)
            .order(fingerprints_table::opinion_id.asc())
            .load(c)?)
    })?;
    let step = (ids.len() / sample.max(1)).max(1);
    let mut times = Vec::new();
    let rolled_back = db.write_blocking(|c| {
        plan_each_statement(c)?;
        for &id in ids.iter().step_by(step).take(sample) {
            let started = Instant::now();
            let texts = fdb::texts(c, &[id])?;
            let text = texts.get(&id).map_or("", String::as_str);
            let fp = Fingerprint::of(text);
            fdb::store(c, &[(id, consultation_id, fp.clone())])?;
            place(c, consultation_id, threshold, id, &fp, text)?;
            times.push(started.elapsed().as_secs_f64());
        }
        Err::<(), _>(DbError::Query(diesel::result::Error::RollbackTransaction))
    });
    match rolled_back {
        Err(DbError::Query(diesel::result::Error::RollbackTransaction)) | Ok(()) => Ok(times),
        Err(e) => Err(e),
    }
}

/// Takes an opinion out of its cluster for good; re-clustering keeps it out.
pub async fn detach(
    db: &Db,
    actor: Actor,
    consultation_id: i64,
    opinion_id: i64,
    now: DateTime<Utc>,
) -> OpResult<(), ()> {
    let by = actor.id.ok_or_else(|| DbError::Corrupt("campaign work is staff work".into()))?;
    db.audited(actor, now, move |c| {
        let Some(m) = cdb::member(c, opinion_id)? else {
            return Ok((Err(OpError::NotFound), vec![]));
        };
        cdb::add_override(c, consultation_id, Override::Detach(opinion_id), by, now)?;
        cdb::remove_member(c, opinion_id)?;
        jobs::queue(c, jobs::RECLUSTER, &consultation_id.to_string(), now)?;
        let entry =
            Entry::new(Action::ClusterDetach, Object::Opinion(opinion_id)).before(json!({"cluster": m.cluster_id}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}

/// Makes two clusters one; re-clustering keeps them together.
pub async fn join(
    db: &Db,
    actor: Actor,
    consultation_id: i64,
    cluster_id: i64,
    other_cluster_id: i64,
    now: DateTime<Utc>,
) -> OpResult<(), ()> {
    let by = actor.id.ok_or_else(|| DbError::Corrupt("campaign work is staff work".into()))?;
    db.audited(actor, now, move |c| {
        let a = cdb::members_of_cluster(c, consultation_id, cluster_id)?;
        let b = cdb::members_of_cluster(c, consultation_id, other_cluster_id)?;
        if a.is_empty() || b.is_empty() || cluster_id == other_cluster_id {
            return Ok((Err(OpError::NotFound), vec![]));
        }
        let (into, from) = (cluster_id.min(other_cluster_id), cluster_id.max(other_cluster_id));
        cdb::add_override(c, consultation_id, Override::Join(into, from), by, now)?;
        cdb::merge(c, consultation_id, from, into)?;
        jobs::queue(c, jobs::RECLUSTER, &consultation_id.to_string(), now)?;
        let entry = Entry::new(Action::ClusterJoin, Object::Consultation(consultation_id.to_string()))
            .after(json!({"cluster": into, "joined": from}));
        Ok((Ok(()), vec![entry]))
    })
    .await?
}
