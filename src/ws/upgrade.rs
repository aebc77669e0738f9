//! The WebSocket handshake (RFC 6455 §4.2), done here rather than by a codec so that the
//! upgraded connection is a plain `TcpStream` again: the live stream writes pre-framed
//! shared bytes straight to it ([`super::frame`]) and keeps no per-socket buffers.
//!
//! Upgraded sockets are served on their own small runtime ([`fanout_runtime`]). A window
//! wakes thousands of screens at once; on the runtime that serves HTTP those wakeups
//! would queue every command, login and page behind them, and a command's latency is
//! part of how late its change reaches the walls. On separate threads the operating
//! system interleaves the two, and a request waits for a time slice, not for ten
//! thousand tasks.

use std::future::Future;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::http::error::ApiError;

/// An upgrade request that is not a valid WebSocket handshake.
fn not_websocket(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "not_websocket",
        format!("GET /ws is a WebSocket: {detail}"),
    )
}

/// Checks the handshake headers and returns the `Sec-WebSocket-Accept` value.
pub fn accept_key(headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|text| {
                text.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    if !has_token(header::CONNECTION, "upgrade") {
        return Err(not_websocket("the Connection header must include upgrade"));
    }
    if !has_token(header::UPGRADE, "websocket") {
        return Err(not_websocket("the Upgrade header must be websocket"));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(not_websocket("Sec-WebSocket-Version must be 13"));
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| not_websocket("Sec-WebSocket-Key is missing"))?;
    HeaderValue::from_str(&derive_accept_key(key.as_bytes())).map_err(|e| ApiError::internal(&e))
}

/// Answers `101 Switching Protocols` and, once hyper has handed the connection over,
/// runs `serve` on the fan-out runtime with the socket and any bytes the client sent
/// after its request.
pub fn switch<F, Fut>(mut request: Request, accept: HeaderValue, serve: F) -> Response
where
    F: FnOnce(TcpStream, Bytes) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%error, "WebSocket upgrade failed");
                return;
            }
        };
        let parts =
            match hyper_util::server::conn::auto::upgrade::downcast::<TokioIo<TcpStream>>(upgraded)
            {
                Ok(parts) => parts,
                Err(_) => {
                    tracing::error!("an upgraded connection that is not a TCP stream");
                    return;
                }
            };
        // Moves the socket from this runtime's reactor to the fan-out runtime's.
        let socket = match parts.io.into_inner().into_std() {
            Ok(socket) => socket,
            Err(error) => {
                tracing::warn!(%error, "an upgraded socket could not be handed over");
                return;
            }
        };
        let early = parts.read_buf;
        fanout_runtime().spawn(async move {
            match TcpStream::from_std(socket) {
                Ok(socket) => serve(socket, early).await,
                Err(error) => tracing::warn!(%error, "an upgraded socket was lost"),
            }
        });
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("a 101 answer from valid parts")
}

/// The runtime that serves live streams and runs the hubs: one worker per core, like
/// the HTTP runtime. It lives as long as the process.
pub fn fanout_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("qingfeng-ws")
            .on_thread_start(yield_to_commands)
            .enable_all()
            .build()
            .expect("the live-stream runtime starts")
    })
}

/// How much lower the fan-out threads' scheduling priority is than the rest of the
/// process. A command takes a few milliseconds of CPU and is on every wall only once it
/// is committed, so on a saturated machine it should not wait for time slices behind a
/// window's writes; the writes themselves lose little (commands are a small share).
const FANOUT_NICENESS: i32 = 5;

/// Lowers the calling thread's priority (Linux keeps a nice value per thread). Failing
/// costs only the preference, so it is logged and ignored.
fn yield_to_commands() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions; setpriority only reads its arguments.
        let result = unsafe {
            let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, thread, FANOUT_NICENESS)
        };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            tracing::debug!(%error, "fan-out thread priority unchanged");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, "keep-alive, Upgrade".parse().unwrap());
        headers.insert(header::UPGRADE, "websocket".parse().unwrap());
        headers.insert(header::SEC_WEBSOCKET_VERSION, "13".parse().unwrap());
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        headers
    }

    #[test]
    fn the_accept_key_is_the_one_of_the_rfc_example() {
        let accept = accept_key(&handshake()).unwrap();
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn a_request_missing_any_handshake_header_is_refused() {
        for missing in [
            header::CONNECTION,
            header::UPGRADE,
            header::SEC_WEBSOCKET_VERSION,
            header::SEC_WEBSOCKET_KEY,
        ] {
            let mut headers = handshake();
            headers.remove(&missing);
            let err = accept_key(&headers).unwrap_err();
            assert_eq!(
                (err.status, err.code),
                (StatusCode::BAD_REQUEST, "not_websocket")
            );
        }
    }
}
