//! What the clients and the load driver share: when each command was sent, the latency
//! histogram of deliveries, and counters. Everything is atomic so ten thousand client
//! tasks can record without a lock.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Histogram buckets are 100 µs wide up to this bound; later deliveries share the last.
const HISTOGRAM_LIMIT: Duration = Duration::from_secs(30);
const BUCKET_MICROS: u64 = 100;

/// A command's effect a screen can recognise: the warning's number (from its title
/// `fanout N`) and the state the command leaves it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Raised(usize),
    Dismissed(usize),
}

impl Effect {
    /// The effect a listed warning shows, if it is one of the bench's.
    pub fn of(title: &str, state: &str) -> Option<Effect> {
        let n = title.strip_prefix(TITLE_PREFIX)?.parse().ok()?;
        match state {
            "notified" => Some(Effect::Raised(n)),
            "dismissed" => Some(Effect::Dismissed(n)),
            _ => None,
        }
    }
}

/// Titles of the warnings the load raises: `fanout 17`.
pub const TITLE_PREFIX: &str = "fanout ";
/// Titles of the warnings raised right after a restart: `restart-2 990102100201`.
pub const MARKER_PREFIX: &str = "restart-";

/// Shared by the load driver (sent times) and every client (deliveries).
pub struct Record {
    started: Instant,
    /// When each command was sent, by effect kind (raised, dismissed) and number.
    sent: [Vec<AtomicU64>; 2],
    /// When each command was answered (committed): the event's own time.
    answered: [Vec<AtomicU64>; 2],
    /// Deliveries by time since the command was sent.
    histogram: Vec<AtomicU64>,
    /// Deliveries by time since the command was answered (0 when the screen had it
    /// before the bench had the answer).
    after_answer: Vec<AtomicU64>,
    /// Snapshots and deltas received by all clients (heartbeats not counted).
    pub messages: AtomicU64,
    pub message_bytes: AtomicU64,
    /// Clients holding an open stream that has delivered its first message.
    pub connected: AtomicUsize,
    /// Streams that ended and were reopened.
    pub reconnects: AtomicU64,
    /// The restart generation whose marker warnings count as current (0: none yet).
    pub generation: AtomicU32,
    /// Clients that have seen a marker of the current generation.
    pub current: AtomicUsize,
}

impl Record {
    /// Room for `commands` numbered commands.
    pub fn new(commands: usize) -> Record {
        let slots = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        let buckets = (HISTOGRAM_LIMIT.as_micros() as u64 / BUCKET_MICROS) as usize + 1;
        Record {
            started: Instant::now(),
            sent: [slots(commands), slots(commands)],
            answered: [slots(commands), slots(commands)],
            histogram: slots(buckets),
            after_answer: slots(buckets),
            messages: AtomicU64::new(0),
            message_bytes: AtomicU64::new(0),
            connected: AtomicUsize::new(0),
            reconnects: AtomicU64::new(0),
            generation: AtomicU32::new(0),
            current: AtomicUsize::new(0),
        }
    }

    /// Notes that the command with this effect is being sent now.
    pub fn sent(&self, effect: Effect) {
        if let Some(slot) = slot(&self.sent, effect) {
            slot.store(self.nanos_now().max(1), Ordering::Release);
        }
    }

    /// Notes that the command with this effect has just been answered.
    pub fn answered(&self, effect: Effect) {
        if let Some(slot) = slot(&self.answered, effect) {
            slot.store(self.nanos_now().max(1), Ordering::Release);
        }
    }

    /// Notes that a screen received this effect now; unknown effects are ignored.
    pub fn delivered(&self, effect: Effect) {
        let time = |slots| slot(slots, effect).map_or(0, |s| s.load(Ordering::Acquire));
        let sent = time(&self.sent);
        if sent == 0 {
            return;
        }
        let now = self.nanos_now();
        count(&self.histogram, now.saturating_sub(sent));
        let answered = time(&self.answered);
        if answered > 0 {
            count(&self.after_answer, now.saturating_sub(answered));
        } else {
            count(&self.after_answer, 0);
        }
    }

    /// The latency histograms so far (counts per bucket): since sent, since answered.
    pub fn histograms(&self) -> (Vec<u64>, Vec<u64>) {
        let read = |h: &[AtomicU64]| h.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        (read(&self.histogram), read(&self.after_answer))
    }

    /// Forgets every sent time and delivery, for the next phase of the same run.
    pub fn reset_latencies(&self) {
        let all = self.sent.iter().chain(&self.answered).flatten();
        for slot in all.chain(&self.histogram).chain(&self.after_answer) {
            slot.store(0, Ordering::Relaxed);
        }
    }

    fn nanos_now(&self) -> u64 {
        self.started.elapsed().as_nanos() as u64
    }
}

fn slot(slots: &[Vec<AtomicU64>; 2], effect: Effect) -> Option<&AtomicU64> {
    match effect {
        Effect::Raised(n) => slots[0].get(n),
        Effect::Dismissed(n) => slots[1].get(n),
    }
}

fn count(histogram: &[AtomicU64], nanos: u64) {
    let bucket = ((nanos / 1_000 / BUCKET_MICROS) as usize).min(histogram.len() - 1);
    histogram[bucket].fetch_add(1, Ordering::Relaxed);
}

/// The latency below which a share `p` (0..1) of the counted deliveries fell, in ms
/// (the upper edge of its 100 µs bucket); 0 with no deliveries.
pub fn percentile_ms(histogram: &[u64], p: f64) -> f64 {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let rank = ((total as f64 * p).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (bucket, count) in histogram.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return ((bucket as u64 + 1) * BUCKET_MICROS) as f64 / 1000.0;
        }
    }
    unreachable!("the rank is at most the total")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_are_read_from_title_and_state() {
        assert_eq!(
            Effect::of("fanout 17", "notified"),
            Some(Effect::Raised(17))
        );
        assert_eq!(
            Effect::of("fanout 3", "dismissed"),
            Some(Effect::Dismissed(3))
        );
        assert_eq!(Effect::of("fanout 3", "acknowledged"), None);
        assert_eq!(Effect::of("私设小金库", "notified"), None);
    }

    #[test]
    fn percentiles_come_from_bucket_edges() {
        let mut histogram = vec![0; 100];
        histogram[9] = 50; // 0.9–1.0 ms
        histogram[49] = 49; // 4.9–5.0 ms
        histogram[99] = 1; // 9.9–10 ms
        assert_eq!(percentile_ms(&histogram, 0.50), 1.0);
        assert_eq!(percentile_ms(&histogram, 0.99), 5.0);
        assert_eq!(percentile_ms(&histogram, 1.0), 10.0);
        assert_eq!(percentile_ms(&[0, 0], 0.5), 0.0);
    }

    #[test]
    fn a_delivery_before_its_send_time_is_known_is_not_counted() {
        let record = Record::new(4);
        record.delivered(Effect::Raised(1));
        assert_eq!(record.histograms().0.iter().sum::<u64>(), 0);
        record.sent(Effect::Raised(1));
        record.delivered(Effect::Raised(1));
        record.delivered(Effect::Raised(99)); // beyond the plan: ignored
        let (since_sent, since_answered) = record.histograms();
        assert_eq!(since_sent.iter().sum::<u64>(), 1);
        // Seen before the answer: counted as no time after it.
        assert_eq!(since_answered[0], 1);
    }
}
