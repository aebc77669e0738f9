//! Drawing a map: the shapes of a region's children projected to the plane, fitted to a
//! view box, as SVG paths that carry their region code. The screens colour them by code
//! (CSS or attributes), so no colour is drawn here.

use super::geometry::{Point, Shape, centroid, polygon_area};
use super::tiles::Tile;
use crate::domain::region::RegionCode;

/// The width of every map's view box; the height follows the shapes' proportions.
pub const WIDTH: f64 = 1000.0;
/// The margin kept clear around the shapes, in view-box units.
const MARGIN: f64 = 16.0;

/// One region as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct MapRegion {
    pub code: RegionCode,
    pub name: String,
    /// SVG path data in view-box units.
    pub d: String,
    /// Where its label goes: the centroid of its largest polygon.
    pub label: Point,
}

/// A map of the children of one region.
#[derive(Clone, Debug, PartialEq)]
pub struct MapView {
    pub code: RegionCode,
    pub name: String,
    /// `0 0 WIDTH HEIGHT`.
    pub view_box: String,
    /// The children with a boundary shape.
    pub regions: Vec<MapRegion>,
    /// The children without one, as generated tiles below the shapes.
    pub tiles: Vec<Tile>,
}

/// Equirectangular projection about `latitude0`: east is +x, north is −y (SVG's y points
/// down), and a degree of longitude is shortened by cos(latitude0) so shapes keep their
/// proportions.
pub fn project(point: Point, latitude0: f64) -> Point {
    [point[0] * latitude0.to_radians().cos(), -point[1]]
}

/// Scales and shifts projected points into a view box `WIDTH` wide.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub min: Point,
    pub scale: f64,
    pub height: f64,
}

impl Fit {
    /// The fit of a bounding box (`min`, `max`) of projected points.
    pub fn new(min: Point, max: Point) -> Fit {
        let (width, height) = ((max[0] - min[0]).max(1e-9), (max[1] - min[1]).max(1e-9));
        let scale = (WIDTH - 2.0 * MARGIN) / width;
        Fit {
            min,
            scale,
            height: (height * scale + 2.0 * MARGIN).round(),
        }
    }

    pub fn apply(&self, p: Point) -> Point {
        [
            MARGIN + (p[0] - self.min[0]) * self.scale,
            MARGIN + (p[1] - self.min[1]) * self.scale,
        ]
    }
}

/// Draws `shapes` (code, name, shape in longitude/latitude) as the map of `code`.
pub fn map_view(code: RegionCode, name: &str, shapes: &[(RegionCode, String, &Shape)]) -> MapView {
    let points = || {
        shapes
            .iter()
            .flat_map(|(_, _, s)| s.iter().flatten().flatten())
    };
    let (lat_min, lat_max) = points().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p[1]), hi.max(p[1]))
    });
    let latitude0 = if shapes.is_empty() {
        0.0
    } else {
        (lat_min + lat_max) / 2.0
    };
    let (min, max) = points().map(|p| project(*p, latitude0)).fold(
        ([f64::MAX; 2], [f64::MIN; 2]),
        |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        },
    );
    let fit = if shapes.is_empty() {
        Fit::new([0.0; 2], [1.0; 2])
    } else {
        Fit::new(min, max)
    };
    let to_view = |p: &Point| fit.apply(project(*p, latitude0));
    let regions = shapes
        .iter()
        .map(|(code, name, shape)| MapRegion {
            code: *code,
            name: name.clone(),
            d: path_data(shape, &to_view),
            label: label_point(shape, &to_view),
        })
        .collect();
    MapView {
        code,
        name: name.to_owned(),
        view_box: format!("0 0 {} {}", WIDTH, fit.height),
        regions,
        tiles: Vec::new(),
    }
}

/// The map of `code` from the shapes of the children that have one and generated tiles
/// for those that do not: shapes on top, tiles below them (all tiles when no child has a
/// shape).
pub fn mixed_view(
    code: RegionCode,
    name: &str,
    shapes: &[(RegionCode, String, &Shape)],
    shapeless: &[(RegionCode, String)],
) -> MapView {
    if shapes.is_empty() && !shapeless.is_empty() {
        let (tiles, height) = super::tiles::layout(shapeless, 0.0);
        return MapView {
            code,
            name: name.to_owned(),
            view_box: format!("0 0 {WIDTH} {height}"),
            regions: Vec::new(),
            tiles,
        };
    }
    let mut view = map_view(code, name, shapes);
    if !shapeless.is_empty() {
        let top = view.height();
        let (tiles, height) = super::tiles::layout(shapeless, top);
        view.tiles = tiles;
        view.view_box = format!("0 0 {WIDTH} {}", top + height);
    }
    view
}

/// `M x y L x y … Z` for every ring, one decimal place (a tenth of a view-box unit).
fn path_data(shape: &Shape, to_view: &impl Fn(&Point) -> Point) -> String {
    let mut d = String::new();
    for ring in shape.iter().flatten() {
        for (i, point) in ring.iter().enumerate() {
            let [x, y] = to_view(point);
            d.push_str(&format!(
                "{}{:.1} {:.1}",
                if i == 0 { 'M' } else { 'L' },
                x,
                y
            ));
        }
        d.push('Z');
    }
    d
}

fn label_point(shape: &Shape, to_view: &impl Fn(&Point) -> Point) -> Point {
    let largest = shape
        .iter()
        .max_by(|a, b| polygon_area(a).total_cmp(&polygon_area(b)));
    let outer: Vec<Point> = largest
        .and_then(|p| p.first())
        .map(|ring| ring.iter().map(to_view).collect())
        .unwrap_or_default();
    let [x, y] = centroid(&outer);
    [(x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0]
}

impl MapView {
    /// The height of the view box.
    pub fn height(&self) -> f64 {
        self.view_box
            .rsplit(' ')
            .next()
            .and_then(|h| h.parse().ok())
            .unwrap_or(0.0)
    }

    /// The map as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"map\" viewBox=\"{}\" data-code=\"{}\" data-name=\"{}\">\n<g class=\"regions\">\n",
            self.view_box,
            self.code,
            escape(&self.name)
        );
        for region in &self.regions {
            svg.push_str(&format!(
                "<path class=\"region\" data-code=\"{}\" data-name=\"{}\" fill-rule=\"evenodd\" d=\"{}\"/>\n",
                region.code,
                escape(&region.name),
                region.d
            ));
        }
        for tile in &self.tiles {
            svg.push_str(&format!(
                "<path class=\"region tile\" data-code=\"{}\" data-name=\"{}\" d=\"{}\"/>\n",
                tile.region.code,
                escape(&tile.region.name),
                tile.region.d
            ));
        }
        svg.push_str("</g>\n<g class=\"labels\">\n");
        for region in &self.regions {
            let [x, y] = region.label;
            svg.push_str(&format!(
                "<text class=\"label\" data-code=\"{}\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>\n",
                region.code,
                escape(&region.name)
            ));
        }
        for tile in &self.tiles {
            let [x, y] = tile.region.label;
            let code_y = ((y + tile.font as f64 * 1.15) * 10.0).round() / 10.0;
            svg.push_str(&format!(
                "<text class=\"label tile fs-{font}\" data-code=\"{code}\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>\n\
                 <text class=\"label tile code fs-{small}\" data-code=\"{code}\" x=\"{x}\" y=\"{code_y}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>\n",
                escape(&tile.text),
                tile.digits,
                font = tile.font,
                small = super::tiles::smaller(tile.font),
                code = tile.region.code,
            ));
        }
        svg.push_str("</g>\n</svg>\n");
        svg
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}
