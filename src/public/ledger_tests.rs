use chrono::{NaiveDate, TimeZone, Utc};

use super::ledger::{Ledger, MonthState, person_key};
use super::{DecisionError, decide};
use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::domain::resident_id::ResidentId;
use crate::import::rows::WelfarePaymentRow;
use crate::import::value::Fund;
use crate::regions::RegionTree;
use crate::store::PublicationRecord;

const SUN_LING: &str = "990101197001106265";
const LIU: &str = "990102195012293964";

fn regions() -> RegionTree {
    RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv")).unwrap()
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

fn period(text: &str) -> Period {
    text.parse().unwrap()
}

fn payment(id: &str, name: &str, village: &str, yuan: i64, month: &str) -> WelfarePaymentRow {
    WelfarePaymentRow {
        source_row: 2,
        payment_id: format!("DB-{month}-{id}"),
        fund: Fund::Dibao,
        recipient_id: id.parse::<ResidentId>().unwrap(),
        recipient_name: name.to_string(),
        village_code: code(village),
        amount: Fen::from_fen(yuan * 100),
        period: period(month),
        paid_on: NaiveDate::from_ymd_opt(2025, 12, 10).unwrap(),
    }
}

fn published(month: &str, payments: u64, yuan: i64) -> PublicationRecord {
    PublicationRecord {
        fund: "dibao".to_string(),
        period: month.to_string(),
        published: true,
        payments,
        total_fen: yuan * 100,
        by: "city".to_string(),
        at: Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap(),
    }
}

fn rows() -> Vec<WelfarePaymentRow> {
    vec![
        payment(SUN_LING, "孙玲", "990102001001", 800, "2025-12"),
        payment(LIU, "刘婷婷", "990102001001", 560, "2025-12"),
        payment(SUN_LING, "孙玲", "990102001001", 800, "2026-01"),
    ]
}

#[test]
fn only_published_months_are_listed_and_totalled_with_masked_names() {
    let tree = regions();
    let ledger = Ledger::build(&rows(), &[published("2025-12", 2, 1360)], &tree);
    let december = (Fund::Dibao, period("2025-12"));
    let january = (Fund::Dibao, period("2026-01"));
    let names: Vec<&str> = ledger
        .payments(&code("990102001001"), &december)
        .iter()
        .map(|p| &*p.name)
        .collect();
    assert_eq!(names, ["刘*婷", "孙*"]);
    assert!(ledger.payments(&code("990102001001"), &january).is_empty());
    // Every level's totals hold the published month only.
    for region in ["990102001001", "990102001000", "990102000000"] {
        let totals = ledger.fund_totals(&code(region));
        assert_eq!(totals[&Fund::Dibao].payments, 2, "{region}");
        assert_eq!(totals[&Fund::Dibao].fen, 136_000, "{region}");
        let months = ledger.month_totals(&code(region)).unwrap();
        assert!(!months.contains_key(&january), "{region}");
    }
    assert_eq!(ledger.months()[&january].1, MonthState::Unpublished);
    assert_eq!(ledger.published_payments(), 2);
}

#[test]
fn a_month_reimported_with_other_payments_is_hidden_until_published_again() {
    let tree = regions();
    let mut changed = rows();
    changed[1].amount = Fen::from_fen(99_900);
    let ledger = Ledger::build(&changed, &[published("2025-12", 2, 1360)], &tree);
    let december = (Fund::Dibao, period("2025-12"));
    assert_eq!(ledger.months()[&december].1, MonthState::Changed);
    assert!(ledger.payments(&code("990102001001"), &december).is_empty());
    assert!(ledger.fund_totals(&code("990102000000")).is_empty());
}

#[test]
fn a_resident_finds_their_own_payments_only_with_their_name_and_id() {
    let tree = regions();
    let decisions = [published("2025-12", 2, 1360), published("2026-01", 1, 800)];
    let ledger = Ledger::build(&rows(), &decisions, &tree);
    assert_eq!(ledger.own_payments(SUN_LING, "孙玲").len(), 2);
    assert_eq!(
        ledger
            .own_payments(&SUN_LING.to_lowercase(), " 孙玲 ")
            .len(),
        2
    );
    assert!(ledger.own_payments(SUN_LING, "刘婷婷").is_empty());
    assert!(ledger.own_payments(LIU, "刘婷婷").len() == 1);
    assert_ne!(person_key(SUN_LING, "孙玲"), person_key(LIU, "孙玲"));
}

#[test]
fn decisions_need_an_imported_month_and_a_withdrawal_a_published_one() {
    let tree = regions();
    let ledger = Ledger::build(&rows(), &[], &tree);
    let at = Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap();
    let december = (Fund::Dibao, period("2025-12"));
    let record = decide(&ledger, &december, true, "city", at).unwrap();
    assert_eq!((record.payments, record.total_fen), (2, 136_000));
    assert!(matches!(
        decide(&ledger, &december, false, "city", at),
        Err(DecisionError::NotPublished { .. })
    ));
    let march = (Fund::Dibao, period("2026-03"));
    assert!(matches!(
        decide(&ledger, &march, true, "city", at),
        Err(DecisionError::NotImported { .. })
    ));
    let ledger = Ledger::build(&rows(), &[record], &tree);
    assert!(decide(&ledger, &december, false, "city", at).is_ok());
}
