//! What went wrong in an import, one entry per bad cell, and the report written from it.
//!
//! Import errors are collected, not thrown: a department fixing a file wants every problem
//! in one pass, so [`ImportErrors`] holds all of them and renders them either as lines for
//! the terminal or as a CSV report (`--report FILE`) to open next to the original file.

use std::fmt;

/// One problem with one file, row or cell. The value is shown as given in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file name as the caller passed it.
    pub file: String,
    /// The 1-based row (the header is row 1), or `None` for a problem with the whole file.
    pub row: Option<usize>,
    /// The column's English name, or `None` for a problem with a whole row or file.
    pub column: Option<String>,
    /// The offending value as it appears in the file (empty if there is none).
    pub value: String,
    /// What is wrong, as a sentence fragment naming the problem.
    pub reason: String,
    /// The limit of [`super::limits::ImportLimits`] the file crossed, if that is what is
    /// wrong; such a file is refused as too large rather than as wrong.
    pub limit: Option<super::limits::Limit>,
}

impl ImportError {
    /// A problem with the file as a whole (unreadable, unknown format, no header).
    pub fn file(file: &str, reason: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_owned(),
            row: None,
            column: None,
            value: String::new(),
            reason: reason.into(),
            limit: None,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(row) = self.row {
            write!(f, " row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, " column {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Every problem found in a file; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors {
    errors: Vec<ImportError>,
}

impl ImportErrors {
    /// Wraps the collected errors, in the order they were found.
    pub fn new(errors: Vec<ImportError>) -> ImportErrors {
        ImportErrors { errors }
    }

    /// The errors, in file order.
    pub fn errors(&self) -> &[ImportError] {
        &self.errors
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// True if there are no errors (never the case for a returned `Err`).
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// A CSV report with the header `file,row,column,value,reason`, one line per error.
    ///
    /// Fields are quoted by hand rather than through a writer so that producing the report
    /// cannot fail; a missing row or column is an empty field.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("file,row,column,value,reason\n");
        for error in &self.errors {
            let row = error.row.map(|r| r.to_string()).unwrap_or_default();
            let column = error.column.clone().unwrap_or_default();
            let fields = [&error.file, &row, &column, &error.value, &error.reason];
            let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&quoted.join(","));
            out.push('\n');
        }
        out
    }
}

/// Quotes a field if it holds a comma, a quote or a line break, doubling inner quotes.
///
/// A field that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is one a
/// spreadsheet would run as a formula (CSV injection: the values come from the uploaded
/// file, which anyone could have written), so it is prefixed with an apostrophe, which
/// spreadsheets show as text.
fn csv_field(field: &str) -> String {
    let neutral = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

impl fmt::Display for ImportErrors {
    /// One line per error, e.g. `a.csv row 7 column amount: 12.345 has more than two
    /// decimal places`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

impl From<ImportError> for ImportErrors {
    fn from(error: ImportError) -> ImportErrors {
        ImportErrors::new(vec![error])
    }
}

/// Something worth telling the uploader that does not stop the import: a column the kind
/// does not use, a credit code whose check character fails.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportWarning {
    /// The file name as the caller passed it.
    pub file: String,
    /// The 1-based row (the header is row 1).
    pub row: usize,
    /// The column: its English name for a cell, the header as written for an ignored
    /// column.
    pub column: String,
    /// The value as it appears in the file (empty for an ignored column).
    pub value: String,
    /// What was noticed.
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} row {} column {}: {}",
            self.file, self.row, self.column, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell_error() -> ImportError {
        ImportError {
            file: "pay.csv".to_owned(),
            row: Some(7),
            column: Some("amount".to_owned()),
            value: "12.345".to_owned(),
            reason: "12.345 has more than two decimal places".to_owned(),
            limit: None,
        }
    }

    #[test]
    fn a_cell_error_names_file_row_column_and_reason() {
        assert_eq!(
            cell_error().to_string(),
            "pay.csv row 7 column amount: 12.345 has more than two decimal places"
        );
    }

    #[test]
    fn a_file_error_leaves_out_row_and_column() {
        let error = ImportError::file("pay.txt", "unknown file type");
        assert_eq!(error.to_string(), "pay.txt: unknown file type");
    }

    #[test]
    fn the_report_quotes_fields_with_commas_and_quotes() {
        let mut second = cell_error();
        second.value = "1,2\"3".to_owned();
        second.row = None;
        let errors = ImportErrors::new(vec![cell_error(), second]);
        assert_eq!(
            errors.to_csv(),
            "file,row,column,value,reason\n\
             pay.csv,7,amount,12.345,12.345 has more than two decimal places\n\
             pay.csv,,amount,\"1,2\"\"3\",12.345 has more than two decimal places\n"
        );
    }

    #[test]
    fn report_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        let mut error = cell_error();
        error.value = "=HYPERLINK(\"http://x\",\"y\")".to_owned();
        error.reason = "@SUM(A1)".to_owned();
        let report = ImportErrors::new(vec![error]).to_csv();
        let line = report.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "pay.csv,7,amount,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'@SUM(A1)"
        );
        for start in ["+1", "-1", "\tx", "\rx"] {
            let mut error = cell_error();
            error.value = start.to_owned();
            let report = ImportErrors::new(vec![error]).to_csv();
            let value = report.lines().nth(1).unwrap().split(',').nth(3).unwrap();
            assert!(
                value.trim_start_matches('"').starts_with('\''),
                "{start:?}: {value}"
            );
        }
    }

    #[test]
    fn display_puts_one_error_on_each_line() {
        let errors = ImportErrors::new(vec![cell_error(), cell_error()]);
        assert_eq!(errors.to_string().lines().count(), 2);
    }
}
