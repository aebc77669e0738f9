//! The hub: one per engine, the only subscriber of the engine's change feed. It marks the
//! scopes each change touches (the warning's village, its town, the city), and every
//! `FLUSH_EVERY` builds one message per dirty scope, serializes it once, keeps it in the
//! scope's ring for reconnecting screens and offers the same bytes to each screen's
//! bounded queue. A screen whose queue is full is not queued for further: it is marked to
//! receive a fresh snapshot once its socket drains, so a stalled wall costs at most
//! `QUEUE_CAPACITY` shared messages, never an unbounded backlog.
//!
//! Locks are taken in one order, feed → scope map → one scope → projection, and none is
//! held across an await, so flushing, joining and resnapshotting cannot deadlock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::admission::Admission;
use super::limits::WsLimits;
use super::messages;
use super::pending::{Feed, Pending};
use super::ring::{Resume, Ring};
use super::scope::Scope;
use super::stats::{ConnectionStats, HubStats, ScopeStats, WsCounters};
use super::upgrade::fanout_runtime;
use crate::domain::region::RegionCode;
use crate::engine::Engine;

/// How many messages one screen may have waiting before it is switched to a snapshot.
pub const QUEUE_CAPACITY: usize = 64;
/// How many messages each scope keeps for reconnecting screens.
pub const RING_LEN: usize = 256;
/// The byte budget of each scope's ring (resync snapshots of a city are large).
pub const RING_BYTES: usize = 1 << 20;
/// The coalescing window: a screen gets at most ten messages a second.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How often, on average, the tokens of live streams are looked up in the store again, so
/// that a sign-out on another instance sharing the store closes this instance's streams.
/// Each round is spread by up to a quarter either way, so instances do not ask together.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// The live-stream hub of one engine, started with [`Hub::start`]; the app keeps it in its
/// state.
pub struct Hub {
    engine: Weak<Engine>,
    epoch: String,
    feed: Mutex<Feed>,
    scopes: Mutex<HashMap<RegionCode, Arc<Mutex<ScopeState>>>>,
    next_id: AtomicU64,
    admission: Arc<Admission>,
}

/// One scope's numbering, recent messages and screens. A scope, once watched, keeps
/// being followed even while nobody watches it, so that a screen coming back with
/// `since` is told exactly what it missed; there are at most as many as regions.
struct ScopeState {
    scope: Scope,
    seq: u64,
    ring: Ring,
    /// The snapshot at `seq`, built once for every screen that joins before the next
    /// message (after a deploy, all of a scope's walls reconnect at once).
    snapshot: Option<(u64, Bytes)>,
    subscribers: Vec<Subscriber>,
}

/// A screen's end of its queue, held by the hub.
struct Subscriber {
    conn: Arc<Conn>,
    queue: mpsc::Sender<Bytes>,
}

/// What the hub and a connection task share about one screen.
pub(crate) struct Conn {
    pub(crate) id: u64,
    pub(crate) scope: Scope,
    needs_snapshot: AtomicBool,
    queued_bytes: AtomicUsize,
    forced_snapshots: AtomicU64,
}

/// A screen that has joined a scope: its queue, and what to send before the queue.
pub(crate) struct Joined {
    pub(crate) conn: Arc<Conn>,
    pub(crate) queue: mpsc::Receiver<Bytes>,
    pub(crate) first: Vec<Bytes>,
    pub(crate) resumed: bool,
}

impl Hub {
    /// Starts the hub of `engine`: subscribed to its change feed, flushing every
    /// `FLUSH_EVERY` on the fan-out runtime until the engine is dropped. It lives as long as
    /// the engine, so its epoch and numbering survive screens coming and going. Streams are
    /// admitted within `limits` and the open-file limit of this moment.
    pub fn start(engine: &Arc<Engine>, limits: WsLimits) -> Arc<Hub> {
        let open_files = super::fd_limit::open_files().unwrap_or_else(|error| {
            tracing::warn!(%error, "open-file limit unknown; assuming 1,024");
            1024
        });
        let hub = Arc::new(Hub {
            engine: Arc::downgrade(engine),
            epoch: format!("{:016x}", rand::random::<u64>()),
            feed: Mutex::new(Feed {
                changes: engine.subscribe(),
                pending: Pending::default(),
            }),
            scopes: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            admission: Arc::new(Admission::new(limits, open_files)),
        });
        // Beside the screens it wakes, away from the HTTP runtime (see `upgrade`).
        fanout_runtime().spawn(run(hub.clone()));
        // The rechecks read the store, so they run beside it, on the caller's runtime.
        tokio::spawn(recheck_tokens_until_stopped(hub.clone()));
        hub
    }

