//! The generated tile maps: every child a tile, ordered by code, inside the view box, apart
//! from each other; shapes and tiles mixed when only some children have a shape.

use super::render::WIDTH;
use super::tiles::{FONT_SIZES, layout};
use super::{Boundaries, Maps};
use crate::domain::region::RegionCode;
use crate::regions::RegionTree;

fn qixian() -> RegionTree {
    RegionTree::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/real/qixian-410221.csv"
    ))
    .expect("the 杞县 tree loads")
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).unwrap()
}

/// The centre of a hexagon from its path (the mean of its six corners).
fn centre(d: &str) -> [f64; 2] {
    let numbers: Vec<f64> = d
        .split(['M', 'L', 'Z', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 12, "six corners in {d}");
    let (xs, ys): (Vec<f64>, Vec<f64>) = numbers.chunks(2).map(|p| (p[0], p[1])).unzip();
    [xs.iter().sum::<f64>() / 6.0, ys.iter().sum::<f64>() / 6.0]
}

#[test]
fn every_child_is_a_tile_ordered_by_code_inside_the_view_box_and_apart() {
    for n in [1usize, 2, 7, 22, 35, 60] {
        let children: Vec<(RegionCode, String)> = (0..n)
            .rev()
            .map(|i| {
                (
                    code(&format!("410221{:03}000", 100 + i)),
                    format!("第{i}镇"),
                )
            })
            .collect();
        let (tiles, height) = layout(&children, 0.0);
        assert_eq!(tiles.len(), n);
        let codes: Vec<_> = tiles.iter().map(|t| t.region.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted, "ordered by code");
        let centres: Vec<[f64; 2]> = tiles.iter().map(|t| centre(&t.region.d)).collect();
        for [x, y] in &centres {
            assert!(
                (0.0..=WIDTH).contains(x) && (0.0..=height).contains(y),
                "{n}: {x},{y}"
            );
        }
        for (i, a) in centres.iter().enumerate() {
            for b in &centres[i + 1..] {
                let distance = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
                assert!(distance > 20.0, "{n} tiles: two centres {distance} apart");
            }
        }
        assert!(tiles.iter().all(|t| FONT_SIZES.contains(&t.font)));
    }
}

#[test]
fn a_county_without_a_boundary_file_has_a_tile_map_at_every_level() {
    let tree = qixian();
    let maps = Maps::build(std::sync::Arc::new(tree.clone()), Boundaries::default());
    let county = maps.get(&code("410221000000")).unwrap();
    assert!(county.view.regions.is_empty());
    assert_eq!(
        county.view.tiles.len(),
        tree.children(&code("410221000000")).len()
    );
    assert!(
        county
            .svg
            .contains(r#"class="region tile" data-code="410221101000" data-name="五里河镇""#)
    );
    assert!(
        county.svg.contains(">101</text>"),
        "the town's own digits on its tile"
    );
    let town = maps.get(&code("410221101000")).unwrap();
    assert!(
        town.svg
            .contains(r#"data-code="410221101201" data-name="史庄村委会""#)
    );
    let label = town
        .view
        .tiles
        .iter()
        .find(|t| t.region.code == code("410221101201"))
        .unwrap();
    assert_eq!(
        label.text, "史庄村",
        "the committee's name as people say it"
    );
    let village = maps.get(&code("410221101201")).unwrap();
    assert_eq!(
        village.view.tiles.len(),
        1,
        "a village's map is the village itself"
    );
}

#[test]
fn children_without_a_shape_are_tiles_below_the_shapes() {
    let tree = RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv")).unwrap();
    let square = "[[[120,30],[120.1,30],[120.1,30.1],[120,30.1],[120,30]]]";
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"990102100000"}},"geometry":{{"type":"Polygon","coordinates":{square}}}}}]}}"#
    );
    let boundaries = Boundaries::from_str("one.geojson", &text, &tree).unwrap();
    let maps = Maps::build(std::sync::Arc::new(tree.clone()), boundaries.clone());
    let city = &maps.get(&code("990102000000")).unwrap().view;
    assert_eq!(city.regions.len(), 1, "青溪镇 has its shape");
    let towns = tree.children(&code("990102000000")).len();
    assert_eq!(city.tiles.len(), towns - 1, "the other towns are tiles");
    let shapes_bottom: f64 = 16.0 + (WIDTH - 32.0);
    assert!(
        city.height() >= shapes_bottom,
        "the tiles are below the square's shape"
    );
    assert!(
        city.tiles
            .iter()
            .all(|t| centre(&t.region.d)[1] > shapes_bottom - 1.0)
    );
}
