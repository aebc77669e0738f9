//! Session tokens.
//!
//! A token is 32 random bytes from the operating system, written as unpadded base64url
//! so it fits in headers, cookies and URLs unescaped. The server stores only the SHA-256
//! of each token: a leaked copy of the store then yields no usable sessions, and since
//! the token is already high-entropy, a fast unsalted hash is enough (unlike passwords).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// The number of random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// A fresh random token to hand to the client; store only its [`token_hash`].
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The lowercase hex SHA-256 of a token, the form in which tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_43_url_safe_characters() {
        let token = new_token();
        assert_eq!(token.len(), 43);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), TOKEN_BYTES);
    }

    #[test]
    fn two_tokens_are_never_the_same() {
        assert_ne!(new_token(), new_token());
    }

    #[test]
    fn a_token_hash_is_the_hex_sha256_of_the_token() {
        // The SHA-256 of "abc" is a published test vector (FIPS 180-2).
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = new_token();
        assert_eq!(token_hash(&token), token_hash(&token));
        assert_ne!(token_hash(&token), token);
    }
}
