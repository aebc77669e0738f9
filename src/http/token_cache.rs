//! Recently resolved tokens, so that a command, a page or a screen reconnecting after a
//! restart does not cost two store reads (token, then user) before any work. Ten thousand
//! walls come back within seconds of a restart with a handful of tokens between them.
//!
//! An entry is trusted for `TRUST_FOR` only, and never past the token's own expiry: a
//! user changed or removed in the store (by `qingfeng users add` in another process, which
//! cannot tell this one) is seen within that time. A sign-out removes its token from the
//! store and from this instance's cache at once; another instance sharing the store may go on
//! accepting the token for up to `TRUST_FOR`.

use chrono::{DateTime, Duration, Utc};
use quick_cache::sync::Cache;

use crate::auth::Actor;

/// How long a resolved token is reused without asking the store again.
pub const TRUST_FOR: Duration = Duration::seconds(5);
/// The most tokens kept; the least recently used go first (tokens are few; this only
/// bounds memory against a flood of distinct valid tokens).
const MAX_ENTRIES: usize = 4096;

#[derive(Clone)]
struct Entry {
    actor: Actor,
    expires_at: DateTime<Utc>,
    resolved: DateTime<Utc>,
}

/// Resolved tokens by their hash.
pub struct TokenCache {
    entries: Cache<String, Entry>,
}

impl Default for TokenCache {
    fn default() -> TokenCache {
        TokenCache {
            entries: Cache::new(MAX_ENTRIES),
        }
    }
}

impl TokenCache {
    /// The actor of the token with this hash, if it was resolved less than `TRUST_FOR`
    /// before `now` (the session clock) and has not expired by then. An entry from the
    /// future (the clock was set back) is not trusted either.
    pub fn get(&self, hash: &str, now: DateTime<Utc>) -> Option<Actor> {
        let entry = self.entries.get(hash)?;
        let age = now - entry.resolved;
        let fresh = age >= Duration::zero() && age < TRUST_FOR;
        (fresh && entry.expires_at > now).then(|| entry.actor.clone())
    }

    /// Forgets a token (it was signed out).
    pub fn remove(&self, hash: &str) {
        self.entries.remove(hash);
    }

    /// Remembers what the store said about a token at `now`.
    pub fn put(&self, hash: &str, actor: Actor, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
        let entry = Entry {
            actor,
            expires_at,
            resolved: now,
        };
        self.entries.insert(hash.to_string(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::domain::region::RegionCode;

    fn actor() -> Actor {
        let region = RegionCode::parse("990102000000").unwrap();
        Actor::new("wall".to_string(), Role::parse("display").unwrap(), region).unwrap()
    }

    #[test]
    fn a_token_is_reused_for_a_few_seconds_then_asked_for_again() {
        let cache = TokenCache::default();
        let start = Utc::now();
        let expires = start + Duration::hours(1);
        cache.put("h1", actor(), expires, start);
        assert_eq!(cache.get("h1", start), Some(actor()));
        let almost = start + TRUST_FOR - Duration::milliseconds(1);
        assert!(cache.get("h1", almost).is_some());
        assert_eq!(cache.get("h1", start + TRUST_FOR), None);
        assert_eq!(cache.get("h1", start - Duration::seconds(1)), None);
        assert_eq!(cache.get("other", start), None);
    }

    #[test]
    fn an_expired_token_is_never_served_from_the_cache() {
        let cache = TokenCache::default();
        let start = Utc::now();
        cache.put("h1", actor(), start + Duration::seconds(1), start);
        assert!(cache.get("h1", start).is_some());
        assert_eq!(cache.get("h1", start + Duration::seconds(1)), None);
    }
}
