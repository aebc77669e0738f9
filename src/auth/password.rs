//! Password hashing with Argon2id.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), which carry their
//! own parameters and salt, so the parameters can be raised later without invalidating
//! stored hashes. The parameters are the `argon2` crate's defaults, which follow the
//! OWASP recommendation for Argon2id (19 MiB of memory, 2 passes, 1 lane).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::rngs::OsRng;

use super::AuthError;

/// The shortest password accepted, counted in characters rather than bytes so that a
/// password in Chinese is measured the way its owner would count it.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The character classes a password policy counts.
const CLASSES: [&str; 4] = [
    "lowercase letters",
    "uppercase letters",
    "digits",
    "other characters",
];

/// The password rule for new accounts (`qingfeng users add`), as 等保 level 3 asks for:
/// long enough, and mixing character classes, so that a password is not a dictionary word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// The fewest characters.
    pub min_chars: usize,
    /// The fewest of the four classes (lowercase, uppercase, digits, other characters:
    /// punctuation, spaces, Chinese) a password must mix.
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> PasswordPolicy {
        PasswordPolicy {
            min_chars: 10,
            min_classes: 3,
        }
    }
}

impl PasswordPolicy {
    /// Refuses a password that is too short or mixes too few classes, saying which.
    pub fn check(&self, password: &str) -> Result<(), AuthError> {
        let found = password.chars().count();
        if found < self.min_chars {
            return Err(AuthError::PasswordTooShort {
                min: self.min_chars,
                found,
            });
        }
        let has = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password
                .chars()
                .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
        ];
        let count = has.iter().filter(|h| **h).count();
        if count < self.min_classes {
            let missing: Vec<&str> = CLASSES
                .iter()
                .zip(has)
                .filter(|(_, h)| !h)
                .map(|(name, _)| *name)
                .collect();
            return Err(AuthError::PasswordTooSimple {
                min: self.min_classes,
                found: count,
                missing: missing.join(", "),
            });
        }
        Ok(())
    }
}

/// Hashes a password with a fresh random salt, refusing empty and short passwords.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let found = password.chars().count();
    if found == 0 {
        return Err(AuthError::EmptyPassword);
    }
    if found < MIN_PASSWORD_CHARS {
        return Err(AuthError::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
            found,
        });
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// True if `password` matches the PHC string `phc`.
///
/// A malformed stored hash counts as a mismatch rather than an error: the caller's only
/// sensible response either way is to refuse the sign-in. The comparison inside the
/// `argon2` crate is constant-time.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horsE", &phc));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let a = hash_password("清风徐来水波不兴").unwrap();
        let b = hash_password("清风徐来水波不兴").unwrap();
        assert_ne!(a, b);
        assert!(verify_password("清风徐来水波不兴", &b));
    }

    #[test]
    fn an_empty_password_is_rejected() {
        assert_eq!(hash_password(""), Err(AuthError::EmptyPassword));
    }

    #[test]
    fn a_password_of_seven_characters_is_rejected_with_its_length() {
        let err = hash_password("1234567").unwrap_err();
        assert_eq!(
            err.to_string(),
            "password must be at least 8 characters, found 7"
        );
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // Seven Chinese characters are 21 bytes but still too short.
        assert!(hash_password("清风徐来水波不").is_err());
    }

    #[test]
    fn the_policy_wants_ten_characters_of_three_classes() {
        let policy = PasswordPolicy::default();
        assert!(policy.check("Qingfeng-2026").is_ok());
        assert!(policy.check("清风徐来Water1").is_ok());
        let short = policy.check("Qf-2026").unwrap_err();
        assert_eq!(
            short.to_string(),
            "password must be at least 10 characters, found 7"
        );
        let simple = policy.check("qingfeng-demo").unwrap_err();
        assert_eq!(
            simple.to_string(),
            "password must mix at least 3 of lowercase letters, uppercase letters, digits and \
             other characters, found 2 (missing uppercase letters, digits)"
        );
        assert!(policy.check("qingfengdemo2026").is_err());
        assert!(policy.check("QINGFENG2026!").is_ok());
    }

    #[test]
    fn a_malformed_stored_hash_never_verifies() {
        assert!(!verify_password("whatever1", "not a phc string"));
        assert!(!verify_password("whatever1", ""));
    }
}
