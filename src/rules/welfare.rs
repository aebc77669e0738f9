//! What the six welfare collisions (数据碰撞) share: grouping payments into subjects, the
//! fast pass over a million payments, and the shape of their findings.
//!
//! The subject of a welfare finding is one recipient's payment from one fund for one
//! month, `welfare:<fund>:<period>:<recipient id>`, however many payment rows it has: a
//! village that pays the same month twice has one problem to rectify per person, not
//! one per row. [`collide`] makes one pass over the payments, keying each by an integer
//! built from the recipient's ID, the fund and the month (no string is cloned or hashed
//! per row), and asks the rule's `judge` about each payment; only the payments judged
//! to collide are kept beyond the keys, which are sorted to count the subjects.

use serde_json::{Map, Value, json};

use super::index::{FxMap, id_key};
use super::support::compared;
use super::{Finding, RuleMeta, RuleReport, support::Evidence, support::Tally};
use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::import::DatasetKind;
use crate::import::rows::WelfarePaymentRow;
use crate::import::value::Fund;

/// Small integers for funds: the four known ones fixed, other names numbered as met.
#[derive(Default)]
pub(super) struct FundKeys<'a> {
    others: FxMap<&'a str, u32>,
}

impl<'a> FundKeys<'a> {
    pub fn key(&mut self, fund: &'a Fund) -> u32 {
        match fund {
            Fund::Dibao => 0,
            Fund::Wubao => 1,
            Fund::HouseRenovation => 2,
            Fund::Disability => 3,
            Fund::Other(name) => {
                let next = 4 + u32::try_from(self.others.len()).unwrap_or(u32::MAX - 4);
                *self.others.entry(name.as_str()).or_insert(next)
            }
        }
    }
}

/// One integer per (recipient, fund key, month).
pub(super) fn subject_key(id: u64, fund: u32, period: Period) -> u128 {
    let month = i64::from(period.year()) * 12 + i64::from(period.month());
    // Months of four-digit years fit in 32 bits; truncation cannot merge two of them.
    (u128::from(id) << 64) | (u128::from(fund) << 32) | u128::from(month as u32)
}

/// The colliding payments of one flagged subject: (index in the payments, what the
/// payment collided with).
pub(super) type Group<R> = Vec<(usize, R)>;

/// What [`collide`] found.
pub(super) struct Collisions<R> {
    /// Distinct subjects among the payments of the checked funds.
    pub subjects: u64,
    /// The flagged subjects, each with its colliding payments in file order.
    pub flagged: Vec<Group<R>>,
}

/// Judges every payment of `funds` (all funds if `None`); `judge` gets the recipient's ID
/// key and the payment and says what, if anything, it collides with.
pub(super) fn collide<'a, R>(
    payments: &'a [WelfarePaymentRow],
    funds: Option<&[Fund]>,
    mut judge: impl FnMut(u64, &'a WelfarePaymentRow) -> Option<R>,
) -> Collisions<R> {
    let mut fund_keys = FundKeys::default();
    let mut keys: Vec<u128> = Vec::with_capacity(payments.len());
    let mut hits: Vec<(u128, usize, R)> = Vec::new();
    for (i, payment) in payments.iter().enumerate() {
        if funds.is_some_and(|funds| !funds.contains(&payment.fund)) {
            continue;
        }
        let id = id_key(&payment.recipient_id);
        let key = subject_key(id, fund_keys.key(&payment.fund), payment.period);
        keys.push(key);
        if let Some(hit) = judge(id, payment) {
            hits.push((key, i, hit));
        }
    }
    // A stable sort keeps each subject's payments in file order.
    hits.sort_by_key(|(key, _, _)| *key);
    let mut flagged: Vec<Group<R>> = Vec::new();
    let mut last = None;
    for (key, i, hit) in hits {
        if last != Some(key) {
            flagged.push(Vec::new());
            last = Some(key);
        }
        if let Some(group) = flagged.last_mut() {
            group.push((i, hit));
        }
    }
    Collisions {
        subjects: count_distinct(keys),
        flagged,
    }
}

/// The number of distinct keys. Sorting a flat array is several times faster than
/// inserting a million keys into a hash set, whose table outgrows the processor's caches.
pub(super) fn count_distinct(mut keys: Vec<u128>) -> u64 {
    keys.sort_unstable();
    count_sorted_distinct(&keys)
}

/// The number of distinct keys in a sorted slice.
pub(super) fn count_sorted_distinct(sorted: &[u128]) -> u64 {
    let changes = sorted.windows(2).filter(|pair| pair[0] != pair[1]).count();
    let distinct = if sorted.is_empty() { 0 } else { changes + 1 };
    u64::try_from(distinct).unwrap_or(u64::MAX)
}

