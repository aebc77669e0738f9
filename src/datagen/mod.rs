//! A deterministic generator of a fictional city's datasets, with known anomalies planted
//! in it: the demo data (`seeds/demo/`) and the load of the scan benchmark.
//!
//! [`generate`] turns a [`GenConfig`] into one CSV file per dataset kind, with the
//! templates' English headers, and the list of what was planted. The "clean" population
//! is built so that no rule of the shipped catalogue flags anything in it: welfare
//! recipients are people who appear in no registry, payments are approved in time and
//! within their limits, bidders never meet often enough to look like a ring. Near misses
//! (a disabled recipient with a car, a lease renewed just before it ends) are part of the
//! clean population, so that a rule that overreaches fails the tests. With `plant` on,
//! each planted anomaly is recorded as the rule and the exact subject key the rule
//! builds, so "every plant found and nothing else" can be checked by comparing sets.
//!
//! Everything random comes from `StdRng`s seeded from `GenConfig::seed`, one per part of
//! the city, and nothing iterates a hash map, so one config gives byte-identical files.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::domain::region::RegionCode;
use crate::import::DatasetKind;
use crate::regions::RegionTree;

#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
mod bench_data;
mod bidding;
mod contacts;
mod contracts;
mod contracts_plants;
pub mod demo;
pub mod geo;
pub mod hostile;
mod ids;
pub mod market;
mod names;
mod payments;
mod registries;
mod table;
mod welfare;
mod welfare_plants;

#[cfg(test)]
mod geo_tests;
#[cfg(test)]
mod tests;

/// A village or community of the city, as the generator names things after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Village {
    pub code: RegionCode,
    pub name: String,
}

/// How many rows of each kind the clean population has; plants and near misses add a
/// few dozen rows on top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub welfare_payments: usize,
    pub vehicles: usize,
    pub companies: usize,
    pub public_employees: usize,
    pub cadres: usize,
    pub relatives: usize,
    pub deaths: usize,
    /// Contracts; their instalments (yearly, up to a year ahead) come with them.
    pub contracts: usize,
    pub village_payments: usize,
    pub projects: usize,
    pub bids: usize,
}

impl Sizes {
    /// A demo-sized city: a few thousand rows a wall screen can show in full.
    pub fn demo() -> Sizes {
        Sizes {
            welfare_payments: 3_000,
            vehicles: 1_000,
            companies: 300,
            public_employees: 200,
            cadres: 230,
            relatives: 300,
            deaths: 100,
            contracts: 300,
            village_payments: 600,
            projects: 120,
            bids: 1_000,
        }
    }

    /// A city with `welfare_payments` welfare payments and every other dataset in
    /// proportion (at a million: 200,000 vehicles, 100,000 companies, 50,000 public
    /// employees, 20,000 deaths, 100,000 contracts and 50,000 bids).
    pub fn city(welfare_payments: usize) -> Sizes {
        let part = |per_million: usize, at_least: usize| {
            (welfare_payments.saturating_mul(per_million) / 1_000_000).max(at_least)
        };
        Sizes {
            welfare_payments,
            vehicles: part(200_000, 10),
            companies: part(100_000, 10),
            public_employees: part(50_000, 10),
            cadres: part(500, 46),
            relatives: part(1_000, 10),
            deaths: part(20_000, 10),
            contracts: part(100_000, 10),
            village_payments: part(20_000, 10),
            projects: part(4_000, 10),
            bids: part(50_000, 50),
        }
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GenConfig {
    pub seed: u64,
    /// The scan date the data is made for: time-based rules judge as of this day, which
    /// is the engine clock's day in Asia/Shanghai (`scan::today`).
    pub as_of: NaiveDate,
    /// The villages and communities of `seeds/regions.csv` (see [`villages`]).
    pub villages: Vec<Village>,
    pub sizes: Sizes,
    /// Whether to plant the anomalies listed in [`Generated::truth`].
    pub plant: bool,
}

/// One planted anomaly: the rule that must flag it, the subject key it flags it under,
/// and what was planted, in Chinese.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planted {
    pub rule: String,
    pub subject: String,
    pub note: String,
}

impl Planted {
    /// (rule, subject): what a scan's findings are compared by.
    pub fn key(&self) -> (String, String) {
        (self.rule.clone(), self.subject.clone())
    }
}

/// The generated city.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// One CSV file per kind, in [`DatasetKind::ALL`] order.
    pub files: Vec<(DatasetKind, String)>,
    /// Every planted anomaly, sorted by rule and subject; empty without `plant`.
    pub truth: Vec<Planted>,
}

