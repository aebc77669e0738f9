//! `bid_ring` (围标共现): a small group of companies that bid together far more often
//! than chance and take turns winning.
//!
//! Three tests, in order. Each pair of bidders is tested for co-bidding beyond chance
//! within the towns it bid in, and the pairs significant at the catalogue's
//! false-discovery rate are kept ([`super::cobid`]). The groups are the dense groups of
//! those pairs, `min_members..=max_members` companies each all significant with one
//! another ([`super::ring_groups`]), never the chains of pairs a connected component
//! would give. A group is flagged when at least `min_winners` of its members won among
//! the tenders where two or more of them bid: taking turns is what distinguishes a ring
//! from firms that merely compete for the same work, and from a company that always
//! brings the same companion, which `cover_bidder` looks for. Each group is a subject,
//! `ring:<member codes, sorted, comma-separated>`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::bidding::{Market, bid_compared, check_share};
use super::cobid::{PairTest, significant_pairs};
use super::ring_groups::{dense_groups, graph};
use super::support::{Evidence, Tally, rounded, significant};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};

/// `[rules.bid_ring.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The false-discovery rate of the pair tests (Benjamini–Hochberg), above 0 and at
    /// most 0.2.
    pub fdr: f64,
    /// Pairs that bid together fewer times than this are not tested (counted as p = 1).
    pub min_together: u32,
    /// The fewest members of a ring (at least 3: two firms are a pair, not a ring).
    pub min_members: u32,
    /// The most members of a ring; a larger dense group is a market, not a ring.
    pub max_members: u32,
    /// The fewest distinct members that must have won among the ring's shared tenders.
    pub min_winners: u32,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        check_share("fdr", self.fdr)?;
        if self.fdr <= 0.0 || self.fdr > 0.2 {
            return Err(format!(
                "fdr: must be above 0 and at most 0.2, found {}",
                self.fdr
            ));
        }
        if self.min_together < 2 {
            return Err("min_together: must be at least 2".to_owned());
        }
        if self.min_members < 3 || self.max_members < self.min_members {
            return Err(format!(
                "min_members and max_members: need 3 ≤ min_members ≤ max_members, found {} and {}",
                self.min_members, self.max_members
            ));
        }
        if self.max_members > 12 {
            return Err(format!(
                "max_members: must be at most 12, found {}",
                self.max_members
            ));
        }
        if self.min_winners < 2 || self.min_winners > self.min_members {
            return Err(format!(
                "min_winners: must be from 2 to min_members, found {}",
                self.min_winners
            ));
        }
        Ok(())
    }
}

/// The rule, built from its catalogue entry.
pub struct BidRing {
    meta: RuleMeta,
    params: Params,
}

/// A dense group, the tenders where two or more of its members bid, and the pairs
/// between its members.
struct Group<'p> {
    members: Vec<usize>,
    shared: Vec<usize>,
    pairs: Vec<&'p PairTest>,
}

impl BidRing {
    pub fn new(meta: RuleMeta, params: Params) -> BidRing {
        BidRing { meta, params }
    }

    fn group<'p>(market: &Market<'_>, members: Vec<usize>, pairs: &'p [PairTest]) -> Group<'p> {
        let shared = (0..market.tenders.len())
            .filter(|&t| {
                let bids = market.tenders.get(t).map_or(&[][..], |t| &t.bids[..]);
                bids.iter().filter(|(b, _)| members.contains(b)).count() >= 2
            })
            .collect();
        let pairs = pairs
            .iter()
            .filter(|p| members.contains(&p.a) && members.contains(&p.b))
            .collect();
        Group {
            members,
            shared,
            pairs,
        }
    }

