//! Per-region counts of warnings by colour and state, secondary supervision and
//! rectification figures. Kept for every region's whole subtree, changed as each event
//! is folded (see `Projection::rolled`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::workflow::{Colour, Step, Warning};

/// What one warning adds to its region's counts. Recomputed before and after each event so
/// the counts change incrementally, never by rescanning.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    colour: Colour,
    step: Step,
    overdue: bool,
    supervised: bool,
    /// A reminder (open or closed, not dismissed) that never turned red: not a
    /// rectification task.
    reminder: bool,
    /// Hours from raising to verification, and whether it was submitted on time.
    rectified: Option<(i64, bool)>,
}

impl Contribution {
    pub fn of(warning: &Warning) -> Contribution {
        Contribution {
            colour: warning.colour(),
            step: warning.step,
            overdue: warning.is_overdue(),
            supervised: warning.under_supervision(),
            reminder: warning.reminder && warning.step != Step::Dismissed,
            rectified: warning.verified_at.map(|at| {
                (
                    (at - warning.raised_at).num_hours(),
                    warning.submitted_on_time.unwrap_or(false),
                )
            }),
        }
    }
}

/// Counts for one region (its own warnings, or rolled up over its descendants).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub total: i64,
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
    pub overdue: i64,
    pub supervised: i64,
    /// Reminders that never turned red (open or closed, not dismissed).
    pub reminders: i64,
    pub by_step: BTreeMap<Step, i64>,
    pub rectified: i64,
    pub rectified_on_time: i64,
    /// Multiset of hours-to-rectify, for medians that survive roll-up.
    pub rectify_hours: BTreeMap<i64, i64>,
}

impl Counts {
    pub fn add(&mut self, c: &Contribution, sign: i64) {
        self.total += sign;
        match c.colour {
            Colour::Red => self.red += sign,
            Colour::Yellow => self.yellow += sign,
            Colour::Green => self.green += sign,
        }
        self.overdue += sign * i64::from(c.overdue);
        self.supervised += sign * i64::from(c.supervised);
        self.reminders += sign * i64::from(c.reminder);
        bump(&mut self.by_step, c.step, sign);
        if let Some((hours, on_time)) = c.rectified {
            self.rectified += sign;
            self.rectified_on_time += sign * i64::from(on_time);
            bump(&mut self.rectify_hours, hours, sign);
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.total += other.total;
        self.red += other.red;
        self.yellow += other.yellow;
        self.green += other.green;
        self.overdue += other.overdue;
        self.supervised += other.supervised;
        self.reminders += other.reminders;
        self.rectified += other.rectified;
        self.rectified_on_time += other.rectified_on_time;
        for (step, n) in &other.by_step {
            bump(&mut self.by_step, *step, *n);
        }
        for (hours, n) in &other.rectify_hours {
            bump(&mut self.rectify_hours, *hours, *n);
        }
    }

    /// The worst open level in the region: what its map shape is coloured
    /// (`red`, `yellow`, `green`, or `none` without warnings).
    pub fn worst(&self) -> &'static str {
        if self.red > 0 {
            "red"
        } else if self.yellow > 0 {
            "yellow"
        } else if self.green > 0 {
            "green"
        } else {
            "none"
        }
    }

    /// The figures a screen shows.
    pub fn summary(&self) -> Summary {
        Summary {
            total: self.total,
            red: self.red,
            yellow: self.yellow,
            green: self.green,
            overdue: self.overdue,
            supervised: self.supervised,
            open_by_state: self
                .by_step
                .iter()
                .filter(|(step, n)| **n > 0 && step.colour() != Colour::Green)
                .map(|(step, n)| (step.as_str().to_string(), *n))
                .collect(),
            rectified: self.rectified,
            rectified_on_time: self.rectified_on_time,
            on_time_rate: (self.rectified > 0)
                .then(|| self.rectified_on_time as f64 / self.rectified as f64),
            median_days_to_rectify: median(&self.rectify_hours).map(|h| h / 24.0),
        }
    }
}

/// The summary of a region as the API and screens show it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub total: i64,
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
    pub overdue: i64,
    /// Red warnings under secondary supervision (missed a deadline at least once).
    pub supervised: i64,
    pub open_by_state: BTreeMap<String, i64>,
    pub rectified: i64,
    pub rectified_on_time: i64,
    /// Share of rectified warnings that were submitted before their deadline.
    pub on_time_rate: Option<f64>,
    pub median_days_to_rectify: Option<f64>,
}

/// Adds to a count, dropping it at zero so equal states compare equal.
fn bump<K: Ord + Copy>(map: &mut BTreeMap<K, i64>, key: K, by: i64) {
    let entry = map.entry(key).or_insert(0);
    *entry += by;
    if *entry == 0 {
        map.remove(&key);
    }
}

/// The median of a multiset given as value → count.
fn median(values: &BTreeMap<i64, i64>) -> Option<f64> {
    let n: i64 = values.values().sum();
    if n <= 0 {
        return None;
    }
    let nth = |k: i64| {
        let mut seen = 0;
        for (value, count) in values {
            seen += count;
            if seen > k {
                return *value as f64;
            }
        }
        0.0
    };
    Some(if n % 2 == 1 {
        nth(n / 2)
    } else {
        (nth(n / 2 - 1) + nth(n / 2)) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_multiset_is_the_mean_of_the_middle_two() {
        let values = BTreeMap::from([(1, 1), (3, 2), (10, 1)]);
        assert_eq!(median(&values), Some(3.0));
        let values = BTreeMap::from([(2, 1), (4, 1)]);
        assert_eq!(median(&values), Some(3.0));
        assert_eq!(median(&BTreeMap::new()), None);
    }
}
