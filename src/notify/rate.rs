//! How fast a channel may send, and when SMS may not be sent at all. Both are pure: the
//! caller passes the time.
//!
//! The limit is a sliding window of one minute rather than governor's GCRA (which the
//! sign-in limiter uses): the robots count messages per minute and a DingTalk robot that
//! receives a 21st is silenced for ten minutes, while a GCRA bucket either spaces every
//! message evenly (burst 1) or lets up to twice the rate through in some minute (burst =
//! rate). The window remembers at most `per_minute` instants per channel.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, FixedOffset, NaiveTime, TimeZone, Utc};

/// The window, with a second's margin: a message is counted from when it left here, and
/// the gateway counts it from when it arrived, a little later.
const WINDOW: Duration = Duration::from_secs(61);

/// At most `per_minute` messages in any window of a minute, on the monotonic clock (the
/// gateways count real time, whatever the engine's clock says in a demo).
#[derive(Clone, Debug)]
pub struct RateLimiter {
    per_minute: u32,
    sent: VecDeque<Instant>,
    /// Nothing goes before this: the gateway itself answered with a rate limit.
    held_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` messages a minute (at least one).
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            sent: VecDeque::new(),
            held_until: None,
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one place in the window at `now`, or says how long until one is free.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        self.forget(now);
        if let Some(until) = self.held_until.filter(|until| *until > now) {
            return Err(until - now);
        }
        if self.sent.len() >= self.per_minute as usize {
            let oldest = self.sent[0];
            return Err(oldest + WINDOW - now);
        }
        self.sent.push_back(now);
        Ok(())
    }

    /// How many messages may go at `now`: when fewer than are waiting, the waiting ones
    /// are better sent as one digest than held back.
    pub fn available(&mut self, now: Instant) -> u32 {
        self.forget(now);
        if self.held_until.is_some_and(|until| until > now) {
            return 0;
        }
        self.per_minute - self.sent.len() as u32
    }

    /// Sends nothing before `until`: the gateway said it is limiting (someone else may
    /// share the robot, or it counts differently).
    pub fn hold(&mut self, until: Instant) {
        self.held_until = Some(self.held_until.map_or(until, |held| held.max(until)));
    }

    fn forget(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|sent| now.saturating_duration_since(*sent) >= WINDOW)
        {
            self.sent.pop_front();
        }
    }
}

/// Hours in which SMS are not sent (`quiet_hours = "22:00-07:00"`), in Beijing time
/// (Asia/Shanghai: UTC+8, no daylight saving since 1991, as everywhere in this project).
/// A message due in them waits for their end; the robots and e-mail are read at a desk
/// and have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

impl QuietHours {
    /// Parses `HH:MM-HH:MM`; the span may cross midnight, and must not be empty.
    pub fn parse(text: &str) -> Result<QuietHours, String> {
        let invalid = || format!("`{text}` is not a span like \"22:00-07:00\"");
        let (start, end) = text.split_once('-').ok_or_else(invalid)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| invalid());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(format!(
                "`{text}` is empty: the start and the end are the same"
            ));
        }
        Ok(QuietHours { start, end })
    }

    /// Whether `at` falls in the quiet hours.
    pub fn is_quiet(&self, at: DateTime<Utc>) -> bool {
        self.ends_at(at).is_some()
    }

    /// When the quiet hours that `at` falls in end, or `None` if `at` is not in them.
    pub fn ends_at(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&beijing());
        let time = local.time();
        let quiet = if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        };
        if !quiet {
            return None;
        }
        // The end is today when it is still ahead, else tomorrow (a span over midnight
        // entered before midnight).
        let mut day = local.date_naive();
        if time >= self.end {
            day = day.checked_add_days(Days::new(1))?;
        }
        let end = beijing()
            .from_local_datetime(&day.and_time(self.end))
            .single()?;
        Some(end.with_timezone(&Utc))
    }
}

impl<'de> serde::Deserialize<'de> for QuietHours {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<QuietHours, D::Error> {
        let text = String::deserialize(deserializer)?;
        QuietHours::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[path = "rate_tests.rs"]
mod tests;
