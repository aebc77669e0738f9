//! The JSON messages of the live stream. Each is built from the projection under its read
//! lock and serialized once into shared bytes that every screen of the scope receives.
//!
//! Every message names the hub's `epoch` (a string: a random 64-bit value in hex, because
//! JavaScript numbers cannot carry 64 bits) so a client can tell a restarted server from
//! a gap in the numbering. Summaries and rows are absolute values, never increments, so a
//! message applied twice or after a snapshot that already held its change does no harm.
//!
//! Every message leaves here as a WebSocket frame ([`frame::text`]), ready to be written
//! to any number of sockets.

use bytes::Bytes;
use serde_json::{Value, json};

use super::frame;
use super::pending::Dirty;
use super::scope::Scope;
use crate::domain::region::{Level, RegionCode};
use crate::engine::Engine;
use crate::http::wire::{ChildRow, FunnelView};
use crate::projections::{Counts, Projection};
use crate::regions::RegionTree;
use crate::workflow::Warning;

/// How many of the newest warnings a snapshot lists.
pub const RECENT: usize = 20;

/// The most warnings one delta lists. When a window changed more, the newest by raising
/// time are kept: a warning with this many newer changed ones cannot be among the
/// `RECENT` newest of its scope, so a screen's list stays exact.
pub const DELTA_WARNINGS: usize = 100;

/// The first message of a stream, and what a screen that fell behind gets instead of the
/// deltas it can no longer be given.
pub fn snapshot(engine: &Engine, scope: &Scope, epoch: &str, seq: u64) -> Bytes {
    let tree = engine.regions();
    let code = scope.code();
    let (summary, regions, recent) = engine.read(|p| snapshot_parts(p, tree, code));
    let mut message = json!({
        "type": "snapshot",
        "epoch": epoch,
        "seq": seq,
        "scope": scope.label(),
        "code": code.as_str(),
        "name": tree.get(code).map(|r| r.name.as_str()),
        "summary": summary,
        "regions": regions,
        "recent": recent,
        "at": engine.now(),
    });
    add_funnel(&mut message, engine, code);
    frame::text(&message.to_string())
}

/// What a snapshot of `code` shows: its summary, a row per child, its newest warnings.
/// Each is read from the projection's kept counts and indexes, so a snapshot costs the
/// same at a million warnings as at a hundred.
pub(crate) fn snapshot_parts(
    p: &Projection,
    tree: &RegionTree,
    code: &RegionCode,
) -> (Value, Vec<ChildRow>, Vec<Value>) {
    let regions: Vec<ChildRow> = tree
        .children(code)
        .iter()
        .map(|child| ChildRow::of(p, tree, child))
        .collect();
    let recent: Vec<Value> = newest(p, code, RECENT)
        .into_iter()
        .map(|w| small_view(tree, w))
        .collect();
    (summary(&p.rolled_up(code)), regions, recent)
}

/// The changes of one window under a scope: its new summary, the child rows that changed
/// and the warnings that changed, as they stand now, each as briefly as the scope's
/// screens list it ([`brief`]): a delta goes to every screen of the scope ten times a
/// second, so its size is paid ten thousand times over.
pub fn delta(engine: &Engine, scope: &Scope, epoch: &str, seq: u64, dirty: &Dirty) -> Bytes {
    let tree = engine.regions();
    let code = scope.code();
    let (summary, regions, warnings, omitted) = engine.read(|p| {
        let regions: Vec<ChildRow> = dirty
            .children
            .iter()
            .map(|child| ChildRow::of(p, tree, child))
            .collect();
        let changed: Vec<&Warning> = dirty
            .warnings
            .iter()
            .filter_map(|id| p.warnings.get(id.as_str()).map(Box::as_ref))
            .collect();
        let omitted = changed.len().saturating_sub(DELTA_WARNINGS);
        let warnings: Vec<Value> = keep_newest(changed, DELTA_WARNINGS)
            .into_iter()
            .map(|w| brief(tree, code.level(), w))
            .collect();
        (summary(&p.rolled_up(code)), regions, warnings, omitted)
    });
    let mut message = json!({
        "type": "delta",
        "epoch": epoch,
        "seq": seq,
        "scope": scope.label(),
        "summary": summary,
        "regions": regions,
        "warnings": warnings,
        "at": engine.now(),
    });
    if omitted > 0 {
        message["warnings_omitted"] = json!(omitted);
    }
    add_funnel(&mut message, engine, code);
    frame::text(&message.to_string())
}

