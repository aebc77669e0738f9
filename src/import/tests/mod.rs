//! Tests of whole-file imports: each reads a small file built in the test and checks the
//! typed rows or the exact error lines a department would see.

mod csv_files;
mod registry_files;
mod templates;
mod values;
mod xlsx_files;

use std::sync::OnceLock;

use super::{Dataset, DatasetKind, ImportErrors, parse_dataset};
use crate::regions::RegionTree;

/// The demo region tree from `seeds/regions.csv`, loaded once.
fn tree() -> &'static RegionTree {
    static TREE: OnceLock<RegionTree> = OnceLock::new();
    TREE.get_or_init(|| {
        RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
            .expect("the demo region tree loads")
    })
}

/// Parses `bytes` as the file `name` against the demo region tree.
fn parse(kind: DatasetKind, name: &str, bytes: &[u8]) -> Result<Dataset, ImportErrors> {
    let tree = tree();
    parse_dataset(kind, name, bytes, &|code| tree.get(code).is_some())
}

/// Parses CSV text as `test.csv`.
fn parse_csv(kind: DatasetKind, text: &str) -> Result<Dataset, ImportErrors> {
    parse(kind, "test.csv", text.as_bytes())
}

/// The error lines of a CSV text that must fail.
fn csv_errors(kind: DatasetKind, text: &str) -> Vec<String> {
    match parse_csv(kind, text) {
        Ok(dataset) => panic!("expected errors, got {} rows", dataset.rows.len()),
        Err(errors) => errors.to_string().lines().map(str::to_owned).collect(),
    }
}

/// A valid welfare file's header and first row; tests change one cell at a time.
const WELFARE_HEADER: &str =
    "payment_id,fund,recipient_id,recipient_name,village_code,amount,period,paid_on";
const WELFARE_ROW: &str =
    "DB-1,低保,990102195802030077,赵六,990102100201,650.00,2024-03,2024-03-15";

/// A welfare file with the given data lines after the header.
fn welfare(lines: &[&str]) -> String {
    let mut text = format!("{WELFARE_HEADER}\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}
