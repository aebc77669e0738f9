//! What the bidding rules share: the bids regrouped by tender and by bidder.
//!
//! Tenders and bidders are numbered in order of first appearance and refer to each
//! other by number, so the rules count co-occurrences with integer keys and never
//! clone a code. A bidder listed twice on one tender (which an import refuses, but
//! [`Data`](super::Data) can be built by hand) counts once, as its first row says.

use std::collections::HashMap;

use serde_json::Value;

use super::stats::LnFactorials;
use super::support::{common_region, compared};
use crate::domain::region::{Level, RegionCode};
use crate::domain::uscc::Uscc;
use crate::import::DatasetKind;
use crate::import::rows::BidRow;

/// One tender and the bids on it.
pub(super) struct Tender<'a> {
    pub region: RegionCode,
    /// The number of its town in [`Market::towns`].
    pub town: usize,
    /// (bidder number, bid row), one per bidder.
    pub bids: Vec<(usize, &'a BidRow)>,
}

impl Tender<'_> {
    /// The numbers of the bidders that won this tender.
    pub fn winners(&self) -> impl Iterator<Item = usize> + '_ {
        self.bids.iter().filter(|(_, b)| b.won).map(|(i, _)| *i)
    }

    /// The number of bidders.
    pub fn size(&self) -> usize {
        self.bids.len()
    }

    /// The chance a given bidder of this tender won it, if winners were drawn at random
    /// among its bidders: the winners over the bidders (a tender split into lots may
    /// have several winners, one not yet awarded has none).
    pub fn fair_share(&self) -> f64 {
        let winners = self.winners().count() as f64;
        (winners / self.size().max(1) as f64).min(1.0)
    }

    /// The bid of bidder `b`, if it bid.
    pub fn bid_of(&self, b: usize) -> Option<&BidRow> {
        self.bids.iter().find(|(i, _)| *i == b).map(|(_, bid)| *bid)
    }
}

/// The tenders of one town: how many, and how many bids they drew in all.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Town {
    pub tenders: usize,
    pub bids: usize,
    /// How many distinct bidders bid in the town.
    pub bidders: usize,
}

/// One bidder's part in one town's market.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Presence {
    pub town: usize,
    /// The tenders it bid on there.
    pub tenders: usize,
    /// The bidders of those tenders, itself included (the sum of their sizes).
    pub places: usize,
}

/// One bidder and its bids.
pub(super) struct Bidder<'a> {
    pub uscc: &'a Uscc,
    pub name: &'a str,
    /// (tender number, bid row), one per tender.
    pub bids: Vec<(usize, &'a BidRow)>,
    /// The towns it bid in, by town number.
    pub towns: Vec<Presence>,
}

impl Bidder<'_> {
    pub fn wins(&self) -> usize {
        self.bids.iter().filter(|(_, b)| b.won).count()
    }

    /// Its part in town `town`, if it bid there.
    pub fn in_town(&self, town: usize) -> Option<&Presence> {
        self.towns.iter().find(|p| p.town == town)
    }

    /// `<name>（<code>）`.
    pub fn shown(&self) -> String {
        format!("{}（{}）", self.name, self.uscc)
    }
}

/// The bids of a dataset, by tender, by bidder and by town.
pub(super) struct Market<'a> {
    pub tenders: Vec<Tender<'a>>,
    pub bidders: Vec<Bidder<'a>>,
    pub towns: Vec<Town>,
}

/// The town a tender's region lies in: a village's town, or the region itself for a
/// town or anything above (a county-wide tender is a market of its own).
fn town_of(region: RegionCode) -> RegionCode {
    match region.level() {
        Level::Village => region.parent_by_digits().unwrap_or(region),
        _ => region,
    }
}

impl<'a> Market<'a> {
    pub fn new(bids: &'a [BidRow]) -> Market<'a> {
        let mut tender_numbers: HashMap<&str, usize> = HashMap::new();
        let mut bidder_numbers: HashMap<&Uscc, usize> = HashMap::new();
        let mut town_numbers: HashMap<RegionCode, usize> = HashMap::new();
        let mut market = Market {
            tenders: Vec::new(),
            bidders: Vec::new(),
            towns: Vec::new(),
        };
        for bid in bids {
            let t = *tender_numbers.entry(&bid.tender_id).or_insert_with(|| {
                let towns = town_numbers.len();
                let town = *town_numbers
                    .entry(town_of(bid.region_code))
                    .or_insert(towns);
                market.tenders.push(Tender {
                    region: bid.region_code,
                    town,
                    bids: Vec::new(),
                });
                market.tenders.len() - 1
            });
            let b = *bidder_numbers.entry(&bid.bidder_uscc).or_insert_with(|| {
                market.bidders.push(Bidder {
                    uscc: &bid.bidder_uscc,
                    name: &bid.bidder_name,
                    bids: Vec::new(),
                    towns: Vec::new(),
                });
                market.bidders.len() - 1
            });
            let Some(tender) = market.tenders.get_mut(t) else {
                continue;
            };
            if tender.bids.iter().any(|(i, _)| *i == b) {
                continue;
            }
            tender.bids.push((b, bid));
            if let Some(bidder) = market.bidders.get_mut(b) {
                bidder.bids.push((t, bid));
            }
        }
        market.towns = vec![Town::default(); town_numbers.len()];
        market.count_towns();
        market
    }

    /// Fills in each town's counts and each bidder's part in each town.
    fn count_towns(&mut self) {
        for tender in &self.tenders {
            if let Some(town) = self.towns.get_mut(tender.town) {
                town.tenders += 1;
                town.bids += tender.size();
            }
        }
        for bidder in &mut self.bidders {
            for (t, _) in &bidder.bids {
                let Some(tender) = self.tenders.get(*t) else {
                    continue;
                };
                match bidder.towns.iter_mut().find(|p| p.town == tender.town) {
                    Some(presence) => {
                        presence.tenders += 1;
                        presence.places += tender.size();
                    }
                    None => bidder.towns.push(Presence {
                        town: tender.town,
                        tenders: 1,
                        places: tender.size(),
                    }),
                }
            }
            bidder.towns.sort_by_key(|p| p.town);
            for presence in &bidder.towns {
                if let Some(town) = self.towns.get_mut(presence.town) {
                    town.bidders += 1;
                }
            }
        }
    }

    /// The log-factorials up to the largest town's number of tenders, which every test
    /// of bids within a town needs.
    pub fn ln_factorials(&self) -> LnFactorials {
        LnFactorials::up_to(self.towns.iter().map(|t| t.tenders).max().unwrap_or(0))
    }

    /// The lowest region holding all the tenders `numbers`.
    pub fn region_of(&self, numbers: impl IntoIterator<Item = usize>) -> Option<RegionCode> {
        common_region(
            numbers
                .into_iter()
                .filter_map(|t| self.tenders.get(t).map(|t| t.region)),
        )
    }
}

/// A bid row as compared evidence, keyed `<tender>:<bidder code>`.
pub(super) fn bid_compared(bid: &BidRow) -> Value {
    let key = format!("{}:{}", bid.tender_id, bid.bidder_uscc);
    compared(DatasetKind::Bids, key, bid.source_row)
}

/// Checks that a share parameter lies between 0 and 1.
pub(super) fn check_share(name: &str, value: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("{name}: must be between 0 and 1, found {value}"))
    }
}
