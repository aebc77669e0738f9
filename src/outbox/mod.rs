//! The outbox: turns committed events into notifications and delivers them.
//!
//! Each `step` (the app runs one four times a second; tests call it themselves):
//! 1. marks `uncertain` the attempts whose sender died mid-send (their lease ran out);
//! 2. **plans**: reads the log from the outbox's cursor up to what this instance's
//!    projection has applied, asks `plan` which messages each event calls for, and writes
//!    them (`delivery:⟨key⟩`, keys derived from the event) with the cursor in one
//!    transaction; every few minutes it also plans the reminders before deadlines;
//! 3. **delivers**: claims each due message for one attempt (`store::outbox`), sends it
//!    through its channel and records what the gateway answered: sent, a retry after a
//!    backoff with jitter, or after the last attempt a dead letter.
//!
//! The outbox is derived from the log, not written with the events, so a command never
//! waits for notifications (the bench measures it), and a message is planned once
//! whichever instance plans it and however often: its key is its event's position, the
//! recipient, the contact and the channel. Events older than [`MAX_AGE`] when planned
//! are passed over, so switching notifications on for a store with years of history (or
//! the demo's ninety simulated days) does not send them all.

mod deliver;
pub mod plan;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;

use crate::clock::Clock;
use crate::engine::Engine;
use crate::notify::contacts::Directory;
use crate::notify::{ChannelKind, Channels, NotifySettings, RateLimiter};
use crate::rules::Catalogue;
use crate::store::StoreError;
use crate::store::outbox::DeliveryRecord;
use crate::workflow::Fact;
use plan::{Context, Planned};

/// Events older than this when the outbox reaches them are not notified.
pub const MAX_AGE: Duration = Duration::hours(24);

/// How often `run` looks for work.
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// How long no command must have run for `run` to take a step.
const QUIET: std::time::Duration = std::time::Duration::from_millis(50);

/// The longest `run` gives way to commands before it takes a step regardless.
const MAX_YIELD: std::time::Duration = std::time::Duration::from_secs(10);

/// Events read from the log per step.
const PLAN_BATCH: usize = 2_000;

/// How often the contacts are read again from the store.
const CONTACTS_EVERY: Duration = Duration::seconds(30);

/// How often the reminders before deadlines are planned (a walk of every warning).
const DUE_SOON_EVERY: Duration = Duration::minutes(5);

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepReport {
    pub planned: usize,
    pub sent: usize,
    pub retrying: usize,
    pub dead: usize,
    pub deferred: usize,
    pub uncertain: usize,
}

pub struct Outbox {
    engine: Arc<Engine>,
    catalogue: Arc<Catalogue>,
    settings: Arc<NotifySettings>,
    channels: Channels,
    directory: RwLock<Arc<Directory>>,
    /// The time deliveries are scheduled by: the real clock in a server (not the demo's
    /// accelerated engine clock), a manual one in tests.
    clock: Arc<dyn Clock>,
    /// This process's name on its claims, so an uncertain delivery can be traced.
    instance: String,
    limiters: Mutex<HashMap<ChannelKind, RateLimiter>>,
    /// The clock's time and the monotonic instant at one moment, to give the rate
    /// limiters instants that move with `clock`.
    epoch: (DateTime<Utc>, Instant),
    rng: Mutex<StdRng>,
    last_due_soon: Mutex<Option<DateTime<Utc>>>,
    contacts_read_at: Mutex<Option<DateTime<Utc>>>,
}

impl Outbox {
    pub fn new(
        engine: Arc<Engine>,
        catalogue: Arc<Catalogue>,
        settings: Arc<NotifySettings>,
        channels: Channels,
        clock: Arc<dyn Clock>,
    ) -> Outbox {
        let instance = format!("{:016x}", rand::random::<u64>());
        Outbox {
            engine,
            catalogue,
            settings,
            channels,
            directory: RwLock::new(Arc::new(Directory::default())),
            epoch: (clock.now(), Instant::now()),
            clock,
            instance,
            limiters: Mutex::default(),
            rng: Mutex::new(StdRng::from_entropy()),
            last_due_soon: Mutex::new(None),
            contacts_read_at: Mutex::new(None),
        }
    }

    /// Reads the imported contacts again. Each step does it every
    /// [`CONTACTS_EVERY`], so an import through another instance reaches this one too.
    pub async fn reload_contacts(&self) -> Result<usize, StoreError> {
        let rows = crate::import::service::load_dataset(
            self.engine.store(),
            crate::import::DatasetKind::Contacts,
        )
        .await?;
        let contacts = rows.into_iter().filter_map(|row| match row {
            crate::import::rows::Row::Contact(row) => Some(row.contact),
            _ => None,
        });
        let directory = Directory::new(contacts);
        let count = directory.len();
        *self.directory.write().expect("directory lock") = Arc::new(directory);
        *self.contacts_read_at.lock().expect("contacts lock") = Some(self.clock.now());
        Ok(count)
    }

    pub fn directory(&self) -> Arc<Directory> {
        self.directory.read().expect("directory lock").clone()
    }

    /// The outbox's time (what a resend is due at).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// One round: expire leases, plan, deliver.
    pub async fn step(&self) -> Result<StepReport, StoreError> {
        let now = self.clock.now();
        let read_at = *self.contacts_read_at.lock().expect("contacts lock");
        if read_at.is_none_or(|at| now - at >= CONTACTS_EVERY) {
            self.reload_contacts().await?;
        }
        let store = self.engine.store();
        let mut report = StepReport {
            uncertain: match store.expire_delivery_leases(now.timestamp_millis()).await {
                // Another instance marked them at the same moment.
                Err(error) if error.is_write_conflict() => 0,
                other => other?,
            },
            ..StepReport::default()
        };
        report.planned = self.plan_new_events(now).await?;
        report.planned += self.plan_due_soon(now).await?;
        self.deliver_due(now, &mut report).await?;
        Ok(report)
    }

