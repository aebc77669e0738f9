//! `tender_required` (该招未招): a project whose budget, or a contract whose amount, reaches
//! the tender threshold, let without a public tender.
//!
//! Projects and contracts are both subjects (`project:<id>`, `contract:<id>`). The
//! threshold is inclusive: a budget exactly at it must be tendered.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, compared, yuan};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::{ContractRow, ProjectRow};
use crate::import::value::Procurement;

/// `[rules.tender_required.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Budgets and contract amounts at or above this many yuan must be tendered.
    pub tender_threshold_yuan: u64,
}

impl CheckParams for Params {}

/// The rule, built from its catalogue entry.
pub struct TenderRequired {
    meta: RuleMeta,
    params: Params,
}

impl TenderRequired {
    pub fn new(meta: RuleMeta, params: Params) -> TenderRequired {
        TenderRequired { meta, params }
    }

    fn threshold(&self) -> serde_json::Value {
        json!({"tender_threshold_yuan": self.params.tender_threshold_yuan})
    }

    fn judge_project(&self, project: &ProjectRow) -> Option<Finding> {
        let threshold = yuan(self.params.tender_threshold_yuan);
        if project.budget < threshold || project.procurement == Procurement::Tender {
            return None;
        }
        let how = match project.procurement {
            Procurement::Quote => "询价/比选",
            Procurement::Direct => "直接发包",
            Procurement::Tender => "招标",
        };
        let summary = format!(
            "项目{}（{}）预算{}元，达到招标限额{threshold}元，但采用{how}方式。",
            project.project_id, project.name, project.budget
        );
        let evidence = Evidence {
            compared: vec![compared(
                DatasetKind::Projects,
                project.project_id.as_str(),
                project.source_row,
            )],
            values: json!({"budget_yuan": project.budget.to_string(), "procurement": how}),
            threshold: self.threshold(),
        };
        let subject = format!("project:{}", project.project_id);
        let title = "项目应招标未招标";
        Some(
            self.meta
                .finding(subject, project.village_code, title, summary, evidence),
        )
    }

    fn judge_contract(&self, contract: &ContractRow) -> Option<Finding> {
        let threshold = yuan(self.params.tender_threshold_yuan);
        if contract.amount < threshold || contract.tendered {
            return None;
        }
        let summary = format!(
            "合同{}（{}，承包方{}）金额{}元，达到招标限额{threshold}元，但未公开招标。",
            contract.contract_id, contract.asset, contract.counterparty, contract.amount
        );
        let evidence = Evidence {
            compared: vec![compared(
                DatasetKind::Contracts,
                contract.contract_id.as_str(),
                contract.source_row,
            )],
            values: json!({"amount_yuan": contract.amount.to_string(), "tendered": contract.tendered}),
            threshold: self.threshold(),
        };
        let subject = format!("contract:{}", contract.contract_id);
        let title = "合同应招标未招标";
        Some(
            self.meta
                .finding(subject, contract.village_code, title, summary, evidence),
        )
    }
}

impl Rule for TenderRequired {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let mut tally = Tally::default();
        for project in &data.projects {
            tally.judged(self.judge_project(project));
        }
        for contract in &data.contracts {
            tally.judged(self.judge_contract(contract));
        }
        tally.report(&self.meta)
    }
}
