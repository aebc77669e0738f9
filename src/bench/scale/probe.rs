//! The reads `qingfeng-bench scale` times against the running server, over HTTP and the
//! WebSocket as screens and clients make them: list pages (first and deep) for a region of
//! each level, filtered lists, the overdue list, region summaries and a stream's snapshot
//! per level. Each is repeated on regions drawn at random of its level.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::bench::fanout::server::Api;
use crate::domain::region::{Level, RegionCode};
use crate::regions::RegionTree;

/// The deep page: the 21st, reached by following `next` twenty times.
const DEEP: usize = 20;

/// p50 and p99 of one read, in milliseconds.
pub struct Timed {
    pub read: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Timed {
    pub fn json(&self) -> Value {
        json!({"read": self.read, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms})
    }
}

/// Every read, `repeats` times each.
pub async fn measure(
    api: &Api,
    addr: SocketAddr,
    tree: &RegionTree,
    repeats: usize,
) -> anyhow::Result<Vec<Timed>> {
    let mut rng = StdRng::seed_from_u64(11);
    let mut rows = Vec::new();
    for level in Level::ALL {
        let codes: Vec<RegionCode> = tree
            .iter()
            .filter(|r| r.level == level)
            .map(|r| r.code)
            .collect();
        let picks: Vec<RegionCode> = (0..repeats)
            .map(|_| codes[rng.gen_range(0..codes.len())])
            .collect();
        let name = level.as_str();
        let list = |code: RegionCode| format!("/api/warnings?region={code}&limit=50");
        rows.push(time_gets(api, &format!("list {name}"), &picks, list).await?);
        rows.push(deep(api, name, &picks[..picks.len().min(20)]).await?);
        let summary = |code: RegionCode| format!("/api/regions/{code}/summary");
        rows.push(time_gets(api, &format!("summary {name}"), &picks, summary).await?);
        rows.push(snapshots(api, addr, tree, level, &picks).await?);
        if matches!(level, Level::Province | Level::City) {
            for (filter, query) in [
                ("level", "level=red"),
                ("state", "state=rectifying"),
                ("rule", "rule=bid_ring"),
            ] {
                let path =
                    |code: RegionCode| format!("/api/warnings?region={code}&limit=50&{query}");
                let read = format!("filtered {filter} {name}");
                rows.push(time_gets(api, &read, &picks, path).await?);
            }
            let overdue = |code: RegionCode| format!("/api/overdue?region={code}&limit=50");
            rows.push(time_gets(api, &format!("overdue {name}"), &picks, overdue).await?);
        }
    }
    Ok(rows)
}

async fn time_gets(
    api: &Api,
    read: &str,
    picks: &[RegionCode],
    path: impl Fn(RegionCode) -> String,
) -> anyhow::Result<Timed> {
    let mut samples = Vec::with_capacity(picks.len());
    for code in picks {
        let path = path(*code);
        let started = Instant::now();
        api.get(&path)
            .await
            .with_context(|| format!("GET {path}"))?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(timed(read, samples))
}

/// The 21st page of a region's list: the cursor is followed untimed, the page timed.
async fn deep(api: &Api, level: &str, picks: &[RegionCode]) -> anyhow::Result<Timed> {
    let mut samples = Vec::new();
    for code in picks {
        let mut path = format!("/api/warnings?region={code}&limit=50");
        let mut reached = true;
        for _ in 0..DEEP {
            let page = api.get(&path).await?;
            match page["next"].as_str() {
                Some(next) => path = format!("/api/warnings?region={code}&limit=50&after={next}"),
                None => {
                    reached = false;
                    break;
                }
            }
        }
        if reached {
            let started = Instant::now();
            api.get(&path).await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(timed(&format!("deep {level}"), samples))
}

/// From opening a stream to its snapshot's last byte.
async fn snapshots(
    api: &Api,
    addr: SocketAddr,
    tree: &RegionTree,
    level: Level,
    picks: &[RegionCode],
) -> anyhow::Result<Timed> {
    let mut samples = Vec::new();
    for code in picks.iter().take(50) {
        let scope = if *code == tree.root().code {
            "city".to_string()
        } else {
            format!("{}:{code}", level.as_str())
        };
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/ws?scope={scope}").into_client_request()?;
        let bearer = format!("Bearer {}", api.token()).parse()?;
        request.headers_mut().insert("authorization", bearer);
        let started = Instant::now();
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("opening the stream of {scope}"))?;
        let first = socket.next().await.context("the stream closed")??;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        let text = first.into_text()?;
        anyhow::ensure!(
            text.contains("\"snapshot\""),
            "the stream of {scope} began with {}",
            &text[..text.len().min(200)]
        );
        let _ = socket.close(None).await;
    }
    Ok(timed(&format!("snapshot {}", level.as_str()), samples))
}

/// No samples (no region of the level has 21 pages) are written as null.
fn timed(read: &str, mut samples: Vec<f64>) -> Timed {
    let (p50_ms, p99_ms) = crate::bench::reads::p50_p99(&mut samples);
    Timed {
        read: read.to_string(),
        p50_ms,
        p99_ms,
    }
}
