//! The demo's moving parts: stewards acknowledge and rectify, town offices verify, urge and
//! extend, the city supervises, some warnings relapse and new clues come in, so a wall
//! moves while a visitor watches.
//!
//! Every action goes through the engine as an ordinary command of a plausible actor, so
//! the simulation exercises the same checks, events and live stream as real users. Rates
//! are per day of the engine's clock, not per step, so the demo behaves the same at any
//! clock speed and in tests that move a manual clock. A seeded generator keeps a run
//! reproducible.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::{Actor, Role};
use crate::domain::region::{Level, RegionCode};
use crate::engine::{Engine, EngineError, NewWarning};
use crate::workflow::command::allowed_for;
use crate::workflow::{Command, Rung, Severity, Step, Warning};

mod outcomes;

/// How often `run` steps, in real time.
pub const STEP_EVERY: Duration = Duration::from_secs(1);

/// Hand-raised clues (petitions, inspections) the simulated city office files.
const CLUES: [(&str, &str, Severity); 6] = [
    (
        "群众来信：低保评定不公开",
        "petition:dibao-disclosure",
        Severity::Medium,
    ),
    (
        "巡察发现：村务公开栏未更新",
        "inspection:disclosure-board",
        Severity::Low,
    ),
    (
        "12345热线：鱼塘承包费去向不明",
        "hotline:pond-lease",
        Severity::High,
    ),
    (
        "审计线索：工程款拨付无审批单",
        "audit:project-payment",
        Severity::High,
    ),
    (
        "群众来访：危房改造补助被截留",
        "petition:house-renovation",
        Severity::Medium,
    ),
    (
        "巡察发现：集体资产台账不全",
        "inspection:asset-ledger",
        Severity::Low,
    ),
];

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimulationReport {
    pub commands: usize,
    pub raised: usize,
    /// Commands the engine refused (a race with a real user or the scheduler); harmless.
    pub refused: usize,
}

/// Who acts for which region: the demo users where the seed has one, otherwise a named
/// stand-in of the right role, so every village has a steward and every town an office.
struct Cast {
    city: Actor,
    names: HashMap<(RegionCode, Role), String>,
}

impl Cast {
    fn new(engine: &Engine, users: &std::path::Path) -> Cast {
        let mut names = HashMap::new();
        let users = crate::demo::load_users(users, engine.regions());
        for user in users.unwrap_or_default() {
            if let (Ok(role), Ok(region)) = (Role::parse(&user.role), user.region.parse()) {
                names.insert((region, role), user.username);
            }
        }
        let root = engine.regions().root().code;
        let city_name = names.get(&(root, Role::CityOffice)).cloned();
        let city = Actor::new(
            city_name.unwrap_or_else(|| "sim-city".into()),
            Role::CityOffice,
            root,
        )
        .expect("the root is a city");
        Cast { city, names }
    }

    fn actor(&self, region: RegionCode, role: Role) -> Option<Actor> {
        let name = self
            .names
            .get(&(region, role))
            .cloned()
            .unwrap_or_else(|| format!("sim-{}-{}", role.as_str(), region.as_str()));
        Actor::new(name, role, region).ok()
    }

    /// The village steward, the town office and the city office of a warning's village.
    fn for_warning(&self, engine: &Engine, w: &Warning) -> Vec<Actor> {
        let mut actors = Vec::with_capacity(3);
        if w.region.level() == Level::Village {
            actors.extend(self.actor(w.region, Role::VillageSteward));
        }
        let town = engine
            .regions()
            .ancestors(&w.region)
            .into_iter()
            .find(|code| code.level() == Level::Town)
            .or_else(|| (w.region.level() == Level::Town).then_some(w.region));
        if let Some(town) = town {
            actors.extend(self.actor(town, Role::TownOffice));
        }
        actors.push(self.city.clone());
        actors
    }
}

/// The demo simulation. Drive it with `step` (tests) or `run` (the demo server).
pub struct Simulation {
    engine: Arc<Engine>,
    cast: Cast,
    rng: Mutex<StdRng>,
    last_step: Mutex<Option<DateTime<Utc>>>,
}

