//! The books of live streams: how many each token and each client address holds and how
//! many there are in all, checked and counted in one step before the upgrade, so that a
//! burst of handshakes cannot all slip under a cap together. A stream holds its place as a
//! [`Session`], which gives it back however the stream ends.
//!
//! The books also end sessions. Every token with a live stream has one `watch` channel its
//! streams wait on: a sign-out ([`Admission::revoke`]) or a token found gone or expired
//! when the store is asked again ([`Admission::recheck`]) closes them all with 4001. The
//! store is asked once per token, not per stream, because thousands of walls share a
//! handful of display tokens.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;

use super::limits::WsLimits;
use super::stats::{WsCounters, count};
use crate::http::error::ApiError;
use crate::store::Store;

/// The longest a stream's expiry timer is set for at once; it is set again when it fires
/// before the token's expiry (the wall clock and the timer's clock may also drift apart).
const LONGEST_TIMER: Duration = Duration::from_secs(24 * 3600);

/// Why a stream was not admitted, with the cap it met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    PerToken(usize),
    PerAddress(usize),
    /// Only the reserve of file descriptors is left; the number is the streams' budget.
    OpenFiles(usize),
}

/// The live streams' books, one per hub.
pub struct Admission {
    limits: WsLimits,
    /// The most live streams at once: the open-file limit less the reserve.
    budget: usize,
    books: Mutex<Books>,
    counters: WsCounters,
}

#[derive(Default)]
struct Books {
    tokens: HashMap<String, TokenStreams>,
    addresses: HashMap<IpAddr, usize>,
}

/// The live streams of one token.
struct TokenStreams {
    streams: usize,
    expires_at: DateTime<Utc>,
    /// Turns true when the token's session ends; every stream of it waits on this.
    ended: watch::Sender<bool>,
}

/// One admitted stream's place in the books, given back when it is dropped, and how it
/// learns that its session ended.
pub struct Session {
    admission: Arc<Admission>,
    token_hash: String,
    address: IpAddr,
    expires_at: DateTime<Utc>,
    ended: watch::Receiver<bool>,
}

impl Admission {
    /// Books for `limits`, with `open_files` descriptors for the whole process.
    pub fn new(limits: WsLimits, open_files: u64) -> Admission {
        let open_files = usize::try_from(open_files).unwrap_or(usize::MAX);
        Admission {
            budget: open_files.saturating_sub(limits.fd_reserve),
            limits,
            books: Mutex::default(),
            counters: WsCounters::default(),
        }
    }

    pub fn limits(&self) -> &WsLimits {
        &self.limits
    }

    pub fn counters(&self) -> &WsCounters {
        &self.counters
    }

    /// Admits a stream of the token with this hash from `address`, or says which cap it
    /// met. `expires_at` is the token's expiry, used if no other stream of it is live.
    pub fn admit(
        self: &Arc<Self>,
        token_hash: &str,
        address: IpAddr,
        expires_at: DateTime<Utc>,
    ) -> Result<Session, Refusal> {
        let mut guard = lock(&self.books);
        let books = &mut *guard;
        if let Some((refusal, counter)) = self.over_cap(books, token_hash, address) {
            count(counter);
            return Err(refusal);
        }
        let token = books
            .tokens
            .entry(token_hash.to_string())
            .or_insert_with(|| TokenStreams {
                streams: 0,
                expires_at,
                ended: watch::Sender::new(false),
            });
        token.streams += 1;
        let session = Session {
            admission: self.clone(),
            token_hash: token_hash.to_string(),
            address,
            expires_at: token.expires_at,
            ended: token.ended.subscribe(),
        };
        *books.addresses.entry(address).or_default() += 1;
        self.counters.live.fetch_add(1, Ordering::Relaxed);
        Ok(session)
    }

