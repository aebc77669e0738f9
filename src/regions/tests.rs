//! Loading the tree: its shape, and every refusal naming file, row and column.

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
        ("990102002202,乙二村,990102000000", " column parent: the parent of 990102002202 is 990102002000 by its digits, not 990102000000"),
        ("990102002202,乙二村,990102001000", " column parent: the parent of 990102002202 is 990102002000 by its digits, not 990102001000"),
        ("990103000000,另一市,", " column parent: a second root; row 2 already has the root 990102000000"),
        ("990103000000,另一市,990102000000", " column parent: the parent of 990103000000 is 990100000000 by its digits, not 990102000000"),
        ("990102003000,丙镇,", " column parent: a second root; row 2 already has the root 990102000000"),
        ("990102002203,丙村,", " column parent: 990102002203 is a village and needs a parent; a village cannot be the root"),
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
fn a_prefecture_loads_with_its_counties_towns_and_villages() {
    let tree = RegionTree::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/real/kaifeng-4102.csv"
    ))
    .unwrap();
    assert_eq!(tree.root().name, "开封市");
    assert_eq!(tree.root().level, Level::Prefecture);
    assert_eq!(tree.children(&tree.root().code).len(), 9);
    assert_eq!((tree.towns().count(), tree.villages().count()), (124, 2528));
    let chain = tree.ancestors(&code("410221101201"));
    let expected = [
        "410221101201",
        "410221101000",
        "410221000000",
        "410200000000",
    ]
    .map(code);
    assert_eq!(chain, expected);
}

#[test]
fn a_byte_order_mark_crlf_line_ends_and_any_row_order_are_accepted() {
    let reversed: Vec<&str> = SMALL.lines().rev().take(6).collect();
    let text = format!("\u{feff}code,name,parent\r\n{}\r\n", reversed.join("\r\n"));
    let tree = RegionTree::from_csv_str("t.csv", &text).unwrap();
    assert_eq!(tree.ancestors(&code("990102001202")).len(), 3);
}
