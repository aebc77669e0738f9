//! Timers: at most one per stream, changed only together with an append.
//!
//! A timer is the record `timer:⟨stream⟩`. The writer sets or deletes it in the same transaction
//! as the events that decided it, so a timer can never outlive or precede the state that
//! explains it. `due_timers` finds the ones that have come due through an index on `due`.

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use super::{Store, StoreError};

/// What an append does to its stream's timer.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TimerChange {
    /// Leave the timer as it is (or absent).
    #[default]
    Keep,
    /// Set (or replace) the stream's timer.
    Set { kind: String, due: DateTime<Utc> },
    /// Remove the stream's timer, if any.
    Clear,
}

/// A pending timer.
#[derive(Clone, Debug, PartialEq, SurrealValue)]
pub struct Timer {
    pub stream: String,
    /// What to do when it fires, e.g. "escalate".
    pub kind: String,
    pub due: DateTime<Utc>,
    /// The stream's version right after the append that set it. Appends that leave the timer
    /// as it was do not rewrite it, so this names the timer (for the scheduler's idempotency
    /// key); it is not the stream's current version.
    pub version: u64,
}

impl Store {
    /// Timers with `due <= now`, oldest first, at most `limit`.
    pub async fn due_timers(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT stream, kind, due, version FROM timer \
                 WHERE due <= $now ORDER BY due ASC LIMIT $limit",
            )
            .bind(("now", now))
            .bind(("limit", limit as i64))
            .await?;
        Ok(response.take(0)?)
    }
}
