//! The screens: one task per WebSocket client, connecting through a shared gate (so the
//! listener's backlog is not overrun), reconnecting with jittered backoff and resuming
//! with `epoch` and `since` like the wall pages do, and recording every delivery.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::record::{Effect, MARKER_PREFIX, Record};

/// The longest a connect plus handshake may take before it counts as failed.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// The first retry waits 50–150 ms; each failure doubles it, up to 1 s (plus jitter).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Where the screens connect.
pub struct Target {
    pub addr: SocketAddr,
    pub token: String,
}

/// A running set of screens.
pub struct Fleet {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Fleet {
    /// Starts one screen per scope; at most `concurrency` handshakes run at once.
    pub fn start(
        target: Arc<Target>,
        scopes: &[String],
        record: Arc<Record>,
        concurrency: usize,
    ) -> Fleet {
        let (stop, stopped) = watch::channel(false);
        let gate = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for scope in scopes {
            let screen = Screen {
                target: target.clone(),
                scope: scope.clone(),
                record: record.clone(),
                gate: gate.clone(),
                position: None,
                generation_seen: 0,
            };
            tasks.spawn(screen.run(stopped.clone()));
        }
        Fleet { stop, tasks }
    }

    /// Closes every screen and waits for their tasks.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One screen's state across reconnections.
struct Screen {
    target: Arc<Target>,
    scope: String,
    record: Arc<Record>,
    gate: Arc<Semaphore>,
    /// The epoch and seq of the last numbered message, for resuming.
    position: Option<(String, u64)>,
    /// The last restart generation whose marker this screen has seen.
    generation_seen: u32,
}

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

impl Screen {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        while !*stop.borrow() {
            let socket = {
                let Ok(_permit) = self.gate.acquire().await else {
                    return;
                };
                tokio::time::timeout(HANDSHAKE_LIMIT, self.connect()).await
            };
            match socket {
                Ok(Ok(socket)) => {
                    failures = 0;
                    self.read(socket, &mut stop).await;
                    if *stop.borrow() {
                        return;
                    }
                    self.record.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                _ => failures = failures.saturating_add(1),
            }
            let pause = backoff(failures.max(1));
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return,
            }
        }
    }

    async fn connect(&self) -> anyhow::Result<Socket> {
        let mut url = format!(
            "ws://{}/ws?scope={}&token={}",
            self.target.addr, self.scope, self.target.token
        );
        if let Some((epoch, seq)) = &self.position {
            url.push_str(&format!("&epoch={epoch}&since={seq}"));
        }
        let stream = TcpStream::connect(self.target.addr).await?;
        stream.set_nodelay(true)?;
        // Screens receive and never send much: small buffers keep ten thousand of them in
        // this process cheap, as on the server.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (socket, _) =
            tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
        Ok(socket)
    }

    /// Reads until the stream ends or the fleet stops.
    async fn read(&mut self, mut socket: Socket, stop: &mut watch::Receiver<bool>) {
        let mut counted = false;
        loop {
            let frame = tokio::select! {
                frame = socket.next() => frame,
                _ = stop.changed() => break,
            };
            match frame {
                Some(Ok(Message::Text(text))) => {
                    if self.receive(text.as_str()) && !counted {
                        counted = true;
                        self.record.connected.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {} // Pings are answered by tungstenite itself.
            }
        }
        if counted {
            self.record.connected.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Records one message; true for a snapshot or delta (not a heartbeat).
    fn receive(&mut self, text: &str) -> bool {
        let Ok(message) = serde_json::from_str::<Incoming>(text) else {
            return false;
        };
        if message.kind == "ping" {
            return false;
        }
        self.record.messages.fetch_add(1, Ordering::Relaxed);
        self.record
            .message_bytes
            .fetch_add(text.len() as u64, Ordering::Relaxed);
        if let (Some(epoch), Some(seq)) = (&message.epoch, message.seq) {
            self.position = Some((epoch.to_string(), seq));
        }
        if message.kind == "delta" {
            for brief in &message.warnings {
                if let Some(effect) = Effect::of(&brief.title, &brief.state) {
                    self.record.delivered(effect);
                }
            }
        }
        self.note_marker(&message);
        true
    }

    /// Counts this screen as current once it shows a warning raised after the latest
    /// restart (the bench raises one in every village, so every scope gets one).
    fn note_marker(&mut self, message: &Incoming) {
        let generation = self.record.generation.load(Ordering::Acquire);
        if generation <= self.generation_seen {
            return;
        }
        let marker = format!("{MARKER_PREFIX}{generation} ");
        let listed = message.warnings.iter().chain(&message.recent);
        if listed.into_iter().any(|b| b.title.starts_with(&marker)) {
            self.generation_seen = generation;
            self.record.current.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// What a screen reads of a message; serde skips the rest without allocating.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    epoch: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default, borrow)]
    warnings: Vec<Brief<'a>>,
    #[serde(default, borrow)]
    recent: Vec<Brief<'a>>,
}

#[derive(Deserialize)]
struct Brief<'a> {
    #[serde(borrow)]
    title: Cow<'a, str>,
    #[serde(borrow)]
    state: Cow<'a, str>,
}

/// The wait before attempt `failures + 1`: doubling from `FIRST_BACKOFF` up to
/// `MAX_BACKOFF`, each drawn from half to one and a half times that, so ten thousand
/// screens do not retry in step.
fn backoff(failures: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    base.mul_f64(0.5 + rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap_with_jitter() {
        for _ in 0..100 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(150));
            let late = backoff(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1500));
        }
    }

    #[test]
    fn a_delta_is_read_for_its_warnings_and_position() {
        let text = r#"{"type":"delta","epoch":"ab","seq":7,"summary":{"red":1},
            "warnings":[{"id":"w1","title":"fanout 3","state":"notified","version":2}],"at":"x"}"#;
        let message: Incoming = serde_json::from_str(text).unwrap();
        assert_eq!(message.kind, "delta");
        assert_eq!(message.seq, Some(7));
        assert_eq!(
            Effect::of(&message.warnings[0].title, &message.warnings[0].state),
            Some(Effect::Raised(3))
        );
    }
}
