//! Charts drawn on the server as SVG with plotters: the trend of raised and rectified
//! warnings, rectification rates per child region, and warnings by rule domain.
//!
//! `data.rs` extracts what a chart shows from the projection (pure, unit-tested);
//! `draw.rs` draws it. [`ChartCache`] keeps each drawn chart with a fingerprint of its
//! data: a request at the same log position (and, for the trend, the same day) is served
//! without looking at the warnings, and a chart whose data did not change is not redrawn.
//! The fingerprint is the chart's ETag, so it changes exactly when the picture does.

pub mod data;
pub mod draw;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::NaiveDate;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use crate::domain::region::{Level, RegionCode};
use crate::engine::Engine;
use crate::rules::catalogue::Catalogue;
pub use draw::DrawError;

/// Which chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Trend,
    Rectification,
    Domains,
}

/// A chart of one region; `days` only matters for the trend (zero for the others).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChartKey {
    pub kind: ChartKind,
    pub region: RegionCode,
    pub days: u32,
}

/// The longest trend a chart draws.
pub const MAX_DAYS: u32 = 366;

/// A drawn chart and the fingerprint of its data.
#[derive(Clone, Debug)]
pub struct Drawn {
    pub etag: String,
    pub svg: Arc<String>,
}

#[derive(Clone)]
struct Entry {
    position: u64,
    day: NaiveDate,
    drawn: Drawn,
}

/// Drawn charts by key. Bounded: at most `CAPACITY` entries, the least recently used
/// going first (the screens ask for a handful of charts; a client walking every key only
/// pushes out its own).
pub struct ChartCache {
    entries: Cache<ChartKey, Entry>,
}

const CAPACITY: usize = 512;

impl Default for ChartCache {
    fn default() -> ChartCache {
        ChartCache {
            entries: Cache::new(CAPACITY),
        }
    }
}

impl ChartCache {
    /// The chart for `key`, drawn now only if its data changed since it was last drawn.
    /// `key.region` must be in the engine's region tree.
    pub fn chart(
        &self,
        engine: &Engine,
        catalogue: &Catalogue,
        key: ChartKey,
    ) -> Result<Drawn, DrawError> {
        let day = data::shanghai_day(engine.now());
        let position = engine.read(|p| p.position);
        let cached = self.lookup(&key, |e| e.position == position && e.day == day);
        if let Some(drawn) = cached {
            return Ok(drawn);
        }
        let (fingerprint, draw) = extract(engine, catalogue, key, day);
        let unchanged = self.lookup(&key, |e| e.drawn.etag == fingerprint);
        let drawn = match unchanged {
            Some(drawn) => drawn,
            None => Drawn {
                etag: fingerprint,
                svg: Arc::new(draw()?),
            },
        };
        let entry = Entry {
            position,
            day,
            drawn: drawn.clone(),
        };
        self.entries.insert(key, entry);
        Ok(drawn)
    }

    fn lookup(&self, key: &ChartKey, fresh: impl Fn(&Entry) -> bool) -> Option<Drawn> {
        self.entries
            .get(key)
            .filter(|e| fresh(e))
            .map(|e| e.drawn.clone())
    }
}

type Draw = Box<dyn FnOnce() -> Result<String, DrawError>>;

/// Reads a chart's data under the projection lock; returns its fingerprint and how to
/// draw it (outside the lock).
fn extract(
    engine: &Engine,
    catalogue: &Catalogue,
    key: ChartKey,
    today: NaiveDate,
) -> (String, Draw) {
    let tree = engine.regions();
    let name = tree
        .get(&key.region)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    match key.kind {
        ChartKind::Trend => {
            // Only what was raised or verified within the window counts; the indexes
            // give just that, so a trend costs its window, not the whole log.
            let from = data::window_start(today, key.days);
            let days = engine.read(|p| {
                data::trend(
                    p.active_since(&key.region, from),
                    &key.region,
                    today,
                    key.days,
                )
            });
            let title = format!("{name} 近{}日预警趋势", key.days);
            (
                fingerprint(&key, &days),
                Box::new(move || draw::trend(&title, &days)),
            )
        }
        ChartKind::Rectification => {
            let rates = engine.read(|p| data::rectification(p, tree, &key.region));
            let parts = match key.region.level() {
                Level::Province => "各市",
                Level::Prefecture => "各县区",
                Level::City => "各镇街",
                Level::Town => "各村社区",
                Level::Village => "",
            };
            let title = format!("{name} {parts}整改情况");
            (
                fingerprint(&key, &rates),
                Box::new(move || draw::rectification(&title, &rates)),
            )
        }
        ChartKind::Domains => {
            let counts = engine.read(|p| {
                data::domains(p.warnings.values().map(Box::as_ref), catalogue, &key.region)
            });
            let title = format!("{name} 预警领域分布");
            (
                fingerprint(&key, &counts),
                Box::new(move || draw::domains(&title, &counts)),
            )
        }
    }
}

/// A strong ETag from the chart and everything it shows.
fn fingerprint(key: &ChartKey, data: &impl std::fmt::Debug) -> String {
    let digest = Sha256::digest(format!("{key:?}{data:?}").as_bytes());
    format!("\"{}\"", hex::encode(&digest[..10]))
}
