//! The bidding rules on random markets (`datagen::market`): ordinary markets of every
//! size and shape raise nothing, and planted rings and 标王 are found, rings with
//! exactly their members.
//!
//! An ordinary market is chance made concrete (random bidders, random winners), so
//! anything flagged in it is a false alarm; the shapes cover what fooled the earlier
//! rules: one town's dense market, a large market, bidders that differ in how often
//! they bid, and a city of towns whose firms bid near home. The default test runs a
//! few seeds of each in a few seconds; `many_seeds` (ignored) runs fifty.

use std::collections::BTreeSet;

use super::{Catalogue, Data, scan};
use crate::datagen::market::{MarketConfig, RandomMarket, random_market};

/// What the three bidding rules flagged: rings, 标王 and cover bidders.
#[derive(Debug, Default, PartialEq)]
struct Flagged {
    rings: BTreeSet<String>,
    kings: BTreeSet<String>,
    covers: BTreeSet<String>,
}

fn flagged(market: &RandomMarket) -> Flagged {
    let data = Data {
        bids: market.bids.clone(),
        ..Data::default()
    };
    let rules = ["bid_win_outlier", "bid_ring", "cover_bidder"];
    let catalogue = Catalogue::builtin()
        .only(&rules)
        .expect("the bidding rules");
    let mut flagged = Flagged::default();
    for report in scan(&catalogue, &data) {
        let subjects = report.findings.into_iter().map(|f| f.subject);
        match report.rule.as_str() {
            "bid_ring" => flagged.rings.extend(subjects),
            "bid_win_outlier" => flagged.kings.extend(subjects),
            _ => flagged.covers.extend(subjects),
        }
    }
    flagged
}

/// The ordinary market shapes for `seed`.
fn ordinary(seed: u64) -> Vec<(&'static str, MarketConfig)> {
    vec![
        (
            "one town, 60 bidders, 220 tenders",
            MarketConfig::town(seed, 60, 220),
        ),
        (
            "300 bidders, 1,500 tenders",
            MarketConfig::town(seed, 300, 1_500),
        ),
        (
            "300 bidders of unequal activity, 1,500 tenders",
            MarketConfig {
                activity: 2.0,
                sizes: 2..=8,
                ..MarketConfig::town(seed, 300, 1_500)
            },
        ),
        (
            "a city of six towns, firms bidding near home",
            MarketConfig {
                towns: 6,
                locality: 0.9,
                activity: 1.5,
                ..MarketConfig::town(seed, 600, 3_000)
            },
        ),
    ]
}

/// Markets with planted rings (and a 标王) for `seed`.
fn planted(seed: u64) -> Vec<(&'static str, MarketConfig)> {
    vec![
        (
            "one town of 60 with a ring of four",
            MarketConfig {
                rings: vec![4],
                ..MarketConfig::town(seed, 60, 220)
            },
        ),
        (
            "300 bidders with rings of three to six and a 标王",
            MarketConfig {
                rings: vec![3, 4, 5, 6],
                king: true,
                activity: 1.0,
                ..MarketConfig::town(seed, 300, 1_500)
            },
        ),
        (
            "a city of six towns with rings of three and five and a 标王",
            MarketConfig {
                towns: 6,
                locality: 0.9,
                activity: 1.5,
                rings: vec![3, 5],
                king: true,
                ..MarketConfig::town(seed, 600, 3_000)
            },
        ),
    ]
}

fn check_ordinary(seeds: impl IntoIterator<Item = u64>) {
    for seed in seeds {
        for (shape, config) in ordinary(seed) {
            let found = flagged(&random_market(&config));
            assert_eq!(found, Flagged::default(), "{shape}, seed {seed}");
        }
    }
}

fn check_planted(seeds: impl IntoIterator<Item = u64>) {
    for seed in seeds {
        for (shape, config) in planted(seed) {
            let market = random_market(&config);
            let found = flagged(&market);
            assert_eq!(found.rings, market.rings, "{shape}, seed {seed}: rings");
            assert_eq!(found.kings, market.kings, "{shape}, seed {seed}: 标王");
            assert!(found.covers.is_empty(), "{shape}, seed {seed}: {found:?}");
        }
    }
}

#[test]
fn ordinary_markets_raise_no_ring_no_king_and_no_cover_bidder() {
    check_ordinary(1..=3);
}

#[test]
fn planted_rings_and_kings_are_found_with_their_exact_members() {
    check_planted(1..=3);
}

/// Fifty seeds of every shape; slow in a debug build:
/// `cargo test --lib rules::market_tests -- --ignored`.
#[test]
#[ignore]
fn many_seeds() {
    check_ordinary(1..=50);
    check_planted(1..=50);
}
