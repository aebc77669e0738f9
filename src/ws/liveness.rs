//! Whether a screen is still there. Liveness uses WebSocket Ping frames, which browsers
//! answer without any page code; any frame received counts as a sign of life, and a
//! screen silent for `SILENCE_LIMIT` is dropped even while messages flow to it (a socket
//! whose peer vanished may accept writes for minutes).

use std::time::Duration;

use tokio::time::Instant;

/// A screen that received nothing for this long gets a heartbeat.
pub const PING_AFTER: Duration = Duration::from_secs(20);
/// A screen that sent nothing (not even a Pong) for this long is dropped.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// What a liveness check asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heartbeat {
    Quiet,
    Ping,
    Dead,
}

/// When the screen was last heard from and last sent something.
#[derive(Clone, Copy, Debug)]
pub struct Liveness {
    heard: Instant,
    sent: Instant,
}

impl Liveness {
    pub fn new(now: Instant) -> Liveness {
        Liveness {
            heard: now,
            sent: now,
        }
    }

    pub fn heard(&mut self, now: Instant) {
        self.heard = now;
    }

    pub fn sent(&mut self, now: Instant) {
        self.sent = now;
    }

    pub fn check(&self, now: Instant) -> Heartbeat {
        if now.duration_since(self.heard) >= SILENCE_LIMIT {
            Heartbeat::Dead
        } else if now.duration_since(self.sent) >= PING_AFTER {
            Heartbeat::Ping
        } else {
            Heartbeat::Quiet
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_that_got_nothing_for_twenty_seconds_is_pinged() {
        let start = Instant::now();
        let mut liveness = Liveness::new(start);
        assert_eq!(
            liveness.check(start + Duration::from_secs(19)),
            Heartbeat::Quiet
        );
        assert_eq!(liveness.check(start + PING_AFTER), Heartbeat::Ping);
        liveness.sent(start + PING_AFTER);
        liveness.heard(start + PING_AFTER);
        assert_eq!(
            liveness.check(start + Duration::from_secs(25)),
            Heartbeat::Quiet
        );
    }

    #[test]
    fn a_screen_silent_for_a_minute_is_dropped_even_while_messages_flow_to_it() {
        let start = Instant::now();
        let mut liveness = Liveness::new(start);
        for second in (5..=55).step_by(5) {
            liveness.sent(start + Duration::from_secs(second));
        }
        assert_eq!(
            liveness.check(start + Duration::from_secs(59)),
            Heartbeat::Quiet
        );
        assert_eq!(liveness.check(start + SILENCE_LIMIT), Heartbeat::Dead);
    }

    #[test]
    fn any_frame_from_the_screen_counts_as_a_sign_of_life() {
        let start = Instant::now();
        let mut liveness = Liveness::new(start);
        assert_eq!(
            liveness.check(start + Duration::from_secs(65)),
            Heartbeat::Dead
        );
        liveness.heard(start + Duration::from_secs(50));
        liveness.sent(start + Duration::from_secs(50));
        assert_eq!(
            liveness.check(start + Duration::from_secs(65)),
            Heartbeat::Quiet
        );
        assert_eq!(
            liveness.check(start + Duration::from_secs(110)),
            Heartbeat::Dead
        );
    }
}
