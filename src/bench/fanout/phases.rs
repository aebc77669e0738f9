//! The measured phases of one run: connect the screens, drive the load, restart the
//! server, and the same screens and load against the floor.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::clients::Target;
use super::load::{self, LoadReport, Sink};
use super::plan::Plan;
use super::record::{MARKER_PREFIX, Record, percentile_ms};
use super::server::{Api, Launcher, Server};
use super::system;

/// How long all screens may take to connect, or to come back after a restart.
const CONNECT_LIMIT: Duration = Duration::from_secs(180);
/// How long after the last command deliveries may still arrive and count.
const TAIL: Duration = Duration::from_secs(2);

/// The figures of one load phase.
pub struct LoadFigures {
    pub load: LoadReport,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The same from the moment the command was answered (its events committed).
    pub answered_p50_ms: f64,
    pub answered_p99_ms: f64,
    pub deliveries_per_s: f64,
    /// Deliveries of the load's warnings that screens recognised.
    pub received: u64,
    pub mean_message_bytes: f64,
    /// Cores the server (or floor) and this process used on average during the load.
    pub server_cores: f64,
    pub bench_cores: f64,
}

/// Waits until `target` screens hold an open stream; returns how long it took.
pub async fn wait_connected(record: &Record, target: usize) -> anyhow::Result<Duration> {
    wait_for(&record.connected, target, "connected").await
}

/// Waits until every screen has seen the marker of the latest restart.
pub async fn wait_current(record: &Record, target: usize) -> anyhow::Result<Duration> {
    wait_for(&record.current, target, "current after the restart").await
}

async fn wait_for(counter: &AtomicUsize, target: usize, what: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while counter.load(Ordering::Acquire) < target {
        anyhow::ensure!(
            started.elapsed() < CONNECT_LIMIT,
            "only {} of {target} screens {what} after {CONNECT_LIMIT:?}",
            counter.load(Ordering::Acquire)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(started.elapsed())
}

/// Drives the load and measures what the screens received while it ran; `pid` is the
/// server's process, whose CPU time is read beside this one's.
pub async fn run_load(
    pid: u32,
    sink: Sink,
    plan: &Plan,
    record: &Arc<Record>,
    rate: u32,
    seconds: u64,
) -> LoadFigures {
    record.reset_latencies();
    let before = (
        record.messages.load(Ordering::Relaxed),
        record.message_bytes.load(Ordering::Relaxed),
    );
    let cpu = || {
        let server = system::cpu_seconds(pid).unwrap_or(0.0);
        (
            server,
            system::cpu_seconds(std::process::id()).unwrap_or(0.0),
        )
    };
    let cpu_before = cpu();
    let sampler = {
        let record = record.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            (
                record.messages.load(Ordering::Relaxed),
                record.message_bytes.load(Ordering::Relaxed),
            )
        })
    };
    let load = load::drive(sink, plan, record, rate, seconds).await;
    let after = sampler.await.unwrap_or(before);
    let cpu_after = cpu();
    let busy = load.elapsed.as_secs_f64().max(1e-3);
    tokio::time::sleep(TAIL).await;
    let (histogram, after_answer) = record.histograms();
    let messages = after.0.saturating_sub(before.0);
    LoadFigures {
        p50_ms: percentile_ms(&histogram, 0.50),
        p99_ms: percentile_ms(&histogram, 0.99),
        answered_p50_ms: percentile_ms(&after_answer, 0.50),
        answered_p99_ms: percentile_ms(&after_answer, 0.99),
        deliveries_per_s: messages as f64 / seconds.max(1) as f64,
        received: histogram.iter().sum(),
        mean_message_bytes: after.1.saturating_sub(before.1) as f64 / messages.max(1) as f64,
        server_cores: (cpu_after.0 - cpu_before.0) / busy,
        bench_cores: (cpu_after.1 - cpu_before.1) / busy,
        load,
    }
}

/// What a restart cost.
pub struct RestartFigures {
    /// From SIGTERM until every screen showed a warning raised after the restart.
    pub seconds: f64,
    /// From SIGTERM until the new process listened.
    pub down_seconds: f64,
}

/// Stops the server with SIGTERM, starts it again on the same port and store, raises a
/// marker warning in every village at once, and waits until every screen shows one.
pub async fn restart(
    server: Server,
    launcher: &Launcher,
    plan: &Plan,
    record: &Record,
) -> anyhow::Result<(Server, RestartFigures)> {
    let addr = server.addr;
    let began = Instant::now();
    record.current.store(0, Ordering::Release);
    server.stop().await.context("stopping the server")?;
    let server = launcher
        .start(addr, false)
        .await
        .context("starting the server again")?;
    let down_seconds = began.elapsed().as_secs_f64();
    let generation = record.generation.fetch_add(1, Ordering::AcqRel) + 1;
    let office = Arc::new(Api::login(addr, "jiwei", super::DEMO_PASSWORD).await?);
    let mut raises = tokio::task::JoinSet::new();
    for village in &plan.villages {
        let (office, code) = (office.clone(), village.as_str().to_string());
        let title = format!("{MARKER_PREFIX}{generation} {code}");
        raises.spawn(async move { office.raise(&code, &title).await });
    }
    while let Some(raised) = raises.join_next().await {
        raised??;
    }
    wait_current(record, plan.scopes.len()).await?;
    let seconds = began.elapsed().as_secs_f64();
    Ok((
        server,
        RestartFigures {
            seconds,
            down_seconds,
        },
    ))
}

/// The floor in its own process, and the control connection its commands go through.
pub struct FloorProcess {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub sink: Sink,
}

impl FloorProcess {
    pub async fn start(regions: &Path) -> anyhow::Result<FloorProcess> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("fanout-floor")
            .arg("--regions")
            .arg(regions)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting the floor")?;
        let pid = child.id().context("the floor exited at once")?;
        let stdout = child.stdout.take().context("the floor's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = lines
            .next_line()
            .await?
            .context("the floor printed nothing")?;
        let addrs = line
            .strip_prefix("floor listening on ws=")
            .context("an unexpected first line from the floor")?;
        let (screens, control) = addrs
            .split_once(" control=")
            .context("no control address from the floor")?;
        let control = TcpStream::connect(control.parse::<SocketAddr>()?).await?;
        control.set_nodelay(true)?;
        let (sender, mut commands) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            let mut control = control;
            while let Some(line) = commands.recv().await {
                if control.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
        Ok(FloorProcess {
            child,
            pid,
            addr: screens.parse()?,
            sink: Sink::Floor(sender),
        })
    }

    pub fn target(&self) -> Arc<Target> {
        Arc::new(Target {
            addr: self.addr,
            token: "floor".to_string(),
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
