//! CSV imports: encodings, headers, and the exact errors for bad cells and rows.

use super::*;
use crate::domain::money::Fen;
use crate::import::rows::Row;
use crate::import::value::{Fund, PartyId};

use DatasetKind::{Companies, ContractPayments, Contracts, WelfarePayments};

/// The welfare row with cell `index` (0-based) replaced by `value`.
fn welfare_with(index: usize, value: &str) -> String {
    let mut cells: Vec<&str> = WELFARE_ROW.split(',').collect();
    cells[index] = value;
    cells.join(",")
}

#[test]
fn a_valid_welfare_file_becomes_typed_rows_with_their_row_numbers() {
    let dataset = parse_csv(WelfarePayments, &welfare(&[WELFARE_ROW])).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one welfare row, got {:?}", dataset.rows);
    };
    assert_eq!(row.source_row, 2);
    assert_eq!(row.fund, Fund::Dibao);
    assert_eq!(row.recipient_id.as_str(), "990102195802030077");
    assert_eq!(row.amount, Fen::from_fen(65_000));
    assert_eq!(row.period.to_string(), "2024-03");
    assert_eq!(row.village_code.as_str(), "990102100201");
    assert!(dataset.warnings.is_empty());
}

#[test]
fn a_bad_check_digit_is_reported_with_file_row_and_column() {
    let text = welfare(&[&welfare_with(2, "990102195802030078")]);
    assert_eq!(
        csv_errors(WelfarePayments, &text),
        [
            "test.csv row 2 column recipient_id: resident ID 990102195802030078: \
          the check character should be 7, found 8"
        ]
    );
}

#[test]
fn a_region_code_outside_the_tree_is_reported() {
    let text = welfare(&[&welfare_with(4, "990102999201")]);
    assert_eq!(
        csv_errors(WelfarePayments, &text),
        ["test.csv row 2 column village_code: 990102999201 is not in the region tree"]
    );
}

#[test]
fn a_town_code_in_a_village_column_is_reported() {
    let text = welfare(&[&welfare_with(4, "990102100000")]);
    assert_eq!(
        csv_errors(WelfarePayments, &text),
        [
            "test.csv row 2 column village_code: 990102100000 is a town code; this column needs a village"
        ]
    );
}

#[test]
fn an_amount_with_three_decimals_is_reported() {
    let text = welfare(&[&welfare_with(5, "12.345")]);
    let errors = parse_csv(WelfarePayments, &text).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "test.csv row 2 column amount: 12.345 has more than two decimal places"
    );
    assert_eq!(errors.errors()[0].value, "12.345");
}

#[test]
fn a_missing_required_column_is_one_error_listing_the_headers_found() {
    let text = "payment_id,fund,recipient_id,recipient_name,village_code,period,paid_on\n\
                DB-1,低保,990102195802030077,赵六,990102100201,2024-03,2024-03-15\n";
    assert_eq!(
        csv_errors(WelfarePayments, text),
        [
            "test.csv row 1 column amount: missing required column amount (or 金额, 发放金额); \
          the header has: payment_id, fund, recipient_id, recipient_name, village_code, \
          period, paid_on"
        ]
    );
}

#[test]
fn chinese_headers_in_any_order_are_matched() {
    let text = "姓名, 身份证号码 ,发放编号,资金类别,村社代码,金额（元）,所属期,发放日期\n\
                赵六,990102195802030077,DB-1,五保,990102100201,650,2024年3月,2024年3月15日\n";
    let dataset = parse_csv(WelfarePayments, text).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one row");
    };
    assert_eq!(row.recipient_name, "赵六");
    assert_eq!(row.fund, Fund::Wubao);
    assert_eq!(row.amount, Fen::from_fen(65_000));
}

#[test]
fn a_gbk_encoded_file_with_chinese_headers_parses() {
    let text = "发放编号,资金类别,公民身份号码,姓名,行政区划代码,发放金额,发放期间,支付日期\r\n\
                DB-1,危房改造,990102195802030077,赵六,990102100201,\"1,234.50\",2024-03,2024/3/15\r\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must not be UTF-8"
    );
    let dataset = parse(WelfarePayments, "gbk.csv", &bytes).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one row");
    };
    assert_eq!(row.recipient_name, "赵六");
    assert_eq!(row.fund, Fund::HouseRenovation);
    assert_eq!(row.amount, Fen::from_fen(123_450));
}

#[test]
fn a_utf8_file_with_a_byte_order_mark_parses() {
    let text = format!("\u{feff}{}", welfare(&[WELFARE_ROW]));
    assert_eq!(parse_csv(WelfarePayments, &text).unwrap().rows.len(), 1);
}

