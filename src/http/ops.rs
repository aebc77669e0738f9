//! Operations endpoints: liveness, readiness and Prometheus metrics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the store answers and the projection has caught up with the log.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.engine.store().head_position().await {
        Ok(head) => {
            let position = state.engine.read(|p| p.position);
            if position >= head {
                (StatusCode::OK, format!("ready: position {position}"))
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("catching up: {position} of {head}"),
                )
            }
        }
        Err(error) => {
            // The cause is for the operator's log, not for whoever asked.
            tracing::warn!(%error, "readiness check: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "store unavailable".to_string(),
            )
        }
    }
}

/// Counters the app keeps; rendered as Prometheus text by `/metrics`.
#[derive(Default)]
pub struct Metrics {
    http_requests: Mutex<BTreeMap<(String, u16), u64>>,
    commands: Mutex<BTreeMap<(String, String), u64>>,
    logins: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16) {
        let mut map = self.http_requests.lock().expect("metrics lock poisoned");
        *map.entry((route.to_string(), status)).or_insert(0) += 1;
    }

    /// Counts a sign-in attempt by outcome: succeeded, failed, locked, lockout.
    pub fn login(&self, outcome: &'static str) {
        let mut map = self.logins.lock().expect("metrics lock poisoned");
        *map.entry(outcome).or_insert(0) += 1;
    }

    pub fn command(&self, kind: &str, outcome: &str) {
        let mut map = self.commands.lock().expect("metrics lock poisoned");
        *map.entry((kind.to_string(), outcome.to_string()))
            .or_insert(0) += 1;
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    out.push_str("# HELP qingfeng_http_requests_total HTTP requests by route and status.\n# TYPE qingfeng_http_requests_total counter\n");
    for ((route, status), n) in state
        .metrics
        .http_requests
        .lock()
        .expect("metrics lock")
        .iter()
    {
        let _ = writeln!(
            out,
            "qingfeng_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    out.push_str("# HELP qingfeng_commands_total Commands by kind and outcome.\n# TYPE qingfeng_commands_total counter\n");
    for ((kind, outcome), n) in state.metrics.commands.lock().expect("metrics lock").iter() {
        let _ = writeln!(
            out,
            "qingfeng_commands_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
        );
    }
    let (position, counts, faults) = state.engine.read(|p| {
        let root = state.engine.regions().root().code;
        (p.position, p.rolled_up(&root), p.faults.len())
    });
    let _ = writeln!(
        out,
        "# TYPE qingfeng_projection_position gauge\nqingfeng_projection_position {position}"
    );
    let _ = writeln!(
        out,
        "# TYPE qingfeng_projection_faults gauge\nqingfeng_projection_faults {faults}"
    );
    out.push_str("# HELP qingfeng_warnings Warnings in the whole city by level.\n# TYPE qingfeng_warnings gauge\n");
    for (level, n) in [
        ("red", counts.red),
        ("yellow", counts.yellow),
        ("green", counts.green),
    ] {
        let _ = writeln!(out, "qingfeng_warnings{{level=\"{level}\"}} {n}");
    }
    let _ = writeln!(out, "qingfeng_warnings_overdue {}", counts.overdue);
    out.push_str("# HELP qingfeng_logins_total Sign-in attempts by outcome.\n# TYPE qingfeng_logins_total counter\n");
    for (outcome, n) in state.metrics.logins.lock().expect("metrics lock").iter() {
        let _ = writeln!(out, "qingfeng_logins_total{{outcome=\"{outcome}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP qingfeng_password_checks_total Password checks run (argon2).\n# TYPE qingfeng_password_checks_total counter\nqingfeng_password_checks_total {}",
        state.login.checks.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP qingfeng_audit_failures_total Audit records that could not be written.\n# TYPE qingfeng_audit_failures_total counter\nqingfeng_audit_failures_total {}",
        crate::audit::log::audit_failures()
    );
    let ws = state.hub.counters();
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "# HELP qingfeng_ws_connections Live WebSocket streams.\n# TYPE qingfeng_ws_connections gauge\nqingfeng_ws_connections {}",
        load(&ws.live)
    );
    out.push_str("# HELP qingfeng_ws_refused_total WebSocket upgrades refused, by reason.\n# TYPE qingfeng_ws_refused_total counter\n");
    for (reason, counter) in [
        ("per_token", &ws.refused_per_token),
        ("per_address", &ws.refused_per_address),
        ("origin", &ws.refused_origin),
        ("open_files", &ws.refused_open_files),
    ] {
        let _ = writeln!(
            out,
            "qingfeng_ws_refused_total{{reason=\"{reason}\"}} {}",
            load(counter)
        );
    }
    let _ = writeln!(
        out,
        "# HELP qingfeng_ws_sessions_ended_total Streams closed because their session ended.\n# TYPE qingfeng_ws_sessions_ended_total counter\nqingfeng_ws_sessions_ended_total {}",
        load(&ws.sessions_ended)
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
