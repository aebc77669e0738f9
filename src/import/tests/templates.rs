//! The templates under `seeds/templates/`: each must parse as its kind, name the schema's
//! columns in order, and be described by a README generated from the schema.
//!
//! Run with `QINGFENG_BLESS_TEMPLATES=1` to rewrite the README after changing the schema.

use super::*;
use crate::import::schema::schema;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/templates");

fn template(kind: DatasetKind) -> String {
    let path = format!("{DIR}/{kind}.csv");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_template_parses_as_its_kind_with_two_example_rows() {
    for kind in DatasetKind::ALL {
        let name = format!("{kind}.csv");
        let dataset = parse(kind, &name, template(kind).as_bytes())
            .unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(dataset.rows.len(), 2, "{kind}");
        assert!(dataset.rows.iter().all(|row| row.kind() == kind), "{kind}");
        assert!(
            dataset.warnings.is_empty(),
            "{kind}: {:?}",
            dataset.warnings
        );
    }
}

#[test]
fn every_template_header_lists_the_schema_columns_in_order() {
    for kind in DatasetKind::ALL {
        let text = template(kind);
        let header = text.lines().next().unwrap_or_default();
        let names: Vec<&str> = schema(kind).columns.iter().map(|c| c.name).collect();
        assert_eq!(header, names.join(","), "{kind}");
    }
}

#[test]
fn the_templates_readme_matches_the_schema() {
    let path = format!("{DIR}/README.md");
    let expected = readme();
    if std::env::var_os("QINGFENG_BLESS_TEMPLATES").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} is out of date; rerun with QINGFENG_BLESS_TEMPLATES=1"
    );
}

const INTRO: &str = "\
# Dataset templates / 数据模板

One CSV file per dataset kind, named after the kind (`welfare_payments.csv`, …). Each holds
the header row with the English column names and two example rows. All people, companies and
places are fictional: resident IDs and credit codes use province digits **99**, which no real
province has, and region codes come from `../regions.csv`.

每类数据一个模板文件。表头可以用英文列名，也可以用下表列出的任一中文表头，列的顺序不限，
大小写、空格和全角/半角括号不影响匹配。金额列的表头可以带单位“（元）”或“（万元）”。

What a file may look like:

- **Format.** `.csv` in UTF-8 (with or without a byte-order mark) or GBK/GB18030, or `.xlsx`
  (the first worksheet is read). The header is the first non-empty row.
- **Required columns** must be in the header and non-empty in every row. **Optional** columns
  may be left out or left empty. Columns not listed here are ignored, with a warning.
- **IDs.** Resident IDs (18 characters, MOD 11-2 check) and unified social credit codes
  (18 characters, mod-31 check) are checked; full-width digits and lower-case `x` are
  accepted. In Excel, format ID columns as **text**: a number cell in an ID column is
  refused, because Excel keeps only 15 digits.
- **Money** is in yuan with at most two decimals (`1234.5`, `1,234.50`, `¥12`, `12元`), or in
  万元 with at most six decimals if the header says `（万元）`. Amounts are never rounded.
- **Dates** are `YYYY-MM-DD`, `YYYY/M/D` or `YYYY年M月D日` (or Excel date cells); months are
  `YYYY-MM`, `YYYY年M月` or `YYYYMM`.
- **Region codes** are 12-digit codes present in the region tree; `village_code` must name a
  village or community.
- **Keys.** Two rows with the same key (listed under each kind) are refused.
- A file with any error is refused whole, with one line per bad cell naming the row and
  column (`--report FILE` writes them as CSV).
";

/// Renders the README from the schema and each template's first example values.
fn readme() -> String {
    let mut out = String::from(INTRO);
    for kind in DatasetKind::ALL {
        let schema = schema(kind);
        let text = template(kind);
        let examples: Vec<Vec<String>> = text
            .lines()
            .skip(1)
            .map(|line| line.split(',').map(str::to_owned).collect())
            .collect();
        out.push_str(&format!(
            "\n## {kind}\n\nKey: `{}`. Template: [`{kind}.csv`]({kind}.csv).\n\n",
            schema.key.join("` + `")
        ));
        out.push_str("| column | Chinese headers | type | required | example |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for (i, column) in schema.columns.iter().enumerate() {
            let example = examples
                .iter()
                .filter_map(|row| row.get(i))
                .find(|cell| !cell.is_empty())
                .map_or(String::new(), |cell| format!("`{cell}`"));
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                column.name,
                column.headers.join("、"),
                column.ty.describe(),
                if column.required { "yes" } else { "optional" },
                example
            ));
        }
    }
    out
}
