//! Calendar dates and months as departments write them.
//!
//! Spreadsheets exported by different offices spell the same day as `2024-03-05`,
//! `2024/3/5` or `2024年3月5日`, so [`parse_date`] accepts all three; anything else,
//! and any day that does not exist, is refused with the input quoted. A [`Period`] is a
//! month (`2024-03`), the unit in which welfare is paid.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::resident_id::half_width;

/// Asia/Shanghai is UTC+8 all year (China keeps no daylight saving time).
const SHANGHAI: Duration = Duration::hours(8);

/// The calendar day in Asia/Shanghai of an instant: the day a wall calls "today", the day
/// a scan judges as of, the day a trend counts in. The one place that turns instants into
/// China's days.
pub fn shanghai_day(at: DateTime<Utc>) -> NaiveDate {
    (at + SHANGHAI).date_naive()
}

/// The instant a day begins in Asia/Shanghai (its midnight, in UTC).
pub fn shanghai_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc() - SHANGHAI
}

/// Parses `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYY年M月D日` (month and day may have one digit).
///
/// A trailing time of day (`2024-03-05 00:00:00`, as database exports write dates) is
/// accepted and dropped, because the datasets record days, not instants.
pub fn parse_date(input: &str) -> Result<NaiveDate, String> {
    let input = input.trim();
    let text: String = input.chars().map(half_width).collect();
    let date_part = match text.split_once(' ') {
        Some((date, time)) if is_time_of_day(time.trim()) => date,
        _ => text.as_str(),
    };
    let invalid = || format!("{input} is not a date (expected YYYY-MM-DD)");
    let parts = split_parts(date_part, &['-', '/'], "年月日").ok_or_else(invalid)?;
    let [year, month, day] = parts.as_slice() else {
        return Err(invalid());
    };
    NaiveDate::from_ymd_opt(*year, to_u32(*month), to_u32(*day))
        .ok_or_else(|| format!("{input} is not a real date"))
}

fn is_time_of_day(text: &str) -> bool {
    NaiveTime::parse_from_str(text, "%H:%M:%S").is_ok()
        || NaiveTime::parse_from_str(text, "%H:%M").is_ok()
}

fn to_u32(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// Splits `text` into numbers: a four-digit year followed by one- or two-digit fields,
/// separated either by one of `separators` (the same one throughout) or by the Chinese
/// unit characters in `units`, each following its number (`2024年3月5日`).
fn split_parts(text: &str, separators: &[char], units: &str) -> Option<Vec<i32>> {
    let pieces: Vec<&str> = if text.contains('年') {
        let mut rest = text;
        let mut pieces = Vec::new();
        for unit in units.chars() {
            let (piece, after) = rest.split_once(unit)?;
            pieces.push(piece.trim());
            rest = after;
            if pieces.len() == field_count(text, units) {
                break;
            }
        }
        if !rest.trim().is_empty() {
            return None;
        }
        pieces
    } else {
        let separator = separators.iter().find(|s| text.contains(**s))?;
        text.split(*separator).collect()
    };
    let (year, others) = pieces.split_first()?;
    let number = |p: &str, widths: std::ops::RangeInclusive<usize>| {
        let ok = widths.contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
        ok.then(|| p.parse::<i32>().ok()).flatten()
    };
    let mut numbers = vec![number(year, 4..=4)?];
    for piece in others {
        numbers.push(number(piece, 1..=2)?);
    }
    Some(numbers)
}

/// How many of the unit characters the Chinese form uses: `年月日` for a date, `年月`
/// for a month.
fn field_count(text: &str, units: &str) -> usize {
    units.chars().filter(|u| text.contains(*u)).count()
}

/// A calendar month, such as the month a welfare payment belongs to (所属期).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// The year, four digits.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The first day of the month.
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }
}

/// Parses a month: `YYYY-MM`, `YYYY/MM`, `YYYY年M月` or `YYYYMM`.
pub fn parse_period(input: &str) -> Result<Period, String> {
    let input = input.trim();
    let text: String = input.chars().map(half_width).collect();
    let invalid = || format!("{input} is not a month (expected YYYY-MM)");
    let parts = if text.len() == 6 && text.chars().all(|c| c.is_ascii_digit()) {
        // Six ASCII digits are six bytes, so splitting at byte 4 is on a character boundary.
        let (year, month) = text.split_at(4);
        vec![year.parse().ok(), month.parse().ok()]
            .into_iter()
            .collect::<Option<Vec<i32>>>()
    } else {
        split_parts(&text, &['-', '/'], "年月")
    };
    let parts = parts.ok_or_else(invalid)?;
    let [year, month] = parts.as_slice() else {
        return Err(invalid());
    };
    if !(1..=12).contains(month) {
        return Err(format!("{input} is not a real month"));
    }
    Ok(Period {
        year: *year,
        month: to_u32(*month),
    })
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_period(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_period(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn iso_dates_slashed_dates_and_chinese_dates_are_accepted() {
        assert_eq!(parse_date("2024-03-05"), Ok(date(2024, 3, 5)));
        assert_eq!(parse_date("2024/3/5"), Ok(date(2024, 3, 5)));
        assert_eq!(parse_date("2024年3月5日"), Ok(date(2024, 3, 5)));
        assert_eq!(
            parse_date(" ２０２４年１２月３１日 "),
            Ok(date(2024, 12, 31))
        );
    }

    #[test]
    fn a_midnight_time_of_day_from_a_database_export_is_dropped() {
        assert_eq!(parse_date("2024-03-05 00:00:00"), Ok(date(2024, 3, 5)));
        assert!(parse_date("2024-03-05 noon").is_err());
    }

    #[test]
    fn days_that_do_not_exist_are_refused() {
        assert_eq!(
            parse_date("2023-02-29"),
            Err("2023-02-29 is not a real date".to_owned())
        );
        assert_eq!(
            parse_date("2024-13-01"),
            Err("2024-13-01 is not a real date".to_owned())
        );
    }

    #[test]
    fn malformed_dates_are_refused_with_the_expected_form() {
        for bad in [
            "20240305",
            "24-03-05",
            "2024-03",
            "2024-03/05",
            "2024年3月",
            "2024年3月5日x",
            "明天",
            "2024-003-05",
            "",
        ] {
            assert_eq!(
                parse_date(bad),
                Err(format!("{bad} is not a date (expected YYYY-MM-DD)")),
                "{bad}"
            );
        }
    }

    #[test]
    fn months_are_accepted_in_four_spellings() {
        let march = parse_period("2024-03").unwrap();
        assert_eq!((march.year(), march.month()), (2024, 3));
        assert_eq!(parse_period("2024/3"), Ok(march));
        assert_eq!(parse_period("2024年3月"), Ok(march));
        assert_eq!(parse_period("202403"), Ok(march));
        assert_eq!(march.to_string(), "2024-03");
    }

    #[test]
    fn impossible_or_malformed_months_are_refused() {
        assert_eq!(
            parse_period("2024-13"),
            Err("2024-13 is not a real month".to_owned())
        );
        assert_eq!(
            parse_period("2024-03-01"),
            Err("2024-03-01 is not a month (expected YYYY-MM)".to_owned())
        );
        assert!(parse_period("二〇二四年三月").is_err());
    }

    #[test]
    fn a_period_serialises_as_its_text() {
        let march = parse_period("2024-03").unwrap();
        assert_eq!(serde_json::to_string(&march).unwrap(), "\"2024-03\"");
        assert_eq!(
            serde_json::from_str::<Period>("\"2024-03\"").unwrap(),
            march
        );
    }
}
