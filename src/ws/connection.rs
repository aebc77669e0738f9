//! One screen's socket: send what the hub queued, keep the connection provably alive, and
//! give up on a screen that stops reading or stops answering, so a dead wall never holds
//! a task or a buffer for long.
//!
//! Liveness uses WebSocket Ping frames, which browsers answer without any page code; any
//! frame received counts as a sign of life. A JSON `ping` goes along with each Ping frame
//! because page scripts cannot see Ping frames and a wall shows when it last heard.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::hub::{Conn, Hub};
use super::scope::Scope;

/// A screen that received nothing for this long gets a heartbeat.
pub const PING_AFTER: Duration = Duration::from_secs(20);
/// A screen that sent nothing (not even a Pong) for this long is dropped.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// A screen whose socket accepts nothing for this long is dropped.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);
/// How often liveness is checked: heartbeats go out 20 to 25 s after the last message.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// What a liveness check asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heartbeat {
    Quiet,
    Ping,
    Dead,
}

/// When the screen was last heard from and last sent something.
#[derive(Clone, Copy, Debug)]
pub struct Liveness {
    heard: Instant,
    sent: Instant,
}

impl Liveness {
    pub fn new(now: Instant) -> Liveness {
        Liveness {
            heard: now,
            sent: now,
        }
    }

    pub fn heard(&mut self, now: Instant) {
        self.heard = now;
    }

    pub fn sent(&mut self, now: Instant) {
        self.sent = now;
    }

    pub fn check(&self, now: Instant) -> Heartbeat {
        if now.duration_since(self.heard) >= SILENCE_LIMIT {
            Heartbeat::Dead
        } else if now.duration_since(self.sent) >= PING_AFTER {
            Heartbeat::Ping
        } else {
            Heartbeat::Quiet
        }
    }
}

/// Why a stream ended, for the log.
#[derive(Clone, Copy, Debug)]
enum Ending {
    ClientClosed,
    SocketError,
    Stalled,
    Silent,
    HubClosed,
}

type Sink = SplitSink<WebSocket, Message>;
type Source = SplitStream<WebSocket>;

/// Serves one upgraded socket until it ends. `resume` is the client's `(epoch, since)`.
pub(crate) async fn serve(
    socket: WebSocket,
    hub: Arc<Hub>,
    scope: Scope,
    resume: Option<(String, u64)>,
    username: String,
) {
    let resume_ref = resume
        .as_ref()
        .map(|(epoch, since)| (epoch.as_str(), *since));
    let Some(joined) = hub.join(scope, resume_ref) else {
        return;
    };
    let conn = joined.conn;
    let _leave = Leave {
        hub: &hub,
        conn: &conn,
    };
    tracing::info!(%scope, username, id = conn.id, resumed = joined.resumed, "live stream opened");
    let (mut sink, mut source) = socket.split();
    let mut queue = joined.queue;
    let Err(ending) = stream(
        &hub,
        &conn,
        joined.first,
        &mut queue,
        &mut sink,
        &mut source,
    )
    .await;
    if matches!(ending, Ending::HubClosed) {
        let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    }
    tracing::info!(%scope, username, id = conn.id, ?ending, "live stream closed");
}

/// Sends what the screen needs first (a snapshot, or the messages it missed), then
/// whatever the hub queues.
async fn stream(
    hub: &Hub,
    conn: &Conn,
    first: Vec<Utf8Bytes>,
    queue: &mut mpsc::Receiver<Utf8Bytes>,
    sink: &mut Sink,
    source: &mut Source,
) -> Result<Infallible, Ending> {
    for message in first {
        send(sink, Message::Text(message)).await?;
    }
    pump(hub, conn, queue, sink, source).await
}

/// Moves queued messages to the socket and watches the socket, until either side ends.
async fn pump(
    hub: &Hub,
    conn: &Conn,
    queue: &mut mpsc::Receiver<Utf8Bytes>,
    sink: &mut Sink,
    source: &mut Source,
) -> Result<Infallible, Ending> {
    let mut liveness = Liveness::new(Instant::now());
    let mut checks = tokio::time::interval_at(Instant::now() + CHECK_EVERY, CHECK_EVERY);
    loop {
        tokio::select! {
            item = queue.recv() => {
                let message = item.ok_or(Ending::HubClosed)?;
                conn.dequeued(message.len());
                let message = if conn.needs_snapshot() {
                    // Everything queued is older than the snapshot and is thrown away.
                    hub.resnapshot(conn, queue).ok_or(Ending::HubClosed)?
                } else {
                    message
                };
                send(sink, Message::Text(message)).await?;
                liveness.sent(Instant::now());
            }
            frame = source.next() => match frame {
                None | Some(Ok(Message::Close(_))) => return Err(Ending::ClientClosed),
                Some(Err(_)) => return Err(Ending::SocketError),
                Some(Ok(_)) => liveness.heard(Instant::now()),
            },
            _ = checks.tick() => match liveness.check(Instant::now()) {
                Heartbeat::Quiet => {}
                Heartbeat::Dead => return Err(Ending::Silent),
                Heartbeat::Ping => {
                    let text = hub.ping().ok_or(Ending::HubClosed)?;
                    send(sink, Message::Text(text)).await?;
                    send(sink, Message::Ping(Default::default())).await?;
                    liveness.sent(Instant::now());
                }
            },
        }
    }
}

/// Sends one message, giving up on a socket that accepts nothing for `STALL_LIMIT`.
async fn send(sink: &mut Sink, message: Message) -> Result<(), Ending> {
    match tokio::time::timeout(STALL_LIMIT, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Ending::SocketError),
        Err(_) => Err(Ending::Stalled),
    }
}

/// Takes the screen off its scope however the stream ends (including a panic).
struct Leave<'a> {
    hub: &'a Hub,
    conn: &'a Arc<Conn>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.hub.leave(self.conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_that_got_nothing_for_twenty_seconds_is_pinged() {
        let start = Instant::now();
        let mut liveness = Liveness::new(start);
        assert_eq!(
            liveness.check(start + Duration::from_secs(19)),
            Heartbeat::Quiet
        );
        assert_eq!(liveness.check(start + PING_AFTER), Heartbeat::Ping);
        liveness.sent(start + PING_AFTER);
        liveness.heard(start + PING_AFTER);
        assert_eq!(
            liveness.check(start + Duration::from_secs(25)),
            Heartbeat::Quiet
        );
    }

    #[test]
    fn a_screen_silent_for_a_minute_is_dropped_even_while_messages_flow_to_it() {
        let start = Instant::now();
        let mut liveness = Liveness::new(start);
        for second in (5..=55).step_by(5) {
            liveness.sent(start + Duration::from_secs(second));
        }
        assert_eq!(
            liveness.check(start + Duration::from_secs(59)),
            Heartbeat::Quiet
        );
        assert_eq!(liveness.check(start + SILENCE_LIMIT), Heartbeat::Dead);
    }

    #[test]
    fn any_frame_from_the_screen_counts_as_a_sign_of_life() {
        let start = Instant::now();
        let mut liveness = Liveness::new(start);
        assert_eq!(
            liveness.check(start + Duration::from_secs(65)),
            Heartbeat::Dead
        );
        liveness.heard(start + Duration::from_secs(50));
        liveness.sent(start + Duration::from_secs(50));
        assert_eq!(
            liveness.check(start + Duration::from_secs(65)),
            Heartbeat::Quiet
        );
        assert_eq!(
            liveness.check(start + Duration::from_secs(110)),
            Heartbeat::Dead
        );
    }
}
