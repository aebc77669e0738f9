//! `qingfeng-bench reads`: what the screens and the API read, at two scales in one run, to
//! show whether the cost grows with the log. A generated five-level province (清风省（演示）,
//! province code 99, about 52,000 villages) is filled with warnings in every state, once
//! with a small number and once with a large one; each is entered into a projection as a
//! restart from a checkpoint enters it, and the same reads are timed on both: the first
//! and a deep page of the warning list for the whole tree, a prefecture, a county, a town
//! and a village; the list filtered by colour, state and rule; the overdue list; a region
//! summary; a live-stream snapshot per level. The baseline is the list as it was read
//! before the indexes: every warning filtered and sorted.
//!
//! The reads are timed in-process on the projection, without HTTP and the store, which
//! `qingfeng-bench fanout` and `public` measure; what is measured here is the part that
//! grew with the log.

pub(crate) mod data;

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::domain::region::{Level, RegionCode};
use crate::engine::{WarningFilter, overdue_page, page};
use crate::projections::{ListKey, Projection};
use crate::regions::RegionTree;
use crate::workflow::{Colour, Step, Warning};

/// The two scales and the province both `reads` and `scale` measure.
#[derive(Args, Debug)]
pub struct Scales {
    /// Warnings at the large scale.
    #[arg(long, default_value_t = 1_000_000)]
    pub warnings: usize,
    /// Warnings at the small scale, measured in the same run.
    #[arg(long, default_value_t = 10_000)]
    pub small: usize,
    /// Villages in the generated province (about).
    #[arg(long, default_value_t = 52_000)]
    pub villages: usize,
}

#[derive(Args, Debug)]
pub struct ReadsArgs {
    #[command(flatten)]
    pub scales: Scales,
    /// Times each read is repeated (on regions drawn at random of its level).
    #[arg(long, default_value_t = 200)]
    pub repeats: usize,
}

const PAGE: usize = 50;
/// The deep page: the 21st, reached by following `next` twenty times.
const DEEP: usize = 20;

pub async fn run(args: ReadsArgs) -> anyhow::Result<()> {
    let tree = data::province(args.scales.villages).context("generating the province")?;
    let villages = tree.villages().count();
    eprintln!("province: {} regions, {villages} villages", tree.len());
    let mut lines = Vec::new();
    for warnings in [args.scales.small, args.scales.warnings] {
        let rss_before = resident_mb();
        let started = Instant::now();
        let projection = data::projection(&tree, warnings, 7);
        let build_s = started.elapsed().as_secs_f64();
        let rss_mb = resident_mb() - rss_before;
        let figures = measure(&tree, &projection, args.repeats);
        let line = json!({
            "bench": "reads", "warnings": warnings, "villages": villages,
            "build_s": round(build_s), "rss_mb": rss_mb.round(),
            "list_p99_ms": figures.worst("list"), "deep_p99_ms": figures.worst("deep"),
            "filtered_p99_ms": figures.worst("filtered"), "overdue_p99_ms": figures.worst("overdue"),
            "summary_p99_ms": figures.worst("summary"), "snapshot_p99_ms": figures.worst("snapshot"),
            "linear_baseline_p99_ms": figures.worst("linear"),
            "reads": figures.rows,
        });
        println!("{line}");
        lines.push(line);
        drop(projection);
    }
    Ok(())
}

/// p50 and p99 of each read, in milliseconds.
struct Figures {
    rows: Vec<serde_json::Value>,
}

impl Figures {
    /// The largest p99 among the reads whose name starts with `kind`.
    fn worst(&self, kind: &str) -> f64 {
        self.rows
            .iter()
            .filter(|row| row["read"].as_str().is_some_and(|r| r.starts_with(kind)))
            .filter_map(|row| row["p99_ms"].as_f64())
            .fold(0.0, f64::max)
    }
}

