//! One screen's socket: send what the hub queued, keep the connection provably alive, and
//! give up on a screen that stops reading or stops answering, so a dead wall never holds
//! a task or a buffer for long.
//!
//! A stream also ends, with 4001 (session ended), when the token it was opened with
//! expires or is signed out: every connection carries its [`Session`], which knows the
//! token's expiry and hears of a sign-out.
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
use super::admission::Session;
use super::frame::{self, Incoming, Reader, Violation};
use super::hub::{Conn, Hub, Joined};
use super::stats::count;

pub use super::liveness::{Heartbeat, Liveness, PING_AFTER, SILENCE_LIMIT};

/// A screen whose socket accepts nothing for this long is dropped.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);
/// How often liveness is checked: heartbeats go out 20 to 25 s after the last message.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Why a stream ended, for the log.
#[derive(Clone, Copy, Debug)]
enum Ending {
    ClientClosed,
    SocketError,
    Refused(Violation),
    Stalled,
    Silent,
    HubClosed,
    /// The token expired or was signed out.
    SessionEnded,
}

/// Serves one upgraded socket until it ends. `early` holds what the client sent right
/// after its handshake; `joined` is its place on the hub, taken before the handshake was
/// answered, so a screen that has its `101` is already subscribed; `session` is its place
/// in the books of live streams, given back when this returns.
pub(crate) async fn serve(
    stream: TcpStream,
    early: Bytes,
    hub: Arc<Hub>,
    joined: Joined,
    session: Session,
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
        session,
    };
    let mut queue = joined.queue;
    let Err(ending) = stream_to(&mut socket, &hub, &conn, early, joined.first, &mut queue).await;
    let farewell = match ending {
        Ending::HubClosed => Some(frame::close(frame::CLOSE_GOING_AWAY)),
        Ending::Refused(violation) => {
            let reason = violation.reason;
            tracing::debug!(%scope, id = conn.id, reason, "screen sent a frame the server refuses");
            Some(frame::close(violation.code))
        }
        Ending::SessionEnded => {
            count(&hub.counters().sessions_ended);
            Some(frame::close_with(
                frame::CLOSE_SESSION_ENDED,
                "session ended",
            ))
        }
        _ => None,
    };
    if let Some(close) = farewell {
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.write(&close)).await;
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

/// Moves queued messages to the socket and watches the socket and the session, until
/// either side ends or the session does.
async fn pump(
    socket: &mut Socket,
    hub: &Hub,
    conn: &Conn,
    queue: &mut mpsc::Receiver<Bytes>,
) -> Result<Infallible, Ending> {
    let mut checks = tokio::time::interval_at(Instant::now() + CHECK_EVERY, CHECK_EVERY);
    let expiry = tokio::time::sleep_until(socket.session.next_expiry_check());
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = socket.session.ended() => return Err(Ending::SessionEnded),
            () = &mut expiry => {
                if socket.session.expired() {
                    return Err(Ending::SessionEnded);
                }
                expiry.as_mut().reset(socket.session.next_expiry_check());
            }
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

/// One screen's socket: the stream, what it has sent so far, when it was last heard, and
/// the session it was opened in.
struct Socket {
    stream: TcpStream,
    reader: Reader,
    liveness: Liveness,
    session: Session,
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
