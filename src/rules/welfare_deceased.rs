//! `welfare_deceased` (死亡人员仍领取): a payment made to a person after their registered
//! death.
//!
//! The payment date, not the month it is for, is compared with the date of death: money
//! that left the account after the death is what must be recovered. `grace_days` allows
//! for a payroll already sent to the bank before the death was registered.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::index::{IdIndex, id_key};
use super::support::{compared, days_between};
use super::welfare::{self, Collision};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::DeathRow;

/// `[rules.welfare_deceased.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Days after the death within which a payment is not flagged (0: any later day).
    pub grace_days: u32,
}

impl CheckParams for Params {}

/// The rule, built from its catalogue entry.
pub struct WelfareDeceased {
    meta: RuleMeta,
    params: Params,
}

impl WelfareDeceased {
    pub fn new(meta: RuleMeta, params: Params) -> WelfareDeceased {
        WelfareDeceased { meta, params }
    }

    /// Whether a payment on `paid_on` came too long after the death `death`.
    fn after(&self, death: &DeathRow, paid_on: chrono::NaiveDate) -> bool {
        days_between(death.died_on, paid_on) > i64::from(self.params.grace_days)
    }

    fn finding(
        &self,
        data: &Data,
        deaths: &IdIndex<usize>,
        group: &[(usize, ())],
    ) -> Option<Finding> {
        let payments = welfare::rows(&data.welfare_payments, group);
        let first = *payments.first()?;
        let death = deaths
            .get(id_key(&first.recipient_id))
            .iter()
            .filter_map(|&i| data.deaths.get(i))
            .min_by_key(|d| d.died_on)?;
        let paid: Vec<String> = payments.iter().map(|p| p.paid_on.to_string()).collect();
        let key = death.person_id.masked();
        let shown: Value = json!({"died_on": death.died_on});
        Collision {
            title: "发放对象已死亡".to_owned(),
            detail: format!("其已于{}死亡，发放日为{}", death.died_on, paid.join("、")),
            references: vec![compared(DatasetKind::Deaths, key, death.source_row)],
            values: vec![("death", shown)],
            threshold: json!({"grace_days": self.params.grace_days}),
            payments,
        }
        .finding(&self.meta)
    }
}

impl Rule for WelfareDeceased {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        if data.deaths.is_empty() {
            return welfare::not_judged(&self.meta, &data.welfare_payments, None);
        }
        let pairs = data.deaths.iter().enumerate();
        let deaths = IdIndex::build(pairs.map(|(i, d)| (id_key(&d.person_id), i)).collect());
        let found = welfare::collide(&data.welfare_payments, None, |id, payment| {
            let rows = deaths.get(id).iter().filter_map(|&i| data.deaths.get(i));
            rows.into_iter()
                .any(|d| self.after(d, payment.paid_on))
                .then_some(())
        });
        welfare::report(&self.meta, found, |group| {
            self.finding(data, &deaths, group)
        })
    }
}
