//! `qingfeng-bench fanout`: ten thousand wall screens on loopback against the real server
//! in its own process, then the same screens and load against a bare broadcast server
//! (the floor). Reports event-to-screen latency, deliveries per second, the server's
//! memory per idle connection and the seconds until every screen is back and current
//! after a restart; ends with one JSON line.
//!
//! [`plan`] spreads the screens over scopes, [`clients`] runs them, [`load`] drives
//! commands, [`server`] runs `qingfeng serve`, [`floor`] is the bare server, [`phases`]
//! strings the measurements together and [`record`] holds what they share.

pub mod clients;
pub mod floor;
pub mod load;
pub mod phases;
pub mod plan;
pub mod record;
pub mod server;
pub mod system;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use self::clients::{Fleet, Target};
use self::load::Sink;
use self::phases::{FloorProcess, LoadFigures, run_load, wait_connected};
use self::plan::Plan;
use self::record::Record;
use self::server::{Api, Launcher};
use crate::regions::RegionTree;

/// The password `serve --demo` gives its users (seeds/demo-users.csv).
pub const DEMO_PASSWORD: &str = "qingfeng-demo";
/// How long idle screens settle before the server's memory is read.
const SETTLE: Duration = Duration::from_secs(3);

#[derive(Debug, clap::Args)]
pub struct FanoutArgs {
    /// WebSocket screens (10% city, 30% towns, 60% villages).
    #[arg(long, default_value_t = 10_000)]
    pub clients: usize,
    /// Commands per second through the HTTP API.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds of load, against the server and again against the floor.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Handshakes in flight at once (the listener's backlog is finite).
    #[arg(long, default_value_t = 500)]
    pub connect_concurrency: usize,
    /// Where the server's surrealkv store is made (a fresh directory inside it). Its
    /// fsync on every commit is part of each command's latency; on a disk shared with
    /// busy builds, `/dev/shm` isolates the fan-out from the disk.
    #[arg(long)]
    pub store_dir: Option<PathBuf>,
    /// Skip the bare broadcast server.
    #[arg(long)]
    pub no_floor: bool,
}

/// The region tree of the demo city, which both servers and the plan use.
pub fn regions_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
}

pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    let open_files = system::raise_open_files()?;
    anyhow::ensure!(
        open_files as usize > args.clients + 200,
        "{} screens need more open files than the limit of {open_files}",
        args.clients
    );
    let tree = RegionTree::load(regions_path()).context("loading seeds/regions.csv")?;
    let plan = Plan::spread(&tree, args.clients)?;
    let (city, towns, villages) = plan.shares();
    println!(
        "fanout: {} screens ({city} city, {towns} town, {villages} village), {} commands/s for {} s",
        args.clients, args.rate, args.seconds
    );
    let record = Arc::new(Record::new(args.rate as usize * args.seconds as usize + 2));
    let server = measure_server(&args, &plan, &record).await?;
    let floor = if args.no_floor {
        None
    } else {
        Some(measure_floor(&args, &plan, &record).await?)
    };
    report(&args, &server, floor.as_ref());
    Ok(())
}

/// What the real server measured.
struct ServerFigures {
    connect_seconds: f64,
    bytes_per_connection: f64,
    kernel_bytes_per_connection: f64,
    load: LoadFigures,
    restart: phases::RestartFigures,
}

async fn measure_server(
    args: &FanoutArgs,
    plan: &Plan,
    record: &Arc<Record>,
) -> anyhow::Result<ServerFigures> {
    let dir = match &args.store_dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let launcher = Launcher {
        binary: server::binary_beside_this_one("qingfeng")?,
        store: format!("surrealkv://{}", dir.path().join("fanout.db").display()),
        log: std::env::temp_dir().join("qingfeng-fanout-server.log"),
        extra: Vec::new(),
    };
    let _ = std::fs::remove_file(&launcher.log);
    let server = launcher.start("127.0.0.1:0".parse()?, true).await?;
    println!(
        "server: pid {} on {}, log {}",
        server.pid,
        server.addr,
        launcher.log.display()
    );
    let wall = Api::login(server.addr, "wall", DEMO_PASSWORD).await?;
    let office = Arc::new(Api::login(server.addr, "jiwei", DEMO_PASSWORD).await?);
    tokio::time::sleep(SETTLE).await;
    let rss_before = server.resident_bytes()?;
    let kernel_before = system::tcp_buffer_bytes()?;
    let target = Arc::new(Target {
        addr: server.addr,
        token: wall.token().to_string(),
    });
    let fleet = Fleet::start(
        target,
        &plan.scopes,
        record.clone(),
        args.connect_concurrency,
    );
    let connected = wait_connected(record, args.clients).await?;
    tokio::time::sleep(SETTLE).await;
    let rss_after = server.resident_bytes()?;
    let kernel_after = system::tcp_buffer_bytes()?;
    let n = args.clients.max(1) as f64;
    let bytes_per_connection = rss_after.saturating_sub(rss_before) as f64 / n;
    println!(
        "server: {} screens connected in {:.2} s; RSS {:.1} MB → {:.1} MB, {:.0} bytes per idle connection",
        args.clients,
        connected.as_secs_f64(),
        rss_before as f64 / 1e6,
        rss_after as f64 / 1e6,
        bytes_per_connection
    );
    let load = run_load(
        server.pid,
        Sink::Server(office),
        plan,
        record,
        args.rate,
        args.seconds,
    )
    .await;
    print_load("server", &load, args.clients);
    println!(
        "server: RSS after the load {:.1} MB ({:.0} bytes per connection)",
        server.resident_bytes()? as f64 / 1e6,
        server.resident_bytes()?.saturating_sub(rss_before) as f64 / n
    );
    let (server, restart) = phases::restart(server, &launcher, plan, record).await?;
    println!(
        "server: restarted (down {:.2} s); every screen back and current {:.2} s after SIGTERM",
        restart.down_seconds, restart.seconds
    );
    fleet.stop().await;
    server.stop().await?;
    Ok(ServerFigures {
        connect_seconds: connected.as_secs_f64(),
        bytes_per_connection,
        kernel_bytes_per_connection: kernel_after.saturating_sub(kernel_before) as f64 / n,
        load,
        restart,
    })
}

