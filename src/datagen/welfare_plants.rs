//! The planted welfare anomalies: two cases for each of the six collisions, each on a new
//! person who is in exactly the one registry the case needs.
//!
//! A welfare finding's subject is one recipient, fund and month, so a case paid for
//! several months is flagged once per month that collides; only the payments the rule
//! must flag carry a tag (a car registered mid-way flags only the later months).

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::ids::Person;
use super::names;
use super::registries::{Cadre, Registries, Relative};
use super::welfare::{Fund, Payment, paid_months, pay, pay_day};
use super::{City, Tag};

/// Plants every welfare case.
pub(super) fn plant(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    out: &mut Vec<Payment>,
) {
    vehicles(city, rng, reg, out);
    companies(city, rng, reg, out);
    employees(city, rng, out, reg);
    cadres(city, rng, reg, out);
    deaths(city, rng, reg, out);
    duplicates(city, rng, out);
}

/// The last `count` months `village` has paid.
fn last_months(city: &City<'_>, village: usize, count: usize) -> Vec<NaiveDate> {
    let months = paid_months(city.as_of, village);
    months[months.len().saturating_sub(count)..].to_vec()
}

/// Monthly payments of `fund` to `person`, tagged where `flagged` says so.
fn series(
    city: &City<'_>,
    (fund, amount): (Fund, i64),
    person: &Person,
    (village, count): (usize, usize),
    rule: &'static str,
    note: &str,
    flagged: impl Fn(NaiveDate) -> bool,
) -> Vec<Payment> {
    let months = last_months(city, village, count);
    let mut rows: Vec<Payment> = months
        .iter()
        .map(|m| pay(fund, person, village, *m, amount))
        .collect();
    for row in &mut rows {
        if flagged(row.paid_on) {
            row.tags.push(Tag::new(rule, note));
        }
    }
    rows
}

/// The commonest plant: two monthly payments in `village`, both flagged by `rule`.
fn flagged_pair(
    city: &City<'_>,
    fund_amount: (Fund, i64),
    person: &Person,
    village: usize,
    rule: &'static str,
    note: &str,
) -> Vec<Payment> {
    series(city, fund_amount, person, (village, 2), rule, note, |_| {
        true
    })
}

fn village(city: &City<'_>, rng: &mut StdRng) -> usize {
    rng.gen_range(0..city.villages.len())
}

fn vehicles(city: &mut City<'_>, rng: &mut StdRng, reg: &mut Registries, out: &mut Vec<Payment>) {
    let rule = "welfare_vehicle";
    let (person, v) = (city.people.born_in(rng, (1958, 1980)), village(city, rng));
    let registered = city.as_of - Days::new(700);
    reg.add_vehicle(city, rng, person.id.clone(), registered);
    let plate = reg
        .vehicles
        .last()
        .map(|car| car.plate.clone())
        .unwrap_or_default();
    let note = format!("低保对象名下登记有车辆{plate}（{registered}登记），发放期间一直有车");
    out.extend(series(
        city,
        (Fund::Dibao, 64_000),
        &person,
        (v, 3),
        rule,
        &note,
        |_| true,
    ));

    let (person, v) = (city.people.born_in(rng, (1940, 1960)), village(city, rng));
    let months = last_months(city, v, 4);
    let second = months.get(1).map_or(city.as_of, |m| pay_day(v, *m));
    let registered = second + Days::new(5);
    reg.add_vehicle(city, rng, person.id.clone(), registered);
    let plate = reg
        .vehicles
        .last()
        .map(|car| car.plate.clone())
        .unwrap_or_default();
    let note = format!("特困供养对象于{registered}登记车辆{plate}，此后两个月仍领取特困供养金");
    let flagged = |paid: NaiveDate| paid >= registered;
    out.extend(series(
        city,
        (Fund::Wubao, 118_000),
        &person,
        (v, 4),
        rule,
        &note,
        flagged,
    ));
}

fn companies(city: &mut City<'_>, rng: &mut StdRng, reg: &mut Registries, out: &mut Vec<Payment>) {
    let rule = "welfare_company";
    let (person, v) = (city.people.born_in(rng, (1965, 1985)), village(city, rng));
    let c = reg.register_company(city, rng, person.id.clone(), Vec::new(), true);
    let (name, code) = (&reg.companies[c].name, &reg.companies[c].uscc);
    let note = format!("低保对象系存续企业{name}（{code}）的法定代表人");
    out.extend(flagged_pair(
        city,
        (Fund::Dibao, 58_000),
        &person,
        v,
        rule,
        &note,
    ));

    let (person, v) = (city.people.born_in(rng, (1960, 1980)), village(city, rng));
    let rep = city.people.born_in(rng, (1970, 1990));
    let holders = vec![rep.id.clone(), person.id.clone()];
    let c = reg.register_company(city, rng, rep.id, holders, true);
    let (name, code) = (&reg.companies[c].name, &reg.companies[c].uscc);
    let note = format!("低保对象系存续企业{name}（{code}）的股东（非法定代表人）");
    out.extend(flagged_pair(
        city,
        (Fund::Dibao, 66_000),
        &person,
        v,
        rule,
        &note,
    ));
}