fn measure(tree: &RegionTree, p: &Projection, repeats: usize) -> Figures {
    let mut rng = StdRng::seed_from_u64(11);
    let mut rows = Vec::new();
    for level in Level::ALL {
        let codes: Vec<RegionCode> = tree
            .iter()
            .filter(|r| r.level == level)
            .map(|r| r.code)
            .collect();
        let mut pick = || codes[rng.gen_range(0..codes.len())];
        let name = level.as_str();
        rows.push(time(&format!("list {name}"), repeats, &mut pick, |code| {
            page(p, code, &WarningFilter::default(), None, PAGE)
                .items
                .len()
        }));
        rows.push(time(
            &format!("deep {name}"),
            repeats.min(50),
            &mut pick,
            |code| deep_page(p, code),
        ));
        rows.push(time(
            &format!("summary {name}"),
            repeats,
            &mut pick,
            |code| summary(tree, p, code),
        ));
        rows.push(time(
            &format!("snapshot {name}"),
            repeats,
            &mut pick,
            |code| {
                let parts = crate::ws::messages::snapshot_parts(p, tree, &code);
                serde_json::to_string(&parts).map_or(0, |s| s.len())
            },
        ));
    }
    let root = tree.root().code;
    let county = tree
        .iter()
        .find(|r| r.level == Level::City)
        .map(|r| r.code)
        .unwrap_or(root);
    for (label, filter) in filters() {
        for (scope, code) in [("province", root), ("county", county)] {
            rows.push(time(
                &format!("filtered {label} {scope}"),
                repeats,
                &mut || code,
                |code| page(p, code, &filter, None, PAGE).items.len(),
            ));
        }
    }
    rows.push(time("overdue province", repeats, &mut || root, |code| {
        overdue_page(p, code, None, PAGE).items.len()
    }));
    rows.push(time(
        "linear list province (baseline)",
        repeats.min(20),
        &mut || root,
        |code| linear_first_page(p, code),
    ));
    Figures { rows }
}

fn filters() -> Vec<(&'static str, WarningFilter)> {
    vec![
        (
            "level=red",
            WarningFilter {
                colour: Some(Colour::Red),
                ..Default::default()
            },
        ),
        (
            "state=rectifying",
            WarningFilter {
                step: Some(Step::Rectifying),
                ..Default::default()
            },
        ),
        (
            "rule=vehicle_owner",
            WarningFilter {
                rule: Some("vehicle_owner".into()),
                ..Default::default()
            },
        ),
    ]
}

/// Times `read` on `repeats` regions from `pick`; the row has p50 and p99 in ms.
fn time(
    read: &str,
    repeats: usize,
    pick: &mut dyn FnMut() -> RegionCode,
    run: impl Fn(RegionCode) -> usize,
) -> serde_json::Value {
    let mut samples: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let code = pick();
            let started = Instant::now();
            std::hint::black_box(run(code));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let (p50, p99) = p50_p99(&mut samples);
    json!({"read": read, "p50_ms": p50, "p99_ms": p99})
}

/// The median and 99th percentile of `samples` (milliseconds), rounded to the microsecond;
/// NaN (written as null) when there are none.
pub(crate) fn p50_p99(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| match samples.len() {
        0 => f64::NAN,
        n => round(samples[((n as f64 - 1.0) * q).round() as usize]),
    };
    (at(0.5), at(0.99))
}

fn deep_page(p: &Projection, code: RegionCode) -> usize {
    let filter = WarningFilter::default();
    let mut after: Option<ListKey> = None;
    for _ in 0..DEEP {
        let page = page(p, code, &filter, after.as_ref(), PAGE);
        match page.next.as_deref().and_then(ListKey::from_cursor) {
            Some(next) => after = Some(next),
            None => return 0,
        }
    }
    page(p, code, &filter, after.as_ref(), PAGE).items.len()
}

/// What `GET /api/regions/{code}/summary` reads: the region's counts, a row per child,
/// today's activity.
fn summary(tree: &RegionTree, p: &Projection, code: RegionCode) -> usize {
    let own = p.rolled_up(&code);
    let children: Vec<_> = tree
        .children(&code)
        .iter()
        .map(|c| p.rolled_up(c).total)
        .collect();
    let today = p.activity_since(&code, data::now() - chrono::Duration::hours(12));
    std::hint::black_box((own.total, today));
    children.len()
}

/// The list as it was read before the indexes: every readable warning filtered, then
/// sorted, then the first page taken.
fn linear_first_page(p: &Projection, code: RegionCode) -> usize {
    let mut found: Vec<&Warning> = p
        .warnings
        .values()
        .map(Box::as_ref)
        .filter(|w| w.region.is_within(&code))
        .collect();
    found.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
    found.into_iter().take(PAGE).count()
}

fn resident_mb() -> f64 {
    crate::bench::fanout::system::resident_bytes(std::process::id())
        .map_or(0.0, |b| b as f64 / 1_048_576.0)
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
