//! What stands between a stranger and the password check: a rate limit per client address,
//! a bounded number of password checks at once, a dummy hash for unknown users, and the
//! lock of unknown usernames (known ones are locked in the store).
//!
//! Every sign-in attempt that reaches argon2 costs 19 MiB and tens of milliseconds of a
//! core. Unbounded, 300 clients once took the server from 0.2 GB to 19.3 GB. Here at most
//! `max_concurrent_hashes` checks run at once, at most `max_waiting_hashes` wait (for at
//! most `hash_wait_millis`), and an address over its rate never gets that far.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

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
    per_address: DefaultKeyedRateLimiter<IpAddr>,
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
        let per_minute =
            NonZeroU32::new(policy.attempts_per_minute_per_address.max(1)).expect("at least one");
        let burst = NonZeroU32::new(policy.burst_per_address.max(1)).expect("at least one");
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        let dummy_hash = hash_password(&new_token()).expect("hashing a random token works");
        LoginGuard {
            policy,
            per_address: RateLimiter::keyed(quota),
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
        self.per_address
            .check_key(&rate_key(client))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Refusal::RateLimited(wait.max(Duration::from_secs(1)))
            })
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
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
    }
}

/// The key an address is limited by: an IPv4 address, or the /64 network of an IPv6 one
/// (one host usually holds a whole /64, and could otherwise pick a new address per try).
fn rate_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
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

    #[test]
    fn an_address_over_its_burst_is_told_when_to_come_back() {
        let guard = LoginGuard::new(policy());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(guard.admit(a).is_ok());
        }
        let Err(Refusal::RateLimited(wait)) = guard.admit(a) else {
            panic!("the fourth attempt was admitted");
        };
        assert!(wait >= Duration::from_secs(1), "{wait:?}");
        assert!(guard.admit(b).is_ok(), "another address has its own bucket");
    }

    #[test]
    fn ipv6_addresses_of_one_network_share_a_bucket() {
        let guard = LoginGuard::new(policy());
        for host in 1..=3 {
            let address: IpAddr = format!("2001:db8::{host}").parse().unwrap();
            assert!(guard.admit(address).is_ok());
        }
        let other_host: IpAddr = "2001:db8::ffff".parse().unwrap();
        assert!(guard.admit(other_host).is_err());
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
