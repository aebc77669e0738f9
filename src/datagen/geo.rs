//! The demo city's boundaries, `seeds/regions.geojson`: a fictional city whose towns tile
//! it and whose villages tile their town.
//!
//! Each level is cut into Voronoi cells of jittered seed points (relaxed a little towards
//! their centroids so cells are not slivers) clipped to the parent, which makes the cells
//! tile the parent exactly. Every edge is then cut into short pieces and every point moved
//! by one smooth displacement field, so borders wander like real ones; because the same
//! point always moves the same way, neighbours still share their border. The field moves
//! no point by more than a few hundred metres and stretches distances by less than half,
//! so no shape folds over itself. The place sits in the East China Sea: fictional.
//!
//! The file is generated, never edited: a test regenerates it and compares byte for byte,
//! and `QINGFENG_BLESS_DEMO=1 cargo test --lib datagen` rewrites it.

use std::f64::consts::TAU;
use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::region::{Level, RegionCode};
use crate::maps::geometry::{Point, Ring, centroid, ring_contains, signed_area};
use crate::regions::RegionTree;

/// The seed of the demo boundaries.
pub const SEED: u64 = 20_261_127;

/// The city's centre, longitude and latitude.
const CENTRE: Point = [123.62, 30.48];
/// The city's radius in degrees of latitude.
const CITY_RADIUS: f64 = 0.30;
/// The longest edge before the displacement, in degrees.
const STEP: f64 = 0.006;

/// Where the committed file lives.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/regions.geojson")
}

/// One region's outline in longitude and latitude, counterclockwise, not closed.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    pub code: RegionCode,
    pub name: String,
    pub level: Level,
    pub ring: Ring,
}

/// The outline of every region of the tree, in the tree's order (by code).
pub fn generate(tree: &RegionTree) -> Vec<Boundary> {
    let root = tree.root();
    let mut rng = StdRng::seed_from_u64(SEED);
    let warp = Warp::new(&mut rng);
    let city = densify(&convex_hull(&city_points(&mut rng)));
    let mut planar: Vec<(RegionCode, Ring)> = vec![(root.code, city.clone())];
    let towns = tree.children(&root.code);
    let town_cells = voronoi(&town_seeds(towns, &mut rng), &city, 1);
    for (town, cell) in towns.iter().zip(town_cells) {
        let cell = densify(&cell);
        let villages = tree.children(town);
        let seeds = scatter(&cell, villages.len(), &mut rng);
        for (village, village_cell) in villages.iter().zip(voronoi(&seeds, &cell, 2)) {
            planar.push((*village, densify(&village_cell)));
        }
        planar.push((*town, cell));
    }
    planar.sort_by_key(|(code, _)| *code);
    planar
        .into_iter()
        .filter_map(|(code, ring)| {
            let region = tree.get(&code)?;
            Some(Boundary {
                code,
                name: region.name.clone(),
                level: region.level,
                ring: to_lon_lat(&ring, &warp),
            })
        })
        .collect()
}

/// The boundaries as a GeoJSON FeatureCollection, one feature a line.
pub fn geojson(boundaries: &[Boundary]) -> String {
    let features: Vec<String> = boundaries.iter().map(feature).collect();
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
        features.join(",\n")
    )
}

fn feature(boundary: &Boundary) -> String {
    let name = serde_json::to_string(&boundary.name).expect("a string serializes");
    let mut ring = boundary.ring.clone();
    ring.extend(ring.first().copied());
    let positions: Vec<String> = ring
        .iter()
        .map(|[lon, lat]| format!("[{lon:.6},{lat:.6}]"))
        .collect();
    format!(
        "{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{}\",\"name\":{name},\"level\":\"{}\"}},\
         \"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}}}",
        boundary.code,
        boundary.level.as_str(),
        positions.join(",")
    )
}