    fn judge(&self, market: &Market<'_>, group: &Group<'_>, tested: usize) -> Option<Finding> {
        let winners: BTreeSet<usize> = group
            .shared
            .iter()
            .filter_map(|&t| market.tenders.get(t))
            .flat_map(|t| t.winners())
            .filter(|w| group.members.contains(w))
            .collect();
        if winners.len() < self.params.min_winners as usize {
            return None;
        }
        let bidders: Vec<_> = group
            .members
            .iter()
            .filter_map(|&b| market.bidders.get(b))
            .collect();
        let names: Vec<&str> = bidders.iter().take(3).map(|b| b.name).collect();
        let (low, high) = lift_range(&group.pairs);
        let lift = if high - low < 0.05 {
            format!("{high:.1}")
        } else {
            format!("{low:.1}至{high:.1}")
        };
        let summary = format!(
            "{}等{}家企业在{}次招标中同场投标，两两同场次数为随机预期的{lift}倍\
             （按各自投标次数和各场投标人数计算，经多重检验校正仍显著），且由其中{}家轮流中标。",
            names.join("、"),
            bidders.len(),
            group.shared.len(),
            winners.len()
        );
        let evidence = self.evidence(market, group, tested);
        let region = market.region_of(group.shared.iter().copied())?;
        let codes: Vec<&str> = bidders.iter().map(|b| b.uscc.as_str()).collect();
        Some(self.meta.finding(
            format!("ring:{}", codes.join(",")),
            region,
            "疑似围标串标（共同投标、轮流中标）",
            summary,
            evidence,
        ))
    }

    fn evidence(&self, market: &Market<'_>, group: &Group<'_>, tested: usize) -> Evidence {
        let shown = |b: usize| market.bidders.get(b).map(|b| b.shown());
        let compared = group
            .shared
            .iter()
            .filter_map(|&t| market.tenders.get(t))
            .flat_map(|t| t.bids.iter().filter(|(b, _)| group.members.contains(b)))
            .map(|(_, bid)| bid_compared(bid))
            .collect();
        Evidence {
            compared,
            values: json!({
                "members": group.members.iter().filter_map(|&b| shown(b)).collect::<Vec<_>>(),
                "shared_tenders": group.shared.len(),
                "pairs": pair_rows(market, group),
                "tenders_together": tender_rows(market, group),
                "pairs_tested": tested,
            }),
            threshold: json!({
                "fdr": self.params.fdr,
                "min_together": self.params.min_together,
                "min_members": self.params.min_members,
                "max_members": self.params.max_members,
                "min_winners": self.params.min_winners,
            }),
        }
    }
}

/// Each pair of the group: observed against expected co-bids, and how unlikely by chance.
fn pair_rows(market: &Market<'_>, group: &Group<'_>) -> Vec<Value> {
    let name = |b: usize| market.bidders.get(b).map(|b| b.name);
    let rows = group.pairs.iter().map(|p| {
        json!({
            "a": name(p.a),
            "b": name(p.b),
            "together": p.together,
            "expected": rounded(p.expected, 2),
            "p_value": significant(p.p),
            "q_value": significant(p.q),
        })
    });
    rows.collect()
}

/// Each tender where two or more members bid: its number and day, the members bidding
/// and who won it.
fn tender_rows(market: &Market<'_>, group: &Group<'_>) -> Vec<Value> {
    let name = |b: usize| market.bidders.get(b).map(|b| b.name);
    let tenders = group.shared.iter().filter_map(|&t| market.tenders.get(t));
    let rows = tenders.map(|t| {
        let first = t.bids.first().map(|(_, bid)| *bid);
        let members = t.bids.iter().filter(|(b, _)| group.members.contains(b));
        let present: Vec<_> = members.filter_map(|(b, _)| name(*b)).collect();
        let winners: Vec<_> = t.winners().filter_map(name).collect();
        json!({
            "tender": first.map(|b| b.tender_id.as_str()),
            "opened_on": first.map(|b| b.opened_on),
            "members_bidding": present,
            "winner": winners,
        })
    });
    rows.collect()
}

/// The lowest and highest observed/expected ratio among the pairs.
fn lift_range(pairs: &[&PairTest]) -> (f64, f64) {
    let lifts = pairs
        .iter()
        .map(|p| p.together as f64 / p.expected.max(f64::MIN_POSITIVE));
    lifts.fold((f64::INFINITY, 0.0), |(low, high), l| {
        (low.min(l), high.max(l))
    })
}

impl Rule for BidRing {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let market = Market::new(&data.bids);
        let found = significant_pairs(&market, self.params.min_together as usize, self.params.fdr);
        let graph = graph(found.pairs.iter().map(|p| (p.a, p.b)));
        let groups = dense_groups(
            &graph,
            self.params.min_members as usize,
            self.params.max_members as usize,
        );
        let mut tally = Tally::default();
        for mut members in groups {
            members.sort_by_key(|&b| market.bidders.get(b).map(|b| b.uscc));
            let group = BidRing::group(&market, members, &found.pairs);
            tally.judged(self.judge(&market, &group, found.tested));
        }
        tally.report(&self.meta)
    }
}
