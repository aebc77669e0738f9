//! `qingfeng-bench scan`: a generated city imported into a durable store and scanned,
//! beside the six welfare collisions written as SurrealQL queries in the same run.
//!
//! The figures: import rows per second through `import_files` (parse, check, store, all
//! kinds); the whole scan as `run_scan` does it (load from the store, the rules, applying
//! the findings); the six welfare collisions alone on data already in memory; and the
//! SurrealQL baseline of those six over indexed copies of the columns they read. The run
//! also checks that the scan raised exactly the planted anomalies and that the baseline
//! found exactly the subjects the rules found, so the comparison is of equal work.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::bench_data::baseline_data;
use super::{GenConfig, Generated, Planted, Sizes, demo, generate, villages};
use crate::clock::ManualClock;
use crate::engine::Engine;
use crate::import::service::import_files;
use crate::import::value::Fund;
use crate::regions::RegionTree;
use crate::rules::{Catalogue, Data, scan};
use crate::store::Store;
use crate::store::bench_baseline::{BaselineRun, Collision, CollisionParams};
use crate::workflow::LifecycleSettings;

/// A baseline query still running after this long is stopped and reported as a lower
/// bound, so one slow query cannot hold the benchmark for hours.
pub const BASELINE_TIMEOUT: Duration = Duration::from_secs(300);

/// The welfare collisions, in catalogue order.
const WELFARE: [&str; 6] = [
    "welfare_vehicle",
    "welfare_company",
    "welfare_public_employee",
    "welfare_cadre_relative",
    "welfare_deceased",
    "welfare_duplicate",
];

/// Runs the benchmark on a durable surrealkv store in a temporary directory, printing
/// the figures as they come and one JSON line at the end.
pub async fn scan_command(size: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("surrealkv://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await?;
    let figures = run(&store, size, BASELINE_TIMEOUT).await;
    store.shutdown().await;
    println!("{}", figures?);
    Ok(())
}

/// Runs the benchmark on `store` (empty) and returns its JSON line.
pub async fn run(store: &Store, size: usize, timeout: Duration) -> anyhow::Result<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv");
    let tree = RegionTree::load(path).context("loading seeds/regions.csv")?;
    let config = GenConfig {
        seed: 1,
        as_of: demo::as_of(),
        villages: villages(&tree),
        sizes: Sizes::city(size),
        plant: true,
    };
    let started = Instant::now();
    let generated = generate(&config);
    let truth: Keys = generated.truth.iter().map(Planted::key).collect();
    println!(
        "generated {} rows ({} planted anomalies) in {:.1} s",
        generated.rows(),
        truth.len(),
        started.elapsed().as_secs_f64()
    );
    let (rows, import_seconds) = import_all(store, &tree, generated).await?;
    let import_rows_per_s = rows as f64 / import_seconds;
    println!("import: {rows} rows in {import_seconds:.1} s = {import_rows_per_s:.0} rows/s");
    // 02:00 UTC is 10:00 in Asia/Shanghai: the rules judge as of the config's day.
    let now = config.as_of.and_hms_opt(2, 0, 0).unwrap_or_default();
    let clock = Arc::new(ManualClock::new(now.and_utc()));
    let settings = Arc::new(LifecycleSettings::builtin());
    let engine = Engine::start(store.clone(), clock, settings, Arc::new(tree)).await?;
    let catalogue = Catalogue::builtin();
    let (scan, raised) = scan_all(&engine, &catalogue).await?;
    let findings_match_truth = raised == truth;
    println!(
        "  {} warnings raised, {} planted, the same: {findings_match_truth}",
        raised.len(),
        truth.len()
    );
    let (data, _) = crate::scan::load_data(&engine, config.as_of).await?;
    let ours = welfare_compute(&catalogue, &data)?;
    store.bench_baseline_load(baseline_data(&data)).await?;
    let params = collision_params(&catalogue)?;
    let baseline = baseline_runs(store, &params, timeout).await?;
    let mut figures = compare(&ours, &baseline);
    let extra = json!({
        "bench": "scan",
        "rows": rows,
        "import_rows_per_s": import_rows_per_s.round(),
        "import_seconds": import_seconds,
        "findings_match_truth": findings_match_truth,
        "welfare_payments": size,
    });
    for part in [extra, scan] {
        if let (Value::Object(all), Value::Object(part)) = (&mut figures, part) {
            all.extend(part);
        }
    }
    Ok(figures)
}

type Keys = BTreeSet<(String, String)>;

/// The whole scan as `run_scan` does it; its figures and the (rule, subject) raised.
async fn scan_all(engine: &Engine, catalogue: &Catalogue) -> anyhow::Result<(Value, Keys)> {
    let started = Instant::now();
    let report = crate::scan::run_scan(engine, catalogue).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "scan: {seconds:.2} s (load {:.2} s, compute {:.2} s, apply {:.2} s)",
        report.load_seconds, report.compute_seconds, report.apply_seconds
    );
    let raised = engine.read(|p| {
        p.by_subject
            .iter()
            .map(|(rule, subject, _)| (rule.to_owned(), subject.to_owned()))
            .collect()
    });
    let figures = json!({
        "scan_seconds": seconds,
        "scan_load_seconds": report.load_seconds,
        "scan_all_rules_compute_seconds": report.compute_seconds,
        "scan_apply_seconds": report.apply_seconds,
    });
    Ok((figures, raised))
}

