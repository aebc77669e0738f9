//! What each chart shows, extracted from the projection: pure functions of the warnings,
//! the region tree and the day, tested without drawing anything.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::region::RegionCode;
use crate::projections::Projection;
use crate::regions::RegionTree;
use crate::rules::RuleParams;
use crate::rules::catalogue::{Catalogue, Domain};
use crate::workflow::{Colour, Step, Warning};

pub use crate::domain::date::shanghai_day;

/// Warnings raised and rectifications verified on one day.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DayCount {
    pub day: NaiveDate,
    pub raised: u32,
    pub rectified: u32,
}

/// The first moment of the `days` days ending with `today` (midnight in Asia/Shanghai).
pub fn window_start(today: NaiveDate, days: u32) -> DateTime<Utc> {
    crate::domain::date::shanghai_midnight(today - Duration::days(i64::from(days.max(1)) - 1))
}

/// One entry per day of the `days` days ending with `today`, oldest first, counting the
/// warnings of `region`'s subtree raised that day and those whose rectification was
/// verified that day.
pub fn trend<'a>(
    warnings: impl IntoIterator<Item = &'a Warning>,
    region: &RegionCode,
    today: NaiveDate,
    days: u32,
) -> Vec<DayCount> {
    let first = today - Duration::days(i64::from(days.max(1)) - 1);
    let mut counts: Vec<DayCount> = first
        .iter_days()
        .take_while(|day| *day <= today)
        .map(|day| DayCount {
            day,
            raised: 0,
            rectified: 0,
        })
        .collect();
    let slot = |at: DateTime<Utc>| {
        let offset = (shanghai_day(at) - first).num_days();
        usize::try_from(offset).ok().filter(|i| *i < counts.len())
    };
    let mut marks = Vec::new();
    for warning in warnings.into_iter().filter(|w| w.region.is_within(region)) {
        marks.push((slot(warning.raised_at), true));
        if let Some(verified) = warning.verified_at {
            marks.push((slot(verified), false));
        }
    }
    for (index, raised) in marks {
        match (index, raised) {
            (Some(i), true) => counts[i].raised += 1,
            (Some(i), false) => counts[i].rectified += 1,
            (None, _) => {}
        }
    }
    counts
}

/// Rectification figures of one region, rolled up over its subtree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegionRate {
    pub code: RegionCode,
    pub name: String,
    /// Warnings not dismissed as false positives.
    pub counted: i64,
    /// Warnings whose rectification was verified.
    pub rectified: i64,
    /// Of those, submitted before the deadline.
    pub rectified_on_time: i64,
}

impl RegionRate {
    /// The share of rectifications submitted on time, in percent.
    pub fn on_time_percent(&self) -> Option<f64> {
        (self.rectified > 0).then(|| 100.0 * self.rectified_on_time as f64 / self.rectified as f64)
    }

    /// The share of (not dismissed) warnings rectified, in percent.
    pub fn rectified_percent(&self) -> Option<f64> {
        (self.counted > 0).then(|| 100.0 * self.rectified as f64 / self.counted as f64)
    }
}

/// One entry per child of `region` (for a village: the village itself), in code order.
pub fn rectification(
    projection: &Projection,
    tree: &RegionTree,
    region: &RegionCode,
) -> Vec<RegionRate> {
    let children = tree.children(region);
    let shown = if children.is_empty() {
        std::slice::from_ref(region)
    } else {
        children
    };
    shown
        .iter()
        .map(|code| {
            let counts = projection.rolled_up(code);
            let dismissed = counts.by_step.get(&Step::Dismissed).copied().unwrap_or(0);
            RegionRate {
                code: *code,
                name: tree.get(code).map(|r| r.name.clone()).unwrap_or_default(),
                // Reminders are not rectification tasks unless they turned red.
                counted: counts.total - dismissed - counts.reminders,
                rectified: counts.rectified,
                rectified_on_time: counts.rectified_on_time,
            }
        })
        .collect()
}

/// At most `keep` rows for a chart: when there are more children, the `keep - 1` with the
/// lowest rectified share (those needing attention; children without warnings last)
/// and the rest folded into one row named 其余N个 with their figures summed.
pub fn worst_first(mut rates: Vec<RegionRate>, keep: usize) -> Vec<RegionRate> {
    if rates.len() <= keep || keep < 2 {
        return rates;
    }
    rates.sort_by(|a, b| {
        let share = |r: &RegionRate| r.rectified_percent().unwrap_or(f64::INFINITY);
        share(a).total_cmp(&share(b)).then(a.code.cmp(&b.code))
    });
    let rest = rates.split_off(keep - 1);
    let folded = RegionRate {
        code: rest[0].code,
        name: format!("其余{}个", rest.len()),
        counted: rest.iter().map(|r| r.counted).sum(),
        rectified: rest.iter().map(|r| r.rectified).sum(),
        rectified_on_time: rest.iter().map(|r| r.rectified_on_time).sum(),
    };
    rates.push(folded);
    rates
}

/// The label of warnings raised by hand, which have no rule.
pub const MANUAL: &str = "人工线索";
/// The label of warnings whose rule is no longer known to this build.
pub const OTHER: &str = "其他规则";

/// The Chinese name of a rule domain.
pub fn domain_label(domain: Domain) -> &'static str {
    match domain {
        Domain::VillagePower => "小微权力",
        Domain::Welfare => "民生资金",
        Domain::Bidding => "招投标",
        Domain::Public => "群众反映",
    }
}

/// Open and total warnings of one domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DomainCount {
    pub label: &'static str,
    /// Red or yellow: not yet closed or dismissed.
    pub open: u32,
    pub total: u32,
}

/// Open and total warnings of `region`'s subtree by the domain of the rule that raised
/// them: every rule domain and the hand-raised ones always, rules unknown to this build
/// only when there are some.
pub fn domains<'a>(
    warnings: impl IntoIterator<Item = &'a Warning>,
    catalogue: &Catalogue,
    region: &RegionCode,
) -> Vec<DomainCount> {
    let mut counts: Vec<DomainCount> = [Domain::VillagePower, Domain::Welfare, Domain::Bidding]
        .map(domain_label)
        .into_iter()
        .chain([MANUAL, OTHER])
        .map(|label| DomainCount {
            label,
            open: 0,
            total: 0,
        })
        .collect();
    for warning in warnings.into_iter().filter(|w| w.region.is_within(region)) {
        // A rule switched off since keeps its domain: the catalogue no longer lists it,
        // but the build still knows which family it belongs to.
        let label = match warning.rule() {
            None => MANUAL,
            Some(rule) => catalogue
                .get(rule)
                .map(|entry| entry.domain)
                .or_else(|| RuleParams::domain_of(rule))
                .map_or(OTHER, domain_label),
        };
        if let Some(count) = counts.iter_mut().find(|c| c.label == label) {
            count.total += 1;
            count.open += u32::from(warning.colour() != Colour::Green);
        }
    }
    counts.retain(|c| c.label != OTHER || c.total > 0);
    counts
}
