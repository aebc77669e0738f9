//! `lease_over_limit` (资产发包超限): a village asset leased for longer than the law allows,
//! or for a large amount without prior approval.
//!
//! Two readings of "beyond the limit", either of which flags the contract:
//! - the term is longer than `max_term_years` (the Civil Code caps leases at twenty
//!   years). Terms are inclusive of both dates, so 2024-01-10 to 2044-01-09 is exactly
//!   twenty years and in order, while one more day is over;
//! - the amount is above `max_amount_yuan` and the contract was not approved before it
//!   was signed. Contracts record only an approval date; large leases are approved by the
//!   town (乡镇审核), so a missing date, or one after signing, is a lease concluded without
//!   the required approval.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, compared, yuan};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::ContractRow;

/// `[rules.lease_over_limit.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The longest term allowed, in years.
    pub max_term_years: u32,
    /// Above this amount (yuan) a contract needs approval before it is signed.
    pub max_amount_yuan: u64,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        if self.max_term_years == 0 {
            return Err("max_term_years: must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// The rule, built from its catalogue entry.
pub struct LeaseOverLimit {
    meta: RuleMeta,
    params: Params,
}

impl LeaseOverLimit {
    pub fn new(meta: RuleMeta, params: Params) -> LeaseOverLimit {
        LeaseOverLimit { meta, params }
    }

    /// Whether the inclusive term is longer than the limit: it ends on or after the day
    /// the limit's years from its start come round.
    fn term_too_long(&self, contract: &ContractRow) -> bool {
        let months = Months::new(self.params.max_term_years.saturating_mul(12));
        let limit: Option<NaiveDate> = contract.term_start.checked_add_months(months);
        limit.is_some_and(|limit| contract.term_end >= limit)
    }

    fn unapproved_large(&self, contract: &ContractRow) -> bool {
        let approved_first = contract
            .approved_on
            .is_some_and(|approved| approved <= contract.signed_on);
        contract.amount > yuan(self.params.max_amount_yuan) && !approved_first
    }

    fn judge(&self, contract: &ContractRow) -> Option<Finding> {
        let mut reasons = Vec::new();
        if self.term_too_long(contract) {
            reasons.push(format!(
                "期限{}至{}超过{}年",
                contract.term_start, contract.term_end, self.params.max_term_years
            ));
        }
        if self.unapproved_large(contract) {
            let approval = match contract.approved_on {
                Some(day) => format!("审批日期{day}晚于签订日期{}", contract.signed_on),
                None => "无审批记录".to_owned(),
            };
            reasons.push(format!(
                "金额{}元超过{}元且{approval}",
                contract.amount,
                yuan(self.params.max_amount_yuan)
            ));
        }
        if reasons.is_empty() {
            return None;
        }
        let summary = format!(
            "合同{}（{}，承包方{}）{}。",
            contract.contract_id,
            contract.asset,
            contract.counterparty,
            reasons.join("，")
        );
        let evidence = Evidence {
            compared: vec![compared(
                DatasetKind::Contracts,
                contract.contract_id.as_str(),
                contract.source_row,
            )],
            values: json!({
                "term_start": contract.term_start,
                "term_end": contract.term_end,
                "amount_yuan": contract.amount.to_string(),
                "signed_on": contract.signed_on,
                "approved_on": contract.approved_on,
            }),
            threshold: json!({
                "max_term_years": self.params.max_term_years,
                "max_amount_yuan": self.params.max_amount_yuan,
            }),
        };
        let subject = format!("contract:{}", contract.contract_id);
        let title = "资产发包超限";
        Some(
            self.meta
                .finding(subject, contract.village_code, title, summary, evidence),
        )
    }
}

impl Rule for LeaseOverLimit {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let mut tally = Tally::default();
        for contract in &data.contracts {
            tally.judged(self.judge(contract));
        }
        tally.report(&self.meta)
    }
}
