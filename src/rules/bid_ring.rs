//! `bid_ring` (围标共现): companies that bid on the same tenders far more often than
//! chance, and take turns winning.
//!
//! For each pair of bidders the rule counts the tenders they both bid on and compares it
//! with what independent bidding would give, `n_a · n_b / N` for bidders on `n_a` and
//! `n_b` of `N` tenders. A pair bidding together at least `min_together` times with a
//! lift (observed / expected) of at least `min_lift` is suspect; suspect pairs sharing a
//! company join into one ring (connected components). A ring is flagged when at least
//! `min_winners` of its members won among its shared tenders (those where two or more
//! members bid): taking turns is what distinguishes a ring from a company that always
//! brings the same companion, which `cover_bidder` looks for. Each candidate ring is a
//! subject, `ring:<member codes, sorted, comma-separated>`.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::bidding::{Market, bid_compared};
use super::support::{Evidence, Tally};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};

/// `[rules.bid_ring.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The fewest tenders a pair must share.
    pub min_together: u32,
    /// The lowest observed/expected ratio of a suspect pair.
    pub min_lift: f64,
    /// The fewest distinct members that must have won among the ring's shared tenders.
    pub min_winners: u32,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        if !self.min_lift.is_finite() || self.min_lift <= 0.0 {
            return Err(format!(
                "min_lift: must be above 0, found {}",
                self.min_lift
            ));
        }
        if self.min_together == 0 || self.min_winners == 0 {
            return Err("min_together and min_winners: must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// A suspect pair of bidders (by number) and its statistics.
struct Pair {
    a: usize,
    b: usize,
    together: u32,
    lift: f64,
}

/// Finds the root of `x`, halving paths as it goes.
fn root(parents: &mut [usize], mut x: usize) -> usize {
    while let Some(&parent) = parents.get(x) {
        if parent == x {
            break;
        }
        let grand = parents.get(parent).copied().unwrap_or(parent);
        if let Some(slot) = parents.get_mut(x) {
            *slot = grand;
        }
        x = grand;
    }
    x
}

/// The rule, built from its catalogue entry.
pub struct BidRing {
    meta: RuleMeta,
    params: Params,
}

impl BidRing {
    pub fn new(meta: RuleMeta, params: Params) -> BidRing {
        BidRing { meta, params }
    }

    /// The pairs that bid together often enough and far above chance.
    fn suspect_pairs(&self, market: &Market<'_>) -> Vec<Pair> {
        let mut counts: HashMap<(usize, usize), u32> = HashMap::new();
        for tender in &market.tenders {
            let mut bidders: Vec<usize> = tender.bids.iter().map(|(b, _)| *b).collect();
            bidders.sort_unstable();
            for (i, &a) in bidders.iter().enumerate() {
                for &b in bidders.iter().skip(i + 1) {
                    *counts.entry((a, b)).or_insert(0) += 1;
                }
            }
        }
        let tenders = market.tenders.len() as f64;
        let bids_of = |b: usize| market.bidders.get(b).map_or(0, |b| b.bids.len()) as f64;
        let mut pairs: Vec<Pair> = counts
            .into_iter()
            .filter(|(_, together)| *together >= self.params.min_together)
            .map(|((a, b), together)| {
                let expected = bids_of(a) * bids_of(b) / tenders;
                let lift = f64::from(together) / expected;
                Pair {
                    a,
                    b,
                    together,
                    lift,
                }
            })
            .filter(|pair| pair.lift >= self.params.min_lift)
            .collect();
        pairs.sort_by_key(|p| (p.a, p.b));
        pairs
    }

    /// The suspect pairs grouped into rings: each ring's members (sorted) and pairs.
    fn rings(market: &Market<'_>, pairs: Vec<Pair>) -> Vec<(Vec<usize>, Vec<Pair>)> {
        let mut parents: Vec<usize> = (0..market.bidders.len()).collect();
        for pair in &pairs {
            let (ra, rb) = (root(&mut parents, pair.a), root(&mut parents, pair.b));
            if let Some(slot) = parents.get_mut(ra.max(rb)) {
                *slot = ra.min(rb);
            }
        }
        // Rings in order of their first pair; `at` maps a root to its ring's position.
        let mut rings: Vec<(Vec<usize>, Vec<Pair>)> = Vec::new();
        let mut at: HashMap<usize, usize> = HashMap::new();
        for pair in pairs {
            let r = root(&mut parents, pair.a);
            let i = *at.entry(r).or_insert_with(|| {
                rings.push((Vec::new(), Vec::new()));
                rings.len() - 1
            });
            if let Some((members, ring_pairs)) = rings.get_mut(i) {
                members.extend([pair.a, pair.b]);
                ring_pairs.push(pair);
            }
        }
        let by_code = |b: &usize| market.bidders.get(*b).map(|b| b.uscc);
        rings
            .into_iter()
            .map(|(mut members, pairs)| {
                members.sort_by_key(by_code);
                members.dedup();
                (members, pairs)
            })
            .collect()
    }

    fn judge(&self, market: &Market<'_>, members: &[usize], pairs: &[Pair]) -> Option<Finding> {
        let shared: Vec<usize> = (0..market.tenders.len())
            .filter(|&t| {
                let bids = market.tenders.get(t).map_or(&[][..], |t| &t.bids[..]);
                bids.iter().filter(|(b, _)| members.contains(b)).count() >= 2
            })
            .collect();
        let winners: BTreeSet<usize> = shared
            .iter()
            .filter_map(|&t| market.tenders.get(t))
            .flat_map(|t| t.winners())
            .filter(|w| members.contains(w))
            .collect();
        if winners.len() < self.params.min_winners as usize {
            return None;
        }
        let bidders: Vec<_> = members
            .iter()
            .filter_map(|&b| market.bidders.get(b))
            .collect();
        let names: Vec<String> = bidders.iter().map(|b| b.shown()).collect();
        let codes: Vec<&str> = bidders.iter().map(|b| b.uscc.as_str()).collect();
        let lift = pairs.iter().map(|p| p.lift).fold(0.0, f64::max);
        let summary = format!(
            "{}等{}家企业在{}次招标中共同投标，同场次数最高达随机预期的{lift:.1}倍，\
             且由其中{}家轮流中标。",
            names.iter().take(3).cloned().collect::<Vec<_>>().join("、"),
            bidders.len(),
            shared.len(),
            winners.len()
        );
        let evidence = self.evidence(market, members, pairs, &shared, &winners);
        let region = market.region_of(shared.iter().copied())?;
        let subject = format!("ring:{}", codes.join(","));
        Some(self.meta.finding(
            subject,
            region,
            "疑似围标串标（共同投标、轮流中标）",
            summary,
            evidence,
        ))
    }

    fn evidence(
        &self,
        market: &Market<'_>,
        members: &[usize],
        pairs: &[Pair],
        shared: &[usize],
        winners: &BTreeSet<usize>,
    ) -> Evidence {
        let code = |b: usize| market.bidders.get(b).map(|b| b.uscc.as_str());
        let compared = shared
            .iter()
            .filter_map(|&t| market.tenders.get(t))
            .flat_map(|t| t.bids.iter().filter(|(b, _)| members.contains(b)))
            .map(|(_, bid)| bid_compared(bid))
            .collect();
        let pairs: Vec<Value> = pairs
            .iter()
            .map(
                |p| json!({"a": code(p.a), "b": code(p.b), "together": p.together, "lift": p.lift}),
            )
            .collect();
        let winners: Vec<_> = winners.iter().map(|&w| code(w)).collect();
        Evidence {
            compared,
            values: json!({
                "tenders": market.tenders.len(),
                "shared_tenders": shared.len(),
                "pairs": pairs,
                "winners": winners,
            }),
            threshold: json!({
                "min_together": self.params.min_together,
                "min_lift": self.params.min_lift,
                "min_winners": self.params.min_winners,
            }),
        }
    }
}

impl Rule for BidRing {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let market = Market::new(&data.bids);
        let pairs = self.suspect_pairs(&market);
        let mut tally = Tally::default();
        for (members, pairs) in BidRing::rings(&market, pairs) {
            tally.judged(self.judge(&market, &members, &pairs));
        }
        tally.report(&self.meta)
    }
}
