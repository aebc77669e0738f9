//! Random bidding markets with planted rings and a planted 标王, for testing the bidding
//! rules' statistics rather than the demo's story.
//!
//! An ordinary market is the null hypothesis the rules test against, made concrete: each
//! tender opens in a town, draws a handful of bidders at random (most from the town's
//! own companies, some from anywhere) and its winner is one of them, drawn uniformly. So
//! in an ordinary market every co-bid is chance and every bidder wins its fair share,
//! however often it bids, and whatever a rule flags in it is a false alarm. Bidders may
//! differ in how often they bid (`activity`), because a rule that mistakes activity for
//! collusion or for dominance is exactly the failure these markets are for.
//!
//! Planted on top: rings, groups of fresh companies that bid together on
//! `ring_tenders` tenders of their town (beside ordinary fillers) and take turns winning
//! them, and that otherwise bid like everyone else; and a 标王, a fresh company that bids
//! three times as often as an ordinary one and wins nine in ten of its tenders.
//! Everything comes from one `StdRng` seeded by `seed`, so a config always gives the
//! same bids.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::ids::Codes;
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;
use crate::domain::uscc::Uscc;
use crate::import::rows::BidRow;

/// What market to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketConfig {
    pub seed: u64,
    /// Ordinary bidders, spread evenly over the towns.
    pub bidders: usize,
    /// Ordinary tenders (ring tenders come on top).
    pub tenders: usize,
    pub towns: usize,
    /// Bidders per tender, drawn uniformly from this range.
    pub sizes: RangeInclusive<usize>,
    /// The chance that a tender's bidder is drawn from the tender's own town.
    pub locality: f64,
    /// How unequal bidders are: a bidder's weight is `e^(activity·u)`, u uniform in
    /// [0, 1), so 0 makes every bidder equally active and 2 spreads them over a factor
    /// of about seven.
    pub activity: f64,
    /// The sizes of the planted rings; empty for an ordinary market.
    pub rings: Vec<usize>,
    /// The tenders each ring bids on together.
    pub ring_tenders: usize,
    /// Whether to plant a 标王.
    pub king: bool,
}

impl MarketConfig {
    /// An ordinary market of one town: `bidders` companies on `tenders` tenders of three
    /// to six bidders each, all equally active.
    pub fn town(seed: u64, bidders: usize, tenders: usize) -> MarketConfig {
        MarketConfig {
            seed,
            bidders,
            tenders,
            towns: 1,
            sizes: 3..=6,
            locality: 1.0,
            activity: 0.0,
            rings: Vec::new(),
            ring_tenders: 12,
            king: false,
        }
    }
}

/// A drawn market: its bids, as the import would give them, and what was planted.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomMarket {
    pub bids: Vec<BidRow>,
    /// The subject of each planted ring, `ring:<member codes, sorted>`.
    pub rings: BTreeSet<String>,
    /// The subject of the planted 标王, `bidder:<code>`.
    pub kings: BTreeSet<String>,
}

/// How much more often the planted 标王 bids than an ordinary bidder of weight one.
const KING_WEIGHT: f64 = 3.0;
/// The chance the planted 标王 wins a tender it entered.
const KING_WINS: f64 = 0.9;

/// One tender before it is written as bids: its town, bidders and winner.
struct Tender {
    town: usize,
    bidders: Vec<usize>,
    winner: usize,
}

/// Companies to draw from by weight: their numbers and the running sum of weights.
#[derive(Default)]
struct Pool {
    members: Vec<usize>,
    cumulative: Vec<f64>,
}

impl Pool {
    fn add(&mut self, company: usize, weight: f64) {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        self.members.push(company);
        self.cumulative.push(total + weight);
    }

    /// The member at `point` of the total weight (`point` in [0, 1)).
    fn at(&self, point: f64) -> Option<usize> {
        let total = self.cumulative.last().copied()?;
        let i = self.cumulative.partition_point(|&c| c <= point * total);
        self.members.get(i).or(self.members.last()).copied()
    }
}

/// The companies of a market, in a pool per town and one of all, and the random source
/// drawing from them.
struct Draw {
    rng: StdRng,
    /// The credit code of each company, by number.
    companies: Vec<Uscc>,
    codes: Codes,
    towns: Vec<Pool>,
    all: Pool,
}

impl Draw {
    fn company(&mut self, town: usize, weight: f64) -> usize {
        let code = self.codes.uscc();
        let uscc = Uscc::parse(&code).expect("the generator makes valid credit codes");
        let c = self.companies.len();
        self.companies.push(uscc);
        if self.towns.len() <= town {
            self.towns.resize_with(town + 1, Pool::default);
        }
        if let Some(pool) = self.towns.get_mut(town) {
            pool.add(c, weight);
        }
        self.all.add(c, weight);
        c
    }

