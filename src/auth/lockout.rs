//! The sign-in rules 等保 level 3 asks for: an account is locked after repeated wrong
//! passwords, login attempts are limited per client address, password checks are bounded
//! in number, and an office session ends when left idle.
//!
//! This module is pure: [`Lockout`] is one account's record of failures, decided against
//! the time it is given. The store keeps it per account (`login_guard:⟨username⟩`), so the
//! lock holds across restarts and for every instance sharing the store.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// How sign-in is guarded. The defaults are the usual reading of 等保 level 3: five wrong
/// passwords within fifteen minutes lock the account for fifteen minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginPolicy {
    /// Wrong passwords within `failure_window_minutes` that lock the account.
    pub max_failures: usize,
    pub failure_window_minutes: i64,
    /// How long a locked account stays locked (`qingfeng users unlock` ends it sooner).
    pub lockout_minutes: i64,
    /// Sign-in attempts a client address may make per minute, after a burst of
    /// `burst_per_address`; more answer 429 with `Retry-After`.
    pub attempts_per_minute_per_address: u32,
    pub burst_per_address: u32,
    /// Password checks (argon2, 19 MiB each) running at once; more wait in line.
    pub max_concurrent_hashes: usize,
    /// Sign-ins waiting for a password check; more answer 503 at once.
    pub max_waiting_hashes: usize,
    /// How long a sign-in waits in line before it answers 503.
    pub hash_wait_millis: u64,
    /// An office session (every role but display) unused this long ends.
    pub idle_minutes: i64,
    /// How long a sign-in lasts at most.
    pub session_hours: i64,
}

impl Default for LoginPolicy {
    fn default() -> LoginPolicy {
        LoginPolicy {
            max_failures: 5,
            failure_window_minutes: 15,
            lockout_minutes: 15,
            attempts_per_minute_per_address: 20,
            burst_per_address: 20,
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_waiting_hashes: 64,
            hash_wait_millis: 3_000,
            idle_minutes: 30,
            session_hours: 12,
        }
    }
}

/// One account's recent wrong passwords and, if it is locked, until when.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lockout {
    /// When each wrong password within the window was given, oldest first.
    pub failures: Vec<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Lockout {
    /// Until when the account is locked at `now`, if it is.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// Records a wrong password at `now`; returns the end of the lock if this one locked
    /// the account.
    pub fn fail(&mut self, now: DateTime<Utc>, policy: &LoginPolicy) -> Option<DateTime<Utc>> {
        let window = Duration::minutes(policy.failure_window_minutes);
        self.failures.retain(|at| *at > now - window);
        self.failures.push(now);
        // Only the failures that can still count are kept, so the record stays small
        // however long an attack goes on.
        let keep = policy.max_failures.max(1);
        if self.failures.len() > keep {
            let excess = self.failures.len() - keep;
            self.failures.drain(..excess);
        }
        if self.failures.len() < policy.max_failures || self.locked_at(now).is_some() {
            return None;
        }
        let until = now + Duration::minutes(policy.lockout_minutes);
        self.locked_until = Some(until);
        self.failures.clear();
        Some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn five_failures_within_fifteen_minutes_lock_for_fifteen_minutes() {
        let policy = LoginPolicy::default();
        let mut lockout = Lockout::default();
        for minute in 0..4 {
            assert_eq!(lockout.fail(at(minute), &policy), None);
        }
        assert_eq!(lockout.locked_at(at(4)), None);
        assert_eq!(lockout.fail(at(4), &policy), Some(at(19)));
        assert_eq!(lockout.locked_at(at(18)), Some(at(19)));
        assert_eq!(lockout.locked_at(at(19)), None);
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let policy = LoginPolicy::default();
        let mut lockout = Lockout::default();
        for minute in [0, 5, 10, 15] {
            assert_eq!(lockout.fail(at(minute), &policy), None);
        }
        // The failure at minute 0 has left the window by minute 16.
        assert_eq!(lockout.fail(at(16), &policy), None);
        assert_eq!(lockout.fail(at(17), &policy), Some(at(32)));
    }

    #[test]
    fn the_record_keeps_only_the_failures_that_can_count() {
        let policy = LoginPolicy {
            max_failures: 3,
            ..LoginPolicy::default()
        };
        let mut lockout = Lockout::default();
        lockout.fail(at(0), &policy);
        lockout.fail(at(0), &policy);
        assert!(lockout.fail(at(0), &policy).is_some());
        for _ in 0..1000 {
            lockout.fail(at(1), &policy);
        }
        assert!(lockout.failures.len() <= 3);
    }
}
