//! Paging through the indexes gives exactly what filtering and sorting every warning
//! gives, for every filter, in pages of any size, with the same total; and a cursor never
//! repeats or skips a warning.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::WarningFilter;
use super::queries::page;
use crate::domain::region::RegionCode;
use crate::projections::{ListKey, Projection};
use crate::workflow::{Colour, Fact, Origin, Severity, Step, Warning};

const VILLAGES: [&str; 6] = [
    "410221101201",
    "410221101202",
    "410221102201",
    "410222100201",
    "410202001009",
    "410305001001",
];
const REGIONS: [&str; 7] = [
    "410000000000",
    "410200000000",
    "410221000000",
    "410221101000",
    "410221101201",
    "410222000000",
    "410300000000",
];
const STEPS: [Step; 6] = [
    Step::Raised,
    Step::Acknowledged,
    Step::Rectifying,
    Step::Observation,
    Step::Closed,
    Step::Dismissed,
];

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

fn warning(i: usize, village: usize, step: usize, rule: usize, overdue: bool) -> Warning {
    let at: DateTime<Utc> =
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::hours((i % 40) as i64);
    let origin = match rule {
        0 => Origin::Manual,
        n => Origin::Rule {
            rule: format!("rule_{n}"),
            subject: format!("s{i}"),
        },
    };
    let fact = Fact::Raised {
        region: code(VILLAGES[village]),
        title: "t".into(),
        severity: Severity::High,
        subject: "s".into(),
        origin,
        evidence: serde_json::Value::Null,
        deadline: at + Duration::days(7),
        reminder: false,
    };
    let mut w = Warning::from_raised(&format!("W{i:05}"), &fact, at).unwrap();
    w.step = STEPS[step];
    if overdue && w.colour() == Colour::Red {
        w.overdue_since = Some(at + Duration::days(7));
        w.misses = 1;
    }
    w
}

fn projection(specs: &[(usize, usize, usize, bool)]) -> Projection {
    let mut p = Projection::default();
    for (i, (village, step, rule, overdue)) in specs.iter().enumerate() {
        p.restore(warning(i, *village, *step, *rule, *overdue));
    }
    p
}

/// What the list must be: every warning within the region matching the filter, newest
/// first, then by id descending.
fn expected(p: &Projection, region: RegionCode, filter: &WarningFilter) -> Vec<String> {
    let mut found: Vec<&Warning> = p
        .warnings
        .values()
        .map(Box::as_ref)
        .filter(|w| w.region.is_within(&region) && super::matches(w, filter))
        .collect();
    found.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
    found.into_iter().map(|w| w.id.clone()).collect()
}

fn filter_strategy() -> impl Strategy<Value = (usize, WarningFilter)> {
    (
        0..REGIONS.len(),
        prop::option::of(0..3usize),
        prop::option::of(0..STEPS.len()),
        prop::option::of(0..4usize),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(region, colour, step, rule, overdue)| {
            let filter = WarningFilter {
                region: None,
                colour: colour.map(|c| [Colour::Red, Colour::Yellow, Colour::Green][c]),
                step: step.map(|s| STEPS[s]),
                rule: rule.map(|r| format!("rule_{r}")),
                overdue,
            };
            (region, filter)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn pages_through_the_indexes_equal_filtering_and_sorting_everything(
        specs in prop::collection::vec((0..VILLAGES.len(), 0..STEPS.len(), 0..4usize, any::<bool>()), 0..80),
        (region, filter) in filter_strategy(),
        limit in 1..7usize,
    ) {
        let p = projection(&specs);
        let region = code(REGIONS[region]);
        let want = expected(&p, region, &filter);
        let mut got = Vec::new();
        let mut after: Option<ListKey> = None;
        loop {
            let page = page(&p, region, &filter, after.as_ref(), limit);
            prop_assert_eq!(page.total, Some(want.len()), "small sets are counted");
            prop_assert!(page.items.len() <= limit);
            got.extend(page.items.iter().map(|w| w.id.clone()));
            let Some(cursor) = page.next else { break };
            after = Some(ListKey::from_cursor(&cursor).expect("a cursor reads back"));
            prop_assert!(got.len() <= want.len(), "pages never repeat");
        }
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_cursor_reads_back_and_garbage_is_not_one() {
    let key = ListKey::of(&warning(7, 0, 0, 1, false));
    assert_eq!(ListKey::from_cursor(&key.to_cursor()), Some(key));
    for bad in [
        "",
        "abc",
        "12.",
        ".W1",
        "99999999999999999999.W1",
        "1.W 1",
        "1.W\u{0}",
    ] {
        assert_eq!(ListKey::from_cursor(bad), None, "{bad:?}");
    }
}

#[test]
fn a_total_that_only_a_long_walk_could_count_is_not_given() {
    let specs: Vec<(usize, usize, usize, bool)> = (0..super::queries::COUNTED_UP_TO * 3)
        .map(|i| (i % VILLAGES.len(), i % STEPS.len(), 1, false))
        .collect();
    let p = projection(&specs);
    let root = code("410000000000");
    let by_rule = WarningFilter {
        rule: Some("rule_1".into()),
        colour: Some(Colour::Red),
        ..Default::default()
    };
    let page_of_rule = page(&p, root, &by_rule, None, 10);
    assert_eq!(page_of_rule.items.len(), 10);
    assert_eq!(
        page_of_rule.total, None,
        "counting would walk every warning of the rule"
    );
    let by_colour = WarningFilter {
        colour: Some(Colour::Red),
        ..Default::default()
    };
    let red = specs
        .iter()
        .filter(|(_, s, _, _)| STEPS[*s].colour() == Colour::Red)
        .count();
    assert_eq!(
        page(&p, root, &by_colour, None, 10).total,
        Some(red),
        "kept counts answer"
    );
}
