//! The log follower: keeps this instance's projection up with events other instances append.
//!
//! Several app instances can share one SurrealDB server (`ws://`). Each folds its own commits
//! into its projection at once, and reads the log when an append of its own finds a gap or a
//! conflict; but an instance that only serves screens and reads would otherwise never learn
//! what the others did. The follower checks the log's position a few times a second and reads
//! whatever is new, which also publishes it to the live screens of this instance. The app runs
//! it only on a shared store (`Store::is_shared`): the embedded store is locked by this one
//! process. Tests call `step` instead of waiting.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{Engine, EngineError};

/// How often the follower looks at the log.
const INTERVAL: Duration = Duration::from_millis(250);

pub struct Follower {
    engine: Arc<Engine>,
}

impl Follower {
    pub fn new(engine: Arc<Engine>) -> Follower {
        Follower { engine }
    }

    /// Reads the events appended since the projection's position, if any; returns how many
    /// events the projection moved on by.
    pub async fn step(&self) -> Result<u64, EngineError> {
        let position = self.engine.read(|p| p.position);
        let head = self.engine.store().head_position().await?;
        if head <= position {
            return Ok(0);
        }
        let reached = self.engine.catch_up().await?;
        Ok(reached.saturating_sub(position))
    }

    /// Steps a few times a second until the process stops.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if let Err(error) = self.step().await {
                tracing::warn!(%error, "following the log failed; trying again");
            }
        }
    }
}
