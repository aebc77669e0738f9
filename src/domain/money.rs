//! Money as a whole number of fen (分, 1/100 yuan).
//!
//! Amounts are parsed from text digit by digit into integers, never through floating
//! point, so "0.29" is exactly 29 fen and an amount with more precision than the unit
//! allows is refused rather than rounded: a rounded amount would hide a data error in a
//! department's spreadsheet from the rules that compare amounts.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::resident_id::half_width;

/// An amount of money in fen. Any `i64` is a valid amount, including negative refunds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

/// Why a string is not an amount. Every message quotes the input as given (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing but whitespace (or a currency sign) was given.
    #[error("the amount is empty")]
    Empty,
    /// The text is not a decimal number.
    #[error("{input} is not an amount in {unit}")]
    NotANumber { input: String, unit: &'static str },
    /// Thousands separators are not in groups of three.
    #[error("{input} has misplaced thousands separators")]
    BadSeparators { input: String },
    /// More decimals than the unit has (two for yuan, six for 万元).
    #[error("{input} has more than {places} decimal places")]
    TooPrecise { input: String, places: &'static str },
    /// The amount does not fit in 64 bits of fen.
    #[error("{input} is too large")]
    TooLarge { input: String },
}

/// The unit a text amount is written in.
#[derive(Clone, Copy)]
struct Unit {
    /// How many decimals the unit allows; one fen is one unit of the last decimal.
    decimals: usize,
    decimals_word: &'static str,
    name: &'static str,
}

const YUAN: Unit = Unit {
    decimals: 2,
    decimals_word: "two",
    name: "yuan",
};

const WAN_YUAN: Unit = Unit {
    decimals: 6,
    decimals_word: "six",
    name: "万元",
};

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// An amount of `fen` fen.
    pub const fn from_fen(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// The sum, or `None` on overflow.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// The difference, or `None` on overflow.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// Parses an amount in yuan: `1234`, `1234.5`, `-3.20`, `1,234.56`, `¥12`, `12元`.
    pub fn parse_yuan(input: &str) -> Result<Fen, MoneyError> {
        parse(input, YUAN)
    }

    /// Parses an amount in 万元 (ten thousand yuan), with up to six decimals (one fen).
    pub fn parse_wan_yuan(input: &str) -> Result<Fen, MoneyError> {
        parse(input, WAN_YUAN)
    }
}

/// Parses `input` as a decimal number of `unit`, exactly.
fn parse(input: &str, unit: Unit) -> Result<Fen, MoneyError> {
    let input = input.trim();
    let normalised: String = input.chars().map(half_width).collect();
    let (negative, body) = strip_decorations(&normalised);
    if body.is_empty() {
        return Err(MoneyError::Empty);
    }
    let not_a_number = || MoneyError::NotANumber {
        input: input.to_owned(),
        unit: unit.name,
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let whole = digits_without_separators(whole).ok_or_else(|| {
        if whole.contains(',') && whole.chars().all(|c| c.is_ascii_digit() || c == ',') {
            MoneyError::BadSeparators {
                input: input.to_owned(),
            }
        } else {
            not_a_number()
        }
    })?;
    let fraction = fraction.unwrap_or("");
    if !fraction.chars().all(|c| c.is_ascii_digit()) || body.ends_with('.') {
        return Err(not_a_number());
    }
    if fraction.len() > unit.decimals {
        return Err(MoneyError::TooPrecise {
            input: input.to_owned(),
            places: unit.decimals_word,
        });
    }
    let too_large = || MoneyError::TooLarge {
        input: input.to_owned(),
    };
    // Appending zeros to the fraction turns "12.5" yuan into the digit string "1250" fen.
    let padded = format!("{whole}{fraction:0<width$}", width = unit.decimals);
    let magnitude: i64 = padded.parse().map_err(|_| too_large())?;
    Ok(Fen(if negative { -magnitude } else { magnitude }))
}

/// Removes a sign, a leading `¥`/`￥` and a trailing `元`, in the orders people write them
/// ("-¥3.20", "¥-3.20"); returns whether the amount is negative and the bare number.
fn strip_decorations(text: &str) -> (bool, &str) {
    let text = text.trim();
    let text = text.strip_suffix('元').unwrap_or(text).trim_end();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let text = text
        .strip_prefix('¥')
        .or_else(|| text.strip_prefix('￥'))
        .unwrap_or(text)
        .trim_start();
    if !negative && let Some(rest) = text.strip_prefix('-') {
        return (true, rest.trim_start());
    }
    (negative, text)
}

/// The digits of a whole part, checking that any thousands separators group by three.
/// Returns `None` if the part is empty or holds anything else.
fn digits_without_separators(whole: &str) -> Option<String> {
    if whole.is_empty() {
        return None;
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let all_digits = |g: &str| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit());
    if !groups.iter().all(|g| all_digits(g)) {
        return None;
    }
    let first_ok = groups.len() == 1 || groups.first().is_some_and(|g| g.len() <= 3);
    let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| groups.concat())
}

impl fmt::Display for Fen {
    /// Shows the amount in yuan with two decimals, e.g. `-3.20`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(s: &str) -> i64 {
        Fen::parse_yuan(s).unwrap().fen()
    }

    fn yuan_err(s: &str) -> String {
        Fen::parse_yuan(s).unwrap_err().to_string()
    }

    #[test]
    fn whole_and_decimal_yuan_become_exact_fen() {
        assert_eq!(yuan("1234"), 123_400);
        assert_eq!(yuan("1234.5"), 123_450);
        assert_eq!(yuan("1234.56"), 123_456);
        assert_eq!(yuan("0.29"), 29);
        assert_eq!(yuan("0"), 0);
    }

    #[test]
    fn negative_amounts_are_accepted_in_either_order_with_the_currency_sign() {
        assert_eq!(yuan("-3.20"), -320);
        assert_eq!(yuan("-¥3.20"), -320);
        assert_eq!(yuan("¥-3.20"), -320);
    }

    #[test]
    fn thousands_separators_and_currency_signs_are_accepted() {
        assert_eq!(yuan("1,234.50"), 123_450);
        assert_eq!(yuan("¥1,234,567.8"), 123_456_780);
        assert_eq!(yuan("￥12元"), 1200);
        assert_eq!(yuan(" １２．５ 元"), 1250);
    }

    #[test]
    fn misplaced_thousands_separators_are_refused() {
        assert_eq!(
            yuan_err("12,34.5"),
            "12,34.5 has misplaced thousands separators"
        );
        assert_eq!(
            yuan_err("1234,567"),
            "1234,567 has misplaced thousands separators"
        );
    }

    #[test]
    fn three_decimals_are_refused_not_rounded() {
        assert_eq!(yuan_err("0.285"), "0.285 has more than two decimal places");
        assert_eq!(
            yuan_err("12.345"),
            "12.345 has more than two decimal places"
        );
    }

    #[test]
    fn empty_and_non_numeric_text_is_refused() {
        assert_eq!(yuan_err("  "), "the amount is empty");
        assert_eq!(yuan_err("¥"), "the amount is empty");
        assert_eq!(yuan_err("十二元"), "十二元 is not an amount in yuan");
        assert_eq!(yuan_err("12."), "12. is not an amount in yuan");
        assert_eq!(yuan_err(".5"), ".5 is not an amount in yuan");
        assert_eq!(yuan_err("1e5"), "1e5 is not an amount in yuan");
        assert_eq!(yuan_err("1.2.3"), "1.2.3 is not an amount in yuan");
        assert_eq!(yuan_err("--3"), "--3 is not an amount in yuan");
    }

    #[test]
    fn amounts_beyond_sixty_four_bits_of_fen_are_refused() {
        assert_eq!(
            yuan_err("92233720368547758.08"),
            "92233720368547758.08 is too large"
        );
        assert_eq!(yuan("92233720368547758.07"), i64::MAX);
    }

    #[test]
    fn wan_yuan_allow_six_decimals_down_to_one_fen() {
        assert_eq!(Fen::parse_wan_yuan("1").unwrap().fen(), 1_000_000);
        assert_eq!(Fen::parse_wan_yuan("12.3456").unwrap().fen(), 12_345_600);
        assert_eq!(Fen::parse_wan_yuan("0.000001").unwrap().fen(), 1);
        assert_eq!(
            Fen::parse_wan_yuan("0.0000001").unwrap_err().to_string(),
            "0.0000001 has more than six decimal places"
        );
    }

    #[test]
    fn display_shows_yuan_with_two_decimals() {
        assert_eq!(Fen::from_fen(123_450).to_string(), "1234.50");
        assert_eq!(Fen::from_fen(-320).to_string(), "-3.20");
        assert_eq!(Fen::from_fen(5).to_string(), "0.05");
        assert_eq!(Fen::from_fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn serde_uses_the_integer_number_of_fen() {
        assert_eq!(
            serde_json::to_string(&Fen::from_fen(123_450)).unwrap(),
            "123450"
        );
        assert_eq!(
            serde_json::from_str::<Fen>("-320").unwrap(),
            Fen::from_fen(-320)
        );
    }
}
