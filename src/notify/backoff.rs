//! When to try a failed message again: exponential backoff with full jitter (a delay
//! drawn uniformly between zero and the exponential ceiling), so that a gateway that
//! failed many messages at once is not hit by all their retries at the same moment. Pure:
//! the caller passes the random source, so tests seed it.

use std::time::Duration;

use rand::Rng;
use serde::Deserialize;

use super::channel::SendError;

/// A channel's retry policy (`[channels.KIND.retry]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last failure the message is a dead
    /// letter the city office can resend.
    pub max_attempts: u32,
    /// The ceiling of the first retry's delay; it doubles with each failure.
    pub base_seconds: u64,
    /// The ceiling no delay exceeds.
    pub max_seconds: u64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_seconds: 30,
            max_seconds: 3600,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    After(Duration),
    /// Permanent, or out of attempts: a dead letter.
    GiveUp,
}

impl RetryPolicy {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err("max_attempts: must be at least 1".into());
        }
        if self.base_seconds == 0 || self.max_seconds < self.base_seconds {
            return Err(
                "base_seconds must be at least 1 and max_seconds at least base_seconds".into(),
            );
        }
        Ok(())
    }

    /// The ceiling of the delay after `failures` failed attempts (1 after the first):
    /// `base · 2^(failures − 1)`, at most `max`.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(63);
        let seconds = self
            .base_seconds
            .saturating_mul(1u64 << doublings)
            .min(self.max_seconds);
        Duration::from_secs(seconds)
    }

    /// A delay drawn uniformly from zero to the ceiling (full jitter), to the millisecond.
    pub fn delay(&self, failures: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(failures).as_millis() as u64;
        Duration::from_millis(rng.gen_range(0..=ceiling))
    }

    /// What follows the `failures`-th failed attempt (counting this one). A permanent
    /// error gives up at once; otherwise a message gets `max_attempts` attempts, and a
    /// gateway's own `retry_after` (its rate-limit window) is waited out even when the
    /// drawn delay is shorter, since trying sooner only earns another refusal.
    pub fn after_failure(&self, failures: u32, error: &SendError, rng: &mut impl Rng) -> Retry {
        let retry_after = match error {
            SendError::Permanent { .. } => return Retry::GiveUp,
            SendError::Retryable { retry_after, .. } | SendError::RateLimited { retry_after } => {
                *retry_after
            }
        };
        if failures >= self.max_attempts {
            return Retry::GiveUp;
        }
        let delay = self.delay(failures, rng);
        Retry::After(retry_after.map_or(delay, |floor| delay.max(floor)))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base_seconds: 10,
        max_seconds: 60,
    };

    fn retryable() -> SendError {
        SendError::Retryable {
            reason: "503".into(),
            retry_after: None,
        }
    }

    #[test]
    fn the_ceiling_doubles_up_to_the_maximum() {
        let ceilings: Vec<u64> = (1..=6).map(|n| POLICY.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [10, 20, 40, 60, 60, 60]);
        // A huge count neither overflows nor exceeds the maximum.
        assert_eq!(POLICY.ceiling(u32::MAX).as_secs(), 60);
    }

    #[test]
    fn delays_stay_within_zero_and_the_ceiling_and_spread_over_it() {
        let mut rng = StdRng::seed_from_u64(7);
        for failures in 1..=5 {
            let ceiling = POLICY.ceiling(failures);
            let delays: Vec<Duration> =
                (0..500).map(|_| POLICY.delay(failures, &mut rng)).collect();
            assert!(delays.iter().all(|d| *d <= ceiling), "{failures}");
            // Full jitter: draws land in both the lower and the upper quarter.
            assert!(delays.iter().any(|d| *d < ceiling / 4), "{failures}");
            assert!(delays.iter().any(|d| *d > ceiling * 3 / 4), "{failures}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (1..=4)
                .map(|n| POLICY.delay(n, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn attempts_run_out_and_permanent_errors_give_up_at_once() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(matches!(
            POLICY.after_failure(3, &retryable(), &mut rng),
            Retry::After(_)
        ));
        assert_eq!(
            POLICY.after_failure(4, &retryable(), &mut rng),
            Retry::GiveUp
        );
        let permanent = SendError::Permanent {
            reason: "bad number".into(),
        };
        assert_eq!(POLICY.after_failure(1, &permanent, &mut rng), Retry::GiveUp);
    }

    #[test]
    fn a_gateways_retry_after_is_waited_out() {
        let mut rng = StdRng::seed_from_u64(2);
        let limited = SendError::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        };
        for _ in 0..50 {
            let Retry::After(delay) = POLICY.after_failure(1, &limited, &mut rng) else {
                panic!("a rate limit is retried");
            };
            assert_eq!(delay, Duration::from_secs(600));
        }
    }

    #[test]
    fn a_policy_without_attempts_or_with_a_ceiling_below_its_base_is_refused() {
        let zero = RetryPolicy {
            max_attempts: 0,
            ..POLICY
        };
        assert!(zero.check().unwrap_err().contains("max_attempts"));
        let inverted = RetryPolicy {
            max_seconds: 5,
            ..POLICY
        };
        assert!(inverted.check().is_err());
        assert!(POLICY.check().is_ok());
    }
}
