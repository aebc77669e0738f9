//! The region tree (province → prefecture → county → town → village, rooted at any of the
//! upper levels) that scopes every warning, user and screen.
//!
//! The tree is read once at start-up from a small CSV file (`seeds/regions.csv`, header
//! `code,name,parent`) and is immutable afterwards, so callers can share it behind an
//! `Arc`. Loading checks the whole file before returning anything: a tree either loads
//! completely and consistently or not at all, and every error names the file, the row
//! (the header is row 1) and the column at fault.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::domain::region::{Level, RegionCode};

pub mod import;
pub mod stored;

/// One city, town or village.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    /// `None` only for the root.
    pub parent: Option<RegionCode>,
    pub level: Level,
}

/// Why a region file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegionTreeError {
    /// The file could not be read at all.
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// One cell of one row is wrong.
    #[error("{file} row {row} column {column}: {reason}")]
    Cell {
        file: String,
        row: usize,
        /// The column's header as the file has it.
        column: String,
        reason: String,
    },
    /// A row is malformed as a whole (wrong number of fields, bad header).
    #[error("{file} row {row}: {reason}")]
    Row {
        file: String,
        row: usize,
        reason: String,
    },
    /// The file as a whole is wrong (for example, it has no root).
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
}

/// The immutable tree of regions, indexed by code.
#[derive(Clone, Debug)]
pub struct RegionTree {
    regions: BTreeMap<RegionCode, Region>,
    children: BTreeMap<RegionCode, Vec<RegionCode>>,
    root: RegionCode,
    /// Counted once: pages a stranger may ask for decide by it (the report form).
    village_count: usize,
}

const HEADER: [&str; 3] = ["code", "name", "parent"];

/// A data row that has passed the per-cell checks but not yet the checks between rows.
pub(crate) struct Row {
    /// Its row in the file (the header is row 1).
    pub number: usize,
    pub region: Region,
    /// The headers of the columns a repeated code and a wrong parent are reported in
    /// (the code's own column for both when the parent is read from the code's digits).
    pub code_column: String,
    pub parent_column: String,
}

impl RegionTree {
    /// Reads and validates a region file.
    pub fn load(path: impl AsRef<Path>) -> Result<RegionTree, RegionTreeError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RegionTreeError::Io {
            file: file.clone(),
            source,
        })?;
        RegionTree::from_csv_str(&file, &text)
    }

    /// Parses and validates region CSV text; `name_for_errors` is used as the file name
    /// in error messages.
    pub fn from_csv_str(name_for_errors: &str, text: &str) -> Result<RegionTree, RegionTreeError> {
        let rows = parse_rows(name_for_errors, text)?;
        RegionTree::from_rows(name_for_errors, rows)
    }

    /// Checks rows against each other (unique codes, one root, every parent) and builds the
    /// tree; errors name `file` and each row's own number.
    pub(crate) fn from_rows(file: &str, mut rows: Vec<Row>) -> Result<RegionTree, RegionTreeError> {
        let root = check_links(file, &rows)?;
        rows.sort_by_key(|row| row.region.code);
        let mut regions = BTreeMap::new();
        let mut children: BTreeMap<RegionCode, Vec<RegionCode>> = BTreeMap::new();
        // The rows are sorted by code, so each list of children comes out sorted whatever
        // the order of the file.
        for row in rows {
            if let Some(parent) = row.region.parent {
                children.entry(parent).or_default().push(row.region.code);
            }
            regions.insert(row.region.code, row.region);
        }
        let village_count = regions
            .values()
            .filter(|r| r.level == Level::Village)
            .count();
        Ok(RegionTree {
            regions,
            children,
            root,
            village_count,
        })
    }

    /// The region at the top of the tree (a county, a prefecture or a province).
    pub fn root(&self) -> &Region {
        &self.regions[&self.root]
    }

    /// The region with this code, if the tree has it.
    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.regions.get(code)
    }

    /// The direct children of a region, sorted by code; empty for villages and for codes
    /// not in the tree.
    pub fn children(&self, code: &RegionCode) -> &[RegionCode] {
        self.children.get(code).map_or(&[], Vec::as_slice)
    }

    /// The region itself followed by each ancestor up to the root; empty if the code is
    /// not in the tree.
    pub fn ancestors(&self, code: &RegionCode) -> Vec<RegionCode> {
        let mut chain = Vec::new();
        let mut next = self.regions.get(code);
        while let Some(region) = next {
            chain.push(region.code);
            next = region.parent.as_ref().and_then(|p| self.regions.get(p));
        }
        chain
    }

    /// All towns, sorted by code.
    pub fn towns(&self) -> impl Iterator<Item = &Region> + '_ {
        self.iter().filter(|r| r.level == Level::Town)
    }

    /// All villages, sorted by code.
    pub fn villages(&self) -> impl Iterator<Item = &Region> + '_ {
        self.iter().filter(|r| r.level == Level::Village)
    }

    /// The number of villages.
    pub fn village_count(&self) -> usize {
        self.village_count
    }

    /// All regions, sorted by code, which lists every region after its parent.
    pub fn iter(&self) -> impl Iterator<Item = &Region> + '_ {
        self.regions.values()
    }

    /// The number of regions, root included.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// Always false, since a loaded tree has its root; present to pair with `len`.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The tree in the `code,name,parent` form `from_csv_str` reads, sorted by code.
    pub fn to_csv(&self) -> String {
        let mut text = String::from("code,name,parent\n");
        for region in self.iter() {
            let parent = region.parent.as_ref().map_or("", RegionCode::as_str);
            text.push_str(&format!("{},{},{parent}\n", region.code, region.name));
        }
        text
    }
}

