//! Writing generated rows as CSV with the templates' English headers, and the cell formats
//! the importer reads: amounts in yuan with two decimals, dates as `YYYY-MM-DD`.

use chrono::NaiveDate;

use crate::import::DatasetKind;

/// The English header of each kind, as in `seeds/templates/KIND.csv`.
pub(super) fn header(kind: DatasetKind) -> Vec<&'static str> {
    let names = match kind {
        DatasetKind::Contracts => {
            "contract_id,village_code,asset,counterparty,counterparty_id,amount,signed_on,\
             approved_on,term_start,term_end,tendered,disclosed_on"
        }
        DatasetKind::ContractPayments => "contract_id,due_on,amount,paid_on,paid_amount",
        DatasetKind::VillagePayments => {
            "payment_id,village_code,payee,payee_id,amount,paid_on,approved_on,\
             approval_level,project_id,purpose"
        }
        DatasetKind::Projects => {
            "project_id,village_code,name,budget,procurement,started_on,disclosed_on"
        }
        DatasetKind::WelfarePayments => {
            "payment_id,fund,recipient_id,recipient_name,village_code,amount,period,paid_on"
        }
        DatasetKind::Vehicles => "owner_id,plate,registered_on",
        DatasetKind::Companies => "uscc,name,legal_rep_id,shareholder_ids,status",
        DatasetKind::PublicEmployees => "person_id,name,employer",
        DatasetKind::Cadres => "person_id,name,village_code,role",
        DatasetKind::Relatives => "person_id,relative_id,relation",
        DatasetKind::Deaths => "person_id,died_on",
        DatasetKind::Contacts => {
            "contact_id,name,role,region_code,mobile,dingtalk_user_id,wecom_user_id,email"
        }
        DatasetKind::Bids => {
            "tender_id,project,buyer,region_code,bidder_uscc,bidder_name,amount,won,opened_on"
        }
    };
    names.split(',').collect()
}

/// A CSV file being written: the header first, then one record per row.
pub(super) struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    pub fn new(kind: DatasetKind) -> Table {
        let mut table = Table {
            writer: csv::Writer::from_writer(Vec::new()),
        };
        table.row(&header(kind));
        table
    }

    /// Appends one record; cells are quoted only where CSV needs it.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells = cells.iter().map(|c| c.as_ref().as_bytes());
        // Writing to a Vec cannot fail, and every record has the header's width.
        self.writer
            .write_record(cells)
            .expect("writing CSV to memory");
    }

    /// The whole file as text.
    pub fn finish(self) -> String {
        let bytes = self.writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// An amount in fen as yuan with two decimals, e.g. `1234.50`.
pub(super) fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// A date cell, or an empty cell for `None`.
pub(super) fn day(date: Option<NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

/// A yes/no cell as departments write it.
pub(super) fn yes_no(value: bool) -> &'static str {
    if value { "是" } else { "否" }
}

/// Serial numbers that restart each year, for IDs such as `HT-2024-00012`; rows must come
/// in date order.
#[derive(Default)]
pub(super) struct YearlySerial {
    year: i32,
    serial: u32,
}

impl YearlySerial {
    /// The next number within `year`, from 1.
    pub fn next(&mut self, year: i32) -> u32 {
        if year != self.year {
            (self.year, self.serial) = (year, 0);
        }
        self.serial += 1;
        self.serial
    }
}
