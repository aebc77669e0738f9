//! Builds the typed row of each kind from a row's parsed cells, and checks the rules that
//! relate two cells of the same row (a term that ends before it starts, a payment date
//! without an amount).

use super::DatasetKind;
use super::cells::Cells;
use super::rows::{
    BidRow, CadreRow, CompanyRow, ContractPaymentRow, ContractRow, DeathRow, ProjectRow,
    PublicEmployeeRow, RelativeRow, Row, VehicleRow, VillagePaymentRow, WelfarePaymentRow,
};

/// The typed row, or `None` if any of its cells was bad (the errors are in `cells`).
pub(crate) fn assemble(kind: DatasetKind, c: &mut Cells<'_>) -> Option<Row> {
    let row = match kind {
        DatasetKind::Contracts => contract(c).map(Row::Contract),
        DatasetKind::ContractPayments => contract_payment(c).map(Row::ContractPayment),
        DatasetKind::VillagePayments => village_payment(c).map(Row::VillagePayment),
        DatasetKind::Projects => project(c).map(Row::Project),
        DatasetKind::WelfarePayments => welfare_payment(c).map(Row::WelfarePayment),
        DatasetKind::Vehicles => vehicle(c).map(Row::Vehicle),
        DatasetKind::Companies => company(c).map(Row::Company),
        DatasetKind::PublicEmployees => public_employee(c).map(Row::PublicEmployee),
        DatasetKind::Cadres => cadre(c).map(Row::Cadre),
        DatasetKind::Relatives => relative(c).map(Row::Relative),
        DatasetKind::Deaths => death(c).map(Row::Death),
        DatasetKind::Bids => bid(c).map(Row::Bid),
        DatasetKind::Contacts => super::contacts::contact(c).map(Row::Contact),
    };
    // A row is kept only if none of its cells, nor any check between them, failed.
    row.filter(|_| c.is_clean())
}

fn contract(c: &mut Cells<'_>) -> Option<ContractRow> {
    let row = ContractRow {
        source_row: c.row(),
        contract_id: c.req("contract_id")?,
        village_code: c.req("village_code")?,
        asset: c.req("asset")?,
        counterparty: c.req("counterparty")?,
        counterparty_id: c.req("counterparty_id")?,
        amount: c.req("amount")?,
        signed_on: c.req("signed_on")?,
        approved_on: c.opt("approved_on")?,
        term_start: c.req("term_start")?,
        term_end: c.req("term_end")?,
        tendered: c.req("tendered")?,
        disclosed_on: c.opt("disclosed_on")?,
    };
    if row.term_end < row.term_start {
        let reason = format!(
            "the term ends on {} before it starts on {}",
            row.term_end, row.term_start
        );
        c.error("term_end", row.term_end.to_string(), reason);
    }
    Some(row)
}

fn contract_payment(c: &mut Cells<'_>) -> Option<ContractPaymentRow> {
    let mut row = ContractPaymentRow {
        source_row: c.row(),
        contract_id: c.req("contract_id")?,
        due_on: c.req("due_on")?,
        amount: c.req("amount")?,
        paid_on: c.opt("paid_on")?,
        paid_amount: c.opt("paid_amount")?,
    };
    // A spreadsheet whose paid column is a formula writes 0.00 for an instalment nobody
    // has paid, with no date: that is unpaid, not a payment of nothing on no day.
    if row.paid_on.is_none() && row.paid_amount.is_some_and(|paid| paid.fen() == 0) {
        row.paid_amount = None;
    }
    // Otherwise an instalment is either unpaid (both empty) or paid (both given); one
    // without the other cannot be judged overdue or settled.
    match (row.paid_on, row.paid_amount) {
        (Some(date), None) => {
            let reason = format!("paid_on is {date} but paid_amount is empty");
            c.error("paid_amount", String::new(), reason);
        }
        (None, Some(amount)) => {
            let reason = format!("paid_amount is {amount} but paid_on is empty");
            c.error("paid_on", String::new(), reason);
        }
        _ => {}
    }
    Some(row)
}

