//! The SQLite plan of the combined staff search: a text search together with other filters
//! must not make SQLite probe the opinions index once per text match per submission (17.8 s at
//! 20,000 opinions before the fix, 0.02 s after).
use super::*;
use crate::config::DatabaseUrl;
use crate::db::Db;
use diesel::Connection;

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[test]
fn a_text_search_with_other_filters_is_checked_per_row_not_probed_per_match() {
    let path = std::env::temp_dir().join(format!("pubcom-plan-{}.sqlite3", std::process::id()));
    Db::connect(&DatabaseUrl::Sqlite(path.clone()), 1).unwrap().migrate().unwrap();
    // The statement the count runs, as diesel sends it.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut raw = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let record = seen.clone();
    raw.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
        if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
            record.lock().unwrap().push(query.to_string());
        }
    });
    let mut conn = DbConnection::Sqlite(raw);
    let mut filter = OpinionFilter::new(1);
    filter.draft = DraftScope::Draft(1);
    filter.from = Some(Utc::now());
    filter.text = Some("管理基準".into());
    count(&mut conn, &filter).unwrap();
    let sql = seen.lock().unwrap().iter().find(|q| q.contains("opinions_fts")).cloned().unwrap();
    // The binds come after the SQL; put them in as literals for EXPLAIN.
    let (statement, binds) = sql.rsplit_once(" -- binds: ").unwrap();
    let plan: Vec<PlanRow> =
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", literal(statement, binds))).load(&mut conn).unwrap();
    let _ = std::fs::remove_file(&path);
    let plan: Vec<String> = plan.into_iter().map(|r| r.detail).collect();
    assert!(!plan.iter().any(|d| d.contains("rowid=?")), "probes opinions per match: {plan:?}");
}

/// The statement with each `?` replaced by its bind, quoted.
fn literal(statement: &str, binds: &str) -> String {
    let values: Vec<String> = binds
        .trim_matches(|c| c == '[' || c == ']')
        .split(", ")
        .map(|v| format!("'{}'", v.trim_matches('"').replace('\'', "''")))
        .collect();
    let mut out = String::new();
    let mut values = values.into_iter();
    for (i, part) in statement.split('?').enumerate() {
        if i > 0 {
            out.push_str(&values.next().unwrap_or_else(|| "NULL".into()));
        }
        out.push_str(part);
    }
    out
}
