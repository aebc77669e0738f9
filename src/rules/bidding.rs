//! What the bidding rules share: the bids regrouped by tender and by bidder.
//!
//! Tenders and bidders are numbered in order of first appearance and refer to each
//! other by number, so the rules count co-occurrences with integer keys and never
//! clone a code. A bidder listed twice on one tender (which an import refuses, but
//! [`Data`](super::Data) can be built by hand) counts once, as its first row says.

use std::collections::HashMap;

use serde_json::Value;

use super::support::{common_region, compared};
use crate::domain::region::RegionCode;
use crate::domain::uscc::Uscc;
use crate::import::DatasetKind;
use crate::import::rows::BidRow;

/// One tender and the bids on it.
pub(super) struct Tender<'a> {
    pub region: RegionCode,
    /// (bidder number, bid row), one per bidder.
    pub bids: Vec<(usize, &'a BidRow)>,
}

impl Tender<'_> {
    /// The numbers of the bidders that won this tender.
    pub fn winners(&self) -> impl Iterator<Item = usize> + '_ {
        self.bids.iter().filter(|(_, b)| b.won).map(|(i, _)| *i)
    }
}

/// One bidder and its bids.
pub(super) struct Bidder<'a> {
    pub uscc: &'a Uscc,
    pub name: &'a str,
    /// (tender number, bid row), one per tender.
    pub bids: Vec<(usize, &'a BidRow)>,
}

impl Bidder<'_> {
    pub fn wins(&self) -> usize {
        self.bids.iter().filter(|(_, b)| b.won).count()
    }

    /// `<name>（<code>）`.
    pub fn shown(&self) -> String {
        format!("{}（{}）", self.name, self.uscc)
    }
}

/// The bids of a dataset, by tender and by bidder.
pub(super) struct Market<'a> {
    pub tenders: Vec<Tender<'a>>,
    pub bidders: Vec<Bidder<'a>>,
}

impl<'a> Market<'a> {
    pub fn new(bids: &'a [BidRow]) -> Market<'a> {
        let mut tender_numbers: HashMap<&str, usize> = HashMap::new();
        let mut bidder_numbers: HashMap<&Uscc, usize> = HashMap::new();
        let mut market = Market {
            tenders: Vec::new(),
            bidders: Vec::new(),
        };
        for bid in bids {
            let t = *tender_numbers.entry(&bid.tender_id).or_insert_with(|| {
                market.tenders.push(Tender {
                    region: bid.region_code,
                    bids: Vec::new(),
                });
                market.tenders.len() - 1
            });
            let b = *bidder_numbers.entry(&bid.bidder_uscc).or_insert_with(|| {
                market.bidders.push(Bidder {
                    uscc: &bid.bidder_uscc,
                    name: &bid.bidder_name,
                    bids: Vec::new(),
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
        market
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
