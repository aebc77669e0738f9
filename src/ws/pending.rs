//! Coalescing: the changes of one window (~100 ms) folded into one entry per affected
//! scope, so a burst of events costs each wall one message, not one per event. Only which
//! scopes, child regions and warnings changed is remembered; the values themselves are
//! read from the projection when the window is flushed, so a delta always carries the
//! newest state however many events the window held. [`Feed`] is the hub's end of the
//! engine's change feed, drained into the window at every flush.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::TryRecvError;

use crate::domain::region::RegionCode;
use crate::engine::Change;
use crate::regions::RegionTree;

/// What changed under one scope during a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    /// The scope's direct children whose rolled-up counts may have changed.
    pub children: BTreeSet<RegionCode>,
    /// The warnings that changed, each once, in the order of their first change.
    pub warnings: Vec<String>,
    seen: HashSet<String>,
}

impl Dirty {
    fn add_warning(&mut self, id: &str) {
        if self.seen.insert(id.to_string()) {
            self.warnings.push(id.to_string());
        }
    }
}

/// One flushed window: the dirty scopes, and whether every scope must be resent whole
/// because changes were lost (the engine's feed lagged).
#[derive(Debug, Default)]
pub struct Window {
    pub dirty: HashMap<RegionCode, Dirty>,
    pub resync: bool,
}

impl Window {
    pub fn is_empty(&self) -> bool {
        self.dirty.is_empty() && !self.resync
    }
}

/// The window being collected.
#[derive(Debug, Default)]
pub struct Pending {
    window: Window,
}

impl Pending {
    /// Records a change of `warning`, whose region's chain (the region itself, then each
    /// ancestor up to the city, as `RegionTree::ancestors` lists them) is `chain`. Every
    /// scope on the chain is dirty, and in each the child on the way down to the region.
    pub fn mark(&mut self, chain: &[RegionCode], warning: &str) {
        for (i, scope) in chain.iter().enumerate() {
            let dirty = self.window.dirty.entry(*scope).or_default();
            dirty.add_warning(warning);
            if let Some(child) = i.checked_sub(1).map(|below| chain[below]) {
                dirty.children.insert(child);
            }
        }
    }

    /// Changes were lost: every scope must be resent whole at the next flush.
    pub fn resync_all(&mut self) {
        self.window.resync = true;
    }

    /// Ends the window and starts an empty one.
    pub fn take(&mut self) -> Window {
        std::mem::take(&mut self.window)
    }

    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }
}

/// The engine's change feed and the window being collected from it.
pub(super) struct Feed {
    pub(super) changes: broadcast::Receiver<Arc<Change>>,
    pub(super) pending: Pending,
}

impl Feed {
    /// Moves every change waiting in the engine's feed into the window. A lag means
    /// changes were lost to this hub: every scope is resent whole, never silently skipped.
    pub(super) fn drain(&mut self, tree: &RegionTree) {
        loop {
            match self.changes.try_recv() {
                Ok(change) => {
                    let chain = tree.ancestors(&change.warning.region);
                    self.pending.mark(&chain, &change.warning.id);
                }
                Err(TryRecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "live stream fell behind the engine; resending snapshots"
                    );
                    self.pending.resync_all();
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    const CITY: &str = "990102000000";
    const TOWN: &str = "990102100000";
    const LIUTANG: &str = "990102100201";
    const SHIMEN: &str = "990102100202";

    fn chain(village: &str) -> Vec<RegionCode> {
        vec![code(village), code(TOWN), code(CITY)]
    }

    #[test]
    fn many_changes_in_one_window_become_one_entry_per_scope() {
        let mut pending = Pending::default();
        for _ in 0..50 {
            pending.mark(&chain(LIUTANG), "W1");
        }
        pending.mark(&chain(SHIMEN), "W2");
        pending.mark(&chain(LIUTANG), "W3");
        let window = pending.take();
        assert_eq!(
            window.dirty.len(),
            4,
            "two villages, their town and the city"
        );
        let city = &window.dirty[&code(CITY)];
        assert_eq!(city.warnings, ["W1", "W2", "W3"]);
        assert_eq!(city.children, BTreeSet::from([code(TOWN)]));
        let town = &window.dirty[&code(TOWN)];
        assert_eq!(town.children, BTreeSet::from([code(LIUTANG), code(SHIMEN)]));
        let liutang = &window.dirty[&code(LIUTANG)];
        assert_eq!(liutang.warnings, ["W1", "W3"]);
        assert!(liutang.children.is_empty());
    }

    #[test]
    fn taking_a_window_starts_an_empty_one() {
        let mut pending = Pending::default();
        pending.mark(&chain(LIUTANG), "W1");
        pending.resync_all();
        let window = pending.take();
        assert!(window.resync && !window.is_empty());
        assert!(pending.is_empty());
        assert!(pending.take().is_empty());
    }

    #[test]
    fn a_warning_raised_on_a_town_marks_the_town_and_the_city_only() {
        let mut pending = Pending::default();
        pending.mark(&[code(TOWN), code(CITY)], "W9");
        let window = pending.take();
        assert_eq!(window.dirty.len(), 2);
        assert!(window.dirty[&code(TOWN)].children.is_empty());
        assert_eq!(
            window.dirty[&code(CITY)].children,
            BTreeSet::from([code(TOWN)])
        );
    }
}
