//! `welfare_duplicate` (重复发放): one person paid twice from the same fund for the same
//! month, by one village or by two.
//!
//! Payments are grouped by recipient, fund and month in one pass; a group with more than
//! one row is a finding listing every row. Funds that may legitimately pay several times
//! a month (such as temporary assistance, 临时救助) can be exempted.

use std::collections::hash_map::Entry;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::index::{FxMap, fx_map, id_key};
use super::support::Tally;
use super::welfare::{self, Collision, FundKeys, subject_key};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::rows::WelfarePaymentRow;
use crate::import::value::Fund;

/// `[rules.welfare_duplicate.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Funds not checked, because they may pay more than once a month (may be empty).
    pub exempt_funds: Vec<String>,
}

impl CheckParams for Params {}

/// The rule, built from its catalogue entry.
pub struct WelfareDuplicate {
    meta: RuleMeta,
    params: Params,
    exempt: Vec<Fund>,
}

impl WelfareDuplicate {
    pub fn new(meta: RuleMeta, params: Params) -> WelfareDuplicate {
        let exempt = welfare::parse_funds(&params.exempt_funds);
        WelfareDuplicate {
            meta,
            params,
            exempt,
        }
    }

    fn finding(&self, payments: Vec<&WelfarePaymentRow>) -> Option<Finding> {
        let villages: Vec<String> = payments
            .iter()
            .map(|p| p.village_code.to_string())
            .collect();
        let mut distinct = villages.clone();
        distinct.sort();
        distinct.dedup();
        let place = if distinct.len() > 1 {
            format!("由{}个村社分别发放", distinct.len())
        } else {
            "由同一村社发放".to_owned()
        };
        let ids: Vec<&str> = payments.iter().map(|p| p.payment_id.as_str()).collect();
        Collision {
            title: "重复发放".to_owned(),
            detail: format!("同月同类资金发放{}笔（{}），{place}", payments.len(), ids.join("、")),
            references: Vec::new(),
            values: vec![("rows", payments.len().into())],
            threshold: json!({"max_payments_per_month": 1, "exempt_funds": self.params.exempt_funds}),
            payments,
        }
        .finding(&self.meta)
    }
}

impl Rule for WelfareDuplicate {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let payments = &data.welfare_payments;
        let mut fund_keys = FundKeys::default();
        // The first row of each subject, and the later rows of subjects seen again.
        let mut first: FxMap<u128, usize> = fx_map(payments.len());
        let mut repeats: FxMap<usize, Vec<usize>> = fx_map(0);
        let mut order = Vec::new();
        for (i, payment) in payments.iter().enumerate() {
            if self.exempt.contains(&payment.fund) {
                continue;
            }
            let id = id_key(&payment.recipient_id);
            let key = subject_key(id, fund_keys.key(&payment.fund), payment.period);
            match first.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
                Entry::Occupied(slot) => {
                    let head = *slot.get();
                    let later = repeats.entry(head).or_insert_with(|| {
                        order.push(head);
                        Vec::new()
                    });
                    later.push(i);
                }
            }
        }
        let mut tally = Tally {
            checked: u64::try_from(first.len()).unwrap_or(u64::MAX),
            ..Tally::default()
        };
        for head in order {
            let later = repeats.get(&head).map_or(&[][..], Vec::as_slice);
            let rows = std::iter::once(&head).chain(later);
            let rows: Vec<_> = rows.filter_map(|&i| payments.get(i)).collect();
            tally.findings.extend(self.finding(rows));
        }
        tally.report(&self.meta)
    }
}
