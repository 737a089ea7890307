//! The clusters found among a consultation's opinions and staff choices about them.
use super::fingerprints::ROWS;
use super::schema::{cluster_members, cluster_overrides, opinions, submissions};
use super::{on_backend, to_db_time, DbConnection, DbError};
use crate::domain::campaign::Override;
use crate::domain::triage::TriageState;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct MemberRow {
    pub opinion_id: i64,
    pub cluster_id: i64,
    /// Similarity to the template, per mille.
    pub similarity: i32,
    pub own_chars: i32,
    pub is_template: bool,
}

const MEMBER: (
    cluster_members::opinion_id,
    cluster_members::cluster_id,
    cluster_members::similarity,
    cluster_members::own_chars,
    cluster_members::is_template,
) = (
    cluster_members::opinion_id,
    cluster_members::cluster_id,
    cluster_members::similarity,
    cluster_members::own_chars,
    cluster_members::is_template,
);

pub fn member(conn: &mut DbConnection, opinion_id: i64) -> Result<Option<MemberRow>, DbError> {
    Ok(cluster_members::table.find(opinion_id).select(MEMBER).first(conn).optional()?)
}

/// The template of a cluster.
pub fn template_of(conn: &mut DbConnection, consultation_id: i64, cluster_id: i64) -> Result<Option<i64>, DbError> {
    Ok(cluster_members::table
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .filter(cluster_members::cluster_id.eq(cluster_id))
        .filter(cluster_members::is_template.eq(true))
        .select(cluster_members::opinion_id)
        .first(conn)
        .optional()?)
}

pub fn members_of_cluster(
    conn: &mut DbConnection,
    consultation_id: i64,
    cluster_id: i64,
) -> Result<Vec<MemberRow>, DbError> {
    Ok(cluster_members::table
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .filter(cluster_members::cluster_id.eq(cluster_id))
        .order(cluster_members::opinion_id.asc())
        .select(MEMBER)
        .load(conn)?)
}

/// Stores cluster memberships, replacing any the opinions had.
pub fn put_members(conn: &mut DbConnection, consultation_id: i64, rows: &[MemberRow]) -> Result<(), DbError> {
    for chunk in rows.chunks(ROWS) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.opinion_id).collect();
        diesel::delete(cluster_members::table.filter(cluster_members::opinion_id.eq_any(&ids))).execute(conn)?;
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    cluster_members::opinion_id.eq(r.opinion_id),
                    cluster_members::consultation_id.eq(consultation_id),
                    cluster_members::cluster_id.eq(r.cluster_id),
                    cluster_members::similarity.eq(r.similarity),
                    cluster_members::own_chars.eq(r.own_chars),
                    cluster_members::is_template.eq(r.is_template),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(cluster_members::table).values(values).execute(c)?);
    }
    Ok(())
}

/// Replaces every cluster of a consultation.
pub fn replace_all(conn: &mut DbConnection, consultation_id: i64, rows: &[MemberRow]) -> Result<(), DbError> {
    diesel::delete(cluster_members::table.filter(cluster_members::consultation_id.eq(consultation_id)))
        .execute(conn)?;
    put_members(conn, consultation_id, rows)
}

pub fn remove_member(conn: &mut DbConnection, opinion_id: i64) -> Result<(), DbError> {
    diesel::delete(cluster_members::table.find(opinion_id)).execute(conn)?;
    Ok(())
}

/// Moves every member of one cluster into another.
pub fn merge(conn: &mut DbConnection, consultation_id: i64, from: i64, into: i64) -> Result<(), DbError> {
    diesel::update(
        cluster_members::table
            .filter(cluster_members::consultation_id.eq(consultation_id))
            .filter(cluster_members::cluster_id.eq(from)),
    )
    .set((cluster_members::cluster_id.eq(into), cluster_members::is_template.eq(false)))
    .execute(conn)?;
    Ok(())
}

pub fn overrides(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<Override>, DbError> {
    let rows: Vec<(String, i64, Option<i64>)> = cluster_overrides::table
        .filter(cluster_overrides::consultation_id.eq(consultation_id))
        .order(cluster_overrides::id.asc())
        .select((cluster_overrides::kind, cluster_overrides::opinion_id, cluster_overrides::other_opinion_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, a, b)| match (kind.as_str(), b) {
            ("detach", _) => Some(Override::Detach(a)),
            ("join", Some(b)) => Some(Override::Join(a, b)),
            _ => None,
        })
        .collect())
}

