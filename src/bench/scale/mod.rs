//! `qingfeng-bench scale`: the real server on a five-level province (清风省（演示）, about
//! 52,000 villages) with a million warnings in every state, at two scales in one run so the
//! figures show whether a read's cost grows with the log.
//!
//! For each scale: the warnings are written to a durable store as the events of their
//! lifecycles, folded and checkpointed by the engine in this process; then `qingfeng serve`
//! is started on that store in a child process (a start from the checkpoint), and the bench
//! times, over HTTP and WebSocket, the reads of `probe`; reads the server's resident memory;
//! raises warnings through the API (the tail a restart must fold); stops it with SIGTERM
//! (the graceful stop, timed), starts it again (timed), kills it with SIGKILL and starts it
//! once more (timed). One JSON line per scale.

mod build;
mod probe;

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::bench::fanout::server::{self, Api, Launcher, Server};
use crate::regions::RegionTree;

#[derive(Args, Debug)]
pub struct ScaleArgs {
    #[command(flatten)]
    pub scales: crate::bench::reads::Scales,
    /// Times each read is repeated.
    #[arg(long, default_value_t = 100)]
    pub repeats: usize,
    /// Warnings raised through the API before the kill: the tail a restart folds.
    #[arg(long, default_value_t = 500)]
    pub tail: usize,
    /// Keep the stores in this directory, and reuse one a run before built there (its
    /// build figures are then left out): for measuring the server again without waiting.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

pub async fn run(args: ScaleArgs) -> anyhow::Result<()> {
    let temporary = tempfile::tempdir()?;
    let dir = args.dir.as_deref().unwrap_or(temporary.path());
    std::fs::create_dir_all(dir)?;
    let regions = build::write_tree(dir, args.scales.villages)?;
    let tree = RegionTree::load(&regions)?;
    eprintln!(
        "province: {} regions, {} villages",
        tree.len(),
        tree.villages().count()
    );
    for warnings in [args.scales.small, args.scales.warnings] {
        let line = one_scale(&args, dir, &regions, &tree, warnings).await?;
        println!("{line}");
    }
    Ok(())
}

async fn one_scale(
    args: &ScaleArgs,
    dir: &std::path::Path,
    regions: &std::path::Path,
    tree: &RegionTree,
    warnings: usize,
) -> anyhow::Result<serde_json::Value> {
    let url = format!(
        "surrealkv://{}",
        dir.join(format!("scale-{warnings}.db")).display()
    );
    let done = dir.join(format!("scale-{warnings}.built"));
    let built = if done.is_file() {
        eprintln!("{warnings} warnings: reusing the store built before");
        build::Built::default()
    } else {
        let built = build::build(&url, tree, warnings).await?;
        std::fs::write(&done, b"")?;
        eprintln!(
            "{warnings} warnings: {} events written in {:.1} s, folded in {:.1} s, checkpointed in {:.1} s",
            built.events, built.write_s, built.fold_s, built.checkpoint_s
        );
        built
    };
    let launcher = Launcher {
        binary: server::binary_beside_this_one("qingfeng")?,
        store: url,
        log: dir.join(format!("server-{warnings}.log")),
        extra: vec!["--regions".into(), regions.display().to_string()],
    };
    let bind: SocketAddr = "127.0.0.1:0".parse()?;
    let (server, start_s) = timed_start(&launcher, bind).await?;
    let started_rss_mb = server.resident_bytes()? as f64 / 1_048_576.0;
    let bind = server.addr;
    let api = Api::login(bind, build::USERNAME, build::PASSWORD).await?;
    let reads = probe::measure(&api, bind, tree, args.repeats).await?;
    let rss_mb = server.resident_bytes()? as f64 / 1_048_576.0;
    raise_tail(&api, tree, args.tail).await?;
    let started = Instant::now();
    server.stop().await?;
    let stop_s = started.elapsed().as_secs_f64();
    let (server, restart_s) = timed_start(&launcher, bind).await?;
    let api = Api::login(bind, build::USERNAME, build::PASSWORD).await?;
    raise_tail(&api, tree, args.tail).await?;
    server.kill().await?;
    let (server, restart_after_kill_s) = timed_start(&launcher, bind).await?;
    let api = Api::login(bind, build::USERNAME, build::PASSWORD).await?;
    let total = api.get("/api/warnings?limit=1").await?["total"].clone();
    server.stop().await?;
    let worst = |kind: &str| {
        reads
            .iter()
            .filter(|r| r.read.starts_with(kind))
            .map(|r| r.p99_ms)
            .fold(0.0, f64::max)
    };
    Ok(json!({
        "bench": "scale", "warnings": warnings, "villages": tree.village_count(),
        "events": built.events, "write_s": round(built.write_s), "fold_s": round(built.fold_s),
        "checkpoint_s": round(built.checkpoint_s), "start_s": round(start_s),
        "list_p99_ms": worst("list"), "deep_p99_ms": worst("deep"),
        "filtered_p99_ms": worst("filtered"), "overdue_p99_ms": worst("overdue"),
        "summary_p99_ms": worst("summary"), "snapshot_p99_ms": worst("snapshot"),
        "rss_mb": rss_mb.round(), "rss_at_start_mb": started_rss_mb.round(), "stop_s": round(stop_s), "restart_s": round(restart_s),
        "restart_after_kill_s": round(restart_after_kill_s),
        "total_after_restarts": total,
        "reads": reads.iter().map(probe::Timed::json).collect::<Vec<_>>(),
    }))
}

async fn timed_start(launcher: &Launcher, bind: SocketAddr) -> anyhow::Result<(Server, f64)> {
    let started = Instant::now();
    let server = launcher
        .start(bind, false)
        .await
        .with_context(|| format!("starting the server; see {}", launcher.log.display()))?;
    Ok((server, started.elapsed().as_secs_f64()))
}

/// Raises `n` warnings through the API, in villages across the province.
async fn raise_tail(api: &Api, tree: &RegionTree, n: usize) -> anyhow::Result<()> {
    let villages: Vec<String> = tree.villages().map(|r| r.code.to_string()).collect();
    let step = (villages.len() / n.max(1)).max(1);
    for village in villages.iter().step_by(step).take(n) {
        api.raise(village, "重启前的预警").await?;
    }
    Ok(())
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
