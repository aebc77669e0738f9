//! Reading a region tree from the files people actually have: the statistics bureau's
//! published tables (统计用区划代码, 名称 and, for villages, 城乡分类代码; no parent column,
//! because a code's parent is in its digits) or the `code,name,parent` form of
//! `seeds/regions.csv`; as CSV (UTF-8 or GBK, commas or tabs) or `.xlsx`, held to the
//! import limits while read. A whole province's table can be cut to the subtree of one
//! county with `root`. Every refusal names the file, the row and the column as the file
//! has it, and nothing is returned unless the whole tree is consistent.

use super::{Region, RegionTree, RegionTreeError, Row, cell_error, row_error};
use crate::domain::region::{Level, RegionCode};
use crate::import::limits::ImportLimits;
use crate::import::read::{RawCell, Table, read_table};

/// A checked tree and what reading it left out.
#[derive(Debug)]
pub struct ImportedTree {
    pub tree: RegionTree,
    /// Rows outside the chosen root's subtree.
    pub outside_root: usize,
    /// Columns that were not read (a 序号, say), by their header.
    pub ignored_columns: Vec<String>,
}

/// The headers each column may have (compared trimmed and case-insensitively).
const CODE_HEADERS: [&str; 4] = ["code", "统计用区划代码", "区划代码", "代码"];
const NAME_HEADERS: [&str; 2] = ["name", "名称"];
const PARENT_HEADERS: [&str; 3] = ["parent", "上级代码", "上级区划代码"];
const URBAN_RURAL_HEADERS: [&str; 2] = ["urban_rural", "城乡分类代码"];

/// Where each column is, by index into the header.
struct Columns {
    code: usize,
    name: usize,
    parent: Option<usize>,
    urban_rural: Option<usize>,
    header: Vec<String>,
}

/// Reads `bytes` (a file named `file_name`) into a tree rooted at `root`, or at the
/// file's one top region when no root is given.
pub fn import(
    file_name: &str,
    bytes: &[u8],
    root: Option<RegionCode>,
    limits: &ImportLimits,
) -> Result<ImportedTree, RegionTreeError> {
    let table = read_table(file_name, bytes, limits).map_err(|e| RegionTreeError::File {
        file: file_name.to_owned(),
        reason: e.to_string(),
    })?;
    let columns = find_columns(file_name, &table)?;
    let mut rows = Vec::new();
    for raw in table.rows.iter().filter(|row| !row.is_blank()) {
        rows.push(read_row(file_name, &columns, raw.number, &raw.cells)?);
    }
    let before = rows.len();
    let rows = cut_to_root(file_name, rows, root)?;
    let outside_root = before - rows.len();
    let tree = RegionTree::from_rows(file_name, rows)?;
    let used = [
        Some(columns.code),
        Some(columns.name),
        columns.parent,
        columns.urban_rural,
    ];
    let ignored_columns = (0..columns.header.len())
        .filter(|i| !used.contains(&Some(*i)))
        .map(|i| columns.header[i].clone())
        .filter(|h| !h.trim().is_empty())
        .collect();
    Ok(ImportedTree {
        tree,
        outside_root,
        ignored_columns,
    })
}

fn find_columns(file: &str, table: &Table) -> Result<Columns, RegionTreeError> {
    let header: Vec<String> = table.header.iter().map(|h| h.trim().to_owned()).collect();
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let missing = |what: &str, names: &[&str]| {
        let reason = format!(
            "no {what} column: the header must name one of {} (found {})",
            names.join(", "),
            header.join(",")
        );
        row_error(file, table.header_row, reason)
    };
    Ok(Columns {
        code: find(&CODE_HEADERS).ok_or_else(|| missing("code", &CODE_HEADERS))?,
        name: find(&NAME_HEADERS).ok_or_else(|| missing("name", &NAME_HEADERS))?,
        parent: find(&PARENT_HEADERS),
        urban_rural: find(&URBAN_RURAL_HEADERS),
        header,
    })
}

