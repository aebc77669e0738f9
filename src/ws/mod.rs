//! `GET /ws`: the live stream that keeps wall screens current. One WebSocket shows one
//! scope (`city`, `town:CODE` or `village:CODE`): first a snapshot, then one delta per
//! ~100 ms window in which something under the scope changed, numbered per scope so a
//! screen that reconnects with `epoch` and `since` is sent only what it missed.
//!
//! The pieces: [`scope`] parses what a screen asks for, [`pending`] coalesces changes
//! into windows, [`ring`] keeps recent messages for resuming screens, [`messages`] builds
//! the JSON, [`hub`] fans it out, [`connection`] serves one socket ([`frame`] writes its
//! frames, [`reader`] reads the screen's). Like `http`, this module knows wire formats;
//! the engine and projections know nothing of it.
//!
//! Nothing a stranger sends may take the server down. Before the upgrade a stream must
//! come from an allowed page (`Origin`, 403), carry a valid token (401), and fit the caps
//! of [`WsLimits`]: per token and per client address (429 `too_many_connections`), and
//! the file descriptors left above a reserve (503 `too_many_open_files`); [`admission`]
//! keeps the books. After it, the reader holds a fixed few hundred bytes whatever
//! arrives, and the server closes a stream with:
//!
//! - 1000 answering the screen's own Close;
//! - 1001 when the server stops;
//! - 1002 for bad framing (reserved bits, an unknown opcode, an unmasked frame, a
//!   fragmented or oversized control frame, a continuation out of place, a bad Close);
//! - 1007 for a text message that is not UTF-8, checked across fragments;
//! - 1009 for a message over `MAX_INCOMING`, counted across its fragments;
//! - 4001, "session ended", when the token the stream was opened with expires or is
//!   signed out (at once on this instance through [`Hub::revoke_token`], within
//!   `hub::RECHECK_EVERY` on another sharing the store). The screen goes back to sign-in
//!   instead of reconnecting.

mod admission;
pub mod connection;
pub mod fd_limit;
pub mod frame;
pub mod hub;
pub mod limits;
mod liveness;
pub mod messages;
pub mod pending;
pub mod reader;
pub mod ring;
pub mod scope;
pub mod stats;
pub mod upgrade;
mod utf8;

pub use admission::{Admission, Refusal, Session};
pub use hub::{FLUSH_EVERY, Hub, QUEUE_CAPACITY, RECHECK_EVERY, RING_BYTES, RING_LEN};
pub use limits::WsLimits;
pub use scope::{Scope, ScopeError};
pub use stats::{ConnectionStats, HubStats, ScopeStats, WsCounters};

use axum::extract::{Query, Request, State, rejection::QueryRejection};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Actor, Role, can_read, token_hash};
use crate::http::AppState;
use crate::http::auth::resolve;
use crate::http::client::client_ip;
use crate::http::error::ApiError;
use crate::http::wire::Problem;

/// Screens only answer pings; a data message larger than this from them, counting all its
/// fragments, is refused (1009). The server keeps no read buffer beyond a few hundred bytes
/// per screen whatever the size ([`frame::Reader`] skips data), and no write buffer at all:
/// messages are framed once per scope and written from the shared bytes
/// (`qingfeng-bench fanout` measures both).
const MAX_INCOMING: usize = 16 * 1024;

/// The query of `GET /ws`. Unknown parameters are ignored (browsers add cache busters).
#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    pub scope: Option<String>,
    /// The user's or display's token, for clients that cannot send the cookie.
    pub token: Option<String>,
    /// The epoch of the last message the client holds; `since` counts only within it.
    pub epoch: Option<String>,
    /// The `seq` of the last message the client holds.
    pub since: Option<String>,
}