    /// One more bidder for a tender of `town`, by weight, not already in `taken`; `None`
    /// when every candidate is taken. Draws again when it meets a bidder already taken
    /// (a tender takes a handful of a pool's dozens), and walks the pool only when that
    /// keeps failing.
    fn pick(&mut self, town: usize, locality: f64, taken: &[usize]) -> Option<usize> {
        let local = self.rng.gen_bool(locality.clamp(0.0, 1.0));
        let pool = match self.towns.get(town) {
            Some(pool) if local => pool,
            _ => &self.all,
        };
        for _ in 0..32 {
            let c = pool.at(self.rng.gen_range(0.0..1.0))?;
            if !taken.contains(&c) {
                return Some(c);
            }
        }
        pool.members.iter().copied().find(|c| !taken.contains(c))
    }

    /// A ring of `size` fresh companies of `town` and its tenders, the members taking
    /// turns to win; the members.
    fn ring(
        &mut self,
        config: &MarketConfig,
        town: usize,
        size: usize,
        tenders: &mut Vec<Tender>,
    ) -> Vec<usize> {
        let members: Vec<usize> = (0..size).map(|_| self.company(town, 1.0)).collect();
        for t in 0..config.ring_tenders {
            let bidders = self.bidders(config, town, &members);
            let winner = members.get(t % size.max(1)).copied().unwrap_or(0);
            tenders.push(Tender {
                town,
                bidders,
                winner,
            });
        }
        members
    }

    /// A tender of `town` with the `fixed` bidders and others drawn up to its size.
    fn bidders(&mut self, config: &MarketConfig, town: usize, fixed: &[usize]) -> Vec<usize> {
        let size = self.rng.gen_range(config.sizes.clone()).max(fixed.len());
        let mut bidders = fixed.to_vec();
        while bidders.len() < size {
            match self.pick(town, config.locality, &bidders) {
                Some(c) => bidders.push(c),
                None => break,
            }
        }
        bidders
    }
}

/// Draws the market `config` describes.
pub fn random_market(config: &MarketConfig) -> RandomMarket {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let codes = Codes::new(&mut rng);
    let mut draw = Draw {
        rng,
        companies: Vec::new(),
        codes,
        towns: Vec::new(),
        all: Pool::default(),
    };
    let towns = config.towns.max(1);
    for i in 0..config.bidders {
        let weight = (config.activity * draw.rng.gen_range(0.0..1.0)).exp();
        draw.company(i % towns, weight);
    }
    let mut tenders = Vec::new();
    let mut planted = RandomMarket {
        bids: Vec::new(),
        rings: BTreeSet::new(),
        kings: BTreeSet::new(),
    };
    for (r, &size) in config.rings.iter().enumerate() {
        let members = draw.ring(config, r % towns, size, &mut tenders);
        planted
            .rings
            .insert(ring_subject(&draw.companies, &members));
    }
    let king = config.king.then(|| draw.company(0, KING_WEIGHT));
    if let Some(king) = king {
        planted
            .kings
            .insert(format!("bidder:{}", draw.companies[king]));
    }
    for _ in 0..config.tenders {
        let town = draw.rng.gen_range(0..towns);
        let bidders = draw.bidders(config, town, &[]);
        let fair = draw.rng.gen_range(0..bidders.len().max(1));
        let mut winner = bidders.get(fair).copied().unwrap_or(0);
        if let Some(king) = king.filter(|k| bidders.contains(k))
            && draw.rng.gen_bool(KING_WINS)
        {
            winner = king;
        }
        tenders.push(Tender {
            town,
            bidders,
            winner,
        });
    }
    planted.bids = write(&mut draw, config.seed, tenders);
    planted
}

/// `ring:<member codes, sorted, comma-separated>`, as `bid_ring` names a ring.
fn ring_subject(companies: &[Uscc], members: &[usize]) -> String {
    let mut codes: Vec<&str> = members
        .iter()
        .filter_map(|&m| companies.get(m))
        .map(Uscc::as_str)
        .collect();
    codes.sort_unstable();
    format!("ring:{}", codes.join(","))
}

/// The bid rows, tenders in a shuffled order (so that ring tenders are not the first)
/// with an opening day each in 2024.
fn write(draw: &mut Draw, seed: u64, mut tenders: Vec<Tender>) -> Vec<BidRow> {
    use rand::seq::SliceRandom;
    tenders.shuffle(&mut draw.rng);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let mut bids = Vec::new();
    for (t, tender) in tenders.iter().enumerate() {
        // Town codes 101, 102, … of the demo county, and village 201 of each.
        let region = format!("990102{:03}201", 101 + tender.town % 899);
        let region_code = RegionCode::parse(&region).expect("a well-formed village code");
        let opened_on = start + Days::new(draw.rng.gen_range(0..366));
        for &b in &tender.bidders {
            let Some(company) = draw.companies.get(b) else {
                continue;
            };
            bids.push(BidRow {
                source_row: bids.len() + 2,
                tender_id: format!("ZB-{seed}-{t:05}"),
                project: "村道硬化".to_owned(),
                buyer: "村民委员会".to_owned(),
                region_code,
                bidder_uscc: company.clone(),
                bidder_name: format!("公司{b:04}"),
                amount: Fen::from_fen(30_000_000),
                won: b == tender.winner,
                opened_on,
            });
        }
    }
    bids
}
