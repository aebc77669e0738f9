//! Bids on public tenders (招投标): a market with no ring, no cover bidder and no 标王,
//! and, when planting, two of each.
//!
//! Three choices keep the clean market quiet under the bidding rules. No two clean
//! bidders meet on more than two tenders, so no pair reaches `min_together` (3) and is
//! even tested, and no bidder can lose more than two tenders to one winner, so none
//! looks like a cover bidder. Wins are spread evenly from 0 to 2m per bidder (m wins on
//! average) over about 5m bids each, never far above a fair share of one in five; a
//! planted 标王 wins every one of its 4m + 4 (at least 12) tenders.
//!
//! The rings' tests compare co-bidding with chance within a town, so a ring must be a
//! small part of its town's market to stand out: with the demo's thousand bids a town
//! holds some twenty-five clean tenders beside a ring's eight.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::names::{self, round_yuan};
use super::registries::{Registries, between};
use super::table::{Table, YearlySerial, yes_no, yuan};
use super::{City, Sizes, Tag};
use crate::import::DatasetKind;

/// Bidders per tender.
const PER_TENDER: usize = 5;
/// Tenders each planted ring bids on together.
const RING_TENDERS: usize = 8;
/// The most tenders two clean bidders may share (one below the ring rule's minimum).
const MAX_SHARED: u8 = 2;
/// The fewest wins of a planted 标王, whatever the market's size.
const MIN_KING_WINS: usize = 12;

/// One tender: its bidders (company indices) and the winner among them.
struct Tender {
    village: usize,
    bidders: Vec<usize>,
    winner: usize,
}

/// The tenders so far and how often each pair of companies met on them.
#[derive(Default)]
struct Market {
    tenders: Vec<Tender>,
    met: HashMap<(usize, usize), u8>,
}

impl Market {
    fn pair(a: usize, b: usize) -> (usize, usize) {
        (a.min(b), a.max(b))
    }

    /// Adds a tender with `fixed` bidders, then fills it up to [`PER_TENDER`] from
    /// `pool` with bidders who have not yet met any bidder on it too often.
    fn add(
        &mut self,
        rng: &mut StdRng,
        village: usize,
        fixed: &[usize],
        winner: usize,
        pool: &[usize],
    ) {
        let mut bidders = fixed.to_vec();
        let mut tries = 0;
        while bidders.len() < PER_TENDER && tries < 60 && !pool.is_empty() {
            tries += 1;
            let candidate = pool[rng.gen_range(0..pool.len())];
            let fits = !bidders.contains(&candidate)
                && bidders.iter().all(|&b| {
                    self.met
                        .get(&Market::pair(b, candidate))
                        .copied()
                        .unwrap_or(0)
                        < MAX_SHARED
                });
            if fits {
                bidders.push(candidate);
            }
        }
        for (i, &a) in bidders.iter().enumerate() {
            for &b in &bidders[i + 1..] {
                *self.met.entry(Market::pair(a, b)).or_insert(0) += 1;
            }
        }
        self.tenders.push(Tender {
            village,
            bidders,
            winner,
        });
    }
}

/// The bids file.
pub(super) fn generate(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    sizes: &Sizes,
) -> BTreeMap<DatasetKind, String> {
    let tenders = (sizes.bids / PER_TENDER).max(1);
    let planted_minimum = if city.plant {
        2 * RING_TENDERS + 2 * MIN_KING_WINS
    } else {
        0
    };
    let clean_guess = tenders.saturating_sub(planted_minimum);
    // m, the mean wins of a clean bidder: higher in large markets (fewer bidders), but
    // low enough that bidders meeting at most twice can still fill every tender.
    let m = ((clean_guess as f64 / 30.0).sqrt() as usize).clamp(1, 4);
    let king_wins = (4 * m + 4).max(MIN_KING_WINS);
    let planted = if city.plant {
        2 * RING_TENDERS + 2 * king_wins
    } else {
        0
    };
    let clean = tenders.saturating_sub(planted);
    let pool: Vec<usize> = (0..clean.div_ceil(m).max(12))
        .map(|_| reg.new_bidder(city, rng))
        .collect();
    let mut market = Market::default();
    if city.plant {
        plant(city, rng, reg, &mut market, &pool, king_wins);
    }
    let mut winners = win_schedule(pool.len(), m, clean);
    winners.shuffle(rng);
    for w in winners {
        let village = rng.gen_range(0..city.villages.len());
        let winner = pool[w];
        market.add(rng, village, &[winner], winner, &pool);
    }
    BTreeMap::from([(DatasetKind::Bids, write(city, rng, reg, market))])
}

