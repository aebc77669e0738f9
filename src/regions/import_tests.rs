//! `regions import`: the bureau's form (parents from the codes) and `code,name,parent`,
//! CSV in UTF-8 or GBK and .xlsx, a province's file cut to one county, and refusals that
//! name file, row and column as the file has them.

use super::RegionTree;
use super::import::import;
use crate::domain::region::RegionCode;
use crate::import::limits::ImportLimits;

const QIXIAN: &str = include_str!("../../seeds/real/qixian-410221.csv");
const KAIFENG: &str = include_str!("../../seeds/real/kaifeng-4102.csv");

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

fn seed() -> RegionTree {
    RegionTree::from_csv_str("qixian-410221.csv", QIXIAN).unwrap()
}

/// The bureau's form of a `code,name,parent` file: 序号, 统计用区划代码, 城乡分类代码 (for
/// villages), 名称; no parents.
fn bureau_form(code_name_parent: &str) -> String {
    let mut text = String::from("序号,统计用区划代码,城乡分类代码,名称\n");
    for (i, line) in code_name_parent.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.trim().split(',').collect();
        let class = if fields[0].ends_with("000") {
            ""
        } else {
            "220"
        };
        text.push_str(&format!("{},{},{class},{}\n", i + 1, fields[0], fields[1]));
    }
    text
}

fn refusal(file: &str, text: &str) -> String {
    import(file, text.as_bytes(), None, &ImportLimits::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn the_bureau_form_gives_the_same_tree_as_code_name_parent() {
    let imported = import(
        "qixian.csv",
        bureau_form(QIXIAN).as_bytes(),
        None,
        &ImportLimits::default(),
    )
    .unwrap();
    assert_eq!(imported.tree.to_csv(), seed().to_csv());
    assert_eq!(imported.ignored_columns, vec!["序号".to_string()]);
    let plain = import("q.csv", QIXIAN.as_bytes(), None, &ImportLimits::default()).unwrap();
    assert_eq!(plain.tree.len(), 623);
    assert_eq!(plain.tree.root().name, "杞县");
}

#[test]
fn a_gbk_file_is_read_and_a_prefectures_file_is_cut_to_one_county() {
    let table = bureau_form(KAIFENG);
    let (gbk, _, _) = encoding_rs::GBK.encode(&table);
    let whole = import("kaifeng.csv", &gbk, None, &ImportLimits::default()).unwrap();
    assert_eq!(whole.tree.root().name, "开封市");
    assert_eq!(whole.tree.len(), 2662);
    let two_counties: String = bureau_form(KAIFENG)
        .lines()
        .filter(|line| !line.contains(",410200000000,"))
        .map(|line| format!("{line}\n"))
        .collect();
    let several = refusal("two.csv", &two_counties);
    assert!(
        several.starts_with(
            "two.csv: the file holds 9 regions without a parent in it (410202000000 龙亭区"
        ),
        "{several}"
    );
    assert!(
        several.ends_with("choose the one to run with --root"),
        "{several}"
    );
    let cut = import(
        "kaifeng.csv",
        &gbk,
        Some(code("410221000000")),
        &ImportLimits::default(),
    )
    .unwrap();
    assert_eq!(cut.tree.to_csv(), seed().to_csv());
    assert_eq!(cut.outside_root, 2662 - 623);
    let town = import(
        "k.csv",
        &gbk,
        Some(code("410221101000")),
        &ImportLimits::default(),
    )
    .unwrap_err();
    assert_eq!(
        town.to_string(),
        "k.csv: the root 410221101000 is a town; a tree is rooted at a county, a prefecture or a province"
    );
    let absent = import(
        "k.csv",
        &gbk,
        Some(code("410299000000")),
        &ImportLimits::default(),
    )
    .unwrap_err();
    assert_eq!(
        absent.to_string(),
        "k.csv: the root 410299000000 is not in the file"
    );
}

#[test]
fn an_xlsx_with_codes_typed_as_numbers_is_read_in_full() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write(0, 0, "统计用区划代码").unwrap();
    sheet.write(0, 1, "名称").unwrap();
    for (i, line) in QIXIAN.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.trim().split(',').collect();
        let row = (i + 1) as u32;
        sheet
            .write(row, 0, fields[0].parse::<f64>().unwrap())
            .unwrap();
        sheet.write(row, 1, fields[1]).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let imported = import("杞县.xlsx", &bytes, None, &ImportLimits::default()).unwrap();
    assert_eq!(imported.tree.to_csv(), seed().to_csv());
}

#[test]
fn each_bad_row_is_named_by_file_row_and_column_as_the_file_has_them() {
    let good = bureau_form(QIXIAN);
    #[rustfmt::skip]
    let cases = [
        ("9999,410221199201,220,无镇村", "b.csv row 625 column 统计用区划代码: 410221199000 is not a known region"),
        ("9999,41022110120,220,短码村", "b.csv row 625 column 统计用区划代码: region code '41022110120' must be 12 digits, found 11"),
        ("9999,410221101201,220,重复村", "b.csv row 625 column 统计用区划代码: 410221101201 already appears on row 45"),
        ("9999,410221101299,220,", "b.csv row 625 column 名称: name is empty"),
        ("9999,410221101299,22,某村", "b.csv row 625 column 城乡分类代码: the urban-rural class must be 3 digits (such as 220), found \"22\""),
    ];
    for (line, expected) in cases {
        assert_eq!(
            refusal("b.csv", &format!("{good}{line}\n")),
            expected,
            "for {line}"
        );
    }
    let no_code = refusal("h.csv", "序号,名称\n1,杞县\n");
    assert!(
        no_code.starts_with(
            "h.csv row 1: no code column: the header must name one of code, 统计用区划代码"
        ),
        "{no_code}"
    );
    let stranger = refusal(
        "s.csv",
        &format!("{QIXIAN}410221101299,某村,410221102000\n"),
    );
    assert_eq!(
        stranger,
        "s.csv row 625 column parent: the parent of 410221101299 is 410221101000 by its digits, not 410221102000"
    );
}

#[test]
fn rows_are_numbered_as_an_editor_shows_them_with_crlf_line_ends() {
    let text = "code,name,parent\r\n410221000000,杞县,\r\n410221101000,五里河镇,410221000000\r\n4102211012,短码,410221101000\r\n";
    assert_eq!(
        refusal("c.csv", text),
        "c.csv row 4 column code: region code '4102211012' must be 12 digits, found 10"
    );
}
