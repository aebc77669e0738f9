//! `cover_bidder` (陪标专业户): a company that bids often, almost never wins, and most of
//! the time loses to the same winner, as if bidding only to make a tender look
//! competitive.
//!
//! The share beside one winner is over all the company's bids: of its `n` bids, how
//! many were on tenders that one other company won. Ties between winners go to the one
//! with the smaller code, so the finding is the same on every run.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bidding::{Market, bid_compared, check_share};
use super::support::{Evidence, Tally};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};

/// `[rules.cover_bidder.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
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
        if self.min_bids == 0 {
            return Err("min_bids: must be at least 1".to_owned());
        }
        Ok(())
    }
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

    /// The company that won most of the tenders `b` lost, and how many.
    fn usual_winner(market: &Market<'_>, b: usize) -> Option<(usize, usize)> {
        let bidder = market.bidders.get(b)?;
        let mut beside: HashMap<usize, usize> = HashMap::new();
        for (t, bid) in &bidder.bids {
            if bid.won {
                continue;
            }
            let Some(tender) = market.tenders.get(*t) else {
                continue;
            };
            for winner in tender.winners().filter(|w| *w != b) {
                *beside.entry(winner).or_insert(0) += 1;
            }
        }
        let code = |w: usize| market.bidders.get(w).map(|w| w.uscc);
        beside
            .into_iter()
            .max_by(|(wa, na), (wb, nb)| na.cmp(nb).then_with(|| code(*wb).cmp(&code(*wa))))
    }

    fn judge(&self, market: &Market<'_>, b: usize) -> Option<Finding> {
        let bidder = market.bidders.get(b)?;
        let (bids, wins) = (bidder.bids.len(), bidder.wins());
        if bids < self.params.min_bids as usize {
            return None;
        }
        let win_rate = wins as f64 / bids as f64;
        let (w, beside) = CoverBidder::usual_winner(market, b)?;
        let share = beside as f64 / bids as f64;
        if win_rate > self.params.max_win_rate || share < self.params.min_same_winner_share {
            return None;
        }
        let winner = market.bidders.get(w)?;
        let lost_to: Vec<_> = bidder
            .bids
            .iter()
            .filter(|(t, bid)| {
                let tender = market.tenders.get(*t);
                !bid.won && tender.is_some_and(|t| t.winners().any(|x| x == w))
            })
            .collect();
        let won = match wins {
            0 => "未中标".to_owned(),
            _ => format!("仅中标{wins}次"),
        };
        let summary = format!(
            "{}投标{bids}次{won}，其中{beside}次（{:.0}%）与{}同场投标且由后者中标。",
            bidder.shown(),
            share * 100.0,
            winner.shown()
        );
        let evidence = Evidence {
            compared: lost_to.iter().map(|(_, bid)| bid_compared(bid)).collect(),
            values: json!({
                "bids": bids,
                "wins": wins,
                "win_rate": win_rate,
                "usual_winner": winner.uscc,
                "lost_to_usual_winner": beside,
                "share": share,
            }),
            threshold: json!({
                "min_bids": self.params.min_bids,
                "max_win_rate": self.params.max_win_rate,
                "min_same_winner_share": self.params.min_same_winner_share,
            }),
        };
        let region = market.region_of(lost_to.iter().map(|(t, _)| *t))?;
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

impl Rule for CoverBidder {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let market = Market::new(&data.bids);
        let mut tally = Tally::default();
        for b in 0..market.bidders.len() {
            tally.judged(self.judge(&market, b));
        }
        tally.report(&self.meta)
    }
}
