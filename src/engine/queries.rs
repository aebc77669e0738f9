//! The engine's reads of lists: a page of warnings matching a filter within what the
//! actor may read, newest first, from a cursor; and a page of the overdue list. Each walks
//! the smallest of the projection's ordered indexes that covers one of the filter's
//! conditions (see `projections::index`), so a page costs about the page for any filter
//! an index covers, not the whole log.

use std::ops::Bound;

use crate::auth::Actor;
use crate::domain::region::RegionCode;
use crate::projections::{ListKey, OverdueKey, Projection};
use crate::workflow::Warning;

use super::{Engine, WarningFilter};

/// One page of a list.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Warning>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// How many warnings match in all, when that is known without walking them: from the
    /// kept counts, or from an index small enough to walk (`COUNTED_UP_TO`). A filter
    /// whose matches could only be counted by walking a large index has `None`.
    pub total: Option<usize>,
}

impl Page {
    /// No warning matches: known without walking anything.
    fn empty() -> Page {
        Page {
            total: Some(0),
            ..Page::default()
        }
    }
}

impl Engine {
    /// Up to `limit` warnings the actor may read that match `filter`, newest first,
    /// after the cursor `after` (a `ListKey::to_cursor` of the last one seen).
    pub fn list_page(
        &self,
        actor: &Actor,
        filter: &WarningFilter,
        after: Option<&ListKey>,
        limit: usize,
    ) -> Page {
        let Some(region) = scope(actor, filter.region) else {
            return Page::empty();
        };
        self.read(|p| page(p, region, filter, after, limit))
    }

    /// Up to `limit` overdue warnings and warnings under secondary supervision within
    /// `region` (or all the actor may read), longest overdue first, after `after`.
    pub fn overdue_page(
        &self,
        actor: &Actor,
        region: Option<RegionCode>,
        after: Option<&OverdueKey>,
        limit: usize,
    ) -> Page {
        let Some(region) = scope(actor, region) else {
            return Page::empty();
        };
        self.read(|p| overdue_page(p, region, after, limit))
    }
}

/// One page of the overdue list within `region` (already narrowed to what the actor may
/// read): the region's own overdue set, walked in its order from the cursor.
pub(crate) fn overdue_page(
    p: &Projection,
    region: RegionCode,
    after: Option<&OverdueKey>,
    limit: usize,
) -> Page {
    let Some(listed) = p.index.overdue.get(&region) else {
        return Page::empty();
    };
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let keys = listed.range((start, Bound::Unbounded)).map(OverdueKey::id);
    let (items, more) = take_page(p, keys, limit);
    let next = more
        .then(|| items.last().and_then(OverdueKey::of))
        .flatten();
    Page {
        items,
        next: next.map(|key| key.to_cursor()),
        total: Some(listed.len()),
    }
}

/// The region a list covers: the filter's, narrowed to what the actor may read; `None`
/// when they do not meet (the list is empty).
fn scope(actor: &Actor, asked: Option<RegionCode>) -> Option<RegionCode> {
    let own = *actor.region();
    match asked {
        None => Some(own),
        Some(region) if region.is_within(&own) => Some(region),
        Some(region) if own.is_within(&region) => Some(own),
        Some(_) => None,
    }
}

/// One page of `filter` within `region` (already narrowed to what the actor may read).
pub(crate) fn page(
    p: &Projection,
    region: RegionCode,
    filter: &WarningFilter,
    after: Option<&ListKey>,
    limit: usize,
) -> Page {
    let index = &p.index;
    let mut sets = vec![index.by_region.get(&region)];
    if let Some(colour) = filter.colour {
        sets.push(index.by_colour.get(&colour));
    }
    if let Some(step) = filter.step {
        sets.push(index.by_step.get(&step));
    }
    if let Some(rule) = &filter.rule {
        sets.push(index.by_rule.get(&Some(rule.clone())));
    }
    // A condition with no set at all has no warnings: the page is empty.
    let Some(sets) = sets.into_iter().collect::<Option<Vec<_>>>() else {
        return Page::empty();
    };
    let smallest = sets
        .into_iter()
        .min_by_key(|set| set.len())
        .expect("the region's set is always there");
    let matching = |key: &&ListKey| {
        p.warnings
            .get(key.id())
            .is_some_and(|w| w.region.is_within(&region) && super::matches(w, filter))
    };
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let keys = smallest
        .range((start, Bound::Unbounded))
        .filter(matching)
        .map(ListKey::id);
    let (items, more) = take_page(p, keys, limit);
    let next = more.then(|| items.last().map(ListKey::of)).flatten();
    let total = counted(p, region, filter).or_else(|| {
        (smallest.len() <= COUNTED_UP_TO).then(|| smallest.iter().filter(matching).count())
    });
    Page {
        items,
        next: next.map(|key| key.to_cursor()),
        total,
    }
}

/// The warnings of the first `limit` ids, and whether any id is left after them.
fn take_page<'a>(
    p: &Projection,
    mut ids: impl Iterator<Item = &'a str>,
    limit: usize,
) -> (Vec<Warning>, bool) {
    let items = ids
        .by_ref()
        .take(limit)
        .filter_map(|id| p.warnings.get(id).map(|w| Warning::clone(w)))
        .collect();
    (items, ids.next().is_some())
}

/// The largest index walked to count a filter's matches: what a page may cost beyond
/// itself, whatever the size of the log.
pub const COUNTED_UP_TO: usize = 5_000;

/// The number of matches from the region's rolled-up counts, when the filter has at most
/// one condition they count (a colour, a state, overdue); otherwise `None`.
fn counted(p: &Projection, region: RegionCode, filter: &WarningFilter) -> Option<usize> {
    let counts = p.rolled.get(&region)?;
    let n = match (filter.colour, filter.step, &filter.rule, filter.overdue) {
        (None, None, None, None) => counts.total,
        (Some(colour), None, None, None) => match colour {
            crate::workflow::Colour::Red => counts.red,
            crate::workflow::Colour::Yellow => counts.yellow,
            crate::workflow::Colour::Green => counts.green,
        },
        (None, Some(step), None, None) => counts.by_step.get(&step).copied().unwrap_or(0),
        (None, None, None, Some(true)) => counts.overdue,
        (None, None, None, Some(false)) => counts.total - counts.overdue,
        _ => return None,
    };
    Some(n.max(0) as usize)
}
