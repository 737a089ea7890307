//! The triage list's text search: opinions whose text, or whose submission's attached files'
//! text, holds the words. The index answers for opinions the worker has indexed; the text of
//! those still listed in `search_backlog` is read directly (see db::search).
use super::Boxed;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

/// Text read from a submission's attached files counts as that submission's opinions' text.
const IN_ATTACHED_TEXT: &str =
    " OR opinions.submission_id IN (SELECT submission_id FROM attachments WHERE extracted_text LIKE ";

/// Opinions not yet in the index.
const NOT_INDEXED: &str = " OR (opinions.id IN (SELECT opinion_id FROM search_backlog) AND (";

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// `q` narrowed to opinions matching `text`.
pub(super) fn matching(q: Boxed<'static>, text: &str, sqlite: bool) -> Boxed<'static> {
    let pattern = like_pattern(text);
    if sqlite && text.chars().count() >= 3 {
        // The trigram index answers substring searches in any script. The unary `+` keeps
        // SQLite from probing the opinions index once per match per submission when other
        // filters apply (`q=管理基準&from=…&draft=…` took 17.8 s at 20,000 opinions); the
        // matches are then one lookup list checked per row (0.02 s).
        let quoted = format!("\"{}\"", text.replace('"', "\"\""));
        q.filter(
            diesel::dsl::sql::<Bool>("(+opinions.id IN (SELECT rowid FROM opinions_fts WHERE opinions_fts MATCH ")
                .bind::<Text, _>(quoted)
                .sql(")")
                .sql(NOT_INDEXED)
                .sql("opinions.body LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR opinions.reason LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR opinions.location LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\'))")
                .sql(IN_ATTACHED_TEXT)
                .bind::<Text, _>(pattern)
                .sql(" ESCAPE '\\'))"),
        )
    } else if sqlite {
        q.filter(
            diesel::dsl::sql::<Bool>("(opinions.body LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR opinions.reason LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\'")
                .sql(IN_ATTACHED_TEXT)
                .bind::<Text, _>(pattern)
                .sql(" ESCAPE '\\'))"),
        )
    } else {
        q.filter(
            diesel::dsl::sql::<Bool>("(opinions.id IN (SELECT opinion_id FROM opinion_search WHERE body ILIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" OR reason ILIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(")")
                .sql(NOT_INDEXED)
                .sql("opinions.body ILIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" OR opinions.reason ILIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql("))")
                .sql(" OR opinions.submission_id IN (SELECT submission_id FROM attachments WHERE extracted_text ILIKE ")
                .bind::<Text, _>(pattern)
                .sql("))"),
        )
    }
}
