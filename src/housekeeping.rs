//! Periodic clean-up that keeps what strangers can make the server remember bounded: the
//! rate limiter's idle addresses, the expired login tokens and old idempotency records;
//! and a checkpoint of the projection, so that a stop writes only the last minute's
//! changes and a start after a kill folds only the events since the last minute.
//!
//! `step()` does one round (tests call it after moving the clock); `run()` steps once a
//! minute for as long as the server runs.

use std::time::Duration;

use crate::http::AppState;

/// How often `run` steps.
const EVERY: Duration = Duration::from_secs(60);

/// How long a command's idempotency record is kept: a tablet that queued a command offline
/// and resends it with the same key within this time gets the first answer back, not a
/// second execution. Thirty days covers a steward's tablet left in a drawer over a holiday;
/// after that a resend is decided afresh (and almost always refused, the warning having
/// moved on). Measured on the engine's clock, the one the records are stamped with.
pub const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::days(30);

/// The most idempotency records one step removes, so a first purge of a large store is
/// spread over several minutes instead of one long transaction.
const PURGE_BATCH: usize = 5_000;

/// What one step removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub expired_tokens: usize,
    pub idempotency_records: usize,
    /// The position of the projection checkpoint taken, if one could be.
    pub checkpoint: Option<u64>,
}

/// One round of clean-up.
pub async fn step(state: &AppState) -> Swept {
    state.login.forget_idle_addresses();
    state.public_limits.forget_idle();
    let now = state.clock.now();
    let expired_tokens = match state.engine.store().purge_expired_tokens(now).await {
        Ok(removed) => removed,
        Err(error) => {
            // The next round tries again; expired tokens are refused meanwhile anyway.
            tracing::warn!(%error, "expired tokens not purged");
            0
        }
    };
    let cutoff = state.engine.now() - IDEMPOTENCY_RETENTION;
    let idempotency_records = match state
        .engine
        .store()
        .purge_commands_before(cutoff, PURGE_BATCH)
        .await
    {
        Ok(removed) => removed,
        Err(error) => {
            tracing::warn!(%error, "old idempotency records not purged");
            0
        }
    };
    let checkpoint = match state.engine.save_checkpoint().await {
        Ok(position) => Some(position),
        Err(error) => {
            // What it would have held stays marked and goes into the next one.
            tracing::warn!(%error, "projection checkpoint not saved");
            None
        }
    };
    Swept {
        expired_tokens,
        idempotency_records,
        checkpoint,
    }
}

/// Steps every minute.
pub async fn run(state: AppState) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let swept = step(&state).await;
        if swept.expired_tokens > 0 {
            tracing::info!(removed = swept.expired_tokens, "expired tokens purged");
        }
        if swept.idempotency_records > 0 {
            tracing::info!(
                removed = swept.idempotency_records,
                "old idempotency records purged"
            );
        }
    }
}
