//! Region maps: boundaries read from a GeoJSON file keyed by region code (`geojson.rs`),
//! drawn once at start-up as SVG (`render.rs`), one map per region showing its children
//! (a village's map shows the village itself). Children without a shape are drawn as
//! generated tiles (`tiles.rs`), so a tree with no boundary file at all still has maps. Shapes never change while the server runs,
//! so every map is drawn once and served from memory.

pub mod geojson;
pub mod geometry;
pub mod render;
pub mod tiles;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tiles_tests;

use std::collections::BTreeMap;

use crate::domain::region::RegionCode;
use crate::regions::RegionTree;
pub use geojson::{Boundaries, GeoJsonError};
pub use render::{MapRegion, MapView};

/// One region's map, drawn.
#[derive(Clone, Debug)]
pub struct RenderedMap {
    pub view: MapView,
    pub svg: String,
}

/// Every region's map.
#[derive(Clone, Debug, Default)]
pub struct Maps {
    maps: BTreeMap<RegionCode, RenderedMap>,
    /// Regions of the tree without a shape.
    pub missing: Vec<RegionCode>,
}

impl Maps {
    /// Draws the map of every region of the tree.
    pub fn build(tree: &RegionTree, boundaries: &Boundaries) -> Maps {
        let maps = tree
            .iter()
            .map(|region| {
                let children = tree.children(&region.code);
                let shown: Vec<RegionCode> = if children.is_empty() {
                    vec![region.code]
                } else {
                    children.to_vec()
                };
                let name_of =
                    |code: &RegionCode| tree.get(code).map(|r| r.name.clone()).unwrap_or_default();
                let (with_shape, without): (Vec<RegionCode>, Vec<RegionCode>) = shown
                    .iter()
                    .partition(|code| boundaries.shapes.contains_key(code));
                let shapes: Vec<_> = with_shape
                    .iter()
                    .map(|code| (*code, name_of(code), &boundaries.shapes[code]))
                    .collect();
                let shapeless: Vec<_> = without.iter().map(|code| (*code, name_of(code))).collect();
                let view = render::mixed_view(region.code, &region.name, &shapes, &shapeless);
                let svg = view.to_svg();
                (region.code, RenderedMap { view, svg })
            })
            .collect();
        Maps {
            maps,
            missing: boundaries.missing(tree),
        }
    }

    /// The map of a region of the tree.
    pub fn get(&self, code: &RegionCode) -> Option<&RenderedMap> {
        self.maps.get(code)
    }
}
