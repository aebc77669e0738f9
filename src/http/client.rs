//! The client address of a request: the TCP peer the app accepted the connection from.
//!
//! Limits (login attempts, WebSocket connections) and audit records key on it. A
//! deployment behind a reverse proxy sees the proxy's address here; the proxy then
//! carries those limits (see `deploy/`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// The peer's IP address, or the unspecified address when the app is driven without a
/// listener (router tests), so every such request shares one bucket.
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}