/// The city's outline before it is made convex: a circle with a few slow bulges.
fn city_points(rng: &mut StdRng) -> Vec<Point> {
    let n = 48;
    let phases: [f64; 3] = [
        rng.gen_range(0.0..TAU),
        rng.gen_range(0.0..TAU),
        rng.gen_range(0.0..TAU),
    ];
    (0..n)
        .map(|k| {
            let angle = TAU * (k as f64 + rng.gen_range(-0.3..0.3)) / n as f64;
            let bulge = 0.10 * (2.0 * angle + phases[0]).cos()
                + 0.06 * (3.0 * angle + phases[1]).cos()
                + 0.02 * (5.0 * angle + phases[2]).cos();
            let radius = CITY_RADIUS * (1.0 + bulge);
            [radius * angle.cos(), radius * angle.sin()]
        })
        .collect()
}

/// Streets (town digits below 100) near the centre, towns and townships in a ring.
fn town_seeds(towns: &[RegionCode], rng: &mut StdRng) -> Vec<Point> {
    let is_street = |code: &RegionCode| code.as_str()[6..9] < *"100";
    let streets = towns.iter().filter(|c| is_street(c)).count().max(1);
    let outer = towns.iter().filter(|c| !is_street(c)).count().max(1);
    let (street_start, outer_start) = (rng.gen_range(0.0..TAU), rng.gen_range(0.0..TAU));
    let (mut street, mut ring) = (0, 0);
    towns
        .iter()
        .map(|code| {
            let (angle, radius) = if is_street(code) {
                street += 1;
                let angle = street_start + TAU * (street - 1) as f64 / streets as f64;
                (angle, 0.14 * CITY_RADIUS)
            } else {
                ring += 1;
                let jitter = rng.gen_range(-0.25..0.25);
                let angle = outer_start + TAU * ((ring - 1) as f64 + jitter) / outer as f64;
                (angle, CITY_RADIUS * rng.gen_range(0.55..0.68))
            };
            [radius * angle.cos(), radius * angle.sin()]
        })
        .collect()
}

/// `n` points spread over a convex ring: random, but no closer to each other than a
/// spacing that shrinks until they fit.
fn scatter(ring: &Ring, n: usize, rng: &mut StdRng) -> Vec<Point> {
    let (min, max) = bounds(ring);
    let mut spacing = 0.8 * (signed_area(ring).abs() / n.max(1) as f64).sqrt();
    let mut points: Vec<Point> = Vec::with_capacity(n);
    let mut failures = 0;
    while points.len() < n {
        let candidate = [rng.gen_range(min[0]..max[0]), rng.gen_range(min[1]..max[1])];
        let far_enough = points.iter().all(|p| distance(*p, candidate) >= spacing);
        if ring_contains(ring, candidate) && far_enough {
            points.push(candidate);
        } else {
            failures += 1;
            if failures % 200 == 0 {
                spacing *= 0.9;
            }
        }
    }
    points
}

/// The Voronoi cells of `seeds` clipped to the convex `parent`, after `relax` rounds of
/// moving each seed to its cell's centroid (Lloyd's algorithm).
fn voronoi(seeds: &[Point], parent: &Ring, relax: usize) -> Vec<Ring> {
    let mut seeds = seeds.to_vec();
    for _ in 0..relax {
        seeds = cells(&seeds, parent).iter().map(|c| centroid(c)).collect();
    }
    cells(&seeds, parent)
}

fn cells(seeds: &[Point], parent: &Ring) -> Vec<Ring> {
    seeds
        .iter()
        .enumerate()
        .map(|(i, seed)| {
            let mut cell = parent.clone();
            for (j, other) in seeds.iter().enumerate() {
                if i != j {
                    cell = clip_to_nearer(&cell, *seed, *other);
                }
            }
            cell
        })
        .collect()
}