#[test]
fn a_file_with_three_bad_rows_lists_all_three() {
    let text = welfare(&[
        &welfare_with(5, "0.285"),
        "DB-2,低保,990102196507080041,孙七,990102100201,980.00,2024-03,2024-03-15",
        &welfare_with(0, "DB-3").replace("2024-03-15", "2024-02-30"),
        &welfare_with(0, "DB-4").replace("赵六", ""),
    ]);
    assert_eq!(
        csv_errors(WelfarePayments, &text),
        [
            "test.csv row 2 column amount: 0.285 has more than two decimal places",
            "test.csv row 4 column paid_on: 2024-02-30 is not a real date",
            "test.csv row 5 column recipient_name: recipient_name is required but the cell is empty",
        ]
    );
}

#[test]
fn every_bad_cell_of_a_row_is_reported() {
    let row = "DB-1,低保,11010519491231002Y,赵六,990102100201,abc,2024-13,2024-03-15";
    let errors = csv_errors(WelfarePayments, &welfare(&[row]));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("column recipient_id"));
    assert!(errors[1].contains("column amount: abc is not an amount in yuan"));
    assert!(errors[2].contains("column period: 2024-13 is not a real month"));
}

#[test]
fn a_repeated_key_is_an_error_on_the_second_row() {
    let text = welfare(&[WELFARE_ROW, WELFARE_ROW]);
    assert_eq!(
        csv_errors(WelfarePayments, &text),
        ["test.csv row 3 column payment_id: payment_id DB-1 already appears in row 2"]
    );
}

#[test]
fn unknown_columns_are_ignored_with_a_warning() {
    let text = format!("{WELFARE_HEADER},备注\n{WELFARE_ROW},首次发放\n");
    let dataset = parse_csv(WelfarePayments, &text).unwrap();
    assert_eq!(dataset.rows.len(), 1);
    let warnings: Vec<String> = dataset.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        ["test.csv row 1 column 备注: not a column of welfare_payments; ignored"]
    );
}

#[test]
fn blank_rows_are_skipped_and_later_rows_keep_their_numbers() {
    let second = welfare_with(0, "DB-2");
    let text = format!("{WELFARE_HEADER}\n{WELFARE_ROW}\n\n, , ,,,,,\n{second}\n");
    let dataset = parse_csv(WelfarePayments, &text).unwrap();
    let rows: Vec<usize> = dataset.rows.iter().map(Row::source_row).collect();
    assert_eq!(rows, [2, 5]);
}

#[test]
fn an_unquoted_thousands_separator_is_caught_as_a_row_too_wide() {
    let text = welfare(&[&welfare_with(5, "1,234.50")]);
    let errors = csv_errors(WelfarePayments, &text);
    assert!(
        errors.contains(
            &"test.csv row 2: the row has 9 cells but the header has 8; \
              quote values that contain commas"
                .to_owned()
        ),
        "{errors:?}"
    );
}

#[test]
fn a_header_in_wan_yuan_scales_the_amounts() {
    let text = WELFARE_HEADER.replace("amount", "金额(万元)");
    let text = format!("{text}\n{}\n", welfare_with(5, "0.065"));
    let dataset = parse_csv(WelfarePayments, &text).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one row");
    };
    assert_eq!(row.amount, Fen::from_fen(65_000));
}

#[test]
fn two_headers_for_one_column_are_reported() {
    let text = format!("{WELFARE_HEADER},金额\n{WELFARE_ROW},650\n");
    assert_eq!(
        csv_errors(WelfarePayments, &text),
        ["test.csv row 1 column amount: columns 6 (amount) and 9 (金额) both give amount"]
    );
}

#[test]
fn files_that_are_not_csv_or_xlsx_or_not_text_are_refused() {
    let unknown = parse(WelfarePayments, "data.txt", b"a,b").unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "data.txt: unknown file type; expected a .csv or .xlsx file"
    );
    let empty = parse(WelfarePayments, "empty.CSV", b"\n\n").unwrap_err();
    assert_eq!(
        empty.to_string(),
        "empty.CSV: the file is empty; expected a header row"
    );
    let binary = parse(WelfarePayments, "bin.csv", &[0x80, 0xff, 0x00]).unwrap_err();
    assert_eq!(
        binary.to_string(),
        "bin.csv: the file is neither UTF-8 nor GBK/GB18030 text"
    );
}

