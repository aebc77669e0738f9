//! Which pairs of bidders bid together far more often than chance: the test `bid_ring`
//! builds its rings from.
//!
//! The question for a pair is not "did they meet often?" (two busy firms meet often)
//! but "did they meet more often than two firms bidding as much as they did, where they
//! did, would meet by chance?". So each pair is judged within each town it shares
//! (see [`super::bidding`]), given how many tenders each bid on there and how many
//! bidders those tenders drew:
//!
//! Take a's tenders in the town as given. Under chance, b's bids there fall on the
//! town's tenders in proportion to the places left on them: a tender of k bidders has
//! k − 1 places besides a's if a bid on it, k otherwise. The number of b's bids landing
//! on a's tenders then follows Fisher's noncentral hypergeometric distribution (n_b
//! drawn from the town's N tenders, n_a of them marked, each marked tender with odds
//! ω = mean(k − 1 over a's tenders) / mean(k over the rest)). Towns are independent,
//! so a pair's co-bids over all its towns follow the convolution of its towns'
//! distributions, and the p-value is the upper tail at the observed count.
//!
//! Why this and not a Poisson tail: a ring's members often bid on little besides the
//! ring's tenders, so the observed count is close to the most possible (every one of
//! the smaller firm's bids). The hypergeometric family knows that bound and weighs such
//! a count as the rarity it is; a Poisson tail does not, and loses a small ring in a
//! town of a few dozen tenders. The odds ω are what the plain hypergeometric lacks:
//! with five bidders a tender, a's presence leaves four places, so ω = 0.8 and chance
//! co-bidding is 20% lower than the plain count would say; with sizes that vary, a's
//! tenders may be the big ones and ω > 1. The distribution is not symmetric in a and
//! b, so both ways are computed and the larger p-value kept.
//!
//! Every pair of bidders present in a common town is a hypothesis. Benjamini–Hochberg
//! controls the false-discovery rate over all of them; pairs that met fewer than
//! `min_together` times are counted as tested with p = 1 (their real p-value can only
//! be lower, so this is conservative) and never computed. The number tested counts a
//! pair once for each town both bid in: an upper bound, which only makes the
//! correction stricter.

use std::collections::HashMap;

use super::bidding::{Market, Presence};
use super::stats::{LnFactorials, Pmf, benjamini_hochberg, fisher};

/// A pair of bidders (by number, `a < b`) that bid together more than chance allows.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct PairTest {
    pub a: usize,
    pub b: usize,
    /// The tenders both bid on.
    pub together: usize,
    /// The tenders both would bid on by chance, on average.
    pub expected: f64,
    /// The chance of `together` or more by chance.
    pub p: f64,
    /// `p` adjusted for the number of pairs tested (Benjamini–Hochberg).
    pub q: f64,
}

/// The pairs found, and how many pairs were tested.
pub(super) struct CoBidding {
    pub pairs: Vec<PairTest>,
    pub tested: usize,
}

/// How many tenders each pair of bidders bid on together, for pairs that met at least
/// `min_together` times, sorted by pair.
pub(super) fn co_bids(market: &Market<'_>, min_together: usize) -> Vec<((usize, usize), usize)> {
    let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
    for tender in &market.tenders {
        let mut bidders: Vec<usize> = tender.bids.iter().map(|(b, _)| *b).collect();
        bidders.sort_unstable();
        for (i, &a) in bidders.iter().enumerate() {
            for &b in bidders.iter().skip(i + 1) {
                *counts.entry((a, b)).or_insert(0) += 1;
            }
        }
    }
    let mut counts: Vec<_> = counts
        .into_iter()
        .filter(|(_, n)| *n >= min_together.max(1))
        .collect();
    counts.sort_unstable();
    counts
}

/// The distribution, by chance, of how many of another bidder's `theirs` bids in the
/// town of `mine` land on the tenders of `mine`'s bidder there.
pub(super) fn chance_in_town(
    market: &Market<'_>,
    ln: &LnFactorials,
    mine: &Presence,
    theirs: usize,
) -> Pmf {
    let Some(town) = market.towns.get(mine.town) else {
        return Pmf::point(0);
    };
    let rest = town.tenders.saturating_sub(mine.tenders);
    let room_with_a = (mine.places - mine.tenders) as f64 / mine.tenders.max(1) as f64;
    let room_without = (town.bids - mine.places) as f64 / rest.max(1) as f64;
    // With no tender left outside a's, where b's bids land is forced; the odds then do
    // not matter.
    let odds = if rest == 0 {
        1.0
    } else {
        room_with_a / room_without
    };
    fisher(ln, town.tenders, mine.tenders, theirs, odds)
}

/// The distribution, by chance, of how many of `b`'s bids land on `a`'s tenders, over
/// every town both bid in.
fn chance_of_meeting(market: &Market<'_>, ln: &LnFactorials, a: usize, b: usize) -> Pmf {
    let (Some(first), Some(second)) = (market.bidders.get(a), market.bidders.get(b)) else {
        return Pmf::point(0);
    };
    let mut pmf = Pmf::point(0);
    for mine in &first.towns {
        if let Some(theirs) = second.in_town(mine.town) {
            pmf = pmf.plus(&chance_in_town(market, ln, mine, theirs.tenders));
        }
    }
    pmf
}

/// Tests every pair that met at least `min_together` times and keeps those significant
/// at false-discovery rate `fdr`.
pub(super) fn significant_pairs(market: &Market<'_>, min_together: usize, fdr: f64) -> CoBidding {
    let ln = market.ln_factorials();
    let mut pairs: Vec<PairTest> = co_bids(market, min_together)
        .into_iter()
        .map(|((a, b), together)| {
            let one_way = chance_of_meeting(market, &ln, a, b);
            let other_way = chance_of_meeting(market, &ln, b, a);
            let (p_one, p_other) = (one_way.at_least(together), other_way.at_least(together));
            let (p, chance) = if p_one >= p_other {
                (p_one, one_way)
            } else {
                (p_other, other_way)
            };
            PairTest {
                a,
                b,
                together,
                expected: chance.mean(),
                p,
                q: 1.0,
            }
        })
        .collect();
    let tested: usize = market
        .towns
        .iter()
        .map(|t| t.bidders * t.bidders.saturating_sub(1) / 2)
        .sum();
    let p: Vec<f64> = pairs.iter().map(|pair| pair.p).collect();
    for (pair, q) in pairs.iter_mut().zip(benjamini_hochberg(&p, tested)) {
        pair.q = q;
    }
    pairs.retain(|pair| pair.q <= fdr);
    CoBidding { pairs, tested }
}
