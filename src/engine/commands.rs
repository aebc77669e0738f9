//! The engine's commands: raising a warning, executing a command on one, and appending
//! what the workflow decided, with its timer, in one transaction.

use super::idempotency::{PreparedKey, replay_result};
use super::*;

impl Engine {
    /// Raises a warning by hand (a clue from a petition or an inspection).
    #[tracing::instrument(name = "command", skip_all, fields(kind = "raise", actor = actor.username(), region = %new.region))]
    pub async fn raise(
        &self,
        actor: &Actor,
        new: NewWarning,
        key: Option<&str>,
    ) -> Result<Outcome, EngineError> {
        let _busy = self.load.enter();
        if self.regions.get(&new.region).is_none() {
            return Err(EngineError::UnknownRegion(new.region.to_string()));
        }
        command::decide_raise(actor, &new.region).map_err(EngineError::Rejected)?;
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
    pub(super) async fn open_stream(
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
        let _busy = self.load.enter();
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
        let _busy = self.load.enter();
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
                Ok(self.with_notice_marks(outcome))
            }
            Ok(AppendOutcome::Duplicate {
                request_hash,
                result,
            }) => replay_result(ours, &request_hash, result).map(|o| self.with_notice_marks(o)),
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

    /// The notice marks carry the events' log positions, which only the projection knows
    /// (it marks them as it folds the events); a command's answer, and a replayed one,
    /// takes them from there so that the notices it names have their numbers.
    fn with_notice_marks(&self, mut outcome: Outcome) -> Outcome {
        if let Some(current) = self.warning(&outcome.warning.id) {
            outcome.warning.notices = current
                .notices
                .into_iter()
                .filter(|mark| mark.at <= outcome.warning.updated_at)
                .collect();
        }
        outcome
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
}

/// The events a command decided, with the warning before (none for a new stream) and after.
struct Transition<'a> {
    before: Option<&'a Warning>,
    after: &'a Warning,
    facts: Vec<Fact>,
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
