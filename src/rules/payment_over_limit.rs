//! `payment_over_limit` (额度超标): a village payment larger than the level that approved
//! it may approve.
//!
//! The limit is the approval level's (village or town). A payment with no approval
//! level recorded cannot be compared with a limit and is counted as not judged; a
//! payment with no approval at all is `payment_before_approval`'s finding.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, compared, shown_party, yuan};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::VillagePaymentRow;
use crate::import::value::ApprovalLevel;

/// `[rules.payment_over_limit.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The most a village-level approval may authorise, in yuan.
    pub village_limit_yuan: u64,
    /// The most a town-level approval may authorise, in yuan.
    pub town_limit_yuan: u64,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        if self.town_limit_yuan < self.village_limit_yuan {
            return Err("town_limit_yuan: must not be below village_limit_yuan".to_owned());
        }
        Ok(())
    }
}

/// The rule, built from its catalogue entry.
pub struct PaymentOverLimit {
    meta: RuleMeta,
    params: Params,
}

impl PaymentOverLimit {
    pub fn new(meta: RuleMeta, params: Params) -> PaymentOverLimit {
        PaymentOverLimit { meta, params }
    }

    fn judge(&self, payment: &VillagePaymentRow, level: ApprovalLevel) -> Option<Finding> {
        let (limit_yuan, level_zh) = match level {
            ApprovalLevel::Village => (self.params.village_limit_yuan, "村级"),
            ApprovalLevel::Town => (self.params.town_limit_yuan, "镇级"),
        };
        let limit = yuan(limit_yuan);
        if payment.amount <= limit {
            return None;
        }
        let summary = format!(
            "支付{}于{}向{}（{}）支付{}元（{}），超出{level_zh}审批限额{limit}元。",
            payment.payment_id,
            payment.paid_on,
            payment.payee,
            shown_party(&payment.payee_id),
            payment.amount,
            payment.purpose
        );
        let evidence = Evidence {
            compared: vec![compared(
                DatasetKind::VillagePayments,
                payment.payment_id.as_str(),
                payment.source_row,
            )],
            values: json!({
                "amount_yuan": payment.amount.to_string(),
                "approval_level": level_zh,
                "approved_on": payment.approved_on,
            }),
            threshold: json!({
                "village_limit_yuan": self.params.village_limit_yuan,
                "town_limit_yuan": self.params.town_limit_yuan,
            }),
        };
        let subject = format!("village_payment:{}", payment.payment_id);
        let title = "支付金额超出审批权限";
        Some(
            self.meta
                .finding(subject, payment.village_code, title, summary, evidence),
        )
    }
}

impl Rule for PaymentOverLimit {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let mut tally = Tally::default();
        for payment in &data.village_payments {
            match payment.approval_level {
                Some(level) => tally.judged(self.judge(payment, level)),
                None => tally.not_judged += 1,
            }
        }
        tally.report(&self.meta)
    }
}
