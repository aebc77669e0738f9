//! Ordered indexes over the projection's warnings, so that a page of a list costs about
//! the page and not the whole log: every warning is in the set of each region it lies in
//! (its own and each ancestor by the code's digits), of its state, of its colour and of
//! its rule, each set ordered newest raised first. A page of a filtered list walks the
//! smallest set that covers one of the filter's conditions, from the cursor, and checks
//! the other conditions on each warning it meets.
//!
//! The overdue list has its own order (longest overdue first) and its own set: the red
//! warnings that are overdue or under secondary supervision.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use compact_str::CompactString;

use crate::domain::region::RegionCode;
use crate::workflow::{Colour, Step, Warning};

/// Where a warning sorts in every list: newest raised first, then by id (descending), as
/// lists have always been ordered. Also the cursor of a page.
///
/// A warning has a key in eight to a dozen sets, so the key is kept small and owns no heap
/// memory: the raise time in microseconds (what a cursor carries) and the id inline (ids
/// are 16 characters; up to 24 fit). At a million warnings this halved the indexes, from
/// about 1,060 to about 500 bytes a warning (`qingfeng-bench reads`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListKey {
    raised: Reverse<i64>,
    id: Reverse<CompactString>,
}

impl ListKey {
    pub fn of(warning: &Warning) -> ListKey {
        ListKey {
            raised: Reverse(warning.raised_at.timestamp_micros()),
            id: Reverse(CompactString::from(warning.id.as_str())),
        }
    }

    pub fn id(&self) -> &str {
        &self.id.0
    }

    /// The cursor's text: `MICROS.ID` (the raise time in microseconds since 1970, the id).
    pub fn to_cursor(&self) -> String {
        format!("{}.{}", self.raised.0, self.id.0)
    }

    /// Reads a cursor written by `to_cursor`; `None` if it is not one.
    pub fn from_cursor(text: &str) -> Option<ListKey> {
        let (micros, id) = text.split_once('.')?;
        let raised = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        let valid = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| ListKey {
            raised: Reverse(raised.timestamp_micros()),
            id: Reverse(CompactString::from(id)),
        })
    }
}

/// Where a warning sorts in the overdue list: the longest overdue first (overdue since
/// the earliest), those under supervision but not overdue after them, then by id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OverdueKey {
    since: DateTime<Utc>,
    id: CompactString,
}

impl OverdueKey {
    /// The key of a warning that belongs on the overdue list, else `None`.
    pub fn of(warning: &Warning) -> Option<OverdueKey> {
        (warning.is_overdue() || warning.under_supervision()).then(|| OverdueKey {
            since: warning.overdue_since.unwrap_or(DateTime::<Utc>::MAX_UTC),
            id: CompactString::from(warning.id.as_str()),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The cursor's text: `MICROS.ID` (overdue since, in microseconds since 1970; the id).
    pub fn to_cursor(&self) -> String {
        format!("{}.{}", self.since.timestamp_micros(), self.id)
    }

    /// Reads a cursor written by `to_cursor`; `None` if it is not one.
    pub fn from_cursor(text: &str) -> Option<OverdueKey> {
        let (micros, id) = text.split_once('.')?;
        let since = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        let valid = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| OverdueKey {
            since,
            id: CompactString::from(id),
        })
    }
}

/// What of a warning its index entries depend on and may change with an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    step: Step,
    colour: Colour,
    overdue: Option<OverdueKey>,
    /// When its rectification was verified, while that stands (a relapse clears it).
    verified: Option<(DateTime<Utc>, CompactString)>,
}

impl Placed {
    pub fn of(warning: &Warning) -> Placed {
        Placed {
            step: warning.step,
            colour: warning.colour(),
            overdue: OverdueKey::of(warning),
            verified: warning
                .verified_at
                .map(|at| (at, CompactString::from(warning.id.as_str()))),
        }
    }
}

/// The indexes. Region and rule never change after a warning is raised; state, colour and
/// the overdue entry move with its events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListIndex {
    pub by_region: HashMap<RegionCode, BTreeSet<ListKey>>,
    pub by_step: HashMap<Step, BTreeSet<ListKey>>,
    pub by_colour: HashMap<Colour, BTreeSet<ListKey>>,
    /// `None` holds the warnings raised by hand.
    pub by_rule: HashMap<Option<String>, BTreeSet<ListKey>>,
    /// The overdue list of each region's subtree (each ancestor by the code's digits).
    pub overdue: HashMap<RegionCode, BTreeSet<OverdueKey>>,
    /// Verified rectifications by the time they were verified (the wall's "rectified
    /// today" and the trend's daily rectifications read a recent stretch of it).
    pub verified: BTreeSet<(DateTime<Utc>, CompactString)>,
}

impl ListIndex {
    /// Enters a newly raised warning.
    pub fn insert(&mut self, warning: &Warning) {
        let key = ListKey::of(warning);
        for code in warning.region.and_ancestors() {
            self.by_region.entry(code).or_default().insert(key.clone());
        }
        let rule = warning.rule().map(str::to_owned);
        self.by_rule.entry(rule).or_default().insert(key.clone());
        self.place(&key, warning.region, &Placed::of(warning));
    }

