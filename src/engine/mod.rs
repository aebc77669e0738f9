//! The engine: turns commands into appended events and keeps the projection current. It is
//! the one place where the pure workflow meets the store: decide against the projected
//! warning, append with the expected version and the idempotency key in one transaction,
//! then fold the committed events into the projection before answering.

mod checkpoints;
mod commands;
mod findings;
mod fingerprint;
mod idempotency;
mod ledger;
pub mod load;
mod queries;
#[cfg(test)]
mod queries_tests;

pub use checkpoints::{current_projection, fold_log};
pub use findings::{FindingOutcome, RuleFinding};
pub use ledger::{LedgerEntry, LedgerFilter, LedgerPage};
pub use queries::Page;
/// The reads bench times a page straight from a projection.
#[cfg(feature = "bench")]
pub(crate) use queries::{overdue_page, page};

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::{Actor, can_read};
use crate::clock::Clock;
use crate::domain::region::{Level, RegionCode};
use crate::projections::Projection;
use crate::regions::RegionTree;
use crate::store::{
    AppendOutcome, AppendRequest, Idempotency, NewEvent, RecordedEvent, Store, StoreError,
    TimerChange,
};
use crate::workflow::command::{self, allowed_commands};
use crate::workflow::{
    Command, Fact, Issuer, LifecycleSettings, Origin, Rejection, Severity, Step, SystemCommand,
    Warning,
};

/// What went wrong with a command, in terms the HTTP layer maps to a status.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("warning {0} not found")]
    NotFound(String),
    #[error("region {0} is not in the region tree")]
    UnknownRegion(String),
    #[error("{0:?}")]
    Rejected(Rejection),
    /// Someone else changed the warning first; nothing was written.
    #[error("warning {id} changed: expected version {expected}, it is at {actual}")]
    Conflict {
        id: String,
        expected: u64,
        actual: u64,
        state: Step,
        allowed: Vec<&'static str>,
    },
    /// The idempotency key was used before for a different request.
    #[error("idempotency key {0} was already used for a different request")]
    KeyReused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new warning raised by hand.
#[derive(Clone, Debug)]
pub struct NewWarning {
    pub region: RegionCode,
    pub title: String,
    pub severity: Severity,
    pub subject: String,
}

/// Filters for listing warnings.
#[derive(Clone, Debug, Default)]
pub struct WarningFilter {
    pub region: Option<RegionCode>,
    pub colour: Option<crate::workflow::Colour>,
    pub step: Option<Step>,
    pub rule: Option<String>,
    pub overdue: Option<bool>,
}

/// The outcome of a command: the warning as the command left it, and whether this answer
/// is the stored first result of a retried command.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub warning: Warning,
    #[serde(skip)]
    pub replayed: bool,
}

/// One applied event and the warning as it stands once the batch that carried the event
/// was folded, published to live screens in position order.
#[derive(Clone, Debug)]
pub struct Change {
    pub event: RecordedEvent,
    pub warning: Warning,
}

/// How many changes a slow subscriber may fall behind before it is told it lagged (and
/// must start again from a fresh snapshot).
const CHANGE_BUFFER: usize = 8_192;

/// How long a command waits for a gap before its events to be filled by the commands
/// committed with it, before reading the log itself.
const GAP_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

pub struct Engine {
    store: Store,
    /// The projection's position, for commands waiting to see their events applied.
    applied: tokio::sync::watch::Sender<u64>,
    changes: tokio::sync::broadcast::Sender<Arc<Change>>,
    clock: Arc<dyn Clock>,
    settings: Arc<LifecycleSettings>,
    regions: Arc<RegionTree>,
    projection: RwLock<Projection>,
    /// This instance's checkpoints, taken one at a time.
    checkpoints: tokio::sync::Mutex<checkpoints::CheckpointLog>,
    /// Commands in flight, for background workers that give way to them.
    load: load::CommandLoad,
}

