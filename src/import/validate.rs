//! Checking a whole dataset file and turning it into typed rows.
//!
//! [`parse_dataset`] either returns every row of the file, typed, or every problem found
//! in it; it never returns some rows of a file with errors. Header problems (a missing or
//! doubled column) stop the check early because no row can be read without its columns;
//! otherwise every cell of every row is checked, so one pass shows a department all that
//! needs fixing.

use std::collections::HashMap;

use rayon::prelude::*;

use super::DatasetKind;
use super::assemble::assemble;
use super::cells::{Binding, Cells};
use super::error::{ImportError, ImportErrors, ImportWarning};
use super::limits::ImportLimits;
use super::read::{RawRow, Table, read_table};
use super::rows::Row;
use super::schema::{MoneyUnit, Schema, match_header, schema};
use crate::domain::region::RegionCode;

/// Rows checked at a time by one thread: enough that handing out pieces costs nothing.
const ROWS_PER_PIECE: usize = 2048;

/// A checked file: every data row, typed, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub kind: DatasetKind,
    pub rows: Vec<Row>,
    /// Things the uploader should know that did not stop the import (ignored columns).
    pub warnings: Vec<ImportWarning>,
}

/// Reads and checks a whole file of `kind`.
///
/// `file_name` decides the format (`.csv` or `.xlsx`) and names the file in errors.
/// `known_regions` says whether a region code is in the region tree; codes it refuses
/// are errors.
pub fn parse_dataset(
    kind: DatasetKind,
    file_name: &str,
    bytes: &[u8],
    known_regions: &(dyn Fn(&RegionCode) -> bool + Sync),
) -> Result<Dataset, ImportErrors> {
    let limits = ImportLimits::default();
    parse_dataset_within(kind, file_name, bytes, known_regions, &limits)
}

/// [`parse_dataset`] within `limits`: a file over one is refused with that one error, and
/// at most `limits.max_errors` problems are listed (the last entry counts the rest).
pub fn parse_dataset_within(
    kind: DatasetKind,
    file_name: &str,
    bytes: &[u8],
    known_regions: &(dyn Fn(&RegionCode) -> bool + Sync),
    limits: &ImportLimits,
) -> Result<Dataset, ImportErrors> {
    let table = read_table(file_name, bytes, limits)?;
    let schema = schema(kind);
    let (bindings, warnings) = bind_header(file_name, &schema, &table)?;
    let raws: Vec<&RawRow> = table.rows.iter().filter(|raw| !raw.is_blank()).collect();
    // Rows are checked on every core; only the duplicate check, which needs the rows
    // before, runs in file order afterwards.
    let checked: Vec<_> = raws
        .par_iter()
        .with_min_len(ROWS_PER_PIECE)
        .map(|raw| {
            check_row(
                kind,
                file_name,
                raw,
                &bindings,
                &schema,
                &table,
                known_regions,
            )
        })
        .collect();
    let mut errors = ErrorList::new(file_name, limits.max_errors);
    let mut warnings = warnings;
    let mut rows = Vec::with_capacity(checked.len());
    let mut seen = HashMap::with_capacity(checked.len());
    for mut row in checked {
        let key = row.key.take();
        if let Some(duplicate) = duplicate_error(file_name, &schema, key, row.number, &mut seen) {
            row.errors.insert(row.errors_before_build, duplicate);
        }
        rows.extend(row.row);
        errors.extend(row.errors);
        warnings.extend(row.warnings);
    }
    warnings.truncate(limits.max_errors);
    if errors.is_empty() {
        Ok(Dataset {
            kind,
            rows,
            warnings,
        })
    } else {
        Err(errors.finish())
    }
}

/// The problems of a file, the first `max` of them listed and the rest only counted, so a
/// file bad in every cell costs no more to report than one bad in a thousand.
pub struct ErrorList {
    file: String,
    listed: Vec<ImportError>,
    max: usize,
    unlisted: usize,
}

