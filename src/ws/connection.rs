//! One screen's socket: send what the hub queued, keep the connection provably alive, and
//! give up on a screen that stops reading or stops answering, so a dead wall never holds
//! a task or a buffer for long.
//!
//! Liveness uses WebSocket Ping frames, which browsers answer without any page code; any
//! frame received counts as a sign of life. A JSON `ping` goes along with each Ping frame
//! because page scripts cannot see Ping frames and a wall shows when it last heard.

use std::convert::Infallible;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::MAX_INCOMING;
use super::frame::{self, Incoming, Reader, Violation};
use super::hub::{Conn, Hub, Joined};

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
    Refused(Violation),
    Stalled,
    Silent,
    HubClosed,
}

/// Serves one upgraded socket until it ends. `early` holds what the client sent right
/// after its handshake; `joined` is its place on the hub, taken before the handshake was
/// answered, so a screen that has its `101` is already subscribed.
pub(crate) async fn serve(
    stream: TcpStream,
    early: Bytes,
    hub: Arc<Hub>,
    joined: Joined,
    username: String,
) {
    // Every frame is written whole in one call; nothing is gained by Nagle's delay.
    let _ = stream.set_nodelay(true);
    let conn = joined.conn;
    let scope = conn.scope;
    let _leave = Leave {
        hub: &hub,
        conn: &conn,
    };
    tracing::info!(%scope, username, id = conn.id, resumed = joined.resumed, "live stream opened");
    let mut socket = Socket {
        stream,
        reader: Reader::new(MAX_INCOMING),
        liveness: Liveness::new(Instant::now()),
    };
    let mut queue = joined.queue;
    let Err(ending) = stream_to(&mut socket, &hub, &conn, early, joined.first, &mut queue).await;
    let farewell = match ending {
        Ending::HubClosed => Some(frame::CLOSE_GOING_AWAY),
        Ending::Refused(violation) => {
            let reason = violation.reason;
            tracing::debug!(%scope, id = conn.id, reason, "screen sent a frame the server refuses");
            Some(violation.code)
        }
        _ => None,
    };
    if let Some(code) = farewell {
        let _ =
            tokio::time::timeout(Duration::from_secs(1), socket.write(&frame::close(code))).await;
    }
    tracing::info!(%scope, username, id = conn.id, ?ending, "live stream closed");
}

/// Handles what the client sent with its handshake, sends what the screen needs first (a
/// snapshot, or the messages it missed), then whatever the hub queues.
async fn stream_to(
    socket: &mut Socket,
    hub: &Hub,
    conn: &Conn,
    early: Bytes,
    first: Vec<Bytes>,
    queue: &mut mpsc::Receiver<Bytes>,
) -> Result<Infallible, Ending> {
    let mut rest = &early[..];
    while !rest.is_empty() {
        let taken = socket.reader.push(rest);
        rest = &rest[taken..];
        socket.answer_frames().await?;
    }
    drop(early);
    for message in first {
        socket.send(&message).await?;
    }
    pump(socket, hub, conn, queue).await
}

/// Moves queued messages to the socket and watches the socket, until either side ends.
async fn pump(
    socket: &mut Socket,
    hub: &Hub,
    conn: &Conn,
    queue: &mut mpsc::Receiver<Bytes>,
) -> Result<Infallible, Ending> {
    let mut checks = tokio::time::interval_at(Instant::now() + CHECK_EVERY, CHECK_EVERY);
    loop {
        tokio::select! {
            item = queue.recv() => {
                let message = item.ok_or(Ending::HubClosed)?;
                forward(socket, hub, conn, queue, message).await?;
            }
            ready = socket.stream.readable() => {
                ready.map_err(|_| Ending::SocketError)?;
                socket.read().await?;
            }
            _ = checks.tick() => match socket.liveness.check(Instant::now()) {
                Heartbeat::Quiet => {}
                Heartbeat::Dead => return Err(Ending::Silent),
                Heartbeat::Ping => {
                    let text = hub.ping().ok_or(Ending::HubClosed)?;
                    socket.send(&text).await?;
                    socket.send(&frame::ping()).await?;
                }
            },
        }
    }
}

/// The most queued messages written in one system call.
const BATCH: usize = 16;

