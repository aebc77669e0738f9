//! The region tree (city → town → village) that scopes every warning, user and screen.
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

/// One city, town or village.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    /// `None` only for the root (the city).
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
        column: &'static str,
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
}

const HEADER: [&str; 3] = ["code", "name", "parent"];

/// A data row that has passed the per-cell checks but not yet the checks between rows.
struct Row {
    number: usize,
    region: Region,
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
        let file = name_for_errors;
        let mut rows = parse_rows(file, text)?;
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
        Ok(RegionTree {
            regions,
            children,
            root,
        })
    }

    /// The city at the top of the tree.
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
}

/// An error in one cell; `column` is one of the header names.
fn cell_error(file: &str, row: usize, column: &'static str, reason: String) -> RegionTreeError {
    let file = file.to_owned();
    RegionTreeError::Cell {
        file,
        row,
        column,
        reason,
    }
}

/// An error in a row as a whole.
fn row_error(file: &str, row: usize, reason: String) -> RegionTreeError {
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
    Ok(Row { number, region })
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
            return Err(cell_error(file, row.number, "code", reason));
        }
        levels.insert(code, row.region.level);
    }
    let mut root: Option<&Row> = None;
    for row in rows {
        let (code, level) = (row.region.code, row.region.level);
        let reason = match (row.region.parent, root) {
            (Some(parent), _) => check_parent(code, parent, &levels),
            (None, _) if level != Level::City => Err(format!(
                "{code} is a {level} and needs a parent; only a city can be the root"
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
        reason.map_err(|reason| cell_error(file, row.number, "parent", reason))?;
    }
    root.map(|r| r.region.code)
        .ok_or_else(|| RegionTreeError::File {
            file: file.to_owned(),
            reason: "no root region: exactly one row must have an empty parent".to_owned(),
        })
}

/// Checks that `parent` is known, exactly one level above `code` and an ancestor of it by
/// its digits; the error is the reason for the parent column.
fn check_parent(
    code: RegionCode,
    parent: RegionCode,
    levels: &BTreeMap<RegionCode, Level>,
) -> Result<(), String> {
    let level = code.level();
    let Some(&parent_level) = levels.get(&parent) else {
        return Err(format!("{parent} is not a known region"));
    };
    let Some(wanted) = level.parent() else {
        return Err(format!(
            "{code} is a city and cannot have a parent; the city is the root"
        ));
    };
    if parent_level != wanted {
        return Err(format!(
            "{parent} is a {parent_level}, but the parent of a {level} must be a {wanted}"
        ));
    }
    if !code.is_within(&parent) {
        return Err(format!("{code} does not lie within {parent}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "code,name,parent
990102000000,测试市,
990102001000,甲镇,990102000000
990102001201,甲一村,990102001000
990102001202,甲二村,990102001000
990102002000,乙镇,990102000000
990102002201,乙一村,990102002000
";

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn error_in(text: &str) -> String {
        let err = RegionTree::from_csv_str("t.csv", text).unwrap_err();
        err.to_string()
    }

    #[test]
    fn a_small_tree_loads_with_its_shape_and_ancestry() {
        let tree = RegionTree::from_csv_str("t.csv", SMALL).unwrap();
        assert_eq!(
            (tree.len(), tree.towns().count(), tree.villages().count()),
            (6, 2, 3)
        );
        assert_eq!(tree.root().name, "测试市");
        let town = code("990102001000");
        assert_eq!(
            tree.children(&town),
            &[code("990102001201"), code("990102001202")]
        );
        assert!(tree.children(&code("990102001201")).is_empty());
        assert_eq!(tree.get(&town).unwrap().level, Level::Town);
        // Ancestors run from the region itself up to the root.
        let chain = tree.ancestors(&code("990102002201"));
        let expected = ["990102002201", "990102002000", "990102000000"].map(code);
        assert_eq!(chain, expected);
        assert!(tree.ancestors(&code("990102009000")).is_empty());
    }

    #[test]
    fn the_seed_file_loads_with_at_least_six_towns_and_forty_villages() {
        let tree = RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"));
        let tree = tree.unwrap();
        assert!(tree.towns().count() >= 6 && tree.villages().count() >= 40);
        assert!(tree.iter().all(|r| r.code.as_str().starts_with("99")));
        for town in tree.towns() {
            let n = tree.children(&town.code).len();
            assert!((5..=9).contains(&n), "{} has {n} villages", town.name);
        }
    }

    #[test]
    fn each_bad_row_is_reported_with_the_file_row_and_column() {
        // Each line is appended to SMALL as row 8; the message must match exactly.
        #[rustfmt::skip]
        let cases = [
            ("990101002001,丙村,990101002000", " column parent: 990101002000 is not a known region"),
            ("99010200220,丙村,990102002000", " column code: region code '99010200220' must be 12 digits, found 11"),
            ("990102001201,重复村,990102001000", " column code: 990102001201 already appears on row 4"),
            ("990102002202, ,990102002000", " column name: name is empty"),
            ("990102002202,乙二村,990102000000", " column parent: 990102000000 is a city, but the parent of a village must be a town"),
            ("990102002202,乙二村,990102001000", " column parent: 990102002202 does not lie within 990102001000"),
            ("990103000000,另一市,", " column parent: a second root; row 2 already has the root 990102000000"),
            ("990103000000,另一市,990102000000", " column parent: 990103000000 is a city and cannot have a parent; the city is the root"),
            ("990102003000,丙镇,", " column parent: 990102003000 is a town and needs a parent; only a city can be the root"),
            ("990102002202,乙二村", ": expected 3 fields (code,name,parent), found 2"),
            ("990102002202,\"乙二村\",990102002000", ": quoted fields are not supported"),
        ];
        for (line, reason) in cases {
            let err = error_in(&format!("{SMALL}{line}\n"));
            let expected = format!("t.csv row 8{reason}");
            assert_eq!(err, expected, "for the line {line}");
        }
    }

    #[test]
    fn a_missing_file_a_bad_header_or_a_missing_root_is_reported() {
        let err = RegionTree::load("no/such.csv").unwrap_err().to_string();
        assert!(err.starts_with("cannot read no/such.csv: "), "{err}");
        assert!(error_in("id,name,parent\n").starts_with("t.csv row 1: header must be"));
        let expected = "t.csv: no root region: exactly one row must have an empty parent";
        assert_eq!(error_in("code,name,parent\n"), expected);
    }

    #[test]
    fn a_byte_order_mark_crlf_line_ends_and_any_row_order_are_accepted() {
        let reversed: Vec<&str> = SMALL.lines().rev().take(6).collect();
        let text = format!("\u{feff}code,name,parent\r\n{}\r\n", reversed.join("\r\n"));
        let tree = RegionTree::from_csv_str("t.csv", &text).unwrap();
        assert_eq!(tree.ancestors(&code("990102001202")).len(), 3);
    }
}
