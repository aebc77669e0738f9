//! The import-only value types, the schema's consistency and cell conversions, and a
//! property test that no input makes the parsers panic.

use proptest::prelude::*;

use super::*;
use crate::domain::{date, money::Fen, resident_id::ResidentId, uscc::Uscc};
use crate::import::cells::FromValue;
use crate::import::read::{RawCell, excel_general};
use crate::import::schema::{ColumnType, normalise_header, schema, split_unit};
use crate::import::value::{ApprovalLevel, Fund, PartyId, Plate, Procurement, Value};

#[test]
fn dataset_kinds_parse_from_their_snake_case_names() {
    for kind in DatasetKind::ALL {
        assert_eq!(DatasetKind::parse(kind.as_str()), Ok(kind));
    }
    let err = DatasetKind::parse("welfare").unwrap_err().to_string();
    assert!(err.starts_with("unknown dataset kind 'welfare'; expected one of: contracts, "));
}

#[test]
fn a_party_id_is_a_person_or_a_company() {
    assert!(matches!(
        PartyId::parse("11010519491231002x"),
        Ok(PartyId::Person(_))
    ));
    assert!(matches!(
        PartyId::parse("91350100M000000000"),
        Ok(PartyId::Company(_))
    ));
}

#[test]
fn a_bad_party_id_reports_the_form_it_most_resembles() {
    let person = PartyId::parse("110105194912310021").unwrap_err();
    assert!(
        person.contains("resident ID 110105194912310021: the check"),
        "{person}"
    );
    let company = PartyId::parse("91350100M000100Y4").unwrap_err();
    assert!(
        company.contains("unified social credit code 91350100M000100Y4: must be 18 characters"),
        "{company}"
    );
}

#[test]
fn a_company_code_whose_check_fails_is_still_a_company() {
    let Ok(PartyId::Company(code)) = PartyId::parse("91350100M000100Y44") else {
        panic!("an early code with a failed check is a company");
    };
    assert!(!code.check_ok());
}

#[test]
fn a_mistyped_resident_id_is_not_taken_for_a_company_code() {
    // 18 digits are also well-formed as a credit code, whose check then fails too: the
    // resident ID's error is the one to report.
    let err = PartyId::parse("990102198001010011").unwrap_err();
    assert!(err.contains("resident ID 990102198001010011"), "{err}");
}

#[test]
fn plates_are_normalised_and_checked() {
    assert_eq!(Plate::parse(" 京a·12345 ").unwrap().as_str(), "京A12345");
    assert_eq!(Plate::parse("粤BD12345").unwrap().as_str(), "粤BD12345");
    assert_eq!(Plate::parse("苏A1234学").unwrap().as_str(), "苏A1234学");
    assert_eq!(
        Plate::parse("A12345").unwrap_err(),
        "A12345 is not a number plate: it must start with a Chinese region character"
    );
    assert!(Plate::parse("京").is_err());
    assert!(Plate::parse("京A123").is_err());
    assert!(Plate::parse("京A1234567").is_err());
}

#[test]
fn funds_map_chinese_names_and_keep_others() {
    assert_eq!(Fund::parse("低保"), Fund::Dibao);
    assert_eq!(Fund::parse("特困"), Fund::Wubao);
    assert_eq!(Fund::parse("五保"), Fund::Wubao);
    assert_eq!(Fund::parse("危房改造"), Fund::HouseRenovation);
    assert_eq!(Fund::parse("残疾人补贴"), Fund::Disability);
    assert_eq!(Fund::parse("Dibao"), Fund::Dibao);
    assert_eq!(
        Fund::parse(" 临时救助 "),
        Fund::Other("临时救助".to_owned())
    );
    assert_eq!(Fund::parse("临时救助").as_str(), "临时救助");
}