    /// The live streams' books: the limits, the counters and every stream's session.
    pub fn admission(&self) -> &Arc<Admission> {
        &self.admission
    }

    /// Live streams and refusals, for `/metrics`.
    pub fn counters(&self) -> &WsCounters {
        self.admission.counters()
    }

    /// Closes every live stream opened with the token with this hash (with 4001, session
    /// ended): the token was signed out. Returns how many there were.
    pub fn revoke_token(&self, token_hash: &str) -> usize {
        self.admission.revoke(token_hash)
    }

    /// Closes the streams of tokens the store no longer has or that have expired; returns
    /// how many. Run every `RECHECK_EVERY`; tests call it to be independent of timing.
    pub async fn recheck_tokens(&self) -> usize {
        let Some(engine) = self.engine.upgrade() else {
            return 0;
        };
        self.admission
            .recheck(engine.store(), chrono::Utc::now())
            .await
    }

    /// This hub's incarnation: positions (`seq`) from another epoch mean nothing here.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// Ends the current window now: builds, records and sends one message per dirty
    /// scope. Returns how many messages were published. The server calls it every
    /// `FLUSH_EVERY`; tests call it to be independent of timing.
    pub fn flush(&self) -> usize {
        let Some(engine) = self.engine.upgrade() else {
            return 0;
        };
        let mut feed = lock(&self.feed);
        feed.drain(engine.regions());
        let window = feed.pending.take();
        if window.is_empty() {
            return 0;
        }
        let states: Vec<_> = lock(&self.scopes).values().cloned().collect();
        let mut published = 0;
        for state in states {
            let mut state = lock(&state);
            let scope = state.scope;
            if window.resync {
                state.publish(|seq| messages::snapshot(&engine, &scope, &self.epoch, seq));
            } else if let Some(dirty) = window.dirty.get(scope.code()) {
                state.publish(|seq| messages::delta(&engine, &scope, &self.epoch, seq, dirty));
            } else {
                continue;
            }
            published += 1;
        }
        published
    }

    /// Makes the next flush send every scope a fresh snapshot (as a numbered message, so
    /// resuming screens replay through it). What the hub does when its feed lagged.
    pub fn resync(&self) {
        lock(&self.feed).pending.resync_all();
    }

    /// What the hub holds right now: per scope its position and ring, per screen its
    /// queue.
    pub fn stats(&self) -> HubStats {
        let states: Vec<_> = lock(&self.scopes).values().cloned().collect();
        let mut stats = HubStats {
            epoch: self.epoch.clone(),
            scopes: Vec::new(),
            connections: Vec::new(),
        };
        for state in states {
            let state = lock(&state);
            stats.scopes.push(ScopeStats {
                scope: state.scope.label(),
                seq: state.seq,
                ring_len: state.ring.len(),
                ring_bytes: state.ring.bytes(),
                subscribers: state.subscribers.len(),
            });
            for subscriber in &state.subscribers {
                stats.connections.push(subscriber.stats());
            }
        }
        stats.scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
        stats.connections.sort_by_key(|c| c.id);
        stats
    }

    /// Registers a screen on a scope and decides what it gets first: the messages it
    /// missed if it names this epoch and they are all in the ring, else a snapshot.
    /// `None` once the engine is gone.
    pub(crate) fn join(&self, scope: Scope, resume: Option<(&str, u64)>) -> Option<Joined> {
        let engine = self.engine.upgrade()?;
        let state = lock(&self.scopes)
            .entry(*scope.code())
            .or_insert_with(|| Arc::new(Mutex::new(ScopeState::new(scope))))
            .clone();
        let mut state = lock(&state);
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            scope,
            needs_snapshot: AtomicBool::new(false),
            queued_bytes: AtomicUsize::new(0),
            forced_snapshots: AtomicU64::new(0),
        });
        state.subscribers.push(Subscriber {
            conn: conn.clone(),
            queue,
        });
        let replay = resume
            .filter(|(epoch, _)| *epoch == self.epoch)
            .map(|(_, since)| state.ring.resume(state.seq, since));
        let (first, resumed) = match replay {
            Some(Resume::Replay(missed)) => (missed, true),
            _ => (vec![state.snapshot(&engine, &self.epoch)], false),
        };
        Some(Joined {
            conn,
            queue: receiver,
            first,
            resumed,
        })
    }

    /// A screen whose queue overflowed: throws away what is queued and returns the
    /// snapshot at the scope's position, so the queue continues with the next message.
    pub(crate) fn resnapshot(
        &self,
        conn: &Conn,
        queue: &mut mpsc::Receiver<Bytes>,
    ) -> Option<Bytes> {
        let engine = self.engine.upgrade()?;
        let state = lock(&self.scopes).get(conn.scope.code()).cloned()?;
        let mut state = lock(&state);
        while let Ok(stale) = queue.try_recv() {
            conn.dequeued(stale.len());
        }
        conn.needs_snapshot.store(false, Ordering::Release);
        Some(state.snapshot(&engine, &self.epoch))
    }

    /// Removes a screen whose socket has ended.
    pub(crate) fn leave(&self, conn: &Arc<Conn>) {
        let state = lock(&self.scopes).get(conn.scope.code()).cloned();
        if let Some(state) = state {
            lock(&state)
                .subscribers
                .retain(|s| !Arc::ptr_eq(&s.conn, conn));
        }
    }

    /// The idle heartbeat text, or `None` once the engine is gone.
    pub(crate) fn ping(&self) -> Option<Bytes> {
        let engine = self.engine.upgrade()?;
        Some(messages::ping(&engine, &self.epoch))
    }

    /// Drops every scope, which closes every screen's queue and so ends its stream.
    fn close(&self) {
        lock(&self.scopes).clear();
    }
}

