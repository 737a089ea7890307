//! The append-only audit log. Written in the same transaction as the change it records; the
//! database itself refuses UPDATE and DELETE on it (triggers in the migrations).
use super::schema::audit_log;
use super::{from_db_time, to_db_time, DbConnection, DbError, MultiBackend};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

/// Who did something, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub client: String,
}

/// Every kind of change the audit log records; the stored names never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignOut,
    UserCreate,
    UserRole,
    UserDisable,
    UserEnable,
    AuditExport,
    TranscriptionCreate,
    TranscriptionVerify,
    TranscriptionReopen,
    OpinionCorrect,
    ContactReveal,
    LateAccept,
    AttachmentDownload,
    AttachmentPublishable,
    OpinionState,
    OpinionAssign,
    OpinionTag,
    OpinionUntag,
    OpinionNote,
    OpinionMove,
    OpinionLink,
    TriageBulk,
    ResponseCreate,
    ResponseUpdate,
    ResponseApprove,
    ResultsPublish,
    RedactionAdd,
    RedactionAccept,
    RedactionDismiss,
    RedactionLift,
    ClusterDetach,
    ClusterJoin,
    SubmissionWithdraw,
    PasswordChange,
    PasswordResetIssue,
    PasswordReset,
    TwoFactorEnable,
    TwoFactorRecoveryUse,
    TwoFactorRemove,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignOut => "sign_out",
            Action::UserCreate => "user_create",
            Action::UserRole => "user_role",
            Action::UserDisable => "user_disable",
            Action::UserEnable => "user_enable",
            Action::AuditExport => "audit_export",
            Action::TranscriptionCreate => "transcription_create",
            Action::TranscriptionVerify => "transcription_verify",
            Action::TranscriptionReopen => "transcription_reopen",
            Action::OpinionCorrect => "opinion_correct",
            Action::ContactReveal => "contact_reveal",
            Action::LateAccept => "late_accept",
            Action::AttachmentDownload => "attachment_download",
            Action::AttachmentPublishable => "attachment_publishable",
            Action::OpinionState => "opinion_state",
            Action::OpinionAssign => "opinion_assign",
            Action::OpinionTag => "opinion_tag",
            Action::OpinionUntag => "opinion_untag",
            Action::OpinionNote => "opinion_note",
            Action::OpinionMove => "opinion_move",
            Action::OpinionLink => "opinion_link",
            Action::TriageBulk => "triage_bulk",
            Action::ResponseCreate => "response_create",
            Action::ResponseUpdate => "response_update",
            Action::ResponseApprove => "response_approve",
            Action::ResultsPublish => "results_publish",
            Action::RedactionAdd => "redaction_add",
            Action::RedactionAccept => "redaction_accept",
            Action::RedactionDismiss => "redaction_dismiss",
            Action::RedactionLift => "redaction_lift",
            Action::ClusterDetach => "cluster_detach",
            Action::ClusterJoin => "cluster_join",
            Action::SubmissionWithdraw => "submission_withdraw",
            Action::PasswordChange => "password_change",
            Action::PasswordResetIssue => "password_reset_issue",
            Action::PasswordReset => "password_reset",
            Action::TwoFactorEnable => "two_factor_enable",
            Action::TwoFactorRecoveryUse => "two_factor_recovery_use",
            Action::TwoFactorRemove => "two_factor_remove",
        }
    }
}

/// What a change was made to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// By receipt number.
    Submission(String),
    Opinion(i64),
    ResponseItem(i64),
    /// By slug, or by id where only the id is at hand.
    Consultation(String),
    /// By user name.
    StaffUser(String),
    Attachment(i64),
    AuditLog,
}

impl Object {
    fn type_and_id(&self) -> (&'static str, String) {
        match self {
            Object::Submission(receipt) => ("submission", receipt.clone()),
            Object::Opinion(id) => ("opinion", id.to_string()),
            Object::ResponseItem(id) => ("response_item", id.to_string()),
            Object::Consultation(key) => ("consultation", key.clone()),
            Object::StaffUser(name) => ("staff_user", name.clone()),
            Object::Attachment(id) => ("attachment", id.to_string()),
            Object::AuditLog => ("audit_log", "csv".into()),
        }
    }
}

/// One audit record: what was done to what, and the state before and after where it matters.
pub struct Entry {
    pub action: Action,
    pub object: Object,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Entry {
    pub fn new(action: Action, object: Object) -> Self {
        Self { action, object, before: None, after: None }
    }

    pub fn before(mut self, value: serde_json::Value) -> Self {
        self.before = Some(value);
        self
    }

    pub fn after(mut self, value: serde_json::Value) -> Self {
        self.after = Some(value);
        self
    }
}

/// Writes one audit record; call inside the transaction of the change it records.
pub fn record(conn: &mut DbConnection, actor: &Actor, entry: Entry, now: DateTime<Utc>) -> Result<(), DbError> {
    let (object_type, object_id) = entry.object.type_and_id();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(to_db_time(now)),
            audit_log::actor_id.eq(actor.id),
            audit_log::actor.eq(&actor.name),
            audit_log::action.eq(entry.action.as_str()),
            audit_log::object_type.eq(object_type),
            audit_log::object_id.eq(object_id),
            audit_log::before.eq(entry.before.map(|v| v.to_string())),
            audit_log::after.eq(entry.after.map(|v| v.to_string())),
            audit_log::client.eq(&actor.client),
        ))
        .execute(conn)?;
    Ok(())
}

impl super::Db {
    /// Makes a change and its audit records in one transaction: `change` returns its result
    /// and the entries describing what it did (none when a rule refused it and nothing changed).
    pub async fn audited<T, F>(&self, actor: Actor, now: DateTime<Utc>, change: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<(T, Vec<Entry>), DbError> + Send + 'static,
    {
        self.write(move |c| record_all(c, &actor, now, change)).await
    }

    /// `audited` for callers that are already off the async threads (the command line).
    pub fn audited_blocking<T, F>(&self, actor: &Actor, now: DateTime<Utc>, change: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<(T, Vec<Entry>), DbError>,
    {
        self.write_blocking(|c| record_all(c, actor, now, change))
    }
}

fn record_all<T>(
    c: &mut DbConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut DbConnection) -> Result<(T, Vec<Entry>), DbError>,
) -> Result<T, DbError> {
    let (result, entries) = change(c)?;
    for entry in entries {
        record(c, actor, entry, now)?;
    }
    Ok(result)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable)]
pub struct Record {
    pub id: i64,
    pub at: chrono::NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub client: String,
}

impl Record {
    pub fn at_utc(&self) -> DateTime<Utc> {
        from_db_time(self.at)
    }
}

/// Newest first; `limit` rows at most.
pub fn search(conn: &mut DbConnection, filter: &Filter, limit: i64) -> Result<Vec<Record>, DbError> {
    let mut query = audit_log::table.into_boxed::<MultiBackend>();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(object) = &filter.object_id {
        query = query.filter(audit_log::object_id.eq(object.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from.and_hms_opt(0, 0, 0).expect("midnight")));
    }
    if let Some(to) = filter.to {
        let next = to.succ_opt().unwrap_or(to).and_hms_opt(0, 0, 0).expect("midnight");
        query = query.filter(audit_log::at.lt(next));
    }
    Ok(query
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::object_type,
            audit_log::object_id,
            audit_log::before,
            audit_log::after,
            audit_log::client,
        ))
        .load(conn)?)
}
