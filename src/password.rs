//! Password hashing with argon2id. Hashes carry their own parameters, so they can be raised
//! later without breaking stored ones.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;
use std::sync::LazyLock;

pub fn hash(password: &str) -> Result<String, String> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// A hash of nothing in particular, checked when the user does not exist so that a wrong user
/// name takes as long as a wrong password.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash("pubcom-dummy-password").expect("hashing works"));

pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let Some(stored) = stored else {
        let _ = verify_against(password, &DUMMY);
        return false;
    };
    verify_against(password, stored)
}

fn verify_against(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// How a secret token (session, reset link, recovery code) is kept: its SHA-256, in hex. The
/// tokens are random and long, so a fast hash is enough.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A random token of `bytes` bytes, in hex.
pub fn random_token(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", Some(&h)));
        assert!(!verify("correct horse battery stapler", Some(&h)));
        assert!(!verify("anything", None));
        assert_ne!(hash("same").unwrap(), hash("same").unwrap(), "salted");
    }
}
