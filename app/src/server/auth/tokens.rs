//! Secret tokens handed to a browser or put in a link: 256 random bits, of which the database keeps
//! only the SHA-256, so that a copy of the database lets nobody in.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random token, URL-safe (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of `token`: its SHA-256, in hex.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_their_digest_is_not_the_token() {
        let token = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, new_token());
        assert_eq!(digest(&token).len(), 64);
        assert_eq!(digest(&token), digest(&token));
        assert_ne!(digest(&token), digest(&new_token()));
    }
}
