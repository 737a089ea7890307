//! Opinions as analysts work through them: filtered lists with keyset pagination and full-text
//! search, counts per draft, and the triage changes (state, assignee, tags, notes, draft).
use super::schema::{cluster_members, opinion_tags, opinions, redactions, submissions};
use super::{from_db_time, to_db_time, DbConnection, DbError, MultiBackend};
use crate::domain::redaction::Status;
use crate::domain::triage::{StateChange, TriageState};
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

/// Which draft an opinion list covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftScope {
    Any,
    /// Addressed to the consultation as a whole.
    Whole,
    Draft(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Any,
    Nobody,
    User(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Oldest,
    Newest,
}

#[derive(Debug, Clone)]
pub struct OpinionFilter {
    pub consultation_id: i64,
    pub draft: DraftScope,
    pub state: Option<TriageState>,
    pub tag: Option<String>,
    pub channel: Option<String>,
    pub late: Option<bool>,
    pub assignee: Assignee,
    pub linked: Option<bool>,
    /// Only opinions with redaction suggestions nobody has decided on.
    pub unresolved_suggestions: bool,
    /// Only the members of this campaign cluster.
    pub cluster: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub text: Option<String>,
    pub order: Order,
    /// Keyset pagination: continue after this opinion id in the chosen order.
    pub after: Option<i64>,
}

impl OpinionFilter {
    pub fn new(consultation_id: i64) -> Self {
        Self {
            consultation_id,
            draft: DraftScope::Any,
            state: None,
            tag: None,
            channel: None,
            late: None,
            assignee: Assignee::Any,
            linked: None,
            unresolved_suggestions: false,
            cluster: None,
            from: None,
            until: None,
            text: None,
            order: Order::Oldest,
            after: None,
        }
    }
}

type Boxed<'a> = diesel::internal::table_macro::BoxedSelectStatement<
    'a,
    (opinions::SqlType, submissions::SqlType),
    diesel::internal::table_macro::FromClause<
        diesel::internal::table_macro::JoinOn<
            diesel::internal::table_macro::Join<
                opinions::table,
                submissions::table,
                diesel::internal::table_macro::Inner,
            >,
            diesel::dsl::Eq<diesel::dsl::Nullable<opinions::submission_id>, diesel::dsl::Nullable<submissions::id>>,
        >,
    >,
    MultiBackend,
>;

/// Runs `update` over the ids in slices small enough for any backend's bind limit.
fn in_chunks(ids: &[i64], mut update: impl FnMut(&[i64]) -> Result<usize, DbError>) -> Result<usize, DbError> {
    ids.chunks(500).try_fold(0, |changed, chunk| Ok(changed + update(chunk)?))
}

mod text_search;

fn filtered(filter: &OpinionFilter, sqlite: bool) -> Boxed<'static> {
    let mut q = opinions::table.inner_join(submissions::table).into_boxed::<MultiBackend>();
    q = q.filter(submissions::consultation_id.eq(filter.consultation_id));
    // Withdrawn opinions are never considered: they leave the triage lists and counts.
    q = q.filter(submissions::withdrawn_at.is_null());
    q = match filter.draft {
        DraftScope::Any => q,
        DraftScope::Whole => q.filter(opinions::draft_id.is_null()),
        DraftScope::Draft(id) => q.filter(opinions::draft_id.eq(id)),
    };
    if let Some(state) = filter.state {
        q = q.filter(opinions::triage_state.eq(state.as_str()));
    }
    if let Some(tag) = &filter.tag {
        let tagged = opinion_tags::table.filter(opinion_tags::tag.eq(tag.clone())).select(opinion_tags::opinion_id);
        q = q.filter(opinions::id.eq_any(tagged));
    }
    if let Some(channel) = &filter.channel {
        q = q.filter(submissions::channel.eq(channel.clone()));
    }
    if let Some(late) = filter.late {
        q = q.filter(submissions::late.eq(late));
    }
    q = match filter.assignee {
        Assignee::Any => q,
        Assignee::Nobody => q.filter(opinions::assignee_id.is_null()),
        Assignee::User(id) => q.filter(opinions::assignee_id.eq(id)),
    };
    if filter.unresolved_suggestions {
        let suggested =
            redactions::table.filter(redactions::status.eq(Status::Suggested.as_str())).select(redactions::opinion_id);
        q = q.filter(opinions::id.eq_any(suggested));
    }
    if let Some(cluster) = filter.cluster {
        let members = cluster_members::table
            .filter(cluster_members::consultation_id.eq(filter.consultation_id))
            .filter(cluster_members::cluster_id.eq(cluster))
            .select(cluster_members::opinion_id);
        q = q.filter(opinions::id.eq_any(members));
    }
    if let Some(linked) = filter.linked {
        q = if linked {
            q.filter(opinions::response_item_id.is_not_null())
        } else {
            q.filter(opinions::response_item_id.is_null())
        };
    }
    if let Some(from) = filter.from {
        q = q.filter(submissions::received_at.ge(to_db_time(from)));
    }
    if let Some(until) = filter.until {
        q = q.filter(submissions::received_at.lt(to_db_time(until)));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = text_search::matching(q, text, sqlite);
    }
    q
}

