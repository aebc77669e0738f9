//! `qingfeng-bench public`: the public pages under a crowd of phones.
//!
//! It starts `qingfeng serve --demo --still` in its own process, imports a generated
//! month-by-month welfare ledger (a million payments by default) through the API as the
//! city office, publishes every month, and then lets `clients` phones browse village,
//! fund and month pages, village and town pages and the home page for `seconds`, each
//! request timed. Meanwhile a wall screen follows the city over a WebSocket and the
//! office raises a warning every second: the time from each raise to its delta on the
//! wall says whether the fan-out is still prompt under the load. The baseline, in the same
//! run, is the same crowd fetching `/healthz` (the server's HTTP floor on this machine).

mod crowd;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::fanout::server::{self, Api, Launcher};
use super::fanout::system;
use crate::datagen::{GenConfig, Sizes, demo, generate, villages};
use crate::import::DatasetKind;
use crate::import::value::Fund;
use crate::regions::RegionTree;

#[derive(Debug, clap::Args)]
pub struct PublicArgs {
    /// Welfare payments to generate, import and publish.
    #[arg(long, default_value_t = 1_000_000)]
    pub payments: usize,
    /// Phones browsing at once.
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Seconds of browsing.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Where the server's store goes (default: the temp dir).
    #[arg(long)]
    pub store_dir: Option<std::path::PathBuf>,
}

pub async fn run(args: PublicArgs) -> anyhow::Result<()> {
    system::raise_open_files()?;
    let dir = match &args.store_dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let tree = RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))?;
    let started = Instant::now();
    let csv = generate_payments(&tree, args.payments);
    let paths = page_paths(&tree, &csv)?;
    println!(
        "generated {} payments ({:.0} MB of CSV, {} public pages) in {:.1} s",
        args.payments,
        csv.len() as f64 / 1e6,
        paths.len(),
        started.elapsed().as_secs_f64()
    );
    let launcher = Launcher {
        binary: server::binary_beside_this_one("qingfeng")?,
        store: format!("surrealkv://{}", dir.path().join("public.db").display()),
        log: dir.path().join("server.log"),
        extra: Vec::new(),
    };
    let mut server = launcher.start("127.0.0.1:0".parse()?, true).await?;
    let office = Api::login(server.addr, "jiwei", "qingfeng-demo").await?;
    prepare(&office, csv).await?;
    let base = format!("http://{}", server.addr);
    let floor = crowd::browse(
        &base,
        &["/healthz".to_string()],
        args.clients,
        Duration::from_secs(5),
    )
    .await?;
    println!(
        "floor (/healthz): {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms",
        floor.per_second(),
        floor.percentile(0.5),
        floor.percentile(0.99)
    );
    let wall = Api::login(server.addr, "wall", "qingfeng-demo").await?;
    let duration = Duration::from_secs(args.seconds);
    let (load, probe) = tokio::join!(
        crowd::browse(&base, &paths, args.clients, duration),
        probe_fanout(&office, server.addr, wall.token(), duration)
    );
    let (load, probe) = (load?, probe?);
    let rss = server.resident_bytes()?;
    let alive = !server.has_exited();
    report(&args, &floor, &load, &probe, rss);
    anyhow::ensure!(alive, "the server died; see {}", launcher.log.display());
    server.stop().await?;
    Ok(())
}

/// A welfare ledger of `payments` rows over the demo city's villages.
fn generate_payments(tree: &RegionTree, payments: usize) -> Vec<u8> {
    let config = GenConfig {
        seed: 7,
        as_of: demo::as_of(),
        villages: villages(tree),
        sizes: Sizes {
            welfare_payments: payments,
            ..Sizes::demo()
        },
        plant: false,
    };
    generate(&config)
        .file(DatasetKind::WelfarePayments)
        .as_bytes()
        .to_vec()
}

