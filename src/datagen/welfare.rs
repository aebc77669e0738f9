//! Welfare payments (民生资金): a year of monthly payments to people in no registry, plus
//! the near misses the welfare rules must leave alone.
//!
//! Each village pays on its own day of the month (the 10th to the 17th), for the twelve
//! months up to the scan date; a payment whose day has not come yet is not made. A person
//! gets at most one payment per fund and month, except the temporary assistance
//! (临时救助) the catalogue exempts, so `welfare_duplicate` stays silent.

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::ids::Person;
use super::names::round_yuan;
use super::registries::{Cadre, Registries, Relative};
use super::table::{Table, yuan};
use super::{City, Tag};
use crate::import::DatasetKind;

/// The funds the generator pays from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Fund {
    Dibao,
    Wubao,
    Disability,
    HouseRenovation,
    /// 临时救助: exempt from `welfare_duplicate` in the shipped catalogue.
    Temporary,
}

impl Fund {
    /// The name written in the file.
    fn zh(self) -> &'static str {
        match self {
            Fund::Dibao => "低保",
            Fund::Wubao => "五保",
            Fund::Disability => "残疾人补贴",
            Fund::HouseRenovation => "危房改造",
            Fund::Temporary => "临时救助",
        }
    }

    /// The name in subject keys (`import::value::Fund::as_str` of the parsed name).
    pub fn key(self) -> &'static str {
        match self {
            Fund::Dibao => "dibao",
            Fund::Wubao => "wubao",
            Fund::Disability => "disability",
            Fund::HouseRenovation => "house_renovation",
            Fund::Temporary => "临时救助",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Fund::Dibao => "DB",
            Fund::Wubao => "WB",
            Fund::Disability => "CJ",
            Fund::HouseRenovation => "WG",
            Fund::Temporary => "LS",
        }
    }

    /// A monthly amount in fen: 低保 and 五保 by the household's need, disability
    /// subsidies at the two standard rates.
    pub fn monthly(self, rng: &mut StdRng) -> i64 {
        match self {
            Fund::Dibao => round_yuan(rng, 480, 880, 10),
            Fund::Wubao => round_yuan(rng, 950, 1_300, 10),
            Fund::Disability => [6_000, 9_000, 12_000][rng.gen_range(0..3)],
            Fund::HouseRenovation => round_yuan(rng, 15_000, 35_000, 500),
            Fund::Temporary => round_yuan(rng, 500, 3_000, 100),
        }
    }
}

/// One welfare payment before it has its ID.
pub(super) struct Payment {
    pub fund: Fund,
    pub id: String,
    pub name: String,
    pub village: usize,
    pub amount: i64,
    /// The first day of the month paid for.
    pub period: NaiveDate,
    pub paid_on: NaiveDate,
    pub tags: Vec<Tag>,
}

/// The payment of `fund` to `person` from `village` for `month`, on the village's day.
pub(super) fn pay(
    fund: Fund,
    person: &Person,
    village: usize,
    month: NaiveDate,
    amount: i64,
) -> Payment {
    Payment {
        fund,
        id: person.id.clone(),
        name: person.name.clone(),
        village,
        amount,
        period: month,
        paid_on: pay_day(village, month),
        tags: Vec::new(),
    }
}

/// The day `village` pays for `month`.
pub(super) fn pay_day(village: usize, month: NaiveDate) -> NaiveDate {
    month + Days::new(9 + (village % 8) as u64)
}

/// The months of the year up to `as_of` that `village` has already paid, oldest first.
pub(super) fn paid_months(as_of: NaiveDate, village: usize) -> Vec<NaiveDate> {
    let this_month = as_of.with_day(1).unwrap_or(as_of);
    (0..12u32)
        .rev()
        .filter_map(|back| this_month.checked_sub_months(Months::new(back)))
        .filter(|month| pay_day(village, *month) <= as_of)
        .collect()
}

/// About `count` clean payments, then the near misses.
pub(super) fn generate(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    count: usize,
) -> Vec<Payment> {
    let mut out = Vec::with_capacity(count + 64);
    while out.len() < count {
        let village = rng.gen_range(0..city.villages.len());
        let months = paid_months(city.as_of, village);
        let fund = match rng.gen_range(0..100) {
            0..60 => Fund::Dibao,
            60..75 => Fund::Wubao,
            75..95 => Fund::Disability,
            _ => Fund::HouseRenovation,
        };
        let born = if fund == Fund::Wubao {
            (1935, 1966)
        } else {
            (1938, 1990)
        };
        let person = city.people.born_in(rng, born);
        let amount = fund.monthly(rng);
        if fund == Fund::HouseRenovation {
            if let Some(&month) = months.get(rng.gen_range(0..months.len().max(1))) {
                out.push(pay(fund, &person, village, month, amount));
            }
            continue;
        }
        // Most recipients were on the rolls before the year began; some joined during it.
        let start = if rng.gen_bool(0.6) {
            0
        } else {
            rng.gen_range(0..months.len().max(1))
        };
        let end = if rng.gen_bool(0.7) {
            months.len()
        } else {
            rng.gen_range(start..=months.len())
        };
        let also_disabled = fund == Fund::Dibao && rng.gen_range(0..10) == 0;
        let subsidy = Fund::Disability.monthly(rng);
        for &month in months.get(start..end).unwrap_or_default() {
            out.push(pay(fund, &person, village, month, amount));
            if also_disabled {
                out.push(pay(Fund::Disability, &person, village, month, subsidy));
            }
        }
    }
    out.truncate(count);
    near_misses(city, rng, reg, &mut out);
    out
}

