//! PostgreSQL: a whole batch of submissions in one prepared statement. Each column travels as
//! one array parameter and `unnest` turns the arrays back into rows, so the statement's text is
//! the same for every batch: PostgreSQL parses and plans it once per connection instead of
//! five multi-row INSERTs (submissions, opinions, search backlog, outbox, jobs) per batch,
//! and the batch needs one round trip instead of five. SQLite keeps the multi-row INSERTs of
//! db::submissions, where a statement costs no round trip.
use super::jobs::TEXT_WORK;
use super::submissions::{draft_id, ids_in_order, queues_receipt_email, NewSubmission, RECEIPT_EMAIL};
use super::{to_db_time, DbError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};

/// The batch as one array per column, each bound as one parameter of the statement.
#[derive(Default)]
struct StoreBatch<'a> {
    consultation_id: Vec<i64>,
    receipt_number: Vec<&'a str>,
    idempotency_key: Vec<Option<&'a str>>,
    request_hash: Vec<Option<&'a str>>,
    channel: Vec<&'a str>,
    locale: Vec<&'a str>,
    received_at: Vec<NaiveDateTime>,
    late: Vec<bool>,
    submitter_name: Vec<Option<&'a str>>,
    organization: Vec<Option<&'a str>>,
    email: Vec<Option<&'a str>>,
    postal_address: Vec<Option<&'a str>>,
    phone: Vec<Option<&'a str>>,
    publish_organization: Vec<bool>,
    transcribed_by: Vec<Option<i64>>,
    postmark_date: Vec<Option<NaiveDate>>,
    verification: Vec<Option<&'a str>>,
    created_at: NaiveDateTime,
    opinion_receipt: Vec<&'a str>,
    opinion_draft: Vec<Option<i64>>,
    opinion_position: Vec<i32>,
    opinion_location: Vec<Option<&'a str>>,
    opinion_body: Vec<&'a str>,
    opinion_reason: Vec<Option<&'a str>>,
    receipt_email: &'static str,
    emailed: Vec<&'a str>,
    job_kinds: Vec<&'static str>,
}

impl QueryId for StoreBatch<'_> {
    type QueryId = StoreBatch<'static>;
    // One prepared statement for every batch: the text never changes.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for StoreBatch<'_> {
    type SqlType = (BigInt, Text);
}

impl RunQueryDsl<PgConnection> for StoreBatch<'_> {}

/// Binds each value as the next parameter, separated by commas.
macro_rules! binds {
    ($out:ident; $($sql_type:ty => $value:expr),+ $(,)?) => {{
        let mut first = true;
        $(
            if !std::mem::take(&mut first) {
                $out.push_sql(", ");
            }
            $out.push_bind_param::<$sql_type, _>($value)?;
        )+
    }};
}