    /// The cap a new stream would go over, and the counter of its refusals.
    fn over_cap(
        &self,
        books: &Books,
        token_hash: &str,
        address: IpAddr,
    ) -> Option<(Refusal, &AtomicU64)> {
        let of_token = books.tokens.get(token_hash).map_or(0, |t| t.streams);
        let of_address = books.addresses.get(&address).copied().unwrap_or(0);
        let live = self.counters.live.load(Ordering::Relaxed) as usize;
        let (limits, counters) = (&self.limits, &self.counters);
        if of_token >= limits.per_token {
            let refusal = Refusal::PerToken(limits.per_token);
            Some((refusal, &counters.refused_per_token))
        } else if of_address >= limits.per_address {
            let refusal = Refusal::PerAddress(limits.per_address);
            Some((refusal, &counters.refused_per_address))
        } else if live >= self.budget {
            Some((
                Refusal::OpenFiles(self.budget),
                &counters.refused_open_files,
            ))
        } else {
            None
        }
    }

    /// The expiry of a token with live streams, which saves a new stream of it a store read.
    pub fn expiry(&self, token_hash: &str) -> Option<DateTime<Utc>> {
        lock(&self.books)
            .tokens
            .get(token_hash)
            .map(|t| t.expires_at)
    }

    /// Ends the session of every live stream of the token with this hash; they close with
    /// 4001. Returns how many there were.
    pub fn revoke(&self, token_hash: &str) -> usize {
        let books = lock(&self.books);
        let Some(token) = books.tokens.get(token_hash) else {
            return 0;
        };
        token.ended.send_replace(true);
        token.streams
    }

    /// Asks the store about every token with live streams and ends the sessions of those
    /// it no longer has or that have expired by `now` (a sign-out on another instance
    /// sharing the store). A token the store cannot be asked about keeps its streams.
    /// Returns how many streams were told to close.
    pub async fn recheck(&self, store: &Store, now: DateTime<Utc>) -> usize {
        let hashes: Vec<String> = lock(&self.books).tokens.keys().cloned().collect();
        let mut ended = 0;
        for hash in hashes {
            match store.get_token(&hash).await {
                Ok(Some(record)) if record.expires_at > now => {}
                Ok(_) => ended += self.revoke(&hash),
                Err(error) => tracing::warn!(%error, "a live stream's token not rechecked"),
            }
        }
        ended
    }

    fn release(&self, token_hash: &str, address: IpAddr) {
        let mut guard = lock(&self.books);
        let books = &mut *guard;
        if let Some(token) = books.tokens.get_mut(token_hash) {
            token.streams -= 1;
            if token.streams == 0 {
                books.tokens.remove(token_hash);
            }
        }
        if let Some(streams) = books.addresses.get_mut(&address) {
            *streams -= 1;
            if *streams == 0 {
                books.addresses.remove(&address);
            }
        }
        self.counters.live.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Session {
    /// Completes when the token's session has ended (signed out, or gone from the store).
    pub async fn ended(&mut self) {
        if self.ended.wait_for(|ended| *ended).await.is_err() {
            // The books keep the sender while this session is in them, so this is never
            // reached; should it be, the session simply never ends this way.
            std::future::pending::<()>().await;
        }
    }

    /// Whether the token has expired by now.
    pub fn expired(&self) -> bool {
        Utc::now() >= self.expires_at
    }

    /// When to look at the token's expiry next: at the expiry, or within a day.
    pub fn next_expiry_check(&self) -> Instant {
        let left = (self.expires_at - Utc::now()).to_std().unwrap_or_default();
        Instant::now() + left.min(LONGEST_TIMER)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.admission.release(&self.token_hash, self.address);
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        let too_many = |cap: &str, limit: usize, whose: &str| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_connections",
                format!(
                    "{whose} already holds {limit} live streams, the most it may; close one first"
                ),
            )
            .with(json!({ "cap": cap, "limit": limit }))
        };
        match refusal {
            Refusal::PerToken(limit) => too_many("per_token", limit, "this token"),
            Refusal::PerAddress(limit) => too_many("per_address", limit, "this client address"),
            Refusal::OpenFiles(limit) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_open_files",
                "the server holds as many live streams as it keeps file descriptors for; try again later",
            )
            .with(json!({ "cap": "open_files", "limit": limit })),
        }
    }
}

/// Locks the books, carrying on after a panic elsewhere: they are valid between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[path = "admission_tests.rs"]
mod tests;
