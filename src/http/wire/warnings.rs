//! The wire shapes of warnings, their history and pages of them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::region_code_schema;
use crate::auth::Actor;
use crate::engine::{Engine, Page};
use crate::store::RecordedEvent;
use crate::workflow::command::allowed_for;
use crate::workflow::evidence::Evidence;
use crate::workflow::{Colour, Rung, Severity, Step, SupervisionLevel, Warning};

/// A warning as the API shows it; `history` only in single-warning reads and answers to
/// commands.
#[derive(Serialize, ToSchema)]
pub struct WarningView {
    /// `W` + the day it was raised + six characters, e.g. `W20260302-3F9A1C`.
    pub id: String,
    #[schema(schema_with = region_code_schema)]
    pub region: String,
    pub region_name: Option<String>,
    pub title: String,
    pub severity: Severity,
    /// What the warning is about: for a rule's warning, the rule's subject key.
    pub subject: String,
    /// The catalogue code of the rule that raised it; null when raised by hand.
    pub rule: Option<String>,
    /// The rule's evidence, as the rule wrote it (an object, or null).
    #[schema(value_type = Object, nullable)]
    pub evidence: Evidence,
    pub level: Colour,
    /// `reminder` is a yellow reminder (到期提醒) opened by a rule whose catalogue level is
    /// yellow.
    pub state: Step,
    /// The number of events in its history; send it as `If-Match` with a command.
    pub version: u64,
    pub deadline: DateTime<Utc>,
    pub overdue: bool,
    pub overdue_since: Option<DateTime<Utc>>,
    pub days_overdue: Option<i64>,
    /// When the office holding an overdue warning must act before it climbs again.
    pub respond_by: Option<DateTime<Utc>>,
    /// Secondary supervision (监督的再监督), once a deadline was missed.
    pub supervision: Option<SupervisionView>,
    pub extensions: u32,
    pub observation_until: Option<DateTime<Utc>>,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_reason: Option<String>,
    pub relapses: u32,
    /// Opened as a reminder and not turned red.
    pub reminder: bool,
    pub reminder_acknowledged_at: Option<DateTime<Utc>>,
    /// The outcome and returns, once recorded.
    pub case: Option<super::CaseView>,
    /// The numbered notices (催办, 督办, 移送查办) sent about it.
    pub notices: Vec<super::NoticeView>,
    /// The commands the caller may send now.
    pub allowed: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventView>>,
    /// The notifications its events sent (single-warning reads only): to whom, on which
    /// channel, and whether each arrived, is retrying or gave up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<super::DeliveryView>>,
}

/// Where a warning stands on the ladder of secondary supervision.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionView {
    /// Deadlines missed in the current red episode.
    pub misses: u32,
    pub rung: Rung,
    pub holder: Option<SupervisionLevel>,
    /// Whether it is still under supervision (not yet rectified).
    pub open: bool,
}

/// One entry of a warning's history: a stored event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub version: u64,
    /// Its place in the whole log.
    pub position: u64,
    /// The event's name, e.g. `raised`, `rectification_submitted`, `deadline_passed`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub command_id: String,
    /// The event's fields, as stored (they differ by `kind`).
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A page of warnings, newest first (or longest overdue first).
#[derive(Serialize, ToSchema)]
pub struct WarningPage {
    /// How many match in all, when known without walking them; else null.
    pub total: Option<usize>,
    pub limit: usize,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
    pub items: Vec<WarningView>,
}

impl WarningView {
    pub fn of(
        engine: &Engine,
        actor: &Actor,
        w: &Warning,
        history: Option<&[RecordedEvent]>,
    ) -> WarningView {
        let now = engine.now();
        WarningView {
            id: w.id.clone(),
            region: w.region.as_str().to_string(),
            region_name: engine.regions().get(&w.region).map(|r| r.name.clone()),
            title: w.title.clone(),
            severity: w.severity,
            subject: w.subject.clone(),
            rule: w.rule().map(str::to_string),
            evidence: w.evidence.clone(),
            level: w.colour(),
            state: w.step,
            version: w.version,
            deadline: w.deadline,
            overdue: w.is_overdue(),
            overdue_since: w.overdue_since,
            days_overdue: w
                .overdue_since
                .filter(|_| w.is_overdue())
                .map(|since| days_between(since, now)),
            respond_by: w.respond_by,
            supervision: w.rung.map(|rung| SupervisionView {
                misses: w.misses,
                rung,
                holder: w.holder,
                open: w.under_supervision(),
            }),
            extensions: w.extensions,
            observation_until: w.observation_until,
            raised_at: w.raised_at,
            updated_at: w.updated_at,
            last_reason: w.last_reason.clone(),
            relapses: w.relapses,
            case: w.case.as_deref().map(super::CaseView::of),
            notices: super::NoticeView::all(engine, w),
            reminder: w.reminder,
            reminder_acknowledged_at: w.reminder_acknowledged_at,
            allowed: allowed_for(w, actor, now, engine.settings()),
            history: history.map(|events| {
                events
                    .iter()
                    .filter(|e| e.version <= w.version)
                    .map(EventView::of)
                    .collect()
            }),
            deliveries: None,
        }
    }
}

impl EventView {
    pub fn of(e: &RecordedEvent) -> EventView {
        let mut data = e.data.clone();
        if let Value::Object(map) = &mut data {
            map.remove("kind");
        }
        EventView {
            version: e.version,
            position: e.position,
            kind: e.kind.clone(),
            at: e.at,
            actor: e.actor.clone(),
            command_id: e.command_id.clone(),
            data,
        }
    }
}

impl WarningPage {
    pub fn of(engine: &Engine, actor: &Actor, page: Page, limit: usize) -> WarningPage {
        WarningPage {
            total: page.total,
            limit,
            next: page.next,
            items: page
                .items
                .iter()
                .map(|w| WarningView::of(engine, actor, w, None))
                .collect(),
        }
    }
}

/// Whole days from `from` to `to`, rounded down, never negative.
fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days().max(0)
}
