//! How much of a file an import will read.
//!
//! A dataset file comes from a department's spreadsheet, but it may as well come from
//! anyone holding a city office account, or be a damaged file. Every reader checks these
//! limits while it reads, before it allocates for what a file claims: a 1.7 KB workbook
//! naming the cell `XFD1000000000` once made the server try to allocate 500 TB for a
//! dense range. A file over a limit is refused whole, with an [`ImportError`] whose
//! `limit` names the limit (`413` over HTTP, a non-zero exit from `qingfeng import`).
//!
//! The defaults leave room for the largest real files we know of (a city's million
//! welfare payments, about 100 MB of CSV or 25 MB of `.xlsx`) and bound what a hostile file
//! costs to a few hundred megabytes and a few seconds of one core.

use serde::Deserialize;

use super::error::ImportError;

/// The limits of one import. `ImportLimits::default()` is what the server and the CLI use
/// unless configured (`qingfeng serve --import-limits FILE`, a TOML file of these fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportLimits {
    /// The largest file, in bytes (also the largest HTTP upload, all files together).
    pub max_file_bytes: usize,
    /// The most rows a file may have, header included.
    pub max_rows: usize,
    /// The most columns a row may have.
    pub max_columns: usize,
    /// The most characters in one cell (Excel itself stops at 32,767).
    pub max_cell_chars: usize,
    /// The most cells a file may hold, counting the empty ones a CSV row spells out.
    pub max_cells: usize,
    /// `.xlsx`: the most entries in the zip archive.
    pub max_zip_entries: usize,
    /// `.xlsx`: the largest uncompressed size of one zip entry, in bytes.
    pub max_entry_bytes: u64,
    /// `.xlsx`: the largest uncompressed size of all entries together, in bytes.
    pub max_uncompressed_bytes: u64,
    /// `.xlsx`: the highest compression ratio of an entry larger than a megabyte. Sheets
    /// compress about 5–20 times; a zip bomb a thousand times or more.
    pub max_compression_ratio: u64,
    /// `.xlsx`: the largest uncompressed shared-strings part, which is read whole.
    pub max_shared_strings_bytes: u64,
    /// The most problems reported for one import; the rest are counted, not listed.
    pub max_errors: usize,
}

impl Default for ImportLimits {
    fn default() -> ImportLimits {
        ImportLimits {
            max_file_bytes: 256 * 1024 * 1024,
            max_rows: 2_000_000,
            max_columns: 256,
            max_cell_chars: 32_767,
            max_cells: 24_000_000,
            max_zip_entries: 10_000,
            max_entry_bytes: 1024 * 1024 * 1024,
            max_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
            max_compression_ratio: 200,
            max_shared_strings_bytes: 256 * 1024 * 1024,
            max_errors: 1_000,
        }
    }
}

impl ImportLimits {
    /// Reads limits from a TOML file; unknown keys are refused, missing ones keep their
    /// defaults.
    pub fn from_toml(text: &str) -> Result<ImportLimits, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// The limit a file crossed: a field of [`ImportLimits`], or Excel's own grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    MaxFileBytes,
    MaxRows,
    MaxColumns,
    MaxCellChars,
    MaxCells,
    MaxZipEntries,
    MaxEntryBytes,
    MaxUncompressedBytes,
    MaxCompressionRatio,
    MaxSharedStringsBytes,
    SheetDimension,
}

impl Limit {
    /// The limit's name, as in `deploy/security.toml` and in problem documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::MaxFileBytes => "max_file_bytes",
            Limit::MaxRows => "max_rows",
            Limit::MaxColumns => "max_columns",
            Limit::MaxCellChars => "max_cell_chars",
            Limit::MaxCells => "max_cells",
            Limit::MaxZipEntries => "max_zip_entries",
            Limit::MaxEntryBytes => "max_entry_bytes",
            Limit::MaxUncompressedBytes => "max_uncompressed_bytes",
            Limit::MaxCompressionRatio => "max_compression_ratio",
            Limit::MaxSharedStringsBytes => "max_shared_strings_bytes",
            Limit::SheetDimension => "sheet_dimension",
        }
    }
}

/// Where in a file a limit was crossed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub row: Option<usize>,
    pub column: Option<usize>,
    /// The zip entry of an `.xlsx`.
    pub entry: Option<String>,
}

impl Place {
    pub fn row(row: usize) -> Place {
        Place {
            row: Some(row),
            ..Place::default()
        }
    }

    pub fn cell(row: usize, column: usize) -> Place {
        Place {
            row: Some(row),
            column: Some(column),
            entry: None,
        }
    }

    pub fn entry(name: &str) -> Place {
        Place {
            entry: Some(name.to_owned()),
            ..Place::default()
        }
    }
}

/// The error for a file over the limit `limit`, whose maximum is `max` and which reached
/// `found` at `place`.
pub fn over_limit(
    file: &str,
    limit: Limit,
    max: u64,
    found: impl std::fmt::Display,
    place: Place,
) -> ImportError {
    let mut reason = format!("over the limit {} = {max}: found {found}", limit.as_str());
    if let Some(entry) = &place.entry {
        reason.push_str(&format!(" in the archive entry {entry}"));
    }
    let mut error = ImportError::file(file, reason);
    error.row = place.row;
    error.column = place.column.map(column_letters);
    error.limit = Some(limit);
    error
}

/// The spreadsheet name of a 0-based column: A, B, …, Z, AA, …, XFD.
pub fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn limits_from_toml_keep_defaults_and_refuse_unknown_keys() {
        let limits = ImportLimits::from_toml("max_rows = 10").unwrap();
        assert_eq!(limits.max_rows, 10);
        assert_eq!(limits.max_columns, ImportLimits::default().max_columns);
        let error = ImportLimits::from_toml("max_rowz = 10").unwrap_err();
        assert!(error.contains("max_rowz"), "{error}");
    }

    #[test]
    fn an_over_limit_error_names_the_limit_file_and_place() {
        let error = over_limit("a.xlsx", Limit::MaxRows, 10, 11, Place::cell(12, 2));
        assert_eq!(error.limit, Some(Limit::MaxRows));
        assert_eq!(
            error.to_string(),
            "a.xlsx row 12 column C: over the limit max_rows = 10: found 11"
        );
    }
}