/// Writes `first` and whatever else is already queued behind it. A screen that fell
/// behind (its task ran late on a busy machine) catches up in one write instead of one
/// per message, so the cost of catching up shrinks as the backlog grows.
async fn forward(
    socket: &mut Socket,
    hub: &Hub,
    conn: &Conn,
    queue: &mut mpsc::Receiver<Bytes>,
    first: Bytes,
) -> Result<(), Ending> {
    conn.dequeued(first.len());
    let mut batch = Vec::new();
    if let Ok(second) = queue.try_recv() {
        batch.reserve_exact(BATCH);
        batch.extend([first, second]);
        while batch.len() < BATCH
            && let Ok(next) = queue.try_recv()
        {
            batch.push(next);
        }
        for message in &batch[1..] {
            conn.dequeued(message.len());
        }
    } else {
        batch.push(first);
    }
    if conn.needs_snapshot() {
        // Everything queued is older than the snapshot and is thrown away.
        let snapshot = hub.resnapshot(conn, queue).ok_or(Ending::HubClosed)?;
        return socket.send(&snapshot).await;
    }
    socket.write_all(&batch).await?;
    socket.liveness.sent(Instant::now());
    Ok(())
}

/// One screen's socket: the stream, what it has sent so far, and when it was last heard.
struct Socket {
    stream: TcpStream,
    reader: Reader,
    liveness: Liveness,
}

impl Socket {
    /// Writes a whole frame and notes that the screen was sent something.
    async fn send(&mut self, frame: &[u8]) -> Result<(), Ending> {
        self.write(frame).await?;
        self.liveness.sent(Instant::now());
        Ok(())
    }

    /// Writes a whole frame, straight from the shared bytes when the socket has room
    /// (the usual case: no timer, no copy), else waiting for room, giving up on a socket
    /// that accepts nothing for `STALL_LIMIT`.
    async fn write(&self, frame: &[u8]) -> Result<(), Ending> {
        let mut written = 0;
        while written < frame.len() {
            match self.stream.try_write(&frame[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.wait_writable().await?
                }
                Err(_) => return Err(Ending::SocketError),
            }
        }
        Ok(())
    }

    /// Waits for room in a full socket, for at most `STALL_LIMIT`.
    async fn wait_writable(&self) -> Result<(), Ending> {
        tokio::time::timeout(STALL_LIMIT, self.stream.writable())
            .await
            .map_err(|_| Ending::Stalled)?
            .map_err(|_| Ending::SocketError)
    }

    /// Writes whole frames, as many per system call as the socket takes.
    async fn write_all(&self, frames: &[Bytes]) -> Result<(), Ending> {
        let (mut index, mut offset) = (0, 0);
        while index < frames.len() {
            let mut slices = [IoSlice::new(&[]); BATCH];
            let pending = frames[index..].iter().take(BATCH).enumerate();
            for (k, frame) in pending {
                let skip = if k == 0 { offset } else { 0 };
                slices[k] = IoSlice::new(&frame[skip..]);
            }
            let count = (frames.len() - index).min(BATCH);
            match self.stream.try_write_vectored(&slices[..count]) {
                Ok(mut n) => {
                    // Steps over what was written: whole frames, then into the next one.
                    while n > 0 {
                        let left = frames[index].len() - offset;
                        if n >= left {
                            (index, offset, n) = (index + 1, 0, n - left);
                        } else {
                            (offset, n) = (offset + n, 0);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.wait_writable().await?
                }
                Err(_) => return Err(Ending::SocketError),
            }
        }
        Ok(())
    }

    /// Reads what the socket holds and answers the frames in it.
    async fn read(&mut self) -> Result<(), Ending> {
        loop {
            match self.stream.try_read(self.reader.spare()) {
                Ok(0) => return Err(Ending::ClientClosed),
                Ok(n) => {
                    self.reader.filled(n);
                    self.liveness.heard(Instant::now());
                    self.answer_frames().await?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(_) => return Err(Ending::SocketError),
            }
        }
    }

    /// Acts on every whole frame the reader holds: Pings are answered, a Close is
    /// answered and ends the stream, anything else only shows the screen is alive.
    async fn answer_frames(&mut self) -> Result<(), Ending> {
        loop {
            match self.reader.next_frame() {
                Ok(None) => return Ok(()),
                Ok(Some(Incoming::Alive)) => {}
                Ok(Some(Incoming::Ping(payload))) => self.write(&frame::pong(&payload)).await?,
                Ok(Some(Incoming::Close(_))) => {
                    let _ = self.write(&frame::close(frame::CLOSE_NORMAL)).await;
                    return Err(Ending::ClientClosed);
                }
                Err(violation) => return Err(Ending::Refused(violation)),
            }
        }
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
