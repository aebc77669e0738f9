//! The wire shapes of regions: the tree, a region's summary, its children's rows, maps.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{optional_region_code_schema, region_code_schema, worst_schema};
use crate::domain::region::{Level, RegionCode};
use crate::projections::{Projection, Summary};
use crate::regions::RegionTree;

/// One region the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionRow {
    #[schema(schema_with = region_code_schema)]
    pub code: String,
    pub name: String,
    pub level: Level,
    /// Null only for the root.
    #[schema(schema_with = optional_region_code_schema)]
    pub parent: Option<String>,
}

/// `GET /api/regions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionList {
    pub regions: Vec<RegionRow>,
}

/// A child region's row, in a region's summary and in the live stream's snapshots and
/// deltas alike.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChildRow {
    #[schema(schema_with = region_code_schema)]
    pub code: String,
    pub name: Option<String>,
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
    pub overdue: i64,
    /// The worst level held: `red`, `yellow`, `green`, or `none` without warnings.
    #[schema(schema_with = worst_schema)]
    pub worst: &'static str,
}

impl ChildRow {
    /// The row of `code` as the projection rolls it up.
    pub fn of(p: &Projection, tree: &RegionTree, code: &RegionCode) -> ChildRow {
        let counts = p.rolled_up(code);
        ChildRow {
            code: code.as_str().to_string(),
            name: tree.get(code).map(|r| r.name.clone()),
            red: counts.red,
            yellow: counts.yellow,
            green: counts.green,
            overdue: counts.overdue,
            worst: counts.worst(),
        }
    }
}

/// `GET /api/regions/{code}/summary`: counts rolled up over the region, and per child.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionSummary {
    #[serde(flatten)]
    pub counts: Summary,
    #[schema(schema_with = region_code_schema)]
    pub code: String,
    pub name: String,
    pub level: Level,
    #[schema(schema_with = worst_schema)]
    pub worst: &'static str,
    /// The children's rows.
    pub regions: Vec<ChildRow>,
    /// Warnings raised since `today_since` (midnight in Asia/Shanghai).
    pub raised_today: i64,
    /// Rectifications verified since `today_since`.
    pub rectified_today: i64,
    pub today_since: DateTime<Utc>,
}

/// `GET /api/maps/{code}`: a region's map, for screens that draw the SVG in place.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapJson {
    #[schema(schema_with = region_code_schema)]
    pub code: String,
    pub name: String,
    /// `0 0 WIDTH HEIGHT`.
    #[serde(rename = "viewBox")]
    pub view_box: String,
    /// The children: shapes where a boundary is known, else generated tiles.
    pub regions: Vec<MapShape>,
}

/// A child region on a map.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapShape {
    #[schema(schema_with = region_code_schema)]
    pub code: String,
    pub name: String,
    /// SVG path data in view-box units.
    pub d: String,
    /// Where its label goes, `[x, y]`.
    pub label: [f64; 2],
    /// A generated tile rather than a boundary.
    pub tile: bool,
}
