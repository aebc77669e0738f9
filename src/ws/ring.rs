//! The recent messages of one scope, kept already serialized and framed so a reconnecting
//! screen is brought up to date by cloning shared bytes: no store query, no
//! re-serialization. The
//! ring is bounded both in messages and in bytes, because one resync snapshot of a busy
//! city can be as large as a hundred small deltas.

use std::collections::VecDeque;

use bytes::Bytes;

/// What a reconnecting client that last saw `since` needs first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// The messages after `since`, oldest first (empty when the client missed nothing).
    Replay(Vec<Bytes>),
    /// The messages it missed are gone (or `since` is from the future): send a snapshot.
    Snapshot,
}

/// The last messages of a scope with their sequence numbers, contiguous and ascending.
#[derive(Debug)]
pub struct Ring {
    entries: VecDeque<(u64, Bytes)>,
    bytes: usize,
    max_len: usize,
    max_bytes: usize,
}

impl Ring {
    pub fn new(max_len: usize, max_bytes: usize) -> Ring {
        Ring {
            entries: VecDeque::new(),
            bytes: 0,
            max_len: max_len.max(1),
            max_bytes,
        }
    }

    /// Appends message `seq`, which must follow the newest one; if it does not (the
    /// numbering restarted), the older messages cannot be replayed in order and are
    /// dropped. The oldest messages go first when the ring is over either bound, but the
    /// newest always stays.
    pub fn push(&mut self, seq: u64, message: Bytes) {
        if self.entries.back().is_some_and(|(last, _)| last + 1 != seq) {
            self.clear();
        }
        self.bytes += message.len();
        self.entries.push_back((seq, message));
        while self.entries.len() > 1
            && (self.entries.len() > self.max_len || self.bytes > self.max_bytes)
        {
            if let Some((_, old)) = self.entries.pop_front() {
                self.bytes -= old.len();
            }
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    /// What a client that saw every message up to `since` needs when the scope is at
    /// `head`: the messages after `since` if the ring still holds all of them.
    pub fn resume(&self, head: u64, since: u64) -> Resume {
        if since > head {
            return Resume::Snapshot;
        }
        if since == head {
            return Resume::Replay(Vec::new());
        }
        let covered = match (self.entries.front(), self.entries.back()) {
            (Some((first, _)), Some((last, _))) => *first <= since + 1 && *last == head,
            _ => false,
        };
        if !covered {
            return Resume::Snapshot;
        }
        Resume::Replay(
            self.entries
                .iter()
                .filter(|(seq, _)| *seq > since)
                .map(|(_, message)| message.clone())
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes the ring holds (each message counted once, however many clients share it).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring_with(seqs: std::ops::RangeInclusive<u64>) -> Ring {
        let mut ring = Ring::new(4, 1_000);
        for seq in seqs {
            ring.push(seq, Bytes::from(format!("m{seq}")));
        }
        ring
    }

    fn replayed(resume: Resume) -> Vec<String> {
        match resume {
            Resume::Replay(messages) => messages
                .iter()
                .map(|m| String::from_utf8_lossy(m).into_owned())
                .collect(),
            Resume::Snapshot => panic!("expected a replay, got a snapshot"),
        }
    }

    #[test]
    fn a_client_that_missed_messages_still_in_the_ring_gets_exactly_those() {
        let ring = ring_with(1..=6); // keeps 3..=6
        assert_eq!(replayed(ring.resume(6, 4)), ["m5", "m6"]);
        assert_eq!(replayed(ring.resume(6, 2)), ["m3", "m4", "m5", "m6"]);
    }

    #[test]
    fn a_client_that_missed_nothing_gets_nothing_and_goes_live() {
        let ring = ring_with(1..=6);
        assert_eq!(ring.resume(6, 6), Resume::Replay(Vec::new()));
        assert_eq!(Ring::new(4, 100).resume(0, 0), Resume::Replay(Vec::new()));
    }

    #[test]
    fn a_gap_older_than_the_ring_or_a_position_from_the_future_needs_a_snapshot() {
        let ring = ring_with(1..=6);
        assert_eq!(ring.resume(6, 1), Resume::Snapshot);
        assert_eq!(ring.resume(6, 7), Resume::Snapshot);
        assert_eq!(Ring::new(4, 100).resume(3, 1), Resume::Snapshot);
    }

    #[test]
    fn the_ring_drops_its_oldest_messages_when_over_its_byte_budget_but_keeps_the_newest() {
        let mut ring = Ring::new(100, 10);
        ring.push(1, Bytes::from("aaaa"));
        ring.push(2, Bytes::from("bbbb"));
        ring.push(3, Bytes::from("cccc"));
        assert_eq!((ring.len(), ring.bytes()), (2, 8));
        ring.push(4, Bytes::from("a message longer than the budget"));
        assert_eq!(ring.len(), 1);
        assert_eq!(replayed(ring.resume(4, 3)).len(), 1);
    }

    #[test]
    fn a_restarted_numbering_empties_the_ring_instead_of_replaying_out_of_order() {
        let mut ring = ring_with(1..=3);
        ring.push(9, Bytes::from("m9"));
        assert_eq!(ring.len(), 1);
        assert_eq!(ring.resume(9, 3), Resume::Snapshot);
        assert_eq!(replayed(ring.resume(9, 8)), ["m9"]);
    }
}
