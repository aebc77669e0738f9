//! `disclosure_late` (公开不到位): a contract not disclosed within `disclose_within_days`
//! days of signing, or a project not disclosed within that many days of starting.
//!
//! A subject never disclosed is flagged once the period has run out as of `as_of`; one
//! still within its period is judged in order for now. Disclosure before signing or
//! starting (a notice of intent) is in time.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, add_days, compared, days_between};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::domain::region::RegionCode;
use crate::import::DatasetKind;

/// `[rules.disclosure_late.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Days after signing (contracts) or starting (projects) to disclose within.
    pub disclose_within_days: u32,
}

impl CheckParams for Params {}

/// What is judged, whichever its dataset.
struct Subject<'a> {
    dataset: DatasetKind,
    id: &'a str,
    row: usize,
    region: RegionCode,
    /// 合同 or 项目, and its name, for the sentence.
    noun: &'static str,
    name: &'a str,
    /// 签订 or 开工: what the period runs from.
    event: &'static str,
    start: NaiveDate,
    disclosed_on: Option<NaiveDate>,
}

/// The rule, built from its catalogue entry.
pub struct DisclosureLate {
    meta: RuleMeta,
    params: Params,
}

impl DisclosureLate {
    pub fn new(meta: RuleMeta, params: Params) -> DisclosureLate {
        DisclosureLate { meta, params }
    }

    fn judge(&self, as_of: NaiveDate, s: &Subject<'_>) -> Option<Finding> {
        let deadline = add_days(s.start, self.params.disclose_within_days)?;
        let how = match s.disclosed_on {
            Some(day) if day > deadline => {
                let late = days_between(deadline, day);
                format!("{day}才公开，超期{late}天")
            }
            None if as_of > deadline => {
                let late = days_between(deadline, as_of);
                format!("截至{as_of}仍未公开，超期{late}天")
            }
            _ => return None,
        };
        let summary = format!(
            "{}{}（{}）于{}{}，应在{}前公开，{how}。",
            s.noun, s.id, s.name, s.start, s.event, deadline
        );
        let evidence = Evidence {
            compared: vec![compared(s.dataset, s.id, s.row)],
            values: json!({
                "start": s.start,
                "disclosed_on": s.disclosed_on,
                "deadline": deadline,
                "as_of": as_of,
            }),
            threshold: json!({"disclose_within_days": self.params.disclose_within_days}),
        };
        let prefix = match s.dataset {
            DatasetKind::Projects => "project",
            _ => "contract",
        };
        let subject = format!("{prefix}:{}", s.id);
        let title = format!("{}未按时公开", s.noun);
        Some(
            self.meta
                .finding(subject, s.region, title, summary, evidence),
        )
    }
}

impl Rule for DisclosureLate {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let contracts = data.contracts.iter().map(|c| Subject {
            dataset: DatasetKind::Contracts,
            id: &c.contract_id,
            row: c.source_row,
            region: c.village_code,
            noun: "合同",
            name: &c.asset,
            event: "签订",
            start: c.signed_on,
            disclosed_on: c.disclosed_on,
        });
        let projects = data.projects.iter().map(|p| Subject {
            dataset: DatasetKind::Projects,
            id: &p.project_id,
            row: p.source_row,
            region: p.village_code,
            noun: "项目",
            name: &p.name,
            event: "开工",
            start: p.started_on,
            disclosed_on: p.disclosed_on,
        });
        let mut tally = Tally::default();
        for subject in contracts.chain(projects) {
            tally.judged(self.judge(data.as_of, &subject));
        }
        tally.report(&self.meta)
    }
}
