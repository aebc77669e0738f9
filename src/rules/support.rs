//! Small pieces every rule uses: counting subjects into a report, writing evidence in
//! one shape, and the date, money and region arithmetic the thresholds need.

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use super::{Finding, RuleMeta, RuleReport};
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::import::DatasetKind;
use crate::import::value::PartyId;

/// Counts kept while a rule runs; [`Tally::report`] turns them into the report.
#[derive(Default)]
pub(super) struct Tally {
    pub checked: u64,
    pub not_judged: u64,
    pub findings: Vec<Finding>,
}

impl Tally {
    /// Records one judged subject and its finding, if any.
    pub fn judged(&mut self, finding: Option<Finding>) {
        self.checked += 1;
        self.findings.extend(finding);
    }

    /// The report, findings sorted by subject so that runs compare equal.
    pub fn report(mut self, meta: &RuleMeta) -> RuleReport {
        self.findings.sort_by(|a, b| a.subject.cmp(&b.subject));
        RuleReport {
            rule: meta.code.clone(),
            checked: self.checked,
            flagged: u64::try_from(self.findings.len()).unwrap_or(u64::MAX),
            not_judged: self.not_judged,
            findings: self.findings,
        }
    }
}

/// The parts of a finding's evidence that differ between rules; the legal basis is
/// added from the catalogue.
pub(super) struct Evidence {
    /// The rows compared, each from [`compared`].
    pub compared: Vec<Value>,
    /// The values the rule compared, named.
    pub values: Value,
    /// The parameters the values were compared against.
    pub threshold: Value,
}

/// One compared row: its dataset, its key within the dataset and its row in the file.
pub(super) fn compared(dataset: DatasetKind, key: impl Into<String>, row: usize) -> Value {
    json!({"dataset": dataset.as_str(), "key": key.into(), "row": row})
}

impl RuleMeta {
    /// A finding of this rule.
    pub(super) fn finding(
        &self,
        subject: String,
        region: RegionCode,
        title: impl Into<String>,
        summary: String,
        evidence: Evidence,
    ) -> Finding {
        Finding {
            rule: self.code.clone(),
            subject,
            region,
            title: title.into(),
            summary,
            evidence: json!({
                "compared": evidence.compared,
                "values": evidence.values,
                "threshold": evidence.threshold,
                "basis": self.legal_basis,
            }),
        }
    }
}

/// `value` rounded to `digits` decimals, for evidence a person reads (an expectation of
/// 1.2345678 co-bids says no more than 1.23).
pub(super) fn rounded(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// A probability kept to three significant digits (2.35e-9), for evidence.
pub(super) fn significant(p: f64) -> f64 {
    format!("{p:.2e}").parse().unwrap_or(p)
}

/// A whole number of yuan from the catalogue as fen, saturating rather than wrapping.
pub(super) fn yuan(amount: u64) -> Fen {
    let fen = amount.saturating_mul(100);
    Fen::from_fen(i64::try_from(fen).unwrap_or(i64::MAX))
}

/// `date` plus `days`, or `None` past the end of the calendar (never reached).
pub(super) fn add_days(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}

/// Whole days from `from` to `to`; negative if `to` is earlier.
pub(super) fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    to.signed_duration_since(from).num_days()
}

/// A party as it may be shown: a person's ID masked, a company's code in full.
pub(super) fn shown_party(party: &PartyId) -> String {
    match party {
        PartyId::Person(id) => id.masked(),
        PartyId::Company(code) => code.as_str().to_owned(),
    }
}

/// The lowest region containing all `codes`: the village if they agree, else their
/// town, else their city. `None` if there are no codes; the first code if they share no
/// city (data spanning two districts, which one command center does not hold).
pub(super) fn common_region(codes: impl IntoIterator<Item = RegionCode>) -> Option<RegionCode> {
    let mut codes = codes.into_iter();
    let first = codes.next()?;
    let mut shared = 12;
    for code in codes {
        let same = first
            .as_str()
            .bytes()
            .zip(code.as_str().bytes())
            .take_while(|(a, b)| a == b)
            .count();
        shared = shared.min(same);
    }
    // Round down to a level boundary: all 12 digits, the 9 of a town, the 6 of a city.
    let keep = match shared {
        12 => return Some(first),
        9..=11 => 9,
        6..=8 => 6,
        _ => return Some(first),
    };
    let prefix = first.as_str().get(..keep).unwrap_or_default();
    RegionCode::parse(&format!("{prefix:0<12}"))
        .ok()
        .or(Some(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn the_common_region_is_the_lowest_shared_level() {
        let same = [code("990102100201"), code("990102100201")];
        assert_eq!(common_region(same), Some(code("990102100201")));
        let town = [code("990102100201"), code("990102100202")];
        assert_eq!(common_region(town), Some(code("990102100000")));
        let city = [code("990102100201"), code("990102101201")];
        assert_eq!(common_region(city), Some(code("990102000000")));
        let apart = [code("990102100201"), code("990103100201")];
        assert_eq!(common_region(apart), Some(code("990102100201")));
        assert_eq!(common_region([]), None);
    }

    #[test]
    fn yuan_saturate_instead_of_wrapping() {
        assert_eq!(yuan(50_000).fen(), 5_000_000);
        assert_eq!(yuan(u64::MAX).fen(), i64::MAX);
    }
}
