//! `qingfeng-bench`: measured figures, each beside a baseline run in the same process.
//!
//! - `append`: commands per second through the engine on surrealkv with fsync on every
//!   commit, p50/p99 latency at full load and at a steady 1,000 commands/s, beside plain
//!   single-row durable SurrealDB inserts.
//! - `replay`: folds 1,000,000 stored events into the projections, events per second.
//! - `scan`: imports and scans a generated city, beside the welfare collisions written in
//!   SurrealQL (`qingfeng::datagen::bench`).
//! - `fanout`: 10,000 WebSocket screens against `qingfeng serve`: latency, deliveries,
//!   memory per connection, reconnection after a restart, beside a bare broadcast server
//!   (`qingfeng::bench::fanout`).
//! - `abuse`: a sign-in flood from 500 addresses and a hostile workbook against
//!   `qingfeng serve`, beside the same user's latency on the quiet server
//!   (`qingfeng::bench::abuse`).
//!
//! - `notify`: a burst of warnings with notifications on against a robot on loopback,
//!   beside the same burst with them off (`qingfeng::bench::notify`).
//!
//! Each ends with one JSON line of its figures. Build with `--release`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use clap::{Parser, Subcommand};
use qingfeng::auth::{Actor, Role};
use qingfeng::clock::ManualClock;
use qingfeng::domain::region::RegionCode;
use qingfeng::engine::{Engine, NewWarning};
use qingfeng::projections::Projection;
use qingfeng::regions::RegionTree;
use qingfeng::store::{AppendRequest, NewEvent, Store, TimerChange};
use qingfeng::workflow::{Command, Fact, LifecycleSettings, Origin, Severity};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "qingfeng-bench",
    about = "Qingfeng benchmarks with same-run baselines"
)]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Commands/s through the engine on durable surrealkv, with latency.
    Append {
        /// Commands in the full-load run.
        #[arg(long, default_value_t = 30_000)]
        commands: usize,
        /// Concurrent clients in the full-load run.
        #[arg(long, default_value_t = 512)]
        clients: usize,
        /// Seconds of the steady 1,000 commands/s run.
        #[arg(long, default_value_t = 5)]
        steady_seconds: u64,
        /// Sequential single-row inserts for the SurrealDB baseline.
        #[arg(long, default_value_t = 2_000)]
        baseline_inserts: usize,
    },
    /// Replay of stored events into the projections.
    Replay {
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
    },
    /// Import and scan of a generated city on durable surrealkv, with a SurrealQL baseline.
    Scan {
        /// Welfare payments; every other dataset scales with it.
        #[arg(long, default_value_t = 1_000_000)]
        size: usize,
    },
    /// WebSocket fan-out to wall screens, with a bare broadcast server as the floor.
    Fanout(qingfeng::bench::fanout::FanoutArgs),
    /// A sign-in flood and a hostile workbook against `qingfeng serve`, with a quiet baseline.
    Abuse(qingfeng::bench::abuse::AbuseArgs),
    /// Phones browsing the public pages of a million published payments, with a /healthz floor.
    Public(qingfeng::bench::public::PublicArgs),
    /// List pages, summaries and snapshots of a generated province at two scales, with the
    /// linear list as the baseline.
    Reads(qingfeng::bench::reads::ReadsArgs),
    /// A burst of warnings with notifications on, against a robot on loopback, beside the
    /// same burst with them off: delivered/s, commit-to-delivery latency, command p99.
    Notify(qingfeng::bench::notify::NotifyArgs),
    /// The real server on a generated province with a million warnings: reads over HTTP and
    /// WebSocket, memory, stop and restarts, at two scales.
    Scale(qingfeng::bench::scale::ScaleArgs),
    /// The bare broadcast server `fanout` runs in a child process.
    #[command(hide = true)]
    FanoutFloor {
        #[arg(long)]
        regions: std::path::PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    // The server sets this too; the in-process benchmarks must run as the server does.
    qingfeng::telemetry::quiet_library_backtraces();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Append {
            commands,
            clients,
            steady_seconds,
            baseline_inserts,
        } => append(commands, clients, steady_seconds, baseline_inserts).await,
        Bench::Replay { events } => replay(events).await,
        Bench::Scan { size } => qingfeng::datagen::bench::scan_command(size).await,
        Bench::Fanout(args) => qingfeng::bench::fanout::run(args).await,
        Bench::Abuse(args) => qingfeng::bench::abuse::run(args).await,
        Bench::Public(args) => qingfeng::bench::public::run(args).await,
        Bench::Reads(args) => qingfeng::bench::reads::run(args).await,
        Bench::Notify(args) => qingfeng::bench::notify::run(args).await,
        Bench::Scale(args) => qingfeng::bench::scale::run(args).await,
        Bench::FanoutFloor { regions } => {
            qingfeng::bench::fanout::floor::serve(RegionTree::load(regions)?).await
        }
    }
}

