//! Resident identity numbers (公民身份号码, GB 11643-1999): 17 digits and a check character.
//!
//! Department spreadsheets carry these numbers typed by hand, so the same person may appear
//! with full-width digits or a lower-case `x`. [`ResidentId::parse`] normalises those forms,
//! checks the structure (region prefix, birth date, ISO 7064 MOD 11-2 check character) and
//! only then builds a value, so two spellings of one ID compare equal everywhere else.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The number of characters in a second-generation resident ID.
const ID_LEN: usize = 18;

/// The ISO 7064 MOD 11-2 weights of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each remainder of the weighted sum modulo 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province codes (the first two digits) in use, plus 99 for the fictional demo province.
const PROVINCES: [u32; 36] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 99,
];

/// Why a string is not a resident ID. Every message quotes the input as given (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resident ID {input}: {problem}")]
pub struct ResidentIdError {
    input: String,
    problem: String,
}

impl ResidentIdError {
    fn new(input: &str, problem: impl Into<String>) -> ResidentIdError {
        ResidentIdError {
            input: input.to_owned(),
            problem: problem.into(),
        }
    }

    /// What is wrong, without the quoted input.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// Maps full-width ASCII forms (U+FF01–FF5E, as typed by Chinese input methods) to their
/// ASCII counterparts and the ideographic space to a plain space; other characters pass.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// A well-formed 18-character resident ID, upper-case `X` as its check character if any.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// Parses a resident ID, trimming it and normalising full-width characters and `x`.
    pub fn parse(input: &str) -> Result<ResidentId, ResidentIdError> {
        let input = input.trim();
        let chars: Vec<char> = input
            .chars()
            .map(half_width)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != ID_LEN {
            let hint = if chars.len() == 15 {
                " (15-digit first-generation IDs must be converted to 18 digits)"
            } else {
                ""
            };
            let problem = format!("must be 18 characters, found {}{hint}", chars.len());
            return Err(ResidentIdError::new(input, problem));
        }
        if let Some((i, c)) = chars[..17]
            .iter()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
        {
            let problem = format!("character {} should be a digit, found '{c}'", i + 1);
            return Err(ResidentIdError::new(input, problem));
        }
        let digits: Vec<u32> = chars[..17].iter().filter_map(|c| c.to_digit(10)).collect();
        check_province(input, &digits)?;
        check_birth_date(input, &digits)?;
        let expected = check_char(&digits);
        let found = chars[17];
        if found != expected {
            let problem = format!("the check character should be {expected}, found {found}");
            return Err(ResidentIdError::new(input, problem));
        }
        Ok(ResidentId(chars.into_iter().collect()))
    }

    /// The ID as 18 ASCII characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID with its birth date and sequence hidden: the first six and last four
    /// characters around eight `*`, as shown to roles that may not see personal data.
    pub fn masked(&self) -> String {
        let head: String = self.0.chars().take(6).collect();
        let tail: String = self.0.chars().skip(ID_LEN - 4).collect();
        format!("{head}********{tail}")
    }

    /// The date of birth encoded in digits 7 to 14.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let digits: Vec<u32> = self.0.chars().filter_map(|c| c.to_digit(10)).collect();
        birth_date(&digits)
    }
}

