//! Reads a `multipart/form-data` submission from the public (the form with files, or the API's
//! JSON part with files): text parts into memory, file parts streamed to disk as they arrive.
//! The whole read has a deadline and a size bound set by the consultation's attachment rules,
//! so files raise the limits only where a consultation takes them.
use super::error::ErrorKind;
use crate::domain::attachment::AttachmentRules;
use crate::files::AttachmentStore;
use crate::uploads::Received;
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use std::time::Duration;

/// What a multipart request carried: its text parts, in order, and its files, on disk.
#[derive(Default)]
pub struct Parts {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Received>,
}

/// Whether the request is `multipart/form-data`.
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The most bytes a request may carry: the text limit, plus, where files are taken, room for
/// the most the rules allow and one file over it (so a file that is too large is refused by
/// name, with the rest of the form kept, rather than cutting the request off).
pub fn request_limit(rules: Option<&AttachmentRules>, text_limit: usize) -> usize {
    rules.map_or(text_limit, |r| r.request_bytes(text_limit).saturating_add(r.max_file_bytes as usize))
}

pub struct Limits<'a> {
    pub rules: Option<&'a AttachmentRules>,
    pub text_bytes: usize,
    pub deadline: Duration,
}

/// Reads the parts; on any failure the files written so far are removed.
pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    store: &AttachmentStore,
    limits: Limits<'_>,
) -> Result<Parts, ErrorKind> {
    let limit = request_limit(limits.rules, limits.text_bytes);
    let declared =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ErrorKind::PayloadTooLarge);
    }
    let mut parts = Parts::default();
    let multipart = Multipart::new(req.headers(), payload);
    let read = read_all(multipart, store, &limits, limit, &mut parts);
    let outcome = tokio::time::timeout(limits.deadline, read).await.unwrap_or(Err(ErrorKind::SlowBody));
    match outcome {
        Ok(()) => Ok(parts),
        Err(e) => {
            for name in parts.files.iter().filter_map(|f| f.stored_name.as_deref()) {
                store.remove(name).await;
            }
            Err(e)
        }
    }
}

async fn read_all(
    mut multipart: Multipart,
    store: &AttachmentStore,
    limits: &Limits<'_>,
    limit: usize,
    parts: &mut Parts,
) -> Result<(), ErrorKind> {
    let file_limit = limits.rules.map_or(0, |r| r.max_file_bytes);
    let (mut total, mut text_total) = (0usize, 0usize);
    let bad = |e: actix_multipart::MultipartError| ErrorKind::BadRequest(e.to_string());
    let io = |e: std::io::Error| ErrorKind::internal(format!("an attached file could not be written: {e}"));
    while let Some(item) = multipart.next().await {
        let mut field = item.map_err(bad)?;
        let name = field.name().unwrap_or("").to_string();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_string);
        match filename {
            Some(filename) => {
                let mut incoming = store.incoming(file_limit).await.map_err(io)?;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(bad)?;
                    total += chunk.len();
                    if total > limit {
                        // Written so far: finish it so it is removed with the others.
                        if let Ok(received) = store.finish(incoming, &filename).await {
                            parts.files.push(received);
                        }
                        return Err(ErrorKind::PayloadTooLarge);
                    }
                    incoming.write(&chunk).await.map_err(io)?;
                }
                let received = store.finish(incoming, &filename).await.map_err(io)?;
                // A file input left empty still sends a part with no name and no bytes.
                if received.size == 0 && filename.is_empty() {
                    continue;
                }
                parts.files.push(received);
            }
            None => {
                let mut data = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(bad)?;
                    total += chunk.len();
                    text_total += chunk.len();
                    if text_total > limits.text_bytes || total > limit {
                        return Err(ErrorKind::PayloadTooLarge);
                    }
                    data.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(data)
                    .map_err(|_| ErrorKind::BadRequest(format!("the part '{name}' is not UTF-8 text")))?;
                parts.fields.push((name, text));
            }
        }
    }
    Ok(())
}
