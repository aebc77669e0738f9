//! The warnings projection: every warning's current state and the per-region counts,
//! folded from the log in position order. Events may be offered out of order (several
//! commands commit in one batch and return concurrently); they are applied only in
//! contiguous position order, and a gap is filled from the store by the engine.

use std::collections::{BTreeMap, HashMap};

use compact_str::CompactString;

use serde::Deserialize;

use crate::domain::region::RegionCode;
use crate::store::RecordedEvent;
use crate::workflow::{Fact, NoticeKind, NoticeMark, Warning};

use super::checkpoint::Changed;
use super::counts::{Contribution, Counts};
use super::index::{ListIndex, Placed};
use super::supervision;

/// An event the projection could not apply. Never expected: the engine only appends events
/// the state machine accepted. Kept (not panicked on) so one bad event cannot stop a wall.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionFault {
    pub position: u64,
    pub stream: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    /// The position of the last applied event.
    pub position: u64,
    /// Boxed: the table keeps an eighth of its slots free and doubles, so at a million
    /// warnings it had two million slots of a whole `Warning` each (850 MB) where a
    /// pointer a slot costs 64 MB (`qingfeng-bench scale`).
    pub warnings: HashMap<CompactString, Box<Warning>>,
    /// Counts over each region's whole subtree (every ancestor by the code's digits),
    /// kept as events are folded so a region's summary is one lookup.
    pub rolled: HashMap<RegionCode, Counts>,
    /// The ordered indexes lists are paged through.
    pub index: ListIndex,
    pub faults: Vec<ProjectionFault>,
    /// The newest warning each rule raised for each subject: `(rule, subject) → id`.
    pub by_subject: super::SubjectIndex,
    /// The funnels, per-rule findings and notice numbers (`supervision.rs`).
    pub supervision: super::Supervision,
    /// Events offered ahead of a gap, waiting for the gap to be filled.
    pending: BTreeMap<u64, RecordedEvent>,
    /// The warnings changed since the last checkpoint took them.
    pub(super) changed: Changed,
}

impl Projection {
    /// Folds a whole log (for `replay` and for tests comparing live and replayed state).
    pub fn from_events(events: impl IntoIterator<Item = RecordedEvent>) -> Projection {
        let mut projection = Projection::default();
        projection.offer(events);
        projection
    }

    /// Takes events in any order and applies all that are contiguous with what was
    /// applied. Returns true if a gap remains (events are waiting for earlier ones).
    pub fn offer(&mut self, events: impl IntoIterator<Item = RecordedEvent>) -> bool {
        self.offer_tracked(events, None)
    }

