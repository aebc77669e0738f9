//! Region codes: the 12-digit statistical division codes (统计用区划代码) that key every
//! city, town and village in Qingfeng.
//!
//! A code is split into 2 province, 2 city, 2 county, 3 town and 3 village digits. A
//! `RegionCode` can only be built by [`RegionCode::parse`], so any value of the type is a
//! well-formed code and the rest of the program never re-checks it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The number of digits in a statistical division code.
const CODE_LEN: usize = 12;

/// The level of a region in Qingfeng's tree, top down.
///
/// "City" is the county-level unit (区县, county-level city or municipal district) that
/// runs a command center, as the product started; a deployment may be rooted higher, at
/// a prefecture (地级市, 开封市) or a province, and the levels below work the same.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A province (省): its code ends in ten zeros.
    Province,
    /// A prefecture (地级市/州/盟): its code ends in eight zeros.
    Prefecture,
    /// A county-level unit (区县): its code ends in six zeros.
    City,
    /// A town, township or street (镇/乡/街道): its code ends in three zeros.
    Town,
    /// A village or community (村/社区): the last three digits are not all zero.
    Village,
}

impl Level {
    /// Every level, from the top.
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::Prefecture,
        Level::City,
        Level::Town,
        Level::Village,
    ];
}

impl Level {
    /// The lowercase name used in serialised data and in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Prefecture => "prefecture",
            Level::City => "city",
            Level::Town => "town",
            Level::Village => "village",
        }
    }

    /// The level directly above this one, or `None` for a province, which is the top.
    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Province => None,
            Level::Prefecture => Some(Level::Province),
            Level::City => Some(Level::Prefecture),
            Level::Town => Some(Level::City),
            Level::Village => Some(Level::Town),
        }
    }

    /// How many leading digits a code of this level shares with everything beneath it.
    fn prefix_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::Prefecture => 4,
            Level::City => 6,
            Level::Town => 9,
            Level::Village => 12,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a region code. Every message quotes the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    /// The input does not have exactly twelve characters.
    #[error("region code '{input}' must be 12 digits, found {found}")]
    WrongLength { input: String, found: usize },
    /// A character other than an ASCII digit appears in the input.
    #[error(
        "region code '{input}' must contain only digits 0-9, found '{found}' at position {position}"
    )]
    NotADigit {
        input: String,
        found: char,
        position: usize,
    },
    /// The province digits are `00`, which no division uses.
    #[error("region code '{input}' has province digits 00, which no division uses")]
    NoProvince { input: String },
    /// The village digits are set although the town digits are zero, so the village
    /// would belong to no town.
    #[error(
        "region code '{input}' names a village (digits 10-12) but no town (digits 7-9 are 000)"
    )]
    VillageWithoutTown { input: String },
}

/// A 12-digit statistical division code, always well formed.
///
/// The digits are kept inline as ASCII bytes, so the type is `Copy` and comparing or
/// hashing it never touches the heap. Ordering is the ordering of the digit strings,
/// which places every region directly after its parent.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode([u8; CODE_LEN]);