fn employees(city: &mut City<'_>, rng: &mut StdRng, out: &mut Vec<Payment>, reg: &mut Registries) {
    let rule = "welfare_public_employee";
    let cases = [
        (Fund::Dibao, 60_000, "低保"),
        (Fund::Wubao, 105_000, "特困供养金"),
    ];
    for (fund, amount, what) in cases {
        let (person, v) = (city.people.born_in(rng, (1968, 1990)), village(city, rng));
        let employer = names::pick(rng, names::EMPLOYERS);
        reg.employees.push((person.clone(), employer));
        let note = format!("{employer}在编公职人员领取{what}");
        out.extend(flagged_pair(city, (fund, amount), &person, v, rule, &note));
    }
}

fn cadres(city: &mut City<'_>, rng: &mut StdRng, reg: &mut Registries, out: &mut Vec<Payment>) {
    let rule = "welfare_cadre_relative";
    let (person, v) = (city.people.born_in(rng, (1968, 1986)), village(city, rng));
    let place = city.villages[v].name.clone();
    reg.cadres.push(Cadre {
        person: person.clone(),
        village: v,
        role: "村报账员",
    });
    let note = format!("{place}村报账员本人在本村领取低保");
    out.extend(flagged_pair(
        city,
        (Fund::Dibao, 54_000),
        &person,
        v,
        rule,
        &note,
    ));

    let (cadre, v) = (city.people.born_in(rng, (1966, 1980)), village(city, rng));
    let place = city.villages[v].name.clone();
    let mother = city.people.born_between(rng, (1936, 1944), false);
    let note = format!("{place}村委会主任{}的母亲由本村发放低保", cadre.name);
    reg.relatives.push(Relative {
        person: cadre.id.clone(),
        relative: mother.id.clone(),
        relation: "母亲",
    });
    reg.cadres.push(Cadre {
        person: cadre,
        village: v,
        role: "村委会主任",
    });
    out.extend(flagged_pair(
        city,
        (Fund::Dibao, 52_000),
        &mother,
        v,
        rule,
        &note,
    ));
}

fn deaths(city: &mut City<'_>, rng: &mut StdRng, reg: &mut Registries, out: &mut Vec<Payment>) {
    let rule = "welfare_deceased";
    let cases = [
        (Fund::Dibao, 50_000, 4, "低保"),
        (Fund::Disability, 9_000, 3, "残疾人补贴"),
    ];
    for (fund, amount, count, what) in cases {
        let (person, v) = (city.people.born_in(rng, (1932, 1950)), village(city, rng));
        let months = last_months(city, v, count);
        let second = months.get(1).map_or(city.as_of, |m| pay_day(v, *m));
        let died = second + Days::new(6);
        reg.deaths.push((person.id.clone(), died));
        let note = format!("发放对象已于{died}死亡，死亡后仍发放{what}");
        let flagged = |paid: NaiveDate| paid > died;
        out.extend(series(
            city,
            (fund, amount),
            &person,
            (v, count),
            rule,
            &note,
            flagged,
        ));
    }
}

fn duplicates(city: &mut City<'_>, rng: &mut StdRng, out: &mut Vec<Payment>) {
    let rule = "welfare_duplicate";
    let (person, v) = (city.people.born_in(rng, (1945, 1975)), village(city, rng));
    let place = city.villages[v].name.clone();
    let months = last_months(city, v, 3);
    let mut rows = series(
        city,
        (Fund::Dibao, 61_000),
        &person,
        (v, 3),
        rule,
        "",
        |_| false,
    );
    if let Some(&twice) = months.get(1) {
        let note = format!("{place}同月两次发放同一对象的低保");
        let mut again = pay(Fund::Dibao, &person, v, twice, 61_000);
        again.paid_on = again.paid_on + Days::new(3);
        again.tags.push(Tag::new(rule, note.clone()));
        rows.iter_mut()
            .filter(|r| r.period == twice)
            .for_each(|r| r.tags.push(Tag::new(rule, note.clone())));
        rows.push(again);
    }
    out.extend(rows);

    let person = city.people.born_in(rng, (1938, 1955));
    let v = village(city, rng);
    let w = (v + 1 + rng.gen_range(0..city.villages.len().saturating_sub(1).max(1)))
        % city.villages.len();
    let note = format!(
        "{}与{}同月均向同一对象发放特困供养金",
        city.villages[v].name, city.villages[w].name
    );
    let mut rows = series(
        city,
        (Fund::Wubao, 112_000),
        &person,
        (v, 3),
        rule,
        "",
        |_| false,
    );
    if let Some(last) = rows.last_mut() {
        let mut again = pay(Fund::Wubao, &person, w, last.period, 112_000);
        last.tags.push(Tag::new(rule, note.clone()));
        again.tags.push(Tag::new(rule, note));
        rows.push(again);
    }
    out.extend(rows);
}