pub fn add_override(
    conn: &mut DbConnection,
    consultation_id: i64,
    choice: Override,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let (kind, a, b) = match choice {
        Override::Detach(a) => ("detach", a, None),
        Override::Join(a, b) => ("join", a, Some(b)),
    };
    diesel::insert_into(cluster_overrides::table)
        .values((
            cluster_overrides::consultation_id.eq(consultation_id),
            cluster_overrides::kind.eq(kind),
            cluster_overrides::opinion_id.eq(a),
            cluster_overrides::other_opinion_id.eq(b),
            cluster_overrides::created_by.eq(Some(by)),
            cluster_overrides::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// One cluster as the campaign list shows it.
#[derive(Debug, Clone)]
pub struct Summary {
    pub cluster_id: i64,
    pub size: i64,
    /// Members that add text of their own.
    pub with_own_text: i64,
    pub template_id: i64,
    pub template_body: String,
    /// Members per draft (`None`: the consultation as a whole).
    pub drafts: Vec<(Option<i64>, i64)>,
}

/// The clusters of a consultation, largest first; only those with a member addressing
/// `draft` when one is given (`Some(None)`: the consultation as a whole).
pub fn summaries(
    conn: &mut DbConnection,
    consultation_id: i64,
    draft: Option<Option<i64>>,
    own_text_chars: i32,
) -> Result<Vec<Summary>, DbError> {
    let rows: Vec<(i64, Option<i64>, i32)> = cluster_members::table
        .inner_join(opinions::table)
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .select((cluster_members::cluster_id, opinions::draft_id, cluster_members::own_chars))
        .load(conn)?;
    // cluster → draft → (members, members with own text)
    let mut spread: HashMap<i64, HashMap<Option<i64>, (i64, i64)>> = HashMap::new();
    for (cluster, draft, own) in rows {
        let entry = spread.entry(cluster).or_default().entry(draft).or_default();
        entry.0 += 1;
        entry.1 += i64::from(own >= own_text_chars);
    }
    let templates: Vec<(i64, i64, String)> = cluster_members::table
        .inner_join(opinions::table)
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .filter(cluster_members::is_template.eq(true))
        .select((cluster_members::cluster_id, cluster_members::opinion_id, opinions::body))
        .load(conn)?;
    let mut out: Vec<Summary> = templates
        .into_iter()
        .map(|(cluster_id, template_id, template_body)| {
            let mut drafts: Vec<(Option<i64>, i64, i64)> = spread
                .get(&cluster_id)
                .map(|by_draft| by_draft.iter().map(|(d, (n, own))| (*d, *n, *own)).collect())
                .unwrap_or_default();
            drafts.sort();
            Summary {
                cluster_id,
                size: drafts.iter().map(|r| r.1).sum(),
                with_own_text: drafts.iter().map(|r| r.2).sum(),
                template_id,
                template_body,
                drafts: drafts.iter().map(|r| (r.0, r.1)).collect(),
            }
        })
        .filter(|s| draft.is_none_or(|d| s.drafts.iter().any(|(x, _)| *x == d)))
        .collect();
    out.sort_by_key(|s| (std::cmp::Reverse(s.size), s.cluster_id));
    Ok(out)
}

/// A member of a cluster with what the cluster page shows of it.
#[derive(Debug, Clone, Queryable)]
pub struct MemberView {
    pub opinion_id: i64,
    pub similarity: i32,
    pub own_chars: i32,
    pub is_template: bool,
    pub receipt_number: String,
    pub draft_id: Option<i64>,
    pub body: String,
    pub reason: Option<String>,
    #[diesel(deserialize_as = String)]
    pub state: TriageState,
}

pub fn member_views(
    conn: &mut DbConnection,
    consultation_id: i64,
    cluster_id: i64,
) -> Result<Vec<MemberView>, DbError> {
    Ok(cluster_members::table
        .inner_join(opinions::table.inner_join(submissions::table))
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .filter(cluster_members::cluster_id.eq(cluster_id))
        .order((cluster_members::is_template.desc(), cluster_members::opinion_id.asc()))
        .select((
            cluster_members::opinion_id,
            cluster_members::similarity,
            cluster_members::own_chars,
            cluster_members::is_template,
            submissions::receipt_number,
            opinions::draft_id,
            opinions::body,
            opinions::reason,
            opinions::triage_state,
        ))
        .load(conn)?)
}

/// One row of the staff export, per member of a cluster.
#[derive(Debug, Clone, Queryable)]
pub struct ExportRow {
    pub receipt_number: String,
    pub opinion_id: i64,
    pub cluster_id: i64,
    pub similarity: i32,
    pub own_chars: i32,
    pub is_template: bool,
}

pub fn export(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<ExportRow>, DbError> {
    Ok(cluster_members::table
        .inner_join(opinions::table.inner_join(submissions::table))
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .order((cluster_members::cluster_id.asc(), cluster_members::opinion_id.asc()))
        .select((
            submissions::receipt_number,
            cluster_members::opinion_id,
            cluster_members::cluster_id,
            cluster_members::similarity,
            cluster_members::own_chars,
            cluster_members::is_template,
        ))
        .load(conn)?)
}

/// Cluster of each opinion of a consultation, for the published counts.
pub fn cluster_of_each(conn: &mut DbConnection, consultation_id: i64) -> Result<HashMap<i64, i64>, DbError> {
    let rows: Vec<(i64, i64)> = cluster_members::table
        .filter(cluster_members::consultation_id.eq(consultation_id))
        .select((cluster_members::opinion_id, cluster_members::cluster_id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
