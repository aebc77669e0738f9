//! The registries the welfare payments are collided with: companies, vehicles, public
//! employees, village cadres and their relatives, deaths.
//!
//! Every person here is new (see `ids::People`), except vehicle owners drawn on purpose
//! from the employees, cadres and company representatives, since such people own cars
//! too and no rule minds. No welfare recipient of the clean population is ever drawn
//! from here, which is what keeps the six collisions silent on clean data.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::ids::{Person, date};
use super::table::{Table, day};
use super::{City, Sizes, Village, names};
use crate::import::DatasetKind;

/// A registered company.
pub(super) struct Company {
    pub uscc: String,
    pub name: String,
    pub legal_rep: String,
    pub shareholders: Vec<String>,
    pub active: bool,
}

pub(super) struct Vehicle {
    pub owner: String,
    pub plate: String,
    pub registered_on: NaiveDate,
}

pub(super) struct Cadre {
    pub person: Person,
    pub village: usize,
    pub role: &'static str,
}

pub(super) struct Relative {
    pub person: String,
    pub relative: String,
    pub relation: &'static str,
}

/// Every registry, and where the next bidder comes from.
#[derive(Default)]
pub(super) struct Registries {
    pub companies: Vec<Company>,
    pub vehicles: Vec<Vehicle>,
    pub employees: Vec<(Person, &'static str)>,
    pub cadres: Vec<Cadre>,
    pub relatives: Vec<Relative>,
    pub deaths: Vec<(String, NaiveDate)>,
    /// The next company to consider as a new bidder.
    next_bidder: usize,
}

/// Statuses as the market regulator's registry exports them: the rules see only
/// whether a company may trade, so the words vary as a real registry's do.
const ACTIVE_STATUSES: &[&str] = &["存续（在营、开业、在册）", "存续", "在营", "开业", "迁入"];
const INACTIVE_STATUSES: &[&str] = &[
    "注销",
    "吊销，未注销",
    "吊销，已注销",
    "停业",
    "清算",
    "撤销",
];

/// The status written for the `i`-th company of the file, by its place rather than by
/// the random source, so that the words leave every other generated value as it was.
fn registry_status(active: bool, i: usize) -> &'static str {
    let words = if active {
        ACTIVE_STATUSES
    } else {
        INACTIVE_STATUSES
    };
    words.get(i % words.len()).copied().unwrap_or("存续")
}

/// Builds the clean registries.
pub(super) fn generate(city: &mut City<'_>, rng: &mut StdRng, sizes: &Sizes) -> Registries {
    let mut reg = Registries::default();
    for i in 0..sizes.cadres {
        let village = i % city.villages.len();
        let role_index = (i / city.villages.len()) % names::CADRE_ROLES.len();
        let person = city.people.born_in(rng, (1962, 1992));
        let role = names::CADRE_ROLES
            .get(role_index)
            .copied()
            .unwrap_or("村委会委员");
        reg.cadres.push(Cadre {
            person,
            village,
            role,
        });
    }
    for _ in 0..sizes.public_employees {
        let person = city.people.born_in(rng, (1965, 2000));
        reg.employees
            .push((person, names::pick(rng, names::EMPLOYERS)));
    }
    for i in 0..sizes.relatives {
        let anchor = match (i % 10 < 7, reg.cadres.len(), reg.employees.len()) {
            (true, n, _) if n > 0 => reg.cadres.get(i % n).map(|c| c.person.clone()),
            (_, _, n) if n > 0 => reg.employees.get(i % n).map(|e| e.0.clone()),
            _ => None,
        };
        if let Some(anchor) = anchor {
            let (relative, relation) = relative_of(city, rng, &anchor);
            reg.relatives.push(Relative {
                person: anchor.id,
                relative: relative.id,
                relation,
            });
        }
    }
    for _ in 0..sizes.companies {
        let active = rng.gen_range(0..10) > 0;
        reg.add_company(city, rng, active);
    }
    for _ in 0..sizes.vehicles {
        let owner = reg.vehicle_owner(city, rng);
        let registered_on = between(rng, date(2008, 1, 1), city.as_of);
        reg.add_vehicle(city, rng, owner, registered_on);
    }
    let last = city.as_of - Days::new(1);
    for _ in 0..sizes.deaths {
        let person = city.people.born_in(rng, (1925, 1960));
        let died_on = between(rng, date(last.year() - 3, last.month(), 1), last);
        reg.deaths.push((person.id, died_on));
    }
    reg
}

