//! `lease_expiring` (合同到期提醒, a yellow reminder): a village lease ending within
//! `remind_days` days of `as_of` with no newer contract for the same asset.
//!
//! A newer contract is another contract of the same village for the same asset (the
//! asset names compared after trimming) whose term ends later: the asset has been let
//! again, by tender or renewal, and needs no reminder. Leases already ended are not
//! reminders any more and are left to the village's own records.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::support::{Evidence, Tally, add_days, compared, days_between};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::domain::region::RegionCode;
use crate::import::DatasetKind;
use crate::import::rows::ContractRow;

/// `[rules.lease_expiring.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// How many days before a lease ends the reminder is raised.
    pub remind_days: u32,
}

impl CheckParams for Params {}

/// The rule, built from its catalogue entry.
pub struct LeaseExpiring {
    meta: RuleMeta,
    params: Params,
}

impl LeaseExpiring {
    pub fn new(meta: RuleMeta, params: Params) -> LeaseExpiring {
        LeaseExpiring { meta, params }
    }

    fn judge(&self, as_of: NaiveDate, latest_end: NaiveDate, c: &ContractRow) -> Option<Finding> {
        let horizon = add_days(as_of, self.params.remind_days)?;
        if c.term_end < as_of || c.term_end > horizon || latest_end > c.term_end {
            return None;
        }
        let left = days_between(as_of, c.term_end);
        let summary = format!(
            "合同{}（{}，承包方{}）将于{}到期（剩余{left}天），尚无续包或重新发包合同。",
            c.contract_id, c.asset, c.counterparty, c.term_end
        );
        let evidence = Evidence {
            compared: vec![compared(
                DatasetKind::Contracts,
                c.contract_id.as_str(),
                c.source_row,
            )],
            values: json!({"term_end": c.term_end, "as_of": as_of, "days_left": left}),
            threshold: json!({"remind_days": self.params.remind_days}),
        };
        let subject = format!("contract:{}", c.contract_id);
        let title = "合同即将到期未重新发包";
        Some(
            self.meta
                .finding(subject, c.village_code, title, summary, evidence),
        )
    }
}

impl Rule for LeaseExpiring {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        // The latest term end of each village's asset, to tell whether it was let again.
        let mut latest: HashMap<(RegionCode, &str), NaiveDate> = HashMap::new();
        for c in &data.contracts {
            let end = latest
                .entry((c.village_code, c.asset.trim()))
                .or_insert(c.term_end);
            *end = (*end).max(c.term_end);
        }
        let mut tally = Tally::default();
        for c in &data.contracts {
            let latest_end = latest
                .get(&(c.village_code, c.asset.trim()))
                .copied()
                .unwrap_or(c.term_end);
            tally.judged(self.judge(data.as_of, latest_end, c));
        }
        tally.report(&self.meta)
    }
}