#[derive(Debug, Clone, Queryable)]
pub struct ListRow {
    pub id: i64,
    pub receipt_number: String,
    #[diesel(deserialize_as = String)]
    pub channel: Channel,
    pub received_at: chrono::NaiveDateTime,
    pub late: bool,
    pub late_accepted: Option<i64>,
    pub draft_id: Option<i64>,
    pub location: Option<String>,
    pub body: String,
    #[diesel(deserialize_as = String)]
    pub state: TriageState,
    pub assignee_id: Option<i64>,
    pub response_item_id: Option<i64>,
}

impl ListRow {
    pub fn received_at_utc(&self) -> DateTime<Utc> {
        from_db_time(self.received_at)
    }
}

/// One page of opinions; the next page starts after the last id returned.
pub fn list(conn: &mut DbConnection, filter: &OpinionFilter, limit: i64) -> Result<Vec<ListRow>, DbError> {
    let mut q = filtered(filter, conn.is_sqlite());
    q = match (filter.order, filter.after) {
        (Order::Oldest, Some(after)) => q.filter(opinions::id.gt(after)),
        (Order::Newest, Some(after)) => q.filter(opinions::id.lt(after)),
        (_, None) => q,
    };
    q = match filter.order {
        Order::Oldest => q.order(opinions::id.asc()),
        Order::Newest => q.order(opinions::id.desc()),
    };
    Ok(q.limit(limit)
        .select((
            opinions::id,
            submissions::receipt_number,
            submissions::channel,
            submissions::received_at,
            submissions::late,
            submissions::late_accepted_by,
            opinions::draft_id,
            opinions::location,
            opinions::body,
            opinions::triage_state,
            opinions::assignee_id,
            opinions::response_item_id,
        ))
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection, filter: &OpinionFilter) -> Result<i64, DbError> {
    Ok(filtered(filter, conn.is_sqlite()).count().get_result(conn)?)
}

/// Counts the matches, but stops past `cap` (returning `cap + 1`): the list shows "more than"
/// beyond it, and a million opinions are never counted on every page.
pub fn count_up_to(conn: &mut DbConnection, filter: &OpinionFilter, cap: i64) -> Result<i64, DbError> {
    let ids: Vec<i64> = filtered(filter, conn.is_sqlite()).select(opinions::id).limit(cap + 1).load(conn)?;
    Ok(ids.len() as i64)
}

/// Every opinion id the filter matches, for bulk actions on "all results".
pub fn ids(conn: &mut DbConnection, filter: &OpinionFilter) -> Result<Vec<i64>, DbError> {
    Ok(filtered(filter, conn.is_sqlite()).order(opinions::id.asc()).select(opinions::id).load(conn)?)
}

/// Counts per draft and per state, channel and lateness: the triage overview.
#[derive(Debug, Clone, Default)]
pub struct DraftCounts {
    pub draft_id: Option<i64>,
    pub total: i64,
    pub by_state: Vec<(TriageState, i64)>,
    pub by_channel: Vec<(Channel, i64)>,
    pub late: i64,
    pub unassigned: i64,
}

#[derive(QueryableByName)]
struct OverviewRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    draft_id: Option<i64>,
    #[diesel(sql_type = Text)]
    triage_state: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Bool)]
    late: bool,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    unassigned: i32,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub fn overview(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<DraftCounts>, DbError> {
    let placeholder = if conn.is_sqlite() { "?" } else { "$1" };
    let rows: Vec<OverviewRow> = diesel::sql_query(format!(
        "SELECT o.draft_id, o.triage_state, s.channel, s.late, \
         CASE WHEN o.assignee_id IS NULL THEN 1 ELSE 0 END AS unassigned, COUNT(*) AS n \
         FROM opinions o JOIN submissions s ON s.id = o.submission_id \
         WHERE s.consultation_id = {placeholder} AND s.withdrawn_at IS NULL \
         GROUP BY o.draft_id, o.triage_state, s.channel, s.late, CASE WHEN o.assignee_id IS NULL THEN 1 ELSE 0 END"
    ))
    .bind::<diesel::sql_types::BigInt, _>(consultation_id)
    .load(conn)?;
    let rows = rows.into_iter().map(|r| (r.draft_id, r.triage_state, r.channel, r.late, r.unassigned == 1, r.n));
    let mut out: Vec<DraftCounts> = Vec::new();
    for (draft_id, state, channel, late, unassigned, n) in rows {
        let entry = match out.iter_mut().position(|d| d.draft_id == draft_id) {
            Some(i) => &mut out[i],
            None => {
                out.push(DraftCounts { draft_id, ..Default::default() });
                out.last_mut().expect("just pushed")
            }
        };
        entry.total += n;
        if late {
            entry.late += n;
        }
        if unassigned {
            entry.unassigned += n;
        }
        add(&mut entry.by_state, state.parse().map_err(DbError::Corrupt)?, n);
        add(&mut entry.by_channel, channel.parse().map_err(DbError::Corrupt)?, n);
    }
    Ok(out)
}

fn add<K: PartialEq>(counts: &mut Vec<(K, i64)>, key: K, n: i64) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, c)) => *c += n,
        None => counts.push((key, n)),
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct OpinionDetail {
    pub id: i64,
    pub submission_id: i64,
    pub consultation_id: i64,
    pub receipt_number: String,
    #[diesel(deserialize_as = String)]
    pub channel: Channel,
    pub received_at: chrono::NaiveDateTime,
    pub late: bool,
    pub late_accepted: Option<i64>,
    pub draft_id: Option<i64>,
    pub original_draft_id: Option<i64>,
    pub location: Option<String>,
    pub body: String,
    pub reason: Option<String>,
    #[diesel(deserialize_as = String)]
    pub state: TriageState,
    pub triage_reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub assignee_id: Option<i64>,
    pub response_item_id: Option<i64>,
    /// When the submitter withdrew it: kept, never considered or published.
    pub withdrawn_at: Option<chrono::NaiveDateTime>,
}