impl QueryFragment<Pg> for StoreBatch<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH s AS (INSERT INTO submissions (consultation_id, receipt_number, idempotency_key, request_hash, \
             channel, locale, received_at, late, submitter_name, organization, email, postal_address, phone, \
             publish_organization, transcribed_by, postmark_date, verification, created_at) SELECT *, ",
        );
        out.push_bind_param::<Timestamp, _>(&self.created_at)?;
        out.push_sql(" FROM unnest(");
        binds!(out;
            Array<BigInt> => &self.consultation_id,
            Array<Text> => &self.receipt_number,
            Array<Nullable<Text>> => &self.idempotency_key,
            Array<Nullable<Text>> => &self.request_hash,
            Array<Text> => &self.channel,
            Array<Text> => &self.locale,
            Array<Timestamp> => &self.received_at,
            Array<Bool> => &self.late,
            Array<Nullable<Text>> => &self.submitter_name,
            Array<Nullable<Text>> => &self.organization,
            Array<Nullable<Text>> => &self.email,
            Array<Nullable<Text>> => &self.postal_address,
            Array<Nullable<Text>> => &self.phone,
            Array<Bool> => &self.publish_organization,
            Array<Nullable<BigInt>> => &self.transcribed_by,
            Array<Nullable<Date>> => &self.postmark_date,
            Array<Nullable<Text>> => &self.verification,
        );
        out.push_sql(
            ") RETURNING id, receipt_number), \
             o AS (INSERT INTO opinions (submission_id, draft_id, position, location, body, reason, triage_state) \
             SELECT s.id, u.draft_id, u.position, u.location, u.body, u.reason, 'new' FROM unnest(",
        );
        binds!(out;
            Array<Text> => &self.opinion_receipt,
            Array<Nullable<BigInt>> => &self.opinion_draft,
            Array<Integer> => &self.opinion_position,
            Array<Nullable<Text>> => &self.opinion_location,
            Array<Text> => &self.opinion_body,
            Array<Nullable<Text>> => &self.opinion_reason,
        );
        // Every new opinion waits for the search index (db::search); receipt emails go out
        // through the outbox; the batch's text is scanned later (db::jobs).
        out.push_sql(
            ") AS u(receipt_number, draft_id, position, location, body, reason) \
             JOIN s ON s.receipt_number = u.receipt_number RETURNING id), \
             b AS (INSERT INTO search_backlog (opinion_id) SELECT id FROM o), \
             m AS (INSERT INTO outbox (kind, submission_id, attempts, next_attempt_at, created_at) \
             SELECT ",
        );
        out.push_bind_param::<Text, _>(&self.receipt_email)?;
        out.push_sql(", s.id, 0, ");
        out.push_bind_param::<Timestamp, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.created_at)?;
        out.push_sql(" FROM s WHERE s.receipt_number = ANY(");
        out.push_bind_param::<Array<Text>, _>(&self.emailed)?;
        out.push_sql(
            ")), j AS (INSERT INTO jobs (kind, payload, created_at) \
             SELECT kind, (SELECT json_agg(id ORDER BY id) FROM s)::text, ",
        );
        out.push_bind_param::<Timestamp, _>(&self.created_at)?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.job_kinds)?;
        out.push_sql(") AS kind) SELECT id, receipt_number FROM s");
        Ok(())
    }
}

/// Stores the batch (see db::submissions::insert_many, which also records attachments) and
/// returns the new ids in the order given.
pub(super) fn insert(
    conn: &mut PgConnection,
    news: &[NewSubmission<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbError> {
    let mut batch = StoreBatch {
        created_at: to_db_time(now),
        receipt_email: RECEIPT_EMAIL,
        job_kinds: TEXT_WORK.to_vec(),
        ..StoreBatch::default()
    };
    for new in news {
        let (s, who) = (new.submission, new.submission.submitter());
        let receipt = new.receipt_number.as_str();
        batch.consultation_id.push(new.consultation.id);
        batch.receipt_number.push(receipt);
        batch.idempotency_key.push(new.idempotency_key);
        batch.request_hash.push(new.request_hash);
        batch.channel.push(new.channel.as_str());
        batch.locale.push(s.locale().as_str());
        batch.received_at.push(to_db_time(new.received_at));
        batch.late.push(new.late);
        batch.submitter_name.push(who.name());
        batch.organization.push(who.organization());
        batch.email.push(who.email());
        batch.postal_address.push(who.postal_address());
        batch.phone.push(who.phone());
        batch.publish_organization.push(who.publish_organization());
        batch.transcribed_by.push(new.transcription.map(|t| t.by));
        batch.postmark_date.push(new.transcription.and_then(|t| t.postmark));
        batch.verification.push(new.transcription.map(|_| "unverified"));
        for (position, opinion) in s.opinions().iter().enumerate() {
            batch.opinion_receipt.push(receipt);
            batch.opinion_draft.push(draft_id(new, opinion)?);
            batch.opinion_position.push(position as i32);
            batch.opinion_location.push(opinion.location());
            batch.opinion_body.push(opinion.body());
            batch.opinion_reason.push(opinion.reason());
        }
        if queues_receipt_email(s, new.transcription.is_some()) {
            batch.emailed.push(receipt);
        }
    }
    let returned: Vec<(i64, String)> = batch.load(conn)?;
    ids_in_order(returned, news)
}