impl Simulation {
    /// A simulation acting as the demo users of `users` (a `demo::users_file`) where
    /// they have a role, and as stand-ins elsewhere.
    pub fn new(engine: Arc<Engine>, seed: u64, users: &std::path::Path) -> Simulation {
        let cast = Cast::new(&engine, users);
        Simulation {
            engine,
            cast,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            last_step: Mutex::new(None),
        }
    }

    /// Acts for the time the engine's clock moved since the last step. The first step
    /// only notes the time.
    pub async fn step(&self) -> Result<SimulationReport, EngineError> {
        let now = self.engine.now();
        let elapsed_days = {
            let mut last = self.last_step.lock().expect("simulation lock poisoned");
            let days = last.map_or(0.0, |at| (now - at).num_seconds().max(0) as f64 / 86_400.0);
            *last = Some(now);
            days
        };
        let mut report = SimulationReport::default();
        if elapsed_days <= 0.0 {
            return Ok(report);
        }
        let planned = self.plan(elapsed_days);
        for (actor, id, command) in planned {
            match self.engine.execute(&actor, &id, &command, None, None).await {
                Ok(_) => report.commands += 1,
                Err(EngineError::Rejected(_) | EngineError::Conflict { .. }) => report.refused += 1,
                Err(e) => return Err(e),
            }
        }
        report.raised = self.raise_clues(elapsed_days).await?;
        Ok(report)
    }

    /// Steps every `STEP_EVERY` until the process stops.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(STEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            match self.step().await {
                Ok(report) if report.commands + report.raised > 0 => {
                    tracing::debug!(?report, "simulation step");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "simulation step failed"),
            }
        }
    }

    /// Chooses, for each open warning, at most one command one of its actors issues now.
    fn plan(&self, days: f64) -> Vec<(Actor, String, Command)> {
        let now = self.engine.now();
        let mut warnings: Vec<Warning> = self.engine.read(|p| {
            p.warnings
                .values()
                .filter(|w| {
                    !matches!(w.step, Step::Closed | Step::Dismissed | Step::Investigation)
                        || w.case.as_ref().is_none_or(|c| c.outstanding().fen() > 0)
                })
                .map(|w| Warning::clone(w))
                .collect()
        });
        // The projection's map has no order; sorting keeps a seeded run reproducible.
        warnings.sort_by(|a, b| a.id.cmp(&b.id));
        let settings = self.engine.settings();
        let mut rng = self.rng.lock().expect("simulation lock poisoned");
        let mut planned = Vec::new();
        for w in &warnings {
            'actors: for actor in self.cast.for_warning(&self.engine, w) {
                for kind in allowed_for(w, &actor, now, settings) {
                    let rate = daily_rate(kind, w, &actor);
                    if rate > 0.0 && rng.gen_bool(chance(rate, days)) {
                        let command = match kind {
                            "record_outcome" | "record_recovery" => {
                                outcomes::command(kind, w, now, &mut rng)
                            }
                            _ => command(kind, &mut rng),
                        };
                        planned.push((actor.clone(), w.id.clone(), command));
                        break 'actors;
                    }
                }
            }
        }
        planned
    }

    /// Files new clues at a few a day across the city, in random villages.
    async fn raise_clues(&self, days: f64) -> Result<usize, EngineError> {
        let villages: Vec<RegionCode> = self.engine.regions().villages().map(|r| r.code).collect();
        let picks: Vec<(RegionCode, usize)> = {
            let mut rng = self.rng.lock().expect("simulation lock poisoned");
            let count = poisson_draw(&mut *rng, CLUES_PER_DAY * days);
            (0..count)
                .map(|_| {
                    let village = villages[rng.gen_range(0..villages.len())];
                    (village, rng.gen_range(0..CLUES.len()))
                })
                .collect()
        };
        let mut raised = 0;
        for (village, clue) in picks {
            let (title, subject, severity) = CLUES[clue];
            let new = NewWarning {
                region: village,
                title: title.to_string(),
                severity,
                subject: format!("{subject}:{}", village.as_str()),
            };
            self.engine.raise(&self.cast.city, new, None).await?;
            raised += 1;
        }
        Ok(raised)
    }
}

/// New hand-raised clues per day across the demo city.
const CLUES_PER_DAY: f64 = 4.0;

