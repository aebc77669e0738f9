//! The generated province and its warnings for `qingfeng-bench reads`: deterministic (a
//! seeded generator), in every state, spread over a year.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::region::RegionCode;
use crate::projections::Projection;
use crate::regions::RegionTree;
use crate::workflow::{Colour, Fact, Origin, Severity, Step, Warning};

/// The moment the generated year ends.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
}

/// 清风省（演示）: province 99, 16 prefectures of 10 counties, each county of towns of 22
/// villages, as many towns as make about `villages` villages.
pub fn province(villages: usize) -> anyhow::Result<RegionTree> {
    Ok(RegionTree::from_csv_str(
        "the generated province",
        &province_csv(villages),
    )?)
}

/// The generated province in the `code,name,parent` form `serve --regions` reads.
pub fn province_csv(villages: usize) -> String {
    let towns_per_county = (villages / (16 * 10 * 22)).clamp(1, 99);
    let mut csv = String::from("code,name,parent\n990000000000,清风省（演示）,\n");
    for prefecture in 1..=16 {
        let pf = format!("99{prefecture:02}");
        csv.push_str(&format!("{pf}00000000,第{prefecture}市,990000000000\n"));
        for county in 1..=10 {
            let ct = format!("{pf}{county:02}");
            csv.push_str(&format!(
                "{ct}000000,第{prefecture}市第{county}县,{pf}00000000\n"
            ));
            for town in 0..towns_per_county {
                let tw = format!("{ct}{:03}", 101 + town);
                csv.push_str(&format!("{tw}000,{}镇,{ct}000000\n", 101 + town));
                for village in 0..22 {
                    csv.push_str(&format!(
                        "{tw}{:03},{}村,{tw}000\n",
                        201 + village,
                        201 + village
                    ));
                }
            }
        }
    }
    csv
}

/// A third of the warnings open, the rest closed or dismissed, as a county's log looks
/// after a year; a fifth of the open red ones overdue.
const STEPS: [(Step, u32); 9] = [
    (Step::Raised, 8),
    (Step::Acknowledged, 6),
    (Step::Rectifying, 8),
    (Step::Submitted, 4),
    (Step::Observation, 8),
    (Step::Reminder, 2),
    (Step::Closed, 52),
    (Step::Dismissed, 10),
    (Step::Investigation, 2),
];

const RULES: [&str; 12] = [
    "vehicle_owner",
    "deceased_recipient",
    "duplicate_payment",
    "cadre_relative",
    "public_employee",
    "company_owner",
    "payment_over_limit",
    "lease_expiring",
    "bid_ring",
    "bid_win_outlier",
    "contract_arrears",
    "public_report",
];

/// What a generated warning is: where, when, how far along, from which rule (none: by
/// hand), and whether it is overdue.
pub(crate) struct Draw {
    pub village: RegionCode,
    pub raised: DateTime<Utc>,
    pub step: Step,
    pub rule: Option<&'static str>,
    pub overdue: bool,
}

/// Draws a warning over `villages`: raised within the year, its step by the weights of
/// `STEPS`, nine in ten from a rule, one in five of the red ones overdue.
pub(crate) fn draw(rng: &mut StdRng, villages: &[RegionCode]) -> Draw {
    let village = villages[rng.gen_range(0..villages.len())];
    let raised = now() - Duration::minutes(rng.gen_range(0..365 * 24 * 60));
    let weights: u32 = STEPS.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..weights);
    let step = STEPS
        .iter()
        .find(|(_, w)| {
            let hit = pick < *w;
            pick = pick.saturating_sub(*w);
            hit
        })
        .map_or(Step::Closed, |(s, _)| *s);
    let rule = (rng.gen_range(0..10) > 0).then(|| RULES[rng.gen_range(0..RULES.len())]);
    let overdue = rng.gen_range(0..5) == 0;
    Draw {
        village,
        raised,
        step,
        rule,
        overdue,
    }
}

/// `n` warnings over the villages of `tree`, entered as a restart enters a checkpoint.
pub fn projection(tree: &RegionTree, n: usize, seed: u64) -> Projection {
    let villages: Vec<RegionCode> = tree.villages().map(|r| r.code).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut projection = Projection::default();
    for i in 0..n {
        let d = draw(&mut rng, &villages);
        projection.restore(warning(i, d.village, d.raised, d.step, d.rule, d.overdue));
    }
    projection
}

fn warning(
    i: usize,
    region: RegionCode,
    raised: DateTime<Utc>,
    step: Step,
    rule: Option<&str>,
    overdue: bool,
) -> Warning {
    let origin = rule.map_or(Origin::Manual, |rule| Origin::Rule {
        rule: rule.to_owned(),
        subject: format!("subject-{i}"),
    });
    let fact = Fact::Raised {
        region,
        title: "低保对象名下有车辆".into(),
        severity: Severity::High,
        subject: format!("subject-{i}"),
        origin,
        evidence: serde_json::json!({"plate": format!("豫B{i:05}"), "owner": format!("对象{i}")}),
        deadline: raised + Duration::days(7),
        reminder: step == Step::Reminder,
    };
    let id = format!("W{}-{i:07}", raised.format("%Y%m%d"));
    let mut w = Warning::from_raised(&id, &fact, raised).expect("a raised fact");
    w.step = step;
    w.version = 4;
    w.updated_at = raised + Duration::days(3);
    if matches!(step, Step::Observation | Step::Closed) {
        w.verified_at = Some(raised + Duration::days(5));
        w.submitted_on_time = Some(true);
    }
    if overdue && w.colour() == Colour::Red && step != Step::Investigation {
        w.overdue_since = Some(raised + Duration::days(7));
        w.misses = 1;
    }
    w
}