/// One row's cells checked on their own; the parent is the parent column's, or read from
/// the code's digits when the file has no parent column (the bureau's form).
fn read_row(
    file: &str,
    columns: &Columns,
    number: usize,
    cells: &[RawCell],
) -> Result<Row, RegionTreeError> {
    let header = |i: usize| columns.header[i].as_str();
    let text = |i: usize| cell_text(cells.get(i).unwrap_or(&RawCell::Empty));
    let code = RegionCode::parse(&text(columns.code))
        .map_err(|e| cell_error(file, number, header(columns.code), e.to_string()))?;
    let name = text(columns.name);
    if name.is_empty() {
        return Err(cell_error(
            file,
            number,
            header(columns.name),
            "name is empty".into(),
        ));
    }
    if name.contains(',') {
        let reason = "a name may not hold a comma".to_owned();
        return Err(cell_error(file, number, header(columns.name), reason));
    }
    if let Some(i) = columns.urban_rural {
        let class = text(i);
        let well_formed = class.len() == 3 && class.bytes().all(|b| b.is_ascii_digit());
        if !class.is_empty() && !well_formed {
            let reason =
                format!("the urban-rural class must be 3 digits (such as 220), found {class:?}");
            return Err(cell_error(file, number, header(i), reason));
        }
    }
    let (parent, parent_column) = match columns.parent {
        Some(i) => {
            let parent = match text(i).as_str() {
                "" => None,
                digits => Some(
                    RegionCode::parse(digits)
                        .map_err(|e| cell_error(file, number, header(i), e.to_string()))?,
                ),
            };
            (parent, header(i))
        }
        None => (code.parent_by_digits(), header(columns.code)),
    };
    Ok(Row {
        number,
        region: Region {
            code,
            name,
            parent,
            level: code.level(),
        },
        code_column: header(columns.code).to_owned(),
        parent_column: parent_column.to_owned(),
    })
}

/// A cell's text; a whole number (a code typed into a spreadsheet as a number, which
/// keeps all twelve digits) is written out in full.
fn cell_text(cell: &RawCell) -> String {
    match cell {
        RawCell::Number(n) if n.fract() == 0.0 && (0.0..1e15).contains(n) => format!("{n:.0}"),
        other => other.shown().trim().to_owned(),
    }
}

/// Keeps the rows within `root` (which becomes the root: its parent is dropped). Without
/// a root the file must hold one tree, whose top region has no parent in the file.
fn cut_to_root(
    file: &str,
    rows: Vec<Row>,
    root: Option<RegionCode>,
) -> Result<Vec<Row>, RegionTreeError> {
    let whole = |reason: String| RegionTreeError::File {
        file: file.to_owned(),
        reason,
    };
    let Some(root) = root else {
        return single_top(file, rows);
    };
    if matches!(root.level(), Level::Town | Level::Village) {
        let reason = format!(
            "the root {root} is a {}; a tree is rooted at a county, a prefecture or a province",
            root.level()
        );
        return Err(whole(reason));
    }
    let mut kept: Vec<Row> = rows
        .into_iter()
        .filter(|r| r.region.code.is_within(&root))
        .collect();
    let Some(top) = kept.iter_mut().find(|r| r.region.code == root) else {
        return Err(whole(format!("the root {root} is not in the file")));
    };
    top.region.parent = None;
    Ok(kept)
}

/// A file without a chosen root: the one region whose parent is not in the file is the
/// root (a county's table, a prefecture's, a province's).
fn single_top(file: &str, mut rows: Vec<Row>) -> Result<Vec<Row>, RegionTreeError> {
    let codes: std::collections::BTreeSet<RegionCode> =
        rows.iter().map(|r| r.region.code).collect();
    let is_top = |row: &Row| row.region.parent.is_none_or(|p| !codes.contains(&p));
    let tops: Vec<&Row> = rows
        .iter()
        .filter(|r| is_top(r) && r.region.level != Level::Village)
        .collect();
    if tops.len() > 1 {
        let named: Vec<String> = tops
            .iter()
            .take(5)
            .map(|r| format!("{} {}", r.region.code, r.region.name))
            .collect();
        let reason = format!(
            "the file holds {} regions without a parent in it ({}{}); choose the one to run with --root",
            tops.len(),
            named.join(", "),
            if tops.len() > 5 { ", …" } else { "" }
        );
        return Err(RegionTreeError::File {
            file: file.to_owned(),
            reason,
        });
    }
    // The top's parent (a province above a prefecture's table) is not part of the tree.
    for row in rows
        .iter_mut()
        .filter(|r| is_top(r) && r.region.level != Level::Village)
    {
        row.region.parent = None;
    }
    Ok(rows)
}