/// How often per day an actor takes a step the lifecycle allows. About one warning in
/// four is "neglected": its steward does not rectify until the warning is escalated, so
/// the wall always has overdue warnings and a supervision ladder to show.
fn daily_rate(kind: &str, w: &Warning, actor: &Actor) -> f64 {
    let neglected = fnv(&w.id).is_multiple_of(4);
    let pushed = w.rung.is_some();
    match (kind, actor.role()) {
        ("acknowledge", _) => 2.0,
        ("start_rectification", _) => 1.0,
        ("submit_rectification", _) if neglected && !pushed => 0.0,
        ("submit_rectification", _) => {
            if pushed {
                0.4
            } else {
                0.2
            }
        }
        ("verify_rectification", Role::TownOffice) => 0.9,
        ("reject_rectification", Role::TownOffice) => 0.15,
        ("urge", _) | ("supervise", _) => 1.5,
        ("extend_deadline", Role::TownOffice) => 0.03,
        // Only a warning at the top of the ladder is handed to investigators.
        ("transfer_to_investigation", _) if w.rung == Some(Rung::Investigate) => 0.5,
        ("report_relapse", Role::TownOffice) => 0.012,
        ("dismiss", Role::TownOffice) => 0.004,
        // Most reminders are seen to within a few weeks; a neglected one expires and
        // turns red.
        ("close_reminder", Role::VillageSteward) if !neglected => 0.1,
        // Outcomes follow a disposal within days (reminders closed in time are no clue);
        // returns trickle in after them.
        ("record_outcome", Role::TownOffice) if w.case.is_none() && !w.reminder => 0.4,
        ("record_recovery", Role::TownOffice) => 0.25,
        _ => 0.0,
    }
}

/// The command of `kind` with the notes a real user would write.
fn command(kind: &str, rng: &mut StdRng) -> Command {
    let pick =
        |options: &[&str], rng: &mut StdRng| options[rng.gen_range(0..options.len())].to_string();
    match kind {
        "acknowledge" => Command::Acknowledge {
            note: pick(&["已收到，马上核查", "收到，今天下村核实"], rng),
        },
        "start_rectification" => Command::StartRectification {
            note: pick(&["已约谈相关人员", "已召开村民代表会议"], rng),
        },
        "submit_rectification" => Command::SubmitRectification {
            note: pick(
                &[
                    "已追缴款项并公示，附凭证",
                    "已补办审批手续并张榜公开",
                    "已更正名单并退回资金",
                ],
                rng,
            ),
            attachments: vec![],
        },
        "verify_rectification" => Command::VerifyRectification {
            note: "线下核实整改到位".into(),
        },
        "reject_rectification" => Command::RejectRectification {
            reason: "凭证不全，请补充银行回单".into(),
        },
        "urge" => Command::Urge {
            note: "请于期限内完成整改".into(),
        },
        "supervise" => Command::Supervise {
            note: "市纪委监委挂牌督办".into(),
        },
        "extend_deadline" => Command::ExtendDeadline {
            reason: "涉及多户村民，需逐户核实".into(),
            days: 7,
        },
        "transfer_to_investigation" => Command::TransferToInvestigation {
            reason: "多次督办未整改，移送查办".into(),
        },
        "report_relapse" => Command::ReportRelapse {
            note: "回头看发现问题反弹".into(),
        },
        "close_reminder" => Command::CloseReminder {
            note: pick(
                &[
                    "已列入村民代表会议议程，准备重新公开发包",
                    "已与承包方协商续签，报镇审核",
                ],
                rng,
            ),
        },
        _ => Command::Dismiss {
            reason: "经核实系数据录入错误".into(),
        },
    }
}

/// The chance that something happening `rate` times a day happens within `days`.
fn chance(rate: f64, days: f64) -> f64 {
    (1.0 - (-rate * days).exp()).clamp(0.0, 1.0)
}

/// A Poisson draw by counting exponential gaps; `mean` is small here.
fn poisson_draw(rng: &mut impl Rng, mean: f64) -> usize {
    let limit = (-mean).exp();
    let mut product = rng.r#gen::<f64>();
    let mut count = 0;
    while product > limit && count < 1000 {
        product *= rng.r#gen::<f64>();
        count += 1;
    }
    count
}

/// A stable hash of a warning id, so whether a warning is neglected survives restarts.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