/// The welfare figures: ours beside the baseline, and whether both found the same.
fn compare(ours: &Ours, baseline: &BTreeMap<&'static str, BaselineRun>) -> Value {
    let matches = Collision::ALL.iter().all(|c| {
        let theirs = baseline.get(c.rule()).map(|r| &r.subjects);
        theirs == ours.subjects.get(c.rule())
    });
    let timed_out = baseline.values().any(|r| r.timed_out);
    let seconds: f64 = baseline.values().map(|r| r.seconds).sum();
    let shown = if timed_out {
        format!(">{seconds:.1}")
    } else {
        format!("{seconds:.2}")
    };
    println!(
        "welfare collisions: ours {:.3} s (six rules in parallel; {:.3} s one after another), \
         SurrealQL {shown} s; the same subjects: {matches}",
        ours.parallel_seconds, ours.sequential_seconds
    );
    let per_rule: serde_json::Map<String, Value> = baseline
        .iter()
        .map(|(rule, r)| ((*rule).to_owned(), json!(r.seconds)))
        .collect();
    json!({
        "scan_compute_seconds": ours.parallel_seconds,
        "baseline_seconds": if timed_out { json!(shown) } else { json!(seconds) },
        "welfare_sequential_seconds": ours.sequential_seconds,
        "welfare_rule_seconds": ours.seconds,
        "baseline_rule_seconds": per_rule,
        "baseline_timed_out": timed_out,
        "baseline_matches_rules": matches,
    })
}

/// Imports every generated file, kind by kind; returns the rows and the seconds taken.
async fn import_all(
    store: &Store,
    tree: &RegionTree,
    generated: Generated,
) -> anyhow::Result<(usize, f64)> {
    let mut rows = 0;
    let mut seconds = 0.0;
    for (kind, text) in generated.files {
        let files = vec![(format!("{kind}.csv"), text.into_bytes())];
        let started = Instant::now();
        let report = import_files(store, tree, kind, &files)
            .await
            .map_err(|e| anyhow::anyhow!("{kind}: {e}"))?;
        seconds += started.elapsed().as_secs_f64();
        rows += report.rows;
    }
    Ok((rows, seconds))
}

/// The six welfare rules' run on data in memory: all six as a scan runs them, then each
/// alone, with the subjects each flagged.
struct Ours {
    parallel_seconds: f64,
    sequential_seconds: f64,
    seconds: BTreeMap<String, f64>,
    subjects: BTreeMap<String, BTreeSet<String>>,
}

fn welfare_compute(catalogue: &Catalogue, data: &Data) -> anyhow::Result<Ours> {
    let six = catalogue.only(&WELFARE)?;
    let started = Instant::now();
    let reports = scan(&six, data);
    let parallel_seconds = started.elapsed().as_secs_f64();
    let subjects = reports
        .into_iter()
        .map(|r| (r.rule, r.findings.into_iter().map(|f| f.subject).collect()))
        .collect();
    let mut seconds = BTreeMap::new();
    for code in WELFARE {
        let one = catalogue.only(&[code])?;
        let started = Instant::now();
        let _ = scan(&one, data);
        seconds.insert(code.to_owned(), started.elapsed().as_secs_f64());
    }
    let sequential_seconds = seconds.values().sum();
    Ok(Ours {
        parallel_seconds,
        sequential_seconds,
        seconds,
        subjects,
    })
}

/// The catalogue's parameters of the six rules, as the baseline queries take them.
fn collision_params(catalogue: &Catalogue) -> anyhow::Result<CollisionParams> {
    let params = |code: &str| -> anyhow::Result<Value> {
        let entry = catalogue
            .get(code)
            .with_context(|| format!("{code} is not in the catalogue"))?;
        Ok(serde_json::to_value(&entry.params)?)
    };
    let funds = |value: &Value, key: &str| -> Vec<String> {
        let names = value[key].as_array().cloned().unwrap_or_default();
        names
            .iter()
            .filter_map(Value::as_str)
            .map(|n| Fund::parse(n).as_str().to_owned())
            .collect()
    };
    let vehicle = params("welfare_vehicle")?;
    // The six rules share one means-tested fund list in the shipped catalogue; the
    // baseline uses the vehicle rule's, and the subject comparison would show a drift.
    Ok(CollisionParams {
        funds: funds(&vehicle, "funds"),
        include_shareholders: params("welfare_company")?["include_shareholders"]
            .as_bool()
            .unwrap_or(true),
        grace_days: params("welfare_deceased")?["grace_days"]
            .as_i64()
            .unwrap_or(0),
        exempt_funds: funds(&params("welfare_duplicate")?, "exempt_funds"),
    })
}

/// Runs the six baseline queries one after another.
async fn baseline_runs(
    store: &Store,
    params: &CollisionParams,
    timeout: Duration,
) -> anyhow::Result<BTreeMap<&'static str, BaselineRun>> {
    let mut runs = BTreeMap::new();
    for collision in Collision::ALL {
        let run = store
            .bench_baseline_collision(collision, params, timeout)
            .await?;
        let flag = if run.timed_out { " (timed out)" } else { "" };
        println!(
            "  SurrealQL {}: {:.3} s{flag}, {} subjects",
            collision.rule(),
            run.seconds,
            run.subjects.len()
        );
        runs.insert(collision.rule(), run);
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_small_scan_bench_raises_its_plants_and_its_baseline_agrees_with_the_rules() {
        let store = Store::connect("mem://").await.unwrap();
        let figures = run(&store, 4_000, Duration::from_secs(120)).await.unwrap();
        assert_eq!(figures["findings_match_truth"], true, "{figures}");
        assert_eq!(figures["baseline_matches_rules"], true, "{figures}");
        assert_eq!(figures["baseline_timed_out"], false);
    }
}