/// `GET /ws?scope=..`: checks the page, the token, the scope and the caps, then upgrades.
/// Refusals are problem documents before any upgrade: 403 from a page of another origin,
/// 401 without a valid token, 422 for a malformed scope or position, 403 for a scope
/// outside the token's region, 404 for a region the tree lacks, 400 for a request that is
/// not a WebSocket handshake, 429 over a per-token or per-address cap, 503 when only the
/// reserve of file descriptors is left or the server is stopping.
#[utoipa::path(get, path = "/ws", tag = "live",
    summary = "The live stream of a scope (city, town or village): a snapshot, then deltas at most ten times a second; see src/ws/mod.rs for the messages and close codes",
    params(
        ("scope" = Option<String>, Query, description = "Required: `city`, `town:CODE` or `village:CODE` (or `province:`, `prefecture:`, `city:` with a code)"),
        ("token" = Option<String>, Query, description = "The token, for clients that cannot send the cookie or header"),
        ("epoch" = Option<String>, Query, description = "The epoch of the last message the client holds"),
        ("since" = Option<String>, Query, description = "The `seq` of the last message the client holds: a resume sends only what was missed"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A page of another origin, or a scope outside the token's region", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A region the tree lacks", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed scope or position", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over a per-token or per-address cap (Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Only the reserve of file descriptors is left, or the server is stopping", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn upgrade(
    State(state): State<AppState>,
    query: Result<Query<StreamQuery>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let admission = state.hub.admission().clone();
    if let Some(origin) = admission.limits().refused_origin(&parts.headers) {
        stats::count(&admission.counters().refused_origin);
        return Err(origin_not_allowed(&origin));
    }
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let in_url = query.token.clone().filter(|t| !t.is_empty());
    let token = in_url
        .clone()
        .or_else(|| crate::http::auth::bearer(&parts))
        // Browsers send the page's cookies with the upgrade request: how a signed-in wall
        // authenticates without a query token.
        .or_else(|| crate::http::auth::cookie(&parts.headers, "qingfeng_token"))
        .ok_or_else(|| {
            ApiError::unauthorized(
                "sign in first: send the qingfeng_token cookie, an Authorization header, or a display's token=",
            )
        })?;
    let actor = resolve(&state, &token).await?;
    // A token in a URL ends up in proxies' logs and browser histories, so only a wall's
    // display token (which reads and never acts) may travel that way, as for the pages.
    if in_url.is_some() && actor.role() != Role::Display {
        return Err(ApiError::unauthorized(
            "only a display token may be sent as token=; a signed-in user's stream uses the session cookie or an Authorization header",
        ));
    }
    let scope = watched_scope(&state, &actor, query.scope.as_deref())?;
    let resume = resume_point(&query)?;
    let accept = upgrade::accept_key(&parts.headers)?;
    let hash = token_hash(&token);
    let expires_at = token_expiry(&state, &hash).await?;
    let session = admission.admit(&hash, client_ip(&parts), expires_at)?;
    let hub = state.hub.clone();
    let resume = resume
        .as_ref()
        .map(|(epoch, since)| (epoch.as_str(), *since));
    // Joined before answering: a screen is subscribed once it has its `101`. Should the
    // upgrade then fail, the dropped queue takes it off the hub at the next message, and
    // the dropped session gives its place in the books back.
    let joined = hub.join(scope, resume).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; reconnect in a moment",
        )
    })?;
    let username = actor.username().to_string();
    let request = Request::from_parts(parts, body);
    Ok(upgrade::switch(request, accept, move |socket, early| {
        connection::serve(socket, early, hub, joined, session, username)
    }))
}

fn origin_not_allowed(origin: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        format!("pages from {origin} may not open the live stream"),
    )
    .with(json!({ "origin": origin }))
}

/// The scope the stream asks for, if the actor may watch it and the tree has it.
fn watched_scope(state: &AppState, actor: &Actor, asked: Option<&str>) -> Result<Scope, ApiError> {
    let tree = state.engine.regions();
    let scope = Scope::parse(asked.unwrap_or(""), &tree.root().code)
        .map_err(|e| ApiError::invalid("scope", e.to_string()))?;
    if !can_read(actor, scope.code()) {
        return Err(ApiError::forbidden(format!(
            "{} of {} may not watch {scope}",
            actor.role().as_str(),
            actor.region()
        )));
    }
    if tree.get(scope.code()).is_none() {
        return Err(ApiError::not_found(format!(
            "region {} not found",
            scope.code()
        )));
    }
    Ok(scope)
}

/// When the (just resolved) token expires: known without a store read while another
/// stream of it is live, which is the usual case when a centre's walls reconnect.
async fn token_expiry(state: &AppState, hash: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Some(expires_at) = state.hub.admission().expiry(hash) {
        return Ok(expires_at);
    }
    let record = state.engine.store().get_token(hash).await?;
    record
        .map(|r| r.expires_at)
        .ok_or_else(|| ApiError::unauthorized("the token was signed out; sign in again"))
}

/// `epoch` and `since` together, or neither; `since` alone cannot be trusted across a
/// restart, so it is treated as absent (the client gets a snapshot).
fn resume_point(query: &StreamQuery) -> Result<Option<(String, u64)>, ApiError> {
    let since = match query.since.as_deref() {
        None | Some("") => return Ok(None),
        Some(text) => text.parse::<u64>().map_err(|_| {
            ApiError::invalid(
                "since",
                format!("since must be a message number, not '{text}'"),
            )
        })?,
    };
    Ok(query.epoch.clone().map(|epoch| (epoch, since)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(epoch: Option<&str>, since: Option<&str>) -> StreamQuery {
        StreamQuery {
            epoch: epoch.map(str::to_string),
            since: since.map(str::to_string),
            ..StreamQuery::default()
        }
    }

    #[test]
    fn a_resume_point_needs_both_epoch_and_since() {
        let point = resume_point(&query(Some("ab12"), Some("7"))).unwrap();
        assert_eq!(point, Some(("ab12".to_string(), 7)));
        assert_eq!(resume_point(&query(None, Some("7"))).unwrap(), None);
        assert_eq!(resume_point(&query(Some("ab12"), None)).unwrap(), None);
    }

    #[test]
    fn a_since_that_is_not_a_number_is_refused() {
        let err = resume_point(&query(Some("ab12"), Some("-1"))).unwrap_err();
        assert_eq!(err.status, 422);
    }
}