impl Generated {
    /// The CSV text of `kind`.
    pub fn file(&self, kind: DatasetKind) -> &str {
        let found = self.files.iter().find(|(k, _)| *k == kind);
        found.map_or("", |(_, text)| text.as_str())
    }

    /// The data rows of all files (headers not counted).
    pub fn rows(&self) -> usize {
        let lines = |text: &String| text.lines().count().saturating_sub(1);
        self.files.iter().map(|(_, text)| lines(text)).sum()
    }

    /// The ground truth as CSV: `rule,subject,note`.
    pub fn truth_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let rows = self.truth.iter().map(|p| [&p.rule, &p.subject, &p.note]);
        let header = ["rule", "subject", "note"].map(String::from);
        for record in std::iter::once([&header[0], &header[1], &header[2]]).chain(rows) {
            writer.write_record(record).expect("writing CSV to memory");
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// The villages and communities of a region tree, in code order.
pub fn villages(tree: &RegionTree) -> Vec<Village> {
    let mut list: Vec<Village> = tree
        .villages()
        .map(|r| Village {
            code: r.code,
            name: r.name.clone(),
        })
        .collect();
    list.sort_by_key(|v| v.code);
    list
}

/// A planted anomaly attached to a generated row until the row has its final key.
#[derive(Clone, Debug)]
struct Tag {
    pub rule: &'static str,
    pub note: String,
}

impl Tag {
    pub fn new(rule: &'static str, note: impl Into<String>) -> Tag {
        Tag {
            rule,
            note: note.into(),
        }
    }
}

/// The planted anomalies found so far, one note per rule and subject.
#[derive(Default)]
struct Truth(BTreeMap<(String, String), String>);

impl Truth {
    /// Records the tags of one row under `subject`; a subject seen again keeps its note.
    pub fn add(&mut self, tags: &[Tag], subject: impl Fn() -> String) {
        for tag in tags {
            let key = (tag.rule.to_owned(), subject());
            self.0.entry(key).or_insert_with(|| tag.note.clone());
        }
    }
}

/// What every part of the generator shares: the scan date, the villages, the people
/// and codes handed out so far, and the truth recorded so far.
struct City<'a> {
    pub as_of: NaiveDate,
    pub villages: &'a [Village],
    pub plant: bool,
    pub people: ids::People,
    pub codes: ids::Codes,
    pub truth: Truth,
}

/// A random source for one part of the city, so that changing how one part is drawn
/// leaves the others' data as it was.
fn part_rng(seed: u64, part: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ part.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Generates the city described by `config`.
pub fn generate(config: &GenConfig) -> Generated {
    assert!(!config.villages.is_empty(), "the city needs villages");
    let mut rng = part_rng(config.seed, 0);
    let mut city = City {
        as_of: config.as_of,
        villages: &config.villages,
        plant: config.plant,
        people: ids::People::default(),
        codes: ids::Codes::new(&mut rng),
        truth: Truth::default(),
    };
    let sizes = &config.sizes;
    let mut registries = registries::generate(&mut city, &mut part_rng(config.seed, 1), sizes);
    let mut payments = welfare::generate(
        &mut city,
        &mut part_rng(config.seed, 2),
        &mut registries,
        sizes.welfare_payments,
    );
    if config.plant {
        let rng = &mut part_rng(config.seed, 3);
        welfare_plants::plant(&mut city, rng, &mut registries, &mut payments);
    }
    let mut files = BTreeMap::new();
    files.insert(
        DatasetKind::WelfarePayments,
        welfare::write(&mut city, payments),
    );
    let rng = &mut part_rng(config.seed, 4);
    files.extend(contracts::generate(&mut city, rng, &mut registries, sizes));
    let rng = &mut part_rng(config.seed, 5);
    files.extend(payments::generate(&mut city, rng, &mut registries, sizes));
    let rng = &mut part_rng(config.seed, 6);
    files.extend(bidding::generate(&mut city, rng, &mut registries, sizes));
    files.extend(registries.write(&config.villages));
    let rng = &mut part_rng(config.seed, 7);
    files.insert(
        DatasetKind::Contacts,
        contacts::write(rng, &config.villages),
    );
    let truth = city
        .truth
        .0
        .into_iter()
        .map(|((rule, subject), note)| Planted {
            rule,
            subject,
            note,
        })
        .collect();
    Generated {
        files: DatasetKind::ALL
            .into_iter()
            .map(|kind| (kind, files.remove(&kind).unwrap_or_default()))
            .collect(),
        truth,
    }
}
