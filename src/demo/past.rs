//! The demo's past: a fresh demo district is seeded 90 days ago on the demo clock and then
//! lives through those days step by step, with the simulated stewards and offices acting
//! (acknowledging, rectifying, verifying, urging, dismissing, relapses, new clues) and the
//! scheduler firing every deadline, observation end and escalation when it comes due. So
//! the 30-day trend, the rectification rates and the escalation list read like a real
//! county's from the first look, and every event in the log is an ordinary one.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::clock::AcceleratedClock;
use crate::engine::Engine;
use crate::scheduler::Scheduler;
use crate::simulation::Simulation;

/// How far back a fresh demo's life starts.
pub const PAST_DAYS: i64 = 90;
/// The demo clock moves this far between steps of the past.
const STEP: Duration = Duration::hours(3);
/// The seed of the past's simulation (the live simulation after it uses its own).
const SEED: u64 = 90;

/// What living through the past did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PastReport {
    pub steps: u32,
    pub commands: usize,
    pub raised: usize,
    pub timers_fired: usize,
}

/// Moves `clock` from where it stands to `until` in steps, stepping the scheduler and the
/// simulation at each, then leaves the clock at `until`.
pub async fn live_through_past(
    engine: &Arc<Engine>,
    clock: &AcceleratedClock,
    until: DateTime<Utc>,
    users: &std::path::Path,
) -> anyhow::Result<PastReport> {
    let started = std::time::Instant::now();
    let scheduler = Scheduler::new(engine.clone());
    let simulation = Simulation::new(engine.clone(), SEED, users);
    simulation.step().await?; // notes the starting time
    let mut report = PastReport::default();
    let mut at = engine.now();
    while at < until {
        at = (at + STEP).min(until);
        clock.jump_to(at);
        report.timers_fired += scheduler.step().await?.fired;
        let acted = simulation.step().await?;
        report.commands += acted.commands;
        report.raised += acted.raised;
        report.steps += 1;
    }
    clock.jump_to(until);
    tracing::info!(
        days = PAST_DAYS,
        steps = report.steps,
        commands = report.commands,
        raised = report.raised,
        timers = report.timers_fired,
        seconds = started.elapsed().as_secs_f64(),
        "the demo lived through its past"
    );
    Ok(report)
}