/// Which pool bidder wins each clean tender: bidder i wins `i mod (2m + 1)` times, cut
/// or topped up to exactly `tenders` wins without leaving the 0..=2m range.
fn win_schedule(bidders: usize, m: usize, tenders: usize) -> Vec<usize> {
    let mut wins: Vec<usize> = (0..bidders).map(|i| i % (2 * m + 1)).collect();
    let mut total: usize = wins.iter().sum();
    let mut i = 0;
    while total != tenders && i < 10 * bidders.max(1) {
        let slot = &mut wins[i % bidders];
        if total > tenders && *slot > 0 {
            *slot -= 1;
            total -= 1;
        } else if total < tenders && *slot < 2 * m {
            *slot += 1;
            total += 1;
        }
        i += 1;
    }
    wins.iter()
        .enumerate()
        .flat_map(|(b, &n)| std::iter::repeat_n(b, n))
        .collect()
}

/// Two rings taking turns, two 标王, each with a cover bidder losing to it every time.
fn plant(
    city: &mut City<'_>,
    rng: &mut StdRng,
    reg: &mut Registries,
    market: &mut Market,
    pool: &[usize],
    king_wins: usize,
) {
    for size in [4, 3] {
        let members: Vec<usize> = (0..size).map(|_| reg.new_bidder(city, rng)).collect();
        let village = rng.gen_range(0..city.villages.len());
        for t in 0..RING_TENDERS {
            market.add(rng, village, &members, members[t % size], pool);
        }
        let mut codes: Vec<&str> = members
            .iter()
            .map(|&c| reg.companies[c].uscc.as_str())
            .collect();
        codes.sort_unstable();
        let shown: Vec<&str> = members
            .iter()
            .map(|&c| reg.companies[c].name.as_str())
            .collect();
        let note = format!(
            "{}等{size}家企业在{RING_TENDERS}次招标中同场投标、轮流中标",
            shown.join("、")
        );
        city.truth.add(&[Tag::new("bid_ring", note)], || {
            format!("ring:{}", codes.join(","))
        });
    }
    for _ in 0..2 {
        let king = reg.new_bidder(city, rng);
        let cover = reg.new_bidder(city, rng);
        let village = rng.gen_range(0..city.villages.len());
        for t in 0..king_wins {
            let fixed = if t < RING_TENDERS {
                vec![king, cover]
            } else {
                vec![king]
            };
            market.add(rng, (village + t) % city.villages.len(), &fixed, king, pool);
        }
        let (k, c) = (&reg.companies[king], &reg.companies[cover]);
        let note = format!("{}投标{king_wins}次全部中标，远超其他投标人", k.name);
        city.truth.add(&[Tag::new("bid_win_outlier", note)], || {
            format!("bidder:{}", k.uscc)
        });
        let note = format!(
            "{}投标{RING_TENDERS}次全部未中，每次都与{}同场且由其中标",
            c.name, k.name
        );
        city.truth.add(&[Tag::new("cover_bidder", note)], || {
            format!("bidder:{}", c.uscc)
        });
    }
}

/// The bids, tender by tender in order of opening, the winner with the lowest price.
fn write(city: &City<'_>, rng: &mut StdRng, reg: &Registries, market: Market) -> String {
    let mut tenders: Vec<(NaiveDate, Tender)> = market
        .tenders
        .into_iter()
        .map(|t| {
            (
                between(rng, city.as_of - Days::new(720), city.as_of - Days::new(1)),
                t,
            )
        })
        .collect();
    tenders.sort_by_key(|(opened, t)| (*opened, t.village));
    let mut table = Table::new(DatasetKind::Bids);
    let mut serials = YearlySerial::default();
    for (opened, tender) in &tenders {
        let year = opened.year();
        let id = format!("ZB-{year}-{:04}", serials.next(year));
        let place = &city.villages[tender.village].name;
        let project = format!("{place}{}", names::pick(rng, names::PROJECTS));
        let budget = round_yuan(rng, 100_000, 3_000_000, 100);
        let mut prices: Vec<i64> = (0..tender.bidders.len())
            .map(|_| budget / 1_000 * rng.gen_range(9_000..=9_950) / 10_000 * 1_000)
            .collect();
        prices.sort_unstable();
        let mut order = tender.bidders.clone();
        order.sort_by_key(|&b| b != tender.winner);
        let code = city.villages[tender.village].code.to_string();
        for (&b, price) in order.iter().zip(&prices) {
            let company = &reg.companies[b];
            let won = yes_no(b == tender.winner);
            let cells = [
                id.as_str(),
                &project,
                &names::buyer(place),
                &code,
                &company.uscc,
                &company.name,
                &yuan(*price),
                won,
                &opened.to_string(),
            ];
            table.row(&cells);
        }
    }
    table.finish()
}
