//! Chart data from warnings, and the drawn SVG keeping its Chinese labels as text.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::data::{self, DomainCount};
use super::draw;
use crate::clock::{Clock, ManualClock};
use crate::domain::region::RegionCode;
use crate::projections::{Counts, Projection};
use crate::regions::RegionTree;
use crate::rules::catalogue::Catalogue;
use crate::workflow::{Fact, Origin, Severity, Step, Warning};

const CITY: &str = "990102000000";
const QINGXI: &str = "990102100000";
const LIUTANG: &str = "990102100201";

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

fn tree() -> RegionTree {
    RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv")).unwrap()
}

fn warning(id: &str, region: &str, origin: Origin, at: DateTime<Utc>) -> Warning {
    let fact = Fact::Raised {
        region: code(region),
        title: "t".into(),
        severity: Severity::High,
        subject: "s".into(),
        origin,
        evidence: serde_json::Value::Null,
        deadline: at + Duration::days(7),
        reminder: false,
    };
    Warning::from_raised(id, &fact, at).unwrap()
}

fn rule(name: &str) -> Origin {
    Origin::Rule {
        rule: name.into(),
        subject: "s".into(),
    }
}

#[test]
fn the_trend_counts_raised_and_rectified_per_shanghai_day_within_the_region() {
    // 20:00 UTC on 9 March is 04:00 on 10 March in Shanghai.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 9, 20, 0, 0).unwrap());
    let today = data::shanghai_day(clock.now());
    assert_eq!(today, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
    let early = clock.now() - Duration::days(2);
    let mut rectified = warning("W1", LIUTANG, Origin::Manual, early);
    rectified.verified_at = Some(clock.now());
    let warnings = [
        rectified,
        warning("W2", LIUTANG, Origin::Manual, clock.now()),
        // Another town: not in Qingxi's trend.
        warning("W3", "990102101000", Origin::Manual, clock.now()),
        // Before the window.
        warning(
            "W4",
            LIUTANG,
            Origin::Manual,
            clock.now() - Duration::days(40),
        ),
    ];
    let trend = data::trend(&warnings, &code(QINGXI), today, 3);
    let days: Vec<(String, u32, u32)> = trend
        .iter()
        .map(|d| (d.day.to_string(), d.raised, d.rectified))
        .collect();
    assert_eq!(
        days,
        [
            ("2026-03-08".into(), 1, 0),
            ("2026-03-09".into(), 0, 0),
            ("2026-03-10".into(), 1, 1)
        ]
    );
    clock.advance(Duration::days(1));
    let city = data::trend(&warnings, &code(CITY), data::shanghai_day(clock.now()), 30);
    assert_eq!(city.len(), 30);
    assert_eq!(city.last().unwrap().day.to_string(), "2026-03-11");
    assert_eq!(city.iter().map(|d| d.raised).sum::<u32>(), 3);
}

#[test]
fn rectification_is_rolled_up_per_child_and_leaves_dismissed_warnings_out() {
    let tree = tree();
    let mut projection = Projection::default();
    let mut counts = Counts {
        total: 4,
        rectified: 2,
        rectified_on_time: 1,
        ..Counts::default()
    };
    counts.by_step.insert(Step::Dismissed, 1);
    // The projection keeps each region's subtree counts as it folds; set them as folding
    // this village's warnings would have.
    for region in [LIUTANG, QINGXI, CITY] {
        projection.rolled.insert(code(region), counts.clone());
    }
    let rates = data::rectification(&projection, &tree, &code(CITY));
    assert_eq!(rates.len(), 7);
    let qingxi = rates.iter().find(|r| r.code == code(QINGXI)).unwrap();
    assert_eq!(
        (qingxi.counted, qingxi.rectified, qingxi.rectified_on_time),
        (3, 2, 1)
    );
    assert_eq!(qingxi.on_time_percent(), Some(50.0));
    assert!((qingxi.rectified_percent().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    let other = rates.iter().find(|r| r.code != code(QINGXI)).unwrap();
    assert_eq!(
        (other.on_time_percent(), other.rectified_percent()),
        (None, None)
    );
    let own = data::rectification(&projection, &tree, &code(LIUTANG));
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].name, "柳塘村");
}

#[test]
fn domains_come_from_the_catalogue_and_hand_raised_warnings_are_leads() {
    let catalogue = Catalogue::builtin();
    let welfare = catalogue
        .entries()
        .iter()
        .find(|e| e.domain.as_str() == "welfare")
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    let mut closed = warning("W1", LIUTANG, rule(&welfare.code), at);
    closed.step = Step::Closed;
    let warnings = [
        closed,
        warning("W2", LIUTANG, rule(&welfare.code), at),
        warning("W3", LIUTANG, Origin::Manual, at),
        warning("W4", "990102101001", Origin::Manual, at),
    ];
    let counts = data::domains(&warnings, &catalogue, &code(QINGXI));
    let expected = [
        ("小微权力", 0, 0),
        ("民生资金", 1, 2),
        ("招投标", 0, 0),
        ("人工线索", 1, 1),
    ];
    let expected: Vec<DomainCount> = expected
        .iter()
        .map(|(label, open, total)| DomainCount {
            label,
            open: *open,
            total: *total,
        })
        .collect();
    assert_eq!(counts, expected);
    let unknown = [warning("W5", LIUTANG, rule("retired_rule"), at)];
    let counts = data::domains(&unknown, &catalogue, &code(CITY));
    assert_eq!(
        counts.last().map(|c| (c.label, c.total)),
        Some((data::OTHER, 1))
    );
}

/// The content of every `<text>` element, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|part| {
            Some(
                part.split_once('>')?
                    .1
                    .split_once("</text>")?
                    .0
                    .trim()
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn charts_keep_chinese_labels_as_text_on_no_background() {
    let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let trend = data::trend(&[], &code(CITY), today, 30);
    let svg = draw::trend("清风市 近30日预警趋势", &trend).unwrap();
    let labels = texts(&svg);
    for label in ["清风市 近30日预警趋势", "新增预警", "整改销号"] {
        assert!(
            labels.iter().any(|t| t == label),
            "{label} missing in {labels:?}"
        );
    }
    assert!(
        labels.iter().any(|t| t.starts_with("03-")),
        "day labels: {labels:?}"
    );
    assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 640 360\""));
    assert!(
        !svg.contains("<rect x=\"0\" y=\"0\" width=\"640\""),
        "no background fill"
    );
    let rates = data::rectification(&Projection::default(), &tree(), &code(CITY));
    let svg = draw::rectification("清风市 各镇街整改情况", &rates).unwrap();
    let labels = texts(&svg);
    for label in ["青溪镇", "按期整改率", "整改完成率", "100%"] {
        assert!(
            labels.iter().any(|t| t == label),
            "{label} missing in {labels:?}"
        );
    }
    let counts = data::domains(&[], &Catalogue::builtin(), &code(CITY));
    let svg = draw::domains("清风市 预警领域分布", &counts).unwrap();
    let labels = texts(&svg);
    for label in [
        "小微权力",
        "民生资金",
        "招投标",
        "人工线索",
        "未销号",
        "累计",
    ] {
        assert!(
            labels.iter().any(|t| t == label),
            "{label} missing in {labels:?}"
        );
    }
}

