//! What the hub holds, for tests and operators: the proof that a stalled screen costs a
//! bounded queue and each scope a bounded ring.

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
