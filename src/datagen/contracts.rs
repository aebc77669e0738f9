//! Village collective contracts (leases of ponds, land, shops) and their yearly
//! instalments, clean and planted.
//!
//! A clean lease is approved before it is signed when the catalogue asks for approval,
//! tendered from the tender threshold up, disclosed within the window, never longer than
//! fifteen years, and does not end within four months after the scan date (or is renewed
//! first: the near misses), so `lease_expiring` has nothing to remind of. Instalments
//! are listed up to a year ahead; those already due are paid on time, except a few paid a
//! little late or still open but within the grace period.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::names::{self, round_yuan};
use super::registries::{Registries, between};
use super::table::{Table, YearlySerial, day, yes_no, yuan};
use super::{City, Sizes, Tag};
use crate::import::DatasetKind;

/// One instalment of a lease.
pub(super) struct Instalment {
    pub due_on: NaiveDate,
    pub amount: i64,
    pub paid_on: Option<NaiveDate>,
    pub paid_amount: Option<i64>,
    pub tags: Vec<Tag>,
}

/// One lease before it has its ID.
pub(super) struct Contract {
    pub village: usize,
    pub asset: String,
    pub counterparty: (String, String),
    pub amount: i64,
    pub signed_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub tendered: bool,
    pub disclosed_on: Option<NaiveDate>,
    pub instalments: Vec<Instalment>,
    pub tags: Vec<Tag>,
}

/// The leases made so far. Assets are numbered within each village, so that
/// `lease_expiring` never mistakes one lease for the renewal of another.
pub(super) struct Leases<'c, 'a> {
    pub city: &'c mut City<'a>,
    reg: &'c mut Registries,
    numbers: Vec<u32>,
    pub out: Vec<Contract>,
}

impl Leases<'_, '_> {
    /// A new asset of `village`, such as 柳塘村东片鱼塘3号（12亩）, and its yearly rent range.
    fn asset(&mut self, rng: &mut StdRng, village: usize) -> (String, u32, u32) {
        let (kind, unit, low, high) = names::ASSETS[rng.gen_range(0..names::ASSETS.len())];
        let number = self.numbers.get_mut(village).map_or(0, |n| {
            *n += 1;
            *n
        });
        let size = match unit {
            "间" => rng.gen_range(1..=6),
            "平方米" => rng.gen_range(8..=150) * 10,
            _ => rng.gen_range(2..=60),
        };
        let place = &self.city.villages[village].name;
        let direction = names::pick(rng, names::DIRECTIONS);
        (
            format!("{place}{direction}{kind}{number}号（{size}{unit}）"),
            low,
            high,
        )
    }

    /// A person or an active company to lease to.
    fn counterparty(&mut self, rng: &mut StdRng) -> (String, String) {
        if rng.gen_range(0..100) < 55 {
            let person = self.city.people.born_in(rng, (1955, 1990));
            (person.name, person.id)
        } else {
            let c = self.reg.some_company(self.city, rng);
            (
                self.reg.companies[c].name.clone(),
                self.reg.companies[c].uscc.clone(),
            )
        }
    }

    /// A lease in order: approved three days before signing, tendered from the threshold
    /// up, disclosed five days after signing, every instalment due so far paid two days
    /// early. The yearly rent is drawn from the asset's range unless given. Callers
    /// change what their case needs.
    pub fn lease(
        &mut self,
        rng: &mut StdRng,
        village: usize,
        (signed_on, term_start): (NaiveDate, NaiveDate),
        years: u32,
        annual: Option<i64>,
    ) -> Contract {
        let (asset, low, high) = self.asset(rng, village);
        let annual = annual.unwrap_or_else(|| round_yuan(rng, low, high, 100));
        let term_end = add_years(term_start, years) - Days::new(1);
        let amount = annual * i64::from(years);
        let disclosed = signed_on + Days::new(5);
        let mut instalments = Vec::new();
        let horizon = self.city.as_of + Days::new(365);
        for year in 0..years {
            let due_on = add_years(term_start, year);
            if due_on > horizon {
                break;
            }
            let paid = due_on <= self.city.as_of;
            let paid_on = paid.then(|| (due_on - Days::new(2)).max(signed_on));
            instalments.push(Instalment {
                due_on,
                amount: annual,
                paid_on,
                paid_amount: paid.then_some(annual),
                tags: Vec::new(),
            });
        }
        Contract {
            village,
            asset,
            counterparty: self.counterparty(rng),
            amount,
            signed_on,
            approved_on: Some(signed_on - Days::new(3)),
            term_start,
            term_end,
            tendered: amount >= 40_000_000,
            disclosed_on: (disclosed <= self.city.as_of).then_some(disclosed),
            instalments,
            tags: Vec::new(),
        }
    }

