//! Files as registries and spreadsheets really write them: company statuses in the
//! registry's words, and unpaid instalments written as 0.00.

use super::*;
use crate::import::rows::Row;

use DatasetKind::{Companies, ContractPayments};

const COMPANY_HEADER: &str = "统一社会信用代码,企业名称,法定代表人身份证号,股东身份证号,登记状态";

/// A companies file with one company of each of (at most three) `statuses`.
fn companies(statuses: &[&str]) -> String {
    let codes = [
        "91110108551385082Q",
        "91350100M000100Y43",
        "91330106MA2CFJ9X1N",
    ];
    assert!(statuses.len() <= codes.len(), "one distinct code per row");
    let mut text = format!("{COMPANY_HEADER}\n");
    for (i, (code, status)) in codes.iter().zip(statuses).enumerate() {
        text.push_str(&format!(
            "{code},某公司{i},11010519491231002x,,\"{status}\"\n"
        ));
    }
    text
}

#[test]
fn registry_statuses_import_keeping_their_words() {
    let statuses = [
        ["存续（在营、开业、在册）", "迁入", "迁出"],
        ["停业", "歇业", "清算"],
        ["撤销", "吊销，未注销", "吊销，已注销"],
        ["注销", "在营", "active"],
    ];
    for group in statuses {
        let dataset = parse_csv(Companies, &companies(&group)).unwrap();
        let shown: Vec<(&str, bool)> = dataset
            .rows
            .iter()
            .filter_map(|row| match row {
                Row::Company(c) => Some((c.status.as_str(), c.status.is_active())),
                _ => None,
            })
            .collect();
        let active = |s: &str| {
            matches!(
                s,
                "存续（在营、开业、在册）" | "迁入" | "迁出" | "在营" | "active"
            )
        };
        let expected: Vec<(&str, bool)> = group.iter().map(|s| (*s, active(s))).collect();
        assert_eq!(shown, expected);
    }
}

#[test]
fn an_unknown_status_is_refused_naming_file_row_column_and_value() {
    let result = parse_csv(Companies, &companies(&["存续", "正常营业"]));
    let errors = result.unwrap_err();
    let error = &errors.errors()[0];
    assert_eq!(
        (
            error.file.as_str(),
            error.row,
            error.column.as_deref(),
            error.value.as_str()
        ),
        ("test.csv", Some(3), Some("status"), "正常营业")
    );
    assert!(
        error
            .reason
            .starts_with("正常营业 is not a company status; use one of 存续（在营、开业、在册）")
    );
}

#[test]
fn an_unpaid_instalment_written_as_zero_imports_as_unpaid() {
    let text = "合同编号,应缴日期,应缴金额,实缴日期,实缴金额\n\
                HT-1,2024-01-10,7200.00,,0.00\n\
                HT-1,2025-01-10,7200.00,,0\n\
                HT-1,2026-01-10,7200.00,,\n";
    let dataset = parse_csv(ContractPayments, text).unwrap();
    assert_eq!(dataset.rows.len(), 3);
    for row in &dataset.rows {
        let Row::ContractPayment(row) = row else {
            panic!("expected instalments");
        };
        assert_eq!(
            (row.paid_on, row.paid_amount),
            (None, None),
            "row {}",
            row.source_row
        );
    }
}

#[test]
fn a_positive_amount_without_a_date_is_still_an_error() {
    let text = "contract_id,due_on,amount,paid_on,paid_amount\nHT-1,2024-01-10,100,,0.01\n";
    assert_eq!(
        csv_errors(ContractPayments, text),
        ["test.csv row 2 column paid_on: paid_amount is 0.01 but paid_on is empty"]
    );
}