    /// Like `offer`, and moves every event it applies, in position order, into `applied`
    /// (the engine publishes them to live screens).
    pub fn offer_tracked(
        &mut self,
        events: impl IntoIterator<Item = RecordedEvent>,
        mut applied: Option<&mut Vec<RecordedEvent>>,
    ) -> bool {
        for event in events {
            if event.position > self.position {
                self.pending.insert(event.position, event);
            }
        }
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() != self.position + 1 {
                break;
            }
            let event = entry.remove();
            self.apply(&event);
            if let Some(applied) = applied.as_deref_mut() {
                applied.push(event);
            }
        }
        !self.pending.is_empty()
    }

    /// Whether an event at `position` has been applied.
    pub fn has_applied(&self, position: u64) -> bool {
        self.position >= position
    }

    fn apply(&mut self, event: &RecordedEvent) {
        self.position = event.position;
        if let Err(reason) = self.fold(event) {
            tracing::error!(position = event.position, stream = %event.stream, %reason, "event not applied");
            self.faults.push(ProjectionFault {
                position: event.position,
                stream: event.stream.clone(),
                reason,
            });
        }
    }

    fn fold(&mut self, event: &RecordedEvent) -> Result<(), String> {
        let fact = Fact::deserialize(&event.data)
            .map_err(|e| format!("unreadable {} event: {e}", event.kind))?;
        if self.already_holds(event, &fact) {
            return Ok(());
        }
        self.changed.mark(&event.stream);
        let notice = NoticeKind::of(&fact);
        let moves_funnel = matches!(
            fact,
            Fact::OutcomeRecorded { .. } | Fact::RecoveryRecorded { .. }
        );
        // The warning is changed in place (a replay folds millions of events); only its
        // contribution to the counts is kept from before. `apply` changes nothing when it
        // refuses an event.
        let (before, warning) = match self.warnings.get_mut(event.stream.as_str()) {
            Some(warning) => {
                let before = (Contribution::of(warning), Placed::of(warning));
                let funnel_before = moves_funnel.then(|| supervision::Contribution::of(warning));
                warning.apply(fact, event.at)?;
                self.index.update(&before.1, warning);
                if let Some(funnel_before) = funnel_before {
                    let after = supervision::Contribution::of(warning);
                    self.supervision.update(Some(&funnel_before), Some(&after));
                }
                if let Some(kind) = notice {
                    let mark = NoticeMark {
                        kind,
                        position: event.position,
                        at: event.at,
                    };
                    warning.notices.push(mark);
                    self.supervision.mark_notice(&mark);
                }
                (Some(before.0), warning)
            }
            None => {
                let raised = Warning::from_raised(&event.stream, &fact, event.at)
                    .ok_or_else(|| format!("stream starts with {}, not raised", event.kind))?;
                if let crate::workflow::Origin::Rule { rule, subject } = &raised.origin {
                    self.by_subject.set(rule, subject, &event.stream);
                }
                self.index.insert(&raised);
                let funnel = supervision::Contribution::of(&raised);
                self.supervision.update(None, Some(&funnel));
                let id = CompactString::from(event.stream.as_str());
                let warning = self.warnings.entry(id).or_insert(Box::new(raised));
                (None, warning)
            }
        };
        let (version, region, after) = (warning.version, warning.region, Contribution::of(warning));
        count(&mut self.rolled, region, before.as_ref(), &after);
        if version != event.version {
            return Err(format!(
                "warning is at version {version} after event version {}",
                event.version
            ));
        }
        Ok(())
    }

    /// Whether the warning restored from a checkpoint already includes `event` (checkpoints
    /// may hold warnings as they stood after the position the fold resumes from). Its
    /// raising still names it the newest warning of its rule subject, as folding it would.
    fn already_holds(&mut self, event: &RecordedEvent, fact: &Fact) -> bool {
        let holds = self
            .warnings
            .get(event.stream.as_str())
            .is_some_and(|w| w.version >= event.version);
        if let (true, Fact::Raised { origin, .. }) = (holds, fact)
            && let crate::workflow::Origin::Rule { rule, subject } = origin
        {
            self.by_subject.set(rule, subject, &event.stream);
        }
        holds
    }

    /// Counts rolled up over `region` and everything under it.
    pub fn rolled_up(&self, region: &RegionCode) -> Counts {
        self.rolled.get(region).cloned().unwrap_or_default()
    }

    /// Enters one warning into the counts and indexes as a start from a checkpoint does
    /// (tests and the reads bench; a start enters them all at once, `enter_all`).
    #[cfg(any(test, feature = "bench"))]
    pub(crate) fn restore(&mut self, warning: Warning) {
        let contribution = Contribution::of(&warning);
        count(&mut self.rolled, warning.region, None, &contribution);
        self.index.insert(&warning);
        self.supervision
            .update(None, Some(&supervision::Contribution::of(&warning)));
        for mark in &warning.notices {
            self.supervision.mark_notice(mark);
        }
        self.warnings
            .insert(CompactString::from(warning.id.as_str()), Box::new(warning));
    }

    /// Enters every warning already in `warnings` into the (empty) counts and indexes:
    /// the counts beside the indexes, on two cores.
    pub(super) fn enter_all(&mut self) {
        let warnings = &self.warnings;
        let (rolled, index) = rayon::join(
            || {
                let mut rolled = HashMap::new();
                for warning in warnings.values() {
                    count(
                        &mut rolled,
                        warning.region,
                        None,
                        &Contribution::of(warning),
                    );
                }
                rolled
            },
            || ListIndex::build(|| warnings.values().map(Box::as_ref)),
        );
        self.rolled = rolled;
        self.index = index;
        self.supervision = super::Supervision::build(self.warnings.values().map(Box::as_ref));
    }
}

/// Moves a warning's contribution from `before` (none when just raised) to `after` in the
/// subtree counts of its region and of each region above it.
fn count(
    rolled: &mut HashMap<RegionCode, Counts>,
    region: RegionCode,
    before: Option<&Contribution>,
    after: &Contribution,
) {
    for code in region.and_ancestors() {
        let counts = rolled.entry(code).or_default();
        if let Some(before) = before {
            counts.add(before, -1);
        }
        counts.add(after, 1);
    }
}