    /// Steps four times a second, or at once after a step that found work, until the
    /// process stops; it gives way to commands (see the loop).
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_step = std::time::Instant::now();
        loop {
            tick.tick().await;
            // Commands come first (see `engine::load`): while they are coming in, the
            // step waits, but never longer than `MAX_YIELD`, so that a steady stream of
            // commands cannot hold notifications back for good.
            let quiet = self.engine.load().quiet_for(QUIET);
            if !quiet && last_step.elapsed() < MAX_YIELD {
                continue;
            }
            last_step = std::time::Instant::now();
            match self.step().await {
                // A step that found work may have left more: the next one goes at once.
                Ok(report) if report != StepReport::default() => tick.reset_immediately(),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "the notification outbox failed a step; trying again");
                }
            }
        }
    }

    /// Plans the events after the cursor that this instance's projection has applied.
    async fn plan_new_events(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let store = self.engine.store();
        let cursor = store.outbox_cursor().await?;
        let applied = self.engine.read(|p| p.position);
        if applied <= cursor {
            return Ok(0);
        }
        let limit = PLAN_BATCH.min((applied - cursor) as usize);
        let events = store.read_all(cursor, limit).await?;
        let Some(through) = events.last().map(|e| e.position) else {
            return Ok(0);
        };
        let oldest = self.engine.now() - MAX_AGE;
        let directory = self.directory();
        let ctx = self.context(&directory);
        let mut planned = Vec::new();
        for event in events.iter().filter(|e| e.at >= oldest) {
            let Ok(fact) = Fact::deserialize(&event.data) else {
                continue;
            };
            let Some(warning) = self.engine.warning(&event.stream) else {
                continue;
            };
            planned.extend(plan::plan_event(&ctx, event.position, &fact, &warning));
        }
        let count = planned.len();
        let records = planned.into_iter().map(|p| record(p, now)).collect();
        match store.plan_deliveries(records, through).await {
            Ok(()) => Ok(count),
            // Another instance planned the same events at the same moment: its messages
            // are the same, and the next step reads the cursor it moved.
            Err(error) if error.is_write_conflict() => Ok(0),
            Err(error) => Err(error),
        }
    }

    /// Plans the reminders before deadlines, every [`DUE_SOON_EVERY`]: each working
    /// warning whose deadline is within a `due_soon` route's days gets one, keyed by its
    /// deadline, so a warning whose deadline moves is reminded again before the new one.
    async fn plan_due_soon(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let days = self.settings.due_soon_days();
        {
            let mut last = self.last_due_soon.lock().expect("due-soon lock");
            if days.is_empty() || last.is_some_and(|at| now - at < DUE_SOON_EVERY) {
                return Ok(0);
            }
            *last = Some(now);
        }
        let engine_now = self.engine.now();
        let directory = self.directory();
        let ctx = self.context(&directory);
        let planned: Vec<Planned> = self.engine.read(|p| {
            let mut planned = Vec::new();
            for warning in p.warnings.values() {
                if !warning.step.is_working() || warning.deadline <= engine_now {
                    continue;
                }
                // The smallest `days_before` the deadline is within: one reminder per
                // step, the nearer ones come as the deadline nears.
                let left = warning.deadline - engine_now;
                if let Some(d) = days.iter().find(|d| left <= Duration::days(i64::from(**d))) {
                    planned.extend(plan::plan_due_soon(&ctx, *d, warning));
                }
            }
            planned
        });
        if planned.is_empty() {
            return Ok(0);
        }
        let count = planned.len();
        let records = planned.into_iter().map(|p| record(p, now)).collect();
        match self.engine.store().plan_deliveries(records, 0).await {
            Ok(()) => Ok(count),
            Err(error) if error.is_write_conflict() => Ok(0),
            Err(error) => Err(error),
        }
    }

    fn context<'a>(&'a self, directory: &'a Directory) -> Context<'a> {
        Context {
            settings: &self.settings,
            directory,
            tree: self.engine.regions(),
            catalogue: &self.catalogue,
        }
    }

    /// The rate limiters' instant for `at` on the outbox's clock.
    fn instant(&self, at: DateTime<Utc>) -> Instant {
        let (base, instant) = self.epoch;
        let ahead = (at - base).to_std().unwrap_or_default();
        instant + ahead
    }
}

/// The stored form of a planned message.
fn record(planned: Planned, now: DateTime<Utc>) -> DeliveryRecord {
    let at = now.timestamp_millis();
    let addressed = planned.address.is_some() && planned.rendered.is_some();
    DeliveryRecord {
        key: planned.key,
        warning: planned.warning,
        event: planned.event.as_str().to_owned(),
        recipient: planned.recipient.as_str().to_owned(),
        contact: planned.contact,
        channel: planned.channel.as_str().to_owned(),
        address: planned
            .address
            .map(|a| serde_json::to_string(&a).expect("an address serializes")),
        rendered: planned
            .rendered
            .map(|r| serde_json::to_string(&r).expect("a message serializes")),
        status: if addressed { "pending" } else { "unaddressed" }.to_owned(),
        attempts: 0,
        next_at: at,
        lease_until: 0,
        created_at: at,
        updated_at: at,
        last_error: (!addressed).then(|| "no contact or no address on this channel".to_owned()),
        provider_id: None,
    }
}
