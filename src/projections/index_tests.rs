//! "Today" and the trend read from the indexes equal what a pass over every warning
//! gives, for any region and any moment.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::Projection;
use crate::charts::data::{trend, window_start};
use crate::domain::region::RegionCode;
use crate::workflow::{Fact, Origin, Severity, Warning};

const VILLAGES: [&str; 4] = [
    "410221101201",
    "410221101202",
    "410221102201",
    "410222100201",
];
const REGIONS: [&str; 5] = [
    "410200000000",
    "410221000000",
    "410221101000",
    "410221101201",
    "410223000000",
];

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

/// A warning raised `raised` hours after the start, verified `verified` hours after that.
fn warning(i: usize, village: usize, raised: i64, verified: Option<i64>) -> Warning {
    let at = start() + Duration::hours(raised);
    let fact = Fact::Raised {
        region: code(VILLAGES[village]),
        title: "t".into(),
        severity: Severity::High,
        subject: "s".into(),
        origin: Origin::Manual,
        evidence: serde_json::Value::Null,
        deadline: at + Duration::days(7),
        reminder: false,
    };
    let mut w = Warning::from_raised(&format!("W{i:04}"), &fact, at).unwrap();
    w.verified_at = verified.map(|h| at + Duration::hours(h));
    w
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn today_and_the_trend_from_the_indexes_equal_a_pass_over_everything(
        specs in prop::collection::vec((0..VILLAGES.len(), 0..1200i64, prop::option::of(0..400i64)), 0..60),
        region in 0..REGIONS.len(),
        since_hours in 0..1400i64,
    ) {
        let mut p = Projection::default();
        for (i, (village, raised, verified)) in specs.iter().enumerate() {
            p.restore(warning(i, *village, *raised, *verified));
        }
        let region = code(REGIONS[region]);
        let since = start() + Duration::hours(since_hours);
        let within: Vec<&Warning> = p.warnings.values().map(Box::as_ref).filter(|w| w.region.is_within(&region)).collect();
        let raised = within.iter().filter(|w| w.raised_at >= since).count() as i64;
        let rectified = within.iter().filter(|w| w.verified_at.is_some_and(|at| at >= since)).count() as i64;
        let activity = p.activity_since(&region, since);
        prop_assert_eq!((activity.raised, activity.rectified), (raised, rectified));

        let today = crate::charts::data::shanghai_day(since);
        let from = window_start(today, 30);
        let all = trend(p.warnings.values().map(Box::as_ref), &region, today, 30);
        let indexed = trend(p.active_since(&region, from), &region, today, 30);
        prop_assert_eq!(indexed, all);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]
    #[test]
    fn building_the_indexes_whole_equals_inserting_each_warning(
        specs in prop::collection::vec((0..VILLAGES.len(), 0..1200i64, prop::option::of(0..400i64), any::<bool>()), 0..80),
    ) {
        let warnings: Vec<Warning> = specs
            .iter()
            .enumerate()
            .map(|(i, (village, raised, verified, overdue))| {
                let mut w = warning(i, *village, *raised, *verified);
                if *overdue {
                    w.overdue_since = Some(w.deadline);
                }
                if i % 3 == 0 {
                    w.origin = Origin::Rule { rule: format!("rule_{}", i % 2), subject: format!("s{i}") };
                }
                w
            })
            .collect();
        let mut inserted = super::ListIndex::default();
        for w in &warnings {
            inserted.insert(w);
        }
        prop_assert_eq!(super::ListIndex::build(|| warnings.iter()), inserted);
    }
}