impl Engine {
    /// Builds the engine and catches the projection up with the whole log.
    pub async fn start(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Arc<LifecycleSettings>,
        regions: Arc<RegionTree>,
    ) -> Result<Engine, EngineError> {
        let (projection, checkpoint_log) = checkpoints::restore(&store).await?;
        let engine = Engine {
            store,
            changes: tokio::sync::broadcast::channel(CHANGE_BUFFER).0,
            applied: tokio::sync::watch::channel(0).0,
            clock,
            settings,
            regions,
            projection: RwLock::new(projection),
            checkpoints: tokio::sync::Mutex::new(checkpoint_log),
            load: load::CommandLoad::default(),
        };
        engine.catch_up().await?;
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn settings(&self) -> &LifecycleSettings {
        &self.settings
    }

    /// The region tree, for work moved off the async workers.
    pub fn shared_regions(&self) -> Arc<RegionTree> {
        self.regions.clone()
    }

    pub fn regions(&self) -> &RegionTree {
        &self.regions
    }

    /// Runs `f` over the projection under a read lock (never held across an await).
    pub fn read<T>(&self, f: impl FnOnce(&Projection) -> T) -> T {
        f(&self.projection.read().expect("projection lock poisoned"))
    }

    /// Reads events after the projection's position until the log is exhausted.
    pub async fn catch_up(&self) -> Result<u64, EngineError> {
        loop {
            let after = self.read(|p| p.position);
            let events = self.store.read_all(after, 5_000).await?;
            if events.is_empty() {
                return Ok(after);
            }
            self.fold(events);
        }
    }

    /// Changes as they are applied, in position order. A receiver that falls more than
    /// `CHANGE_BUFFER` behind gets `Lagged` and should reload from the projection.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }

    /// Offers events to the projection and publishes what it applied. Returns whether a
    /// gap remains. Publishing happens under the projection lock (sending on a broadcast
    /// channel never waits), so subscribers see changes in position order.
    fn fold(&self, events: Vec<RecordedEvent>) -> bool {
        let mut applied = Vec::new();
        let mut projection = self.projection.write().expect("projection lock poisoned");
        let gap = projection.offer_tracked(events, Some(&mut applied));
        self.applied.send_replace(projection.position);
        // Nobody is watching (no screens, a CLI): skip copying warnings for nobody.
        let watched = self.changes.receiver_count() > 0;
        for event in applied.into_iter().filter(|_| watched) {
            if let Some(warning) = projection.warnings.get(event.stream.as_str()) {
                let change = Change {
                    event,
                    warning: Warning::clone(warning),
                };
                // Sending fails only when nobody listens, which is fine.
                let _ = self.changes.send(Arc::new(change));
            }
        }
        gap
    }

    /// Folds events this process just appended and waits until the projection has applied
    /// them. A gap before them is almost always another command of the same group commit
    /// whose answer is a moment behind; that command fills it, so we wait briefly for the
    /// projection to move rather than have hundreds of commands each read the log. Only a
    /// gap that persists (events appended by another instance) is read from the store.
    async fn advance(&self, events: Vec<RecordedEvent>) -> Result<(), EngineError> {
        let last = events.last().map(|e| e.position).unwrap_or(0);
        let mut applied = self.applied.subscribe();
        self.fold(events);
        // The guard `wait_for` returns must not live across the await below.
        let reached = tokio::time::timeout(GAP_GRACE, applied.wait_for(|p| *p >= last))
            .await
            .is_ok_and(|seen| seen.is_ok());
        if !reached {
            self.catch_up().await?;
        }
        Ok(())
    }

    /// How busy the command path is (see `load`).
    pub fn load(&self) -> &load::CommandLoad {
        &self.load
    }

    pub fn warning(&self, id: &str) -> Option<Warning> {
        self.read(|p| p.warnings.get(id).map(|w| Warning::clone(w)))
    }

    /// A warning the actor may read; unreadable warnings are reported as not found so
    /// that their existence does not leak across regions.
    pub fn warning_for(&self, actor: &Actor, id: &str) -> Result<Warning, EngineError> {
        match self.warning(id) {
            Some(w) if can_read(actor, &w.region) => Ok(w),
            _ => Err(EngineError::NotFound(id.to_string())),
        }
    }

    /// The events of a warning, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<RecordedEvent>, EngineError> {
        Ok(self.store.read_stream(id).await?)
    }
}

pub(crate) fn matches(w: &Warning, f: &WarningFilter) -> bool {
    f.region.as_ref().is_none_or(|r| w.region.is_within(r))
        && f.colour.is_none_or(|c| w.colour() == c)
        && f.step.is_none_or(|s| w.step == s)
        && f.rule.as_deref().is_none_or(|r| w.rule() == Some(r))
        && f.overdue.is_none_or(|o| w.is_overdue() == o)
}
