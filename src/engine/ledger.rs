//! The ledger of suspected clues (疑似问题线索台账): every warning that is a clue (not a
//! reminder that never turned red), newest first, with its outcome, returns and notices,
//! filtered by region, rule, finding and the day it was found. A page walks the region's
//! (or the rule's) list index from its cursor, so it costs about the page.

use std::ops::Bound;

use chrono::NaiveDate;

use crate::auth::Actor;
use crate::domain::date::shanghai_day;
use crate::domain::region::RegionCode;
use crate::projections::{ListKey, Projection};
use crate::workflow::{Finding, NoticeMark, Warning};

use super::Engine;
use super::queries::COUNTED_UP_TO;

/// What the ledger is filtered by; a region is narrowed to what the actor may read.
#[derive(Clone, Debug, Default)]
pub struct LedgerFilter {
    pub region: Option<RegionCode>,
    pub rule: Option<String>,
    /// `None`: any; `Some(None)`: no outcome recorded yet; `Some(Some(f))`: that finding.
    pub finding: Option<Option<Finding>>,
    /// Found (raised) on or after this day, Beijing time.
    pub from: Option<NaiveDate>,
    /// Found on or before this day.
    pub to: Option<NaiveDate>,
}

impl LedgerFilter {
    fn admits(&self, w: &Warning, region: &RegionCode) -> bool {
        if w.reminder && w.case.is_none() || !w.region.is_within(region) {
            return false;
        }
        if self.rule.as_deref().is_some_and(|r| w.rule() != Some(r)) {
            return false;
        }
        if let Some(wanted) = self.finding
            && w.case.as_ref().map(|c| c.outcome.finding) != wanted
        {
            return false;
        }
        let day = shanghai_day(w.raised_at);
        self.from.is_none_or(|from| day >= from) && self.to.is_none_or(|to| day <= to)
    }
}

/// A ledger row's warning and its notices, each with its document number.
#[derive(Clone, Debug)]
pub struct LedgerEntry {
    pub warning: Warning,
    pub notices: Vec<(NoticeMark, String)>,
}

/// One page of the ledger.
#[derive(Clone, Debug, Default)]
pub struct LedgerPage {
    pub items: Vec<LedgerEntry>,
    pub next: Option<String>,
    /// How many rows match in all, when at most `COUNTED_UP_TO` had to be walked.
    pub total: Option<usize>,
}

impl Engine {
    /// Up to `limit` ledger rows after the cursor `after`; `limit = usize::MAX` for an
    /// export (the caller bounds it by `total`).
    pub fn ledger_page(
        &self,
        actor: &Actor,
        filter: &LedgerFilter,
        after: Option<&ListKey>,
        limit: usize,
    ) -> LedgerPage {
        let own = *actor.region();
        let region = match filter.region {
            None => own,
            Some(asked) if asked.is_within(&own) => asked,
            Some(asked) if own.is_within(&asked) => own,
            Some(_) => return LedgerPage::default(),
        };
        self.read(|p| ledger_page(p, &region, filter, after, limit))
    }

    /// The document number of a notice, e.g. `清风督〔2026〕12号`.
    pub fn notice_number(&self, mark: &NoticeMark) -> Option<String> {
        self.read(|p| numbered(p, mark))
    }
}

fn numbered(p: &Projection, mark: &NoticeMark) -> Option<String> {
    let rank = p.supervision.notice_rank(mark)?;
    Some(crate::workflow::notice::notice_number(mark.year(), rank))
}

fn ledger_page(
    p: &Projection,
    region: &RegionCode,
    filter: &LedgerFilter,
    after: Option<&ListKey>,
    limit: usize,
) -> LedgerPage {
    let index = &p.index;
    let mut sets = vec![index.by_region.get(region)];
    if let Some(rule) = &filter.rule {
        sets.push(index.by_rule.get(&Some(rule.clone())));
    }
    let Some(smallest) = sets
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .and_then(|sets| sets.into_iter().min_by_key(|s| s.len()))
    else {
        return LedgerPage {
            total: Some(0),
            ..LedgerPage::default()
        };
    };
    let admitted = |key: &&ListKey| {
        p.warnings
            .get(key.id())
            .is_some_and(|w| filter.admits(w, region))
    };
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut keys = smallest.range((start, Bound::Unbounded)).filter(admitted);
    let mut items = Vec::new();
    for key in keys.by_ref().take(limit) {
        let Some(w) = p.warnings.get(key.id()) else {
            continue;
        };
        let notices = w
            .notices
            .iter()
            .filter_map(|mark| numbered(p, mark).map(|n| (*mark, n)))
            .collect();
        items.push(LedgerEntry {
            warning: Warning::clone(w),
            notices,
        });
    }
    let more = keys.next().is_some();
    let next = more
        .then(|| items.last().map(|e| ListKey::of(&e.warning).to_cursor()))
        .flatten();
    let total = (smallest.len() <= COUNTED_UP_TO).then(|| smallest.iter().filter(admitted).count());
    LedgerPage { items, next, total }
}
