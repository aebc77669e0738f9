//! Hash indexes on resident IDs, built once per rule run, so the welfare collisions look
//! each payment up in constant time instead of scanning a registry per payment.
//!
//! A resident ID's 17 digits fit in a `u64` and determine its check character, so
//! [`id_key`] maps every valid ID to a distinct integer. Hashing that integer with the
//! small multiplicative hasher below is several times faster than hashing the string with
//! the standard library's DoS-resistant hasher, which matters at a million payments; the
//! keys come from checked government registries, not from an attacker choosing collisions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::domain::resident_id::ResidentId;

/// A multiply-rotate hasher (the "Fx" hash used inside rustc) with a final avalanche, so
/// both the low bits (bucket index) and the high bits (tag) of the hash are mixed.
#[derive(Clone, Copy, Default)]
pub(super) struct FxHasher(u64);

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word.iter_mut().zip(chunk).for_each(|(w, b)| *w = *b);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_u128(&mut self, i: u128) {
        // Truncation is intended: the two halves are hashed one after the other.
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The murmur3 finaliser: spreads every input bit over the whole hash.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A hash map using [`FxHasher`].
pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An empty [`FxMap`] with room for `capacity` entries.
pub(super) fn fx_map<K, V>(capacity: usize) -> FxMap<K, V> {
    FxMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// The first 17 digits of a resident ID as an integer: distinct for distinct valid IDs,
/// since the 18th character is computed from the others.
pub(super) fn id_key(id: &ResidentId) -> u64 {
    id.as_str().bytes().take(17).fold(0u64, |acc, b| {
        acc.wrapping_mul(10)
            .wrapping_add(u64::from(b.wrapping_sub(b'0')))
    })
}

/// Items grouped by resident ID: all items of one person in one contiguous slice.
pub(super) struct IdIndex<T> {
    ranges: FxMap<u64, (usize, usize)>,
    items: Vec<T>,
}

impl<T> IdIndex<T> {
    /// Builds the index from (ID key, item) pairs; items of one person keep their order.
    pub fn build(mut pairs: Vec<(u64, T)>) -> IdIndex<T> {
        pairs.sort_by_key(|(key, _)| *key);
        let mut ranges = fx_map(pairs.len());
        let mut items = Vec::with_capacity(pairs.len());
        for (i, (key, item)) in pairs.into_iter().enumerate() {
            ranges
                .entry(key)
                .and_modify(|range: &mut (usize, usize)| range.1 = i + 1)
                .or_insert((i, i + 1));
            items.push(item);
        }
        IdIndex { ranges, items }
    }

    /// The items of the person with ID key `key`; empty if none.
    pub fn get(&self, key: u64) -> &[T] {
        self.ranges
            .get(&key)
            .and_then(|&(start, end)| self.items.get(start..end))
            .unwrap_or_default()
    }

    /// Whether the person with ID key `key` has any item.
    pub fn contains(&self, key: u64) -> bool {
        self.ranges.contains_key(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_keys_are_the_first_seventeen_digits() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id_key(&id), 11_010_519_491_231_002);
    }

    #[test]
    fn an_index_returns_every_item_of_a_person_in_order() {
        let index = IdIndex::build(vec![(7, "a"), (3, "b"), (7, "c")]);
        assert_eq!(index.get(7), ["a", "c"]);
        assert_eq!(index.get(3), ["b"]);
        assert!(index.get(5).is_empty());
        assert!(index.contains(3) && !index.contains(5));
    }
}
