//! The store `qingfeng-bench scale` serves: a generated province's tree and its warnings,
//! written as the events their lifecycles leave (raised, acknowledged, rectified, verified,
//! closed, dismissed, transferred, overdue), then folded by the engine and checkpointed as
//! a server would before the bench starts one.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use crate::bench::reads::data::{draw, now};
use crate::clock::ManualClock;
use crate::domain::region::RegionCode;
use crate::engine::Engine;
use crate::regions::RegionTree;
use crate::store::{AppendRequest, NewEvent, Store, TimerChange, UserRecord};
use crate::workflow::{Fact, LifecycleSettings, Origin, Rung, Severity, Step, SupervisionLevel};

/// The bench's signed-in user: the province's command center.
pub const USERNAME: &str = "province";
pub const PASSWORD: &str = "qingfeng-bench-scale";

/// Appends in flight at once (the store groups them into commits).
const WRITERS: usize = 64;

/// What building the store took.
#[derive(Default)]
pub struct Built {
    pub events: u64,
    pub write_s: f64,
    pub fold_s: f64,
    pub checkpoint_s: f64,
}

/// Writes `warnings` warnings over `tree` into the store at `url`, the bench user, then
/// folds and checkpoints the log through the engine.
pub async fn build(url: &str, tree: &RegionTree, warnings: usize) -> anyhow::Result<Built> {
    let store = Store::connect(url).await?;
    let root = tree.root().code;
    let user = UserRecord {
        username: USERNAME.into(),
        password_hash: crate::auth::hash_password(PASSWORD)?,
        role: "city_office".into(),
        region: root.to_string(),
        display_name: "省指挥中心".into(),
    };
    store.put_user(&user).await?;
    let villages: Arc<Vec<RegionCode>> = Arc::new(tree.villages().map(|r| r.code).collect());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..WRITERS {
        let (store, villages) = (store.clone(), villages.clone());
        tasks.push(tokio::spawn(async move {
            for n in (worker..warnings).step_by(WRITERS) {
                store.append(request(n, &villages)).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let write_s = started.elapsed().as_secs_f64();
    let events = store.head_position().await?;
    let started = Instant::now();
    let clock = Arc::new(ManualClock::new(now()));
    let settings = Arc::new(LifecycleSettings::builtin());
    let engine = Engine::start(store.clone(), clock, settings, Arc::new(tree.clone())).await?;
    let fold_s = started.elapsed().as_secs_f64();
    let faults = engine.read(|p| p.faults.clone());
    anyhow::ensure!(
        faults.is_empty(),
        "the generated log has faults: {:?}",
        &faults[..1]
    );
    let started = Instant::now();
    engine.save_checkpoint().await?;
    let checkpoint_s = started.elapsed().as_secs_f64();
    store.shutdown().await;
    Ok(Built {
        events,
        write_s,
        fold_s,
        checkpoint_s,
    })
}

/// Writes the tree where `serve --regions` reads it.
pub fn write_tree(dir: &Path, villages: usize) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("province.csv");
    std::fs::write(&path, crate::bench::reads::data::province_csv(villages))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Warning `n`: its village, step, rule and time drawn from a generator seeded by `n`, so
/// every run and every writer agree.
fn request(n: usize, villages: &[RegionCode]) -> AppendRequest {
    let d = draw(&mut StdRng::seed_from_u64(n as u64), villages);
    let raised = d.raised;
    let facts = lifecycle(n, d.village, raised, d.step, d.rule, d.overdue);
    AppendRequest {
        stream: format!("W{}-{n:07}", raised.format("%Y%m%d")),
        expected_version: 0,
        events: facts
            .into_iter()
            .enumerate()
            .map(|(i, fact)| NewEvent {
                kind: fact.kind().to_string(),
                data: serde_json::to_value(&fact).expect("a fact serializes"),
                actor: "bench".into(),
                at: raised + Duration::hours(i as i64),
                command_id: format!("scale-{n}-{i}"),
            })
            .collect(),
        idempotency: None,
        timer: TimerChange::Clear,
    }
}

/// The events that bring a warning to `step`.
fn lifecycle(
    n: usize,
    region: RegionCode,
    raised: DateTime<Utc>,
    step: Step,
    rule: Option<&str>,
    overdue: bool,
) -> Vec<Fact> {
    let origin = rule.map_or(Origin::Manual, |rule| Origin::Rule {
        rule: rule.to_owned(),
        subject: format!("subject-{n}"),
    });
    let deadline = raised + Duration::days(7);
    let mut facts = vec![Fact::Raised {
        region,
        title: "低保对象名下有车辆".into(),
        severity: Severity::High,
        subject: format!("对象{n}"),
        origin,
        evidence: json!({"plate": format!("豫B{n:05}")}),
        deadline,
        reminder: step == Step::Reminder,
    }];
    if matches!(step, Step::Raised | Step::Reminder) {
        return facts;
    }
    facts.push(Fact::Notified {
        recipients: vec![format!("village_steward@{region}")],
    });
    let closing = match step {
        Step::Dismissed => Some(Fact::Dismissed {
            reason: "误报".into(),
        }),
        Step::Investigation => Some(Fact::TransferredToInvestigation {
            reason: "移送纪委".into(),
        }),
        _ => None,
    };
    if let Some(fact) = closing {
        facts.push(fact);
        return facts;
    }
    facts.push(Fact::Acknowledged {
        note: String::new(),
    });
    if overdue && matches!(step, Step::Acknowledged | Step::Rectifying) {
        facts.push(Fact::DeadlinePassed {
            missed: deadline,
            misses: 1,
            rung: Rung::Urge,
            level: SupervisionLevel::Town,
            respond_by: Some(deadline + Duration::days(3)),
        });
    }
    let rest = [
        (
            Step::Rectifying,
            Fact::RectificationStarted {
                note: String::new(),
            },
        ),
        (
            Step::Submitted,
            Fact::RectificationSubmitted {
                note: "已整改".into(),
                attachments: vec![],
            },
        ),
        (
            Step::Observation,
            Fact::RectificationVerified {
                note: String::new(),
                observation_until: raised + Duration::days(40),
            },
        ),
        (Step::Closed, Fact::ObservationEnded),
    ];
    for (reached, fact) in rest {
        if step == Step::Acknowledged {
            break;
        }
        facts.push(fact);
        if step == reached {
            break;
        }
    }
    facts
}