pub fn detail(conn: &mut DbConnection, id: i64) -> Result<Option<OpinionDetail>, DbError> {
    Ok(opinions::table
        .inner_join(submissions::table)
        .filter(opinions::id.eq(id))
        .select((
            opinions::id,
            submissions::id,
            submissions::consultation_id,
            submissions::receipt_number,
            submissions::channel,
            submissions::received_at,
            submissions::late,
            submissions::late_accepted_by,
            opinions::draft_id,
            opinions::original_draft_id,
            opinions::location,
            opinions::body,
            opinions::reason,
            opinions::triage_state,
            opinions::triage_reason,
            opinions::duplicate_of,
            opinions::assignee_id,
            opinions::response_item_id,
            submissions::withdrawn_at,
        ))
        .first(conn)
        .optional()?)
}

/// Sets the state the rules allowed on the given opinions and unlinks them from any response
/// item: `answered` comes only from `link`.
pub fn set_state(conn: &mut DbConnection, ids: &[i64], change: &StateChange) -> Result<usize, DbError> {
    in_chunks(ids, |chunk| {
        Ok(diesel::update(opinions::table.filter(opinions::id.eq_any(chunk)))
            .set((
                opinions::triage_state.eq(change.state.as_str()),
                opinions::triage_reason.eq(change.reason.as_deref()),
                opinions::duplicate_of.eq(change.duplicate_of),
                opinions::response_item_id.eq(None::<i64>),
            ))
            .execute(conn)?)
    })
}

pub fn assign(conn: &mut DbConnection, ids: &[i64], assignee: Option<i64>) -> Result<usize, DbError> {
    in_chunks(ids, |chunk| {
        Ok(diesel::update(opinions::table.filter(opinions::id.eq_any(chunk)))
            .set(opinions::assignee_id.eq(assignee))
            .execute(conn)?)
    })
}

/// Links opinions to a response item: they are answered by it.
pub fn link(conn: &mut DbConnection, ids: &[i64], item_id: i64) -> Result<usize, DbError> {
    in_chunks(ids, |chunk| {
        Ok(diesel::update(opinions::table.filter(opinions::id.eq_any(chunk)))
            .set((
                opinions::response_item_id.eq(Some(item_id)),
                opinions::triage_state.eq(TriageState::Answered.as_str()),
                opinions::triage_reason.eq(None::<String>),
                opinions::duplicate_of.eq(None::<i64>),
            ))
            .execute(conn)?)
    })
}

/// Moves an opinion to another draft, keeping the submitter's first choice.
pub fn move_to_draft(
    conn: &mut DbConnection,
    id: i64,
    current: Option<i64>,
    original: Option<i64>,
    to: Option<i64>,
) -> Result<(), DbError> {
    let keep_original = if original.is_some() { original } else { current };
    diesel::update(opinions::table.find(id))
        .set((opinions::draft_id.eq(to), opinions::original_draft_id.eq(keep_original)))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
#[path = "triage_plan_tests.rs"]
mod plan_tests;
