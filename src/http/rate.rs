//! Limits per client address (governor's keyed GCRA limiter), shared by the sign-in and
//! the public pages' lookups and reports.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// So many requests per minute per client address, after a burst.
pub struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    /// At most `per_minute` a minute once a `burst` is spent (each at least one).
    pub fn per_minute(per_minute: u32, burst: u32) -> AddressLimiter {
        AddressLimiter::with(Quota::per_minute(at_least_one(per_minute)), burst)
    }

    /// At most `per_hour` an hour once a `burst` is spent (each at least one).
    pub fn per_hour(per_hour: u32, burst: u32) -> AddressLimiter {
        AddressLimiter::with(Quota::per_hour(at_least_one(per_hour)), burst)
    }

    fn with(quota: Quota, burst: u32) -> AddressLimiter {
        AddressLimiter {
            limiter: RateLimiter::keyed(quota.allow_burst(at_least_one(burst))),
        }
    }

    /// Counts a request from `client`; over its rate, how long until it may come back
    /// (at least a second, which is what `Retry-After` can say).
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&rate_key(client))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.max(Duration::from_secs(1))
            })
    }

    /// Forgets addresses whose bucket is full again, so the limiter's memory follows the
    /// addresses active in the last minute rather than every address ever seen.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least one")
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

    #[test]
    fn an_address_over_its_burst_is_told_when_to_come_back() {
        let limiter = AddressLimiter::per_minute(3, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter
            .check(a)
            .expect_err("the fourth request was admitted");
        assert!(wait >= Duration::from_secs(1), "{wait:?}");
        assert!(
            limiter.check(b).is_ok(),
            "another address has its own bucket"
        );
    }

    #[test]
    fn ipv6_addresses_of_one_network_share_a_bucket() {
        let limiter = AddressLimiter::per_minute(3, 3);
        for host in 1..=3 {
            let address: IpAddr = format!("2001:db8::{host}").parse().unwrap();
            assert!(limiter.check(address).is_ok());
        }
        let other_host: IpAddr = "2001:db8::ffff".parse().unwrap();
        assert!(limiter.check(other_host).is_err());
    }
}
