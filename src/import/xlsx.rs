//! Reading the first sheet of an `.xlsx` workbook within [`ImportLimits`].
//!
//! An `.xlsx` is a zip archive of XML parts. Two things in it can claim far more than the
//! file's size: a compressed entry (a zip bomb inflates a kilobyte into gigabytes) and a
//! cell reference (`XFD1000000000` names a cell a billion rows down, and a dense range
//! sized from it is 500 TB). So the archive is checked first, entry by entry, by actually
//! inflating each one through a counter (a declared size can lie), and the sheet is then
//! read cell by cell with calamine's streaming cell reader, each reference checked before
//! it is stored, into a sparse grid that becomes rows only once its size is known to fit.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::error::ImportError;
use super::limits::{ImportLimits, Limit, Place, over_limit};
use super::read::{RawCell, RawRow, excel_cell};

/// The first bytes of an OLE compound file: an encrypted workbook, or an old `.xls`
/// renamed.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Entries smaller than this are not held to the compression ratio: tiny XML parts
/// compress very well and cost nothing.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Reads the first sheet's rows (blank rows left out, each row numbered as in the file).
pub fn read_rows(
    file: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<Vec<RawRow>, ImportError> {
    if bytes.starts_with(&CFB_MAGIC) {
        let reason = "the workbook is password-protected or an old .xls file renamed; \
                      save it as an unprotected .xlsx";
        return Err(ImportError::file(file, reason));
    }
    if !bytes.starts_with(b"PK") {
        return Err(ImportError::file(
            file,
            "the file is not an .xlsx workbook (not a zip archive)",
        ));
    }
    check_archive(file, bytes, limits)?;
    let unreadable = |e: &dyn std::fmt::Display| {
        ImportError::file(file, format!("the Excel file cannot be read: {e}"))
    };
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Ok(Vec::new());
    };
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| unreadable(&e))?;
    check_dimension(file, reader.dimensions())?;
    let mut grid = Grid::default();
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let (row, column) = cell.get_position();
        check_position(file, limits, row, column)?;
        let raw = raw_cell(cell.get_value());
        if let RawCell::Text(text) = &raw {
            check_cell_length(file, limits, text, row, column)?;
        }
        grid.put(file, limits, row, column, raw)?;
    }
    grid.into_rows(file, limits)
}

/// Checks every entry of the archive against the limits by inflating it into a counter.
fn check_archive(file: &str, bytes: &[u8], limits: &ImportLimits) -> Result<(), ImportError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        ImportError::file(file, format!("the zip archive cannot be read: {e}"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    if archive.len() > limits.max_zip_entries {
        let max = limits.max_zip_entries as u64;
        let place = Place::default();
        return Err(over_limit(
            file,
            Limit::MaxZipEntries,
            max,
            archive.len(),
            place,
        ));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = entry.name().map_err(|e| unreadable(&e))?.into_owned();
        let compressed = entry.compressed_size().max(1);
        let max = entry_limit(&name, limits);
        // Read at most one byte past the limit: enough to know it is crossed.
        let inflated = std::io::copy(&mut (&mut entry).take(max + 1), &mut std::io::sink())
            .map_err(|e| unreadable(&format!("entry {name}: {e}")))?;
        let place = || Place::entry(&name);
        if inflated > max {
            let limit = if max == limits.max_entry_bytes {
                Limit::MaxEntryBytes
            } else {
                Limit::MaxSharedStringsBytes
            };
            let found = format!("more than {max} bytes uncompressed");
            return Err(over_limit(file, limit, max, found, place()));
        }
        if inflated >= RATIO_FLOOR && inflated / compressed > limits.max_compression_ratio {
            let found = format!(
                "{inflated} bytes from {compressed} ({}:1)",
                inflated / compressed
            );
            let max = limits.max_compression_ratio;
            return Err(over_limit(
                file,
                Limit::MaxCompressionRatio,
                max,
                found,
                place(),
            ));
        }
        total += inflated;
        if total > limits.max_uncompressed_bytes {
            let max = limits.max_uncompressed_bytes;
            let found = format!("more than {max} bytes uncompressed");
            return Err(over_limit(
                file,
                Limit::MaxUncompressedBytes,
                max,
                found,
                place(),
            ));
        }
    }
    Ok(())
}

/// The uncompressed bytes an entry may have: the shared strings are read whole, so they
/// have a limit of their own.
fn entry_limit(name: &str, limits: &ImportLimits) -> u64 {
    if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
        limits.max_shared_strings_bytes.min(limits.max_entry_bytes)
    } else {
        limits.max_entry_bytes
    }
}

/// Excel's own grid: 1,048,576 rows of 16,384 columns (A to XFD).
const EXCEL_ROWS: u32 = 1_048_576;
const EXCEL_COLUMNS: u32 = 16_384;

