//! Reading a department's dataset file (CSV or Excel) into typed rows.
//!
//! This is the pure half of an import: it takes the file's bytes and returns either every
//! row, typed, or every problem found, each naming the file, row, column and reason. The
//! whole file is checked before anything is returned, so the caller that stores rows never
//! sees half a file. Storing the rows and running the rules on them happen elsewhere.
//!
//! The pipeline is: [`read`] turns bytes into a header and raw cells; [`validate`] binds
//! the header to the kind's [`schema`], parses each cell by its column type ([`value`]),
//! builds the typed [`rows`] and reports duplicates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod assemble;
mod cells;
pub mod cli;
pub mod company_status;
pub mod contacts;
pub mod error;
pub mod limits;
pub mod read;
pub mod rows;
pub mod schema;
pub mod service;
pub mod validate;
pub mod value;
mod xlsx;

#[cfg(test)]
mod tests;

pub use error::{ImportError, ImportErrors, ImportWarning};
pub use limits::ImportLimits;
pub use rows::Row;
pub use validate::{Dataset, parse_dataset, parse_dataset_within};

/// The kinds of dataset a department can upload, named as on the command line.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// Village collective contracts (leases of land, ponds, shops).
    Contracts,
    /// The instalments due under those contracts and what was paid.
    ContractPayments,
    /// Payments made from village funds.
    VillagePayments,
    /// Small village projects (小微工程).
    Projects,
    /// Welfare payments (低保, 五保, house renovation, disability subsidies).
    WelfarePayments,
    /// The vehicle registry.
    Vehicles,
    /// The company registry.
    Companies,
    /// Public employees (公职人员).
    PublicEmployees,
    /// Village cadres (村干部).
    Cadres,
    /// Relatives of cadres and public employees.
    Relatives,
    /// Registered deaths.
    Deaths,
    /// Bids on public tenders.
    Bids,
    /// The officials notifications reach (通知对象): role, region and addresses.
    Contacts,
}

/// A dataset kind name that is not one of [`DatasetKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dataset kind '{0}'; expected one of: {names}", names = DatasetKind::names())]
pub struct UnknownDatasetKind(pub String);

impl DatasetKind {
    /// Every kind, in the order the command line lists them.
    pub const ALL: [DatasetKind; 13] = [
        DatasetKind::Contracts,
        DatasetKind::ContractPayments,
        DatasetKind::VillagePayments,
        DatasetKind::Projects,
        DatasetKind::WelfarePayments,
        DatasetKind::Vehicles,
        DatasetKind::Companies,
        DatasetKind::PublicEmployees,
        DatasetKind::Cadres,
        DatasetKind::Relatives,
        DatasetKind::Deaths,
        DatasetKind::Bids,
        DatasetKind::Contacts,
    ];

    /// Parses a snake_case kind name such as `welfare_payments`.
    pub fn parse(name: &str) -> Result<DatasetKind, UnknownDatasetKind> {
        let name = name.trim();
        DatasetKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| UnknownDatasetKind(name.to_owned()))
    }

    /// The snake_case name, also the template's file stem.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Contracts => "contracts",
            DatasetKind::ContractPayments => "contract_payments",
            DatasetKind::VillagePayments => "village_payments",
            DatasetKind::Projects => "projects",
            DatasetKind::WelfarePayments => "welfare_payments",
            DatasetKind::Vehicles => "vehicles",
            DatasetKind::Companies => "companies",
            DatasetKind::PublicEmployees => "public_employees",
            DatasetKind::Cadres => "cadres",
            DatasetKind::Relatives => "relatives",
            DatasetKind::Deaths => "deaths",
            DatasetKind::Bids => "bids",
            DatasetKind::Contacts => "contacts",
        }
    }

    fn names() -> String {
        let names: Vec<&str> = DatasetKind::ALL.iter().map(|k| k.as_str()).collect();
        names.join(", ")
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetKind {
    type Err = UnknownDatasetKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatasetKind::parse(s)
    }
}