/// Every public page the ledger makes: the home page, each town and village, and the
/// first page of each village's month of each fund.
fn page_paths(tree: &RegionTree, csv: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut months = BTreeSet::new();
    let mut reader = csv::Reader::from_reader(csv);
    for record in reader.records() {
        let record = record?;
        let fund = Fund::parse(&record[1]);
        months.insert((
            record[4].to_string(),
            fund.as_str().to_string(),
            record[6].to_string(),
        ));
    }
    let mut paths = vec!["/public".to_string()];
    paths.extend(
        tree.iter()
            .filter(|r| r.parent.is_some())
            .map(|r| format!("/public/region/{}", r.code.as_str())),
    );
    for (village, fund, period) in &months {
        let fund = utf8_percent_encode(fund, NON_ALPHANUMERIC);
        paths.push(format!("/public/region/{village}/{fund}/{period}"));
    }
    Ok(paths)
}

/// Imports the ledger and publishes every month, as the city office.
async fn prepare(office: &Api, csv: Vec<u8>) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = office
        .upload("welfare_payments", "welfare_payments.csv", csv)
        .await
        .context("importing the payments")?;
    println!(
        "import (with the scan after it): {} rows in {:.1} s",
        report["rows"],
        started.elapsed().as_secs_f64()
    );
    let listed = office.get("/api/publications").await?;
    let months = listed["months"].as_array().context("no months listed")?;
    let started = Instant::now();
    for month in months {
        let body = json!({"fund": month["fund"], "period": month["period"], "action": "publish"});
        office.post("/api/publications", &body).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "published {} months in {seconds:.1} s ({:.0} ms each, the ledger rebuilt each time)",
        months.len(),
        seconds * 1000.0 / months.len().max(1) as f64
    );
    Ok(())
}

/// What the wall saw during the load: the time from each raise to its delta.
struct Probe {
    delays_ms: Vec<f64>,
    missed: usize,
}

/// Raises a warning every second for `duration` and times its delta on a city wall.
async fn probe_fanout(
    office: &Api,
    addr: std::net::SocketAddr,
    wall_token: &str,
    duration: Duration,
) -> anyhow::Result<Probe> {
    let url = format!("ws://{addr}/ws?scope=city&token={wall_token}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let village = "990102100201";
    let deadline = Instant::now() + duration;
    let mut probe = Probe {
        delays_ms: Vec::new(),
        missed: 0,
    };
    let mut n = 0;
    while Instant::now() < deadline {
        n += 1;
        let title = format!("public-bench probe {n}");
        let sent = Instant::now();
        office.raise(village, &title).await?;
        let seen = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(frame) = socket.next().await {
                if let Ok(Message::Text(text)) = frame
                    && text.contains(&title)
                {
                    return true;
                }
            }
            false
        })
        .await;
        match seen {
            Ok(true) => probe.delays_ms.push(sent.elapsed().as_secs_f64() * 1000.0),
            _ => probe.missed += 1,
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(sent.elapsed())).await;
    }
    Ok(probe)
}

fn report(args: &PublicArgs, floor: &crowd::Tally, load: &crowd::Tally, probe: &Probe, rss: u64) {
    let mut delays = probe.delays_ms.clone();
    delays.sort_by(f64::total_cmp);
    let worst = delays.last().copied().unwrap_or(f64::NAN);
    println!(
        "pages: {:.0} pages/s ({} pages, {} failed), p50 {:.1} ms, p99 {:.1} ms; {:.0}% of the /healthz floor",
        load.per_second(),
        load.count(),
        load.failed,
        load.percentile(0.5),
        load.percentile(0.99),
        100.0 * load.per_second() / floor.per_second()
    );
    println!(
        "wall during the load: {} deltas, worst {worst:.0} ms, {} missed; server RSS {:.0} MB",
        delays.len(),
        probe.missed,
        rss as f64 / 1e6
    );
    let line: Value = json!({
        "bench": "public",
        "payments": args.payments,
        "clients": args.clients,
        "pages_per_s": load.per_second().round(),
        "p50_ms": (load.percentile(0.5) * 10.0).round() / 10.0,
        "p99_ms": (load.percentile(0.99) * 10.0).round() / 10.0,
        "floor_per_s": floor.per_second().round(),
        "wall_delta_worst_ms": worst.round(),
        "wall_deltas_missed": probe.missed,
    });
    println!("{line}");
}
