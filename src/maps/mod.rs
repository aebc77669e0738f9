//! Region maps: boundaries read from a GeoJSON file keyed by region code (`geojson.rs`),
//! drawn as SVG (`render.rs`) when first asked for, one map per region showing its children
//! (a village's map shows the village itself). Children without a shape are drawn as
//! generated tiles (`tiles.rs`), so a tree with no boundary file at all still has maps.
//! Shapes never change while the server runs, so a drawn map is kept (the most used).

pub mod geojson;
pub mod geometry;
pub mod render;
pub mod tiles;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tiles_tests;

use std::sync::Arc;

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

/// Every region's map, drawn when first asked for and kept while asked for often.
///
/// A province has some 52,000 regions; drawing every map at start cost about 100 MB and
/// most are never looked at (a village's own map is its one tile). A screen asks for the
/// same few maps again and again, so the most recently used are kept.
pub struct Maps {
    tree: Arc<RegionTree>,
    boundaries: Boundaries,
    drawn: quick_cache::sync::Cache<RegionCode, Arc<RenderedMap>>,
    /// Regions of the tree without a shape.
    pub missing: Vec<RegionCode>,
}

/// How many drawn maps are kept: every town of a large county and then some.
const MAPS_KEPT: usize = 2_048;

impl std::fmt::Debug for Maps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maps")
            .field("regions", &self.tree.len())
            .field("drawn", &self.drawn.len())
            .finish_non_exhaustive()
    }
}

impl Maps {
    /// The maps of every region of the tree (the one the engine shares), drawn as they are
    /// asked for.
    pub fn build(tree: Arc<RegionTree>, boundaries: Boundaries) -> Maps {
        Maps {
            missing: boundaries.missing(&tree),
            tree,
            boundaries,
            drawn: quick_cache::sync::Cache::new(MAPS_KEPT),
        }
    }

    /// The map of a region of the tree.
    pub fn get(&self, code: &RegionCode) -> Option<Arc<RenderedMap>> {
        let region = self.tree.get(code)?;
        let drawn = self.drawn.get_or_insert_with(code, || {
            Ok::<_, std::convert::Infallible>(Arc::new(self.draw(region)))
        });
        drawn.ok()
    }

    /// A region's map: its children (a village itself), shapes where the boundary file has
    /// them and tiles for the rest.
    fn draw(&self, region: &crate::regions::Region) -> RenderedMap {
        let (tree, boundaries) = (&self.tree, &self.boundaries);
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
        RenderedMap { view, svg }
    }
}
