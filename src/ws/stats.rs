//! What the hub holds, for tests and operators: the proof that a stalled screen costs a
//! bounded queue and each scope a bounded ring; and the counters operators watch.

use std::sync::atomic::{AtomicU64, Ordering};

/// The hub at one moment.
#[derive(Clone, Debug)]
pub struct HubStats {
    pub epoch: String,
    /// One entry per scope ever watched, sorted by label.
    pub scopes: Vec<ScopeStats>,
    /// One entry per open screen, oldest first.
    pub connections: Vec<ConnectionStats>,
}

/// One scope: its position and its ring of recent messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeStats {
    /// `city`, `town:CODE` or `village:CODE`.
    pub scope: String,
    /// The number of the scope's newest message.
    pub seq: u64,
    pub ring_len: usize,
    pub ring_bytes: usize,
    pub subscribers: usize,
}

/// One screen: what waits in its queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionStats {
    pub id: u64,
    pub scope: String,
    /// Messages queued for the socket; never more than `QUEUE_CAPACITY`.
    pub queued: usize,
    /// Their bytes (shared with other screens and the ring, so an upper bound).
    pub queued_bytes: usize,
    /// The queue overflowed; the screen gets a snapshot once its socket drains.
    pub needs_snapshot: bool,
    /// How many times the queue overflowed and a snapshot replaced it.
    pub forced_snapshots: u64,
}

impl HubStats {
    pub fn scope(&self, label: &str) -> Option<&ScopeStats> {
        self.scopes.iter().find(|s| s.scope == label)
    }

    /// Every byte the hub keeps for screens: the rings, plus the queues counted as if
    /// their (shared) messages were not shared.
    pub fn buffered_bytes(&self) -> usize {
        let rings: usize = self.scopes.iter().map(|s| s.ring_bytes).sum();
        let queues: usize = self.connections.iter().map(|c| c.queued_bytes).sum();
        rings + queues
    }
}

/// Live streams and refusals, for `/metrics`: plain atomics, so reading them never waits
/// for the hub or for a screen being admitted.
#[derive(Debug, Default)]
pub struct WsCounters {
    /// Streams admitted and not yet ended (counting those whose `101` is on its way).
    pub live: AtomicU64,
    /// Upgrades refused (429) because the token held `WsLimits::per_token` streams.
    pub refused_per_token: AtomicU64,
    /// Upgrades refused (429) because the address held `WsLimits::per_address` streams.
    pub refused_per_address: AtomicU64,
    /// Upgrades refused (403) from a page of an origin not allowed.
    pub refused_origin: AtomicU64,
    /// Upgrades refused (503) because the file descriptors left were the reserve.
    pub refused_open_files: AtomicU64,
    /// Streams closed with 4001 because their token expired or was signed out.
    pub sessions_ended: AtomicU64,
}

/// Adds one to a counter of [`WsCounters`].
pub(crate) fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
