//! `contract_payment_overdue` (承包款逾期): an instalment of a village contract unpaid, or
//! paid in full only, more than `overdue_days` days after it was due.
//!
//! An instalment paid only in part is unpaid for the rest, so it is measured to `as_of`
//! like an unpaid one. An instalment paid late but in full stays a finding: the village
//! failed to collect on time even if the money came in since. The region is the
//! contract's village, so an instalment whose contract is not in the contracts dataset
//! cannot be placed and is counted as not judged.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, compared, days_between};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::{ContractPaymentRow, ContractRow};

/// `[rules.contract_payment_overdue.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Days after the due date beyond which an unpaid instalment is overdue.
    pub overdue_days: u32,
}

impl CheckParams for Params {}

/// The rule, built from its catalogue entry.
pub struct ContractPaymentOverdue {
    meta: RuleMeta,
    params: Params,
}

impl ContractPaymentOverdue {
    pub fn new(meta: RuleMeta, params: Params) -> ContractPaymentOverdue {
        ContractPaymentOverdue { meta, params }
    }

    fn judge(
        &self,
        data: &Data,
        contract: &ContractRow,
        due: &ContractPaymentRow,
    ) -> Option<Finding> {
        let paid_in_full = due.paid_amount.is_some_and(|paid| paid >= due.amount);
        let settled_on = due.paid_on.filter(|_| paid_in_full);
        let days = days_between(due.due_on, settled_on.unwrap_or(data.as_of));
        if due.amount.fen() <= 0 || days <= i64::from(self.params.overdue_days) {
            return None;
        }
        let (title, how) = match (settled_on, due.paid_amount) {
            (Some(paid_on), _) => ("承包款逾期缴纳", format!("于{paid_on}缴清，逾期{days}天")),
            (None, Some(paid)) => (
                "承包款逾期未缴清",
                format!("仅缴{paid}元，截至{}逾期{days}天", data.as_of),
            ),
            (None, None) => (
                "承包款逾期未缴",
                format!("截至{}逾期{days}天未缴", data.as_of),
            ),
        };
        let summary = format!(
            "合同{}（{}，承包方{}）{}应缴{}元，{how}。",
            contract.contract_id, contract.asset, contract.counterparty, due.due_on, due.amount
        );
        let key = format!("{}:{}", due.contract_id, due.due_on);
        let evidence = Evidence {
            compared: vec![
                compared(DatasetKind::ContractPayments, key, due.source_row),
                compared(
                    DatasetKind::Contracts,
                    contract.contract_id.as_str(),
                    contract.source_row,
                ),
            ],
            values: json!({
                "due_on": due.due_on,
                "amount_yuan": due.amount.to_string(),
                "paid_on": due.paid_on,
                "paid_amount_yuan": due.paid_amount.map(|p| p.to_string()),
                "as_of": data.as_of,
                "days_overdue": days,
            }),
            threshold: json!({"overdue_days": self.params.overdue_days}),
        };
        let subject = format!("contract_payment:{}:{}", due.contract_id, due.due_on);
        Some(
            self.meta
                .finding(subject, contract.village_code, title, summary, evidence),
        )
    }
}

impl Rule for ContractPaymentOverdue {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let mut contracts: HashMap<&str, &ContractRow> = HashMap::new();
        for contract in &data.contracts {
            contracts
                .entry(contract.contract_id.as_str())
                .or_insert(contract);
        }
        let mut tally = Tally::default();
        for due in &data.contract_payments {
            match contracts.get(due.contract_id.as_str()) {
                Some(contract) => tally.judged(self.judge(data, contract, due)),
                None => tally.not_judged += 1,
            }
        }
        tally.report(&self.meta)
    }
}
