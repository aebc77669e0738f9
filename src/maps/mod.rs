//! Region maps: boundaries read from a GeoJSON file keyed by region code (`geojson.rs`),
//! drawn once at start-up as SVG (`render.rs`), one map per region showing its children
//! (a village's map shows the village itself). Shapes never change while the server runs,
//! so every map is drawn once and served from memory.

pub mod geojson;
pub mod geometry;
pub mod render;

#[cfg(test)]
mod tests;

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
                let shapes: Vec<_> = shown
                    .iter()
                    .filter_map(|code| {
                        let shape = boundaries.shapes.get(code)?;
                        let name = tree.get(code).map(|r| r.name.clone()).unwrap_or_default();
                        Some((*code, name, shape))
                    })
                    .collect();
                let view = render::map_view(region.code, &region.name, &shapes);
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
