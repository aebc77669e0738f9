//! `payment_before_approval` (流程倒置): a village payment made before it was approved,
//! or never approved at all.
//!
//! Approval on the day of payment is in order: the datasets record days, not times, and
//! a same-day approval is the normal case for small payments.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, compared, days_between, shown_party};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::VillagePaymentRow;

/// `[rules.payment_before_approval.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Whether a payment with no approval date at all is flagged too.
    pub flag_missing_approval: bool,
}

impl CheckParams for Params {}

/// The rule, built from its catalogue entry.
pub struct PaymentBeforeApproval {
    meta: RuleMeta,
    params: Params,
}

impl PaymentBeforeApproval {
    pub fn new(meta: RuleMeta, params: Params) -> PaymentBeforeApproval {
        PaymentBeforeApproval { meta, params }
    }

    fn judge(&self, payment: &VillagePaymentRow) -> Option<Finding> {
        let (title, how) = match payment.approved_on {
            Some(approved) if approved > payment.paid_on => {
                let days = days_between(payment.paid_on, approved);
                (
                    "先支付后审批",
                    format!("审批日期为{approved}，晚于支付{days}天"),
                )
            }
            None if self.params.flag_missing_approval => {
                ("支付无审批记录", "无审批记录".to_owned())
            }
            _ => return None,
        };
        let summary = format!(
            "支付{}于{}向{}（{}）支付{}元（{}），{how}。",
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
                "paid_on": payment.paid_on,
                "approved_on": payment.approved_on,
                "amount_yuan": payment.amount.to_string(),
            }),
            threshold: json!({
                "approved_on": "不晚于支付日期",
                "flag_missing_approval": self.params.flag_missing_approval,
            }),
        };
        let subject = format!("village_payment:{}", payment.payment_id);
        Some(
            self.meta
                .finding(subject, payment.village_code, title, summary, evidence),
        )
    }
}

impl Rule for PaymentBeforeApproval {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let mut tally = Tally::default();
        for payment in &data.village_payments {
            tally.judged(self.judge(payment));
        }
        tally.report(&self.meta)
    }
}
