//! Hashing and checking secrets (web passwords, voicemail PINs) with Argon2id, and making random ones.
//! Hashing is slow on purpose, so it runs on the blocking pool, off the async workers.

use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::seq::SliceRandom;
use std::sync::OnceLock;

/// Hashes `secret` into a self-describing PHC string (algorithm, parameters, salt, hash).
pub async fn hash(secret: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_now(&secret)).await.map_err(AppError::internal)?
}

fn hash_now(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(secret.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(AppError::internal)
}

/// Whether `secret` matches `stored`. With no stored hash (no such user, or no password yet) it
/// still spends the time of one check, so that timing does not tell which logins exist.
pub async fn verify(secret: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let checked = stored.as_deref().unwrap_or_else(|| dummy_hash());
        let Ok(parsed) = PasswordHash::new(checked) else { return false };
        let matches = Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok();
        // Without a stored hash nothing matches, not even the dummy's own secret.
        matches && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

const DUMMY_SECRET: &str = "no user has this password";

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now(DUMMY_SECRET).unwrap_or_default())
}

/// Whether `password` is on the list of passwords too common to use (case does not matter).
pub fn is_common(password: &str) -> bool {
    passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(password.to_lowercase())
}

/// A random password that is easy to read aloud: no 0/O, 1/l/I.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| *ALPHABET.choose(&mut rng).unwrap_or(&b'x') as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_secret_only() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!verify("correct horse batterY".into(), Some(stored)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify(DUMMY_SECRET.into(), None).await);
    }

    #[test]
    fn common_passwords_are_known_whatever_their_case() {
        for common in ["1234567890", "qwertyuiop", "password123", "Password123", "iloveyou123"] {
            assert!(is_common(common), "{common}");
        }
        assert!(!is_common("violet tractor sings"));
    }

    #[test]
    fn random_passwords_differ_and_avoid_ambiguous_characters() {
        let a = random_password();
        assert_eq!(a.len(), 16);
        assert_ne!(a, random_password());
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
    }
}
