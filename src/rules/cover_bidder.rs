//! `cover_bidder` (陪标专业户): a company that bids often, almost never wins, and loses
//! to the same winner far more often than chance, as if bidding only to make that
//! winner's tenders look competitive.
//!
//! A raw share ("60% of its bids lost to one winner") ignores who that winner is: a firm
//! bidding everywhere beats everyone now and then. So for bidder b and each company w
//! that beat it, the tenders of b that w won are compared with chance. In each town, w
//! would be on as many of b's tenders as the co-bidding test of `bid_ring` expects
//! (given both firms' bids there and the tenders' sizes, see [`super::cobid`]), and on
//! each would win its fair share (winners over bidders); the count over b's tenders is
//! then Poisson-binomial, and the p-value is its exact upper tail. Every pair of a
//! judged bidder and a company it ever met is a hypothesis; Benjamini–Hochberg keeps the
//! false-discovery rate over them at `fdr`. The catalogue's floors still apply: enough
//! bids, a low win rate and a large share of the bids lost to that one winner. Ties
//! between winners go to the more significant, then to the one with the smaller code,
//! so the finding is the same on every run.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bidding::{Market, bid_compared, check_share};
use super::cobid::chance_in_town;
use super::stats::{LnFactorials, benjamini_hochberg, successes_at_least};
use super::support::{Evidence, Tally, rounded, significant};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};

