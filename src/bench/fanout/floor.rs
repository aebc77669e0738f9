//! The floor: the least a fan-out server can do for the same screens and the same load.
//! Bare tokio-tungstenite, one `tokio::sync::broadcast` of serialized messages per scope,
//! one task per connection, the same 100 ms windows, messages of the same shape and size
//! as the real deltas; no authentication, no store, no engine, no resuming, no bounded
//! per-screen queues. Commands arrive as lines `VILLAGE N STATE` on a control socket.
//!
//! It runs in its own process (`qingfeng-bench fanout-floor`), like the real server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::domain::region::RegionCode;
use crate::regions::RegionTree;

const WINDOW: Duration = Duration::from_millis(100);
/// Per scope; a lagging screen skips what it missed (the floor has no snapshots).
const CHANNEL: usize = 64;
/// The most warnings a delta lists, as in the real server.
const DELTA_WARNINGS: usize = 100;

/// One change in a window: the village, the warning's number and its new state.
type Change = (RegionCode, usize, String);

struct Floor {
    tree: RegionTree,
    channels: HashMap<String, broadcast::Sender<Utf8Bytes>>,
    window: Mutex<HashMap<String, Vec<Change>>>,
}

/// Serves the floor until the process is killed; prints the two addresses first.
pub async fn serve(tree: RegionTree) -> anyhow::Result<()> {
    let mut channels = HashMap::new();
    for region in tree.iter() {
        channels.insert(label(&tree, &region.code), broadcast::channel(CHANNEL).0);
    }
    let floor = Arc::new(Floor {
        tree,
        channels,
        window: Mutex::default(),
    });
    let screens = TcpListener::bind("127.0.0.1:0").await?;
    let control = TcpListener::bind("127.0.0.1:0").await?;
    println!(
        "floor listening on ws={} control={}",
        screens.local_addr()?,
        control.local_addr()?
    );
    tokio::spawn(flush_every_window(floor.clone()));
    tokio::spawn(take_commands(floor.clone(), control));
    loop {
        let (stream, _) = screens.accept().await?;
        tokio::spawn(screen(floor.clone(), stream));
    }
}

/// Serves one screen: the scope from the request's query, then every broadcast message.
async fn screen(floor: Arc<Floor>, stream: TcpStream) {
    let mut scope = String::new();
    // The handshake callback's error type is tungstenite's, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        scope = scope_of(request.uri().query().unwrap_or(""));
        Ok(response)
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let Ok(mut socket) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await
    else {
        return;
    };
    let Some(mut messages) = floor.channels.get(&scope).map(|c| c.subscribe()) else {
        return;
    };
    let hello = json!({"type": "snapshot", "epoch": "floor", "seq": 0, "scope": scope});
    if socket.send(Message::text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(text) => if socket.send(Message::Text(text)).await.is_err() { return },
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            frame = socket.next() => match frame {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

fn scope_of(query: &str) -> String {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("scope="))
        .unwrap_or("")
        .to_string()
}

fn label(tree: &RegionTree, code: &RegionCode) -> String {
    if *code == tree.root().code {
        "city".to_string()
    } else {
        let level = tree
            .get(code)
            .map(|r| r.level.as_str())
            .unwrap_or("village");
        format!("{level}:{}", code.as_str())
    }
}

/// Reads command lines and marks the village, its town and the city dirty.
async fn take_commands(floor: Arc<Floor>, control: TcpListener) -> anyhow::Result<()> {
    loop {
        let (stream, _) = control.accept().await?;
        let mut lines = BufReader::new(stream).lines();
        while let Some(line) = lines.next_line().await? {
            let mut fields = line.split_whitespace();
            let (Some(village), Some(n), Some(state)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (Ok(village), Ok(n)) = (RegionCode::parse(village), n.parse::<usize>()) else {
                continue;
            };
            let mut window = floor.window.lock().unwrap();
            for code in floor.tree.ancestors(&village) {
                let change = (village, n, state.to_string());
                window
                    .entry(label(&floor.tree, &code))
                    .or_default()
                    .push(change);
            }
        }
    }
}

async fn flush_every_window(floor: Arc<Floor>) {
    let mut ticker = tokio::time::interval(WINDOW);
    let mut seqs: HashMap<String, u64> = HashMap::new();
    loop {
        ticker.tick().await;
        let window = std::mem::take(&mut *floor.window.lock().unwrap());
        for (scope, changes) in window {
            let seq = seqs.entry(scope.clone()).or_default();
            *seq += 1;
            let text = delta(&floor.tree, &scope, *seq, &changes);
            if let Some(channel) = floor.channels.get(&scope) {
                let _ = channel.send(Utf8Bytes::from(text));
            }
        }
    }
}

/// A delta shaped like the real one: summary, the changed child rows, the changed
/// warnings with the same fields the real server sends to a screen of that scope.
fn delta(tree: &RegionTree, scope: &str, seq: u64, changes: &[Change]) -> String {
    let now = chrono::Utc::now();
    let mut children: Vec<RegionCode> = Vec::new();
    let warnings: Vec<Value> = changes
        .iter()
        .rev()
        .take(DELTA_WARNINGS)
        .map(|(village, n, state)| {
            // The child of the scope the village lies in (none on a village's own scope).
            let chain = tree.ancestors(village);
            let at = chain.iter().position(|c| label(tree, c) == scope);
            if let Some(child) = at.filter(|at| *at > 0).map(|at| chain[at - 1])
                && !children.contains(&child)
            {
                children.push(child);
            }
            // The same fields as the real deltas (`ws::messages::brief`).
            if scope == "city" {
                json!({
                    "id": format!("floor-{n}"), "region": village.as_str(),
                    "region_name": tree.get(village).map(|r| r.name.as_str()),
                    "title": format!("fanout {n}"), "level": "red", "state": state,
                    "rule": null, "raised_at": now,
                })
            } else {
                json!({"id": format!("floor-{n}"), "title": format!("fanout {n}"),
                    "level": "red", "state": state})
            }
        })
        .collect();
    let regions: Vec<Value> = children
        .iter()
        .map(|code| {
            json!({"code": code.as_str(), "name": tree.get(code).map(|r| r.name.as_str()),
                "red": 3, "yellow": 1, "green": 2, "overdue": 0, "worst": "red"})
        })
        .collect();
    json!({
        "type": "delta", "epoch": "floor", "seq": seq, "scope": scope,
        "summary": {"red": 3, "yellow": 1, "green": 2, "overdue": 0, "supervised": 0,
            "raised_today": 5, "rectified_today": 1, "worst": "red"},
        "regions": regions, "warnings": warnings, "at": now,
    })
    .to_string()
}
