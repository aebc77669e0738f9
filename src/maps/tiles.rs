//! A generated tile map for regions without a boundary shape. Most of China's towns and
//! villages have no boundary file anyone may publish, so a wall must not show an empty
//! panel for them: their children are drawn as hexagons in rows, ordered by code, each
//! named and carrying its own digits of the code, as `path.region[data-code]` like a
//! shape, so the screens colour and drill down through tiles exactly as through shapes.

use super::render::{MapRegion, WIDTH};
use crate::domain::region::RegionCode;

/// The margin kept clear around the tiles, in view-box units (as for shapes).
const MARGIN: f64 = 16.0;
/// The widest a tile gets, so that two or three children do not fill a wall with one hexagon.
const MAX_TILE_WIDTH: f64 = 200.0;
/// Hexagons in a wide row: the tile map of n children has about √(n·ASPECT) columns,
/// which keeps it about as wide as the panels are.
const ASPECT: f64 = 1.8;
/// The font sizes a tile's name may take (CSS classes `fs-N` of `wall.css`): a class per
/// size, because the screens' Content-Security-Policy allows no inline style.
pub const FONT_SIZES: [u32; 6] = [12, 16, 20, 24, 28, 34];

/// One tile, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    pub region: MapRegion,
    /// The region's own digits of its code (a town's three, a village's three).
    pub digits: String,
    /// The font size of its name, one of `FONT_SIZES`.
    pub font: u32,
    /// Its name as drawn: cut with "…" where the whole name does not fit.
    pub text: String,
}

/// Lays out `children` (code and name, in any order) as hexagons from `top` down, filling
/// the view box's width; returns the tiles ordered by code and the height they take
/// (margin included).
pub fn layout(children: &[(RegionCode, String)], top: f64) -> (Vec<Tile>, f64) {
    if children.is_empty() {
        return (Vec::new(), 0.0);
    }
    let mut ordered = children.to_vec();
    ordered.sort_by_key(|child| child.0);
    let n = ordered.len();
    let columns = ((n as f64 * ASPECT).sqrt().ceil() as usize).clamp(1, n);
    let rows = n.div_ceil(columns);
    let offset_rows = rows > 1;
    let usable = WIDTH - 2.0 * MARGIN;
    let width =
        (usable / (columns as f64 + if offset_rows { 0.5 } else { 0.0 })).min(MAX_TILE_WIDTH);
    let height = width * 2.0 / 3f64.sqrt();
    let row_step = height * 0.75;
    let used_width = width * (columns as f64 + if offset_rows { 0.5 } else { 0.0 });
    let left = MARGIN + (usable - used_width) / 2.0;
    let tiles = ordered
        .iter()
        .enumerate()
        .map(|(i, (code, name))| {
            let (row, column) = (i / columns, i % columns);
            let shift = if row % 2 == 1 { width / 2.0 } else { 0.0 };
            let cx = left + shift + width * (column as f64 + 0.5);
            let cy = top + MARGIN + height / 2.0 + row_step * row as f64;
            tile(*code, name, [cx, cy], width, height)
        })
        .collect();
    let total = 2.0 * MARGIN + height + row_step * (rows as f64 - 1.0);
    (tiles, total.round())
}

fn tile(code: RegionCode, name: &str, centre: [f64; 2], width: f64, height: f64) -> Tile {
    // A little smaller than the cell, so neighbours are told apart by a gap.
    let (w, h) = (width * 0.47, height * 0.47);
    let [cx, cy] = centre;
    let corners = [
        [cx, cy - h],
        [cx + w, cy - h / 2.0],
        [cx + w, cy + h / 2.0],
        [cx, cy + h],
        [cx - w, cy + h / 2.0],
        [cx - w, cy - h / 2.0],
    ];
    let mut d = String::new();
    for (i, [x, y]) in corners.iter().enumerate() {
        d.push_str(&format!("{}{x:.1} {y:.1}", if i == 0 { 'M' } else { 'L' }));
    }
    d.push('Z');
    let short = spoken_name(name);
    let font = font_for(&short, width, height);
    Tile {
        region: MapRegion {
            code,
            name: name.to_owned(),
            d,
            label: [round(cx), round(cy - font as f64 * 0.35)],
        },
        digits: code.own_digits().to_owned(),
        font,
        text: fitted_name(&short, font, width),
    }
}

/// The name as people say it, for a tile's label: the bureau's official 村委会/居委会 (the
/// committee) shortened to 村/社区. The official name stays in `data-name`.
fn spoken_name(name: &str) -> String {
    for (official, spoken) in [
        ("村民委员会", "村"),
        ("居民委员会", "社区"),
        ("村委会", "村"),
        ("社区居委会", "社区"),
        ("居委会", "社区"),
    ] {
        if let Some(stem) = name.strip_suffix(official)
            && !stem.is_empty()
        {
            return format!("{stem}{spoken}");
        }
    }
    name.to_owned()
}

/// The largest listed size at which the name fits the tile's width, or the smallest.
fn font_for(name: &str, width: f64, height: f64) -> u32 {
    let chars = name.chars().count().max(2) as f64;
    let fits = (width * 0.8 / chars).min(height * 0.3);
    FONT_SIZES
        .iter()
        .rev()
        .copied()
        .find(|&size| size as f64 <= fits)
        .unwrap_or(FONT_SIZES[0])
}

/// The next listed size below `font` (for the code under a name), or the smallest.
pub fn smaller(font: u32) -> u32 {
    FONT_SIZES
        .iter()
        .rev()
        .copied()
        .find(|&size| size < font)
        .unwrap_or(FONT_SIZES[0])
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A name cut to what fits a tile at its font size, with "…" when cut (the whole name is
/// in the tile's `data-name` and in its tooltip).
fn fitted_name(name: &str, font: u32, tile_width: f64) -> String {
    let room = ((tile_width * 0.85) / font as f64).floor().max(2.0) as usize;
    if name.chars().count() <= room {
        return name.to_owned();
    }
    let kept: String = name.chars().take(room - 1).collect();
    format!("{kept}…")
}
