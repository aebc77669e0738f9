//! The engine: turns commands into appended events and keeps the projection current. It is
//! the one place where the pure workflow meets the store: decide against the projected
//! warning, append with the expected version and the idempotency key in one transaction,
//! then fold the committed events into the projection before answering.

mod checkpoints;
mod findings;
mod fingerprint;
mod queries;
#[cfg(test)]
mod queries_tests;

pub use checkpoints::{current_projection, fold_log};
pub use findings::{FindingOutcome, RuleFinding};
pub use queries::Page;
pub(crate) use queries::{overdue_page, page};

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::{Actor, Role, can_read, can_write};
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

    /// Raises a warning by hand (a clue from a petition or an inspection).
    #[tracing::instrument(name = "command", skip_all, fields(kind = "raise", actor = actor.username(), region = %new.region))]
    pub async fn raise(
        &self,
        actor: &Actor,
        new: NewWarning,
        key: Option<&str>,
    ) -> Result<Outcome, EngineError> {
        if self.regions.get(&new.region).is_none() {
            return Err(EngineError::UnknownRegion(new.region.to_string()));
        }
        if !can_write(actor, &new.region)
            || !matches!(actor.role(), Role::TownOffice | Role::CityOffice)
        {
            return Err(EngineError::Rejected(Rejection::Forbidden {
                reason: format!(
                    "a {} of {} may not raise a warning in {}",
                    actor.role().as_str(),
                    actor.region(),
                    new.region
                ),
            }));
        }
        let request =
            serde_json::json!({"raise": [&new.region, &new.title, &new.subject, new.severity]});
        let idempotency = self.prepare_key(Issuer::User(actor), key, &request).await?;
        if let Some(prior) = idempotency.as_ref().and_then(|k| k.replay.clone()) {
            return Ok(prior);
        }
        let now = self.clock.now();
        let raised = Fact::Raised {
            region: new.region,
            title: new.title,
            severity: new.severity,
            subject: new.subject,
            origin: Origin::Manual,
            evidence: serde_json::Value::Null,
            deadline: now + self.settings.deadline(new.severity),
            reminder: false,
        };
        self.open_stream(Issuer::User(actor), raised, idempotency, now)
            .await
    }

    /// Appends the first events of a new stream (raised, then notified) under a fresh id.
    async fn open_stream(
        &self,
        issuer: Issuer<'_>,
        raised: Fact,
        idempotency: Option<PreparedKey>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let Fact::Raised { region, .. } = &raised else {
            unreachable!("open_stream is only called with a raised event");
        };
        let notified = Fact::Notified {
            recipients: self.recipients(region),
        };
        for _attempt in 0..3 {
            let id = new_warning_id(now);
            let mut warning = Warning::from_raised(&id, &raised, now).expect("raised event");
            warning
                .apply(notified.clone(), now)
                .map_err(|r| EngineError::Store(StoreError::Database(r)))?;
            let facts = vec![raised.clone(), notified.clone()];
            match self
                .append(
                    issuer,
                    Transition {
                        before: None,
                        after: &warning,
                        facts,
                    },
                    idempotency.clone(),
                    now,
                )
                .await
            {
                Err(EngineError::Conflict { .. }) => continue, // an id collision: draw again
                other => return other,
            }
        }
        Err(EngineError::Store(StoreError::Database(
            "could not draw an unused warning id".into(),
        )))
    }

    /// Who is told about a new warning: the village's steward and the town office.
    fn recipients(&self, region: &RegionCode) -> Vec<String> {
        self.regions
            .ancestors(region)
            .into_iter()
            .filter_map(|code| match code.level() {
                Level::Village => Some(format!("village_steward@{code}")),
                Level::Town => Some(format!("town_office@{code}")),
                Level::City | Level::Prefecture | Level::Province => None,
            })
            .collect()
    }

    /// Executes a user command on a warning.
    #[tracing::instrument(name = "command", skip_all, fields(kind = command.kind(), actor = actor.username(), warning = id))]
    pub async fn execute(
        &self,
        actor: &Actor,
        id: &str,
        command: &Command,
        expected_version: Option<u64>,
        key: Option<&str>,
    ) -> Result<Outcome, EngineError> {
        let request = serde_json::json!({"id": id, "command": command});
        let idempotency = self.prepare_key(Issuer::User(actor), key, &request).await?;
        if let Some(prior) = idempotency.as_ref().and_then(|k| k.replay.clone()) {
            return Ok(prior);
        }
        let warning = self.warning_for(actor, id)?;
        let now = self.clock.now();
        if let Some(expected) = expected_version.filter(|v| *v != warning.version) {
            return Err(self.conflict(&warning, expected));
        }
        let facts = command::decide(&warning, command, actor, now, &self.settings)
            .map_err(EngineError::Rejected)?;
        self.commit(Issuer::User(actor), warning, facts, idempotency, now)
            .await
    }

    /// Executes a system command (a timer, a rule's relapse finding).
    #[tracing::instrument(name = "command", skip_all, fields(kind = ?command, actor = "system", warning = id))]
    pub async fn execute_system(
        &self,
        id: &str,
        command: &SystemCommand,
        expected_version: u64,
        key: &str,
    ) -> Result<Outcome, EngineError> {
        let request = serde_json::json!({"id": id, "system": command});
        let idempotency = self
            .prepare_key(Issuer::System, Some(key), &request)
            .await?;
        if let Some(prior) = idempotency.as_ref().and_then(|k| k.replay.clone()) {
            return Ok(prior);
        }
        let warning = self
            .warning(id)
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        if warning.version != expected_version {
            return Err(self.conflict(&warning, expected_version));
        }
        let now = self.clock.now();
        let facts = command::decide_system(&warning, command, now, &self.settings)
            .map_err(EngineError::Rejected)?;
        self.commit(Issuer::System, warning, facts, idempotency, now)
            .await
    }

    async fn commit(
        &self,
        issuer: Issuer<'_>,
        mut warning: Warning,
        facts: Vec<Fact>,
        idempotency: Option<PreparedKey>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let before = warning.clone();
        for fact in &facts {
            warning
                .apply(fact.clone(), now)
                .map_err(|r| EngineError::Store(StoreError::Database(r)))?;
        }
        let transition = Transition {
            before: Some(&before),
            after: &warning,
            facts,
        };
        self.append(issuer, transition, idempotency, now).await
    }

    /// Appends the events that take a warning from `before` to `after`, with its timer
    /// and the idempotency record, then folds them into the projection.
    async fn append(
        &self,
        issuer: Issuer<'_>,
        transition: Transition<'_>,
        idempotency: Option<PreparedKey>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let Transition {
            before,
            after,
            facts,
        } = transition;
        let expected = before.map_or(0, |b| b.version);
        let command_id = uuid::Uuid::now_v7().to_string();
        let events: Vec<NewEvent> = facts
            .iter()
            .map(|fact| NewEvent {
                kind: fact.kind().to_string(),
                data: serde_json::to_value(fact).expect("events serialize"),
                actor: issuer.name().to_string(),
                at: now,
                command_id: command_id.clone(),
            })
            .collect();
        let timer = timer_change(before, after);
        let outcome = Outcome {
            warning: after.clone(),
            replayed: false,
        };
        let request = AppendRequest {
            stream: after.id.clone(),
            expected_version: expected,
            events,
            idempotency: idempotency.map(|k| Idempotency {
                key: k.key,
                request_hash: k.request_hash,
                result: serde_json::to_value(&outcome.warning).expect("warnings serialize"),
            }),
            timer,
        };
        // The events as they will be recorded; their positions are known after the commit.
        let mut recorded = request_events(&request);
        let ours = request
            .idempotency
            .as_ref()
            .map(|i| (i.key.clone(), i.request_hash.clone()));
        match self.store.append(request).await {
            Ok(AppendOutcome::Appended { first_position, .. }) => {
                for (i, event) in recorded.iter_mut().enumerate() {
                    event.position = first_position + i as u64;
                }
                self.advance(recorded).await?;
                Ok(outcome)
            }
            Ok(AppendOutcome::Duplicate {
                request_hash,
                result,
            }) => replay_result(ours, &request_hash, result),
            Err(StoreError::Conflict { actual, .. }) => {
                self.catch_up().await?;
                let current = self.warning(&after.id);
                Err(match current {
                    Some(w) => self.conflict(&w, expected),
                    None => EngineError::Conflict {
                        id: after.id.clone(),
                        expected,
                        actual,
                        state: after.step,
                        allowed: vec![],
                    },
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    fn conflict(&self, current: &Warning, expected: u64) -> EngineError {
        EngineError::Conflict {
            id: current.id.clone(),
            expected,
            actual: current.version,
            state: current.step,
            allowed: allowed_commands(current, self.clock.now(), &self.settings),
        }
    }

    /// Scopes an idempotency key to its issuer and looks up a stored first result.
    async fn prepare_key(
        &self,
        issuer: Issuer<'_>,
        key: Option<&str>,
        request: &serde_json::Value,
    ) -> Result<Option<PreparedKey>, EngineError> {
        let Some(key) = key else { return Ok(None) };
        let scoped = format!("{}:{}", issuer.name(), key);
        let request_hash = hex::encode(Sha256::digest(
            fingerprint::canonical_json(request).as_bytes(),
        ));
        let replay = match self.store.find_command(&scoped).await? {
            None => None,
            Some((stored_hash, result)) => {
                if stored_hash != request_hash {
                    return Err(EngineError::KeyReused(key.to_string()));
                }
                let warning: Warning = serde_json::from_value(result)
                    .map_err(|e| EngineError::Store(StoreError::Database(e.to_string())))?;
                Some(Outcome {
                    warning,
                    replayed: true,
                })
            }
        };
        Ok(Some(PreparedKey {
            key: scoped,
            request_hash,
            replay,
        }))
    }
}

/// The events a command decided, with the warning before (none for a new stream) and after.
struct Transition<'a> {
    before: Option<&'a Warning>,
    after: &'a Warning,
    facts: Vec<Fact>,
}

/// An idempotency key scoped to its issuer, the hash of the request it came with, and the
/// stored first result if the command was already executed.
#[derive(Clone, Debug)]
struct PreparedKey {
    key: String,
    request_hash: String,
    replay: Option<Outcome>,
}

pub(crate) fn matches(w: &Warning, f: &WarningFilter) -> bool {
    f.region.as_ref().is_none_or(|r| w.region.is_within(r))
        && f.colour.is_none_or(|c| w.colour() == c)
        && f.step.is_none_or(|s| w.step == s)
        && f.rule.as_deref().is_none_or(|r| w.rule() == Some(r))
        && f.overdue.is_none_or(|o| w.is_overdue() == o)
}

/// A warning id: the date it was raised and six random characters, short enough to read
/// out on the phone (`W20261126-7KQ2MX`).
fn new_warning_id(now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("W{}-{suffix}", now.format("%Y%m%d"))
}

/// A retried command raced its first execution: answer with the stored first result.
fn replay_result(
    ours: Option<(String, String)>,
    stored_hash: &str,
    result: serde_json::Value,
) -> Result<Outcome, EngineError> {
    let (key, hash) = ours.unwrap_or_default();
    if hash != stored_hash {
        return Err(EngineError::KeyReused(key));
    }
    let warning: Warning = serde_json::from_value(result)
        .map_err(|e| EngineError::Store(StoreError::Database(e.to_string())))?;
    Ok(Outcome {
        warning,
        replayed: true,
    })
}

/// What an append does to the stream's timer. A timer that did not change is left alone:
/// most commands (acknowledge, start, urge) keep the deadline they found, and rewriting the
/// same timer would cost a record and an index update in every such commit. The timer keeps
/// the version it was set at, which names it in the scheduler's idempotency key.
fn timer_change(before: Option<&Warning>, after: &Warning) -> TimerChange {
    let next = after.next_timer();
    if before.is_some_and(|b| b.next_timer() == next) {
        return TimerChange::Keep;
    }
    match next {
        Some(t) => TimerChange::Set {
            kind: t.kind.as_str().to_string(),
            due: t.due,
        },
        None => TimerChange::Clear,
    }
}

fn request_events(request: &AppendRequest) -> Vec<RecordedEvent> {
    request
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| RecordedEvent {
            position: 0,
            stream: request.stream.clone(),
            version: request.expected_version + 1 + i as u64,
            kind: e.kind.clone(),
            data: e.data.clone(),
            actor: e.actor.clone(),
            at: e.at,
            command_id: e.command_id.clone(),
        })
        .collect()
}
