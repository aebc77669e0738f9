//! The planted lease anomalies: overdue instalments, leases beyond the limits, a large
//! lease never tendered, a late disclosure and leases about to end with no renewal.
//!
//! Each case starts from a lease in order (`Leases::lease`) and changes only what makes
//! it an anomaly of its one rule, so it flags nothing else.

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::Tag;
use super::contracts::{Contract, Leases};
use super::table::yuan;

/// Plants every lease case.
pub(super) fn plant(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    overdue(leases, rng);
    over_limit(leases, rng);
    untendered(leases, rng);
    late_disclosure(leases, rng);
    expiring(leases, rng);
}

/// A lease whose instalment `due_years` after its start falls due on `due_on`.
fn lease_due(
    leases: &mut Leases<'_, '_>,
    rng: &mut StdRng,
    due_on: NaiveDate,
    due_years: u32,
    years: u32,
    annual: i64,
) -> Contract {
    let village = rng.gen_range(0..leases.city.villages.len());
    let start = due_on - chrono::Months::new(12 * due_years);
    leases.lease(
        rng,
        village,
        (start - Days::new(7), start),
        years,
        Some(annual),
    )
}

fn overdue(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    let rule = "contract_payment_overdue";
    let as_of = leases.city.as_of;
    // Never paid.
    let due_on = as_of - Days::new(130);
    let mut c = lease_due(leases, rng, due_on, 2, 5, 1_260_000);
    if let Some(due) = c.instalments.iter_mut().find(|i| i.due_on == due_on) {
        (due.paid_on, due.paid_amount) = (None, None);
        let note = format!(
            "{}的承包款{}元于{due_on}到期，至今分文未缴",
            c.asset,
            yuan(due.amount)
        );
        due.tags.push(Tag::new(rule, note));
    }
    leases.out.push(c);
    // Paid only in part.
    let due_on = as_of - Days::new(200);
    let mut c = lease_due(leases, rng, due_on, 1, 6, 2_400_000);
    if let Some(due) = c.instalments.iter_mut().find(|i| i.due_on == due_on) {
        let half = due.amount / 2;
        (due.paid_on, due.paid_amount) = (Some(due_on), Some(half));
        let note = format!(
            "{}的承包款{}元于{due_on}到期，仅缴{}元",
            c.asset,
            yuan(due.amount),
            yuan(half)
        );
        due.tags.push(Tag::new(rule, note));
    }
    leases.out.push(c);
    // Paid in full, 95 days late.
    let due_on = as_of - Days::new(300);
    let mut c = lease_due(leases, rng, due_on, 1, 4, 980_000);
    if let Some(due) = c.instalments.iter_mut().find(|i| i.due_on == due_on) {
        let paid_on = due_on + Days::new(95);
        due.paid_on = Some(paid_on);
        let note = format!("{}的承包款{due_on}到期，{paid_on}才缴清，逾期95天", c.asset);
        due.tags.push(Tag::new(rule, note));
    }
    leases.out.push(c);
}

fn over_limit(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    let rule = "lease_over_limit";
    let as_of = leases.city.as_of;
    let village = rng.gen_range(0..leases.city.villages.len());
    let signed = as_of - Days::new(1_100);
    let mut c = leases.lease(
        rng,
        village,
        (signed, signed + Days::new(10)),
        30,
        Some(240_000),
    );
    let note = format!(
        "{}一次发包30年（{}至{}），超过20年上限",
        c.asset, c.term_start, c.term_end
    );
    c.tags.push(Tag::new(rule, note));
    leases.out.push(c);

    let village = rng.gen_range(0..leases.city.villages.len());
    let signed = as_of - Days::new(500);
    let mut c = leases.lease(
        rng,
        village,
        (signed, signed + Days::new(15)),
        10,
        Some(7_800_000),
    );
    c.approved_on = Some(signed + Days::new(5));
    let note = format!(
        "{}合同金额78万元，超过50万元须事先报镇审批，却在签订5天后才审批",
        c.asset
    );
    c.tags.push(Tag::new(rule, note));
    leases.out.push(c);
}

fn untendered(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    let rule = "tender_required";
    let village = rng.gen_range(0..leases.city.villages.len());
    let signed = leases.city.as_of - Days::new(260);
    let mut c = leases.lease(
        rng,
        village,
        (signed, signed + Days::new(5)),
        10,
        Some(4_500_000),
    );
    c.tendered = false;
    let note = format!(
        "{}合同金额45万元，达到40万元招标限额，却未公开招标",
        c.asset
    );
    c.tags.push(Tag::new(rule, note));
    leases.out.push(c);
}

fn late_disclosure(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    let rule = "disclosure_late";
    let village = rng.gen_range(0..leases.city.villages.len());
    let signed = leases.city.as_of - Days::new(400);
    let mut c = leases.lease(
        rng,
        village,
        (signed, signed + Days::new(12)),
        6,
        Some(1_850_000),
    );
    let disclosed = signed + Days::new(41);
    c.disclosed_on = Some(disclosed);
    let note = format!("{}于{signed}签订，{disclosed}才公开，超过15天时限", c.asset);
    c.tags.push(Tag::new(rule, note));
    leases.out.push(c);
}

fn expiring(leases: &mut Leases<'_, '_>, rng: &mut StdRng) {
    let rule = "lease_expiring";
    let as_of = leases.city.as_of;
    for (ends_in, years) in [(35, 5), (80, 8)] {
        let village = rng.gen_range(0..leases.city.villages.len());
        let start = as_of + Days::new(ends_in + 1) - chrono::Months::new(12 * years);
        let mut c = leases.lease(
            rng,
            village,
            (start - Days::new(9), start),
            years,
            Some(1_500_000),
        );
        c.term_end = as_of + Days::new(ends_in);
        let note = format!("{}将于{}到期，尚未重新发包或续签", c.asset, c.term_end);
        c.tags.push(Tag::new(rule, note));
        leases.out.push(c);
    }
}
