//! `bid_win_outlier` (标王): a bidder that wins far more than its fair share of the
//! tenders it entered.
//!
//! A raw count of wins says more about how often a firm bids than about how it wins: a
//! firm in forty tenders of five bidders wins eight by chance alone. So each bidder is
//! judged against its own tenders. Were winners drawn at random among each tender's
//! bidders, a bidder would win tender t with chance w_t / k_t (w_t winners among k_t
//! bidders, usually 1/k_t), independently, so its wins follow the Poisson-binomial
//! distribution over its tenders: the expected wins are the sum of those chances and
//! the p-value is the exact upper tail at the wins observed. Every bidder is a
//! hypothesis; Benjamini–Hochberg keeps the false-discovery rate over all of them at
//! the catalogue's `fdr`. Two floors keep a significant but slight excess from being
//! called a 标王: at least `min_wins` wins and at least `min_ratio` times the fair share.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bidding::{Market, bid_compared};
use super::stats::{benjamini_hochberg, successes_at_least};
use super::support::{Evidence, Tally, rounded, significant};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};

/// `[rules.bid_win_outlier.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The false-discovery rate over all bidders (Benjamini–Hochberg), above 0 and at
    /// most 0.2.
    pub fdr: f64,
    /// A bidder is flagged only with at least this many wins.
    pub min_wins: u32,
    /// A bidder is flagged only with at least this many times its fair share of wins.
    pub min_ratio: f64,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        if !(self.fdr > 0.0 && self.fdr <= 0.2) {
            return Err(format!(
                "fdr: must be above 0 and at most 0.2, found {}",
                self.fdr
            ));
        }
        if !self.min_ratio.is_finite() || self.min_ratio < 1.0 {
            return Err(format!(
                "min_ratio: must be a number of at least 1, found {}",
                self.min_ratio
            ));
        }
        if self.min_wins == 0 {
            return Err("min_wins: must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// One bidder's wins against its fair share.
struct Share {
    wins: usize,
    expected: f64,
    p: f64,
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

    /// Bidder `b`'s wins, expected wins and p-value.
    fn share(market: &Market<'_>, b: usize) -> Share {
        let Some(bidder) = market.bidders.get(b) else {
            return Share {
                wins: 0,
                expected: 0.0,
                p: 1.0,
            };
        };
        let chances: Vec<f64> = bidder
            .bids
            .iter()
            .filter_map(|(t, _)| market.tenders.get(*t))
            .map(|t| t.fair_share())
            .collect();
        let wins = bidder.wins();
        Share {
            wins,
            expected: chances.iter().sum(),
            p: successes_at_least(&chances, wins),
        }
    }

    fn judge(&self, market: &Market<'_>, b: usize, share: &Share, q: f64) -> Option<Finding> {
        let bidder = market.bidders.get(b)?;
        let ratio = share.wins as f64 / share.expected.max(f64::MIN_POSITIVE);
        if q > self.params.fdr
            || share.wins < self.params.min_wins as usize
            || ratio < self.params.min_ratio
        {
            return None;
        }
        let won: Vec<_> = bidder.bids.iter().filter(|(_, bid)| bid.won).collect();
        let region = market.region_of(won.iter().map(|(t, _)| *t))?;
        let summary = format!(
            "{}投标{}次，中标{}次；按各场投标人数，随机中标预期约{:.1}次，实际为预期的{ratio:.1}倍\
             （经多重检验校正仍显著）。",
            bidder.shown(),
            bidder.bids.len(),
            share.wins,
            share.expected
        );
        let tenders: Vec<_> = won
            .iter()
            .map(|(t, bid)| {
                let size = market.tenders.get(*t).map_or(0, |t| t.size());
                json!({"tender": bid.tender_id, "opened_on": bid.opened_on, "bidder_count": size})
            })
            .collect();
        let evidence = Evidence {
            compared: won.iter().map(|(_, bid)| bid_compared(bid)).collect(),
            values: json!({
                "bids": bidder.bids.len(),
                "wins": share.wins,
                "expected_wins": rounded(share.expected, 2),
                "ratio": rounded(ratio, 2),
                "p_value": significant(share.p),
                "q_value": significant(q),
                "bidders_in_market": market.bidders.len(),
                "tenders_won": tenders,
            }),
            threshold: json!({
                "fdr": self.params.fdr,
                "min_wins": self.params.min_wins,
                "min_ratio": self.params.min_ratio,
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
        let shares: Vec<Share> = (0..market.bidders.len())
            .map(|b| BidWinOutlier::share(&market, b))
            .collect();
        let p: Vec<f64> = shares.iter().map(|s| s.p).collect();
        let q = benjamini_hochberg(&p, p.len());
        let mut tally = Tally::default();
        for (b, (share, q)) in shares.iter().zip(q).enumerate() {
            tally.judged(self.judge(&market, b, share, q));
        }
        tally.report(&self.meta)
    }
}
