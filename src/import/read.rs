//! Reading a file's bytes into a header and rows of raw cells, for CSV and `.xlsx`.
//!
//! Cells stay raw here (text, number, date, …) because what an Excel number means depends
//! on the column it sits in: a number in a money column is an amount, in a date column a
//! serial day, and in an ID column a corrupted identifier. [`RawCell::to_text`] makes that
//! decision once the column is known.

use calamine::{ExcelDateTime, ExcelDateTimeType};
use chrono::NaiveDate;

use super::error::ImportError;
use super::limits::{ImportLimits, Limit, Place, over_limit};
use super::schema::ColumnType;

/// One cell as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum RawCell {
    Empty,
    /// Text, as in every CSV cell and Excel text cells.
    Text(String),
    /// An Excel number.
    Number(f64),
    /// An Excel boolean.
    Bool(bool),
    /// An Excel cell formatted as a date.
    Date(NaiveDate),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

/// One data row and its 1-based row number in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRow {
    pub number: usize,
    pub cells: Vec<RawCell>,
}

impl RawRow {
    /// True if every cell is empty or whitespace, as in the blank rows that spreadsheets
    /// leave between blocks of data.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(RawCell::is_blank)
    }
}

/// A file's header cells (as text) and its data rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    /// The row number of the header, normally 1.
    pub header_row: usize,
    pub rows: Vec<RawRow>,
}

/// Reads a `.csv` or `.xlsx` file, choosing the format by the file name's extension, within
/// `limits` (a file over one is refused whole, naming the limit and where it was crossed).
pub fn read_table(
    file_name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<Table, ImportError> {
    if bytes.len() > limits.max_file_bytes {
        let max = limits.max_file_bytes as u64;
        let found = format!("{} bytes", bytes.len());
        return Err(over_limit(
            file_name,
            Limit::MaxFileBytes,
            max,
            found,
            Place::default(),
        ));
    }
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_lowercase())
        .unwrap_or_default();
    let table = match extension.as_str() {
        "csv" => read_csv(file_name, bytes, limits)?,
        "xlsx" => split_header(super::xlsx::read_rows(file_name, bytes, limits)?),
        "xls" => {
            let reason = "the old .xls format is not supported; save the sheet as .xlsx or .csv";
            return Err(ImportError::file(file_name, reason));
        }
        _ => {
            let reason = "unknown file type; expected a .csv or .xlsx file";
            return Err(ImportError::file(file_name, reason));
        }
    };
    match table {
        Some(table) => Ok(table),
        None => Err(ImportError::file(
            file_name,
            "the file is empty; expected a header row",
        )),
    }
}

/// Decodes CSV bytes: a byte-order mark decides if present; otherwise valid UTF-8 is
/// UTF-8, and anything else is read as GB18030, which also covers GBK and GB2312.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        if had_errors {
            return Err(format!(
                "the file starts with a {} byte-order mark but is not valid {}",
                encoding.name(),
                encoding.name()
            ));
        }
        return Ok(text.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err("the file is neither UTF-8 nor GBK/GB18030 text".to_owned());
    }
    Ok(text.into_owned())
}

fn read_csv(
    file_name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<Option<Table>, ImportError> {
    let text = decode_text(bytes).map_err(|reason| ImportError::file(file_name, reason))?;
    // Some tools export "CSV" separated by tabs; a first line with tabs and no commas is
    // read that way rather than as one wide column.
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut cells = 0usize;
    let mut lines = LineCounter::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let mut error = ImportError::file(file_name, format!("the CSV cannot be read: {e}"));
            error.row = e.position().map(|p| p.line() as usize);
            error
        })?;
        // The line number is the row as a text editor or spreadsheet shows it, as long as
        // no quoted cell spans several lines.
        let number = record.position().map_or(rows.len() + 1, |p| {
            lines.line_at(text.as_bytes(), p.byte() as usize)
        });
        cells += record.len();
        check_csv_record(file_name, limits, &record, number, rows.len() + 1, cells)?;
        let cells = record.iter().map(|c| RawCell::Text(c.to_owned())).collect();
        rows.push(RawRow { number, cells });
    }
    Ok(split_header(rows))
}

/// The line a record starts on, counted from its byte offset. The csv crate's own line
/// count is one short after CRLF line ends (what Excel on Windows writes), which would
/// send a person to the row above the bad one. Offsets only grow, so counting from the
/// last one keeps the whole file one pass.
struct LineCounter {
    offset: usize,
    line: usize,
}

impl Default for LineCounter {
    fn default() -> LineCounter {
        LineCounter { offset: 0, line: 1 }
    }
}