/// Cases that look like findings and are not, by the rules' own definitions.
fn near_misses(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    out: &mut Vec<Payment>,
) {
    let n = city.villages.len();
    let as_of = city.as_of;
    let months = |v: usize| paid_months(as_of, v % n);
    let series = |fund, person: &Person, v: usize, months: &[NaiveDate], amount| {
        let payments = months.iter().map(|m| pay(fund, person, v % n, *m, amount));
        payments.collect::<Vec<_>>()
    };
    // A disability subsidy is not means-tested: its recipient may own a car.
    let person = city.people.born_in(rng, (1950, 1985));
    let paid = months(3);
    let first = paid.first().copied().unwrap_or(as_of);
    reg.add_vehicle(city, rng, person.id.clone(), first - Days::new(400));
    out.extend(series(Fund::Disability, &person, 3, &paid, 9_000));
    // A car bought after the last 低保 payment says nothing about the months paid.
    let person = city.people.born_in(rng, (1950, 1985));
    let paid: Vec<NaiveDate> = months(5).into_iter().take(6).collect();
    let last = paid.last().map_or(as_of, |m| pay_day(5 % n, *m));
    reg.add_vehicle(city, rng, person.id.clone(), last + Days::new(20));
    out.extend(series(Fund::Dibao, &person, 5, &paid, 62_000));
    // The representative of a deregistered (注销) company.
    let person = city.people.born_in(rng, (1955, 1980));
    reg.register_company(city, rng, person.id.clone(), vec![person.id.clone()], false);
    out.extend(series(Fund::Dibao, &person, 8, &months(8), 70_000));
    // Temporary assistance may be paid twice in one month.
    let person = city.people.born_in(rng, (1960, 1995));
    let last: Vec<NaiveDate> = months(11).into_iter().rev().take(1).collect();
    out.extend(series(Fund::Temporary, &person, 11, &last, 150_000));
    out.extend(series(Fund::Temporary, &person, 11, &last, 80_000));
    // Payments that stopped before the recipient's death.
    let person = city.people.born_in(rng, (1930, 1945));
    let paid: Vec<NaiveDate> = months(13).into_iter().take(8).collect();
    let last = paid.last().map_or(as_of, |m| pay_day(13 % n, *m));
    reg.deaths.push((person.id.clone(), last + Days::new(12)));
    out.extend(series(Fund::Wubao, &person, 13, &paid, 110_000));
    other_village_relative(city, rng, reg, out);
}

/// The mother of a cadre of one village, paid 低保 by another: the rule only looks at
/// the cadres of the paying village.
fn other_village_relative(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    out: &mut Vec<Payment>,
) {
    let n = city.villages.len();
    if n < 2 {
        return;
    }
    let cadre = city.people.born_in(rng, (1965, 1985));
    let mother = city.people.born_between(rng, (1938, 1944), false);
    let (person, relative) = (cadre.id.clone(), mother.id.clone());
    let relation = "母亲";
    reg.relatives.push(Relative {
        person,
        relative,
        relation,
    });
    let role = "村委会委员";
    let (home, paying) = (0, 1);
    reg.cadres.push(Cadre {
        person: cadre,
        village: home,
        role,
    });
    let payments = paid_months(city.as_of, paying).into_iter();
    out.extend(payments.map(|m| pay(Fund::Dibao, &mother, paying, m, 56_000)));
}

/// The welfare file, sorted by month, village and recipient, with IDs such as
/// `DB-202603-000123`; records the truth of tagged rows.
pub(super) fn write(city: &mut City<'_>, mut payments: Vec<Payment>) -> String {
    payments.sort_by(|a, b| {
        (a.period, a.village, &a.id, a.fund, a.paid_on)
            .cmp(&(b.period, b.village, &b.id, b.fund, b.paid_on))
    });
    let mut table = Table::new(DatasetKind::WelfarePayments);
    let mut serial = 0;
    let mut current = None;
    for p in &payments {
        if current != Some(p.period) {
            (current, serial) = (Some(p.period), 0);
        }
        serial += 1;
        let period = p.period.format("%Y-%m").to_string();
        let payment_id = format!(
            "{}-{}-{serial:06}",
            p.fund.prefix(),
            p.period.format("%Y%m")
        );
        let code = city
            .villages
            .get(p.village)
            .map(|v| v.code.to_string())
            .unwrap_or_default();
        let cells = [
            payment_id.as_str(),
            p.fund.zh(),
            &p.id,
            &p.name,
            &code,
            &yuan(p.amount),
            &period,
            &p.paid_on.to_string(),
        ];
        table.row(&cells);
        city.truth.add(&p.tags, || {
            format!("welfare:{}:{period}:{}", p.fund.key(), p.id)
        });
    }
    table.finish()
}
