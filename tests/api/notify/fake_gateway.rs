//! An HTTP gateway on loopback that records every request and can be told how to
//! misbehave. Each provider's fake (in its test file) is a handler over this state.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request as the gateway received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub query: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    /// The form body's fields, decoded.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// What the fake records and how it is told to behave.
#[derive(Default)]
pub struct Gateway {
    requests: Mutex<Vec<Recorded>>,
    /// Answer this many requests with 503 before behaving.
    fail_next: AtomicU32,
    /// Answer every request with 503.
    pub down: AtomicBool,
    /// Answer every request with the provider's rate-limit error.
    pub limiting: AtomicBool,
    /// Answer with a body larger than any client should read.
    pub flood: AtomicBool,
    /// Never answer (the client's timeout must end the wait).
    pub silent: AtomicBool,
    /// When the accepted messages arrived, for the per-minute limits.
    accepted: Mutex<VecDeque<Instant>>,
}

impl Gateway {
    pub fn fail_times(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Records the request and answers for the misbehaviour asked, if any.
    pub async fn intercept(&self, uri: &Uri, body: &Bytes) -> Option<Response> {
        let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        let body = String::from_utf8_lossy(body).into_owned();
        self.requests.lock().unwrap().push(Recorded { query, body });
        if self.silent.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        if self.flood.load(Ordering::SeqCst) {
            return Some((StatusCode::OK, vec![b' '; 70 * 1024]).into_response());
        }
        let failing = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing || self.down.load(Ordering::SeqCst) {
            return Some((StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response());
        }
        None
    }

    /// Whether one more message fits in `per_minute` over the last minute; counts it if so.
    pub fn admit(&self, per_minute: usize) -> bool {
        if self.limiting.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        let mut accepted = self.accepted.lock().unwrap();
        while accepted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            accepted.pop_front();
        }
        if accepted.len() >= per_minute {
            return false;
        }
        accepted.push_back(now);
        true
    }
}

/// Serves `router` on a loopback port until the test's runtime ends.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// RFC 3986 percent-encoding written out here, apart from the crate's, so the fake
/// checks the signature by its own reading of the documentation.
pub fn rfc3986(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