#[test]
fn many_children_are_drawn_as_rows_worst_first_with_the_rest_folded() {
    let rates: Vec<data::RegionRate> = (0..30)
        .map(|i| data::RegionRate {
            code: code(&format!("410221{:03}000", 100 + i)),
            name: format!("第{i}镇"),
            counted: 10,
            rectified: (i % 10) as i64,
            rectified_on_time: 0,
        })
        .collect();
    let rows = data::worst_first(rates.clone(), draw::MAX_ROWS);
    assert_eq!(rows.len(), draw::MAX_ROWS);
    assert_eq!(rows[0].rectified, 0, "the lowest share first");
    let folded = rows.last().unwrap();
    assert_eq!(folded.name, format!("其余{}个", 30 - (draw::MAX_ROWS - 1)));
    let total = |rows: &[data::RegionRate]| rows.iter().map(|r| r.rectified).sum::<i64>();
    assert_eq!(total(&rows), total(&rates), "nothing is lost in the fold");
    let svg = draw::rectification("各镇街整改率", &rates).unwrap();
    let labels = texts(&svg);
    assert!(labels.iter().any(|t| t.starts_with("其余")), "{labels:?}");
    assert_eq!(
        labels.iter().filter(|t| t.ends_with('镇')).count(),
        draw::MAX_ROWS - 1,
        "one readable name per row: {labels:?}"
    );
}
