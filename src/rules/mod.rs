//! The rules: pure checks that compare the imported datasets and report findings.
//!
//! A rule takes every row it needs in memory ([`Data`]) and returns a [`RuleReport`]: how
//! many subjects it examined, how many it flagged, how many it could not judge for lack of
//! data, and one [`Finding`] per flagged subject with the evidence (比对判别依据) a screen
//! shows to explain it. Rules do no I/O and read no clock: "today" is `Data::as_of`.
//!
//! Which rules run, and with which thresholds, is declared in the catalogue
//! (`workflows/rules/*.toml`, see [`catalogue`]); a rule is on exactly when its entry is
//! present. The [`registry!`] invocation below is the one list of rules: it ties each code
//! to its module, its domain and its typed parameters, and builds the rule objects.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::region::RegionCode;
use crate::import::Row;
use crate::import::rows::{
    BidRow, CadreRow, CompanyRow, ContractPaymentRow, ContractRow, DeathRow, ProjectRow,
    PublicEmployeeRow, RelativeRow, VehicleRow, VillagePaymentRow, WelfarePaymentRow,
};

pub mod catalogue;

mod bidding;
mod cobid;
mod index;
mod labels;
mod ring_groups;
mod stats;
mod support;
mod welfare;

pub mod bid_ring;
pub mod bid_win_outlier;
pub mod contract_payment_overdue;
pub mod cover_bidder;
pub mod disclosure_late;
pub mod lease_expiring;
pub mod lease_over_limit;
pub mod payment_before_approval;
pub mod payment_over_limit;
pub mod public_report;
pub mod tender_required;
pub mod welfare_cadre_relative;
pub mod welfare_company;
pub mod welfare_deceased;
pub mod welfare_duplicate;
pub mod welfare_public_employee;
pub mod welfare_vehicle;

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod market_tests;
#[cfg(test)]
pub(crate) mod screen_words;
#[cfg(test)]
mod tests;

pub use catalogue::{Catalogue, CatalogueError, Domain, RuleEntry, WarningLevel};

/// Every dataset the rules read, held in memory, and the day the rules judge as of.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Data {
    /// The day deadlines are measured to ("today" for the rules).
    pub as_of: NaiveDate,
    pub contracts: Vec<ContractRow>,
    pub contract_payments: Vec<ContractPaymentRow>,
    pub village_payments: Vec<VillagePaymentRow>,
    pub projects: Vec<ProjectRow>,
    pub welfare_payments: Vec<WelfarePaymentRow>,
    pub vehicles: Vec<VehicleRow>,
    pub companies: Vec<CompanyRow>,
    pub public_employees: Vec<PublicEmployeeRow>,
    pub cadres: Vec<CadreRow>,
    pub relatives: Vec<RelativeRow>,
    pub deaths: Vec<DeathRow>,
    pub bids: Vec<BidRow>,
}

impl Data {
    /// Sorts typed rows of any kinds into their datasets, in the order given.
    pub fn from_rows(as_of: NaiveDate, rows: impl IntoIterator<Item = Row>) -> Data {
        let mut data = Data {
            as_of,
            ..Data::default()
        };
        for row in rows {
            match row {
                Row::Contract(r) => data.contracts.push(r),
                Row::ContractPayment(r) => data.contract_payments.push(r),
                Row::VillagePayment(r) => data.village_payments.push(r),
                Row::Project(r) => data.projects.push(r),
                Row::WelfarePayment(r) => data.welfare_payments.push(r),
                Row::Vehicle(r) => data.vehicles.push(r),
                Row::Company(r) => data.companies.push(r),
                Row::PublicEmployee(r) => data.public_employees.push(r),
                Row::Cadre(r) => data.cadres.push(r),
                Row::Relative(r) => data.relatives.push(r),
                Row::Death(r) => data.deaths.push(r),
                Row::Bid(r) => data.bids.push(r),
                // Who is told, not what is judged.
                Row::Contact(_) => {}
            }
        }
        data
    }
}

/// One flagged subject: what a warning is raised from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The code of the rule that found it.
    pub rule: String,
    /// A stable key of what was flagged, such as `welfare_payment:WP-0001` or
    /// `bidder:91350100M000100Y43`; the same rule on the same data gives the same key, so
    /// a warning is never raised twice for one subject.
    pub subject: String,
    /// Who is responsible: the village for village data, the tender's region for bids
    /// (the common ancestor when a finding spans several tenders).
    pub region: RegionCode,
    /// A short Chinese title, such as 低保对象名下有车辆.
    pub title: String,
    /// One Chinese sentence naming the subject and the values compared; resident IDs in
    /// it are masked.
    pub summary: String,
    /// Why (比对判别依据): `compared` rows, the `values` compared, the `threshold` used
    /// and the legal `basis`.
    pub evidence: serde_json::Value,
}

