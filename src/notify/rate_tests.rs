use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn twenty_a_minute_and_the_twenty_first_waits_for_the_first_to_leave_the_window() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(20);
    for i in 0..20 {
        assert_eq!(limiter.try_acquire(t0 + secs(i)), Ok(()), "{i}");
    }
    assert_eq!(limiter.available(t0 + secs(20)), 0);
    assert_eq!(limiter.try_acquire(t0 + secs(20)), Err(secs(41)));
    // Just before the first leaves the window: still full.
    assert!(limiter.try_acquire(t0 + secs(60)).is_err());
    assert_eq!(limiter.try_acquire(t0 + secs(61)), Ok(()));
    assert_eq!(limiter.available(t0 + secs(61)), 0);
    assert_eq!(limiter.available(t0 + secs(62)), 1);
}

#[test]
fn no_minute_ever_holds_more_than_the_rate() {
    // Greedy sending, a try every 250 ms for five minutes: count every 60-second window.
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(20);
    let mut sent = Vec::new();
    for step in 0..1200u64 {
        let now = t0 + Duration::from_millis(step * 250);
        if limiter.try_acquire(now).is_ok() {
            sent.push(now);
        }
    }
    assert!(sent.len() >= 80, "{}", sent.len());
    for start in &sent {
        let in_minute = sent
            .iter()
            .filter(|t| **t >= *start && **t < *start + secs(60))
            .count();
        assert!(in_minute <= 20, "{in_minute}");
    }
}

#[test]
fn a_hold_from_the_gateway_stops_everything_until_it_ends() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(20);
    limiter.hold(t0 + secs(600));
    // A shorter hold never shortens a longer one.
    limiter.hold(t0 + secs(10));
    assert_eq!(limiter.try_acquire(t0 + secs(100)), Err(secs(500)));
    assert_eq!(limiter.available(t0 + secs(100)), 0);
    assert_eq!(limiter.try_acquire(t0 + secs(600)), Ok(()));
}

#[test]
fn a_zero_rate_still_lets_one_message_a_minute_through() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(0);
    assert_eq!(limiter.per_minute(), 1);
    assert_eq!(limiter.try_acquire(t0), Ok(()));
    assert!(limiter.try_acquire(t0 + secs(1)).is_err());
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn quiet_hours_over_midnight_end_the_next_morning_in_beijing() {
    let quiet = QuietHours::parse("22:00-07:00").unwrap();
    // 21:59 Beijing (13:59 UTC): not quiet.
    assert_eq!(quiet.ends_at(utc("2026-03-02T13:59:00Z")), None);
    // 22:00 Beijing: quiet until 07:00 the next day (23:00 UTC).
    assert_eq!(
        quiet.ends_at(utc("2026-03-02T14:00:00Z")),
        Some(utc("2026-03-02T23:00:00Z"))
    );
    // 03:00 Beijing (19:00 UTC the day before): quiet until 07:00 that morning.
    assert_eq!(
        quiet.ends_at(utc("2026-03-02T19:00:00Z")),
        Some(utc("2026-03-02T23:00:00Z"))
    );
    // 07:00 Beijing exactly: the quiet hours are over.
    assert!(!quiet.is_quiet(utc("2026-03-02T23:00:00Z")));
    // Noon Beijing.
    assert!(!quiet.is_quiet(utc("2026-03-03T04:00:00Z")));
}

#[test]
fn quiet_hours_within_one_day() {
    let quiet = QuietHours::parse("12:00-14:00").unwrap();
    assert_eq!(
        quiet.ends_at(utc("2026-03-03T04:30:00Z")),
        Some(utc("2026-03-03T06:00:00Z"))
    );
    assert!(!quiet.is_quiet(utc("2026-03-03T06:00:00Z")));
    assert!(!quiet.is_quiet(utc("2026-03-03T03:59:00Z")));
}

#[test]
fn malformed_or_empty_quiet_hours_are_refused() {
    for text in ["22:00", "25:00-07:00", "22:00-7", "07:00-07:00", ""] {
        assert!(QuietHours::parse(text).is_err(), "{text}");
    }
    assert!(QuietHours::parse(" 22:30 - 06:45 ").is_ok());
}
