//! A scan: load every dataset from the store, run the rule catalogue over it, and turn the
//! findings into warnings through the engine. Runs after each import and on demand
//! (`qingfeng scan`).

use std::time::Instant;

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::engine::{Engine, EngineError, FindingOutcome, RuleFinding};
use crate::import::DatasetKind;
use crate::import::service::load_datasets;
use crate::rules::catalogue::{Catalogue, WarningLevel};
use crate::rules::{Data, RuleReport, scan};

/// How many findings are applied at once; their appends share the store's group commits.
const CONCURRENT_FINDINGS: usize = 64;

/// What one rule did in one scan.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleLine {
    pub rule: String,
    pub name: String,
    pub checked: u64,
    pub flagged: u64,
    pub not_judged: u64,
    pub raised: u64,
    pub relapsed: u64,
    pub already_open: u64,
    pub dismissed: u64,
    /// Findings on a subject whose reminder was already closed.
    pub reminders_closed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScanReport {
    pub as_of: NaiveDate,
    pub rows: usize,
    pub rules: Vec<RuleLine>,
    pub load_seconds: f64,
    pub compute_seconds: f64,
    pub apply_seconds: f64,
}

/// The calendar day in Asia/Shanghai (UTC+8, no daylight saving) of the engine's clock:
/// the day the rules judge "as of".
pub fn today(engine: &Engine) -> NaiveDate {
    crate::domain::date::shanghai_day(engine.now())
}

/// Loads all datasets from the store into memory.
pub async fn load_data(engine: &Engine, as_of: NaiveDate) -> Result<(Data, usize), EngineError> {
    // The contacts say who is told, not what is judged.
    let judged: Vec<DatasetKind> = DatasetKind::ALL
        .into_iter()
        .filter(|kind| *kind != DatasetKind::Contacts)
        .collect();
    let pieces = load_datasets(engine.store(), &judged).await?;
    let count = pieces.iter().map(Vec::len).sum();
    Ok((Data::from_rows(as_of, pieces.into_iter().flatten()), count))
}

/// Runs the catalogue and applies its findings.
pub async fn run_scan(engine: &Engine, catalogue: &Catalogue) -> Result<ScanReport, EngineError> {
    let as_of = today(engine);
    let started = Instant::now();
    let (data, rows) = load_data(engine, as_of).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    // The rules are CPU-bound (and use their own threads); keep them off the async workers.
    let rules = catalogue.clone();
    let reports = tokio::task::spawn_blocking(move || scan(&rules, &data))
        .await
        .expect("the rules do not panic");
    let compute_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut lines = Vec::new();
    for report in reports {
        lines.push(apply_report(engine, catalogue, report).await?);
    }
    Ok(ScanReport {
        as_of,
        rows,
        rules: lines,
        load_seconds,
        compute_seconds,
        apply_seconds: started.elapsed().as_secs_f64(),
    })
}

async fn apply_report(
    engine: &Engine,
    catalogue: &Catalogue,
    report: RuleReport,
) -> Result<RuleLine, EngineError> {
    let entry = catalogue
        .get(&report.rule)
        .expect("reports come from catalogue rules");
    let mut line = RuleLine {
        rule: report.rule.clone(),
        name: entry.name_zh.clone(),
        checked: report.checked,
        flagged: report.flagged,
        not_judged: report.not_judged,
        raised: 0,
        relapsed: 0,
        already_open: 0,
        dismissed: 0,
        reminders_closed: 0,
    };
    let findings = report.findings.into_iter().map(|f| RuleFinding {
        rule: f.rule,
        subject: f.subject,
        region: f.region,
        title: f.title,
        summary: f.summary,
        evidence: f.evidence,
        severity: entry.severity,
        deadline_days: entry.deadline_days,
        reminder: entry.level == WarningLevel::Yellow,
    });
    let outcomes: Vec<FindingOutcome> = futures::stream::iter(findings)
        .map(|finding| engine.apply_finding(finding))
        .buffer_unordered(CONCURRENT_FINDINGS)
        .try_collect()
        .await?;
    for outcome in outcomes {
        match outcome {
            FindingOutcome::Raised(_) => line.raised += 1,
            FindingOutcome::Relapsed(_) => line.relapsed += 1,
            FindingOutcome::AlreadyOpen(_) => line.already_open += 1,
            FindingOutcome::Dismissed(_) => line.dismissed += 1,
            FindingOutcome::ReminderClosed(_) => line.reminders_closed += 1,
        }
    }
    Ok(line)
}