/// What one rule did on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleReport {
    pub rule: String,
    /// Subjects examined and judged.
    pub checked: u64,
    /// Subjects with a finding (one finding each).
    pub flagged: u64,
    /// Subjects that could not be judged for lack of data, such as an instalment of a
    /// contract that is not in the contracts dataset.
    pub not_judged: u64,
    /// The findings, sorted by subject.
    pub findings: Vec<Finding>,
}

/// A check over the datasets. Implementations are pure: same data, same report.
pub trait Rule {
    /// The catalogue code, such as `welfare_vehicle`.
    fn code(&self) -> &str;
    /// Judges every subject in `data`.
    fn run(&self, data: &Data) -> RuleReport;
}

/// What a rule needs to know about its catalogue entry besides its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    pub code: String,
    /// The legal basis, quoted in every finding's evidence.
    pub legal_basis: String,
}

/// Parameters that can say whether they make sense beyond their types (a negative
/// factor, a share above one). The catalogue calls this when it loads.
pub trait CheckParams {
    /// Why the parameters cannot be used, naming the key.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Declares every rule once: its code (the module name), the type implementing it and
/// its domain. Generates the typed-parameter enum, the parser the catalogue uses and the
/// builder that [`build_rules`] uses, so a rule cannot be registered in one and not the
/// other.
macro_rules! registry {
    ($($module:ident => $rule:ident in $domain:ident,)*) => {
        /// The typed parameters of each rule, as the catalogue declares them.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum RuleParams {
            $($rule($module::Params),)*
        }

        /// Every rule code, in registry order (the order reports come in).
        pub const CODES: &[&str] = &[$(stringify!($module),)*];

        impl RuleParams {
            /// The rule's domain, or `None` for an unknown code.
            pub fn domain_of(code: &str) -> Option<Domain> {
                match code {
                    $(stringify!($module) => Some(Domain::$domain),)*
                    _ => None,
                }
            }

            /// Parses and checks the parameters of rule `code`; `None` for an unknown code.
            pub(crate) fn parse(
                code: &str,
                value: toml::Value,
            ) -> Option<Result<RuleParams, String>> {
                match code {
                    $(stringify!($module) => Some(
                        catalogue::parse_params::<$module::Params>(value).map(RuleParams::$rule),
                    ),)*
                    _ => None,
                }
            }

            fn build(&self, meta: RuleMeta) -> Box<dyn Rule + Send + Sync> {
                match self {
                    $(RuleParams::$rule(p) => Box::new($module::$rule::new(meta, p.clone())),)*
                }
            }
        }
    };
}

registry! {
    contract_payment_overdue => ContractPaymentOverdue in VillagePower,
    payment_before_approval => PaymentBeforeApproval in VillagePower,
    payment_over_limit => PaymentOverLimit in VillagePower,
    lease_over_limit => LeaseOverLimit in VillagePower,
    tender_required => TenderRequired in VillagePower,
    disclosure_late => DisclosureLate in VillagePower,
    lease_expiring => LeaseExpiring in VillagePower,
    welfare_vehicle => WelfareVehicle in Welfare,
    welfare_company => WelfareCompany in Welfare,
    welfare_public_employee => WelfarePublicEmployee in Welfare,
    welfare_cadre_relative => WelfareCadreRelative in Welfare,
    welfare_deceased => WelfareDeceased in Welfare,
    welfare_duplicate => WelfareDuplicate in Welfare,
    bid_win_outlier => BidWinOutlier in Bidding,
    bid_ring => BidRing in Bidding,
    cover_bidder => CoverBidder in Bidding,
    public_report => PublicReport in Public,
}

/// The rules the catalogue enables, in registry order, ready to run.
pub fn build_rules(catalogue: &Catalogue) -> Vec<Box<dyn Rule + Send + Sync>> {
    catalogue
        .entries()
        .iter()
        .map(|entry| {
            let meta = RuleMeta {
                code: entry.code.clone(),
                legal_basis: entry.legal_basis.clone(),
            };
            entry.params.build(meta)
        })
        .collect()
}

/// Runs every enabled rule on `data`; one report per rule, in registry order.
///
/// The rules are independent and read-only, so they run on every core, each thread
/// taking the next rule in turn.
pub fn scan(catalogue: &Catalogue, data: &Data) -> Vec<RuleReport> {
    // A rule that panics is a bug; rayon passes its panic on rather than silently
    // dropping its report. `collect` keeps the registry order.
    use rayon::prelude::*;
    build_rules(catalogue)
        .par_iter()
        .with_max_len(1)
        .map(|rule| rule.run(data))
        .collect()
}
