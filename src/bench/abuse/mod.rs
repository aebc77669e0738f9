//! `qingfeng-bench abuse`: what strangers can do to a real server.
//!
//! It starts `qingfeng serve --demo --still` in its own process (as the fan-out bench
//! does), measures a signed-in city office user's requests on a quiet server (the
//! baseline), then floods the sign-in with wrong passwords from many clients, each from
//! its own loopback address (127.0.x.y, so each has its own rate-limit bucket, as a
//! botnet would) while the same user keeps working, and finally uploads the 1.7 KB
//! workbook that once made the server allocate 500 TB. It reports the server's peak
//! resident memory above idle, the user's p50/p99 in both runs, how many sign-ins were
//! throttled (429, 503) and whether the server stayed up.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use super::fanout::server::{self, Api, Launcher};
use super::fanout::system;

#[derive(Debug, clap::Args)]
pub struct AbuseArgs {
    /// Anonymous clients flooding the sign-in, each from its own loopback address.
    #[arg(long, default_value_t = 500)]
    pub clients: usize,
    /// Seconds of the flood.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Where the server's store goes (default: the temp dir).
    #[arg(long)]
    pub store_dir: Option<std::path::PathBuf>,
}

/// Sign-in answers by status during the flood.
#[derive(Default)]
struct Tally {
    refused: AtomicU64,
    rate_limited: AtomicU64,
    busy: AtomicU64,
    locked: AtomicU64,
    other: AtomicU64,
}

impl Tally {
    fn count(&self, status: u16) {
        let slot = match status {
            401 => &self.refused,
            429 => &self.rate_limited,
            503 => &self.busy,
            423 => &self.locked,
            _ => &self.other,
        };
        slot.fetch_add(1, Ordering::Relaxed);
    }
}

pub async fn run(args: AbuseArgs) -> anyhow::Result<()> {
    system::raise_open_files()?;
    let dir = match &args.store_dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let launcher = Launcher {
        binary: server::binary_beside_this_one("qingfeng")?,
        store: format!("surrealkv://{}", dir.path().join("abuse.db").display()),
        log: dir.path().join("server.log"),
        extra: Vec::new(),
    };
    let mut server = launcher.start("127.0.0.1:0".parse()?, true).await?;
    let base = format!("http://{}", server.addr);
    let user = Api::login(server.addr, "jiwei", "qingfeng-demo").await?;
    let idle_rss = server.resident_bytes()?;
    println!(
        "server: pid {} on {}, idle RSS {:.0} MB",
        server.pid,
        server.addr,
        mb(idle_rss)
    );
    let quiet = user_work(&base, user.token(), Duration::from_secs(5)).await?;
    println!(
        "quiet: the signed-in user's p50 {:.1} ms, p99 {:.1} ms ({} requests)",
        percentile(&quiet, 0.5),
        percentile(&quiet, 0.99),
        quiet.len()
    );

    let tally = Arc::new(Tally::default());
    let peak = Arc::new(AtomicU64::new(idle_rss));
    let flood_for = Duration::from_secs(args.seconds);
    let sampler = sample_rss(server.pid, peak.clone(), flood_for + Duration::from_secs(2));
    let flood = flood(&base, args.clients, flood_for, tally.clone());
    let work = user_work(&base, user.token(), flood_for);
    let (_, flood_result, busy) = tokio::join!(sampler, flood, work);
    flood_result?;
    let busy = busy?;
    let upload = upload_bomb(&base, user.token()).await;
    let alive = healthy(&base).await && !server.has_exited();
    report(
        &args, idle_rss, &peak, &quiet, &busy, &tally, &upload, alive,
    );
    if alive {
        server.stop().await?;
    }
    Ok(())
}

