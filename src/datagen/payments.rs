//! Small village projects and payments from village funds, clean and planted.
//!
//! Clean projects are tendered from the tender threshold up and disclosed within the
//! window; clean payments are approved on or before the day they are paid, at the village
//! up to the village limit and at the town up to the town limit. The near misses sit on
//! the boundaries the rules draw: a budget just under the threshold, approval on the day
//! of payment, payments of exactly the limits.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::names::{self, round_yuan};
use super::registries::{Registries, between, pick_index};
use super::table::{Table, YearlySerial, day, yuan};
use super::{City, Sizes, Tag};
use crate::import::DatasetKind;

struct Project {
    village: usize,
    name: String,
    budget: i64,
    procurement: &'static str,
    started_on: NaiveDate,
    disclosed_on: Option<NaiveDate>,
    tags: Vec<Tag>,
}

/// Who approved a payment: `Some(("村级", date))` and the like, or `None`.
type Approval = Option<(&'static str, NaiveDate)>;

struct Payment {
    village: usize,
    payee: (String, String),
    amount: i64,
    paid_on: NaiveDate,
    approval: Approval,
    /// The project paid for (an index into the projects), if any.
    project: Option<usize>,
    purpose: String,
    tags: Vec<Tag>,
}

/// The projects and village payments files.
pub(super) fn generate(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    sizes: &Sizes,
) -> BTreeMap<DatasetKind, String> {
    let mut projects: Vec<Project> = (0..sizes.projects)
        .map(|_| clean_project(city, rng))
        .collect();
    let near = [(39_990_000, "直接发包", 400), (18_600_000, "询价", 10)];
    for (budget, procurement, days_ago) in near {
        let village = rng.gen_range(0..city.villages.len());
        let started_on = city.as_of - Days::new(days_ago);
        let mut p = project(city, rng, village, budget, started_on);
        p.procurement = procurement;
        // Disclosed in time, or not yet due: the window ends after the scan date.
        p.disclosed_on = (days_ago > 15).then(|| started_on + Days::new(15));
        projects.push(p);
    }
    if city.plant {
        plant_projects(city, rng, &mut projects);
    }
    projects.sort_by(|a, b| {
        (a.started_on, a.village, &a.name).cmp(&(b.started_on, b.village, &b.name))
    });
    let mut payments: Vec<Payment> = (0..sizes.village_payments)
        .map(|_| clean_payment(city, rng, reg, &projects))
        .collect();
    for (amount, level) in [(5_000_000, "村级"), (20_000_000, "镇级")] {
        let mut p = payment(city, rng, reg, amount);
        p.approval = Some((level, p.paid_on));
        payments.push(p);
    }
    if city.plant {
        plant_payments(city, rng, reg, &mut payments);
    }
    let ids = project_ids(&projects);
    let mut files = BTreeMap::new();
    files.insert(DatasetKind::Projects, write_projects(city, &projects, &ids));
    files.insert(
        DatasetKind::VillagePayments,
        write_payments(city, payments, &ids),
    );
    files
}

/// A project in order: tendered from the threshold up, disclosed ten days before it
/// starts (or not yet, if that day has not come).
fn project(
    city: &City<'_>,
    rng: &mut StdRng,
    village: usize,
    budget: i64,
    started_on: NaiveDate,
) -> Project {
    let kind = names::pick(rng, names::PROJECTS);
    let phase = ["", "（一期）", "（二期）"][rng.gen_range(0..3)];
    let disclosed = started_on - Days::new(10);
    Project {
        village,
        name: format!("{}{kind}{phase}", city.villages[village].name),
        budget,
        procurement: if budget >= 40_000_000 {
            "公开招标"
        } else {
            "询价"
        },
        started_on,
        disclosed_on: (disclosed <= city.as_of).then_some(disclosed),
        tags: Vec::new(),
    }
}

fn clean_project(city: &City<'_>, rng: &mut StdRng) -> Project {
    let village = rng.gen_range(0..city.villages.len());
    let budget = if rng.gen_range(0..100) < 60 {
        round_yuan(rng, 20_000, 380_000, 100)
    } else {
        round_yuan(rng, 400_000, 1_500_000, 1_000)
    };
    let started_on = between(rng, city.as_of - Days::new(730), city.as_of + Days::new(45));
    let mut p = project(city, rng, village, budget, started_on);
    if budget < 40_000_000 {
        p.procurement = ["询价", "询价", "直接发包", "公开招标"][rng.gen_range(0..4)];
    }
    let offset = rng.gen_range(0..=35);
    let disclosed = started_on - Days::new(20) + Days::new(offset);
    p.disclosed_on = (disclosed <= city.as_of).then_some(disclosed);
    p
}

fn plant_projects(city: &City<'_>, rng: &mut StdRng, projects: &mut Vec<Project>) {
    let village = rng.gen_range(0..city.villages.len());
    let mut p = project(city, rng, village, 56_000_000, city.as_of - Days::new(150));
    p.procurement = "直接发包";
    let note = format!("{}预算56万元，达到40万元招标限额，却直接发包", p.name);
    p.tags.push(Tag::new("tender_required", note));
    projects.push(p);

    let village = rng.gen_range(0..city.villages.len());
    let started_on = city.as_of - Days::new(90);
    let mut p = project(city, rng, village, 12_600_000, started_on);
    p.disclosed_on = None;
    let note = format!("{}于{started_on}开工，至今未公开", p.name);
    p.tags.push(Tag::new("disclosure_late", note));
    projects.push(p);
}

/// A payment in order from a random village: approved at the level its amount needs,
/// up to ten days before it was paid.
fn payment(city: &mut City<'_>, rng: &mut StdRng, reg: &mut Registries, amount: i64) -> Payment {
    let village = rng.gen_range(0..city.villages.len());
    let paid_on = between(rng, city.as_of - Days::new(700), city.as_of);
    let level = if amount > 5_000_000 {
        "镇级"
    } else {
        "村级"
    };
    let payee = if rng.gen_bool(0.5) {
        let person = city.people.born_in(rng, (1960, 2000));
        (person.name, person.id)
    } else {
        let c = reg.some_company(city, rng);
        (reg.companies[c].name.clone(), reg.companies[c].uscc.clone())
    };
    Payment {
        village,
        payee,
        amount,
        paid_on,
        approval: Some((level, paid_on - Days::new(rng.gen_range(0..=10)))),
        project: None,
        purpose: names::pick(rng, names::PURPOSES).to_owned(),
        tags: Vec::new(),
    }
}

fn clean_payment(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    projects: &[Project],
) -> Payment {
    let amount = if rng.gen_range(0..100) < 75 {
        rng.gen_range(20_000..=5_000_000)
    } else {
        rng.gen_range(5_000_001..=20_000_000)
    };
    let mut p = payment(city, rng, reg, amount);
    if rng.gen_range(0..10) < 3 {
        let started = |q: &&Project| q.village == p.village && q.started_on <= p.paid_on;
        let candidates: Vec<usize> = (0..projects.len())
            .filter(|&i| projects.get(i).is_some_and(|q| started(&q)))
            .collect();
        if let Some(i) = pick_index(rng, candidates.len()).and_then(|i| candidates.get(i)) {
            p.project = Some(*i);
            p.purpose = format!("{}工程款", projects[*i].name);
        }
    }
    p
}

fn plant_payments(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    payments: &mut Vec<Payment>,
) {
    let rule = "payment_before_approval";
    let mut p = payment(city, rng, reg, 860_000);
    let approved = p.paid_on + Days::new(12);
    p.approval = Some(("村级", approved));
    let note = format!(
        "{}于{}支付{}元，{approved}才审批",
        p.purpose,
        p.paid_on,
        yuan(p.amount)
    );
    p.tags.push(Tag::new(rule, note));
    payments.push(p);
    let mut p = payment(city, rng, reg, 320_000);
    p.approval = None;
    let note = format!("{}支付{}元，无任何审批记录", p.purpose, yuan(p.amount));
    p.tags.push(Tag::new(rule, note));
    payments.push(p);

    let rule = "payment_over_limit";
    for (amount, level, limit) in [(8_600_000, "村级", "5万元"), (32_000_000, "镇级", "20万元")]
    {
        let mut p = payment(city, rng, reg, amount);
        p.approval = Some((level, p.paid_on - Days::new(2)));
        let note = format!(
            "{}支付{}元，仅经{level}审批，超过{level}审批限额{limit}",
            p.purpose,
            yuan(amount)
        );
        p.tags.push(Tag::new(rule, note));
        payments.push(p);
    }
}

/// Project IDs such as `XM-2025-017`, numbered within each year of start.
fn project_ids(projects: &[Project]) -> Vec<String> {
    let mut serials = YearlySerial::default();
    projects
        .iter()
        .map(|p| {
            let year = p.started_on.year();
            format!("XM-{year}-{:03}", serials.next(year))
        })
        .collect()
}

fn write_projects(city: &mut City<'_>, projects: &[Project], ids: &[String]) -> String {
    let mut table = Table::new(DatasetKind::Projects);
    for (p, id) in projects.iter().zip(ids) {
        let code = city.villages[p.village].code.to_string();
        let cells = [
            id.as_str(),
            &code,
            &p.name,
            &yuan(p.budget),
            p.procurement,
            &p.started_on.to_string(),
            &day(p.disclosed_on),
        ];
        table.row(&cells);
        city.truth.add(&p.tags, || format!("project:{id}"));
    }
    table.finish()
}

/// The payments file, sorted by payment date, with IDs such as `ZF-2026-00042`.
fn write_payments(city: &mut City<'_>, mut payments: Vec<Payment>, ids: &[String]) -> String {
    payments.sort_by(|a, b| {
        (a.paid_on, a.village, &a.payee.1).cmp(&(b.paid_on, b.village, &b.payee.1))
    });
    let mut table = Table::new(DatasetKind::VillagePayments);
    let mut serials = YearlySerial::default();
    for p in &payments {
        let year = p.paid_on.year();
        let id = format!("ZF-{year}-{:05}", serials.next(year));
        let code = city.villages[p.village].code.to_string();
        let (level, approved) = p.approval.map_or(("", None), |(l, d)| (l, Some(d)));
        let project = p
            .project
            .and_then(|i| ids.get(i))
            .cloned()
            .unwrap_or_default();
        let cells = [
            id.as_str(),
            &code,
            &p.payee.0,
            &p.payee.1,
            &yuan(p.amount),
            &p.paid_on.to_string(),
            &day(approved),
            level,
            &project,
            &p.purpose,
        ];
        table.row(&cells);
        city.truth.add(&p.tags, || format!("village_payment:{id}"));
    }
    table.finish()
}
