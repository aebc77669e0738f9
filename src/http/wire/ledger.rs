//! The wire shapes of outcomes, returns, notices, the ledger and the funnel.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::region_code_schema;
use crate::domain::region::RegionCode;
use crate::engine::{Engine, LedgerEntry};
use crate::projections::{Funnel, Projection};
use crate::regions::RegionTree;
use crate::workflow::{CaseRecord, Finding, Handling, NoticeKind, NoticeMark, Warning};

/// The outcome of a warning and the returns against it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub finding: Finding,
    /// 属实 / 部分属实 / 不属实.
    pub finding_label: String,
    pub handling: Vec<Handling>,
    pub people: u32,
    /// 应退缴, fen.
    pub amount_due_fen: i64,
    /// 已退缴, fen.
    pub recovered_fen: i64,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    /// How many times the outcome was recorded (more than 1: corrected).
    pub revisions: u32,
    /// 办结时间: when the outcome was recorded and everything due was returned.
    pub concluded_at: Option<DateTime<Utc>>,
    pub recoveries: Vec<RecoveryView>,
}

/// One return of money (退缴).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryView {
    pub amount_fen: i64,
    pub date: NaiveDate,
    pub receipt: String,
    pub recorded_at: DateTime<Utc>,
}

impl CaseView {
    pub fn of(case: &CaseRecord) -> CaseView {
        let o = &case.outcome;
        CaseView {
            finding: o.finding,
            finding_label: o.finding.label().to_string(),
            handling: o.handling.clone(),
            people: o.people,
            amount_due_fen: o.amount_due.fen(),
            recovered_fen: case.recovered().fen(),
            note: o.note.clone(),
            recorded_at: o.recorded_at,
            revisions: o.revisions,
            concluded_at: case.concluded_at(),
            recoveries: case
                .recoveries
                .iter()
                .map(|r| RecoveryView {
                    amount_fen: r.amount.fen(),
                    date: r.date,
                    receipt: r.receipt.clone(),
                    recorded_at: r.recorded_at,
                })
                .collect(),
        }
    }
}

/// A supervision notice (督办通知书) of a warning.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub kind: NoticeKind,
    /// e.g. `清风督〔2026〕12号`.
    pub number: String,
    pub at: DateTime<Utc>,
    /// The printable page.
    pub url: String,
}

impl NoticeView {
    pub fn of(warning: &str, index: usize, mark: &NoticeMark, number: String) -> NoticeView {
        NoticeView {
            kind: mark.kind,
            number,
            at: mark.at,
            url: format!("/screens/notices/{warning}/{}", index + 1),
        }
    }

    /// Every notice of a warning, numbered.
    pub fn all(engine: &Engine, w: &Warning) -> Vec<NoticeView> {
        w.notices
            .iter()
            .enumerate()
            .filter_map(|(i, mark)| {
                let number = engine.notice_number(mark)?;
                Some(NoticeView::of(&w.id, i, mark, number))
            })
            .collect()
    }
}

/// One row of the ledger (疑似问题线索台账).
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerRow {
    pub id: String,
    /// 线索来源: `rule` (数据碰撞), `public_report` (群众反映) or `manual` (人工录入).
    pub source: String,
    pub source_label: String,
    /// The rule's code; null when raised by hand.
    pub rule: Option<String>,
    /// 问题类型: the rule's name, or the warning's title when raised by hand.
    pub problem: String,
    #[schema(schema_with = region_code_schema)]
    pub region: String,
    pub region_name: Option<String>,
    pub town_name: Option<String>,
    /// 发现时间.
    pub raised_at: DateTime<Utc>,
    pub state: crate::workflow::Step,
    /// Null until an outcome is recorded.
    pub case: Option<CaseView>,
    pub notices: Vec<NoticeView>,
}

impl LedgerRow {
    pub fn of(
        tree: &RegionTree,
        rule_name: &dyn Fn(&str) -> Option<String>,
        e: &LedgerEntry,
    ) -> LedgerRow {
        let w = &e.warning;
        let (source, source_label) = match w.rule() {
            Some(crate::workflow::warning::PUBLIC_REPORT_RULE) => ("public_report", "群众反映"),
            Some(_) => ("rule", "数据碰撞"),
            None => ("manual", "人工录入"),
        };
        let town = crate::projections::supervision::town_of(w.region);
        LedgerRow {
            id: w.id.clone(),
            source: source.into(),
            source_label: source_label.into(),
            rule: w.rule().map(str::to_string),
            problem: w
                .rule()
                .and_then(rule_name)
                .unwrap_or_else(|| w.title.clone()),
            region: w.region.as_str().to_string(),
            region_name: tree.get(&w.region).map(|r| r.name.clone()),
            town_name: tree.get(&town).map(|r| r.name.clone()),
            raised_at: w.raised_at,
            state: w.step,
            case: w.case.as_deref().map(CaseView::of),
            notices: e
                .notices
                .iter()
                .enumerate()
                .map(|(i, (mark, number))| NoticeView::of(&w.id, i, mark, number.clone()))
                .collect(),
        }
    }
}

/// `GET /api/ledger`: a page of rows, newest found first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerPageView {
    /// How many rows match in all, when known without walking more than 5,000; else null.
    pub total: Option<usize>,
    pub limit: usize,
    pub next: Option<String>,
    pub items: Vec<LedgerRow>,
}

/// One town's (or the whole region's) funnel.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelRow {
    #[schema(schema_with = region_code_schema)]
    pub code: String,
    pub name: Option<String>,
    #[serde(flatten)]
    pub funnel: Funnel,
}

/// One rule's findings: its precision is the share found true among those judged.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulePrecision {
    /// The rule's code; empty for warnings raised by hand.
    pub rule: String,
    pub name: Option<String>,
    #[serde(flatten)]
    pub funnel: Funnel,
    /// 不属实 among those judged, 0–1; null before any was judged.
    pub untrue_share: Option<f64>,
}

/// `GET /api/funnel`: whether supervision works, for one year of warnings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelView {
    pub year: i32,
    pub total: FunnelRow,
    pub towns: Vec<FunnelRow>,
    pub rules: Vec<RulePrecision>,
}

impl FunnelView {
    /// The funnel of `year`'s warnings within `code`, from the projection.
    pub fn of(
        p: &Projection,
        tree: &RegionTree,
        code: &RegionCode,
        year: i32,
        rule_name: &dyn Fn(&str) -> Option<String>,
    ) -> FunnelView {
        let (total, towns) = p.supervision.funnel(year, code);
        let row = |code: &RegionCode, funnel: Funnel| FunnelRow {
            code: code.as_str().to_string(),
            name: tree.get(code).map(|r| r.name.clone()),
            funnel,
        };
        FunnelView {
            year,
            total: row(code, total),
            towns: towns.into_iter().map(|(c, f)| row(&c, f)).collect(),
            rules: p
                .supervision
                .by_rule(year)
                .into_iter()
                .map(|(rule, funnel)| RulePrecision {
                    name: rule_name(&rule),
                    untrue_share: (funnel.judged > 0)
                        .then(|| funnel.unsubstantiated as f64 / funnel.judged as f64),
                    rule,
                    funnel,
                })
                .collect(),
        }
    }
}