/// Keeps the part of `ring` nearer to `own` than to `other` (Sutherland–Hodgman against
/// the half-plane of their bisector). Exact for a convex ring.
fn clip_to_nearer(ring: &Ring, own: Point, other: Point) -> Ring {
    let normal = [other[0] - own[0], other[1] - own[1]];
    let middle = [(own[0] + other[0]) / 2.0, (own[1] + other[1]) / 2.0];
    let limit = normal[0] * middle[0] + normal[1] * middle[1];
    let side = |p: Point| normal[0] * p[0] + normal[1] * p[1] - limit;
    let mut clipped = Vec::with_capacity(ring.len() + 2);
    for (i, current) in ring.iter().enumerate() {
        let next = ring[(i + 1) % ring.len()];
        let (s0, s1) = (side(*current), side(next));
        if s0 <= 0.0 {
            clipped.push(*current);
        }
        if (s0 <= 0.0) != (s1 <= 0.0) {
            let t = s0 / (s0 - s1);
            clipped.push([
                current[0] + t * (next[0] - current[0]),
                current[1] + t * (next[1] - current[1]),
            ]);
        }
    }
    clipped
}

/// The convex hull, counterclockwise (Andrew's monotone chain).
fn convex_hull(points: &[Point]) -> Ring {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let cross = |o: Point, a: Point, b: Point| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<Point> = Vec::new();
    for pass in [sorted.clone(), sorted.into_iter().rev().collect()] {
        let start = hull.len();
        for p in pass {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// Cuts every edge longer than `STEP` into equal pieces. The pieces of an edge depend
/// only on its ends, so two neighbours cut their shared edge at the same points.
fn densify(ring: &Ring) -> Ring {
    let mut dense = Vec::new();
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        let pieces = (distance(*a, b) / STEP).ceil().max(1.0) as usize;
        for k in 0..pieces {
            let t = k as f64 / pieces as f64;
            dense.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
        }
    }
    dense
}

/// A smooth displacement: two sine waves in each direction with random phases and
/// headings. Amplitude times wave number stays under a quarter per wave, so the field
/// never folds the plane.
struct Warp {
    waves: Vec<([f64; 2], f64, f64, usize)>,
}

impl Warp {
    fn new(rng: &mut StdRng) -> Warp {
        let mut waves = Vec::new();
        for axis in 0..2 {
            for (amplitude, wavelength) in [(0.006, 0.26), (0.0025, 0.11)] {
                let heading: f64 = rng.gen_range(0.0..TAU);
                let k = TAU / wavelength;
                let phase = rng.gen_range(0.0..TAU);
                waves.push((
                    [k * heading.cos(), k * heading.sin()],
                    phase,
                    amplitude,
                    axis,
                ));
            }
        }
        Warp { waves }
    }

    fn apply(&self, p: Point) -> Point {
        let mut moved = p;
        for (k, phase, amplitude, axis) in &self.waves {
            moved[*axis] += amplitude * (k[0] * p[0] + k[1] * p[1] + phase).sin();
        }
        moved
    }
}

/// Displaces, converts the local frame (degrees of latitude both ways) to longitude and
/// latitude, rounds to six decimals (about 10 cm) and drops points that became repeats.
fn to_lon_lat(ring: &Ring, warp: &Warp) -> Ring {
    let scale = CENTRE[1].to_radians().cos();
    let round = |v: f64| (v * 1e6).round() / 1e6;
    let mut out: Ring = Vec::with_capacity(ring.len());
    for p in ring {
        let [x, y] = warp.apply(*p);
        let point = [round(CENTRE[0] + x / scale), round(CENTRE[1] + y)];
        if out.last() != Some(&point) {
            out.push(point);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

fn bounds(ring: &Ring) -> (Point, Point) {
    ring.iter().fold(
        ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
        |(min, max), p| {
            (
                [min[0].min(p[0]), min[1].min(p[1])],
                [max[0].max(p[0]), max[1].max(p[1])],
            )
        },
    )
}

fn distance(a: Point, b: Point) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}