    /// A clean lease with everything drawn at random within the rules.
    fn clean(&mut self, rng: &mut StdRng) -> Contract {
        let as_of = self.city.as_of;
        let quiet_until = as_of + Days::new(120);
        loop {
            let village = rng.gen_range(0..self.city.villages.len());
            let years = [3, 5, 5, 6, 8, 10, 10, 15][rng.gen_range(0..8)];
            let signed_on = between(rng, as_of - Months::new(144), as_of - Days::new(1));
            let term_start = signed_on + Days::new(rng.gen_range(0..=20));
            let term_end = add_years(term_start, years) - Days::new(1);
            if term_end >= as_of && term_end <= quiet_until {
                continue;
            }
            let mut c = self.lease(rng, village, (signed_on, term_start), years, None);
            c.approved_on = (c.amount > 50_000_000 || rng.gen_range(0..100) < 85)
                .then(|| signed_on - Days::new(rng.gen_range(0..=10)));
            c.tendered = c.amount >= 40_000_000 || rng.gen_range(0..100) < 35;
            let disclosed = signed_on + Days::new(rng.gen_range(0..=15));
            c.disclosed_on = (disclosed <= as_of).then_some(disclosed);
            for due in &mut c.instalments {
                settle(rng, as_of, signed_on, due);
            }
            return c;
        }
    }
}

/// How an instalment already due was paid: on time, a little late (within the 60 days
/// `contract_payment_overdue` allows) or not yet, when it fell due less than 55 days ago.
fn settle(rng: &mut StdRng, as_of: NaiveDate, signed_on: NaiveDate, due: &mut Instalment) {
    if due.paid_on.is_none() {
        return;
    }
    let age = as_of.signed_duration_since(due.due_on).num_days();
    let roll = rng.gen_range(0..100);
    if age <= 55 && roll < 40 {
        (due.paid_on, due.paid_amount) = (None, None);
    } else if age > 60 && roll < 4 {
        due.paid_on = Some(due.due_on + Days::new(rng.gen_range(10..=55)));
    } else {
        let early = due.due_on - Days::new(rng.gen_range(0..=7));
        due.paid_on = Some(early.max(signed_on));
    }
}

/// `date` plus whole years (28 February for 29 February in a common year).
pub(super) fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years * 12))
        .unwrap_or(date)
}

/// The contracts and contract payments files.
pub(super) fn generate(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    sizes: &Sizes,
) -> BTreeMap<DatasetKind, String> {
    let numbers = vec![0; city.villages.len()];
    let mut leases = Leases {
        city,
        reg,
        numbers,
        out: Vec::new(),
    };
    for _ in 0..sizes.contracts {
        let c = leases.clean(rng);
        leases.out.push(c);
    }
    renewals(&mut leases, rng);
    if leases.city.plant {
        super::contracts_plants::plant(&mut leases, rng);
    }
    let Leases { city, out, .. } = leases;
    write(city, out)
}

/// Leases ending soon whose renewal is already signed: `lease_expiring` must stay quiet.
fn renewals(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    let as_of = leases.city.as_of;
    for (ends_in, village) in [(30, 1), (70, 4)] {
        let village = village % leases.city.villages.len();
        let next = as_of + Days::new(ends_in + 1);
        let start = next - Months::new(60);
        let old = leases.lease(
            rng,
            village,
            (start - Days::new(10), start),
            5,
            Some(800_000),
        );
        let signed = as_of - Days::new(25);
        let mut new = leases.lease(rng, village, (signed, next), 5, Some(880_000));
        new.asset = old.asset.clone();
        leases.out.extend([old, new]);
    }
}

/// Both files, contracts sorted by signing date with IDs such as `HT-2024-00012`.
fn write(city: &mut City<'_>, mut out: Vec<Contract>) -> BTreeMap<DatasetKind, String> {
    out.sort_by(|a, b| (a.signed_on, a.village, &a.asset).cmp(&(b.signed_on, b.village, &b.asset)));
    let mut contracts = Table::new(DatasetKind::Contracts);
    let mut payments = Table::new(DatasetKind::ContractPayments);
    let mut serials = YearlySerial::default();
    for c in &out {
        let year = c.signed_on.year();
        let id = format!("HT-{year}-{:05}", serials.next(year));
        let code = city.villages[c.village].code.to_string();
        contracts.row(&[
            id.as_str(),
            &code,
            &c.asset,
            &c.counterparty.0,
            &c.counterparty.1,
            &yuan(c.amount),
            &c.signed_on.to_string(),
            &day(c.approved_on),
            &c.term_start.to_string(),
            &c.term_end.to_string(),
            yes_no(c.tendered),
            &day(c.disclosed_on),
        ]);
        city.truth.add(&c.tags, || format!("contract:{id}"));
        for due in &c.instalments {
            let paid = due.paid_amount.map(yuan).unwrap_or_default();
            payments.row(&[
                id.as_str(),
                &due.due_on.to_string(),
                &yuan(due.amount),
                &day(due.paid_on),
                &paid,
            ]);
            city.truth.add(&due.tags, || {
                format!("contract_payment:{id}:{}", due.due_on)
            });
        }
    }
    BTreeMap::from([
        (DatasetKind::Contracts, contracts.finish()),
        (DatasetKind::ContractPayments, payments.finish()),
    ])
}