impl ErrorList {
    pub fn new(file: &str, max: usize) -> ErrorList {
        ErrorList {
            file: file.to_owned(),
            listed: Vec::new(),
            max,
            unlisted: 0,
        }
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = ImportError>) {
        for error in errors {
            if self.listed.len() < self.max {
                self.listed.push(error);
            } else {
                self.unlisted += 1;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The listed problems, and one more entry counting those left out.
    pub fn finish(mut self) -> ImportErrors {
        if self.unlisted > 0 {
            let reason = format!(
                "{} more problem(s) not listed (only the first {} are)",
                self.unlisted, self.max
            );
            self.listed.push(ImportError::file(&self.file, reason));
        }
        ImportErrors::new(self.listed)
    }
}

/// Where each schema column is in the file (`None` if absent) and the unit its header
/// names.
type Found = Vec<Option<(usize, MoneyUnit)>>;

/// Finds each schema column in the header. Unknown headers become warnings; a header
/// naming a column twice, or a required column not named at all, is an error.
fn bind_header(
    file: &str,
    schema: &Schema,
    table: &Table,
) -> Result<(Vec<Binding>, Vec<ImportWarning>), ImportErrors> {
    let (found, mut errors, warnings) = locate_columns(file, schema, table);
    errors.extend(missing_columns(file, schema, table, &found));
    if !errors.is_empty() {
        return Err(ImportErrors::new(errors));
    }
    let bindings = schema
        .columns
        .iter()
        .zip(found)
        .map(|(column, slot)| Binding {
            column,
            index: slot.map(|(index, _)| index),
            unit: slot.map_or(MoneyUnit::Yuan, |(_, unit)| unit),
        })
        .collect();
    Ok((bindings, warnings))
}

fn header_error(
    file: &str,
    table: &Table,
    column: &str,
    value: &str,
    reason: String,
) -> ImportError {
    ImportError {
        file: file.to_owned(),
        row: Some(table.header_row),
        column: Some(column.to_owned()),
        value: value.to_owned(),
        reason,
        limit: None,
    }
}

/// Matches every header cell to a schema column, noting unknown and doubled headers.
fn locate_columns(
    file: &str,
    schema: &Schema,
    table: &Table,
) -> (Found, Vec<ImportError>, Vec<ImportWarning>) {
    let mut found: Found = vec![None; schema.columns.len()];
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (index, header) in table.header.iter().enumerate() {
        let header = header.trim();
        if header.is_empty() {
            continue;
        }
        let Some((position, unit)) = match_header(schema, header) else {
            warnings.push(ImportWarning {
                file: file.to_owned(),
                row: table.header_row,
                column: header.to_owned(),
                value: String::new(),
                message: format!("not a column of {}; ignored", schema.kind),
            });
            continue;
        };
        let (Some(slot), Some(column)) = (found.get_mut(position), schema.columns.get(position))
        else {
            continue;
        };
        match slot {
            Some((first, _)) => {
                let first_header = table.header.get(*first).map_or("", |h| h.trim());
                let reason = format!(
                    "columns {} ({first_header}) and {} ({header}) both give {}",
                    *first + 1,
                    index + 1,
                    column.name
                );
                errors.push(header_error(file, table, column.name, header, reason));
            }
            None => *slot = Some((index, unit)),
        }
    }
    (found, errors, warnings)
}

/// One error per required column absent from the header, listing the headers found so
/// the uploader can spot a misspelling.
fn missing_columns(file: &str, schema: &Schema, table: &Table, found: &Found) -> Vec<ImportError> {
    let headers_found: Vec<&str> = table
        .header
        .iter()
        .map(|h| h.trim())
        .filter(|h| !h.is_empty())
        .collect();
    schema
        .columns
        .iter()
        .zip(found)
        .filter(|(column, slot)| column.required && slot.is_none())
        .map(|(column, _)| {
            let reason = format!(
                "missing required column {} (or {}); the header has: {}",
                column.name,
                column.headers.join(", "),
                headers_found.join(", ")
            );
            header_error(file, table, column.name, "", reason)
        })
        .collect()
}

/// Reports a CSV row with more cells than the header: usually an unquoted comma inside
/// a value (such as "1,234.50"), which shifts every later cell into the wrong column.
fn check_width(cells: &mut Cells<'_>, raw: &RawRow, header_len: usize) {
    let extra = raw.cells.get(header_len..).unwrap_or_default();
    if extra.iter().all(|c| c.is_blank()) {
        return;
    }
    let value: Vec<String> = extra.iter().map(|c| c.shown()).collect();
    let reason = format!(
        "the row has {} cells but the header has {header_len}; quote values that contain commas",
        raw.cells.len()
    );
    cells.error("", value.join(","), reason);
}

/// One row, checked apart from the rows around it.
struct CheckedRow {
    number: usize,
    key: Option<Vec<String>>,
    row: Option<Row>,
    errors: Vec<ImportError>,
    warnings: Vec<ImportWarning>,
    /// Where a duplicate-key error goes among `errors`: after the cells' own errors and
    /// before the builder's, as when the check ran in the middle of reading the row.
    errors_before_build: usize,
}

fn check_row(
    kind: DatasetKind,
    file_name: &str,
    raw: &RawRow,
    bindings: &[Binding],
    schema: &Schema,
    table: &Table,
    known_regions: &(dyn Fn(&RegionCode) -> bool + Sync),
) -> CheckedRow {
    let mut cells = Cells::parse(file_name, raw, bindings, known_regions);
    check_width(&mut cells, raw, table.header.len());
    let key = cells.key(schema.key);
    let errors_before_build = cells.error_count();
    let row = assemble(kind, &mut cells);
    let number = cells.row();
    let (errors, warnings) = cells.into_findings();
    CheckedRow {
        number,
        key,
        row,
        errors,
        warnings,
        errors_before_build,
    }
}

/// The error for a row whose key repeats an earlier row's, naming the earlier row.
fn duplicate_error(
    file_name: &str,
    schema: &Schema,
    key: Option<Vec<String>>,
    number: usize,
    seen: &mut HashMap<Vec<String>, usize>,
) -> Option<ImportError> {
    let key = key?;
    if let Some(first) = seen.get(&key) {
        let columns = schema.key.join("+");
        let value = key.join("+");
        let reason = format!("{columns} {value} already appears in row {first}");
        return Some(ImportError {
            file: file_name.to_owned(),
            row: Some(number),
            column: Some(columns),
            value,
            reason,
            limit: None,
        });
    }
    seen.insert(key, number);
    None
}
