//! A timing test of the six welfare collisions on a synthetic district: 1,000,000
//! welfare payments against 200,000 vehicles, 100,000 companies, 50,000 public employees
//! and 20,000 deaths. Ignored by default; run it optimised:
//!
//! ```text
//! cargo test --release --lib rules::bench_tests -- --ignored --nocapture
//! ```
//!
//! About one registry entry in a hundred belongs to a recipient, so the rules produce a
//! few thousand findings, as a real district's first scan might.

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::{Catalogue, Data, build_rules};
use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::domain::resident_id::ResidentId;
use crate::domain::uscc::Uscc;
use crate::import::rows::{
    CadreRow, CompanyRow, DeathRow, PublicEmployeeRow, RelativeRow, VehicleRow, WelfarePaymentRow,
};
use crate::import::value::{CompanyStatus, Fund, Plate};

const PEOPLE: usize = 1_000_000;
const RECIPIENTS: usize = 400_000;

/// The `i`-th person of the synthetic district: a distinct, valid province-99 ID.
fn person(i: usize) -> ResidentId {
    let born = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
        + chrono::Days::new((i % 25_000) as u64);
    let digits = format!("990102{}{:03}", born.format("%Y%m%d"), i / 25_000 % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(weights)
        .map(|(d, w)| d * w)
        .sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    ResidentId::parse(&format!("{digits}{check}")).expect("a valid synthetic ID")
}

/// The `i`-th company code, with its check character computed.
fn company(i: usize) -> Uscc {
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let body = format!("91990102MA{i:07}");
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: usize = body
        .chars()
        .filter_map(|c| alphabet.find(c))
        .zip(weights)
        .map(|(v, w)| v * w)
        .sum();
    let check = alphabet.chars().nth((31 - sum % 31) % 31).unwrap_or('0');
    Uscc::parse(&format!("{body}{check}")).expect("a valid synthetic code")
}

/// A person from the registries: one in a hundred is a welfare recipient.
fn registered(people: &[ResidentId], i: usize) -> ResidentId {
    let index = if i.is_multiple_of(100) {
        (i * 7) % RECIPIENTS
    } else {
        RECIPIENTS + (i * 13) % (PEOPLE - RECIPIENTS)
    };
    people[index].clone()
}

fn payments(people: &[ResidentId]) -> Vec<WelfarePaymentRow> {
    let villages: Vec<RegionCode> = (201..=208)
        .filter_map(|v| RegionCode::parse(&format!("990102100{v}")).ok())
        .collect();
    let start = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default();
    (0..1_000_000)
        .map(|i| {
            let paid_on = start + chrono::Months::new((i / RECIPIENTS) as u32);
            let recipient = i % RECIPIENTS;
            WelfarePaymentRow {
                source_row: i + 2,
                payment_id: format!("WP-{i:07}"),
                fund: if recipient.is_multiple_of(10) {
                    Fund::Wubao
                } else {
                    Fund::Dibao
                },
                recipient_id: people[recipient].clone(),
                recipient_name: "某某".to_owned(),
                village_code: villages[recipient % villages.len()],
                amount: Fen::from_fen(65_000),
                period: Period::of(paid_on),
                paid_on,
            }
        })
        .collect()
}

/// Active companies, each with a legal representative and one other shareholder.
fn companies(people: &[ResidentId]) -> Vec<CompanyRow> {
    (0..100_000)
        .map(|i| CompanyRow {
            source_row: i + 2,
            uscc: company(i),
            name: format!("公司{i}"),
            legal_rep_id: registered(people, i * 3),
            shareholder_ids: vec![registered(people, i * 3 + 1)],
            status: CompanyStatus::parse("存续").expect("a registry status"),
        })
        .collect()
}

fn district() -> Data {
    let people: Vec<ResidentId> = (0..PEOPLE).map(person).collect();
    let day = NaiveDate::from_ymd_opt(2020, 5, 1).unwrap_or_default();
    let village = RegionCode::parse("990102100201").expect("a valid region code");
    let mut data = Data {
        as_of: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default(),
        welfare_payments: payments(&people),
        ..Data::default()
    };
    data.vehicles = (0..200_000)
        .map(|i| VehicleRow {
            source_row: i + 2,
            owner_id: registered(&people, i),
            plate: Plate::parse(&format!("清A{i:06}")).expect("a valid plate"),
            registered_on: day,
        })
        .collect();
    data.companies = companies(&people);
    data.public_employees = (0..50_000)
        .map(|i| PublicEmployeeRow {
            source_row: i + 2,
            person_id: registered(&people, i * 5),
            name: "某某".to_owned(),
            employer: "某局".to_owned(),
        })
        .collect();
    data.deaths = (0..20_000)
        .map(|i| DeathRow {
            source_row: i + 2,
            person_id: registered(&people, i * 11),
            died_on: day,
        })
        .collect();
    data.cadres = (0..2_000)
        .map(|i| CadreRow {
            source_row: i + 2,
            person_id: registered(&people, i * 17),
            name: "某某".to_owned(),
            village_code: village,
            role: "委员".to_owned(),
        })
        .collect();
    data.relatives = (0..10_000)
        .map(|i| RelativeRow {
            source_row: i + 2,
            person_id: data.cadres[i % 2_000].person_id.clone(),
            relative_id: registered(&people, i * 19),
            relation: "配偶".to_owned(),
        })
        .collect();
    data
}

#[test]
#[ignore = "a timing test; run with --release -- --ignored --nocapture"]
fn the_six_welfare_collisions_run_on_a_million_payments_in_under_a_second() {
    let started = Instant::now();
    let data = district();
    eprintln!("built the synthetic district in {:?}", started.elapsed());
    let welfare = [
        "welfare_vehicle",
        "welfare_company",
        "welfare_public_employee",
        "welfare_cadre_relative",
        "welfare_deceased",
        "welfare_duplicate",
    ];
    let catalogue = Catalogue::builtin()
        .only(&welfare)
        .expect("the welfare rules");
    let mut total = Duration::ZERO;
    for rule in build_rules(&catalogue) {
        let started = Instant::now();
        let report = rule.run(&data);
        let took = started.elapsed();
        total += took;
        eprintln!(
            "{:<24} {:>8.1} ms  checked {} flagged {} not judged {}",
            rule.code(),
            took.as_secs_f64() * 1000.0,
            report.checked,
            report.flagged,
            report.not_judged
        );
    }
    eprintln!("all six, one after another: {total:?}");
    let started = Instant::now();
    let reports = super::scan(&catalogue, &data);
    eprintln!("all six through scan (parallel): {:?}", started.elapsed());
    assert_eq!(reports.len(), 6);
    if !cfg!(debug_assertions) {
        assert!(total < Duration::from_secs(1), "took {total:?}");
    }
}