/// A day from `first` to `last`, both included.
pub(super) fn between(rng: &mut StdRng, first: NaiveDate, last: NaiveDate) -> NaiveDate {
    let span = last.signed_duration_since(first).num_days().max(0);
    first + Days::new(rng.gen_range(0..=span).unsigned_abs())
}

/// A new relative of `anchor` and how they are related, with a fitting age and sex.
pub(super) fn relative_of(
    city: &mut City<'_>,
    rng: &mut StdRng,
    anchor: &Person,
) -> (Person, &'static str) {
    let year = anchor.born.year();
    let youngest = city.as_of.year() - 1;
    let (years, male, relation) = match rng.gen_range(0..6) {
        0 => ((year - 36, year - 24), true, "父亲"),
        1 => ((year - 34, year - 22), false, "母亲"),
        2 if year + 22 <= youngest => ((year + 22, (year + 34).min(youngest)), true, "儿子"),
        3 if year + 22 <= youngest => ((year + 22, (year + 34).min(youngest)), false, "女儿"),
        4 => ((year - 6, (year + 6).min(youngest)), !anchor.male, "配偶"),
        _ => (
            (year - 8, (year + 8).min(youngest)),
            rng.gen_bool(0.5),
            "兄弟姐妹",
        ),
    };
    let relation = match (relation, male) {
        ("兄弟姐妹", true) => "兄弟",
        ("兄弟姐妹", false) => "姐妹",
        (other, _) => other,
    };
    let years = (years.0.max(1920), years.1.max(1920));
    (city.people.born_between(rng, years, male), relation)
}

impl Registries {
    /// Registers a new company with a new legal representative and 0 to 3 shareholders.
    pub fn add_company(&mut self, city: &mut City<'_>, rng: &mut StdRng, active: bool) -> usize {
        let rep = city.people.born_in(rng, (1960, 1995));
        let mut shareholders = Vec::new();
        if rng.gen_bool(0.5) {
            shareholders.push(rep.id.clone());
        }
        for _ in 0..rng.gen_range(0..=2) {
            shareholders.push(city.people.born_in(rng, (1955, 1998)).id);
        }
        self.register_company(city, rng, rep.id, shareholders, active)
    }

    /// Registers a new company with the given people.
    pub fn register_company(
        &mut self,
        city: &mut City<'_>,
        rng: &mut StdRng,
        legal_rep: String,
        shareholders: Vec<String>,
        active: bool,
    ) -> usize {
        self.companies.push(Company {
            uscc: city.codes.uscc(),
            name: names::company_name(rng),
            legal_rep,
            shareholders,
            active,
        });
        self.companies.len() - 1
    }

    /// Registers a vehicle (a new-energy plate one time in ten).
    pub fn add_vehicle(
        &mut self,
        city: &mut City<'_>,
        rng: &mut StdRng,
        owner: String,
        registered_on: NaiveDate,
    ) {
        let plate = city.codes.plate(rng.gen_range(0..10) == 0);
        self.vehicles.push(Vehicle {
            owner,
            plate,
            registered_on,
        });
    }

    /// The owner of the next vehicle: mostly a new person; sometimes the owner of the
    /// previous vehicle, an employee, a cadre or a company's representative.
    fn vehicle_owner(&mut self, city: &mut City<'_>, rng: &mut StdRng) -> String {
        let known = match rng.gen_range(0..20) {
            0 | 1 => self.vehicles.last().map(|v| v.owner.clone()),
            2 => pick_index(rng, self.employees.len()).map(|i| self.employees[i].0.id.clone()),
            3 => pick_index(rng, self.cadres.len()).map(|i| self.cadres[i].person.id.clone()),
            4 => pick_index(rng, self.companies.len()).map(|i| self.companies[i].legal_rep.clone()),
            _ => None,
        };
        known.unwrap_or_else(|| city.people.born_in(rng, (1955, 2004)).id)
    }

