//! How busy the command path is, so that background work that nobody waits on (the
//! notification outbox) can give way to it.
//!
//! Two cores serve commands, the embedded store and every background worker. A worker
//! that writes while a burst of commands is in flight takes the store's time from them:
//! the notify bench measured a debug build's command p99 at 38 ms without the outbox and
//! 135 ms with it. Commands are what people wait on at their screens; a notification a few
//! seconds later costs nobody anything. So a worker asks `quiet_for` before each step and
//! waits while commands are coming in, up to a limit of its own (it must not starve).
//!
//! This is wall time (`Instant`), not the injected clock: it measures the machine's load,
//! not the domain's deadlines, and tests drive the workers' `step()` directly.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Commands in flight and when the last one ended.
#[derive(Debug)]
pub struct CommandLoad {
    epoch: Instant,
    in_flight: AtomicUsize,
    /// When the last command ended, in microseconds since `epoch`.
    last_ended_us: AtomicU64,
}

impl Default for CommandLoad {
    fn default() -> Self {
        CommandLoad {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ended_us: AtomicU64::new(0),
        }
    }
}

impl CommandLoad {
    /// Counts a command in flight until the guard drops (also when its future is dropped
    /// half-way, as a client that hangs up does).
    pub fn enter(&self) -> CommandGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        CommandGuard { load: self }
    }

    /// True when no command is in flight and none ended within `quiet`.
    pub fn quiet_for(&self, quiet: Duration) -> bool {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return false;
        }
        let last_us = self.last_ended_us.load(Ordering::Relaxed);
        if last_us == 0 {
            return true; // no command has run yet
        }
        let last = Duration::from_micros(last_us);
        self.epoch.elapsed().saturating_sub(last) >= quiet
    }

    /// Commands in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

/// A command in flight; see `CommandLoad::enter`.
pub struct CommandGuard<'a> {
    load: &'a CommandLoad,
}

impl Drop for CommandGuard<'_> {
    fn drop(&mut self) {
        // At least 1, since 0 stands for "none yet".
        let now = (self.load.epoch.elapsed().as_micros() as u64).max(1);
        self.load.last_ended_us.fetch_max(now, Ordering::Relaxed);
        self.load.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_in_flight_or_just_ended_is_not_quiet() {
        let load = CommandLoad::default();
        assert!(load.quiet_for(Duration::ZERO), "nothing ran yet");
        let guard = load.enter();
        assert!(!load.quiet_for(Duration::ZERO));
        assert_eq!(load.in_flight(), 1);
        drop(guard);
        assert_eq!(load.in_flight(), 0);
        assert!(load.quiet_for(Duration::ZERO));
        assert!(
            !load.quiet_for(Duration::from_secs(3600)),
            "one ended just now"
        );
    }
}
