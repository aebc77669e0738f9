//! The public ledger (惠民资金公开): the welfare payments of every published month, with
//! recipients' names already masked, and the totals of every region. Built whole from the
//! imported payments and the publication decisions, then only read; pure.
//!
//! A month of a fund is public only while its decision says published **and** its imported
//! payments are still exactly what was published (their count and total): a re-import that
//! changes a published month takes it off the public pages until the city office publishes
//! it again, so nothing reaches the public that nobody decided to publish.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::mask::mask_name;
use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::import::rows::WelfarePaymentRow;
use crate::import::value::Fund;
use crate::regions::RegionTree;
use crate::store::PublicationRecord;

/// One fund's payments for one period.
pub type Month = (Fund, Period);

/// One payment as the public sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicPayment {
    /// The recipient's name, masked (`mask_name`).
    pub name: Box<str>,
    pub amount: Fen,
    pub paid_on: NaiveDate,
}

/// How many payments and how much.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Total {
    pub payments: u64,
    pub fen: i64,
}

impl Total {
    fn add(&mut self, fen: i64) {
        self.payments += 1;
        self.fen += fen;
    }

    pub fn merge(&mut self, other: Total) {
        self.payments += other.payments;
        self.fen += other.fen;
    }

    pub fn amount(self) -> Fen {
        Fen::from_fen(self.fen)
    }
}

/// Where a month stands with the public.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonthState {
    /// Imported, never published.
    Unpublished,
    Published,
    Withdrawn,
    /// Published, then re-imported with different payments: hidden until published again.
    Changed,
}

impl MonthState {
    pub fn as_str(self) -> &'static str {
        match self {
            MonthState::Unpublished => "unpublished",
            MonthState::Published => "published",
            MonthState::Withdrawn => "withdrawn",
            MonthState::Changed => "changed",
        }
    }
}

/// A payment found by 查本人.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnPayment {
    pub village: RegionCode,
    pub month: Month,
    pub payment: PublicPayment,
}

#[derive(Default)]
pub struct Ledger {
    /// Each village's published payments by month, ordered by date paid, then name.
    villages: HashMap<RegionCode, BTreeMap<Month, Vec<PublicPayment>>>,
    /// Each region's published totals by month (every level, rolled up).
    totals: HashMap<RegionCode, BTreeMap<Month, Total>>,
    /// Published payments by the key of the recipient's ID number and name.
    people: HashMap<[u8; 32], Vec<OwnPayment>>,
    /// Every imported month with its total and state.
    months: BTreeMap<Month, (Total, MonthState)>,
}

/// The key 查本人 finds a person's payments by: neither the ID number nor the name alone
/// finds anything, and the ledger keeps no ID number.
pub fn person_key(id: &str, name: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(id.trim().to_ascii_uppercase().as_bytes());
    hasher.update([0x1f]);
    hasher.update(name.trim().as_bytes());
    hasher.finalize().into()
}

impl Ledger {
    /// The ledger of the payments whose month is published and unchanged since.
    pub fn build(
        rows: &[WelfarePaymentRow],
        decisions: &[PublicationRecord],
        regions: &RegionTree,
    ) -> Ledger {
        let mut imported: BTreeMap<Month, Total> = BTreeMap::new();
        for row in rows {
            let month = (row.fund.clone(), row.period);
            imported.entry(month).or_default().add(row.amount.fen());
        }
        let months = month_states(imported, decisions);
        let mut ledger = Ledger::default();
        for row in rows {
            let month = (row.fund.clone(), row.period);
            if months.get(&month).map(|(_, state)| *state) != Some(MonthState::Published) {
                continue;
            }
            ledger.add(row, month, regions);
        }
        for months in ledger.villages.values_mut() {
            for payments in months.values_mut() {
                payments.sort_by(|a, b| (a.paid_on, &a.name).cmp(&(b.paid_on, &b.name)));
            }
        }
        ledger.months = months;
        ledger
    }

    fn add(&mut self, row: &WelfarePaymentRow, month: Month, regions: &RegionTree) {
        let payment = PublicPayment {
            name: mask_name(&row.recipient_name).into_boxed_str(),
            amount: row.amount,
            paid_on: row.paid_on,
        };
        for region in regions.ancestors(&row.village_code) {
            let totals = self.totals.entry(region).or_default();
            totals
                .entry(month.clone())
                .or_default()
                .add(row.amount.fen());
        }
        let key = person_key(row.recipient_id.as_str(), &row.recipient_name);
        self.people.entry(key).or_default().push(OwnPayment {
            village: row.village_code,
            month: month.clone(),
            payment: payment.clone(),
        });
        self.villages
            .entry(row.village_code)
            .or_default()
            .entry(month)
            .or_default()
            .push(payment);
    }

    /// A region's published totals by month (empty for a region without any).
    pub fn month_totals(&self, region: &RegionCode) -> Option<&BTreeMap<Month, Total>> {
        self.totals.get(region)
    }

    /// A region's published totals by fund, over every published period.
    pub fn fund_totals(&self, region: &RegionCode) -> BTreeMap<Fund, Total> {
        let mut by_fund: BTreeMap<Fund, Total> = BTreeMap::new();
        for ((fund, _), total) in self.totals.get(region).into_iter().flatten() {
            by_fund.entry(fund.clone()).or_default().merge(*total);
        }
        by_fund
    }

    /// A region's published total over every fund and period.
    pub fn total(&self, region: &RegionCode) -> Total {
        let mut all = Total::default();
        for total in self
            .totals
            .get(region)
            .into_iter()
            .flat_map(BTreeMap::values)
        {
            all.merge(*total);
        }
        all
    }

    /// A village's published payments of one month (empty if none are published).
    pub fn payments(&self, village: &RegionCode, month: &Month) -> &[PublicPayment] {
        self.villages
            .get(village)
            .and_then(|months| months.get(month))
            .map_or(&[], Vec::as_slice)
    }

    /// The published payments to the person with this ID number and name (查本人).
    pub fn own_payments(&self, id: &str, name: &str) -> &[OwnPayment] {
        self.people
            .get(&person_key(id, name))
            .map_or(&[], Vec::as_slice)
    }

    /// Every imported month with its total and where it stands.
    pub fn months(&self) -> &BTreeMap<Month, (Total, MonthState)> {
        &self.months
    }

    /// How many payments are public.
    pub fn published_payments(&self) -> u64 {
        self.months
            .values()
            .filter(|(_, state)| *state == MonthState::Published)
            .map(|(total, _)| total.payments)
            .sum()
    }
}

/// Each imported month's state under the decisions taken on it.
fn month_states(
    imported: BTreeMap<Month, Total>,
    decisions: &[PublicationRecord],
) -> BTreeMap<Month, (Total, MonthState)> {
    let decided: HashMap<(&str, &str), &PublicationRecord> = decisions
        .iter()
        .map(|d| ((d.fund.as_str(), d.period.as_str()), d))
        .collect();
    imported
        .into_iter()
        .map(|(month, total)| {
            let period = month.1.to_string();
            let state = match decided.get(&(month.0.as_str(), period.as_str())) {
                None => MonthState::Unpublished,
                Some(d) if !d.published => MonthState::Withdrawn,
                Some(d) if d.payments == total.payments && d.total_fen == total.fen => {
                    MonthState::Published
                }
                Some(_) => MonthState::Changed,
            };
            (month, (total, state))
        })
        .collect()
}
