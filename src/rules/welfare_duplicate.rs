//! `welfare_duplicate` (重复发放): one person paid twice from the same fund for the same
//! month, by one village or by two.
//!
//! Each payment is keyed by recipient, fund and month; the keys are sorted to find those
//! that repeat, and a second pass collects the rows of each, so a million payments need
//! no million-entry hash table. A repeated subject is a finding listing every row.
//! Funds that may legitimately pay several times a month (such as temporary assistance,
//! 临时救助) can be exempted.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::index::{FxMap, id_key};
use super::support::Tally;
use super::welfare::{self, Collision, FundKeys, subject_key};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::rows::WelfarePaymentRow;
use crate::import::value::Fund;

/// The key of a payment not checked; no subject key reaches it, since the ID fills only
/// the low 57 of the top 64 bits.
const EXEMPT: u128 = u128::MAX;

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

    /// The subject key of each payment, [`EXEMPT`] for payments of exempt funds.
    fn keys(&self, payments: &[WelfarePaymentRow]) -> Vec<u128> {
        let mut fund_keys = FundKeys::default();
        payments
            .iter()
            .map(|payment| {
                if self.exempt.contains(&payment.fund) {
                    return EXEMPT;
                }
                let id = id_key(&payment.recipient_id);
                subject_key(id, fund_keys.key(&payment.fund), payment.period)
            })
            .collect()
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
            detail: format!(
                "同月同类资金发放{}笔（{}），{place}",
                payments.len(),
                ids.join("、")
            ),
            references: Vec::new(),
            values: vec![("rows", payments.len().into())],
            threshold: json!({
                "max_payments_per_month": 1,
                "exempt_funds": welfare::fund_names(&self.params.exempt_funds),
            }),
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
        let keys = self.keys(payments);
        let mut sorted: Vec<u128> = keys.iter().copied().filter(|k| *k != EXEMPT).collect();
        sorted.sort_unstable();
        let mut tally = Tally {
            checked: welfare::count_sorted_distinct(&sorted),
            ..Tally::default()
        };
        // The subjects seen more than once, then the rows of each, in file order.
        let mut repeated: FxMap<u128, Vec<usize>> = sorted
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| (pair[0], Vec::new()))
            .collect();
        if !repeated.is_empty() {
            for (i, key) in keys.iter().enumerate() {
                if let Some(rows) = repeated.get_mut(key) {
                    rows.push(i);
                }
            }
        }
        for rows in repeated.into_values() {
            let rows: Vec<_> = rows.iter().filter_map(|&i| payments.get(i)).collect();
            tally.findings.extend(self.finding(rows));
        }
        tally.report(&self.meta)
    }
}