/// The report when the registry a rule collides with is empty: every subject is
/// counted as not judged, since an empty registry proves nothing.
pub(super) fn not_judged(
    meta: &RuleMeta,
    payments: &[WelfarePaymentRow],
    funds: Option<&[Fund]>,
) -> RuleReport {
    let found = collide(payments, funds, |_, _| None::<()>);
    let tally = Tally {
        not_judged: found.subjects,
        ..Tally::default()
    };
    tally.report(meta)
}

/// The report of a collision pass; `finding` describes one flagged subject.
pub(super) fn report<R>(
    meta: &RuleMeta,
    found: Collisions<R>,
    finding: impl Fn(&[(usize, R)]) -> Option<Finding>,
) -> RuleReport {
    let tally = Tally {
        checked: found.subjects,
        not_judged: 0,
        findings: found.flagged.iter().filter_map(|g| finding(g)).collect(),
    };
    tally.report(meta)
}

/// The description of one flagged subject that a welfare rule writes.
pub(super) struct Collision<'a> {
    /// The colliding payment rows of the subject, at least one.
    pub payments: Vec<&'a WelfarePaymentRow>,
    /// The title without the fund, such as 对象名下有车辆; the fund's name is put first.
    pub title: String,
    /// The end of the summary sentence, saying what the recipient collided with.
    pub detail: String,
    /// The registry rows compared, each from [`compared`].
    pub references: Vec<Value>,
    /// Values beyond the payments', such as the vehicles' plates and dates.
    pub values: Vec<(&'static str, Value)>,
    pub threshold: Value,
}

impl Collision<'_> {
    /// The finding: subject and region from the first payment, evidence listing every
    /// payment and registry row compared.
    pub fn finding(self, meta: &RuleMeta) -> Option<Finding> {
        let first = *self.payments.first()?;
        let total = self
            .payments
            .iter()
            .try_fold(Fen::ZERO, |sum, p| sum.checked_add(p.amount))
            .unwrap_or(first.amount);
        let fund = first.fund.chinese_name();
        let summary = format!(
            "{}（{}）{}领取{fund}{total}元，{}。",
            first.recipient_name,
            first.recipient_id.masked(),
            first.period,
            self.detail
        );
        let mut values = Map::new();
        values.insert("recipient".into(), first.recipient_id.masked().into());
        values.insert("recipient_name".into(), first.recipient_name.clone().into());
        values.insert("fund".into(), first.fund.chinese_name().into());
        values.insert("period".into(), first.period.to_string().into());
        let payments: Vec<Value> = self.payments.iter().map(|p| payment_values(p)).collect();
        values.insert("payments".into(), payments.into());
        values.extend(self.values.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let mut rows: Vec<Value> = self.payments.iter().map(|p| payment_compared(p)).collect();
        rows.extend(self.references);
        let evidence = Evidence {
            compared: rows,
            values: Value::Object(values),
            threshold: self.threshold,
        };
        let title = format!("{fund}{}", self.title);
        Some(meta.finding(subject(first), first.village_code, title, summary, evidence))
    }
}

/// `welfare:<fund>:<period>:<recipient id>`.
pub(super) fn subject(payment: &WelfarePaymentRow) -> String {
    format!(
        "welfare:{}:{}:{}",
        payment.fund.as_str(),
        payment.period,
        payment.recipient_id.as_str()
    )
}

/// A payment row as compared evidence.
pub(super) fn payment_compared(payment: &WelfarePaymentRow) -> Value {
    compared(
        DatasetKind::WelfarePayments,
        payment.payment_id.as_str(),
        payment.source_row,
    )
}

/// A payment's values as shown in evidence.
pub(super) fn payment_values(payment: &WelfarePaymentRow) -> Value {
    json!({
        "payment_id": payment.payment_id,
        "village_code": payment.village_code,
        "paid_on": payment.paid_on,
        "amount_yuan": payment.amount.to_string(),
    })
}

/// The funds named in a rule's parameters by their Chinese names, as evidence shows
/// them (the catalogue may name them by their codes, `dibao`).
pub(super) fn fund_names(names: &[String]) -> Vec<String> {
    let funds = names.iter().map(|name| Fund::parse(name));
    funds.map(|fund| fund.chinese_name().to_owned()).collect()
}

/// The funds named in a rule's parameters, as funds (Chinese or English names).
pub(super) fn parse_funds(names: &[String]) -> Vec<Fund> {
    names.iter().map(|name| Fund::parse(name)).collect()
}

/// Checks a `funds` parameter: at least one fund, none blank.
pub(super) fn check_funds(names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Err("funds: list at least one fund (such as \"dibao\")".to_owned());
    }
    if names.iter().any(|n| n.trim().is_empty()) {
        return Err("funds: a fund name is blank".to_owned());
    }
    Ok(())
}

/// The payment rows of a group, in payment order.
pub(super) fn rows<'a, R>(
    payments: &'a [WelfarePaymentRow],
    group: &[(usize, R)],
) -> Vec<&'a WelfarePaymentRow> {
    group.iter().filter_map(|(i, _)| payments.get(*i)).collect()
}