    /// The indexes of many warnings at once (a start from a checkpoint). Each set is
    /// collected as a list and built whole from it sorted, which leaves the trees' nodes
    /// full and is several times faster than as many inserts: at a million warnings
    /// entering took 13.9 s by inserts and about 6 s so (`qingfeng-bench scale`). The
    /// region sets (five a warning) and the others are built side by side, and the counts
    /// beside them (`Projection::enter_all`): on two cores entering a million warnings
    /// took 4.3–4.6 s instead of 7.3 s. Equal to inserting each warning (tested).
    pub fn build<'a, I>(warnings: impl Fn() -> I + Sync) -> ListIndex
    where
        I: Iterator<Item = &'a Warning>,
    {
        let ((by_region, overdue), mut rest) =
            rayon::join(|| build_regions(warnings()), || build_rest(warnings()));
        rest.by_region = by_region;
        rest.overdue = overdue;
        rest
    }

    /// Moves a warning whose event changed it from `before` to where it now belongs.
    pub fn update(&mut self, before: &Placed, warning: &Warning) {
        let after = Placed::of(warning);
        if *before == after {
            return;
        }
        let key = ListKey::of(warning);
        remove(&mut self.by_step, &before.step, &key);
        remove(&mut self.by_colour, &before.colour, &key);
        if let Some(overdue) = &before.overdue {
            for code in warning.region.and_ancestors() {
                if let Some(set) = self.overdue.get_mut(&code) {
                    set.remove(overdue);
                    if set.is_empty() {
                        self.overdue.remove(&code);
                    }
                }
            }
        }
        if let Some(verified) = &before.verified {
            self.verified.remove(verified);
        }
        self.place(&key, warning.region, &after);
    }

    fn place(&mut self, key: &ListKey, region: RegionCode, placed: &Placed) {
        self.by_step
            .entry(placed.step)
            .or_default()
            .insert(key.clone());
        self.by_colour
            .entry(placed.colour)
            .or_default()
            .insert(key.clone());
        if let Some(overdue) = &placed.overdue {
            for code in region.and_ancestors() {
                self.overdue
                    .entry(code)
                    .or_default()
                    .insert(overdue.clone());
            }
        }
        if let Some(verified) = &placed.verified {
            self.verified.insert(verified.clone());
        }
    }

    /// The warnings within `region` raised at or after `since`, newest first (ids).
    pub fn raised_since<'a>(
        &'a self,
        region: &RegionCode,
        since: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.by_region
            .get(region)
            .into_iter()
            .flatten()
            .take_while(move |key| key.raised.0 >= since.timestamp_micros())
            .map(ListKey::id)
    }

    /// The warnings (anywhere) whose standing verification was at or after `since` (ids).
    pub fn verified_since(&self, since: DateTime<Utc>) -> impl Iterator<Item = &str> + '_ {
        self.verified
            .range((since, CompactString::default())..)
            .map(|(_, id)| id.as_str())
    }
}

type RegionSets = (
    HashMap<RegionCode, BTreeSet<ListKey>>,
    HashMap<RegionCode, BTreeSet<OverdueKey>>,
);

/// The sets of each region's subtree: the list and the overdue list.
fn build_regions<'a>(warnings: impl Iterator<Item = &'a Warning>) -> RegionSets {
    let mut by_region: HashMap<RegionCode, Vec<ListKey>> = HashMap::new();
    let mut overdue: HashMap<RegionCode, Vec<OverdueKey>> = HashMap::new();
    for warning in warnings {
        let key = ListKey::of(warning);
        let late = OverdueKey::of(warning);
        for code in warning.region.and_ancestors() {
            by_region.entry(code).or_default().push(key.clone());
            if let Some(entry) = &late {
                overdue.entry(code).or_default().push(entry.clone());
            }
        }
    }
    (sorted(by_region), sorted(overdue))
}

/// The sets by state, colour and rule, and the verifications (no region sets).
fn build_rest<'a>(warnings: impl Iterator<Item = &'a Warning>) -> ListIndex {
    let mut by_step: HashMap<Step, Vec<ListKey>> = HashMap::new();
    let mut by_colour: HashMap<Colour, Vec<ListKey>> = HashMap::new();
    let mut by_rule: HashMap<Option<&str>, Vec<ListKey>> = HashMap::new();
    let mut verified = Vec::new();
    for warning in warnings {
        let key = ListKey::of(warning);
        let placed = Placed::of(warning);
        by_rule.entry(warning.rule()).or_default().push(key.clone());
        by_step.entry(placed.step).or_default().push(key.clone());
        by_colour.entry(placed.colour).or_default().push(key);
        verified.extend(placed.verified);
    }
    ListIndex {
        by_step: sorted(by_step),
        by_colour: sorted(by_colour),
        by_rule: by_rule
            .into_iter()
            .map(|(rule, keys)| (rule.map(str::to_owned), keys.into_iter().collect()))
            .collect(),
        verified: verified.into_iter().collect(),
        ..ListIndex::default()
    }
}

/// Each list as a set (`collect` sorts once and builds the tree whole).
fn sorted<K: std::hash::Hash + Eq, V: Ord>(lists: HashMap<K, Vec<V>>) -> HashMap<K, BTreeSet<V>> {
    lists
        .into_iter()
        .map(|(at, keys)| (at, keys.into_iter().collect()))
        .collect()
}

fn remove<K: std::hash::Hash + Eq>(
    index: &mut HashMap<K, BTreeSet<ListKey>>,
    at: &K,
    key: &ListKey,
) {
    if let Some(set) = index.get_mut(at) {
        set.remove(key);
        if set.is_empty() {
            index.remove(at);
        }
    }
}
