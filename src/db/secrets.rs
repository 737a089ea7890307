//! Secrets shared by every instance on one database, created by the first to ask.
use super::schema::instance_secrets;
use super::{on_backend, DbConnection, DbError};
use diesel::prelude::*;

/// The stored secret called `name`; when there is none yet, `candidate` becomes it. Instances
/// racing here all end with the same value: the insert of all but one does nothing.
pub fn shared(conn: &mut DbConnection, name: &str, candidate: &str) -> Result<String, DbError> {
    on_backend!(conn, |c| diesel::insert_into(instance_secrets::table)
        .values((instance_secrets::name.eq(name), instance_secrets::value.eq(candidate)))
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(instance_secrets::table.find(name).select(instance_secrets::value).first(conn)?)
}
