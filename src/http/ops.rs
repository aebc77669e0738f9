//! Operations endpoints: liveness and readiness (`metrics.rs` has `/metrics`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    summary = "Liveness: the process is up",
    responses((status = 200, description = "`ok`", content_type = "text/plain", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the store answers and the projection has caught up with the log.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    summary = "Readiness: the store answers and the projection has caught up with the log",
    responses(
        (status = 200, description = "`ready: position N`", content_type = "text/plain", body = String),
        (status = 503, description = "Catching up, or the store does not answer", content_type = "text/plain", body = String),
    ))]
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