/// `[rules.cover_bidder.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The false-discovery rate over all pairs tested (Benjamini–Hochberg), above 0
    /// and at most 0.2.
    pub fdr: f64,
    /// The fewest bids a company must have placed to be judged a cover bidder.
    pub min_bids: u32,
    /// The highest win rate (wins / bids) of a cover bidder, 0 to 1.
    pub max_win_rate: f64,
    /// The lowest share of its bids lost to one and the same winner, 0 to 1.
    pub min_same_winner_share: f64,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        check_share("max_win_rate", self.max_win_rate)?;
        check_share("min_same_winner_share", self.min_same_winner_share)?;
        if !(self.fdr > 0.0 && self.fdr <= 0.2) {
            return Err(format!(
                "fdr: must be above 0 and at most 0.2, found {}",
                self.fdr
            ));
        }
        if self.min_bids == 0 {
            return Err("min_bids: must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// Bidder `b` against one company `w` that beat it.
struct Beaten {
    b: usize,
    w: usize,
    /// b's tenders that w won.
    lost: Vec<usize>,
    expected: f64,
    p: f64,
}

/// The rule, built from its catalogue entry.
pub struct CoverBidder {
    meta: RuleMeta,
    params: Params,
}

impl CoverBidder {
    pub fn new(meta: RuleMeta, params: Params) -> CoverBidder {
        CoverBidder { meta, params }
    }

    /// The chance that `w` beat `b` on each of `b`'s tenders, were bids and wins spread
    /// by chance: in each town, the share of `b`'s tenders `w` would be on (the mean of
    /// the co-bidding distribution of [`chance_in_town`], over `b`'s tenders there),
    /// times `w`'s fair share of the tender.
    fn chances(market: &Market<'_>, ln: &LnFactorials, b: usize, w: usize) -> Vec<f64> {
        let (Some(bidder), Some(rival)) = (market.bidders.get(b), market.bidders.get(w)) else {
            return Vec::new();
        };
        let present: Vec<(usize, f64)> = bidder
            .towns
            .iter()
            .map(|mine| {
                let theirs = rival.in_town(mine.town).map_or(0, |p| p.tenders);
                let meetings = chance_in_town(market, ln, mine, theirs).mean();
                (mine.town, meetings / mine.tenders.max(1) as f64)
            })
            .collect();
        let tenders = bidder
            .bids
            .iter()
            .filter_map(|(t, _)| market.tenders.get(*t));
        tenders
            .map(|t| {
                let here = present.iter().find(|(town, _)| *town == t.town);
                here.map_or(0.0, |(_, p)| p.min(1.0)) * t.fair_share()
            })
            .collect()
    }

    /// Every company that beat `b`, with the tenders it won from `b`, tested.
    fn beaten_by(market: &Market<'_>, ln: &LnFactorials, b: usize) -> Vec<Beaten> {
        let Some(bidder) = market.bidders.get(b) else {
            return Vec::new();
        };
        let mut lost: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (t, _) in bidder.bids.iter().filter(|(_, bid)| !bid.won) {
            let winners = market.tenders.get(*t).into_iter().flat_map(|t| t.winners());
            for w in winners.filter(|&w| w != b) {
                lost.entry(w).or_default().push(*t);
            }
        }
        lost.into_iter()
            .map(|(w, lost)| {
                let chances = CoverBidder::chances(market, ln, b, w);
                Beaten {
                    b,
                    w,
                    expected: chances.iter().sum(),
                    p: successes_at_least(&chances, lost.len()),
                    lost,
                }
            })
            .collect()
    }

    /// The companies `b` met on some tender: the hypotheses tested for `b`.
    fn met(market: &Market<'_>, b: usize) -> usize {
        let Some(bidder) = market.bidders.get(b) else {
            return 0;
        };
        let others: BTreeSet<usize> = bidder
            .bids
            .iter()
            .filter_map(|(t, _)| market.tenders.get(*t))
            .flat_map(|t| t.bids.iter().map(|(o, _)| *o))
            .filter(|&o| o != b)
            .collect();
        others.len()
    }

    fn judge(&self, market: &Market<'_>, beaten: &Beaten, q: f64) -> Option<Finding> {
        let bidder = market.bidders.get(beaten.b)?;
        let winner = market.bidders.get(beaten.w)?;
        let (bids, wins) = (bidder.bids.len(), bidder.wins());
        let win_rate = wins as f64 / bids.max(1) as f64;
        let share = beaten.lost.len() as f64 / bids.max(1) as f64;
        if q > self.params.fdr
            || win_rate > self.params.max_win_rate
            || share < self.params.min_same_winner_share
        {
            return None;
        }
        let won = match wins {
            0 => "未中标".to_owned(),
            _ => format!("仅中标{wins}次"),
        };
        let summary = format!(
            "{}投标{bids}次{won}，其中{}次（{:.0}%）与{}同场投标且由后者中标，\
             按双方投标情况随机预期约{:.1}次（经多重检验校正仍显著）。",
            bidder.shown(),
            beaten.lost.len(),
            share * 100.0,
            winner.shown(),
            beaten.expected
        );
        let evidence = self.evidence(market, beaten, q);
        let region = market.region_of(beaten.lost.iter().copied())?;
        let subject = format!("bidder:{}", bidder.uscc);
        Some(self.meta.finding(
            subject,
            region,
            "疑似陪标（多次投标、同一对手中标）",
            summary,
            evidence,
        ))
    }
}

impl CoverBidder {
    fn evidence(&self, market: &Market<'_>, beaten: &Beaten, q: f64) -> Evidence {
        let (bids, wins) = market
            .bidders
            .get(beaten.b)
            .map_or((0, 0), |b| (b.bids.len(), b.wins()));
        let winner = market.bidders.get(beaten.w).map(|w| w.shown());
        let lost = beaten.lost.iter().filter_map(|&t| market.tenders.get(t));
        let bids_lost: Vec<_> = lost.filter_map(|t| t.bid_of(beaten.b)).collect();
        let tenders: Vec<_> = bids_lost
            .iter()
            .map(|bid| json!({"tender": bid.tender_id, "opened_on": bid.opened_on}))
            .collect();
        let per_bid = |n: usize| rounded(n as f64 / bids.max(1) as f64, 3);
        Evidence {
            compared: bids_lost.iter().map(|bid| bid_compared(bid)).collect(),
            values: json!({
                "bids": bids,
                "wins": wins,
                "win_rate": per_bid(wins),
                "usual_winner": winner,
                "lost_to_usual_winner": beaten.lost.len(),
                "expected_losses": rounded(beaten.expected, 2),
                "share": per_bid(beaten.lost.len()),
                "p_value": significant(beaten.p),
                "q_value": significant(q),
                "tenders_lost": tenders,
            }),
            threshold: json!({
                "fdr": self.params.fdr,
                "min_bids": self.params.min_bids,
                "max_win_rate": self.params.max_win_rate,
                "min_same_winner_share": self.params.min_same_winner_share,
            }),
        }
    }
}

impl Rule for CoverBidder {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let market = Market::new(&data.bids);
        let judged: Vec<usize> = (0..market.bidders.len())
            .filter(|&b| {
                let bids = market.bidders.get(b).map_or(0, |b| b.bids.len());
                bids >= self.params.min_bids as usize
            })
            .collect();
        let tested: usize = judged.iter().map(|&b| CoverBidder::met(&market, b)).sum();
        let ln = market.ln_factorials();
        let beaten: Vec<Beaten> = judged
            .iter()
            .flat_map(|&b| CoverBidder::beaten_by(&market, &ln, b))
            .collect();
        let p: Vec<f64> = beaten.iter().map(|x| x.p).collect();
        let q = benjamini_hochberg(&p, tested);
        // Each judged bidder's most significant rival (the smaller code on a tie).
        let mut best: BTreeMap<usize, (f64, &Beaten)> = BTreeMap::new();
        let code = |w: usize| market.bidders.get(w).map(|w| w.uscc);
        for (x, q) in beaten.iter().zip(q) {
            let better = best
                .get(&x.b)
                .is_none_or(|(bq, by)| q < *bq || (q == *bq && code(x.w) < code(by.w)));
            if better {
                best.insert(x.b, (q, x));
            }
        }
        let mut tally = Tally::default();
        for b in judged {
            tally.judged(best.get(&b).and_then(|(q, x)| self.judge(&market, x, *q)));
        }
        tally.report(&self.meta)
    }
}
