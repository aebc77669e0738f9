//! The cells of one data row, parsed by their columns' types, and the typed accessors
//! that the row builders read them through.
//!
//! Every cell is parsed when the row is read, before any builder runs, so each bad cell
//! of the row is reported even though a builder stops at the first missing value.

use chrono::NaiveDate;

use super::error::{ImportError, ImportWarning};
use super::read::RawRow;
use super::schema::{Column, MoneyUnit};
use super::value::{
    ApprovalLevel, CompanyStatus, Fund, PartyId, Plate, Procurement, Value, cell_warning,
    parse_cell,
};
use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::domain::resident_id::ResidentId;
use crate::domain::uscc::Uscc;

/// Where a schema column is in the file, if it is there, and the unit its header names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding {
    pub column: &'static Column,
    pub index: Option<usize>,
    pub unit: MoneyUnit,
}

/// The state of one column's cell in the row being read.
enum Slot {
    /// Absent or blank (allowed only for optional columns).
    Empty,
    /// Unparseable; the error has been recorded.
    Failed,
    /// Parsed, waiting for the builder.
    Value(Value),
    /// Already handed to the builder.
    Taken,
}

/// One row's parsed cells and the errors found in it.
pub(crate) struct Cells<'a> {
    file: &'a str,
    row: usize,
    bindings: &'a [Binding],
    slots: Vec<Slot>,
    errors: Vec<ImportError>,
    warnings: Vec<ImportWarning>,
}

impl<'a> Cells<'a> {
    /// Parses every bound cell of `raw`, recording an error for each bad one.
    pub fn parse(
        file: &'a str,
        raw: &RawRow,
        bindings: &'a [Binding],
        known_regions: &(dyn Fn(&RegionCode) -> bool + Sync),
    ) -> Cells<'a> {
        let mut cells = Cells {
            file,
            row: raw.number,
            bindings,
            slots: Vec::with_capacity(bindings.len()),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        for binding in bindings {
            let raw_cell = binding.index.and_then(|i| raw.cells.get(i));
            let shown = raw_cell.map(|c| c.shown()).unwrap_or_default();
            let column = binding.column;
            let text = match raw_cell.map(|c| c.to_text(column.ty)) {
                None => Ok(String::new()),
                Some(result) => result,
            };
            let slot = match text {
                Err(reason) => cells.fail(column.name, shown, reason),
                Ok(text) if text.trim().is_empty() && column.required => {
                    let reason = format!("{} is required but the cell is empty", column.name);
                    cells.fail(column.name, shown, reason)
                }
                Ok(text) if text.trim().is_empty() => Slot::Empty,
                Ok(text) => match parse_cell(column.ty, binding.unit, text.trim(), known_regions) {
                    Ok(value) => {
                        if let Some(message) = cell_warning(&value) {
                            cells.warn(column.name, shown, message);
                        }
                        Slot::Value(value)
                    }
                    Err(reason) => cells.fail(column.name, shown, reason),
                },
            };
            cells.slots.push(slot);
        }
        cells
    }

    fn fail(&mut self, column: &str, value: String, reason: String) -> Slot {
        self.error(column, value, reason);
        Slot::Failed
    }

    /// The row number in the file.
    pub fn row(&self) -> usize {
        self.row
    }

    /// The errors and warnings found, consuming the row.
    pub fn into_findings(self) -> (Vec<ImportError>, Vec<ImportWarning>) {
        (self.errors, self.warnings)
    }

    /// Records something about a cell that does not stop the import.
    fn warn(&mut self, column: &str, value: String, message: String) {
        self.warnings.push(ImportWarning {
            file: self.file.to_owned(),
            row: self.row,
            column: column.to_owned(),
            value,
            message,
        });
    }

    /// How many errors the row has so far.
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// True if no cell of the row was bad.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// Records a problem with a cell (or, with an empty `column`, with the whole row).
    pub fn error(&mut self, column: &str, value: String, reason: String) {
        self.errors.push(ImportError {
            file: self.file.to_owned(),
            row: Some(self.row),
            column: (!column.is_empty()).then(|| column.to_owned()),
            value,
            reason,
            limit: None,
        });
    }