fn village_payment(c: &mut Cells<'_>) -> Option<VillagePaymentRow> {
    Some(VillagePaymentRow {
        source_row: c.row(),
        payment_id: c.req("payment_id")?,
        village_code: c.req("village_code")?,
        payee: c.req("payee")?,
        payee_id: c.req("payee_id")?,
        amount: c.req("amount")?,
        paid_on: c.req("paid_on")?,
        approved_on: c.opt("approved_on")?,
        approval_level: c.opt("approval_level")?,
        project_id: c.opt("project_id")?,
        purpose: c.req("purpose")?,
    })
}

fn project(c: &mut Cells<'_>) -> Option<ProjectRow> {
    Some(ProjectRow {
        source_row: c.row(),
        project_id: c.req("project_id")?,
        village_code: c.req("village_code")?,
        name: c.req("name")?,
        budget: c.req("budget")?,
        procurement: c.req("procurement")?,
        started_on: c.req("started_on")?,
        disclosed_on: c.opt("disclosed_on")?,
    })
}

fn welfare_payment(c: &mut Cells<'_>) -> Option<WelfarePaymentRow> {
    Some(WelfarePaymentRow {
        source_row: c.row(),
        payment_id: c.req("payment_id")?,
        fund: c.req("fund")?,
        recipient_id: c.req("recipient_id")?,
        recipient_name: c.req("recipient_name")?,
        village_code: c.req("village_code")?,
        amount: c.req("amount")?,
        period: c.req("period")?,
        paid_on: c.req("paid_on")?,
    })
}

fn vehicle(c: &mut Cells<'_>) -> Option<VehicleRow> {
    Some(VehicleRow {
        source_row: c.row(),
        owner_id: c.req("owner_id")?,
        plate: c.req("plate")?,
        registered_on: c.req("registered_on")?,
    })
}

fn company(c: &mut Cells<'_>) -> Option<CompanyRow> {
    Some(CompanyRow {
        source_row: c.row(),
        uscc: c.req("uscc")?,
        name: c.req("name")?,
        legal_rep_id: c.req("legal_rep_id")?,
        shareholder_ids: c.opt("shareholder_ids")?.unwrap_or_default(),
        status: c.req("status")?,
    })
}

fn public_employee(c: &mut Cells<'_>) -> Option<PublicEmployeeRow> {
    Some(PublicEmployeeRow {
        source_row: c.row(),
        person_id: c.req("person_id")?,
        name: c.req("name")?,
        employer: c.req("employer")?,
    })
}

fn cadre(c: &mut Cells<'_>) -> Option<CadreRow> {
    Some(CadreRow {
        source_row: c.row(),
        person_id: c.req("person_id")?,
        name: c.req("name")?,
        village_code: c.req("village_code")?,
        role: c.req("role")?,
    })
}

fn relative(c: &mut Cells<'_>) -> Option<RelativeRow> {
    Some(RelativeRow {
        source_row: c.row(),
        person_id: c.req("person_id")?,
        relative_id: c.req("relative_id")?,
        relation: c.req("relation")?,
    })
}

fn death(c: &mut Cells<'_>) -> Option<DeathRow> {
    Some(DeathRow {
        source_row: c.row(),
        person_id: c.req("person_id")?,
        died_on: c.req("died_on")?,
    })
}

fn bid(c: &mut Cells<'_>) -> Option<BidRow> {
    Some(BidRow {
        source_row: c.row(),
        tender_id: c.req("tender_id")?,
        project: c.req("project")?,
        buyer: c.req("buyer")?,
        region_code: c.req("region_code")?,
        bidder_uscc: c.req("bidder_uscc")?,
        bidder_name: c.req("bidder_name")?,
        amount: c.req("amount")?,
        won: c.req("won")?,
        opened_on: c.req("opened_on")?,
    })
}
