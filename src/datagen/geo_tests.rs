//! The demo boundaries: committed as generated, one per region, children tiling their
//! parent without gaps or overlaps.

use super::geo::{self, Boundary};
use crate::domain::region::RegionCode;
use crate::maps::geometry::{Point, distance_to_ring, ring_contains, signed_area};
use crate::regions::RegionTree;

fn tree() -> RegionTree {
    RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
        .expect("the demo region tree loads")
}

fn ring_of<'a>(boundaries: &'a [Boundary], code: &RegionCode) -> &'a [Point] {
    &boundaries
        .iter()
        .find(|b| b.code == *code)
        .unwrap_or_else(|| panic!("{code} has a boundary"))
        .ring
}

#[test]
fn the_committed_boundaries_match_their_generator() {
    let text = geo::geojson(&geo::generate(&tree()));
    assert_eq!(text, geo::geojson(&geo::generate(&tree())), "deterministic");
    let path = geo::path();
    if std::env::var("QINGFENG_BLESS_DEMO").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &text).expect("seeds/regions.geojson can be written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "seeds/regions.geojson differs from what the generator makes; if the change is \
         intended, regenerate with `QINGFENG_BLESS_DEMO=1 cargo test --lib datagen`"
    );
}

#[test]
fn every_region_has_one_counterclockwise_boundary() {
    let tree = tree();
    let boundaries = geo::generate(&tree);
    assert_eq!(boundaries.len(), tree.len());
    for (boundary, region) in boundaries.iter().zip(tree.iter()) {
        assert_eq!(boundary.code, region.code);
        assert!(boundary.ring.len() >= 20, "{} is too coarse", region.code);
        assert!(
            signed_area(&boundary.ring) > 0.0,
            "{} is clockwise",
            region.code
        );
    }
}

/// Areas add up, and every sample point well inside the parent and away from every
/// border lies in exactly one child.
#[test]
fn children_tile_their_parent() {
    let tree = tree();
    let boundaries = geo::generate(&tree);
    for parent in tree.iter().filter(|r| !tree.children(&r.code).is_empty()) {
        let outer = ring_of(&boundaries, &parent.code);
        let children: Vec<&[Point]> = tree
            .children(&parent.code)
            .iter()
            .map(|c| ring_of(&boundaries, c))
            .collect();
        let sum: f64 = children.iter().map(|c| signed_area(c)).sum();
        let area = signed_area(outer);
        assert!(
            (sum - area).abs() < 1e-4 * area,
            "{}: children cover {sum}, the parent {area}",
            parent.code
        );
        let (lo, hi) = outer
            .iter()
            .fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
                (
                    [lo[0].min(p[0]), lo[1].min(p[1])],
                    [hi[0].max(p[0]), hi[1].max(p[1])],
                )
            });
        let mut checked = 0;
        for i in 0..40 {
            for j in 0..40 {
                let p = [
                    lo[0] + (hi[0] - lo[0]) * (i as f64 + 0.5) / 40.0,
                    lo[1] + (hi[1] - lo[1]) * (j as f64 + 0.5) / 40.0,
                ];
                let near_border = std::iter::once(outer)
                    .chain(children.iter().copied())
                    .any(|ring| distance_to_ring(ring, p) < 2e-4);
                if near_border || !ring_contains(outer, p) {
                    continue;
                }
                let holders = children.iter().filter(|c| ring_contains(c, p)).count();
                assert_eq!(
                    holders, 1,
                    "{}: {p:?} lies in {holders} children",
                    parent.code
                );
                checked += 1;
            }
        }
        assert!(
            checked > 400,
            "{}: only {checked} points checked",
            parent.code
        );
    }
}