    /// A random active company (a counterparty or payee), registering one if none is.
    pub fn some_company(&mut self, city: &mut City<'_>, rng: &mut StdRng) -> usize {
        for _ in 0..20 {
            if let Some(i) = pick_index(rng, self.companies.len())
                && self.companies[i].active
            {
                return i;
            }
        }
        self.add_company(city, rng, true)
    }

    /// An active company not yet used as a bidder, registering one when all are used.
    pub fn new_bidder(&mut self, city: &mut City<'_>, rng: &mut StdRng) -> usize {
        while let Some(company) = self.companies.get(self.next_bidder) {
            self.next_bidder += 1;
            if company.active {
                return self.next_bidder - 1;
            }
        }
        let i = self.add_company(city, rng, true);
        self.next_bidder = self.companies.len();
        i
    }

    /// The registry files, each sorted by its key so that planted rows sit among the rest.
    pub fn write(mut self, villages: &[Village]) -> BTreeMap<DatasetKind, String> {
        let mut files = BTreeMap::new();
        self.companies.sort_by(|a, b| a.uscc.cmp(&b.uscc));
        let mut table = Table::new(DatasetKind::Companies);
        for (i, c) in self.companies.iter().enumerate() {
            let status = registry_status(c.active, i);
            let holders = c.shareholders.join(";");
            table.row(&[&c.uscc, &c.name, &c.legal_rep, &holders, status]);
        }
        files.insert(DatasetKind::Companies, table.finish());
        self.vehicles.sort_by(|a, b| a.plate.cmp(&b.plate));
        let mut table = Table::new(DatasetKind::Vehicles);
        for v in &self.vehicles {
            table.row(&[&v.owner, &v.plate, &v.registered_on.to_string()]);
        }
        files.insert(DatasetKind::Vehicles, table.finish());
        self.employees.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let mut table = Table::new(DatasetKind::PublicEmployees);
        for (person, employer) in &self.employees {
            table.row(&[&person.id, &person.name, *employer]);
        }
        files.insert(DatasetKind::PublicEmployees, table.finish());
        files.insert(DatasetKind::Cadres, self.cadres_file(villages));
        self.relatives
            .sort_by(|a, b| (&a.person, &a.relative).cmp(&(&b.person, &b.relative)));
        let mut table = Table::new(DatasetKind::Relatives);
        for r in &self.relatives {
            table.row(&[&r.person, &r.relative, r.relation]);
        }
        files.insert(DatasetKind::Relatives, table.finish());
        self.deaths.sort();
        let mut table = Table::new(DatasetKind::Deaths);
        for (person, died_on) in &self.deaths {
            table.row(&[person.as_str(), &day(Some(*died_on))]);
        }
        files.insert(DatasetKind::Deaths, table.finish());
        files
    }

    fn cadres_file(&mut self, villages: &[Village]) -> String {
        let role_rank = |role: &str| names::CADRE_ROLES.iter().position(|r| *r == role);
        self.cadres
            .sort_by_key(|c| (c.village, role_rank(c.role), c.person.id.clone()));
        let mut table = Table::new(DatasetKind::Cadres);
        for c in &self.cadres {
            let code = villages.get(c.village).map(|v| v.code.to_string());
            table.row(&[
                &c.person.id,
                &c.person.name,
                &code.unwrap_or_default(),
                c.role,
            ]);
        }
        table.finish()
    }
}

/// A random index below `len`, or `None` for an empty list.
pub(super) fn pick_index(rng: &mut StdRng, len: usize) -> Option<usize> {
    (len > 0).then(|| rng.gen_range(0..len))
}
