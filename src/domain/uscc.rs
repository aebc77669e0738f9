//! Unified social credit codes (统一社会信用代码, GB 32100-2015): the 18-character identifier
//! of every company and organisation.
//!
//! The last character is a mod-31 check over a 31-symbol alphabet that leaves out I, O, S,
//! V and Z. A check character of `0` is legitimate (a well-known crate rejects it), so the
//! check here follows the standard's formula exactly: `(31 - sum % 31) % 31`.

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

/// A well-formed unified social credit code in upper case.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc(String);

impl Uscc {
    /// Parses a code, trimming it and normalising full-width and lower-case letters.
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
        let mut values = Vec::with_capacity(CODE_LEN);
        for (i, &c) in chars.iter().enumerate() {
            match symbol_value(c) {
                Some(value) => values.push(value),
                None => return Err(UsccError::new(input, bad_symbol(i, c))),
            }
        }
        let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let expected = ALPHABET
            .chars()
            .nth(((31 - sum % 31) % 31) as usize)
            .unwrap_or('0');
        let found = chars[CODE_LEN - 1];
        if found != expected {
            let problem = format!("the check character should be {expected}, found {found}");
            return Err(UsccError::new(input, problem));
        }
        Ok(Uscc(chars.into_iter().collect()))
    }

    /// The code as 18 upper-case ASCII characters.
    pub fn as_str(&self) -> &str {
        &self.0
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
            assert_eq!(Uscc::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn a_code_whose_check_character_is_zero_is_accepted() {
        assert!(Uscc::parse("91350100M000000000").is_ok());
    }

    #[test]
    fn a_wrong_check_character_is_named_with_the_expected_one() {
        assert_eq!(
            err("91350100M000100Y44"),
            "unified social credit code 91350100M000100Y44: \
             the check character should be 3, found 4"
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
        let code = Uscc::parse("91110108551385082Q").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"91110108551385082Q\"");
        assert_eq!(serde_json::from_str::<Uscc>(&json).unwrap(), code);
    }
}