#[test]
fn every_enum_choice_in_the_schema_maps_to_its_rust_enum() {
    for kind in DatasetKind::ALL {
        for column in schema(kind).columns {
            let ColumnType::Enum(choices) = column.ty else {
                continue;
            };
            for choice in choices {
                let value = || Value::Choice(choice.value);
                let mapped = match column.name {
                    "approval_level" => ApprovalLevel::from_value(value()).is_some(),
                    "procurement" => Procurement::from_value(value()).is_some(),
                    "role" => crate::notify::Recipient::from_value(value()).is_some(),
                    other => panic!("no Rust enum for column {other}"),
                };
                assert!(mapped, "{kind} {} {}", column.name, choice.value);
            }
        }
    }
}

#[test]
fn no_header_names_two_columns_of_the_same_kind() {
    for kind in DatasetKind::ALL {
        let mut seen = std::collections::HashMap::new();
        for column in schema(kind).columns {
            for header in column.headers.iter().chain([&column.name]) {
                let key = normalise_header(header);
                if let Some(other) = seen.insert(key, column.name) {
                    assert_eq!(other, column.name, "{kind}: {header} is ambiguous");
                }
            }
        }
        for key in schema(kind).key {
            assert!(schema(kind).column(key).is_some(), "{kind} key {key}");
        }
    }
}

#[test]
fn headers_match_across_width_case_spacing_and_units() {
    assert_eq!(normalise_header(" 金额（元） "), "金额(元)");
    assert_eq!(normalise_header("Amount"), "amount");
    assert_eq!(split_unit("金额(万元)").0, "金额");
}

#[test]
fn excel_general_format_shortens_long_numbers_like_excel() {
    assert_eq!(excel_general(110_105_194_912_310_024.0), "1.10105E+17");
    assert_eq!(excel_general(1e20), "1E+20");
    assert_eq!(excel_general(1234.5), "1234.5");
}

#[test]
fn excel_cells_convert_to_text_by_column_type() {
    let number = RawCell::Number(45_366.0);
    assert_eq!(number.to_text(ColumnType::Date).unwrap(), "2024-03-15");
    assert_eq!(number.to_text(ColumnType::Money).unwrap(), "45366");
    assert!(number.to_text(ColumnType::Uscc).is_err());
    assert_eq!(
        RawCell::Number(202_403.0)
            .to_text(ColumnType::Period)
            .unwrap(),
        "202403"
    );
    assert_eq!(
        RawCell::Number(-5.0).to_text(ColumnType::Date).unwrap_err(),
        "the cell is a number (-5), not a date"
    );
    assert_eq!(
        RawCell::Number(1e15).to_text(ColumnType::Text).unwrap_err(),
        "the cell is a number (1E+15); Excel has dropped digits — format the column as text"
    );
    assert_eq!(
        RawCell::Error("#N/A".to_owned())
            .to_text(ColumnType::Money)
            .unwrap_err(),
        "the cell holds the Excel error #N/A"
    );
    assert_eq!(
        RawCell::Bool(false).to_text(ColumnType::YesNo).unwrap(),
        "no"
    );
}

proptest! {
    #[test]
    fn no_text_makes_a_parser_panic(text in "\\PC{0,40}") {
        let _ = ResidentId::parse(&text);
        let _ = Uscc::parse(&text);
        let _ = Fen::parse_yuan(&text);
        let _ = Fen::parse_wan_yuan(&text);
        let _ = date::parse_date(&text);
        let _ = date::parse_period(&text);
        let _ = PartyId::parse(&text);
        let _ = Plate::parse(&text);
    }

    #[test]
    fn no_file_makes_an_import_panic(text in "[,\\n\"０-９0-9a-z金额元年月日 ;.-]{0,200}") {
        for kind in DatasetKind::ALL {
            let _ = parse_csv(kind, &format!("{WELFARE_HEADER}\n{text}"));
            let _ = parse_csv(kind, &text);
        }
    }

    #[test]
    fn no_bytes_make_an_import_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse(DatasetKind::WelfarePayments, "x.csv", &bytes);
        let _ = parse(DatasetKind::WelfarePayments, "x.xlsx", &bytes);
    }
}
