//! `GET /metrics`: what the app counts, in the OpenMetrics text format Prometheus scrapes.
//!
//! The counters and latency histograms the handlers feed live in a `prometheus-client`
//! registry (`Metrics`). Values other parts of the app already keep (the projection's
//! position and counts, password checks, audit failures, WebSocket streams) are read when
//! scraped into a second, short-lived registry, so no part keeps a copy that could drift.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabels {
    level: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Request latency buckets: 0.5 ms doubling to about 16 s, which spans a cached read
/// on a quiet server and an import of a large workbook.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// What the handlers count. Routes are matched paths (`/api/warnings/{id}`), never raw
/// paths, so a stranger probing URLs cannot grow the label sets; unmatched requests share
/// one label.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms,
    commands: Family<CommandLabels, Counter>,
    logins: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "qingfeng_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let latency = Histograms::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "qingfeng_http_request_duration_seconds",
            "Time from a request's arrival to its response's headers, by route",
            latency.clone(),
        );
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "qingfeng_commands",
            "Commands by kind and outcome",
            commands.clone(),
        );
        let logins = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "qingfeng_logins",
            "Sign-in attempts by outcome",
            logins.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            commands,
            logins,
        }
    }
}

impl Metrics {
    /// Counts one answered request and how long it took.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        let route = route.to_string();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
    }

    /// Counts a sign-in attempt by outcome: succeeded, failed, locked, lockout.
    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn command(&self, kind: &str, outcome: &str) {
        let labels = CommandLabels {
            kind: kind.to_string(),
            outcome: outcome.to_string(),
        };
        self.commands.get_or_create(&labels).inc();
    }
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    summary = "Prometheus metrics: requests by route and status, commands, sign-ins, live streams, the projection",
    responses((status = 200, description = "The OpenMetrics text format", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let scraped = scrape(&state);
    // Writing to a String cannot fail.
    let _ = encode_registry(&mut out, &state.metrics.registry);
    let _ = encode_registry(&mut out, &scraped);
    let _ = encode_eof(&mut out);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
}

/// The values other parts of the app keep, read now.
fn scrape(state: &AppState) -> Registry {
    let mut registry = Registry::default();
    let (position, counts, faults) = state.engine.read(|p| {
        let root = state.engine.regions().root().code;
        (p.position, p.rolled_up(&root), p.faults.len())
    });
    registry.register(
        "qingfeng_projection_position",
        "The last event position folded into the projection",
        ConstGauge::new(position as i64),
    );
    registry.register(
        "qingfeng_projection_faults",
        "Events the projection could not apply",
        ConstGauge::new(faults as i64),
    );
    let warnings = Family::<LevelLabels, Gauge>::default();
    for (level, n) in [
        ("red", counts.red),
        ("yellow", counts.yellow),
        ("green", counts.green),
    ] {
        warnings.get_or_create(&LevelLabels { level }).set(n);
    }
    registry.register("qingfeng_warnings", "Warnings by level", warnings);
    registry.register(
        "qingfeng_warnings_overdue",
        "Open warnings past their deadline",
        ConstGauge::new(counts.overdue),
    );
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    registry.register(
        "qingfeng_password_checks",
        "Password checks run (argon2)",
        ConstCounter::new(load(&state.login.checks)),
    );
    registry.register(
        "qingfeng_audit_failures",
        "Audit records that could not be written",
        ConstCounter::new(crate::audit::log::audit_failures()),
    );
    let ws = state.hub.counters();
    registry.register(
        "qingfeng_ws_connections",
        "Live WebSocket streams",
        ConstGauge::new(load(&ws.live) as i64),
    );
    let refused = Family::<ReasonLabels, Counter>::default();
    for (reason, counter) in [
        ("per_token", &ws.refused_per_token),
        ("per_address", &ws.refused_per_address),
        ("origin", &ws.refused_origin),
        ("open_files", &ws.refused_open_files),
    ] {
        refused
            .get_or_create(&ReasonLabels { reason })
            .inc_by(load(counter));
    }
    registry.register(
        "qingfeng_ws_refused",
        "WebSocket upgrades refused, by reason",
        refused,
    );
    registry.register(
        "qingfeng_ws_sessions_ended",
        "Streams closed because their session ended",
        ConstCounter::new(load(&ws.sessions_ended)),
    );
    registry
}