/// An error in one cell; `column` is one of the header names.
pub(crate) fn cell_error(file: &str, row: usize, column: &str, reason: String) -> RegionTreeError {
    RegionTreeError::Cell {
        file: file.to_owned(),
        row,
        column: column.to_owned(),
        reason,
    }
}

/// An error in a row as a whole.
pub(crate) fn row_error(file: &str, row: usize, reason: String) -> RegionTreeError {
    let file = file.to_owned();
    RegionTreeError::Row { file, row, reason }
}

/// Splits the text into rows and checks each row on its own: field count, code syntax,
/// non-empty name, parent syntax.
fn parse_rows(file: &str, text: &str) -> Result<Vec<Row>, RegionTreeError> {
    // Spreadsheet programs often save UTF-8 CSV with a byte-order mark; it is not data.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    let header: Vec<&str> = lines.next().map_or_else(Vec::new, |(_, line)| {
        line.split(',').map(str::trim).collect()
    });
    if header != HEADER {
        let found = header.join(",");
        let reason = format!("header must be 'code,name,parent', found '{found}'");
        return Err(row_error(file, 1, reason));
    }
    // Blank lines (typically a trailing one) carry no data but still count as rows, so
    // the numbers in messages match what an editor shows.
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| parse_row(file, number, line))
        .collect()
}

fn parse_row(file: &str, number: usize, line: &str) -> Result<Row, RegionTreeError> {
    if line.contains('"') {
        // Region names never need commas, so quoting is not supported; saying so beats
        // silently mis-splitting a quoted field.
        let reason = "quoted fields are not supported".to_owned();
        return Err(row_error(file, number, reason));
    }
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [code, name, parent] = fields[..] else {
        let reason = format!(
            "expected 3 fields (code,name,parent), found {}",
            fields.len()
        );
        return Err(row_error(file, number, reason));
    };
    let parse = |column, text| {
        RegionCode::parse(text).map_err(|e| cell_error(file, number, column, e.to_string()))
    };
    let code = parse("code", code)?;
    if name.is_empty() {
        return Err(cell_error(file, number, "name", "name is empty".to_owned()));
    }
    let parent = match parent {
        "" => None,
        text => Some(parse("parent", text)?),
    };
    let (level, name) = (code.level(), name.to_owned());
    let region = Region {
        code,
        name,
        parent,
        level,
    };
    Ok(Row {
        number,
        region,
        code_column: "code".to_owned(),
        parent_column: "parent".to_owned(),
    })
}

/// Checks the rows against each other: unique codes, a single city-level root, and every
/// other row's parent. Returns the root's code.
fn check_links(file: &str, rows: &[Row]) -> Result<RegionCode, RegionTreeError> {
    let mut levels: BTreeMap<RegionCode, Level> = BTreeMap::new();
    let mut first_row: BTreeMap<RegionCode, usize> = BTreeMap::new();
    for row in rows {
        let code = row.region.code;
        if let Some(first) = first_row.insert(code, row.number) {
            let reason = format!("{code} already appears on row {first}");
            return Err(cell_error(file, row.number, &row.code_column, reason));
        }
        levels.insert(code, row.region.level);
    }
    let mut root: Option<&Row> = None;
    for row in rows {
        let code = row.region.code;
        let reason = match (row.region.parent, root) {
            (Some(parent), _) => check_parent(code, parent, &levels),
            (None, _) if row.region.level == Level::Village => Err(format!(
                "{code} is a village and needs a parent; a village cannot be the root"
            )),
            (None, Some(first)) => Err(format!(
                "a second root; row {} already has the root {}",
                first.number, first.region.code
            )),
            (None, None) => {
                root = Some(row);
                Ok(())
            }
        };
        reason.map_err(|reason| cell_error(file, row.number, &row.parent_column, reason))?;
    }
    root.map(|r| r.region.code)
        .ok_or_else(|| RegionTreeError::File {
            file: file.to_owned(),
            reason: "no root region: exactly one row must have an empty parent".to_owned(),
        })
}

/// Checks that `parent` is known and is the region above `code` by its digits (a
/// village's town, a town's county, a county's prefecture, a prefecture's province); the
/// error is the reason for the parent column.
fn check_parent(
    code: RegionCode,
    parent: RegionCode,
    levels: &BTreeMap<RegionCode, Level>,
) -> Result<(), String> {
    let Some(wanted) = code.parent_by_digits() else {
        return Err(format!(
            "{code} is a province and cannot have a parent; a province is the top"
        ));
    };
    if parent != wanted {
        return Err(format!(
            "the parent of {code} is {wanted} by its digits, not {parent}"
        ));
    }
    if !levels.contains_key(&parent) {
        return Err(format!("{parent} is not a known region"));
    }
    Ok(())
}

#[cfg(test)]
mod import_tests;
#[cfg(test)]
mod tests;
