//! Excel imports, with workbooks written in the test by `rust_xlsxwriter` so that cells
//! have the types Excel gives them (numbers, dates, booleans, errors).

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::*;
use crate::domain::money::Fen;
use crate::import::rows::Row;

use DatasetKind::WelfarePayments;

/// Writes a welfare workbook: the header on row 1, then `rows` filled by `fill`.
fn workbook(rows: u32, fill: impl Fn(&mut Worksheet, u32) -> Result<(), XlsxError>) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in WELFARE_HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
    }
    for row in 1..=rows {
        fill(sheet, row).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// Fills a welfare row with text cells, as a sheet formatted as text would hold them.
fn text_row(sheet: &mut Worksheet, row: u32) -> Result<(), XlsxError> {
    for (col, value) in WELFARE_ROW.split(',').enumerate() {
        sheet.write_string(row, col as u16, value)?;
    }
    sheet.write_string(row, 0, format!("DB-{row}"))?;
    Ok(())
}

#[test]
fn a_text_formatted_workbook_parses_like_a_csv_file() {
    let bytes = workbook(2, text_row);
    let dataset = parse(WelfarePayments, "welfare.xlsx", &bytes).unwrap();
    let rows: Vec<usize> = dataset.rows.iter().map(Row::source_row).collect();
    assert_eq!(rows, [2, 3]);
}

#[test]
fn a_numeric_cell_in_an_id_column_is_refused() {
    let bytes = workbook(4, |sheet, row| {
        text_row(sheet, row)?;
        if row == 4 {
            sheet.write_number(row, 2, 110_105_194_912_310_024.0)?;
        }
        Ok(())
    });
    let errors = parse(WelfarePayments, "welfare.xlsx", &bytes).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "welfare.xlsx row 5 column recipient_id: the cell is a number (1.10105E+17); \
         Excel has dropped digits — format the column as text"
    );
    assert_eq!(errors.errors()[0].value, "1.10105E+17");
}

#[test]
fn date_cells_and_number_cells_are_read_by_their_column() {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let bytes = workbook(1, |sheet, row| {
        text_row(sheet, row)?;
        sheet.write_number(row, 4, 990_102_100_201.0)?;
        sheet.write_number(row, 5, 1234.5)?;
        let march = ExcelDateTime::from_ymd(2024, 3, 1)?;
        sheet.write_datetime_with_format(row, 6, &march, &date)?;
        let paid = ExcelDateTime::from_ymd(2024, 3, 15)?;
        sheet.write_datetime_with_format(row, 7, &paid, &date)?;
        Ok(())
    });
    let dataset = parse(WelfarePayments, "welfare.xlsx", &bytes).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one row");
    };
    assert_eq!(row.village_code.as_str(), "990102100201");
    assert_eq!(row.amount, Fen::from_fen(123_450));
    assert_eq!(row.period.to_string(), "2024-03");
    assert_eq!(row.paid_on.to_string(), "2024-03-15");
}

#[test]
fn a_date_typed_as_a_plain_serial_number_is_converted() {
    let bytes = workbook(1, |sheet, row| {
        text_row(sheet, row)?;
        // 45366 is 2024-03-15 in Excel's 1900 date system.
        sheet.write_number(row, 7, 45_366.0)?;
        Ok(())
    });
    let dataset = parse(WelfarePayments, "welfare.xlsx", &bytes).unwrap();
    let [Row::WelfarePayment(row)] = dataset.rows.as_slice() else {
        panic!("expected one row");
    };
    assert_eq!(row.paid_on.to_string(), "2024-03-15");
}

#[test]
fn a_computed_amount_with_binary_noise_is_refused_as_too_precise() {
    let bytes = workbook(1, |sheet, row| {
        text_row(sheet, row)?;
        sheet.write_number(row, 5, 0.1 + 0.2)?;
        Ok(())
    });
    let errors = parse(WelfarePayments, "welfare.xlsx", &bytes).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "welfare.xlsx row 2 column amount: 0.30000000000000004 has more than two decimal places"
    );
}

#[test]
fn boolean_cells_are_read_as_yes_or_no() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = "tender_id,project,buyer,region_code,bidder_uscc,bidder_name,amount,won,opened_on";
    let row = "ZB-1,路,村委会,990102100201,91350100M000100Y43,某公司,100,x,2024-03-28";
    for (col, (name, value)) in header.split(',').zip(row.split(',')).enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
        sheet.write_string(1, col as u16, value).unwrap();
        sheet.write_string(2, col as u16, value).unwrap();
    }
    sheet.write_boolean(1, 7, true).unwrap();
    sheet.write_string(2, 0, "ZB-2").unwrap();
    sheet.write_string(2, 7, "maybe").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let errors = parse(DatasetKind::Bids, "bids.xlsx", &bytes).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "bids.xlsx row 3 column won: maybe is not yes or no (use 是/否, yes/no, Y/N or 1/0)"
    );
}

#[test]
fn a_workbook_that_is_not_a_zip_file_is_refused_whole() {
    let errors = parse(WelfarePayments, "broken.xlsx", b"not a workbook").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors
            .to_string()
            .starts_with("broken.xlsx: the file is not an .xlsx workbook (not a zip archive)"),
        "{errors}"
    );
}
