//! Published opinions of a version, read a page at a time per response item: the results
//! page, the item pages and the streamed downloads never hold a whole version.
use super::schema::published_opinions;
use super::{DbConnection, DbError};
use crate::domain::results::{PublishedAnswer, PublishedItem, PublishedOpinion};
use diesel::prelude::*;
use std::collections::HashMap;

fn opinion_of(answer: Option<String>) -> Result<PublishedOpinion, DbError> {
    let text = answer.ok_or_else(|| DbError::Corrupt("a published opinion without its answer".into()))?;
    let answer: PublishedAnswer = serde_json::from_str(&text).map_err(|e| DbError::Corrupt(e.to_string()))?;
    Ok(answer.opinion)
}

/// Up to `count` opinions of `item` in `version`, numbered from `first` (1 for the first).
pub fn item_opinions(
    conn: &mut DbConnection,
    version: i32,
    item: &PublishedItem,
    first: usize,
    count: usize,
) -> Result<Vec<PublishedOpinion>, DbError> {
    if !item.opinions.is_empty() || item.response_item_id == 0 {
        // A version published before opinions were kept apart carries them itself.
        return Ok(item.opinions.iter().skip(first.saturating_sub(1)).take(count).cloned().collect());
    }
    let last = first.saturating_add(count).saturating_sub(1).min(i32::MAX as usize) as i32;
    let rows: Vec<Option<String>> = published_opinions::table
        .filter(published_opinions::item_id.eq(item.response_item_id))
        .filter(published_opinions::version.eq(version))
        .filter(published_opinions::number.between(first.min(i32::MAX as usize) as i32, last))
        .order(published_opinions::number.asc())
        .select(published_opinions::answer)
        .load(conn)?;
    rows.into_iter().map(opinion_of).collect()
}

/// The first `count` opinions of each of `items` (in the same order), in one query.
pub fn first_opinions(
    conn: &mut DbConnection,
    version: i32,
    items: &[&PublishedItem],
    count: usize,
) -> Result<Vec<Vec<PublishedOpinion>>, DbError> {
    // A version published before opinions were kept apart carries them itself.
    let carried = |item: &PublishedItem| !item.opinions.is_empty() || item.response_item_id == 0;
    let apart: Vec<i64> = items.iter().filter(|i| !carried(i)).map(|i| i.response_item_id).collect();
    let mut read: HashMap<i64, Vec<PublishedOpinion>> = HashMap::new();
    if !apart.is_empty() {
        let rows: Vec<(Option<i64>, Option<String>)> = published_opinions::table
            .filter(published_opinions::item_id.eq_any(&apart))
            .filter(published_opinions::version.eq(version))
            .filter(published_opinions::number.le(count.min(i32::MAX as usize) as i32))
            .order((published_opinions::item_id.asc(), published_opinions::number.asc()))
            .select((published_opinions::item_id, published_opinions::answer))
            .load(conn)?;
        for (item_id, answer) in rows {
            read.entry(item_id.unwrap_or_default()).or_default().push(opinion_of(answer)?);
        }
    }
    Ok(items
        .iter()
        .map(|item| match carried(item) {
            true => item.opinions.iter().take(count).cloned().collect(),
            false => read.remove(&item.response_item_id).unwrap_or_default(),
        })
        .collect())
}
