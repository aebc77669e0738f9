//! `bid_win_outlier` (标王): a bidder that wins far more often than its peers.
//!
//! "Far more" is above the upper Tukey fence, Q3 + k·IQR, of the wins of every bidder
//! that bid at least once (quartiles interpolated linearly between the sorted counts).
//! When the spread is zero (most bidders won equally often, often once or never) the
//! fence says nothing, so nothing is flagged unless `fixed_threshold` is set, which then
//! replaces the fence. `min_wins` keeps a small market from flagging a bidder with two
//! wins because everyone else has one.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bidding::{Market, bid_compared};
use super::support::Tally;
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};

/// `[rules.bid_win_outlier.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The Tukey factor k of the fence Q3 + k·IQR (1.5 is the usual value).
    pub k: f64,
    /// A bidder is flagged only with at least this many wins.
    pub min_wins: u32,
    /// If set, wins above this count are outliers, whatever the fence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_threshold: Option<u32>,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        if !self.k.is_finite() || self.k < 0.0 {
            return Err(format!(
                "k: must be a number of at least 0, found {}",
                self.k
            ));
        }
        Ok(())
    }
}

/// The quartiles of the wins and the line above which a bidder is an outlier.
struct Fence {
    q1: f64,
    q3: f64,
    /// `None` when the spread is zero and no fixed threshold is set: no outliers.
    line: Option<f64>,
}

/// The `p` quantile of sorted values, interpolating linearly between neighbours.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let position = p * last as f64;
    let below = position.floor();
    let low = sorted.get(below as usize).copied().unwrap_or(0.0);
    let high = sorted.get(position.ceil() as usize).copied().unwrap_or(low);
    low + (high - low) * (position - below)
}

/// The rule, built from its catalogue entry.
pub struct BidWinOutlier {
    meta: RuleMeta,
    params: Params,
}

impl BidWinOutlier {
    pub fn new(meta: RuleMeta, params: Params) -> BidWinOutlier {
        BidWinOutlier { meta, params }
    }

    fn fence(&self, wins: &[usize]) -> Fence {
        let mut sorted: Vec<f64> = wins.iter().map(|&w| w as f64).collect();
        sorted.sort_by(f64::total_cmp);
        let (q1, q3) = (quantile(&sorted, 0.25), quantile(&sorted, 0.75));
        let iqr = q3 - q1;
        let line = match self.params.fixed_threshold {
            Some(fixed) => Some(f64::from(fixed)),
            None if iqr > 0.0 => Some(q3 + self.params.k * iqr),
            None => None,
        };
        Fence { q1, q3, line }
    }

    fn judge(&self, market: &Market<'_>, b: usize, fence: &Fence) -> Option<Finding> {
        let bidder = market.bidders.get(b)?;
        let line = fence.line?;
        let wins = bidder.wins();
        if (wins as f64) <= line || wins < self.params.min_wins as usize {
            return None;
        }
        let won: Vec<_> = bidder.bids.iter().filter(|(_, bid)| bid.won).collect();
        let region = market.region_of(won.iter().map(|(t, _)| *t))?;
        let limit = match self.params.fixed_threshold {
            Some(fixed) => format!("设定上限{fixed}次"),
            None => format!(
                "异常上限{line:.1}次（Q3={:.1}，IQR={:.1}）",
                fence.q3,
                fence.q3 - fence.q1
            ),
        };
        let summary = format!(
            "{}投标{}次，中标{wins}次，超过{limit}。",
            bidder.shown(),
            bidder.bids.len()
        );
        let evidence = super::support::Evidence {
            compared: won.iter().map(|(_, bid)| bid_compared(bid)).collect(),
            values: json!({
                "bids": bidder.bids.len(),
                "wins": wins,
                "q1": fence.q1,
                "q3": fence.q3,
                "iqr": fence.q3 - fence.q1,
                "line": line,
                "bidders": market.bidders.len(),
            }),
            threshold: json!({
                "k": self.params.k,
                "min_wins": self.params.min_wins,
                "fixed_threshold": self.params.fixed_threshold,
            }),
        };
        let subject = format!("bidder:{}", bidder.uscc);
        Some(
            self.meta
                .finding(subject, region, "中标次数异常（标王）", summary, evidence),
        )
    }
}

impl Rule for BidWinOutlier {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let market = Market::new(&data.bids);
        let wins: Vec<usize> = market.bidders.iter().map(|b| b.wins()).collect();
        let fence = self.fence(&wins);
        let mut tally = Tally::default();
        for b in 0..market.bidders.len() {
            tally.judged(self.judge(&market, b, &fence));
        }
        tally.report(&self.meta)
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quartiles_interpolate_between_the_sorted_counts() {
        let values = [0.0, 1.0, 1.0, 2.0, 9.0];
        assert_eq!(quantile(&values, 0.25), 1.0);
        assert_eq!(quantile(&values, 0.75), 2.0);
        assert_eq!(quantile(&[1.0, 2.0], 0.75), 1.75);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
