//! The scheduler: fires each due timer (a missed deadline, the end of an observation)
//! exactly once. Timers live in the store beside the events that set them, so they survive
//! restarts; a firing is a system command with an idempotency key naming the timer and the
//! stream version it was set at, so a second firing, here or on another instance, writes
//! nothing. A firing that loses a race with a concurrent command (a conflict) leaves the
//! timer in place and is tried again on the next step. Tests call `step` with a moved clock instead of sleeping.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{Engine, EngineError};
use crate::workflow::{SystemCommand, TimerKind};

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepReport {
    pub fired: usize,
    /// Timers another instance or an earlier firing already handled.
    pub skipped: usize,
}

pub struct Scheduler {
    engine: Arc<Engine>,
}

impl Scheduler {
    pub fn new(engine: Arc<Engine>) -> Scheduler {
        Scheduler { engine }
    }

    /// Fires every timer due at the engine clock's now.
    pub async fn step(&self) -> Result<StepReport, EngineError> {
        let mut report = StepReport::default();
        loop {
            let now = self.engine.now();
            let due = self.engine.store().due_timers(now, 256).await?;
            if due.is_empty() {
                return Ok(report);
            }
            let batch = due.len();
            for timer in due {
                let Some(kind) = TimerKind::parse(&timer.kind) else {
                    tracing::error!(stream = %timer.stream, kind = %timer.kind, "unknown timer kind");
                    report.skipped += 1;
                    continue;
                };
                let command = match kind {
                    TimerKind::Deadline => SystemCommand::MissDeadline,
                    TimerKind::ReminderDue => SystemCommand::ExpireReminder,
                    TimerKind::ObservationEnd => SystemCommand::EndObservation,
                };
                // The key names the timer by the version that set it, so it fires once. The
                // command is decided against the warning as it stands now: commands that kept
                // the timer (an acknowledgement, an urge) moved the version but not the due time.
                let key = format!("timer:{}:{}:{}", timer.stream, timer.version, timer.kind);
                let current = self
                    .engine
                    .read(|p| p.warnings.get(timer.stream.as_str()).map(|w| w.version));
                let Some(current) = current else {
                    // Another instance may have raised it a moment ago; the next step retries.
                    tracing::warn!(stream = %timer.stream, "a timer names a warning not yet projected here");
                    report.skipped += 1;
                    continue;
                };
                match self
                    .engine
                    .execute_system(&timer.stream, &command, current, &key)
                    .await
                {
                    Ok(outcome) if !outcome.replayed => report.fired += 1,
                    Ok(_) | Err(EngineError::Conflict { .. }) | Err(EngineError::Rejected(_)) => {
                        report.skipped += 1
                    }
                    Err(e) => return Err(e),
                }
            }
            // A full batch may mean more are due; a short one means we are done, and
            // stopping here keeps a timer that could not fire from looping forever.
            if batch < 256 {
                return Ok(report);
            }
        }
    }

    /// Steps once a second until the process stops.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if let Err(e) = self.step().await {
                tracing::error!(error = %e, "scheduler step failed");
            }
        }
    }
}
