//! Wire shapes of warnings and events. Domain types stay free of the API's field names.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::auth::Actor;
use crate::engine::Engine;
use crate::store::RecordedEvent;
use crate::workflow::Warning;
use crate::workflow::command::allowed_for;

/// A warning as the API shows it; `history` is included for single-warning reads.
pub fn warning_view(
    engine: &Engine,
    actor: &Actor,
    w: &Warning,
    history: Option<&[RecordedEvent]>,
) -> Value {
    let now = engine.now();
    let region_name = engine.regions().get(&w.region).map(|r| r.name.clone());
    let mut view = json!({
        "id": w.id,
        "region": w.region.as_str(),
        "region_name": region_name,
        "title": w.title,
        "severity": w.severity,
        "subject": w.subject,
        "rule": w.rule(),
        "evidence": w.evidence,
        "level": w.colour().as_str(),
        "state": w.step.as_str(),
        "version": w.version,
        "deadline": w.deadline,
        "overdue": w.is_overdue(),
        "overdue_since": w.overdue_since,
        "days_overdue": w.overdue_since.filter(|_| w.is_overdue()).map(|since| days_between(since, now)),
        "respond_by": w.respond_by,
        "supervision": w.rung.map(|rung| json!({
            "misses": w.misses,
            "rung": rung,
            "holder": w.holder,
            "open": w.under_supervision(),
        })),
        "extensions": w.extensions,
        "observation_until": w.observation_until,
        "raised_at": w.raised_at,
        "updated_at": w.updated_at,
        "last_reason": w.last_reason,
        "relapses": w.relapses,
        "reminder": w.reminder,
        "reminder_acknowledged_at": w.reminder_acknowledged_at,
        "allowed": allowed_for(w, actor, now, engine.settings()),
    });
    if let Some(history) = history {
        view["history"] = history
            .iter()
            .filter(|e| e.version <= w.version)
            .map(event_view)
            .collect();
    }
    view
}

pub fn event_view(e: &RecordedEvent) -> Value {
    let mut data = e.data.clone();
    if let Value::Object(map) = &mut data {
        map.remove("kind");
    }
    json!({
        "version": e.version,
        "position": e.position,
        "kind": e.kind,
        "at": e.at,
        "actor": e.actor,
        "command_id": e.command_id,
        "data": data,
    })
}

/// Whole days from `from` to `to`, rounded down, never negative.
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days().max(0)
}
