//! The typed rows of each dataset kind, as the storing code and the rules receive them.
//!
//! Every field already holds a checked value (IDs with valid check characters, amounts in
//! fen, region codes in the tree), so nothing downstream parses or re-validates. Each row
//! keeps the row number it came from, so a warning raised by a rule can point back at the
//! line in the department's file.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::DatasetKind;
use super::value::{ApprovalLevel, CompanyStatus, Fund, PartyId, Plate, Procurement};
use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::domain::resident_id::ResidentId;
use crate::domain::uscc::Uscc;

/// A village collective contract (村集体经济合同).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRow {
    pub source_row: usize,
    pub contract_id: String,
    pub village_code: RegionCode,
    pub asset: String,
    pub counterparty: String,
    pub counterparty_id: PartyId,
    pub amount: Fen,
    pub signed_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub tendered: bool,
    pub disclosed_on: Option<NaiveDate>,
}

/// One instalment due under a contract; `paid_*` are both `None` until it is paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPaymentRow {
    pub source_row: usize,
    pub contract_id: String,
    pub due_on: NaiveDate,
    pub amount: Fen,
    pub paid_on: Option<NaiveDate>,
    pub paid_amount: Option<Fen>,
}

/// A payment from village funds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillagePaymentRow {
    pub source_row: usize,
    pub payment_id: String,
    pub village_code: RegionCode,
    pub payee: String,
    pub payee_id: PartyId,
    pub amount: Fen,
    pub paid_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub approval_level: Option<ApprovalLevel>,
    pub project_id: Option<String>,
    pub purpose: String,
}

/// A small village project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub source_row: usize,
    pub project_id: String,
    pub village_code: RegionCode,
    pub name: String,
    pub budget: Fen,
    pub procurement: Procurement,
    pub started_on: NaiveDate,
    pub disclosed_on: Option<NaiveDate>,
}

/// One welfare payment to one person for one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelfarePaymentRow {
    pub source_row: usize,
    pub payment_id: String,
    pub fund: Fund,
    pub recipient_id: ResidentId,
    pub recipient_name: String,
    pub village_code: RegionCode,
    pub amount: Fen,
    pub period: Period,
    pub paid_on: NaiveDate,
}

/// A registered vehicle and its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleRow {
    pub source_row: usize,
    pub owner_id: ResidentId,
    pub plate: Plate,
    pub registered_on: NaiveDate,
}

/// A registered company, its legal representative and its individual shareholders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRow {
    pub source_row: usize,
    pub uscc: Uscc,
    pub name: String,
    pub legal_rep_id: ResidentId,
    pub shareholder_ids: Vec<ResidentId>,
    pub status: CompanyStatus,
}

/// A public employee (公职人员).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEmployeeRow {
    pub source_row: usize,
    pub person_id: ResidentId,
    pub name: String,
    pub employer: String,
}

/// A village cadre (村干部).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadreRow {
    pub source_row: usize,
    pub person_id: ResidentId,
    pub name: String,
    pub village_code: RegionCode,
    pub role: String,
}

/// A relative of a cadre or public employee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelativeRow {
    pub source_row: usize,
    pub person_id: ResidentId,
    pub relative_id: ResidentId,
    pub relation: String,
}

/// A registered death.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeathRow {
    pub source_row: usize,
    pub person_id: ResidentId,
    pub died_on: NaiveDate,
}

/// One company's bid on one tender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidRow {
    pub source_row: usize,
    pub tender_id: String,
    pub project: String,
    pub buyer: String,
    pub region_code: RegionCode,
    pub bidder_uscc: Uscc,
    pub bidder_name: String,
    pub amount: Fen,
    pub won: bool,
    pub opened_on: NaiveDate,
}

/// A typed row of any kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Row {
    Contract(ContractRow),
    ContractPayment(ContractPaymentRow),
    VillagePayment(VillagePaymentRow),
    Project(ProjectRow),
    WelfarePayment(WelfarePaymentRow),
    Vehicle(VehicleRow),
    Company(CompanyRow),
    PublicEmployee(PublicEmployeeRow),
    Cadre(CadreRow),
    Relative(RelativeRow),
    Death(DeathRow),
    Bid(BidRow),
    Contact(super::contacts::ContactRow),
}

impl Row {
    /// The kind of dataset the row belongs to.
    pub fn kind(&self) -> DatasetKind {
        match self {
            Row::Contract(_) => DatasetKind::Contracts,
            Row::ContractPayment(_) => DatasetKind::ContractPayments,
            Row::VillagePayment(_) => DatasetKind::VillagePayments,
            Row::Project(_) => DatasetKind::Projects,
            Row::WelfarePayment(_) => DatasetKind::WelfarePayments,
            Row::Vehicle(_) => DatasetKind::Vehicles,
            Row::Company(_) => DatasetKind::Companies,
            Row::PublicEmployee(_) => DatasetKind::PublicEmployees,
            Row::Cadre(_) => DatasetKind::Cadres,
            Row::Relative(_) => DatasetKind::Relatives,
            Row::Death(_) => DatasetKind::Deaths,
            Row::Bid(_) => DatasetKind::Bids,
            Row::Contact(_) => DatasetKind::Contacts,
        }
    }

    /// The 1-based row of the file the row came from (the header is row 1).
    pub fn source_row(&self) -> usize {
        match self {
            Row::Contract(r) => r.source_row,
            Row::ContractPayment(r) => r.source_row,
            Row::VillagePayment(r) => r.source_row,
            Row::Project(r) => r.source_row,
            Row::WelfarePayment(r) => r.source_row,
            Row::Vehicle(r) => r.source_row,
            Row::Company(r) => r.source_row,
            Row::PublicEmployee(r) => r.source_row,
            Row::Cadre(r) => r.source_row,
            Row::Relative(r) => r.source_row,
            Row::Death(r) => r.source_row,
            Row::Bid(r) => r.source_row,
            Row::Contact(r) => r.source_row,
        }
    }
}