/// Refuses a sheet whose declared dimension lies outside Excel's own grid: no spreadsheet
/// program writes one, so the file is damaged or made to attack readers. A dimension
/// inside the grid is only a claim (some tools declare whole columns); the cells
/// themselves are held to the import's limits as they are read.
fn check_dimension(file: &str, declared: calamine::Dimensions) -> Result<(), ImportError> {
    let (rows, columns) = (
        declared.end.0.saturating_add(1),
        declared.end.1.saturating_add(1),
    );
    if rows <= EXCEL_ROWS && columns <= EXCEL_COLUMNS {
        return Ok(());
    }
    let found = format!("a sheet of {rows} rows and {columns} columns");
    let place = Place::entry("the first sheet's dimension");
    let max = u64::from(EXCEL_ROWS);
    Err(over_limit(file, Limit::SheetDimension, max, found, place))
}

/// Refuses a (0-based) cell position outside the rows and columns a file may have.
fn check_position(
    file: &str,
    limits: &ImportLimits,
    row: u32,
    column: u32,
) -> Result<(), ImportError> {
    let (row, column) = (row as usize, column as usize);
    if row >= limits.max_rows {
        let max = limits.max_rows as u64;
        let place = Place::cell(row + 1, column);
        return Err(over_limit(
            file,
            Limit::MaxRows,
            max,
            format!("row {}", row + 1),
            place,
        ));
    }
    if column >= limits.max_columns {
        let max = limits.max_columns as u64;
        let found = format!("column {}", column + 1);
        let place = Place::cell(row + 1, column);
        return Err(over_limit(file, Limit::MaxColumns, max, found, place));
    }
    Ok(())
}

/// Refuses a cell of more than `max_cell_chars` characters.
pub fn check_cell_length(
    file: &str,
    limits: &ImportLimits,
    text: &str,
    row: u32,
    column: u32,
) -> Result<(), ImportError> {
    // A character is at most four bytes, so a short text needs no counting.
    if text.len() <= limits.max_cell_chars {
        return Ok(());
    }
    let chars = text.chars().count();
    if chars <= limits.max_cell_chars {
        return Ok(());
    }
    let max = limits.max_cell_chars as u64;
    let place = Place::cell(row as usize + 1, column as usize);
    let found = format!("{chars} characters");
    Err(over_limit(file, Limit::MaxCellChars, max, found, place))
}

/// The non-empty cells read so far, by row, and how many there are.
#[derive(Default)]
struct Grid {
    rows: BTreeMap<u32, Vec<(u32, RawCell)>>,
    cells: usize,
}

impl Grid {
    fn put(
        &mut self,
        file: &str,
        limits: &ImportLimits,
        row: u32,
        column: u32,
        cell: RawCell,
    ) -> Result<(), ImportError> {
        if cell == RawCell::Empty {
            return Ok(());
        }
        self.cells += 1;
        if self.cells > limits.max_cells {
            let max = limits.max_cells as u64;
            let place = Place::cell(row as usize + 1, column as usize);
            return Err(over_limit(file, Limit::MaxCells, max, self.cells, place));
        }
        self.rows.entry(row).or_default().push((column, cell));
        Ok(())
    }

    /// Dense rows from the first used column on, as a range of the sheet would be; the
    /// cells they spell out (empty ones included) are held to `max_cells` before any row
    /// is built.
    fn into_rows(self, file: &str, limits: &ImportLimits) -> Result<Vec<RawRow>, ImportError> {
        let first = self
            .rows
            .values()
            .flat_map(|cells| cells.iter().map(|(column, _)| *column))
            .min()
            .unwrap_or(0);
        let width = |cells: &[(u32, RawCell)]| {
            cells
                .iter()
                .map(|(c, _)| (c - first) as usize + 1)
                .max()
                .unwrap_or(0)
        };
        let dense: usize = self.rows.values().map(|cells| width(cells)).sum();
        if dense > limits.max_cells {
            let max = limits.max_cells as u64;
            let found = format!("{dense} cells from the first used column on");
            return Err(over_limit(
                file,
                Limit::MaxCells,
                max,
                found,
                Place::default(),
            ));
        }
        let rows = self.rows.into_iter().map(|(row, cells)| {
            let mut dense = vec![RawCell::Empty; width(&cells)];
            for (column, cell) in cells {
                dense[(column - first) as usize] = cell;
            }
            RawRow {
                number: row as usize + 1,
                cells: dense,
            }
        });
        Ok(rows.collect())
    }
}

fn raw_cell(data: &DataRef<'_>) -> RawCell {
    match data {
        DataRef::SharedString(s) => RawCell::Text((*s).to_owned()),
        DataRef::String(s) => RawCell::Text(s.clone()),
        DataRef::Empty => RawCell::Empty,
        DataRef::Int(i) => RawCell::Number(*i as f64),
        DataRef::Float(f) => RawCell::Number(*f),
        DataRef::Bool(b) => RawCell::Bool(*b),
        DataRef::DateTime(dt) => excel_cell(dt),
        // ISO cells come from sheets written by other tools; the day is before any `T`.
        DataRef::DateTimeIso(s) => {
            RawCell::Text(s.split('T').next().unwrap_or_default().to_owned())
        }
        DataRef::DurationIso(s) => RawCell::Text(s.clone()),
        DataRef::Error(e) => RawCell::Error(e.to_string()),
    }
}