#[test]
fn the_report_has_one_csv_line_per_error() {
    let text = welfare(&[&welfare_with(5, "12.345"), &welfare_with(0, "DB-2")]);
    let report = parse_csv(WelfarePayments, &text).unwrap_err().to_csv();
    assert_eq!(
        report,
        "file,row,column,value,reason\n\
         test.csv,2,amount,12.345,12.345 has more than two decimal places\n"
    );
}

#[test]
fn contracts_accept_a_company_as_counterparty_and_check_the_term() {
    let header = "contract_id,village_code,asset,counterparty,counterparty_id,amount,\
                  signed_on,approved_on,term_start,term_end,tendered,disclosed_on";
    let good = "HT-1,990102100201,鱼塘,某公司,91350100M000100Y43,100,2024-01-01,,\
                2024-01-01,2025-01-01,N,";
    let bad = "HT-2,990102100201,鱼塘,张三,990102198001010010,100,2024-01-01,,\
               2024-01-01,2023-01-01,Y,";
    let dataset = parse_csv(Contracts, &format!("{header}\n{good}\n")).unwrap();
    let [Row::Contract(row)] = dataset.rows.as_slice() else {
        panic!("expected one contract");
    };
    assert!(matches!(row.counterparty_id, PartyId::Company(_)));
    assert!(!row.tendered);
    assert_eq!(row.approved_on, None);
    assert_eq!(
        csv_errors(Contracts, &format!("{header}\n{bad}\n")),
        [
            "test.csv row 2 column term_end: the term ends on 2023-01-01 before it starts on 2024-01-01"
        ]
    );
}

#[test]
fn a_payment_date_without_an_amount_is_reported() {
    let text = "contract_id,due_on,amount,paid_on,paid_amount\nHT-1,2024-01-10,100,2024-01-09,\n";
    assert_eq!(
        csv_errors(ContractPayments, text),
        ["test.csv row 2 column paid_amount: paid_on is 2024-01-09 but paid_amount is empty"]
    );
}

#[test]
fn a_credit_code_whose_check_fails_is_imported_with_a_warning_naming_the_cell() {
    let header = "contract_id,village_code,asset,counterparty,counterparty_id,amount,\
                  signed_on,approved_on,term_start,term_end,tendered,disclosed_on";
    let early = "HT-1,990102100201,鱼塘,某老厂,91350100M000100Y44,100,2024-01-01,,\
                 2024-01-01,2025-01-01,N,";
    let dataset = parse_csv(Contracts, &format!("{header}\n{early}\n")).unwrap();
    let [Row::Contract(row)] = dataset.rows.as_slice() else {
        panic!("expected one contract");
    };
    let PartyId::Company(code) = &row.counterparty_id else {
        panic!("{:?}", row.counterparty_id);
    };
    assert_eq!(code.as_str(), "91350100M000100Y44");
    let warnings: Vec<String> = dataset.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "test.csv row 2 column counterparty_id: unified social credit code \
             91350100M000100Y44: check character 4, expected 3; early codes may fail the check"
        ]
    );
    assert_eq!(dataset.warnings[0].value, "91350100M000100Y44");
}

#[test]
fn a_malformed_credit_code_is_still_an_error() {
    let text = "uscc,name,legal_rep_id,shareholder_ids,status\n\
                91110108551385082,某公司,11010519491231002x,,存续\n\
                9111010855138508IQ,某公司,11010519491231002x,,存续\n";
    assert_eq!(
        csv_errors(Companies, text),
        [
            "test.csv row 2 column uscc: unified social credit code 91110108551385082: \
             must be 18 characters, found 17",
            "test.csv row 3 column uscc: unified social credit code 9111010855138508IQ: \
             character 17 is 'I', which the code alphabet leaves out (no I, O, S, V or Z)"
        ]
    );
}

#[test]
fn each_bad_shareholder_id_is_named_by_position() {
    let text = "统一社会信用代码,企业名称,法定代表人身份证号,股东身份证号,经营状态\n\
                91110108551385082Q,某公司,11010519491231002x,11010519491231002X；123,注销\n";
    assert_eq!(
        csv_errors(Companies, text),
        [
            "test.csv row 2 column shareholder_ids: ID 2 of 2: resident ID 123: \
          must be 18 characters, found 3"
        ]
    );
}

#[test]
fn a_full_width_id_in_a_file_is_stored_normalised() {
    let text = welfare(&[&welfare_with(2, "９９０１０２１９５８０２０３００７７")]);
    let dataset = parse_csv(WelfarePayments, &text).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one row");
    };
    assert_eq!(row.recipient_id.as_str(), "990102195802030077");
}
