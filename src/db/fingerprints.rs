//! Fingerprints of opinions and their band keys: storing them, and finding the likeliest
//! near-duplicates of one opinion in bounded work.
use super::schema::{fingerprint_bands, fingerprints, opinions};
use super::{on_backend, DbConnection, DbError};
use crate::domain::fingerprint::Fingerprint;
use diesel::prelude::*;
use std::collections::HashMap;

/// Rows per multi-row insert (well under both backends' limits on bound parameters).
pub(super) const ROWS: usize = 1_000;

/// Replaces the fingerprints and band keys of these opinions (opinion, consultation,
/// fingerprint), in multi-row statements.
pub fn store(conn: &mut DbConnection, taken: &[(i64, i64, Fingerprint)]) -> Result<(), DbError> {
    // Band rows are three parameters each: 8,000 rows stay under SQLite's 32,766.
    let per_insert = 8 * ROWS / crate::domain::fingerprint::BANDS;
    for chunk in taken.chunks(per_insert) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _, _)| *id).collect();
        // Band rows are found by key, so the old keys come from the old signature.
        let old: Vec<(i64, i64, Vec<u8>, i32)> = fingerprints::table
            .filter(fingerprints::opinion_id.eq_any(&ids))
            .select((
                fingerprints::opinion_id,
                fingerprints::consultation_id,
                fingerprints::signature,
                fingerprints::shingles,
            ))
            .load(conn)?;
        for (id, consultation_id, bytes, shingles) in old {
            let keys =
                Fingerprint::from_bytes(&bytes, shingles.max(0) as usize).map(|f| f.band_keys()).unwrap_or_default();
            diesel::delete(
                fingerprint_bands::table
                    .filter(fingerprint_bands::consultation_id.eq(consultation_id))
                    .filter(fingerprint_bands::band_key.eq_any(keys))
                    .filter(fingerprint_bands::opinion_id.eq(id)),
            )
            .execute(conn)?;
            diesel::delete(fingerprints::table.find(id)).execute(conn)?;
        }
        let signatures: Vec<_> = chunk
            .iter()
            .map(|(id, consultation_id, fp)| {
                (
                    fingerprints::opinion_id.eq(*id),
                    fingerprints::consultation_id.eq(*consultation_id),
                    fingerprints::signature.eq(fp.to_bytes()),
                    fingerprints::shingles.eq(fp.shingles as i32),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(fingerprints::table).values(signatures).execute(c)?);
        let bands: Vec<_> = chunk
            .iter()
            .flat_map(|(id, consultation_id, fp)| {
                let mut keys = fp.band_keys();
                keys.sort_unstable();
                keys.dedup();
                keys.into_iter().map(move |key| {
                    (
                        fingerprint_bands::consultation_id.eq(*consultation_id),
                        fingerprint_bands::band_key.eq(key),
                        fingerprint_bands::opinion_id.eq(*id),
                    )
                })
            })
            .collect();
        if !bands.is_empty() {
            on_backend!(conn, |c| diesel::insert_into(fingerprint_bands::table).values(bands).execute(c)?);
        }
    }
    Ok(())
}

/// Band rows read per key at most when looking for candidates, so a key shared by a campaign
/// of thousands costs no more than any other.
const ROWS_PER_KEY: i64 = 8;

#[derive(QueryableByName)]
struct OpinionId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    opinion_id: i64,
}

/// Opinions of the consultation sharing band keys with these, those sharing most first, at most
/// `limit`: the likeliest near-duplicates, found in bounded work. PostgreSQL reads every key in
/// one statement (a lateral join, as a bitmap scan over `= ANY` would read whole campaigns);
/// SQLite, in process, one cheap statement per key.
pub fn candidates(
    conn: &mut DbConnection,
    consultation_id: i64,
    keys: &[i64],
    except: i64,
    limit: usize,
) -> Result<Vec<i64>, DbError> {
    use diesel::sql_types::{Array, BigInt};
    let ids: Vec<i64> = match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(
            "SELECT b.opinion_id FROM unnest($1::bigint[]) AS k(band_key) CROSS JOIN LATERAL \
             (SELECT opinion_id FROM fingerprint_bands f WHERE f.consultation_id = $2 AND f.band_key = k.band_key \
              AND f.opinion_id <> $3 LIMIT $4) b",
        )
        .bind::<Array<BigInt>, _>(keys)
        .bind::<BigInt, _>(consultation_id)
        .bind::<BigInt, _>(except)
        .bind::<BigInt, _>(ROWS_PER_KEY)
        .load::<OpinionId>(c)?
        .into_iter()
        .map(|r| r.opinion_id)
        .collect(),
        DbConnection::Sqlite(c) => {
            let mut ids = Vec::new();
            for key in keys {
                ids.extend(
                    fingerprint_bands::table
                        .filter(fingerprint_bands::consultation_id.eq(consultation_id))
                        .filter(fingerprint_bands::band_key.eq(key))
                        .filter(fingerprint_bands::opinion_id.ne(except))
                        .select(fingerprint_bands::opinion_id)
                        .limit(ROWS_PER_KEY)
                        .load::<i64>(c)?,
                );
            }
            ids
        }
    };
    let mut shared: HashMap<i64, usize> = HashMap::new();
    for id in ids {
        *shared.entry(id).or_default() += 1;
    }
    let mut ranked: Vec<(i64, usize)> = shared.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ranked.into_iter().take(limit).map(|(id, _)| id).collect())
}

fn decode(rows: Vec<(i64, Vec<u8>, i32)>) -> Result<Vec<(i64, Fingerprint)>, DbError> {
    rows.into_iter()
        .map(|(id, bytes, shingles)| {
            Fingerprint::from_bytes(&bytes, shingles.max(0) as usize)
                .map(|fp| (id, fp))
                .ok_or_else(|| DbError::Corrupt(format!("the fingerprint of opinion {id} is unreadable")))
        })
        .collect()
}

pub fn fingerprints_of(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<(i64, Fingerprint)>, DbError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ROWS) {
        let rows = fingerprints::table
            .filter(fingerprints::opinion_id.eq_any(chunk))
            .select((fingerprints::opinion_id, fingerprints::signature, fingerprints::shingles))
            .load(conn)?;
        out.extend(decode(rows)?);
    }
    Ok(out)
}

/// Every fingerprint of a consultation, by opinion id.
pub fn all_in(conn: &mut DbConnection, consultation_id: i64) -> Result<Vec<(i64, Fingerprint)>, DbError> {
    let rows = fingerprints::table
        .filter(fingerprints::consultation_id.eq(consultation_id))
        .order(fingerprints::opinion_id.asc())
        .select((fingerprints::opinion_id, fingerprints::signature, fingerprints::shingles))
        .load(conn)?;
    decode(rows)
}

/// The text a fingerprint is taken of: the body, with the reason.
pub fn texts(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(ROWS) {
        let rows: Vec<(i64, String, Option<String>)> = opinions::table
            .filter(opinions::id.eq_any(chunk))
            .select((opinions::id, opinions::body, opinions::reason))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(id, body, reason)| (id, joined(&body, reason.as_deref()))));
    }
    Ok(out)
}

pub fn joined(body: &str, reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!("{body}\n{r}"),
        _ => body.to_string(),
    }
}