    /// The canonical text of each key column, or `None` if any of them is not a valid
    /// value (a row whose key is bad cannot be a duplicate of anything).
    pub fn key(&self, columns: &[&str]) -> Option<Vec<String>> {
        columns
            .iter()
            .map(
                |name| match self.slot_index(name).and_then(|i| self.slots.get(i)) {
                    Some(Slot::Value(value)) => Some(value.to_string()),
                    _ => None,
                },
            )
            .collect()
    }

    fn slot_index(&self, name: &str) -> Option<usize> {
        self.bindings.iter().position(|b| b.column.name == name)
    }

    fn take(&mut self, name: &str) -> Slot {
        match self.slot_index(name).and_then(|i| self.slots.get_mut(i)) {
            Some(slot) => std::mem::replace(slot, Slot::Taken),
            None => Slot::Taken,
        }
    }

    /// The value of a required column, or `None` if its cell was bad (already reported).
    pub fn req<T: FromValue>(&mut self, name: &str) -> Option<T> {
        match self.opt(name) {
            Some(Some(value)) => Some(value),
            // A blank required cell is reported as `Failed`, so `Empty` here means the
            // builder reads an optional column as required: a bug, not bad data.
            Some(None) => self.internal(name),
            None => None,
        }
    }

    /// The value of an optional column: `Some(None)` if absent or blank, `None` if bad.
    pub fn opt<T: FromValue>(&mut self, name: &str) -> Option<Option<T>> {
        match self.take(name) {
            Slot::Empty => Some(None),
            Slot::Failed => None,
            Slot::Value(value) => match T::from_value(value) {
                Some(typed) => Some(Some(typed)),
                None => self.internal(name),
            },
            Slot::Taken => self.internal(name),
        }
    }

    /// Reports a builder asking for a column the schema does not declare with a matching
    /// type; the templates' tests exercise every builder, so this never reaches a user.
    fn internal<T>(&mut self, name: &str) -> Option<T> {
        let reason = format!("internal error: column {name} is not declared as read");
        self.error(name, String::new(), reason);
        None
    }
}

/// Extracts a typed field from a parsed cell; `None` if the cell has another type.
pub(crate) trait FromValue: Sized {
    fn from_value(value: Value) -> Option<Self>;
}

/// Implements [`FromValue`] for a type held directly by one variant of [`Value`].
macro_rules! from_variant {
    ($type:ty, $variant:ident) => {
        impl FromValue for $type {
            fn from_value(value: Value) -> Option<Self> {
                match value {
                    Value::$variant(inner) => Some(inner),
                    _ => None,
                }
            }
        }
    };
}

from_variant!(String, Text);
from_variant!(ResidentId, Person);
from_variant!(Uscc, Company);
from_variant!(PartyId, Party);
from_variant!(Fen, Money);
from_variant!(NaiveDate, Date);
from_variant!(Period, Period);
from_variant!(bool, Bool);
from_variant!(RegionCode, Region);
from_variant!(Fund, Fund);
from_variant!(CompanyStatus, Status);
from_variant!(Vec<ResidentId>, Ids);
from_variant!(Plate, Plate);

/// Implements [`FromValue`] for an enum whose values are the choices of an enum column.
macro_rules! from_choice {
    ($type:ty, $($name:literal => $variant:expr),+) => {
        impl FromValue for $type {
            fn from_value(value: Value) -> Option<Self> {
                match value {
                    $(Value::Choice($name) => Some($variant),)+
                    _ => None,
                }
            }
        }
    };
}

from_choice!(
    crate::notify::Recipient,
    "village_steward" => crate::notify::Recipient::VillageSteward,
    "village_secretary" => crate::notify::Recipient::VillageSecretary,
    "town_office" => crate::notify::Recipient::TownOffice,
    "city_office" => crate::notify::Recipient::CityOffice
);
from_choice!(ApprovalLevel, "village" => ApprovalLevel::Village, "town" => ApprovalLevel::Town);
from_choice!(
    Procurement,
    "tender" => Procurement::Tender,
    "quote" => Procurement::Quote,
    "direct" => Procurement::Direct
);
