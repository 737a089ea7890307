//! Form tokens (CSRF and idempotency in one), request body limits and the security headers
//! every response carries.
use super::error::ErrorKind;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const FORM_COOKIE: &str = "pubcom_form";

/// A cookie's name: with the `__Host-` prefix over https, which makes browsers refuse it
/// unless it is Secure, host-only and for the whole site (so no other host or path can set it).
pub fn cookie_name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// Whether this request's site is served over https (cookies `Secure`, `__Host-` names).
fn secure_site(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<super::AppState>>().is_some_and(|s| s.secure_cookies())
}

/// HSTS when the public base URL is https: browsers then never try plain http again.
pub fn strict_transport(secure: bool) -> DefaultHeaders {
    if secure {
        DefaultHeaders::new().add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    } else {
        DefaultHeaders::new()
    }
}

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

pub use crate::password::random_token as random_hex;

/// A form token is `nonce.mac`, the mac binding the nonce to the browser's form cookie. The
/// nonce doubles as the idempotency key: the same rendered form sends at most one submission.
#[derive(Clone)]
pub struct FormTokens {
    key: Vec<u8>,
}

impl FormTokens {
    pub fn new(secret: &str) -> Self {
        Self { key: secret.as_bytes().to_vec() }
    }

    fn mac(&self, cookie: &str, nonce: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"pubcom-form\0");
        mac.update(cookie.as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac
    }

    /// Seals `data` to one rendered form (its nonce), so a page can carry it and get it back
    /// unchanged: the form's attached files between its steps.
    pub fn seal(&self, nonce: &str, data: &str) -> String {
        let tag: String = self
            .mac(&format!("sealed\0{nonce}"), data)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{tag}.{data}")
    }

    /// What `seal` sealed for this nonce, or `None` when it was not sealed by us for it.
    pub fn unseal<'t>(&self, nonce: &str, sealed: &'t str) -> Option<&'t str> {
        let (tag, data) = sealed.split_once('.')?;
        let tag = decode_hex(tag)?;
        self.mac(&format!("sealed\0{nonce}"), data).verify_slice(&tag).ok().map(|_| data)
    }

    pub fn issue(&self, cookie: &str) -> String {
        let nonce = random_hex(16);
        let tag: String = self.mac(cookie, &nonce).finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("{nonce}.{tag}")
    }

    /// The nonce, when the token was issued by us for this cookie (compared in constant time).
    pub fn verify<'t>(&self, cookie: &str, token: &'t str) -> Option<&'t str> {
        let (nonce, tag) = token.split_once('.')?;
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let tag = decode_hex(tag)?;
        self.mac(cookie, nonce).verify_slice(&tag).ok().map(|_| nonce)
    }
}

/// The browser's form cookie value, when it has a well-formed one.
pub fn form_cookie_value(req: &HttpRequest) -> Option<String> {
    req.cookie(&cookie_name(FORM_COOKIE, secure_site(req))).map(|c| c.value().to_string()).filter(|v| v.len() == 32)
}

impl FormTokens {
    /// A token for this browser's form cookie, and the cookie to set when it has none yet.
    pub fn for_browser(&self, req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
        match form_cookie_value(req) {
            Some(value) => (self.issue(&value), None),
            None => {
                let value = random_hex(16);
                let cookie = Cookie::build(cookie_name(FORM_COOKIE, secure), value.clone())
                    .path("/")
                    .http_only(true)
                    .secure(secure)
                    .same_site(SameSite::Strict)
                    .finish();
                (self.issue(&value), Some(cookie))
            }
        }
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Reads a request body up to `limit` bytes, refusing larger ones with 413 early, and one
/// that has not fully arrived within the configured deadline with 408.
pub async fn read_body(
    req: &actix_web::HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ErrorKind> {
    let deadline = req
        .app_data::<web::Data<super::AppState>>()
        .map(|s| std::time::Duration::from_secs(s.settings.intake.body_deadline_secs.max(1)))
        .unwrap_or(std::time::Duration::from_secs(10));
    tokio::time::timeout(deadline, read_all(req, payload, limit)).await.unwrap_or(Err(ErrorKind::SlowBody))
}

async fn read_all(
    req: &actix_web::HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ErrorKind> {
    if let Some(len) =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(ErrorKind::PayloadTooLarge);
        }
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ErrorKind::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ErrorKind::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads and throws away a refused request's body when it is small, so the connection can
/// carry the client's next request instead of being closed and opened again (which costs an
/// overloaded server more than the read). A large body is left unread and the connection closes.
pub async fn discard_small_body(req: &actix_web::HttpRequest, mut payload: web::Payload) {
    const SMALL: usize = 64 * 1024;
    let declared =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_none_or(|len| len > SMALL) {
        return;
    }
    let mut seen = 0;
    while let Some(Ok(chunk)) = payload.next().await {
        seen += chunk.len();
        if seen > SMALL {
            return;
        }
    }
}

pub fn content_type_is(req: &actix_web::HttpRequest, expected: &str) -> bool {
    req.headers()
        .get("content-type")
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(expected))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_only_with_the_cookie_it_was_issued_for() {
        let tokens = FormTokens::new("k");
        let token = tokens.issue("cookie-a");
        assert!(tokens.verify("cookie-a", &token).is_some());
        assert!(tokens.verify("cookie-b", &token).is_none());
        assert!(FormTokens::new("other").verify("cookie-a", &token).is_none());
        let mut forged = token.clone();
        forged.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
        assert!(tokens.verify("cookie-a", &forged).is_none());
    }
}
