//! Plane geometry on `[x, y]` points: ring areas and centroids, and the polygon types the
//! GeoJSON loader produces. Pure; the generator of the demo boundaries and the map
//! renderer share it.

/// A point: `[longitude, latitude]` in a GeoJSON file, `[x, y]` once projected.
pub type Point = [f64; 2];

/// A closed ring without its repeated last point.
pub type Ring = Vec<Point>;

/// An outer ring followed by its holes.
pub type Polygon = Vec<Ring>;

/// One region's shape: one or more polygons (a GeoJSON Polygon or MultiPolygon).
pub type Shape = Vec<Polygon>;

/// The signed area of a ring (shoelace formula): positive when counterclockwise with
/// y pointing up.
pub fn signed_area(ring: &[Point]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let [x0, y0] = ring[i];
            let [x1, y1] = ring[(i + 1) % n];
            x0 * y1 - x1 * y0
        })
        .sum::<f64>()
        / 2.0
}

/// The area of a polygon: its outer ring less its holes.
pub fn polygon_area(polygon: &Polygon) -> f64 {
    let mut rings = polygon.iter();
    let outer = rings.next().map_or(0.0, |r| signed_area(r).abs());
    outer - rings.map(|r| signed_area(r).abs()).sum::<f64>()
}

/// The area-weighted centroid of a ring; the mean of its points when it has no area.
pub fn centroid(ring: &[Point]) -> Point {
    let area = signed_area(ring);
    let n = ring.len();
    if n == 0 {
        return [0.0, 0.0];
    }
    if area.abs() < 1e-12 {
        let (sx, sy) = ring
            .iter()
            .fold((0.0, 0.0), |(sx, sy), p| (sx + p[0], sy + p[1]));
        return [sx / n as f64, sy / n as f64];
    }
    let (mut cx, mut cy) = (0.0, 0.0);
    for i in 0..n {
        let [x0, y0] = ring[i];
        let [x1, y1] = ring[(i + 1) % n];
        let cross = x0 * y1 - x1 * y0;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    [cx / (6.0 * area), cy / (6.0 * area)]
}

/// Whether a point lies inside a ring (even-odd rule, boundary undecided).
pub fn ring_contains(ring: &[Point], point: Point) -> bool {
    let [px, py] = point;
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let [x0, y0] = ring[i];
        let [x1, y1] = ring[(i + 1) % n];
        if (y0 > py) != (y1 > py) && px < x0 + (py - y0) * (x1 - x0) / (y1 - y0) {
            inside = !inside;
        }
    }
    inside
}

/// Whether a point lies inside a shape: in some outer ring and none of its holes.
pub fn shape_contains(shape: &Shape, point: Point) -> bool {
    shape.iter().any(|polygon| {
        let mut rings = polygon.iter();
        rings
            .next()
            .is_some_and(|outer| ring_contains(outer, point))
            && !rings.any(|hole| ring_contains(hole, point))
    })
}

/// The distance from a point to the nearest edge of a ring.
pub fn distance_to_ring(ring: &[Point], point: Point) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| distance_to_segment(ring[i], ring[(i + 1) % n], point))
        .fold(f64::INFINITY, f64::min)
}

fn distance_to_segment(a: Point, b: Point, p: Point) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length_squared).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: [Point; 4] = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];

    #[test]
    fn a_counterclockwise_square_has_positive_area_and_its_centre_as_centroid() {
        assert_eq!(signed_area(&SQUARE), 4.0);
        let mut clockwise = SQUARE.to_vec();
        clockwise.reverse();
        assert_eq!(signed_area(&clockwise), -4.0);
        assert_eq!(centroid(&SQUARE), [1.0, 1.0]);
    }

    #[test]
    fn a_hole_is_subtracted_and_excluded() {
        let hole = vec![[0.5, 0.5], [1.0, 0.5], [1.0, 1.0], [0.5, 1.0]];
        let polygon = vec![SQUARE.to_vec(), hole];
        assert_eq!(polygon_area(&polygon), 3.75);
        let shape = vec![polygon];
        assert!(shape_contains(&shape, [1.5, 1.5]));
        assert!(!shape_contains(&shape, [0.75, 0.75]));
        assert!(!shape_contains(&shape, [3.0, 1.0]));
    }

    #[test]
    fn distance_to_a_ring_is_to_its_nearest_edge() {
        assert!((distance_to_ring(&SQUARE, [1.0, 0.5]) - 0.5).abs() < 1e-12);
        assert!((distance_to_ring(&SQUARE, [3.0, 1.0]) - 1.0).abs() < 1e-12);
    }
}
