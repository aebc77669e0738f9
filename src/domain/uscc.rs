//! Unified social credit codes (统一社会信用代码, GB 32100-2015): the 18-character identifier
//! of every company and organisation.
//!
//! The last character is a mod-31 check over a 31-symbol alphabet that leaves out I, O, S,
//! V and Z. A check character of `0` is legitimate (a well-known crate rejects it), so the
//! check here follows the standard's formula exactly: `(31 - sum % 31) % 31`.
//!
//! Some codes issued early fail the check and are nevertheless real, so a code that is
//! otherwise well formed (18 characters of the alphabet, a six-digit administrative
//! division code in characters 3 to 8) parses, and [`Uscc::check_mismatch`] says whether
//! its check character fails: importers accept it with a warning, rules can tell.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::resident_id::half_width;

/// The number of characters in a code.
const CODE_LEN: usize = 18;

/// The code alphabet; a symbol's value is its index.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of the first 17 characters.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a unified social credit code. The message quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unified social credit code {input}: {problem}")]
pub struct UsccError {
    input: String,
    problem: String,
}

impl UsccError {
    fn new(input: &str, problem: impl Into<String>) -> UsccError {
        UsccError {
            input: input.to_owned(),
            problem: problem.into(),
        }
    }

    /// What is wrong, without the quoted input.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// The characters (1-based, inclusive) holding the registration authority's
/// administrative division code, which is always six digits.
const DIVISION: std::ops::RangeInclusive<usize> = 3..=8;

/// A check character that is not the one the standard's formula gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckMismatch {
    pub found: char,
    pub expected: char,
}

impl fmt::Display for CheckMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "check character {}, expected {}; early codes may fail the check",
            self.found, self.expected
        )
    }
}

/// A well-formed unified social credit code in upper case. Its check character may fail
/// (see [`Uscc::check_mismatch`]); everything else about it has been checked.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc(String);

impl Uscc {
    /// Parses a well-formed code, trimming it and normalising full-width and lower-case
    /// letters. A failed check character is not an error here: ask `check_mismatch`.
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let input = input.trim();
        let chars: Vec<char> = input
            .chars()
            .map(half_width)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != CODE_LEN {
            let problem = format!("must be 18 characters, found {}", chars.len());
            return Err(UsccError::new(input, problem));
        }
        for (i, &c) in chars.iter().enumerate() {
            if symbol_value(c).is_none() {
                return Err(UsccError::new(input, bad_symbol(i, c)));
            }
        }
        if let Some((i, c)) = chars
            .iter()
            .enumerate()
            .find(|(i, c)| DIVISION.contains(&(i + 1)) && !c.is_ascii_digit())
        {
            let problem = format!(
                "character {} is '{c}', but characters 3 to 8 are the administrative division code, six digits",
                i + 1
            );
            return Err(UsccError::new(input, problem));
        }
        Ok(Uscc(chars.into_iter().collect()))
    }

    /// The code as 18 upper-case ASCII characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the check character is the one the standard's formula gives.
    pub fn check_ok(&self) -> bool {
        self.check_mismatch().is_none()
    }

    /// The failed check character and the expected one, or `None` if the check holds.
    pub fn check_mismatch(&self) -> Option<CheckMismatch> {
        let sum: u32 = self
            .0
            .chars()
            .filter_map(symbol_value)
            .zip(WEIGHTS)
            .map(|(v, w)| v * w)
            .sum();
        let expected = ALPHABET
            .chars()
            .nth(((31 - sum % 31) % 31) as usize)
            .unwrap_or('0');
        let found = self.0.chars().last().unwrap_or('0');
        (found != expected).then_some(CheckMismatch { found, expected })
    }
}

/// The value of a symbol of the code alphabet, or `None` for any other character.
fn symbol_value(c: char) -> Option<u32> {
    ALPHABET
        .chars()
        .position(|a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

fn bad_symbol(index: usize, c: char) -> String {
    let position = index + 1;
    if matches!(c, 'I' | 'O' | 'S' | 'V' | 'Z') {
        format!(
            "character {position} is '{c}', which the code alphabet leaves out (no I, O, S, V or Z)"
        )
    } else {
        format!("character {position} is '{c}'; only digits and upper-case letters are allowed")
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Uscc::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> String {
        Uscc::parse(input).unwrap_err().to_string()
    }

    #[test]
    fn the_published_test_vectors_are_accepted() {
        for code in ["91350100M000100Y43", "91110108551385082Q"] {
            let parsed = Uscc::parse(code).unwrap();
            assert_eq!(parsed.as_str(), code);
            assert!(parsed.check_ok(), "{code}");
        }
    }

    #[test]
    fn a_code_whose_check_character_is_zero_is_accepted() {
        assert!(Uscc::parse("91350100M000000000").unwrap().check_ok());
    }

    #[test]
    fn a_failed_check_character_parses_and_is_named_with_the_expected_one() {
        let code = Uscc::parse("91350100M000100Y44").unwrap();
        assert!(!code.check_ok());
        let mismatch = code.check_mismatch().unwrap();
        assert_eq!((mismatch.found, mismatch.expected), ('4', '3'));
        assert_eq!(
            mismatch.to_string(),
            "check character 4, expected 3; early codes may fail the check"
        );
    }

    #[test]
    fn the_administrative_division_code_must_be_digits() {
        assert_eq!(
            err("9135A100M000100Y43"),
            "unified social credit code 9135A100M000100Y43: character 5 is 'A', \
             but characters 3 to 8 are the administrative division code, six digits"
        );
    }

    #[test]
    fn lower_case_and_full_width_input_is_normalised() {
        assert_eq!(
            Uscc::parse(" 91350100m000100y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert_eq!(
            Uscc::parse("９１１１０１０８５５１３８５０８２ｑ")
                .unwrap()
                .as_str(),
            "91110108551385082Q"
        );
    }

    #[test]
    fn letters_left_out_of_the_alphabet_are_rejected_by_name() {
        for letter in ['I', 'O', 'Z', 'S', 'V'] {
            let code = format!("9135010{letter}M000100Y43");
            assert!(
                err(&code).contains(&format!(
                    "character 8 is '{letter}', which the code alphabet leaves out"
                )),
                "{}",
                err(&code)
            );
        }
    }

    #[test]
    fn chinese_characters_and_wrong_lengths_are_rejected_without_panicking() {
        assert!(err("统一社会信用代码").contains("must be 18 characters, found 8"));
        assert!(err("91350100M000100Y4统").contains("character 18 is '统'"));
    }

    #[test]
    fn a_code_round_trips_through_serde_as_a_string() {
        for text in ["91110108551385082Q", "91110108551385082R"] {
            let code = Uscc::parse(text).unwrap();
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Uscc>(&json).unwrap(), code);
        }
    }
}