/// The ISO 7064 MOD 11-2 check character of 17 digits.
fn check_char(digits: &[u32]) -> char {
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn check_province(input: &str, digits: &[u32]) -> Result<(), ResidentIdError> {
    let province = digits[0] * 10 + digits[1];
    if PROVINCES.contains(&province) {
        Ok(())
    } else {
        let problem = format!("{province:02} is not a province code");
        Err(ResidentIdError::new(input, problem))
    }
}

fn birth_date(digits: &[u32]) -> Option<NaiveDate> {
    let number =
        |range: std::ops::Range<usize>| digits[range].iter().fold(0u32, |acc, d| acc * 10 + d);
    let year = i32::try_from(number(6..10)).ok()?;
    NaiveDate::from_ymd_opt(year, number(10..12), number(12..14))
}

fn check_birth_date(input: &str, digits: &[u32]) -> Result<(), ResidentIdError> {
    let text: String = digits[6..14].iter().map(|d| d.to_string()).collect();
    let Some(date) = birth_date(digits) else {
        let problem = format!("the birth date {text} is not a real date");
        return Err(ResidentIdError::new(input, problem));
    };
    // The bounds keep out typing slips such as 2091 for 1991; the upper bound is fixed
    // rather than read from a clock because domain types take no time as input.
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1);
    let latest = NaiveDate::from_ymd_opt(2026, 12, 31);
    if Some(date) < earliest || Some(date) > latest {
        let problem = format!("the birth date {date} is outside 1900-01-01 to 2026-12-31");
        return Err(ResidentIdError::new(input, problem));
    }
    Ok(())
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug output ends up in logs, which must not carry personal data in full.
        write!(f, "ResidentId({})", self.masked())
    }
}

impl FromStr for ResidentId {
    type Err = ResidentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResidentId::parse(s)
    }
}

impl Serialize for ResidentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ResidentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ResidentId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> String {
        ResidentId::parse(input).unwrap_err().to_string()
    }

    #[test]
    fn the_standard_example_is_accepted() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
    }

    #[test]
    fn a_wrong_check_character_is_named_with_the_expected_one() {
        assert_eq!(
            err("11010519491231002Y"),
            "resident ID 11010519491231002Y: the check character should be X, found Y"
        );
        assert_eq!(
            err("110105194912310021"),
            "resident ID 110105194912310021: the check character should be X, found 1"
        );
    }

    #[test]
    fn lower_case_x_is_normalised_to_upper_case() {
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn full_width_digits_and_x_are_normalised() {
        let id = ResidentId::parse("　１１０１０５１９４９１２３１００２ｘ ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn a_wrong_length_is_counted_in_characters() {
        assert_eq!(
            err("身份证号码"),
            "resident ID 身份证号码: must be 18 characters, found 5"
        );
        assert!(err("110105491231002").contains("15-digit"));
    }

    #[test]
    fn a_letter_among_the_digits_is_named_with_its_position() {
        assert_eq!(
            err("1101051949123100AX"),
            "resident ID 1101051949123100AX: character 17 should be a digit, found 'A'"
        );
        assert!(err("11010519491231中02X").contains("character 15"));
    }

    #[test]
    fn an_impossible_birth_date_is_rejected() {
        assert_eq!(
            err("110105194902301234"),
            "resident ID 110105194902301234: the birth date 19490230 is not a real date"
        );
    }

    #[test]
    fn a_birth_date_outside_the_accepted_years_is_rejected() {
        assert!(err("110105189912310011").contains("outside 1900-01-01 to 2026-12-31"));
        assert!(err("110105202701010011").contains("outside"));
    }

    #[test]
    fn an_unknown_province_is_rejected_but_the_demo_province_is_accepted() {
        assert_eq!(
            err("100105194912310021"),
            "resident ID 100105194912310021: 10 is not a province code"
        );
        let digits = "99010219800101001";
        let sum: u32 = digits
            .chars()
            .filter_map(|c| c.to_digit(10))
            .zip(WEIGHTS)
            .map(|(d, w)| d * w)
            .sum();
        let id = format!("{digits}{}", CHECK_CHARS[(sum % 11) as usize]);
        assert!(ResidentId::parse(&id).is_ok(), "{id}");
    }

    #[test]
    fn masking_keeps_the_first_six_and_last_four_characters() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(110105********002X)");
    }

    #[test]
    fn an_id_round_trips_through_serde_as_a_string() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"11010519491231002X\"");
        assert_eq!(serde_json::from_str::<ResidentId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ResidentId>("\"11010519491231002Y\"").is_err());
    }
}
