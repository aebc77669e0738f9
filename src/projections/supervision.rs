//! Whether supervision works (监督成效): the funnel of each year's warnings by town
//! (raised → found true → people handled → money returned) and, per rule, how its
//! findings were judged (its precision: the share found untrue tells the city office which
//! thresholds to tune); and the notice numbers (`workflow::notice`). Kept as events fold,
//! from what each warning contributes before and after, and derived again from the
//! warnings on a start (`enter_all`), so a checkpoint never stores them.

use std::collections::HashMap;

use compact_str::CompactString;
use serde::Serialize;

use crate::domain::date::shanghai_day;
use crate::domain::region::{Level, RegionCode};
use crate::workflow::{Finding, NoticeMark, Warning};
use chrono::Datelike;

/// The funnel's figures for one town (or rule) and year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    /// Warnings raised in the year.
    pub raised: i64,
    /// Of them, with an outcome recorded.
    pub judged: i64,
    /// 属实 or 部分属实.
    pub substantiated: i64,
    /// 部分属实 (included in `substantiated`).
    pub partly: i64,
    /// 不属实.
    pub unsubstantiated: i64,
    /// People handled.
    pub people: i64,
    /// 应退缴, fen.
    pub due_fen: i64,
    /// 已退缴, fen.
    pub recovered_fen: i64,
}

impl Funnel {
    fn add(&mut self, c: &Contribution, sign: i64) {
        self.raised += sign;
        if let Some(finding) = c.finding {
            self.judged += sign;
            if finding.is_true() {
                self.substantiated += sign;
            } else {
                self.unsubstantiated += sign;
            }
            if finding == Finding::PartlySubstantiated {
                self.partly += sign;
            }
        }
        self.people += sign * c.people;
        self.due_fen += sign * c.due;
        self.recovered_fen += sign * c.recovered;
    }

    pub fn merge(&mut self, other: &Funnel) {
        self.raised += other.raised;
        self.judged += other.judged;
        self.substantiated += other.substantiated;
        self.partly += other.partly;
        self.unsubstantiated += other.unsubstantiated;
        self.people += other.people;
        self.due_fen += other.due_fen;
        self.recovered_fen += other.recovered_fen;
    }
}

/// What one warning adds to the funnel: its year and town, its rule, its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    year: i32,
    town: RegionCode,
    rule: CompactString,
    finding: Option<Finding>,
    people: i64,
    due: i64,
    recovered: i64,
}

impl Contribution {
    pub fn of(warning: &Warning) -> Contribution {
        let case = warning.case.as_deref();
        Contribution {
            year: shanghai_day(warning.raised_at).year(),
            town: town_of(warning.region),
            rule: CompactString::from(warning.rule().unwrap_or("")),
            finding: case.map(|c| c.outcome.finding),
            people: case.map_or(0, |c| i64::from(c.outcome.people)),
            due: case.map_or(0, |c| c.outcome.amount_due.fen()),
            recovered: case.map_or(0, |c| c.recovered().fen()),
        }
    }
}

/// The town a region is in (itself for a town, or a region above the towns).
pub fn town_of(region: RegionCode) -> RegionCode {
    region
        .and_ancestors()
        .find(|code| code.level() == Level::Town)
        .unwrap_or(region)
}

/// The funnels by year and town and by year and rule, and the notices by year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Supervision {
    by_town: HashMap<(i32, RegionCode), Funnel>,
    /// Keyed by rule code; `""` for warnings raised by hand.
    by_rule: HashMap<(i32, CompactString), Funnel>,
    /// The positions of each year's notices, in order: a notice's number is its rank.
    notices: HashMap<i32, Vec<u64>>,
}

impl Supervision {
    /// Moves a warning's contribution from `before` to `after` (either absent).
    pub fn update(&mut self, before: Option<&Contribution>, after: Option<&Contribution>) {
        for (c, sign) in [(before, -1), (after, 1)] {
            let Some(c) = c else { continue };
            bump(&mut self.by_town, (c.year, c.town), c, sign);
            bump(&mut self.by_rule, (c.year, c.rule.clone()), c, sign);
        }
    }

    /// Enters a notice (any order: the numbers are ranks by position).
    pub fn mark_notice(&mut self, mark: &NoticeMark) {
        let positions = self.notices.entry(mark.year()).or_default();
        if let Err(at) = positions.binary_search(&mark.position) {
            positions.insert(at, mark.position);
        }
    }

    /// The notice's number within its year (1 for the first), if it was entered.
    pub fn notice_rank(&self, mark: &NoticeMark) -> Option<usize> {
        let positions = self.notices.get(&mark.year())?;
        positions.binary_search(&mark.position).ok().map(|i| i + 1)
    }

    /// A year's funnel of every town within `region`, by town code, and their sum.
    pub fn funnel(&self, year: i32, region: &RegionCode) -> (Funnel, Vec<(RegionCode, Funnel)>) {
        let mut towns: Vec<(RegionCode, Funnel)> = self
            .by_town
            .iter()
            .filter(|((y, town), _)| *y == year && town.is_within(region))
            .map(|((_, town), funnel)| (*town, funnel.clone()))
            .collect();
        towns.sort_by_key(|(town, _)| *town);
        let mut total = Funnel::default();
        for (_, funnel) in &towns {
            total.merge(funnel);
        }
        (total, towns)
    }

    /// A year's funnel per rule (city-wide: precision is a property of the rule).
    pub fn by_rule(&self, year: i32) -> Vec<(String, Funnel)> {
        let mut rules: Vec<(String, Funnel)> = self
            .by_rule
            .iter()
            .filter(|((y, _), _)| *y == year)
            .map(|((_, rule), funnel)| (rule.to_string(), funnel.clone()))
            .collect();
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        rules
    }

    /// Derives everything from the warnings (a start from a checkpoint).
    pub fn build<'a>(warnings: impl Iterator<Item = &'a Warning>) -> Supervision {
        let mut supervision = Supervision::default();
        for warning in warnings {
            supervision.update(None, Some(&Contribution::of(warning)));
            for mark in &warning.notices {
                supervision.mark_notice(mark);
            }
        }
        supervision
    }
}

/// Adds `c` with `sign` under `key`, dropping an entry that returns to nothing (so that
/// a live projection and a replay hold the same entries).
fn bump<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Funnel>,
    key: K,
    c: &Contribution,
    sign: i64,
) {
    let funnel = map.entry(key).or_default();
    funnel.add(c, sign);
    if *funnel == Funnel::default() {
        map.retain(|_, f| *f != Funnel::default());
    }
}