/// The flood: `clients` tasks, each from its own address, posting wrong passwords for a
/// real account until `duration` is up.
async fn flood(
    base: &str,
    clients: usize,
    duration: Duration,
    tally: Arc<Tally>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let address = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            1 + (client / 250) as u8,
            1 + (client % 250) as u8,
        ));
        let http = reqwest::Client::builder()
            .local_address(address)
            .timeout(Duration::from_secs(10))
            .build()?;
        let url = format!("{base}/api/auth/login");
        let tally = tally.clone();
        tasks.push(tokio::spawn(async move {
            let mut attempt = 0u64;
            while Instant::now() < deadline {
                attempt += 1;
                let body = json!({"username": "liutang", "password": format!("guess-{attempt}")});
                match http.post(&url).json(&body).send().await {
                    Ok(response) => tally.count(response.status().as_u16()),
                    Err(_) => tally.count(0),
                }
            }
        }));
    }
    for task in tasks {
        task.await.context("a flood client panicked")?;
    }
    Ok(())
}

/// The signed-in user's work: the city summary and the first page of warnings, one
/// request every 20 ms, each timed.
async fn user_work(base: &str, token: &str, duration: Duration) -> anyhow::Result<Vec<f64>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let paths = [
        "/api/regions/990102000000/summary",
        "/api/warnings?limit=20",
    ];
    let deadline = Instant::now() + duration;
    let mut latencies = Vec::new();
    let mut n = 0usize;
    while Instant::now() < deadline {
        let path = paths[n % paths.len()];
        n += 1;
        let started = Instant::now();
        let response = http
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        anyhow::ensure!(status.is_success(), "GET {path}: {status}");
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(latencies)
}

/// Reads the server's resident memory every 50 ms, keeping the largest.
async fn sample_rss(pid: u32, peak: Arc<AtomicU64>, duration: Duration) {
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        if let Ok(rss) = system::resident_bytes(pid) {
            peak.fetch_max(rss, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Uploads the billion-row workbook as the city office; returns the status.
async fn upload_bomb(base: &str, token: &str) -> Result<u16, String> {
    let part = reqwest::multipart::Part::bytes(crate::datagen::hostile::billion_row_workbook())
        .file_name("huge.xlsx");
    let form = reqwest::multipart::Form::new().part("file", part);
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/imports/vehicles"))
        .bearer_auth(token)
        .multipart(form)
        .timeout(Duration::from_secs(60))
        .send()
        .await;
    answer
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

async fn healthy(base: &str) -> bool {
    let answer = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    answer.is_ok_and(|r| r.status().is_success())
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &AbuseArgs,
    idle_rss: u64,
    peak: &AtomicU64,
    quiet: &[f64],
    busy: &[f64],
    tally: &Tally,
    upload: &Result<u16, String>,
    alive: bool,
) {
    let peak_above_idle = mb(peak.load(Ordering::Relaxed).saturating_sub(idle_rss));
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let throttled = get(&tally.rate_limited) + get(&tally.busy);
    let attempts = throttled + get(&tally.refused) + get(&tally.locked) + get(&tally.other);
    let (p50, p99) = (percentile(busy, 0.5), percentile(busy, 0.99));
    println!(
        "flood: {} clients for {} s, {attempts} sign-ins: {} refused (401), {} locked (423), \
         {} rate-limited (429), {} busy (503), {} other",
        args.clients,
        args.seconds,
        get(&tally.refused),
        get(&tally.locked),
        get(&tally.rate_limited),
        get(&tally.busy),
        get(&tally.other)
    );
    println!(
        "during the flood: the signed-in user's p50 {p50:.1} ms, p99 {p99:.1} ms ({} requests; \
         quiet baseline p99 {:.1} ms)",
        busy.len(),
        percentile(quiet, 0.99)
    );
    println!("peak RSS above idle: {peak_above_idle:.0} MB (target < 1024)");
    println!("the billion-row workbook: {upload:?}; server alive afterwards: {alive}");
    println!(
        "{}",
        json!({
            "bench": "abuse",
            "peak_rss_mb": peak_above_idle.round(),
            "user_p50_ms": round1(p50),
            "user_p99_ms": round1(p99),
            "quiet_p99_ms": round1(percentile(quiet, 0.99)),
            "attempts": attempts,
            "throttled": throttled,
            "upload_status": upload.as_ref().ok(),
            "crashed": !alive,
        })
    );
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The `q` quantile of `values` (milliseconds), 0 when there are none.
fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}
