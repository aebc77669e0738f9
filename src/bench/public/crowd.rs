//! The crowd of phones: `clients` tasks, each with its own connection, fetching pages at
//! random from a list for a while, every request timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a crowd did.
pub struct Tally {
    /// Each answered page's time, in ms, sorted.
    latencies_ms: Vec<f64>,
    pub failed: u64,
    seconds: f64,
}

impl Tally {
    pub fn count(&self) -> usize {
        self.latencies_ms.len()
    }

    pub fn per_second(&self) -> f64 {
        self.latencies_ms.len() as f64 / self.seconds
    }

    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies_ms.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_ms[rank]
    }
}

/// Browses `paths` (chosen at random, the same seed per client) with `clients` phones.
pub async fn browse(
    base: &str,
    paths: &[String],
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Tally> {
    let paths = Arc::new(paths.to_vec());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(1)
            .build()?;
        let (base, paths) = (base.to_string(), paths.clone());
        tasks.push(tokio::spawn(async move {
            let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (client as u64 + 1);
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            while Instant::now() < deadline {
                // xorshift: each phone wanders the site in its own order.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let path = &paths[(state % paths.len() as u64) as usize];
                let sent = Instant::now();
                let ok = match http.get(format!("{base}{path}")).send().await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        ok && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if ok {
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed += 1;
                }
            }
            (latencies, failed)
        }));
    }
    let mut latencies_ms = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (mut part, part_failed) = task.await?;
        latencies_ms.append(&mut part);
        failed += part_failed;
    }
    latencies_ms.sort_by(f64::total_cmp);
    Ok(Tally {
        latencies_ms,
        failed,
        seconds: started.elapsed().as_secs_f64(),
    })
}