/// The hub's task: flush every `FLUSH_EVERY` until the engine is gone.
async fn run(hub: Arc<Hub>) {
    let mut ticker = tokio::time::interval(FLUSH_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if hub.engine.strong_count() == 0 {
            break;
        }
        hub.flush();
    }
    hub.close();
}

/// Rechecks the live streams' tokens about every `RECHECK_EVERY` until the engine is gone.
async fn recheck_tokens_until_stopped(hub: Arc<Hub>) {
    loop {
        let spread = rand::random::<f64>() * 0.5 + 0.75;
        tokio::time::sleep(RECHECK_EVERY.mul_f64(spread)).await;
        if hub.engine.strong_count() == 0 {
            break;
        }
        hub.recheck_tokens().await;
    }
}

impl ScopeState {
    fn new(scope: Scope) -> ScopeState {
        ScopeState {
            scope,
            seq: 0,
            ring: Ring::new(RING_LEN, RING_BYTES),
            snapshot: None,
            subscribers: Vec::new(),
        }
    }

    /// Numbers, records and offers one message; screens whose socket is gone are dropped.
    fn publish(&mut self, build: impl FnOnce(u64) -> Bytes) {
        self.seq += 1;
        let message = build(self.seq);
        self.ring.push(self.seq, message.clone());
        self.snapshot = None;
        self.subscribers.retain(|s| s.offer(&message));
    }

    /// The snapshot at the current position, built at most once per position.
    fn snapshot(&mut self, engine: &Engine, epoch: &str) -> Bytes {
        if let Some((seq, message)) = &self.snapshot
            && *seq == self.seq
        {
            return message.clone();
        }
        let message = messages::snapshot(engine, &self.scope, epoch, self.seq);
        self.snapshot = Some((self.seq, message.clone()));
        message
    }
}

impl Subscriber {
    /// Queues a message for the screen; false when its connection has ended.
    fn offer(&self, message: &Bytes) -> bool {
        if self.conn.needs_snapshot() {
            // The snapshot it will get covers this message.
            return !self.queue.is_closed();
        }
        // Counted before sending so the connection task's decrement never comes first.
        self.conn
            .queued_bytes
            .fetch_add(message.len(), Ordering::Relaxed);
        match self.queue.try_send(message.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.conn.dequeued(message.len());
                self.conn.needs_snapshot.store(true, Ordering::Release);
                self.conn.forced_snapshots.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }

    fn stats(&self) -> ConnectionStats {
        ConnectionStats {
            id: self.conn.id,
            scope: self.conn.scope.label(),
            queued: QUEUE_CAPACITY - self.queue.capacity(),
            queued_bytes: self.conn.queued_bytes.load(Ordering::Relaxed),
            needs_snapshot: self.conn.needs_snapshot(),
            forced_snapshots: self.conn.forced_snapshots.load(Ordering::Relaxed),
        }
    }
}

impl Conn {
    pub(crate) fn needs_snapshot(&self) -> bool {
        self.needs_snapshot.load(Ordering::Acquire)
    }

    /// A message of `len` bytes left the queue (sent or thrown away).
    pub(crate) fn dequeued(&self, len: usize) {
        self.queued_bytes.fetch_sub(len, Ordering::Relaxed);
    }
}

/// Locks a mutex, carrying on after a panic elsewhere: every state here is valid between
/// statements, and one failed flush must not take every wall down with it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
