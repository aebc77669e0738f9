//! Loading boundaries (every refusal names feature and field), the projection and fit,
//! and the maps of the demo city.

use super::render::{Fit, WIDTH, project};
use super::{Boundaries, Maps};
use crate::domain::region::RegionCode;
use crate::regions::RegionTree;

fn tree() -> RegionTree {
    RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
        .expect("the demo region tree loads")
}

const SQUARE: &str = "[[[120,30],[120.1,30],[120.1,30.1],[120,30.1],[120,30]]]";

fn feature(code: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{"code":{code}}},"geometry":{geometry}}}"#)
}

fn polygon(coordinates: &str) -> String {
    format!(r#"{{"type":"Polygon","coordinates":{coordinates}}}"#)
}

/// Loads a collection of a good first feature and `second`, returning the error text.
fn refusal(second: &str) -> String {
    let good = feature("\"990102100000\"", &polygon(SQUARE));
    let text = format!(r#"{{"type":"FeatureCollection","features":[{good},{second}]}}"#);
    Boundaries::from_str("b.geojson", &text, &tree())
        .expect_err("the file is refused")
        .to_string()
}

#[test]
fn a_good_file_loads_and_regions_without_shapes_are_listed() {
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        feature("\"990102100000\"", &polygon(SQUARE)),
        feature(
            "990102100201",
            &format!(r#"{{"type":"MultiPolygon","coordinates":[{SQUARE},{SQUARE}]}}"#)
        ),
    );
    let tree = tree();
    let boundaries = Boundaries::from_str("b.geojson", &text, &tree).unwrap();
    let town = RegionCode::parse("990102100000").unwrap();
    assert_eq!(
        boundaries.shapes[&town],
        vec![vec![vec![
            [120.0, 30.0],
            [120.1, 30.0],
            [120.1, 30.1],
            [120.0, 30.1]
        ]]]
    );
    let village = RegionCode::parse("990102100201").unwrap();
    assert_eq!(boundaries.shapes[&village].len(), 2);
    assert_eq!(boundaries.missing(&tree).len(), tree.len() - 2);
}

#[test]
fn each_refusal_names_the_feature_and_the_field() {
    let cases = [
        (
            r#"{"type":"Feature","properties":{"name":"x"},"geometry":null}"#.to_owned(),
            "b.geojson: feature 1: properties.code: is missing",
        ),
        (
            feature("\"99010210\"", &polygon(SQUARE)),
            "b.geojson: feature 1: properties.code: region code '99010210' must be 12 digits, found 8",
        ),
        (
            feature("\"990102777000\"", &polygon(SQUARE)),
            "b.geojson: feature 1: properties.code: 990102777000 is not in the region tree",
        ),
        (
            feature("\"990102100000\"", &polygon(SQUARE)),
            "b.geojson: feature 1: properties.code: 990102100000 already has a shape in feature 0",
        ),
        (
            feature(
                "\"990102101000\"",
                r#"{"type":"LineString","coordinates":[[120,30],[121,31]]}"#,
            ),
            "b.geojson: feature 1: geometry.type: is LineString; only Polygon and MultiPolygon are supported",
        ),
        (
            feature("\"990102101000\"", "null"),
            "b.geojson: feature 1: geometry: is missing",
        ),
        (
            feature(
                "\"990102101000\"",
                &polygon("[[[120,30],[120.1,30],[120,30]]]"),
            ),
            "b.geojson: feature 1: geometry.coordinates[0]: a ring needs at least 4 positions, found 3",
        ),
        (
            feature(
                "\"990102101000\"",
                &polygon("[[[120,30],[120.1,30],[120.1,\"x\"],[120,30]]]"),
            ),
            "b.geojson: feature 1: geometry.coordinates[0][2]: must be [longitude, latitude] numbers, found [120.1,\"x\"]",
        ),
        (
            feature(
                "\"990102101000\"",
                &polygon("[[[120,30],[190,30],[120.1,30.1],[120,30]]]"),
            ),
            "b.geojson: feature 1: geometry.coordinates[0][1]: longitude 190 is outside -180..180",
        ),
        (
            feature(
                "\"990102101000\"",
                &polygon("[[[120,30],[120.1,30],[120.1,30.1],[120,30.1]]]"),
            ),
            "b.geojson: feature 1: geometry.coordinates[0]: the ring is not closed: its last position must equal its first",
        ),
        (
            feature(
                "\"990102101000\"",
                &format!(
                    r#"{{"type":"MultiPolygon","coordinates":[{SQUARE},[[[0,95],[1,0],[1,1],[0,95]]]]}}"#
                ),
            ),
            "b.geojson: feature 1: geometry.coordinates[1][0][0]: latitude 95 is outside -90..90",
        ),
    ];
    for (second, expected) in cases {
        assert_eq!(refusal(&second), expected);
    }
}

#[test]
fn a_file_that_is_not_a_feature_collection_is_refused() {
    let refused = |text: &str| {
        Boundaries::from_str("b.geojson", text, &tree())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused(r#"{"type":"Feature"}"#),
        "b.geojson: type must be \"FeatureCollection\""
    );
    assert_eq!(
        refused(r#"{"type":"FeatureCollection","features":{}}"#),
        "b.geojson: features must be an array"
    );
    assert!(refused("{").starts_with("b.geojson: not valid JSON: "));
}

#[test]
fn the_projection_flips_y_and_shortens_longitude_by_the_cosine_of_latitude() {
    let [x, y] = project([120.0, 60.0], 60.0);
    assert!((x - 60.0).abs() < 1e-9);
    assert_eq!(y, -60.0);
    // A box twice as wide as high fits the full width and half of it in height.
    let fit = Fit::new([0.0, 0.0], [2.0, 1.0]);
    assert_eq!(fit.apply([0.0, 0.0]), [16.0, 16.0]);
    assert_eq!(
        fit.apply([2.0, 1.0]),
        [WIDTH - 16.0, 16.0 + (WIDTH - 32.0) / 2.0]
    );
    assert_eq!(fit.height, ((WIDTH - 32.0) / 2.0 + 32.0).round());
}

#[test]
fn the_demo_maps_show_the_children_of_each_region_inside_the_view_box() {
    let tree = tree();
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/regions.geojson"
    ));
    let boundaries = Boundaries::load(path, &tree).expect("the demo boundaries load");
    assert!(boundaries.missing(&tree).is_empty());
    let maps = Maps::build(std::sync::Arc::new(tree.clone()), boundaries.clone());
    let city = maps.get(&tree.root().code).unwrap();
    assert_eq!(city.view.regions.len(), 7);
    let height: f64 = city
        .view
        .view_box
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for region in &city.view.regions {
        let numbers = region
            .d
            .split(['M', 'L', 'Z', ' '])
            .filter(|s| !s.is_empty());
        let values: Vec<f64> = numbers.map(|n| n.parse().unwrap()).collect();
        for pair in values.chunks(2) {
            assert!((0.0..=WIDTH).contains(&pair[0]) && (0.0..=height).contains(&pair[1]));
        }
        assert!(city.svg.contains(&format!(
            "<path class=\"region\" data-code=\"{}\" data-name=\"{}\"",
            region.code, region.name
        )));
        assert!(city.svg.contains(&format!(
            "<text class=\"label\" data-code=\"{}\"",
            region.code
        )));
    }
    let village = tree.villages().next().unwrap();
    let own = maps.get(&village.code).unwrap();
    assert_eq!(own.view.regions.len(), 1);
    assert_eq!(own.view.regions[0].code, village.code);
    assert!(!city.svg.contains("fill=\""), "no colour is drawn");
}