impl LineCounter {
    fn line_at(&mut self, text: &[u8], byte: usize) -> usize {
        let byte = byte.min(text.len());
        if byte > self.offset {
            self.line += text[self.offset..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = byte;
        }
        // A record placed on the newline that ends the line before starts after it.
        self.line + usize::from(text.get(byte) == Some(&b'\n'))
    }
}

/// Holds one CSV record (the `count`th, at line `number`) to the limits, with `cells` the
/// cells read so far, this record's included.
fn check_csv_record(
    file: &str,
    limits: &ImportLimits,
    record: &csv::StringRecord,
    number: usize,
    count: usize,
    cells: usize,
) -> Result<(), ImportError> {
    if count > limits.max_rows {
        let max = limits.max_rows as u64;
        return Err(over_limit(
            file,
            Limit::MaxRows,
            max,
            count,
            Place::row(number),
        ));
    }
    if record.len() > limits.max_columns {
        let max = limits.max_columns as u64;
        let place = Place::cell(number, limits.max_columns);
        return Err(over_limit(
            file,
            Limit::MaxColumns,
            max,
            record.len(),
            place,
        ));
    }
    if cells > limits.max_cells {
        let max = limits.max_cells as u64;
        return Err(over_limit(
            file,
            Limit::MaxCells,
            max,
            cells,
            Place::row(number),
        ));
    }
    for (column, text) in record.iter().enumerate() {
        let (row, column) = (number.saturating_sub(1) as u32, column as u32);
        super::xlsx::check_cell_length(file, limits, text, row, column)?;
    }
    Ok(())
}

/// Takes the first non-blank row as the header and the rows after it as data.
fn split_header(rows: Vec<RawRow>) -> Option<Table> {
    let mut rows = rows.into_iter().skip_while(RawRow::is_blank);
    let header = rows.next()?;
    Some(Table {
        header: header.cells.iter().map(RawCell::shown).collect(),
        header_row: header.number,
        rows: rows.collect(),
    })
}

/// An Excel date cell: a day, or a duration (a number of days) kept as a number.
pub(super) fn excel_cell(dt: &ExcelDateTime) -> RawCell {
    if dt.is_duration() {
        return RawCell::Number(dt.as_f64());
    }
    match excel_date(dt) {
        Some(date) => RawCell::Date(date),
        None => RawCell::Error(format!("an invalid date (serial {})", dt.as_f64())),
    }
}

fn excel_date(dt: &ExcelDateTime) -> Option<NaiveDate> {
    let (year, month, day, ..) = dt.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
}

/// The day an Excel serial number stands for, in the usual 1900 date system.
fn serial_date(serial: f64) -> Option<NaiveDate> {
    // Excel's dates run from serial 1 (1900-01-01) to 2958465 (9999-12-31).
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    excel_date(&ExcelDateTime::new(
        serial,
        ExcelDateTimeType::DateTime,
        false,
    ))
}

/// Formats a number as Excel's General format shows it: large numbers in scientific
/// notation with six significant digits, such as `1.10105E+17`.
pub fn excel_general(number: f64) -> String {
    if number.abs() < 1e11 {
        return format!("{number}");
    }
    let scientific = format!("{number:.5E}");
    let (mantissa, exponent) = scientific.split_once('E').unwrap_or((&scientific, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    match exponent.strip_prefix('-') {
        Some(digits) => format!("{mantissa}E-{digits:0>2}"),
        None => format!("{mantissa}E+{exponent:0>2}"),
    }
}

/// Excel keeps 15 significant digits; a number cell at or above this may have lost some.
const EXACT_LIMIT: f64 = 1e15;

impl RawCell {
    /// True for an empty cell or one holding only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            RawCell::Empty => true,
            RawCell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reading the file would see it, for error reports.
    pub fn shown(&self) -> String {
        match self {
            RawCell::Empty => String::new(),
            RawCell::Text(s) => s.clone(),
            RawCell::Number(n) => excel_general(*n),
            RawCell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            RawCell::Date(d) => d.format("%Y-%m-%d").to_string(),
            RawCell::Error(e) => e.clone(),
        }
    }

    /// The cell's text for a column of type `ty`, or why the cell cannot stand for one.
    pub fn to_text(&self, ty: ColumnType) -> Result<String, String> {
        match self {
            RawCell::Empty => Ok(String::new()),
            RawCell::Text(s) => Ok(s.clone()),
            RawCell::Bool(b) if ty == ColumnType::YesNo => {
                Ok(if *b { "yes" } else { "no" }.to_owned())
            }
            RawCell::Bool(_) => Ok(self.shown()),
            RawCell::Date(d) if ty == ColumnType::Period => Ok(d.format("%Y-%m").to_string()),
            RawCell::Date(d) => Ok(d.format("%Y-%m-%d").to_string()),
            RawCell::Error(e) => Err(format!("the cell holds the Excel error {e}")),
            RawCell::Number(n) => number_text(*n, ty),
        }
    }
}

fn number_text(number: f64, ty: ColumnType) -> Result<String, String> {
    let shown = excel_general(number);
    if ty.is_identifier() || (ty != ColumnType::Money && number.abs() >= EXACT_LIMIT) {
        return Err(format!(
            "the cell is a number ({shown}); Excel has dropped digits — format the column as text"
        ));
    }
    let not_a_date = || format!("the cell is a number ({shown}), not a date");
    match ty {
        ColumnType::Date => serial_date(number)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or_else(not_a_date),
        // A whole number such as 202403 is a month typed as digits, not a serial day.
        ColumnType::Period
            if number.fract() == 0.0 && (190_001.0..=999_912.0).contains(&number) =>
        {
            Ok(format!("{number}"))
        }
        ColumnType::Period => serial_date(number)
            .map(|d| d.format("%Y-%m").to_string())
            .ok_or_else(not_a_date),
        // Rust prints the shortest decimal that reads back as the same number, so an
        // amount typed as 1234.5 becomes "1234.5" and the money parser sees exactly what
        // was typed; a computed 0.30000000000000004 is refused there as too precise.
        _ => Ok(format!("{number}")),
    }
}