async fn measure_floor(
    args: &FanoutArgs,
    plan: &Plan,
    record: &Arc<Record>,
) -> anyhow::Result<LoadFigures> {
    let floor = FloorProcess::start(&regions_path()).await?;
    let rss_before = system::resident_bytes(floor.pid)?;
    let fleet = Fleet::start(
        floor.target(),
        &plan.scopes,
        record.clone(),
        args.connect_concurrency,
    );
    let connected = wait_connected(record, args.clients).await?;
    tokio::time::sleep(SETTLE).await;
    let rss_after = system::resident_bytes(floor.pid)?;
    println!(
        "floor: {} screens connected in {:.2} s, {:.0} bytes per idle connection",
        args.clients,
        connected.as_secs_f64(),
        rss_after.saturating_sub(rss_before) as f64 / args.clients.max(1) as f64
    );
    let load = run_load(
        floor.pid,
        floor.sink.clone(),
        plan,
        record,
        args.rate,
        args.seconds,
    )
    .await;
    print_load("floor", &load, args.clients);
    fleet.stop().await;
    floor.stop().await;
    Ok(load)
}

fn print_load(name: &str, figures: &LoadFigures, clients: usize) {
    let load = &figures.load;
    let sent = load.commands - load.failed;
    println!(
        "{name}: {sent} commands in {:.2} s ({} failed{}), {:.0} messages/s to {clients} screens (mean {:.0} bytes)",
        load.elapsed.as_secs_f64(),
        load.failed,
        load.first_error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default(),
        figures.deliveries_per_s,
        figures.mean_message_bytes
    );
    println!(
        "{name}: command sent to screen p50 {:.1} ms, p99 {:.1} ms over {} of {} expected warning deliveries",
        figures.p50_ms, figures.p99_ms, figures.received, load.expected
    );
    println!(
        "{name}: command answered (committed) to screen p50 {:.1} ms, p99 {:.1} ms",
        figures.answered_p50_ms, figures.answered_p99_ms
    );
    println!(
        "{name}: CPU during the load: {:.2} cores in the server, {:.2} in the bench's screens and load",
        figures.server_cores, figures.bench_cores
    );
    if !load.answers.is_empty() {
        let mut answers = load.answers.clone();
        answers.sort();
        let at = |p: f64| answers[((answers.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
        println!(
            "{name}: command answered p50 {:.1} ms, p99 {:.1} ms",
            at(0.5),
            at(0.99)
        );
    }
}

fn report(args: &FanoutArgs, server: &ServerFigures, floor: Option<&LoadFigures>) {
    let load = &server.load;
    let commands_per_s =
        (load.load.commands - load.load.failed) as f64 / load.load.elapsed.as_secs_f64();
    let floor_deliveries = floor.map(|f| f.deliveries_per_s);
    println!(
        "summary: {} screens connected in {:.2} s; kernel TCP buffers {:.0} bytes per connection (both ends)",
        args.clients, server.connect_seconds, server.kernel_bytes_per_connection
    );
    if let Some(floor) = floor_deliveries {
        println!(
            "summary: {:.0} deliveries/s against the floor's {:.0} ({:.0}%)",
            load.deliveries_per_s,
            floor,
            100.0 * load.deliveries_per_s / floor.max(1.0)
        );
    }
    let line = json!({
        "bench": "fanout",
        "clients": args.clients,
        "commands_per_s": round(commands_per_s, 1),
        "p50_ms": round(load.p50_ms, 1),
        "p99_ms": round(load.p99_ms, 1),
        "deliveries_per_s": round(load.deliveries_per_s, 0),
        "floor_deliveries_per_s": floor_deliveries.map(|d| round(d, 0)),
        "server_bytes_per_connection": round(server.bytes_per_connection, 0),
        "reconnect_seconds": round(server.restart.seconds, 2),
    });
    println!("{line}");
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}
