//! What stands between a stranger and the password check: a rate limit per client address,
//! a bounded number of password checks at once, a dummy hash for unknown users, and the
//! lock of unknown usernames (known ones are locked in the store).
//!
//! Every sign-in attempt that reaches argon2 costs 19 MiB and tens of milliseconds of a
//! core. Unbounded, 300 clients once took the server from 0.2 GB to 19.3 GB. Here at most
//! `max_concurrent_hashes` checks run at once, at most `max_waiting_hashes` wait (for at
//! most `hash_wait_millis`), and an address over its rate never gets that far.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::rate::AddressLimiter;

use crate::auth::lockout::{Lockout, LoginPolicy};
use crate::auth::{hash_password, new_token, verify_password};

/// How many unknown usernames' failures are remembered; beyond this the oldest go (an
/// attacker cycling through random names can only push out other random names).
const UNKNOWN_USERS_REMEMBERED: usize = 100_000;

/// Why a sign-in was not even checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The address is over its rate; try again after this long.
    RateLimited(Duration),
    /// Too many password checks are running and waiting; try again shortly.
    Busy,
}

pub struct LoginGuard {
    policy: LoginPolicy,
    per_address: AddressLimiter,
    hashes: Semaphore,
    waiting: AtomicUsize,
    /// A hash of a random password nobody knows: an unknown user's password is checked
    /// against it, so an unknown username costs what a known one does.
    dummy_hash: String,
    unknown: quick_cache::sync::Cache<String, Lockout>,
    /// Password checks run (argon2 verifications), for `/metrics` and the tests that show
    /// an unknown user's sign-in goes through one.
    pub checks: AtomicU64,
}

impl LoginGuard {
    pub fn new(policy: LoginPolicy) -> LoginGuard {
        let dummy_hash = hash_password(&new_token()).expect("hashing a random token works");
        LoginGuard {
            policy,
            per_address: AddressLimiter::per_minute(
                policy.attempts_per_minute_per_address,
                policy.burst_per_address,
            ),
            hashes: Semaphore::new(policy.max_concurrent_hashes.max(1)),
            waiting: AtomicUsize::new(0),
            dummy_hash,
            unknown: quick_cache::sync::Cache::new(UNKNOWN_USERS_REMEMBERED),
            checks: AtomicU64::new(0),
        }
    }

    pub fn policy(&self) -> &LoginPolicy {
        &self.policy
    }

    /// Counts an attempt from `client` against its rate.
    pub fn admit(&self, client: IpAddr) -> Result<(), Refusal> {
        self.per_address.check(client).map_err(Refusal::RateLimited)
    }

    /// Checks `password` against `stored` (or the dummy hash for an unknown user) off the
    /// async workers, once a check slot is free; `Busy` if the line is too long or the wait
    /// too long.
    pub async fn check_password(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, Refusal> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let _permit = match self.hashes.try_acquire() {
            Ok(permit) => permit,
            Err(_) => self.wait_for_slot().await?,
        };
        self.checks.fetch_add(1, Ordering::Relaxed);
        let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        Ok(verified && known)
    }

    /// Waits in line for a check slot, if the line has room.
    async fn wait_for_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Refusal> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.policy.max_waiting_hashes {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Busy);
        }
        let wait = Duration::from_millis(self.policy.hash_wait_millis);
        let permit = tokio::time::timeout(wait, self.hashes.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Refusal::Busy),
        }
    }

    /// The lockout of a username that does not exist, kept in memory so that probing it
    /// looks like probing a real account.
    pub fn unknown_lockout(&self, username: &str) -> Lockout {
        self.unknown.get(username).unwrap_or_default()
    }

    pub fn put_unknown_lockout(&self, username: &str, lockout: Lockout) {
        self.unknown.insert(username.to_owned(), lockout);
    }

    /// Forgets addresses whose bucket is full again, so the limiter's memory follows the
    /// addresses active in the last minute rather than every address ever seen.
    pub fn forget_idle_addresses(&self) {
        self.per_address.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LoginPolicy {
        LoginPolicy {
            burst_per_address: 3,
            attempts_per_minute_per_address: 3,
            max_concurrent_hashes: 1,
            max_waiting_hashes: 0,
            ..LoginPolicy::default()
        }
    }

    #[tokio::test]
    async fn an_unknown_user_is_checked_against_the_dummy_hash_and_never_succeeds() {
        let guard = LoginGuard::new(LoginPolicy::default());
        let before = guard.checks.load(Ordering::Relaxed);
        assert_eq!(guard.check_password("x".into(), None).await, Ok(false));
        assert_eq!(guard.checks.load(Ordering::Relaxed), before + 1);
        let stored = hash_password("right password").unwrap();
        let right = guard.check_password("right password".into(), Some(stored));
        assert_eq!(right.await, Ok(true));
    }

    #[tokio::test]
    async fn a_full_line_answers_busy_instead_of_waiting() {
        let guard = LoginGuard::new(policy());
        // The one slot is taken and there is no room to wait: refused at once.
        let taken = guard.hashes.acquire().await.unwrap();
        assert_eq!(
            guard.check_password("x".into(), None).await,
            Err(Refusal::Busy)
        );
        assert_eq!(guard.checks.load(Ordering::Relaxed), 0);
        drop(taken);
        assert_eq!(guard.check_password("x".into(), None).await, Ok(false));
    }
}