impl RegionCode {
    /// Parses a code of exactly 12 ASCII digits.
    ///
    /// Surrounding whitespace is not trimmed: callers reading files decide for
    /// themselves whether stray spaces are an error.
    pub fn parse(input: &str) -> Result<RegionCode, RegionCodeError> {
        let found = input.chars().count();
        if found != CODE_LEN {
            return Err(RegionCodeError::WrongLength {
                input: input.to_owned(),
                found,
            });
        }
        if let Some((position, found)) =
            input.chars().enumerate().find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(RegionCodeError::NotADigit {
                input: input.to_owned(),
                found,
                position: position + 1,
            });
        }
        // Twelve ASCII digits are twelve bytes, so this conversion cannot fail.
        let digits: [u8; CODE_LEN] = input
            .as_bytes()
            .try_into()
            .expect("12 ASCII digits are 12 bytes");
        let code = RegionCode(digits);
        if code.all_zero(0..2) {
            return Err(RegionCodeError::NoProvince {
                input: input.to_owned(),
            });
        }
        if code.all_zero(6..9) && !code.all_zero(9..12) {
            return Err(RegionCodeError::VillageWithoutTown {
                input: input.to_owned(),
            });
        }
        Ok(code)
    }

    /// The code as its 12-digit string.
    pub fn as_str(&self) -> &str {
        // The bytes were checked to be ASCII digits in `parse`, so they are valid UTF-8.
        std::str::from_utf8(&self.0).expect("region codes hold only ASCII digits")
    }

    /// The level of this region, read from which trailing digit groups are zero.
    pub fn level(&self) -> Level {
        if !self.all_zero(9..12) {
            Level::Village
        } else if !self.all_zero(6..9) {
            Level::Town
        } else if !self.all_zero(4..6) {
            Level::City
        } else if !self.all_zero(2..4) {
            Level::Prefecture
        } else {
            Level::Province
        }
    }

    /// The digits that tell this region from its siblings: a village's or a town's three
    /// of its group; for the levels above, the whole leading code people know them by
    /// (410221 for 杞县, 4102 for 开封市).
    pub fn own_digits(&self) -> &str {
        let range = match self.level() {
            Level::Village => 9..12,
            Level::Town => 6..9,
            Level::City => 0..6,
            Level::Prefecture => 0..4,
            Level::Province => 0..2,
        };
        &self.as_str()[range]
    }

    /// The region above this one by its digits (a village's town, a town's county-level
    /// unit, a county's prefecture, a prefecture's province), as the statistics bureau's
    /// codes are built; `None` for a province. A town of a prefecture without counties
    /// (东莞市 441900) has the prefecture's code as its parent.
    pub fn parent_by_digits(&self) -> Option<RegionCode> {
        let keep = self.level().parent()?.prefix_len();
        let mut digits = self.0;
        digits[keep..].fill(b'0');
        Some(RegionCode(digits))
    }

    /// This region and each region above it by its digits, up to its province: every
    /// subtree it counts in.
    pub fn and_ancestors(self) -> impl Iterator<Item = RegionCode> {
        std::iter::successors(Some(self), RegionCode::parent_by_digits)
    }

    /// True if `self` is `ancestor` or lies beneath it in the tree.
    ///
    /// The test compares the digits that the ancestor's level fixes: two for a province,
    /// four for a prefecture, six for a city, nine for a town and all twelve for a
    /// village, so a village is "within" only itself.
    pub fn is_within(&self, ancestor: &RegionCode) -> bool {
        let n = ancestor.level().prefix_len();
        self.0[..n] == ancestor.0[..n]
    }

    fn all_zero(&self, range: std::ops::Range<usize>) -> bool {
        self.0[range].iter().all(|&b| b == b'0')
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printing the digits rather than the byte array keeps test failures readable.
        write!(f, "RegionCode({})", self.as_str())
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Going through `parse` means a malformed code in a request or a stored record is
        // rejected at the boundary with the same message as everywhere else.
        let text = String::deserialize(deserializer)?;
        RegionCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn a_code_with_twelve_digits_is_accepted_and_kept_verbatim() {
        assert_eq!(code("990102001201").as_str(), "990102001201");
        assert_eq!(code("990102001201").to_string(), "990102001201");
    }

    #[test]
    fn a_code_with_eleven_digits_is_rejected() {
        let err = RegionCode::parse("99010200120").unwrap_err();
        assert_eq!(
            err.to_string(),
            "region code '99010200120' must be 12 digits, found 11"
        );
    }

    #[test]
    fn a_short_code_error_names_the_length_found() {
        let err = RegionCode::parse("1234").unwrap_err();
        assert_eq!(
            err.to_string(),
            "region code '1234' must be 12 digits, found 4"
        );
    }

    #[test]
    fn a_code_with_a_letter_is_rejected_with_its_position() {
        let err = RegionCode::parse("9901020012a1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "region code '9901020012a1' must contain only digits 0-9, found 'a' at position 11"
        );
    }

    #[test]
    fn full_width_digits_are_counted_as_characters_and_rejected() {
        // Twelve full-width digits are 36 bytes; the error must count characters.
        let err = RegionCode::parse("９９０１０２００１２０１").unwrap_err();
        assert!(
            matches!(err, RegionCodeError::NotADigit { position: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn surrounding_whitespace_is_not_trimmed() {
        assert!(RegionCode::parse(" 990102001201").is_err());
    }

    #[test]
    fn a_code_with_province_zero_is_rejected() {
        let err = RegionCode::parse("000102001201").unwrap_err();
        assert!(matches!(err, RegionCodeError::NoProvince { .. }), "{err}");
    }

    #[test]
    fn a_village_without_a_town_is_rejected() {
        let err = RegionCode::parse("990102000201").unwrap_err();
        assert!(
            matches!(err, RegionCodeError::VillageWithoutTown { .. }),
            "{err}"
        );
    }

    #[test]
    fn the_level_follows_the_trailing_zero_groups() {
        assert_eq!(code("410000000000").level(), Level::Province);
        assert_eq!(code("410200000000").level(), Level::Prefecture);
        assert_eq!(code("990102000000").level(), Level::City);
        assert_eq!(code("990102001000").level(), Level::Town);
        assert_eq!(code("990102001201").level(), Level::Village);
        // 东莞市 has no counties: its towns sit directly in the prefecture.
        assert_eq!(code("441900003000").level(), Level::Town);
    }

    #[test]
    fn the_parent_by_digits_climbs_one_level_at_a_time() {
        let climb = |c: &str| code(c).parent_by_digits().map(|p| p.as_str().to_owned());
        assert_eq!(climb("410221101201").as_deref(), Some("410221101000"));
        assert_eq!(climb("410221101000").as_deref(), Some("410221000000"));
        assert_eq!(climb("410221000000").as_deref(), Some("410200000000"));
        assert_eq!(climb("410200000000").as_deref(), Some("410000000000"));
        assert_eq!(climb("410000000000"), None);
        assert_eq!(climb("441900003000").as_deref(), Some("441900000000"));
    }

    #[test]
    fn a_county_is_within_its_prefecture_and_province_not_a_neighbour() {
        let county = code("410221000000");
        assert!(county.is_within(&code("410200000000")));
        assert!(county.is_within(&code("410000000000")));
        assert!(!county.is_within(&code("410300000000")));
        assert!(code("410221101201").is_within(&code("410000000000")));
    }

    #[test]
    fn a_village_is_within_its_town_its_city_and_itself() {
        let village = code("990102100201");
        assert!(village.is_within(&village));
        assert!(village.is_within(&code("990102100000")));
        assert!(village.is_within(&code("990102000000")));
    }

    #[test]
    fn a_village_is_not_within_a_neighbouring_village_or_town() {
        let village = code("990102100201");
        assert!(!village.is_within(&code("990102100202")));
        assert!(!village.is_within(&code("990102101000")));
        assert!(!village.is_within(&code("990103000000")));
    }

    #[test]
    fn a_town_is_not_within_its_own_villages() {
        assert!(!code("990102100000").is_within(&code("990102100201")));
    }

    #[test]
    fn codes_order_parents_before_their_children() {
        assert!(code("990102100000") < code("990102100201"));
        assert!(code("990102000000") < code("990102001000"));
    }

    #[test]
    fn a_code_serialises_as_a_plain_string() {
        let json = serde_json::to_string(&code("990102100201")).unwrap();
        assert_eq!(json, "\"990102100201\"");
        let back: RegionCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, code("990102100201"));
    }

    #[test]
    fn deserialising_a_malformed_code_fails_with_the_parse_message() {
        let err = serde_json::from_str::<RegionCode>("\"1234\"").unwrap_err();
        assert!(
            err.to_string().contains("must be 12 digits, found 4"),
            "{err}"
        );
    }

    #[test]
    fn levels_serialise_in_lowercase() {
        assert_eq!(
            serde_json::to_string(&Level::Village).unwrap(),
            "\"village\""
        );
        assert_eq!(
            serde_json::from_str::<Level>("\"city\"").unwrap(),
            Level::City
        );
    }

    #[test]
    fn each_level_knows_the_level_above_it() {
        assert_eq!(Level::Village.parent(), Some(Level::Town));
        assert_eq!(Level::Town.parent(), Some(Level::City));
        assert_eq!(Level::City.parent(), Some(Level::Prefecture));
        assert_eq!(Level::Prefecture.parent(), Some(Level::Province));
        assert_eq!(Level::Province.parent(), None);
    }
}