/// The cockpit's funnel of this year's warnings (as `GET /api/funnel` gives it, rule
/// names left to the screen): whole numbers, so a delta simply replaces it. A few hundred
/// towns' figures, read from kept counts: cheap at any size.
fn add_funnel(message: &mut Value, engine: &Engine, code: &RegionCode) {
    if !matches!(
        code.level(),
        Level::City | Level::Prefecture | Level::Province
    ) {
        return;
    }
    let year = chrono::Datelike::year(&crate::domain::date::shanghai_day(engine.now()));
    let tree = engine.regions();
    let funnel = engine.read(|p| FunnelView::of(p, tree, code, year, &|_| None));
    message["funnel"] = serde_json::to_value(funnel).expect("funnels serialize");
}

/// The idle heartbeat a browser can see (WebSocket Ping frames are invisible to page
/// scripts), so a wall can show when it last heard from the server.
pub fn ping(engine: &Engine, epoch: &str) -> Bytes {
    let message = json!({ "type": "ping", "epoch": epoch, "at": engine.now() });
    frame::text(&message.to_string())
}

/// The figures of a scope as `GET /api/regions/{code}/summary` shows them, with the
/// colour its map shape takes.
fn summary(counts: &Counts) -> Value {
    let mut value = serde_json::to_value(counts.summary()).expect("summaries serialize");
    value["worst"] = json!(counts.worst());
    value
}

/// A warning as a wall lists it: enough to show and colour a row, nothing personal
/// beyond the title (walls hang in public halls).
fn small_view(tree: &RegionTree, w: &Warning) -> Value {
    json!({
        "id": w.id,
        "region": w.region.as_str(),
        "region_name": tree.get(&w.region).map(|r| r.name.as_str()),
        "title": w.title,
        "severity": w.severity,
        "level": w.colour().as_str(),
        "state": w.step.as_str(),
        "version": w.version,
        "rule": w.rule(),
        "raised_at": w.raised_at,
        "updated_at": w.updated_at,
        "deadline": w.deadline,
        "overdue": w.is_overdue(),
        "supervised": w.under_supervision(),
    })
}

/// A changed warning in a delta. The cockpit merges deltas into its list of the newest
/// warnings, which shows title, place, time, rule and colour; town and village walls
/// re-read their lists from the API when a delta names a warning, so they need only which
/// warning changed and how it stands. Snapshots carry the full [`small_view`].
fn brief(tree: &RegionTree, level: Level, w: &Warning) -> Value {
    // The command-center cockpit (a county's, a prefecture's or a province's) lists them.
    if matches!(level, Level::City | Level::Prefecture | Level::Province) {
        json!({
            "id": w.id,
            "region": w.region.as_str(),
            "region_name": tree.get(&w.region).map(|r| r.name.as_str()),
            "title": w.title,
            "level": w.colour().as_str(),
            "state": w.step.as_str(),
            "rule": w.rule(),
            "raised_at": w.raised_at,
        })
    } else {
        json!({
            "id": w.id,
            "title": w.title,
            "level": w.colour().as_str(),
            "state": w.step.as_str(),
        })
    }
}

/// The `n` newest warnings within `code`, newest first: the first `n` of the region's
/// list index, so a snapshot costs the same at a million warnings as at a hundred.
fn newest<'p>(p: &'p Projection, code: &RegionCode, n: usize) -> Vec<&'p Warning> {
    p.index
        .by_region
        .get(code)
        .into_iter()
        .flatten()
        .take(n)
        .filter_map(|key| p.warnings.get(key.id()).map(Box::as_ref))
        .collect()
}

/// Keeps the `n` newest warnings (by raising time, then id), newest first.
fn keep_newest(mut warnings: Vec<&Warning>, n: usize) -> Vec<&Warning> {
    let newer_first =
        |a: &&Warning, b: &&Warning| b.raised_at.cmp(&a.raised_at).then_with(|| b.id.cmp(&a.id));
    if warnings.len() > n && n > 0 {
        warnings.select_nth_unstable_by(n - 1, newer_first);
    }
    warnings.truncate(n);
    warnings.sort_unstable_by(newer_first);
    warnings
}