fn regions() -> anyhow::Result<RegionTree> {
    RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
        .context("loading seeds/regions.csv")
}

async fn durable_store(dir: &tempfile::TempDir) -> anyhow::Result<Store> {
    let url = format!("surrealkv://{}", dir.path().join("bench.db").display());
    Ok(Store::connect(&url).await?)
}

/// One client's work: raise a warning, then walk it through four commands.
async fn client_round(
    engine: &Engine,
    office: &Actor,
    village: &RegionCode,
) -> anyhow::Result<Vec<Duration>> {
    let steward = Actor::new("steward", Role::VillageSteward, *village)?;
    let mut latencies = Vec::with_capacity(5);
    let started = Instant::now();
    let new = NewWarning {
        region: *village,
        title: "bench".into(),
        severity: Severity::Medium,
        subject: "s".into(),
    };
    let id = engine.raise(office, new, None).await?.warning.id;
    latencies.push(started.elapsed());
    let script = [
        (
            &steward,
            Command::Acknowledge {
                note: String::new(),
            },
        ),
        (
            &steward,
            Command::StartRectification {
                note: String::new(),
            },
        ),
        (
            &steward,
            Command::SubmitRectification {
                note: "done".into(),
                attachments: vec![],
            },
        ),
        (
            office,
            Command::VerifyRectification {
                note: String::new(),
            },
        ),
    ];
    for (actor, command) in &script {
        let started = Instant::now();
        engine.execute(actor, &id, command, None, None).await?;
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn append(
    commands: usize,
    clients: usize,
    steady_seconds: u64,
    baseline_inserts: usize,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = durable_store(&dir).await?;
    let tree = regions()?;
    let villages: Vec<RegionCode> = tree.villages().map(|r| r.code).collect();
    let root = tree.root().code;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
    ));
    let engine = Arc::new(
        Engine::start(
            store.clone(),
            clock,
            Arc::new(LifecycleSettings::builtin()),
            Arc::new(tree),
        )
        .await?,
    );
    let office = Arc::new(Actor::new("bench-office", Role::CityOffice, root)?);

    // Full load: `clients` concurrent clients, each running rounds of five commands.
    let rounds = commands.div_ceil(5);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (engine, office, villages, next) = (
            engine.clone(),
            office.clone(),
            villages.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let round = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if round >= rounds {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                latencies.extend(
                    client_round(&engine, &office, &villages[round % villages.len()]).await?,
                );
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let commands_per_s = latencies.len() as f64 / elapsed;
    println!(
        "full load: {} commands from {clients} clients in {elapsed:.2} s = {commands_per_s:.0} commands/s, p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );

    // Steady: 1,000 commands/s (200 rounds of five per second), latency per command.
    let steady = steady_latencies(&engine, &office, &villages, steady_seconds).await?;
    let (p50, p99) = (percentile(&steady, 0.5), percentile(&steady, 0.99));
    println!(
        "steady 1,000 commands/s for {steady_seconds} s: {} commands, p50 {p50:.1} ms, p99 {p99:.1} ms",
        steady.len()
    );

    let store_alone = store_only_appends(&store, clients, commands).await?;
    println!(
        "store alone: {commands} single-event appends from {clients} tasks = {store_alone:.0} appends/s"
    );
    let baseline = store.bench_baseline_inserts(baseline_inserts).await?;
    println!(
        "baseline: plain SurrealDB single-row durable inserts on the same store: {baseline:.0} inserts/s"
    );
    println!(
        "{}",
        json!({"bench": "append", "commands_per_s": commands_per_s.round(), "p50_ms": p50, "p99_ms": p99,
        "baseline_inserts_per_s": baseline.round(), "full_load_p50_ms": percentile(&latencies, 0.5), "full_load_p99_ms": percentile(&latencies, 0.99)})
    );
    store.shutdown().await;
    Ok(())
}

/// Appends straight through the store (no engine), to tell the engine's cost from the store's.
async fn store_only_appends(store: &Store, clients: usize, appends: usize) -> anyhow::Result<f64> {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for (version, n) in (client..appends).step_by(clients).enumerate() {
                let request = AppendRequest {
                    stream: format!("S-{client}"),
                    expected_version: version as u64,
                    events: vec![NewEvent {
                        kind: "probe".into(),
                        data: json!({"n": n}),
                        actor: "bench".into(),
                        at: t0,
                        command_id: format!("p{n}"),
                    }],
                    idempotency: None,
                    timer: TimerChange::Keep,
                };
                store.append(request).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(appends as f64 / started.elapsed().as_secs_f64())
}

async fn steady_latencies(
    engine: &Arc<Engine>,
    office: &Arc<Actor>,
    villages: &[RegionCode],
    seconds: u64,
) -> anyhow::Result<Vec<Duration>> {
    let mut tick = tokio::time::interval(Duration::from_millis(5)); // one round (5 commands) per 5 ms
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    let rounds = seconds as usize * 200;
    for round in 0..rounds {
        tick.tick().await;
        let (engine, office, village) = (
            engine.clone(),
            office.clone(),
            villages[round % villages.len()],
        );
        tasks.push(tokio::spawn(async move {
            client_round(&engine, &office, &village).await
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    latencies.sort();
    Ok(latencies)
}

/// Writes `events` events (ten per warning) straight through the store in large
/// concurrent appends, then times a cold replay into the projections.
async fn replay(events: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = durable_store(&dir).await?;
    let village = RegionCode::parse("990102100201")?;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let streams = events.div_ceil(10);
    let written = Instant::now();
    let concurrency = 64;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (store, village) = (store.clone(), village);
        tasks.push(tokio::spawn(async move {
            for n in (worker..streams).step_by(concurrency) {
                let facts = lifecycle_facts(n, &village, t0);
                let request = AppendRequest {
                    stream: format!("W20260105-{n:08}"),
                    expected_version: 0,
                    events: facts
                        .iter()
                        .map(|f| NewEvent {
                            kind: f.kind().to_string(),
                            data: serde_json::to_value(f).expect("serializes"),
                            actor: "bench".into(),
                            at: t0,
                            command_id: format!("c{n}"),
                        })
                        .collect(),
                    idempotency: None,
                    timer: TimerChange::Clear,
                };
                store.append(request).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let head = store.head_position().await?;
    println!(
        "wrote {head} events in {:.1} s",
        written.elapsed().as_secs_f64()
    );
    store.shutdown().await;
    drop(store);

    // Cold: reopen the store, then read and fold everything.
    let store = durable_store(&dir).await?;
    let started = Instant::now();
    let mut projection = Projection::default();
    qingfeng::engine::fold_log(&store, &mut projection).await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        projection.faults.is_empty(),
        "replay faults: {:?}",
        &projection.faults[..1]
    );
    let events_per_s = projection.position as f64 / seconds;
    println!(
        "replayed {} events into {} warnings in {seconds:.2} s = {events_per_s:.0} events/s",
        projection.position,
        projection.warnings.len()
    );
    println!(
        "{}",
        json!({"bench": "replay", "events": projection.position, "seconds": seconds, "events_per_s": events_per_s.round()})
    );
    store.shutdown().await;
    Ok(())
}

/// Ten events a warning might really have: raised to closed, with an escalation.
fn lifecycle_facts(n: usize, village: &RegionCode, t0: chrono::DateTime<Utc>) -> Vec<Fact> {
    use qingfeng::workflow::{Rung, SupervisionLevel};
    let day = chrono::Duration::days(1);
    vec![
        Fact::Raised {
            region: *village,
            title: "承包款逾期".into(),
            severity: Severity::Medium,
            subject: "合同".into(),
            origin: Origin::Rule {
                rule: "contract_payment_overdue".into(),
                subject: format!("contract_payment:HT-{n}"),
            },
            evidence: json!({"days": 70}),
            deadline: t0 + day * 15,
            reminder: false,
        },
        Fact::Notified {
            recipients: vec!["village_steward@990102100201".into()],
        },
        Fact::Acknowledged {
            note: String::new(),
        },
        Fact::DeadlinePassed {
            missed: t0 + day * 15,
            misses: 1,
            rung: Rung::Urge,
            level: SupervisionLevel::Town,
            respond_by: Some(t0 + day * 18),
        },
        Fact::Urged {
            note: "催办".into(),
            deadline: t0 + day * 25,
        },
        Fact::RectificationStarted {
            note: String::new(),
        },
        Fact::RectificationSubmitted {
            note: "已整改".into(),
            attachments: vec![],
        },
        Fact::RectificationRejected {
            reason: "凭证不全".into(),
        },
        Fact::RectificationSubmitted {
            note: "补充".into(),
            attachments: vec![],
        },
        Fact::RectificationVerified {
            note: String::new(),
            observation_until: t0 + day * 60,
        },
    ]
}
