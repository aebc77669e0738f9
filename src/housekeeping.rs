//! Periodic clean-up that keeps what strangers can make the server remember bounded: the
//! rate limiter's idle addresses and the expired login tokens.
//!
//! `step()` does one round (tests call it after moving the clock); `run()` steps once a
//! minute for as long as the server runs.

use std::time::Duration;

use crate::http::AppState;

/// How often `run` steps.
const EVERY: Duration = Duration::from_secs(60);

/// What one step removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub expired_tokens: usize,
}

/// One round of clean-up.
pub async fn step(state: &AppState) -> Swept {
    state.login.forget_idle_addresses();
    let now = state.clock.now();
    let expired_tokens = match state.engine.store().purge_expired_tokens(now).await {
        Ok(removed) => removed,
        Err(error) => {
            // The next round tries again; expired tokens are refused meanwhile anyway.
            tracing::warn!(%error, "expired tokens not purged");
            0
        }
    };
    Swept { expired_tokens }
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
    }
}
