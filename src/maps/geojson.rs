//! Reading region boundaries from a GeoJSON FeatureCollection keyed by region code
//! (`properties.code`). Strict: the whole file is checked before anything is used, and
//! every error names the file, the feature (by its index in `features`) and the field.
//! Regions of the tree without a feature are allowed; their maps simply lack them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::geometry::{Polygon, Ring, Shape};
use crate::domain::region::RegionCode;
use crate::regions::RegionTree;

/// Why a boundary file could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GeoJsonError {
    #[error("cannot read {file}: {reason}")]
    Io { file: String, reason: String },
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("{file}: feature {index}: {field}: {reason}")]
    Feature {
        file: String,
        index: usize,
        field: String,
        reason: String,
    },
}

/// Each region's shape in longitude and latitude.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Boundaries {
    pub shapes: BTreeMap<RegionCode, Shape>,
}

impl Boundaries {
    /// Reads and checks a boundary file against the region tree.
    pub fn load(path: &Path, tree: &RegionTree) -> Result<Boundaries, GeoJsonError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| GeoJsonError::Io {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        Boundaries::from_str(&file, &text, tree)
    }

    /// Parses GeoJSON text; `file` names it in errors.
    pub fn from_str(file: &str, text: &str, tree: &RegionTree) -> Result<Boundaries, GeoJsonError> {
        let whole = |reason: String| GeoJsonError::File {
            file: file.to_owned(),
            reason,
        };
        let value: Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
            .map_err(|e| whole(format!("not valid JSON: {e}")))?;
        if value.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
            return Err(whole("type must be \"FeatureCollection\"".to_owned()));
        }
        let features = value
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| whole("features must be an array".to_owned()))?;
        let mut shapes = BTreeMap::new();
        let mut first: BTreeMap<RegionCode, usize> = BTreeMap::new();
        for (index, feature) in features.iter().enumerate() {
            let error = |field: &str, reason: String| GeoJsonError::Feature {
                file: file.to_owned(),
                index,
                field: field.to_owned(),
                reason,
            };
            let (code, shape) = parse_feature(feature, tree).map_err(|(f, r)| error(&f, r))?;
            if let Some(earlier) = first.insert(code, index) {
                let reason = format!("{code} already has a shape in feature {earlier}");
                return Err(error("properties.code", reason));
            }
            shapes.insert(code, shape);
        }
        Ok(Boundaries { shapes })
    }

    /// The regions of the tree that have no shape.
    pub fn missing(&self, tree: &RegionTree) -> Vec<RegionCode> {
        tree.iter()
            .map(|r| r.code)
            .filter(|code| !self.shapes.contains_key(code))
            .collect()
    }
}

/// A field path and what is wrong with it.
type FieldError = (String, String);

fn parse_feature(feature: &Value, tree: &RegionTree) -> Result<(RegionCode, Shape), FieldError> {
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(("type".into(), "must be \"Feature\"".into()));
    }
    let code = match feature.pointer("/properties/code") {
        None | Some(Value::Null) => return Err(("properties.code".into(), "is missing".into())),
        Some(Value::String(text)) => text.trim().to_owned(),
        // Real files often store codes as numbers; twelve digits fit a JSON number exactly.
        Some(Value::Number(number)) => number.to_string(),
        Some(other) => {
            return Err((
                "properties.code".into(),
                format!("must be a string, found {other}"),
            ));
        }
    };
    let code = RegionCode::parse(&code).map_err(|e| ("properties.code".into(), e.to_string()))?;
    if tree.get(&code).is_none() {
        return Err((
            "properties.code".into(),
            format!("{code} is not in the region tree"),
        ));
    }
    let geometry = match feature.get("geometry") {
        None | Some(Value::Null) => return Err(("geometry".into(), "is missing".into())),
        Some(geometry) => geometry,
    };
    let coordinates = geometry.get("coordinates").unwrap_or(&Value::Null);
    let shape = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => vec![polygon(coordinates, "geometry.coordinates")?],
        Some("MultiPolygon") => {
            let polygons = array(coordinates, "geometry.coordinates", "an array of polygons")?;
            if polygons.is_empty() {
                return Err(("geometry.coordinates".into(), "has no polygons".into()));
            }
            polygons
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("geometry.coordinates[{i}]")))
                .collect::<Result<Shape, _>>()?
        }
        Some(other) => {
            let reason = format!("is {other}; only Polygon and MultiPolygon are supported");
            return Err(("geometry.type".into(), reason));
        }
        None => return Err(("geometry.type".into(), "is missing".into())),
    };
    Ok((code, shape))
}

fn array<'a>(value: &'a Value, field: &str, what: &str) -> Result<&'a Vec<Value>, FieldError> {
    value
        .as_array()
        .ok_or_else(|| (field.to_owned(), format!("must be {what}")))
}

fn polygon(value: &Value, field: &str) -> Result<Polygon, FieldError> {
    let rings = array(value, field, "an array of rings")?;
    if rings.is_empty() {
        return Err((field.to_owned(), "has no rings".into()));
    }
    rings
        .iter()
        .enumerate()
        .map(|(i, r)| ring(r, &format!("{field}[{i}]")))
        .collect()
}

/// A linear ring: at least four positions, the last equal to the first (RFC 7946 3.1.6).
/// The repeated last position is dropped.
fn ring(value: &Value, field: &str) -> Result<Ring, FieldError> {
    let positions = array(value, field, "an array of positions")?;
    if positions.len() < 4 {
        let reason = format!(
            "a ring needs at least 4 positions, found {}",
            positions.len()
        );
        return Err((field.to_owned(), reason));
    }
    let mut ring: Ring = positions
        .iter()
        .enumerate()
        .map(|(i, p)| position(p, &format!("{field}[{i}]")))
        .collect::<Result<_, _>>()?;
    if ring.first() != ring.last() {
        return Err((
            field.to_owned(),
            "the ring is not closed: its last position must equal its first".into(),
        ));
    }
    ring.pop();
    Ok(ring)
}

fn position(value: &Value, field: &str) -> Result<[f64; 2], FieldError> {
    let numbers: Option<Vec<f64>> = value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(Value::as_f64)
                .collect::<Option<Vec<f64>>>()
        })
        .unwrap_or(None);
    let (lon, lat) = match numbers.as_deref() {
        Some([lon, lat, ..]) => (*lon, *lat),
        _ => {
            let reason = format!("must be [longitude, latitude] numbers, found {value}");
            return Err((field.to_owned(), reason));
        }
    };
    if !(-180.0..=180.0).contains(&lon) {
        return Err((
            field.to_owned(),
            format!("longitude {lon} is outside -180..180"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err((
            field.to_owned(),
            format!("latitude {lat} is outside -90..90"),
        ));
    }
    Ok([lon, lat])
}
